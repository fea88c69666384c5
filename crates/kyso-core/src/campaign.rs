//! Campaign outreach values: what a door-to-door visit found, and the Vietnamese calendar
//! day campaign figures are counted by.

use crate::UnixTime;
use std::fmt;

/// Vietnam's offset from UTC (UTC+7, no daylight saving).
const VIETNAM_OFFSET_SECONDS: i64 = 7 * 3600;

/// A calendar day in Vietnam, as days since 1970-01-01: campaign tallies, visit logs and
/// revisit dates are kept per local day, so that a visit at 06:30 in Huế counts on the day
/// the team worked, not on the UTC day before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CampaignDay(pub i64);

impl CampaignDay {
    /// The Vietnamese day `t` falls on.
    pub fn of(t: UnixTime) -> Self {
        CampaignDay((t.seconds() + VIETNAM_OFFSET_SECONDS).div_euclid(86_400))
    }

    /// `n` days later (earlier if negative).
    pub fn plus(self, n: i64) -> Self {
        CampaignDay(self.0 + n)
    }

    /// Midnight at the start of this day in Vietnam.
    pub fn start(self) -> UnixTime {
        UnixTime(self.0 * 86_400 - VIETNAM_OFFSET_SECONDS)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        Some(CampaignDay(days_from_civil(y, m, d)))
    }

    /// `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        let (y, m, d, ..) = crate::clock::civil_from_unix(self.0 * 86_400);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of the era-based
/// civil-from-days computation in `clock`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What a door-to-door visit to a household found. The list mirrors the tallies of
/// vaccination campaigns ("missed, with reason"): each reason calls for a different
/// follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VisitOutcome {
    /// The adults present were registered (enrolled at the door or shown how online).
    Registered,
    /// Nobody at home: come back.
    NotHome,
    /// The household does not want a digital signature now.
    Refused,
    /// Nobody in the household has a smartphone: needs the commune's help point.
    NoSmartphone,
    /// Willing, but needs a relative (e.g. a child working elsewhere) to help.
    NeedsRelative,
}

impl VisitOutcome {
    /// Every outcome, in the order the team member's phone page shows them.
    pub const ALL: [VisitOutcome; 5] = [
        VisitOutcome::Registered,
        VisitOutcome::NotHome,
        VisitOutcome::Refused,
        VisitOutcome::NoSmartphone,
        VisitOutcome::NeedsRelative,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            VisitOutcome::Registered => "registered",
            VisitOutcome::NotHome => "not_home",
            VisitOutcome::Refused => "refused",
            VisitOutcome::NoSmartphone => "no_smartphone",
            VisitOutcome::NeedsRelative => "needs_relative",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            VisitOutcome::Registered => "Đã đăng ký",
            VisitOutcome::NotHome => "Vắng nhà",
            VisitOutcome::Refused => "Từ chối",
            VisitOutcome::NoSmartphone => "Không có điện thoại thông minh",
            VisitOutcome::NeedsRelative => "Cần người thân hỗ trợ",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            VisitOutcome::Registered => "Registered",
            VisitOutcome::NotHome => "Not at home",
            VisitOutcome::Refused => "Refused",
            VisitOutcome::NoSmartphone => "No smartphone",
            VisitOutcome::NeedsRelative => "Needs a relative's help",
        }
    }

    /// Days until the household should be visited again, when the team member does not
    /// pick a date: soon for an empty house, later for a refusal, never once registered.
    pub fn default_revisit_days(self) -> Option<i64> {
        match self {
            VisitOutcome::Registered => None,
            VisitOutcome::NotHome => Some(2),
            VisitOutcome::NeedsRelative => Some(7),
            VisitOutcome::NoSmartphone => Some(14),
            VisitOutcome::Refused => Some(30),
        }
    }
}

impl fmt::Display for VisitOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_the_vietnamese_calendar_day() {
        // 2026-11-30 23:30 UTC is 06:30 on 1 December in Vietnam.
        let t = UnixTime(1_796_081_400);
        assert_eq!(CampaignDay::of(t).iso(), "2026-12-01");
        assert_eq!(
            CampaignDay::of(CampaignDay::of(t).start()),
            CampaignDay::of(t)
        );
        assert_eq!(
            CampaignDay::of(CampaignDay::of(t).start().plus_seconds(-1)).iso(),
            "2026-11-30"
        );
    }

    #[test]
    fn iso_dates_round_trip_and_reject_nonsense() {
        for s in ["1970-01-01", "2028-02-29", "2026-12-31", "2030-01-01"] {
            assert_eq!(CampaignDay::parse_iso(s).unwrap().iso(), s);
        }
        assert_eq!(CampaignDay::parse_iso("1970-01-01"), Some(CampaignDay(0)));
        for s in [
            "2027-02-29",
            "2026-13-01",
            "2026-1-01",
            "2026-01-00",
            "２026-01-01",
            "",
        ] {
            assert_eq!(CampaignDay::parse_iso(s), None, "{s}");
        }
    }

    #[test]
    fn outcomes_round_trip() {
        for o in VisitOutcome::ALL {
            assert_eq!(VisitOutcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(VisitOutcome::parse("maybe"), None);
    }
}
