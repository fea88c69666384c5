//! Citizen services' storage: staff accounts and their scopes, the access log of staff
//! reads of personal data, one-time codes to the registered phone and the SMS outbox.

use crate::StoreError;
use async_trait::async_trait;
use kyso_core::UnixTime;

/// What a staff member may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// A commune officer (field enrolment): citizens registered in one commune.
    Commune,
    /// A provider's staff: citizens enrolled with that provider.
    Provider,
    /// A province administrator: every citizen of the province.
    Province,
    /// A member of a commune's community digital team (scope = the commune): the
    /// households assigned to them.
    Team,
}

impl StaffRole {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Commune => "commune",
            StaffRole::Provider => "provider",
            StaffRole::Province => "province",
            StaffRole::Team => "team",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            StaffRole::Commune,
            StaffRole::Provider,
            StaffRole::Province,
            StaffRole::Team,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    /// Login name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: StaffRole,
    /// Commune code, provider id or province code, by role.
    pub scope: String,
    /// Salt ‖ peppered HMAC of the password.
    pub password_hash: Vec<u8>,
    /// When created.
    pub created_at: UnixTime,
}

/// One staff read of a citizen's personal data, allowed or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    /// When.
    pub at: UnixTime,
    /// Who (staff id).
    pub staff: String,
    /// Whose data.
    pub cccd: String,
    /// Why, as the staff member stated it.
    pub reason: String,
    /// What was read (`citizen`, `enrolment`, …).
    pub what: String,
    /// Whether the read was allowed by the staff member's scope.
    pub allowed: bool,
}

/// A one-time code sent to a citizen's phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpChallenge {
    /// Identifier (random, given to the browser).
    pub id: String,
    /// The citizen.
    pub cccd: String,
    /// What it is for (`enrol`, `login`).
    pub purpose: String,
    /// Salt ‖ peppered HMAC of the code.
    pub code_hash: Vec<u8>,
    /// Attempts so far.
    pub attempts: u32,
    /// End of validity.
    pub expires_at: UnixTime,
    /// When created.
    pub created_at: UnixTime,
}

/// A message handed to the SMS gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsRecord {
    /// Sequence number.
    pub id: i64,
    /// Recipient (the registered phone).
    pub phone: String,
    /// Text.
    pub body: String,
    /// When queued.
    pub created_at: UnixTime,
}

/// Citizen-services storage.
#[async_trait]
pub trait CitizenStore: Send + Sync {
    /// Adds a staff account. [`StoreError::Duplicate`] if the id exists.
    async fn insert_staff(&self, staff: &StaffRecord) -> Result<(), StoreError>;
    /// A staff account.
    async fn get_staff(&self, id: &str) -> Result<Option<StaffRecord>, StoreError>;
    /// Every staff account, by id.
    async fn list_staff(&self) -> Result<Vec<StaffRecord>, StoreError>;
    /// Records a staff read (or refused read) of a citizen's data.
    async fn log_access(&self, entry: &AccessRecord) -> Result<(), StoreError>;
    /// Access-log entries about a citizen and/or by a staff member, newest first.
    async fn access_log(
        &self,
        cccd: Option<&str>,
        staff: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AccessRecord>, StoreError>;
    /// Stores a challenge and queues its SMS in one transaction: a code is sent exactly
    /// when it can be checked. Unless `max` codes were already created for the citizen
    /// since `since`: then nothing is stored and false is returned. The count and the
    /// insert are one serialised step, so concurrent requests cannot exceed the limit.
    async fn insert_otp(
        &self,
        challenge: &OtpChallenge,
        phone: &str,
        body: &str,
        since: UnixTime,
        max: u32,
    ) -> Result<bool, StoreError>;
    /// Codes created for a citizen since `since` (rate limit).
    async fn otps_since(&self, cccd: &str, since: UnixTime) -> Result<u32, StoreError>;
    /// Counts one attempt at a challenge that is unused, unexpired and under
    /// `max_attempts`, and returns it (the caller then compares the code). None otherwise.
    async fn attempt_otp(
        &self,
        id: &str,
        now: UnixTime,
        max_attempts: u32,
    ) -> Result<Option<OtpChallenge>, StoreError>;
    /// Marks a challenge used. False if it was used already (a replay lost the race).
    async fn use_otp(&self, id: &str, now: UnixTime) -> Result<bool, StoreError>;
    /// Queues a notice for the SMS gateway.
    async fn queue_sms(&self, phone: &str, body: &str, at: UnixTime) -> Result<(), StoreError>;
    /// The SMS outbox, newest first, optionally for one phone.
    async fn sms_outbox(
        &self,
        phone: Option<&str>,
        limit: u32,
    ) -> Result<Vec<SmsRecord>, StoreError>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct StaffRow {
    id: String,
    name: String,
    role: String,
    scope: String,
    password_hash: Vec<u8>,
    created_at: i64,
}

impl TryFrom<StaffRow> for StaffRecord {
    type Error = StoreError;
    fn try_from(r: StaffRow) -> Result<Self, StoreError> {
        Ok(StaffRecord {
            role: StaffRole::parse(&r.role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown staff role {:?}", r.role)))?,
            id: r.id,
            name: r.name,
            scope: r.scope,
            password_hash: r.password_hash,
            created_at: UnixTime(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OtpRow {
    id: String,
    cccd: String,
    purpose: String,
    code_hash: Vec<u8>,
    attempts: i64,
    expires_at: i64,
    created_at: i64,
}

impl From<OtpRow> for OtpChallenge {
    fn from(r: OtpRow) -> Self {
        OtpChallenge {
            id: r.id,
            cccd: r.cccd,
            purpose: r.purpose,
            code_hash: r.code_hash,
            attempts: r.attempts.clamp(0, i64::from(u32::MAX)) as u32,
            expires_at: UnixTime(r.expires_at),
            created_at: UnixTime(r.created_at),
        }
    }
}

macro_rules! impl_citizen_store {
    // `$lock` locks the selected row for the transaction (PostgreSQL `FOR UPDATE`; SQLite
    // write transactions are serialised already).
    ($ty:ty, $lock:literal) => {
        #[async_trait::async_trait]
        impl $crate::citizens::CitizenStore for $ty {
            async fn insert_staff(
                &self,
                s: &$crate::citizens::StaffRecord,
            ) -> Result<(), $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO staff (id, name, role, scope, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&s.id)
                .bind(&s.name)
                .bind(s.role.as_str())
                .bind(&s.scope)
                .bind(&s.password_hash)
                .bind(s.created_at.seconds())
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::StoreError::from_insert(e, format!("staff account {}", s.id)))?;
                append_audit(
                    &mut tx,
                    s.created_at,
                    &[$crate::AuditEntry {
                        action: "staff.add".into(),
                        subject: s.id.clone(),
                        detail: format!("role={} scope={}", s.role.as_str(), s.scope),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_staff(
                &self,
                id: &str,
            ) -> Result<Option<$crate::citizens::StaffRecord>, $crate::StoreError> {
                let row: Option<$crate::citizens::StaffRow> = sqlx::query_as(
                    "SELECT id, name, role, scope, password_hash, created_at FROM staff WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_staff(&self) -> Result<Vec<$crate::citizens::StaffRecord>, $crate::StoreError> {
                let rows: Vec<$crate::citizens::StaffRow> = sqlx::query_as(
                    "SELECT id, name, role, scope, password_hash, created_at FROM staff ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn log_access(
                &self,
                e: &$crate::citizens::AccessRecord,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO access_log (at, staff, cccd, reason, what, allowed) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(e.at.seconds())
                .bind(&e.staff)
                .bind(&e.cccd)
                .bind(&e.reason)
                .bind(&e.what)
                .bind(i64::from(e.allowed))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn access_log(
                &self,
                cccd: Option<&str>,
                staff: Option<&str>,
                limit: u32,
            ) -> Result<Vec<$crate::citizens::AccessRecord>, $crate::StoreError> {
                let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
                    "SELECT at, staff, cccd, reason, what, allowed FROM access_log \
                     WHERE ($1 = '' OR cccd = $1) AND ($2 = '' OR staff = $2) ORDER BY id DESC LIMIT $3",
                )
                .bind(cccd.unwrap_or(""))
                .bind(staff.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(at, staff, cccd, reason, what, allowed)| $crate::citizens::AccessRecord {
                        at: kyso_core::UnixTime(at),
                        staff,
                        cccd,
                        reason,
                        what,
                        allowed: allowed != 0,
                    })
                    .collect())
            }

            async fn insert_otp(
                &self,
                c: &$crate::citizens::OtpChallenge,
                phone: &str,
                body: &str,
                since: kyso_core::UnixTime,
                max: u32,
            ) -> Result<bool, $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                // Concurrent requests for one citizen wait here for each other, so each
                // counts the codes the others committed.
                sqlx::query(concat!("SELECT cccd FROM people WHERE cccd = $1", $lock))
                    .bind(&c.cccd)
                    .fetch_optional(&mut *tx)
                    .await?;
                let sent: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM otp_challenges WHERE cccd = $1 AND created_at >= $2",
                )
                .bind(&c.cccd)
                .bind(since.seconds())
                .fetch_one(&mut *tx)
                .await?;
                if sent >= i64::from(max) {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO otp_challenges (id, cccd, purpose, code_hash, attempts, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, 0, $5, $6)",
                )
                .bind(&c.id)
                .bind(&c.cccd)
                .bind(&c.purpose)
                .bind(&c.code_hash)
                .bind(c.expires_at.seconds())
                .bind(c.created_at.seconds())
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::StoreError::from_insert(e, "one-time code".into()))?;
                sqlx::query("INSERT INTO sms_outbox (phone, body, created_at) VALUES ($1, $2, $3)")
                    .bind(phone)
                    .bind(body)
                    .bind(c.created_at.seconds())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn otps_since(
                &self,
                cccd: &str,
                since: kyso_core::UnixTime,
            ) -> Result<u32, $crate::StoreError> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM otp_challenges WHERE cccd = $1 AND created_at >= $2",
                )
                .bind(cccd)
                .bind(since.seconds())
                .fetch_one(&self.pool)
                .await?;
                Ok(n.clamp(0, i64::from(u32::MAX)) as u32)
            }

            async fn attempt_otp(
                &self,
                id: &str,
                now: kyso_core::UnixTime,
                max_attempts: u32,
            ) -> Result<Option<$crate::citizens::OtpChallenge>, $crate::StoreError> {
                let row: Option<$crate::citizens::OtpRow> = sqlx::query_as(
                    "UPDATE otp_challenges SET attempts = attempts + 1 \
                     WHERE id = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3 \
                     RETURNING id, cccd, purpose, code_hash, attempts, expires_at, created_at",
                )
                .bind(id)
                .bind(now.seconds())
                .bind(i64::from(max_attempts))
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn use_otp(&self, id: &str, now: kyso_core::UnixTime) -> Result<bool, $crate::StoreError> {
                let n = sqlx::query("UPDATE otp_challenges SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
                    .bind(id)
                    .bind(now.seconds())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn queue_sms(
                &self,
                phone: &str,
                body: &str,
                at: kyso_core::UnixTime,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("INSERT INTO sms_outbox (phone, body, created_at) VALUES ($1, $2, $3)")
                    .bind(phone)
                    .bind(body)
                    .bind(at.seconds())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn sms_outbox(
                &self,
                phone: Option<&str>,
                limit: u32,
            ) -> Result<Vec<$crate::citizens::SmsRecord>, $crate::StoreError> {
                let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
                    "SELECT id, phone, body, created_at FROM sms_outbox WHERE ($1 = '' OR phone = $1) \
                     ORDER BY id DESC LIMIT $2",
                )
                .bind(phone.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, phone, body, at)| $crate::citizens::SmsRecord {
                        id,
                        phone,
                        body,
                        created_at: kyso_core::UnixTime(at),
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use impl_citizen_store;
