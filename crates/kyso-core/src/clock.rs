//! Time is passed in. Domain code receives a [`Clock`] (or a `now`) instead of reading the
//! system clock, so that validity, expiry and status logic is deterministic in tests.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, UTC. The resolution of X.509 times is one second, and so is
/// ours: it keeps stored values and certificate fields identical.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// Seconds since the epoch.
    pub fn seconds(self) -> i64 {
        self.0
    }

    /// This time plus `days` whole days.
    pub fn plus_days(self, days: u32) -> Self {
        UnixTime(self.0 + i64::from(days) * 86_400)
    }

    /// This time plus `secs` seconds (negative moves back).
    pub fn plus_seconds(self, secs: i64) -> Self {
        UnixTime(self.0 + secs)
    }

    /// As a [`SystemTime`]. Times before the epoch saturate at the epoch.
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.max(0) as u64)
    }

    /// From a [`SystemTime`], truncated to the second.
    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => UnixTime(d.as_secs() as i64),
            Err(e) => UnixTime(-(e.duration().as_secs() as i64)),
        }
    }

    /// RFC 3339 text in UTC, e.g. `2026-11-23T18:45:07Z`.
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.0);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl std::fmt::Display for UnixTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Converts Unix seconds to (year, month, day, hour, minute, second), proleptic Gregorian UTC (Howard Hinnant's
/// days-from-civil algorithm, inverted).
pub fn civil_from_unix(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        ((secs % 3600) / 60) as u32,
        (secs % 60) as u32,
    )
}

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime::from_system_time(SystemTime::now())
    }
}

/// A clock that stands still until moved: for tests.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock showing `t`.
    pub fn new(t: UnixTime) -> Self {
        FixedClock(AtomicI64::new(t.0))
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(UnixTime(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(UnixTime(951_782_400).to_rfc3339(), "2000-02-29T00:00:00Z");
        assert_eq!(UnixTime(1_795_459_507).to_rfc3339(), "2026-11-23T18:45:07Z");
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = FixedClock::new(UnixTime(100));
        assert_eq!(c.now(), UnixTime(100));
        c.advance(5);
        assert_eq!(c.now(), UnixTime(105));
    }
}
