//! A calendar date without time or zone.
//!
//! Birth dates and "today" are civil dates. Keeping them as a small value type (rather than
//! a timestamp) means an age can never be off by one because of a time zone, and the crate
//! needs no date library.

use std::fmt;

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Vietnam has used UTC+7 all year since 1975; "today" for a campaign is the date there.
const VIETNAM_OFFSET_SECS: i64 = 7 * 3600;

impl Date {
    /// The date, or `None` if there is no such day (month 13, 30 February, …).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        let m = u8::try_from(month).ok()?;
        let d = u8::try_from(day).ok()?;
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(year, m) {
            return None;
        }
        Some(Date {
            year,
            month: m,
            day: d,
        })
    }

    /// Parses exactly `YYYY-MM-DD` (ISO 8601 calendar date, four-digit year).
    ///
    /// Nothing else is accepted: `02/03/1990` is ambiguous between the Vietnamese
    /// day-first habit and the US month-first one, and a wrong guess would silently change
    /// someone's age.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        Date::new(i32::try_from(year).ok()?, month, day)
    }

    /// The date in Vietnam (UTC+7) at the instant `now`.
    pub fn today_in_vietnam(now: kyso_core::UnixTime) -> Self {
        let days = (now.seconds() + VIETNAM_OFFSET_SECS).div_euclid(86_400);
        Date::from_days(days)
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Month, 1–12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// Day of the month, 1–31.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn to_days(self) -> i64 {
        // Howard Hinnant's days_from_civil: shift the year to start in March so that the
        // leap day is the last day of the shifted year.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01. Saturates far outside ±5 million years.
    pub fn from_days(days: i64) -> Self {
        let z = days.clamp(-1_800_000_000, 1_800_000_000) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Completed years of age on `today` (negative if born after `today`).
    ///
    /// Someone born on 29 February has their birthday on 1 March in common years, as in
    /// Vietnamese civil practice for legal age.
    pub fn age_on(self, today: Date) -> i32 {
        let years = today.year - self.year;
        if (today.month, today.day) < (self.month, self.day) {
            years - 1
        } else {
            years
        }
    }

    /// The same day and month `years` years earlier; 29 February becomes 28 February in a
    /// common year.
    pub fn years_before(self, years: i32) -> Self {
        let year = self.year - years;
        let day = self.day.min(days_in_month(year, self.month));
        Date {
            year,
            month: self.month,
            day,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> Date {
        Date::new(y, m, dd).expect("valid test date")
    }

    #[test]
    fn parses_only_strict_iso() {
        assert_eq!(Date::parse_iso("1990-03-02"), Some(d(1990, 3, 2)));
        for bad in [
            "1990-3-2",
            "02/03/1990",
            "1990-02-30",
            "1990-13-01",
            "1990-00-10",
            "19900302",
            "1990-03-02 ",
            "１９９０-03-02",
        ] {
            assert_eq!(Date::parse_iso(bad), None, "{bad}");
        }
        assert_eq!(Date::parse_iso("2024-02-29"), Some(d(2024, 2, 29)));
        assert_eq!(Date::parse_iso("2023-02-29"), None);
        assert_eq!(Date::parse_iso("1900-02-29"), None);
        assert_eq!(Date::parse_iso("2000-02-29"), Some(d(2000, 2, 29)));
    }

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(d(1970, 1, 1).to_days(), 0);
        assert_eq!(d(2000, 3, 1).to_days(), 11_017);
        for days in (-60_000..60_000).step_by(7) {
            assert_eq!(Date::from_days(days).to_days(), days);
        }
        assert_eq!(d(2025, 7, 1).to_string(), "2025-07-01");
    }

    #[test]
    fn ages_count_completed_years() {
        let today = d(2025, 7, 1);
        assert_eq!(d(2007, 7, 1).age_on(today), 18);
        assert_eq!(d(2007, 7, 2).age_on(today), 17);
        assert_eq!(d(2004, 2, 29).age_on(d(2022, 2, 28)), 17);
        assert_eq!(d(2004, 2, 29).age_on(d(2022, 3, 1)), 18);
        assert_eq!(d(2024, 2, 29).years_before(1), d(2023, 2, 28));
    }

    #[test]
    fn today_is_taken_in_vietnam() {
        // 2025-06-30T17:00:00Z is midnight on 1 July in Hà Nội.
        let t = kyso_core::UnixTime(d(2025, 6, 30).to_days() * 86_400 + 17 * 3600);
        assert_eq!(Date::today_in_vietnam(t), d(2025, 7, 1));
        assert_eq!(Date::today_in_vietnam(t.plus_seconds(-1)), d(2025, 6, 30));
    }
}
