//! Campaign operations' storage: coverage tallies kept by the writes that change them,
//! campaigns, outreach lists over households, assignments, visits and training sessions.
//!
//! **Coverage** — an adult is covered while they hold an active campaign enrolment whose
//! certificate is good. Every write that can change that (enrolment, switch, renewal,
//! suspension, resumption, revocation) calls `refresh_coverage` for the one adult it
//! touched, inside its own transaction: the adult's `coverage_state` row is recomputed from
//! the enrolment and certificate, and `coverage_tally` (commune × provider × channel),
//! `coverage_daily`, `population_tally.households_covered`, `households.covered_adults` and
//! `people.covered` move by the difference. Readers add up a few thousand tally rows at
//! most — never the population. Expiry is the one change no write announces: readers first
//! call [`CampaignStore::sweep_expired_coverage`], which refreshes the adults whose
//! certificate has expired since (an index range, empty on almost every call).
//!
//! Because the refresh recomputes rather than increments, calling it twice is harmless,
//! and [`CampaignStore::rebuild_coverage`] can always recompute every tally from scratch.

use crate::StoreError;
use async_trait::async_trait;
use kyso_core::{CampaignDay, UnixTime, VisitOutcome};

/// A first signature this soon after enrolment counts as "used within 30 days".
pub const FIRST_USE_WINDOW_SECONDS: i64 = 30 * 86_400;

/// Covered adults of one commune, provider and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyRow {
    /// 5-digit commune code.
    pub commune_code: String,
    /// Provider id.
    pub provider: String,
    /// Enrolment channel (stored form).
    pub channel: String,
    /// Adults.
    pub covered: u64,
    /// Of them, adults whose first signature came within 30 days of enrolment.
    pub first_use_30d: u64,
}

/// Adults and households of a commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationTally {
    /// 5-digit commune code.
    pub commune_code: String,
    /// 2-digit province code.
    pub province_code: String,
    /// Adults in the register.
    pub adults: u64,
    /// Households in the register.
    pub households: u64,
    /// Households with at least one covered adult.
    pub households_covered: u64,
}

/// Net change of covered adults on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyDelta {
    /// The day.
    pub day: CampaignDay,
    /// Adults who became covered minus those who stopped being covered.
    pub covered_delta: i64,
}

/// A campaign, as stored. Phases are JSON the campaign service reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRecord {
    /// Identifier (lowercase, e.g. `hue-2026`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// 2-digit province code.
    pub province_code: String,
    /// The communes it covers; empty = the whole province.
    pub communes: Vec<String>,
    /// Target share of adults, per mille (500 = 50%).
    pub target_permille: u32,
    /// Phases as JSON.
    pub phases: String,
    /// Participating provider ids.
    pub providers: Vec<String>,
    /// When created.
    pub created_at: UnixTime,
    /// Staff id of the creator.
    pub created_by: String,
}

/// Which households to list. Lists are ordered by household id and paged with `after`.
#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    /// The commune (always required: lists never span communes).
    pub commune_code: String,
    /// Only this village.
    pub village: Option<String>,
    /// Only households with no covered adult.
    pub uncovered_only: bool,
    /// Only households assigned to this team member.
    pub assigned_to: Option<String>,
    /// Only households not assigned to anyone.
    pub unassigned_only: bool,
    /// Only households to visit on this day: never visited, revisit due by then, or
    /// already visited on it (so a team member sees what they did today).
    pub due_on: Option<CampaignDay>,
    /// Only households whose revisit date is due by this day.
    pub revisit_due_by: Option<CampaignDay>,
    /// Households after this id.
    pub after: Option<String>,
    /// At most this many.
    pub limit: u32,
}

/// A household on an outreach list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutreachHousehold {
    /// Household id.
    pub id: String,
    /// 5-digit commune code.
    pub commune_code: String,
    /// Village.
    pub village: Option<String>,
    /// Address inside the village.
    pub address: Option<String>,
    /// Adults covered.
    pub covered_adults: u64,
    /// Team member it is assigned to.
    pub assigned_to: Option<String>,
    /// Outcome of the latest visit.
    pub last_outcome: Option<VisitOutcome>,
    /// When last visited.
    pub last_visit_at: Option<UnixTime>,
    /// When to come back.
    pub revisit_on: Option<CampaignDay>,
    /// The household's adults.
    pub adults: Vec<OutreachAdult>,
}

/// An adult of a household on an outreach list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutreachAdult {
    /// CCCD number.
    pub cccd: String,
    /// Full name.
    pub full_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `Nam` / `Nữ`.
    pub sex: String,
    /// Registered phone.
    pub phone: Option<String>,
    /// Holds a valid campaign certificate.
    pub covered: bool,
    /// Household.
    pub household_id: String,
    /// Village of the household.
    pub village: Option<String>,
}

/// Households of one village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageTally {
    /// Village (None: the register names none).
    pub village: Option<String>,
    /// Households.
    pub households: u64,
    /// Of them, with no covered adult.
    pub uncovered: u64,
    /// Of them, assigned to a team member.
    pub assigned: u64,
}

/// A door-to-door visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRecord {
    /// Household.
    pub household_id: String,
    /// The household's commune.
    pub commune_code: String,
    /// The household's province.
    pub province_code: String,
    /// Staff id of who visited.
    pub member: String,
    /// When.
    pub at: UnixTime,
    /// What they found.
    pub outcome: VisitOutcome,
    /// When to come back.
    pub revisit_on: Option<CampaignDay>,
    /// Free text.
    pub note: Option<String>,
}

/// Visits by one member on one day with one outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitTally {
    /// Commune.
    pub commune_code: String,
    /// Staff id.
    pub member: String,
    /// Day.
    pub day: CampaignDay,
    /// Outcome.
    pub outcome: VisitOutcome,
    /// Visits.
    pub visits: u64,
}

/// A training session at a place and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRecord {
    /// Identifier.
    pub id: String,
    /// Commune.
    pub commune_code: String,
    /// Province.
    pub province_code: String,
    /// Where (e.g. the village cultural house).
    pub place: String,
    /// When it starts.
    pub starts_at: UnixTime,
    /// What it covers.
    pub topic: String,
    /// Staff id.
    pub created_by: String,
    /// When recorded.
    pub created_at: UnixTime,
}

/// An attendee of a training session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeRecord {
    /// CCCD number.
    pub cccd: String,
    /// Full name.
    pub full_name: String,
    /// Holds a valid campaign certificate now.
    pub covered: bool,
    /// When added.
    pub added_at: UnixTime,
}

/// Campaign operations' storage.
#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Covered adults per commune × provider × channel, in a province (or one commune),
    /// as of the last [`Self::sweep_expired_coverage`].
    async fn coverage_tallies(
        &self,
        province: &str,
        commune: Option<&str>,
    ) -> Result<Vec<TallyRow>, StoreError>;
    /// Takes the adults of a province whose certificate has expired by `now` out of the
    /// coverage (counted on the day it expired); returns how many.
    async fn sweep_expired_coverage(
        &self,
        province: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError>;
    /// Covered adults per commune whose free year ends in `[from, to)`.
    async fn free_year_ending(
        &self,
        province: &str,
        commune: Option<&str>,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<Vec<(String, u64)>, StoreError>;
    /// Adults and households per commune.
    async fn population_tallies(
        &self,
        province: &str,
        commune: Option<&str>,
    ) -> Result<Vec<PopulationTally>, StoreError>;
    /// Net daily change of covered adults, in day order, for the province or one commune.
    async fn coverage_daily(
        &self,
        province: &str,
        commune: Option<&str>,
    ) -> Result<Vec<DailyDelta>, StoreError>;
    /// Recomputes every coverage tally of every province from the enrolments and
    /// certificates (repair, and after bulk loads). The daily history is rebuilt from the
    /// enrolment dates of the adults covered now.
    async fn rebuild_coverage(&self, at: UnixTime) -> Result<(), StoreError>;

    /// Stores a new campaign.
    async fn insert_campaign(&self, c: &CampaignRecord) -> Result<(), StoreError>;
    /// Campaigns of a province, newest first.
    async fn campaigns(&self, province: &str) -> Result<Vec<CampaignRecord>, StoreError>;

    /// Households of a commune, as the filter says.
    async fn outreach_households(
        &self,
        filter: &HouseholdFilter,
    ) -> Result<Vec<OutreachHousehold>, StoreError>;
    /// How many households the filter matches (ignoring `after` and `limit`).
    async fn count_outreach_households(&self, filter: &HouseholdFilter) -> Result<u64, StoreError>;
    /// One household, if it is in `commune`.
    async fn outreach_household(
        &self,
        commune: &str,
        id: &str,
    ) -> Result<Option<OutreachHousehold>, StoreError>;
    /// Households per village of a commune.
    async fn village_tallies(&self, commune: &str) -> Result<Vec<VillageTally>, StoreError>;
    /// Adults of a commune with no valid campaign certificate, by household, paged by CCCD
    /// within household order (`after` = (household, cccd)).
    async fn uncovered_adults(
        &self,
        commune: &str,
        village: Option<&str>,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<OutreachAdult>, StoreError>;
    /// Assigns households of `commune` to `member` (None: unassigns them). Ids outside the
    /// commune are ignored; returns how many were changed. Audited.
    async fn assign_households(
        &self,
        commune: &str,
        ids: &[String],
        member: Option<&str>,
        by: &str,
        at: UnixTime,
    ) -> Result<u64, StoreError>;
    /// Records a visit and moves the household's latest outcome and revisit day. With
    /// `assignee`, only if the household is assigned to them. `false` if the household is
    /// not in the visit's commune (or not the assignee's): nothing is written.
    async fn record_visit(
        &self,
        v: &VisitRecord,
        assignee: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// A household's visits, oldest first.
    async fn visits_of(&self, household_id: &str) -> Result<Vec<VisitRecord>, StoreError>;
    /// Visits per member, day and outcome in a commune (or, with `commune` None, in the
    /// province), days `from..=to`.
    async fn visit_tallies(
        &self,
        province: &str,
        commune: Option<&str>,
        from: CampaignDay,
        to: CampaignDay,
    ) -> Result<Vec<VisitTally>, StoreError>;

    /// Stores a training session.
    async fn insert_training(&self, t: &TrainingRecord) -> Result<(), StoreError>;
    /// Training sessions of a commune starting at or after `from`, soonest first.
    async fn training_sessions(
        &self,
        commune: &str,
        from: UnixTime,
    ) -> Result<Vec<TrainingRecord>, StoreError>;
    /// One training session.
    async fn get_training(&self, id: &str) -> Result<Option<TrainingRecord>, StoreError>;
    /// Adds an attendee (an adult of the register); `false` if already listed.
    async fn add_attendee(
        &self,
        session: &str,
        cccd: &str,
        at: UnixTime,
    ) -> Result<bool, StoreError>;
    /// A session's attendees, in the order added.
    async fn attendees(&self, session: &str) -> Result<Vec<AttendeeRecord>, StoreError>;
}

/// The set-based recomputation behind [`CampaignStore::rebuild_coverage`] (the same SQL
/// on both backends). Order matters: state first, then what is derived from it.
pub(crate) const REBUILD_COVERAGE: &[&str] = &[
    "DELETE FROM coverage_state",
    "DELETE FROM coverage_tally",
    "DELETE FROM coverage_daily",
    "INSERT INTO coverage_state (cccd, province_code, commune_code, household_id, provider, channel, \
         serial, since, valid_until, free_until) \
     SELECT p.cccd, p.province_code, p.commune_code, p.household_id, e.provider, e.channel, e.serial, \
         e.created_at, c.not_after, (SELECT MAX(cr.free_until) FROM credentials cr WHERE cr.serial = e.serial) \
     FROM enrolments e JOIN people p ON p.cccd = e.cccd JOIN certificates c ON c.serial = e.serial \
     WHERE e.status = 'active' AND c.status = 'valid' AND c.not_after > $1",
    // Only the rows that change are written: a rebuild of a million adults touches the
    // covered ones, not everyone.
    "UPDATE people SET covered = 0 WHERE covered <> 0",
    "UPDATE people SET covered = 1 WHERE cccd IN (SELECT cccd FROM coverage_state)",
    "UPDATE households SET covered_adults = 0 WHERE covered_adults <> 0",
    "UPDATE households SET covered_adults = \
         (SELECT COUNT(*) FROM coverage_state s WHERE s.household_id = households.id) \
     WHERE id IN (SELECT household_id FROM coverage_state)",
    "INSERT INTO coverage_tally (province_code, commune_code, provider, channel, covered, first_use_30d) \
     SELECT s.province_code, s.commune_code, s.provider, s.channel, COUNT(*), \
         SUM(CASE WHEN e.first_used_at IS NOT NULL AND e.first_used_at - e.created_at <= 2592000 THEN 1 ELSE 0 END) \
     FROM coverage_state s JOIN enrolments e ON e.serial = s.serial AND e.status = 'active' \
     GROUP BY s.province_code, s.commune_code, s.provider, s.channel",
    "INSERT INTO coverage_daily (province_code, commune_code, day, covered_delta) \
     SELECT province_code, commune_code, (since + 25200) / 86400, COUNT(*) FROM coverage_state \
     GROUP BY province_code, commune_code, (since + 25200) / 86400",
    "INSERT INTO coverage_daily (province_code, commune_code, day, covered_delta) \
     SELECT province_code, '', (since + 25200) / 86400, COUNT(*) FROM coverage_state \
     GROUP BY province_code, (since + 25200) / 86400",
    "DELETE FROM population_tally",
    "INSERT INTO population_tally (commune_code, province_code, adults, households, households_covered) \
     SELECT h.commune_code, h.province_code, \
         (SELECT COUNT(*) FROM people p WHERE p.commune_code = h.commune_code), \
         COUNT(*), SUM(CASE WHEN h.covered_adults > 0 THEN 1 ELSE 0 END) \
     FROM households h GROUP BY h.commune_code, h.province_code",
];

/// Recounts the adults and households of one commune (after an import).
pub(crate) const RECOUNT_POPULATION: &str = "INSERT INTO population_tally \
         (commune_code, province_code, adults, households, households_covered) \
     SELECT h.commune_code, h.province_code, \
         (SELECT COUNT(*) FROM people p WHERE p.commune_code = h.commune_code), \
         COUNT(*), SUM(CASE WHEN h.covered_adults > 0 THEN 1 ELSE 0 END) \
     FROM households h WHERE h.commune_code = $1 GROUP BY h.commune_code, h.province_code \
     ON CONFLICT (commune_code) DO UPDATE SET adults = excluded.adults, \
         households = excluded.households, households_covered = excluded.households_covered";

/// What an adult's coverage is keyed by: where they count.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct CoverageKey {
    pub province_code: String,
    pub commune_code: String,
    pub household_id: String,
    pub provider: String,
    pub channel: String,
    pub serial: String,
    pub since: i64,
    pub valid_until: i64,
    pub free_until: Option<i64>,
}

/// The adult's enrolment and certificate as they are now.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CoverageNow {
    pub province_code: String,
    pub commune_code: String,
    pub household_id: String,
    pub provider: Option<String>,
    pub channel: Option<String>,
    pub serial: Option<String>,
    pub since: Option<i64>,
    pub cert_status: Option<String>,
    pub valid_until: Option<i64>,
    pub free_until: Option<i64>,
    pub first_used_at: Option<i64>,
}

impl CoverageNow {
    /// The key the adult should be counted under at `at`, if covered.
    pub(crate) fn key(self, at: UnixTime) -> Option<(CoverageKey, bool)> {
        if self.cert_status.as_deref() != Some("valid")
            || self.valid_until.is_none_or(|t| t <= at.seconds())
        {
            return None;
        }
        let since = self.since?;
        let first_use_30d = self
            .first_used_at
            .is_some_and(|t| t - since <= FIRST_USE_WINDOW_SECONDS);
        Some((
            CoverageKey {
                province_code: self.province_code,
                commune_code: self.commune_code,
                household_id: self.household_id,
                provider: self.provider?,
                channel: self.channel?,
                serial: self.serial?,
                since,
                valid_until: self.valid_until?,
                free_until: self.free_until,
            },
            first_use_30d,
        ))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HouseholdRow {
    pub id: String,
    pub commune_code: String,
    pub village: Option<String>,
    pub address: Option<String>,
    pub covered_adults: i64,
    pub assigned_to: Option<String>,
    pub last_outcome: Option<String>,
    pub last_visit_at: Option<i64>,
    pub revisit_on: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AdultRow {
    pub cccd: String,
    pub full_name: String,
    pub birth_date: String,
    pub sex: String,
    pub phone: Option<String>,
    pub covered: i64,
    pub household_id: String,
    pub village: Option<String>,
}

impl From<AdultRow> for OutreachAdult {
    fn from(r: AdultRow) -> Self {
        OutreachAdult {
            cccd: r.cccd,
            full_name: r.full_name,
            birth_date: r.birth_date,
            sex: r.sex,
            phone: r.phone,
            covered: r.covered != 0,
            household_id: r.household_id,
            village: r.village,
        }
    }
}

pub(crate) fn household_from_row(r: HouseholdRow) -> Result<OutreachHousehold, StoreError> {
    let last_outcome = r
        .last_outcome
        .map(|o| {
            VisitOutcome::parse(&o)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown visit outcome {o:?}")))
        })
        .transpose()?;
    Ok(OutreachHousehold {
        id: r.id,
        commune_code: r.commune_code,
        village: r.village,
        address: r.address,
        covered_adults: r.covered_adults.max(0) as u64,
        assigned_to: r.assigned_to,
        last_outcome,
        last_visit_at: r.last_visit_at.map(UnixTime),
        revisit_on: r.revisit_on.map(CampaignDay),
        adults: Vec::new(),
    })
}

pub(crate) fn parse_outcome(s: &str) -> Result<VisitOutcome, StoreError> {
    VisitOutcome::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown visit outcome {s:?}")))
}

pub(crate) fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn parse_list(s: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("stored list {s:?}: {e}")))
}

macro_rules! impl_campaign_store {
    ($ty:ty) => {
        /// Appends a household filter's conditions (after `WHERE h.commune_code = …`).
        fn push_household_filter(
            qb: &mut sqlx::QueryBuilder<$crate::backend::DbOf<$ty>>,
            f: &$crate::campaign::HouseholdFilter,
            with_paging: bool,
        ) {
            qb.push(" WHERE h.commune_code = ").push_bind(f.commune_code.clone());
            if let Some(v) = &f.village {
                qb.push(" AND h.village = ").push_bind(v.clone());
            }
            if f.uncovered_only {
                qb.push(" AND h.covered_adults = 0");
            }
            if let Some(m) = &f.assigned_to {
                qb.push(" AND h.assigned_to = ").push_bind(m.clone());
            }
            if f.unassigned_only {
                qb.push(" AND h.assigned_to IS NULL");
            }
            if let Some(day) = f.due_on {
                qb.push(" AND (h.last_visit_at IS NULL OR h.revisit_on <= ")
                    .push_bind(day.0)
                    .push(" OR h.last_visit_at >= ")
                    .push_bind(day.start().seconds())
                    .push(")");
            }
            if let Some(day) = f.revisit_due_by {
                qb.push(" AND h.revisit_on <= ").push_bind(day.0);
            }
            if with_paging {
                if let Some(after) = &f.after {
                    qb.push(" AND h.id > ").push_bind(after.clone());
                }
                qb.push(" ORDER BY h.id LIMIT ").push_bind(i64::from(f.limit.max(1)));
            }
        }


        /// Recomputes one adult's coverage inside the caller's transaction and moves every
        /// tally by the difference (see the module documentation of `campaign`).
        async fn refresh_coverage(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            cccd: &str,
            at: kyso_core::UnixTime,
        ) -> Result<(), $crate::StoreError> {
            use $crate::campaign::{CoverageKey, CoverageNow};
            let now: Option<CoverageNow> = sqlx::query_as(
                "SELECT p.province_code, p.commune_code, p.household_id, e.provider, e.channel, e.serial, \
                     e.created_at AS since, c.status AS cert_status, c.not_after AS valid_until, \
                     (SELECT MAX(cr.free_until) FROM credentials cr WHERE cr.serial = e.serial) AS free_until, \
                     e.first_used_at \
                 FROM people p \
                 LEFT JOIN enrolments e ON e.cccd = p.cccd AND e.status = 'active' \
                 LEFT JOIN certificates c ON c.serial = e.serial \
                 WHERE p.cccd = $1",
            )
            .bind(cccd)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(now) = now else { return Ok(()) };
            let next = now.key(at);
            let was: Option<CoverageKey> = sqlx::query_as(
                "SELECT province_code, commune_code, household_id, provider, channel, serial, since, \
                     valid_until, free_until FROM coverage_state WHERE cccd = $1",
            )
            .bind(cccd)
            .fetch_optional(&mut *conn)
            .await?;
            if was.as_ref() == next.as_ref().map(|(k, _)| k) {
                return Ok(());
            }
            let day = kyso_core::CampaignDay::of(at).0;
            if let Some(was) = was {
                let first_used: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT first_used_at FROM enrolments WHERE serial = $1",
                )
                .bind(&was.serial)
                .fetch_optional(&mut *conn)
                .await?;
                let was_first_use_30d = first_used
                    .flatten()
                    .is_some_and(|t| t - was.since <= $crate::campaign::FIRST_USE_WINDOW_SECONDS);
                sqlx::query("DELETE FROM coverage_state WHERE cccd = $1")
                    .bind(cccd)
                    .execute(&mut *conn)
                    .await?;
                move_coverage(&mut *conn, &was, -1, was_first_use_30d, day).await?;
                sqlx::query("UPDATE people SET covered = 0 WHERE cccd = $1")
                    .bind(cccd)
                    .execute(&mut *conn)
                    .await?;
            }
            if let Some((key, first_use_30d)) = next {
                sqlx::query(
                    "INSERT INTO coverage_state (cccd, province_code, commune_code, household_id, provider, \
                         channel, serial, since, valid_until, free_until) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(cccd)
                .bind(&key.province_code)
                .bind(&key.commune_code)
                .bind(&key.household_id)
                .bind(&key.provider)
                .bind(&key.channel)
                .bind(&key.serial)
                .bind(key.since)
                .bind(key.valid_until)
                .bind(key.free_until)
                .execute(&mut *conn)
                .await?;
                move_coverage(&mut *conn, &key, 1, first_use_30d, day).await?;
                sqlx::query("UPDATE people SET covered = 1 WHERE cccd = $1")
                    .bind(cccd)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        /// Adds `delta` (±1) adults under `key` to the tallies, the day's change and the
        /// household's count (and the commune's covered households when that crosses 0).
        async fn move_coverage(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            key: &$crate::campaign::CoverageKey,
            delta: i64,
            first_use_30d: bool,
            day: i64,
        ) -> Result<(), $crate::StoreError> {
            let used = if first_use_30d { delta } else { 0 };
            sqlx::query(
                "INSERT INTO coverage_tally (province_code, commune_code, provider, channel, covered, first_use_30d) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (province_code, commune_code, provider, channel) DO UPDATE SET \
                     covered = coverage_tally.covered + excluded.covered, \
                     first_use_30d = coverage_tally.first_use_30d + excluded.first_use_30d",
            )
            .bind(&key.province_code)
            .bind(&key.commune_code)
            .bind(&key.provider)
            .bind(&key.channel)
            .bind(delta)
            .bind(used)
            .execute(&mut *conn)
            .await?;
            for commune in [key.commune_code.as_str(), ""] {
                sqlx::query(
                    "INSERT INTO coverage_daily (province_code, commune_code, day, covered_delta) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (province_code, commune_code, day) DO UPDATE SET \
                         covered_delta = coverage_daily.covered_delta + excluded.covered_delta",
                )
                .bind(&key.province_code)
                .bind(commune)
                .bind(day)
                .bind(delta)
                .execute(&mut *conn)
                .await?;
            }
            let after: Option<i64> = sqlx::query_scalar(
                "UPDATE households SET covered_adults = covered_adults + $1 WHERE id = $2 \
                 RETURNING covered_adults",
            )
            .bind(delta)
            .bind(&key.household_id)
            .fetch_optional(&mut *conn)
            .await?;
            // The household just gained its first covered adult, or lost its last one.
            let crossed = match after {
                Some(1) if delta > 0 => 1,
                Some(0) if delta < 0 => -1,
                _ => 0,
            };
            if crossed != 0 {
                sqlx::query(
                    "UPDATE population_tally SET households_covered = households_covered + $1 \
                     WHERE commune_code = $2",
                )
                .bind(crossed)
                .bind(&key.commune_code)
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        /// Refreshes the coverage of the citizen whose enrolment holds `serial`, if any.
        async fn refresh_coverage_of_serial(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            serial: &str,
            at: kyso_core::UnixTime,
        ) -> Result<(), $crate::StoreError> {
            let cccd: Option<String> =
                sqlx::query_scalar("SELECT cccd FROM enrolments WHERE serial = $1")
                    .bind(serial)
                    .fetch_optional(&mut *conn)
                    .await?;
            if let Some(cccd) = cccd {
                refresh_coverage(&mut *conn, &cccd, at).await?;
            }
            Ok(())
        }

        /// Notes a campaign credential's first counted signature on its enrolment; if it
        /// came within 30 days of enrolment, the covered adult's tally row says so.
        async fn note_first_use(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            credential_id: &str,
            now: kyso_core::UnixTime,
        ) -> Result<(), $crate::StoreError> {
            let first: Option<(String, i64)> = sqlx::query_as(
                "UPDATE enrolments SET first_used_at = $1 \
                 WHERE first_used_at IS NULL AND status = 'active' \
                   AND serial = (SELECT serial FROM credentials WHERE id = $2) \
                 RETURNING cccd, created_at",
            )
            .bind(now.seconds())
            .bind(credential_id)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((cccd, since)) = first {
                if now.seconds() - since <= $crate::campaign::FIRST_USE_WINDOW_SECONDS {
                    sqlx::query(
                        "UPDATE coverage_tally SET first_use_30d = first_use_30d + 1 \
                         WHERE (province_code, commune_code, provider, channel) IN \
                             (SELECT province_code, commune_code, provider, channel FROM coverage_state WHERE cccd = $1)",
                    )
                    .bind(&cccd)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Ok(())
        }

        async fn households_with_adults(
            pool: &sqlx::Pool<$crate::backend::DbOf<$ty>>,
            rows: Vec<$crate::campaign::HouseholdRow>,
        ) -> Result<Vec<$crate::campaign::OutreachHousehold>, $crate::StoreError> {
            let mut out = rows
                .into_iter()
                .map($crate::campaign::household_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            if out.is_empty() {
                return Ok(out);
            }
            let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                "SELECT p.cccd, p.full_name, p.birth_date, p.sex, p.phone, p.covered, p.household_id, \
                     NULL AS village FROM people p WHERE p.household_id IN (",
            );
            let mut list = qb.separated(", ");
            for h in &out {
                list.push_bind(h.id.clone());
            }
            qb.push(") ORDER BY p.household_id, p.birth_date, p.cccd");
            let adults: Vec<$crate::campaign::AdultRow> = qb.build_query_as().fetch_all(pool).await?;
            let index: std::collections::HashMap<String, usize> =
                out.iter().enumerate().map(|(i, h)| (h.id.clone(), i)).collect();
            for a in adults {
                if let Some(&i) = index.get(&a.household_id) {
                    let village = out[i].village.clone();
                    let mut adult: $crate::campaign::OutreachAdult = a.into();
                    adult.village = village;
                    out[i].adults.push(adult);
                }
            }
            Ok(out)
        }

        #[async_trait::async_trait]
        impl $crate::campaign::CampaignStore for $ty {
            async fn coverage_tallies(
                &self,
                province: &str,
                commune: Option<&str>,
            ) -> Result<Vec<$crate::campaign::TallyRow>, $crate::StoreError> {
                let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
                    "SELECT commune_code, provider, channel, covered, first_use_30d FROM coverage_tally \
                     WHERE province_code = $1 AND ($2 IS NULL OR commune_code = $2) AND covered <> 0",
                )
                .bind(province)
                .bind(commune)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(commune_code, provider, channel, covered, used)| $crate::campaign::TallyRow {
                        commune_code,
                        provider,
                        channel,
                        covered: covered.max(0) as u64,
                        first_use_30d: used.max(0) as u64,
                    })
                    .collect())
            }

            async fn sweep_expired_coverage(
                &self,
                province: &str,
                now: kyso_core::UnixTime,
            ) -> Result<u64, $crate::StoreError> {
                let due: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT cccd, valid_until FROM coverage_state \
                     WHERE province_code = $1 AND valid_until <= $2 ORDER BY valid_until LIMIT 5000",
                )
                .bind(province)
                .bind(now.seconds())
                .fetch_all(&self.pool)
                .await?;
                if due.is_empty() {
                    return Ok(0);
                }
                let mut tx = self.begin_write().await?;
                for (cccd, valid_until) in &due {
                    // Evaluated at the expiry, so the day's change lands on that day.
                    refresh_coverage(&mut tx, cccd, kyso_core::UnixTime(*valid_until)).await?;
                }
                tx.commit().await?;
                Ok(due.len() as u64)
            }

            async fn free_year_ending(
                &self,
                province: &str,
                commune: Option<&str>,
                from: kyso_core::UnixTime,
                to: kyso_core::UnixTime,
            ) -> Result<Vec<(String, u64)>, $crate::StoreError> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT commune_code, COUNT(*) FROM coverage_state \
                     WHERE province_code = $1 AND free_until >= $2 AND free_until < $3 \
                       AND valid_until > $2 AND ($4 IS NULL OR commune_code = $4) \
                     GROUP BY commune_code",
                )
                .bind(province)
                .bind(from.seconds())
                .bind(to.seconds())
                .bind(commune)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(c, n)| (c, n.max(0) as u64)).collect())
            }

            async fn population_tallies(
                &self,
                province: &str,
                commune: Option<&str>,
            ) -> Result<Vec<$crate::campaign::PopulationTally>, $crate::StoreError> {
                let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
                    "SELECT commune_code, province_code, adults, households, households_covered \
                     FROM population_tally WHERE province_code = $1 AND ($2 IS NULL OR commune_code = $2) \
                     ORDER BY commune_code",
                )
                .bind(province)
                .bind(commune)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(commune_code, province_code, a, h, hc)| $crate::campaign::PopulationTally {
                        commune_code,
                        province_code,
                        adults: a.max(0) as u64,
                        households: h.max(0) as u64,
                        households_covered: hc.max(0) as u64,
                    })
                    .collect())
            }

            async fn coverage_daily(
                &self,
                province: &str,
                commune: Option<&str>,
            ) -> Result<Vec<$crate::campaign::DailyDelta>, $crate::StoreError> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT day, covered_delta FROM coverage_daily \
                     WHERE province_code = $1 AND commune_code = $2 ORDER BY day",
                )
                .bind(province)
                .bind(commune.unwrap_or(""))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(day, covered_delta)| $crate::campaign::DailyDelta {
                        day: kyso_core::CampaignDay(day),
                        covered_delta,
                    })
                    .collect())
            }

            async fn rebuild_coverage(&self, at: kyso_core::UnixTime) -> Result<(), $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                for sql in $crate::campaign::REBUILD_COVERAGE {
                    let q = sqlx::query(*sql);
                    let q = if sql.contains("$1") { q.bind(at.seconds()) } else { q };
                    q.execute(&mut *tx).await?;
                }
                append_audit(
                    &mut tx,
                    at,
                    &[$crate::AuditEntry {
                        action: "coverage.rebuild".into(),
                        subject: "coverage".into(),
                        detail: String::new(),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_campaign(
                &self,
                c: &$crate::campaign::CampaignRecord,
            ) -> Result<(), $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO campaigns (id, name, province_code, communes, target_permille, phases, \
                         providers, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&c.id)
                .bind(&c.name)
                .bind(&c.province_code)
                .bind($crate::campaign::json_list(&c.communes))
                .bind(i64::from(c.target_permille))
                .bind(&c.phases)
                .bind($crate::campaign::json_list(&c.providers))
                .bind(c.created_at.seconds())
                .bind(&c.created_by)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::StoreError::from_insert(e, format!("campaign {}", c.id)))?;
                append_audit(
                    &mut tx,
                    c.created_at,
                    &[$crate::AuditEntry {
                        action: "campaign.create".into(),
                        subject: c.id.clone(),
                        detail: format!(
                            "province={} target_permille={} by={}",
                            c.province_code, c.target_permille, c.created_by
                        ),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn campaigns(
                &self,
                province: &str,
            ) -> Result<Vec<$crate::campaign::CampaignRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, String, String, i64, String, String, i64, String)> =
                    sqlx::query_as(
                        "SELECT id, name, province_code, communes, target_permille, phases, providers, \
                             created_at, created_by FROM campaigns WHERE province_code = $1 \
                         ORDER BY created_at DESC, id",
                    )
                    .bind(province)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map(|(id, name, province_code, communes, target, phases, providers, at, by)| {
                        Ok($crate::campaign::CampaignRecord {
                            id,
                            name,
                            province_code,
                            communes: $crate::campaign::parse_list(&communes)?,
                            target_permille: u32::try_from(target).map_err(|_| {
                                $crate::StoreError::Corrupt(format!("campaign target {target}"))
                            })?,
                            phases,
                            providers: $crate::campaign::parse_list(&providers)?,
                            created_at: kyso_core::UnixTime(at),
                            created_by: by,
                        })
                    })
                    .collect()
            }

            async fn outreach_households(
                &self,
                filter: &$crate::campaign::HouseholdFilter,
            ) -> Result<Vec<$crate::campaign::OutreachHousehold>, $crate::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                    "SELECT h.id, h.commune_code, h.village, h.address, h.covered_adults, h.assigned_to, \
                         h.last_outcome, h.last_visit_at, h.revisit_on FROM households h",
                );
                push_household_filter(&mut qb, filter, true);
                let rows: Vec<$crate::campaign::HouseholdRow> =
                    qb.build_query_as().fetch_all(&self.pool).await?;
                households_with_adults(&self.pool, rows).await
            }

            async fn count_outreach_households(
                &self,
                filter: &$crate::campaign::HouseholdFilter,
            ) -> Result<u64, $crate::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                    "SELECT COUNT(*) FROM households h",
                );
                push_household_filter(&mut qb, filter, false);
                let (n,): (i64,) = qb.build_query_as().fetch_one(&self.pool).await?;
                Ok(n.max(0) as u64)
            }

            async fn outreach_household(
                &self,
                commune: &str,
                id: &str,
            ) -> Result<Option<$crate::campaign::OutreachHousehold>, $crate::StoreError> {
                let rows: Vec<$crate::campaign::HouseholdRow> = sqlx::query_as(
                    "SELECT h.id, h.commune_code, h.village, h.address, h.covered_adults, h.assigned_to, \
                         h.last_outcome, h.last_visit_at, h.revisit_on FROM households h \
                     WHERE h.commune_code = $1 AND h.id = $2",
                )
                .bind(commune)
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                Ok(households_with_adults(&self.pool, rows).await?.pop())
            }

            async fn village_tallies(
                &self,
                commune: &str,
            ) -> Result<Vec<$crate::campaign::VillageTally>, $crate::StoreError> {
                let rows: Vec<(Option<String>, i64, i64, i64)> = sqlx::query_as(
                    "SELECT village, COUNT(*), \
                         CAST(SUM(CASE WHEN covered_adults = 0 THEN 1 ELSE 0 END) AS BIGINT), \
                         CAST(SUM(CASE WHEN assigned_to IS NULL THEN 0 ELSE 1 END) AS BIGINT) \
                     FROM households WHERE commune_code = $1 GROUP BY village ORDER BY village",
                )
                .bind(commune)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(village, h, u, a)| $crate::campaign::VillageTally {
                        village,
                        households: h.max(0) as u64,
                        uncovered: u.max(0) as u64,
                        assigned: a.max(0) as u64,
                    })
                    .collect())
            }

            async fn uncovered_adults(
                &self,
                commune: &str,
                village: Option<&str>,
                after: Option<(&str, &str)>,
                limit: u32,
            ) -> Result<Vec<$crate::campaign::OutreachAdult>, $crate::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                    "SELECT p.cccd, p.full_name, p.birth_date, p.sex, p.phone, p.covered, p.household_id, \
                         h.village FROM people p JOIN households h ON h.id = p.household_id \
                     WHERE p.commune_code = ",
                );
                qb.push_bind(commune.to_owned()).push(" AND p.covered = 0");
                if let Some(v) = village {
                    qb.push(" AND h.village = ").push_bind(v.to_owned());
                }
                if let Some((household, cccd)) = after {
                    qb.push(" AND (p.household_id > ")
                        .push_bind(household.to_owned())
                        .push(" OR (p.household_id = ")
                        .push_bind(household.to_owned())
                        .push(" AND p.cccd > ")
                        .push_bind(cccd.to_owned())
                        .push("))");
                }
                qb.push(" ORDER BY p.household_id, p.cccd LIMIT ").push_bind(i64::from(limit.max(1)));
                let rows: Vec<$crate::campaign::AdultRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn assign_households(
                &self,
                commune: &str,
                ids: &[String],
                member: Option<&str>,
                by: &str,
                at: kyso_core::UnixTime,
            ) -> Result<u64, $crate::StoreError> {
                if ids.is_empty() {
                    return Ok(0);
                }
                let mut tx = self.begin_write().await?;
                let mut changed = 0u64;
                for chunk in ids.chunks($crate::population::KEYS_PER_LOOKUP) {
                    let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                        "UPDATE households SET assigned_to = ",
                    );
                    qb.push_bind(member.map(str::to_owned))
                        .push(", assigned_at = ")
                        .push_bind(member.map(|_| at.seconds()))
                        .push(" WHERE commune_code = ")
                        .push_bind(commune.to_owned())
                        .push(" AND id IN (");
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(id.clone());
                    }
                    qb.push(")");
                    changed += qb.build().execute(&mut *tx).await?.rows_affected();
                }
                append_audit(
                    &mut tx,
                    at,
                    &[$crate::AuditEntry {
                        action: "outreach.assign".into(),
                        subject: commune.to_owned(),
                        detail: format!(
                            "member={} households={changed} by={by}",
                            member.unwrap_or("-")
                        ),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok(changed)
            }

            async fn record_visit(
                &self,
                v: &$crate::campaign::VisitRecord,
                assignee: Option<&str>,
            ) -> Result<bool, $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE households SET last_outcome = $1, last_visit_at = $2, revisit_on = $3 \
                     WHERE id = $4 AND commune_code = $5 AND ($6 IS NULL OR assigned_to = $6)",
                )
                .bind(v.outcome.as_str())
                .bind(v.at.seconds())
                .bind(v.revisit_on.map(|d| d.0))
                .bind(&v.household_id)
                .bind(&v.commune_code)
                .bind(assignee)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO visits (household_id, commune_code, province_code, member, at, day, outcome, \
                         revisit_on, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&v.household_id)
                .bind(&v.commune_code)
                .bind(&v.province_code)
                .bind(&v.member)
                .bind(v.at.seconds())
                .bind(kyso_core::CampaignDay::of(v.at).0)
                .bind(v.outcome.as_str())
                .bind(v.revisit_on.map(|d| d.0))
                .bind(&v.note)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn visits_of(
                &self,
                household_id: &str,
            ) -> Result<Vec<$crate::campaign::VisitRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, String, String, i64, String, Option<i64>, Option<String>)> =
                    sqlx::query_as(
                        "SELECT household_id, commune_code, province_code, member, at, outcome, revisit_on, note \
                         FROM visits WHERE household_id = $1 ORDER BY at, id",
                    )
                    .bind(household_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map(|(household_id, commune_code, province_code, member, at, outcome, revisit, note)| {
                        Ok($crate::campaign::VisitRecord {
                            household_id,
                            commune_code,
                            province_code,
                            member,
                            at: kyso_core::UnixTime(at),
                            outcome: $crate::campaign::parse_outcome(&outcome)?,
                            revisit_on: revisit.map(kyso_core::CampaignDay),
                            note,
                        })
                    })
                    .collect()
            }

            async fn visit_tallies(
                &self,
                province: &str,
                commune: Option<&str>,
                from: kyso_core::CampaignDay,
                to: kyso_core::CampaignDay,
            ) -> Result<Vec<$crate::campaign::VisitTally>, $crate::StoreError> {
                let rows: Vec<(String, String, i64, String, i64)> = sqlx::query_as(
                    "SELECT commune_code, member, day, outcome, COUNT(*) FROM visits \
                     WHERE province_code = $1 AND ($2 IS NULL OR commune_code = $2) AND day >= $3 AND day <= $4 \
                     GROUP BY commune_code, member, day, outcome ORDER BY day, commune_code, member, outcome",
                )
                .bind(province)
                .bind(commune)
                .bind(from.0)
                .bind(to.0)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(commune_code, member, day, outcome, n)| {
                        Ok($crate::campaign::VisitTally {
                            commune_code,
                            member,
                            day: kyso_core::CampaignDay(day),
                            outcome: $crate::campaign::parse_outcome(&outcome)?,
                            visits: n.max(0) as u64,
                        })
                    })
                    .collect()
            }

            async fn insert_training(
                &self,
                t: &$crate::campaign::TrainingRecord,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO training_sessions (id, commune_code, province_code, place, starts_at, topic, \
                         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&t.id)
                .bind(&t.commune_code)
                .bind(&t.province_code)
                .bind(&t.place)
                .bind(t.starts_at.seconds())
                .bind(&t.topic)
                .bind(&t.created_by)
                .bind(t.created_at.seconds())
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::StoreError::from_insert(e, format!("training session {}", t.id)))?;
                Ok(())
            }

            async fn training_sessions(
                &self,
                commune: &str,
                from: kyso_core::UnixTime,
            ) -> Result<Vec<$crate::campaign::TrainingRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, String, String, i64, String, String, i64)> = sqlx::query_as(
                    "SELECT id, commune_code, province_code, place, starts_at, topic, created_by, created_at \
                     FROM training_sessions WHERE commune_code = $1 AND starts_at >= $2 ORDER BY starts_at, id",
                )
                .bind(commune)
                .bind(from.seconds())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(training_from_row).collect())
            }

            async fn get_training(
                &self,
                id: &str,
            ) -> Result<Option<$crate::campaign::TrainingRecord>, $crate::StoreError> {
                let row: Option<(String, String, String, String, i64, String, String, i64)> = sqlx::query_as(
                    "SELECT id, commune_code, province_code, place, starts_at, topic, created_by, created_at \
                     FROM training_sessions WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(training_from_row))
            }

            async fn add_attendee(
                &self,
                session: &str,
                cccd: &str,
                at: kyso_core::UnixTime,
            ) -> Result<bool, $crate::StoreError> {
                let added = sqlx::query(
                    "INSERT INTO training_attendees (session_id, cccd, added_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (session_id, cccd) DO NOTHING",
                )
                .bind(session)
                .bind(cccd)
                .bind(at.seconds())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(added == 1)
            }

            async fn attendees(
                &self,
                session: &str,
            ) -> Result<Vec<$crate::campaign::AttendeeRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
                    "SELECT a.cccd, p.full_name, p.covered, a.added_at FROM training_attendees a \
                     JOIN people p ON p.cccd = a.cccd WHERE a.session_id = $1 ORDER BY a.added_at, a.cccd",
                )
                .bind(session)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(cccd, full_name, covered, at)| $crate::campaign::AttendeeRecord {
                        cccd,
                        full_name,
                        covered: covered != 0,
                        added_at: kyso_core::UnixTime(at),
                    })
                    .collect())
            }
        }

        fn training_from_row(
            (id, commune_code, province_code, place, starts_at, topic, created_by, created_at): (
                String,
                String,
                String,
                String,
                i64,
                String,
                String,
                i64,
            ),
        ) -> $crate::campaign::TrainingRecord {
            $crate::campaign::TrainingRecord {
                id,
                commune_code,
                province_code,
                place,
                starts_at: kyso_core::UnixTime(starts_at),
                topic,
                created_by,
                created_at: kyso_core::UnixTime(created_at),
            }
        }
    };
}

pub(crate) use impl_campaign_store;
