//! Vietnamese number and date formatting for dashboard labels.
//!
//! Conventions (as printed by Vietnamese government statistics):
//! - thousands are separated by `.` (`1.234.567`);
//! - the decimal separator is `,` (`45,5`);
//! - a percent sign is preceded by a non-breaking space (U+00A0) so that the
//!   number and the sign never wrap onto different lines (`45,5 %`);
//! - negative numbers use the typographic minus sign U+2212;
//! - dates are `dd/mm/yyyy`.
//!
//! Everything here is pure and allocation-light; no locale data is needed.

/// Non-breaking space placed between a number and `%`.
pub const NBSP: char = '\u{a0}';

/// Typographic minus sign (U+2212) used for negative numbers.
pub const MINUS: char = '\u{2212}';

/// Printed instead of a percentage that cannot be computed (whole = 0).
pub const NO_VALUE: &str = "—";

/// Thousands separated by `.`: `1234567` → `"1.234.567"`, `0` → `"0"`.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Signed count: `"+1.234"`, `"−1.234"` (U+2212 minus), or `"0"`.
pub fn signed(n: i64) -> String {
    match n {
        0 => "0".to_string(),
        n if n > 0 => format!("+{}", int(n.unsigned_abs())),
        n => format!("{MINUS}{}", int(n.unsigned_abs())),
    }
}

/// `part / whole` in tenths of a percent, rounded half up; `None` when
/// `whole` is 0.
pub fn share_tenths(part: u64, whole: u64) -> Option<u64> {
    if whole == 0 {
        return None;
    }
    let (p, w) = (u128::from(part), u128::from(whole));
    // round(p * 1000 / w) == floor((2 * p * 1000 + w) / (2 * w))
    let t = (2 * p * 1000 + w) / (2 * w);
    Some(u64::try_from(t).unwrap_or(u64::MAX))
}

/// Percentage with exactly one decimal and a comma: `1/3` → `"33,3 %"`,
/// `1/2` → `"50,0 %"`; `whole == 0` → `"—"`. The space before `%` is U+00A0.
pub fn percent(part: u64, whole: u64) -> String {
    match share_tenths(part, whole) {
        Some(t) => format!("{},{}{NBSP}%", int(t / 10), t % 10),
        None => NO_VALUE.to_string(),
    }
}

/// A per-mille value as a percentage, dropping a zero decimal:
/// `500` → `"50 %"`, `455` → `"45,5 %"`. The space before `%` is U+00A0.
pub fn permille_percent(permille: u32) -> String {
    let whole = int(u64::from(permille / 10));
    match permille % 10 {
        0 => format!("{whole}{NBSP}%"),
        d => format!("{whole},{d}{NBSP}%"),
    }
}

/// Proleptic Gregorian `(year, month 1–12, day 1–31)` for a count of days
/// since 1970-01-01 (Howard Hinnant's "civil from days" formula).
pub fn civil_from_days(day: i64) -> (i64, u32, u32) {
    // i128 so that no i64 input can overflow the shifted epoch.
    let z = i128::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from 1 March
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i128::from(m <= 2);
    let y = i64::try_from(y).unwrap_or(if y < 0 { i64::MIN } else { i64::MAX });
    // m and d are small positive numbers by construction.
    (y, m as u32, d as u32)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (inverse of
/// [`civil_from_days`]). `month` must be 1–12 and `day` 1–31; the result is
/// unspecified otherwise (no panic).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let m = i128::from(month.clamp(1, 12));
    let d = i128::from(day);
    let y = i128::from(year) - i128::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    i64::try_from(days).unwrap_or(if days < 0 { i64::MIN } else { i64::MAX })
}

/// `"dd/mm/yyyy"` for a count of days since 1970-01-01.
pub fn date_vi(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{d:02}/{m:02}/{y:04}")
}

/// `"dd/mm"` for a count of days since 1970-01-01 (chart axis ticks).
pub fn day_month(day: i64) -> String {
    let (_, m, d) = civil_from_days(day);
    format!("{d:02}/{m:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_groups_thousands_with_dots() {
        assert_eq!(int(0), "0");
        assert_eq!(int(7), "7");
        assert_eq!(int(999), "999");
        assert_eq!(int(1_000), "1.000");
        assert_eq!(int(12_345), "12.345");
        assert_eq!(int(123_456), "123.456");
        assert_eq!(int(1_234_567), "1.234.567");
        assert_eq!(int(u64::MAX), "18.446.744.073.709.551.615");
    }

    #[test]
    fn signed_uses_plus_and_unicode_minus() {
        assert_eq!(signed(0), "0");
        assert_eq!(signed(1_234), "+1.234");
        assert_eq!(signed(-1_234), "\u{2212}1.234");
        assert_eq!(signed(-5), "−5");
        assert_eq!(signed(i64::MIN), "−9.223.372.036.854.775.808");
        assert_eq!(signed(i64::MAX), "+9.223.372.036.854.775.807");
    }

    #[test]
    fn percent_has_one_decimal_comma_and_nbsp() {
        assert_eq!(percent(1, 3), "33,3\u{a0}%");
        assert_eq!(percent(2, 3), "66,7\u{a0}%");
        assert_eq!(percent(1, 2), "50,0\u{a0}%");
        assert_eq!(percent(0, 10), "0,0\u{a0}%");
        assert_eq!(percent(10, 10), "100,0\u{a0}%");
        assert_eq!(percent(12_345, 30_000), "41,2\u{a0}%");
        // rounding half up: 1/8 = 12,5 % exactly; 1/16 = 6,25 % → 6,3 %
        assert_eq!(percent(1, 16), "6,3\u{a0}%");
        // more than the whole (data anomaly) still prints, with grouping
        assert_eq!(percent(200, 1), "20.000,0\u{a0}%");
        assert_eq!(percent(5, 0), "—");
        assert_eq!(percent(0, 0), "—");
        // no overflow on huge numbers
        assert_eq!(percent(u64::MAX, u64::MAX), "100,0\u{a0}%");
    }

    #[test]
    fn share_tenths_rounds_half_up() {
        assert_eq!(share_tenths(1, 3), Some(333));
        assert_eq!(share_tenths(1, 2000), Some(1)); // 0,05 % → 0,1 %
        assert_eq!(share_tenths(1, 2001), Some(0));
        assert_eq!(share_tenths(1, 0), None);
    }

    #[test]
    fn permille_percent_drops_zero_decimal() {
        assert_eq!(permille_percent(500), "50\u{a0}%");
        assert_eq!(permille_percent(455), "45,5\u{a0}%");
        assert_eq!(permille_percent(0), "0\u{a0}%");
        assert_eq!(permille_percent(1), "0,1\u{a0}%");
        assert_eq!(permille_percent(1000), "100\u{a0}%");
        assert_eq!(permille_percent(12_345), "1.234,5\u{a0}%");
    }

    #[test]
    fn date_vi_known_days() {
        assert_eq!(date_vi(0), "01/01/1970");
        assert_eq!(date_vi(-1), "31/12/1969");
        assert_eq!(date_vi(59), "01/03/1970");
        assert_eq!(date_vi(10_957), "01/01/2000");
        assert_eq!(date_vi(11_017), "01/03/2000"); // 2000 is a leap year
        assert_eq!(date_vi(11_016), "29/02/2000");
        assert_eq!(date_vi(20_454), "01/01/2026");
        assert_eq!(date_vi(-719_468), "01/03/0000");
    }

    #[test]
    fn date_vi_leap_day_2028() {
        let d = days_from_civil(2028, 2, 29);
        assert_eq!(d, 21_243);
        assert_eq!(date_vi(d), "29/02/2028");
        assert_eq!(date_vi(d - 1), "28/02/2028");
        assert_eq!(date_vi(d + 1), "01/03/2028");
        assert_eq!(day_month(d), "29/02");
        // 2100 is not a leap year
        let d = days_from_civil(2100, 3, 1);
        assert_eq!(date_vi(d - 1), "28/02/2100");
    }

    #[test]
    fn day_month_pads() {
        assert_eq!(day_month(0), "01/01");
        assert_eq!(day_month(days_from_civil(2026, 9, 2)), "02/09");
        assert_eq!(day_month(days_from_civil(2025, 12, 31)), "31/12");
    }

    #[test]
    fn civil_round_trips_over_a_wide_range() {
        let mut prev = civil_from_days(-800_000);
        for day in -799_999..800_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            // consecutive days are strictly increasing dates
            assert!((y, m, d) > prev, "{day}");
            prev = (y, m, d);
        }
    }

    #[test]
    fn civil_extremes_do_not_panic() {
        let _ = date_vi(i64::MAX);
        let _ = date_vi(i64::MIN);
        let _ = days_from_civil(i64::MAX, 12, 31);
        let _ = days_from_civil(i64::MIN, 1, 1);
    }
}
