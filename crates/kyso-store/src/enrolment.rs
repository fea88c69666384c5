//! Campaign enrolments: which provider issued a citizen's campaign certificate, through
//! which channel. At most one is active per citizen — a partial unique index, not a
//! check-then-insert — and the certificate is stored in the same transaction as its
//! enrolment, so a refused enrolment leaves no certificate behind.

use crate::credentials::{CredentialRecord, SignatureCounts};
use crate::{NewIssuance, StoreError};
use async_trait::async_trait;
use kyso_core::UnixTime;

/// A participating trust-service provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRecord {
    /// Short identifier (`vnpt-demo`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Slug of the issuing CA its certificates come from.
    pub issuer: String,
    /// When registered.
    pub created_at: UnixTime,
}

/// How a citizen enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Channel {
    /// A field officer at the citizen's home, with the CCCD card checked in person.
    DoorToDoor,
    /// Self-service online: registry match and a one-time code to the registered phone.
    Online,
    /// The provincial app (OpenID Connect login).
    ProvincialApp,
    /// VNeID (OpenID Connect login, level 2).
    Vneid,
}

impl Channel {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::DoorToDoor => "door_to_door",
            Channel::Online => "online",
            Channel::ProvincialApp => "provincial_app",
            Channel::Vneid => "vneid",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Channel::DoorToDoor,
            Channel::Online,
            Channel::ProvincialApp,
            Channel::Vneid,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// An enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentRecord {
    /// Identifier.
    pub id: String,
    /// The citizen.
    pub cccd: String,
    /// The provider.
    pub provider: String,
    /// The channel.
    pub channel: Channel,
    /// The certificate issued.
    pub serial: String,
    /// Whether it is the citizen's current campaign certificate.
    pub active: bool,
    /// When enrolled.
    pub created_at: UnixTime,
    /// When and why it ended (switch, renewal, revocation).
    pub ended: Option<(UnixTime, String)>,
}

/// Why an active enrolment is replaced by a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replacement {
    /// The citizen moves to another provider.
    SwitchProvider,
    /// A new certificate from the same provider before the old one expires.
    Renewal,
}

impl Replacement {
    /// The recorded end reason of the replaced enrolment.
    pub fn as_str(self) -> &'static str {
        match self {
            Replacement::SwitchProvider => "superseded",
            Replacement::Renewal => "renewed",
        }
    }
}

/// One provider's figures for the usage report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderUsage {
    /// The provider.
    pub provider: String,
    /// Active enrolments (campaign certificates in force).
    pub active: u64,
    /// Enrolments ever made, by channel (`as_str` order: door_to_door, online,
    /// provincial_app, vneid).
    pub by_channel: [u64; 4],
    /// Active enrolments still in their free year at the report's time.
    pub in_free_year: u64,
    /// Public-service signatures made free.
    pub signatures_free: u64,
    /// Signatures charged against quotas.
    pub signatures_charged: u64,
    /// Signatures refused for a used-up quota.
    pub signatures_refused: u64,
    /// Quota granted over the provider's credentials.
    pub quota: u64,
}

/// Enrolment storage.
#[async_trait]
pub trait EnrolmentStore: Send + Sync {
    /// Registers a provider with its authorities (issuing CA, OCSP signer), in one
    /// transaction. [`StoreError::Duplicate`] if the id or a slug exists.
    async fn insert_provider(
        &self,
        provider: &ProviderRecord,
        authorities: &[crate::NewAuthority],
    ) -> Result<(), StoreError>;
    /// Every provider, by id.
    async fn list_providers(&self) -> Result<Vec<ProviderRecord>, StoreError>;
    /// Stores the certificate (and its key) and the enrolment in one transaction.
    /// [`StoreError::Duplicate`] — and nothing stored — if the citizen already holds an
    /// active campaign certificate, however concurrent the attempts.
    async fn enrol(
        &self,
        issuance: &NewIssuance,
        enrolment: &EnrolmentRecord,
        credential: &CredentialRecord,
    ) -> Result<(), StoreError>;
    /// The citizen's active enrolment.
    async fn active_enrolment(&self, cccd: &str) -> Result<Option<EnrolmentRecord>, StoreError>;
    /// Every enrolment of the citizen, oldest first.
    async fn enrolments_of(&self, cccd: &str) -> Result<Vec<EnrolmentRecord>, StoreError>;
    /// Replaces the citizen's active enrolment in one transaction: it ends (`superseded`
    /// or `renewed`), its certificate is revoked with reason superseded, and the new
    /// certificate, credential and enrolment are stored. A switch must name another
    /// provider, a renewal the same one. Nothing changes if any step is refused.
    async fn switch_enrolment(
        &self,
        issuance: &NewIssuance,
        enrolment: &EnrolmentRecord,
        credential: &CredentialRecord,
        why: Replacement,
    ) -> Result<EnrolmentRecord, StoreError>;
    /// Adds `signatures` to a metered credential's quota (a provider sold a package), in
    /// one statement, so concurrent sales all count. The new quota, or None if the
    /// credential is unknown or not metered.
    async fn add_signature_quota(
        &self,
        credential_id: &str,
        signatures: u64,
        at: UnixTime,
    ) -> Result<Option<u64>, StoreError>;
    /// Records who suspended the enrolment's certificate (None when resumed).
    async fn set_suspended_by(
        &self,
        enrolment_id: &str,
        by: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Who suspended the enrolment's certificate, if recorded.
    async fn suspended_by(&self, enrolment_id: &str) -> Result<Option<String>, StoreError>;
    /// A credential's signature counters.
    async fn signature_counts(&self, credential_id: &str) -> Result<SignatureCounts, StoreError>;
    /// Per-provider figures (every provider, or one), at `now`.
    async fn usage_by_provider(
        &self,
        provider: Option<&str>,
        now: UnixTime,
    ) -> Result<Vec<ProviderUsage>, StoreError>;
    /// Stores enrolment rows as they are (active or ended), in multi-row INSERTs inside one
    /// transaction — for loads and benchmarks: the certificates must already be stored, no
    /// credential is created, nothing is audited, and coverage tallies are NOT refreshed;
    /// call [`crate::CampaignStore::rebuild_coverage`] afterwards.
    async fn insert_enrolments_bulk(&self, rows: &[EnrolmentRecord]) -> Result<(), StoreError>;
}

/// Refuses a certificate or credential that is not the enrolment's, for the enrolment's
/// citizen.
pub(crate) fn check_pair(
    issuance: &NewIssuance,
    e: &EnrolmentRecord,
    c: &CredentialRecord,
) -> Result<(), StoreError> {
    let subject = format!("CCCD:{}", e.cccd);
    if c.serial != e.serial || c.subject_id != subject {
        return Err(StoreError::Corrupt(format!(
            "enrolment {} of citizen {} comes with credential {} for {} ({})",
            e.id, e.cccd, c.id, c.subject_id, c.serial
        )));
    }
    if issuance.cert.serial != e.serial || issuance.cert.subject_id.as_deref() != Some(&subject) {
        return Err(StoreError::Corrupt(format!(
            "enrolment {} names certificate {} of citizen {}, but the certificate is {} for {:?}",
            e.id, e.serial, e.cccd, issuance.cert.serial, issuance.cert.subject_id
        )));
    }
    Ok(())
}

macro_rules! impl_enrolment_store {
    ($ty:ty) => {
        /// The certificate, its key and the active enrolment, inside `conn`'s transaction;
        /// the partial unique index refuses a second active enrolment.
        async fn insert_enrolment(
            conn: &mut <$crate::backend::DbOf<$ty> as sqlx::Database>::Connection,
            issuance: &$crate::NewIssuance,
            e: &$crate::enrolment::EnrolmentRecord,
            c: &$crate::credentials::CredentialRecord,
        ) -> Result<(), $crate::StoreError> {
            if let Some(key) = &issuance.key {
                insert_keys(&mut *conn, &[key], issuance.cert.created_at).await?;
            }
            insert_certs(&mut *conn, &[&issuance.cert]).await?;
            sqlx::query(
                "INSERT INTO enrolments (id, cccd, provider, channel, serial, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'active', $6)",
            )
            .bind(&e.id)
            .bind(&e.cccd)
            .bind(&e.provider)
            .bind(e.channel.as_str())
            .bind(&e.serial)
            .bind(e.created_at.seconds())
            .execute(&mut *conn)
            .await
            .map_err(|err| {
                $crate::StoreError::from_insert(
                    err,
                    format!("a campaign certificate for citizen {}", e.cccd),
                )
            })?;
            insert_credential_in(&mut *conn, c).await?;
            refresh_coverage(&mut *conn, &e.cccd, e.created_at).await?;
            Ok(())
        }

        #[async_trait::async_trait]
        impl $crate::enrolment::EnrolmentStore for $ty {
            async fn insert_provider(
                &self,
                p: &$crate::enrolment::ProviderRecord,
                authorities: &[$crate::NewAuthority],
            ) -> Result<(), $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                let mut entries = insert_authorities(&mut tx, authorities).await?;
                sqlx::query("INSERT INTO providers (id, name, issuer, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&p.id)
                    .bind(&p.name)
                    .bind(&p.issuer)
                    .bind(p.created_at.seconds())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::StoreError::from_insert(e, format!("provider {}", p.id)))?;
                entries.push($crate::AuditEntry {
                    action: "provider.add".into(),
                    subject: p.id.clone(),
                    detail: format!("name={} issuer={}", p.name, p.issuer),
                });
                append_audit(&mut tx, p.created_at, &entries).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_providers(
                &self,
            ) -> Result<Vec<$crate::enrolment::ProviderRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, String, i64)> =
                    sqlx::query_as("SELECT id, name, issuer, created_at FROM providers ORDER BY id")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, issuer, at)| $crate::enrolment::ProviderRecord {
                        id,
                        name,
                        issuer,
                        created_at: kyso_core::UnixTime(at),
                    })
                    .collect())
            }

            async fn enrol(
                &self,
                issuance: &$crate::NewIssuance,
                e: &$crate::enrolment::EnrolmentRecord,
                c: &$crate::credentials::CredentialRecord,
            ) -> Result<(), $crate::StoreError> {
                // The certificate must be the enrolment's, for the enrolment's citizen: a
                // mix-up here would slip past the one-per-citizen rule.
                $crate::enrolment::check_pair(issuance, e, c)?;
                let mut tx = self.begin_write().await?;
                insert_enrolment(&mut tx, issuance, e, c).await?;
                append_audit(
                    &mut tx,
                    e.created_at,
                    &[$crate::AuditEntry {
                        action: "enrolment.create".into(),
                        subject: e.cccd.clone(),
                        detail: format!(
                            "provider={} channel={} serial={}",
                            e.provider,
                            e.channel.as_str(),
                            e.serial
                        ),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn active_enrolment(
                &self,
                cccd: &str,
            ) -> Result<Option<$crate::enrolment::EnrolmentRecord>, $crate::StoreError> {
                let row: Option<$crate::enrolment::EnrolmentRow> = sqlx::query_as(
                    "SELECT id, cccd, provider, channel, serial, status, created_at, ended_at, end_reason \
                     FROM enrolments WHERE cccd = $1 AND status = 'active'",
                )
                .bind(cccd)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn enrolments_of(
                &self,
                cccd: &str,
            ) -> Result<Vec<$crate::enrolment::EnrolmentRecord>, $crate::StoreError> {
                let rows: Vec<$crate::enrolment::EnrolmentRow> = sqlx::query_as(
                    "SELECT id, cccd, provider, channel, serial, status, created_at, ended_at, end_reason \
                     FROM enrolments WHERE cccd = $1 ORDER BY created_at, id",
                )
                .bind(cccd)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn add_signature_quota(
                &self,
                credential_id: &str,
                signatures: u64,
                at: kyso_core::UnixTime,
            ) -> Result<Option<u64>, $crate::StoreError> {
                let n = i64::try_from(signatures).unwrap_or(i64::MAX);
                let mut tx = self.begin_write().await?;
                let quota: Option<i64> = sqlx::query_scalar(
                    "UPDATE credentials SET signature_quota = signature_quota + $1 \
                     WHERE id = $2 AND signature_quota IS NOT NULL RETURNING signature_quota",
                )
                .bind(n)
                .bind(credential_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(quota) = quota else {
                    return Ok(None);
                };
                append_audit(
                    &mut tx,
                    at,
                    &[$crate::AuditEntry {
                        action: "credential.quota".into(),
                        subject: credential_id.to_owned(),
                        detail: format!("added={n} quota={quota}"),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok(Some(quota.max(0) as u64))
            }

            async fn set_suspended_by(
                &self,
                enrolment_id: &str,
                by: Option<&str>,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("UPDATE enrolments SET suspended_by = $1 WHERE id = $2")
                    .bind(by)
                    .bind(enrolment_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn suspended_by(&self, enrolment_id: &str) -> Result<Option<String>, $crate::StoreError> {
                let by: Option<Option<String>> =
                    sqlx::query_scalar("SELECT suspended_by FROM enrolments WHERE id = $1")
                        .bind(enrolment_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(by.flatten())
            }

            async fn signature_counts(
                &self,
                credential_id: &str,
            ) -> Result<$crate::credentials::SignatureCounts, $crate::StoreError> {
                let row: Option<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT signatures_free, signatures_charged, signatures_refused FROM credentials WHERE id = $1",
                )
                .bind(credential_id)
                .fetch_optional(&self.pool)
                .await?;
                let (free, charged, refused) = row.unwrap_or_default();
                Ok($crate::credentials::SignatureCounts {
                    free: free.max(0) as u64,
                    charged: charged.max(0) as u64,
                    refused: refused.max(0) as u64,
                })
            }

            async fn usage_by_provider(
                &self,
                provider: Option<&str>,
                now: kyso_core::UnixTime,
            ) -> Result<Vec<$crate::enrolment::ProviderUsage>, $crate::StoreError> {
                // One pass over the enrolments with their credentials; the counters live
                // on the credentials, so an ended enrolment's signatures still count.
                // PostgreSQL sums BIGINTs as NUMERIC: cast back to read them as i64.
                let rows: Vec<(String, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT p.id, \
                       CAST(COALESCE(SUM(CASE WHEN e.status = 'active' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(CASE WHEN e.channel = 'door_to_door' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(CASE WHEN e.channel = 'online' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(CASE WHEN e.channel = 'provincial_app' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(CASE WHEN e.channel = 'vneid' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(CASE WHEN e.status = 'active' AND c.free_until > $1 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(c.signatures_free), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(c.signatures_charged), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(c.signatures_refused), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(c.signature_quota), 0) AS BIGINT), \
                       COUNT(e.id) \
                     FROM providers p \
                     LEFT JOIN enrolments e ON e.provider = p.id \
                     LEFT JOIN credentials c ON c.serial = e.serial \
                     WHERE $2 = '' OR p.id = $2 \
                     GROUP BY p.id ORDER BY p.id",
                )
                .bind(now.seconds())
                .bind(provider.unwrap_or(""))
                .fetch_all(&self.pool)
                .await?;
                let u = |v: i64| v.max(0) as u64;
                Ok(rows
                    .into_iter()
                    .map(|(id, active, d, o, a, v, free_year, free, charged, refused, quota, _)| {
                        $crate::enrolment::ProviderUsage {
                            provider: id,
                            active: u(active),
                            by_channel: [u(d), u(o), u(a), u(v)],
                            in_free_year: u(free_year),
                            signatures_free: u(free),
                            signatures_charged: u(charged),
                            signatures_refused: u(refused),
                            quota: u(quota),
                        }
                    })
                    .collect())
            }

            async fn insert_enrolments_bulk(
                &self,
                rows: &[$crate::enrolment::EnrolmentRecord],
            ) -> Result<(), $crate::StoreError> {
                let mut tx = self.begin_write().await?;
                for chunk in rows.chunks($crate::backend::ROWS_PER_STATEMENT) {
                    let mut qb = sqlx::QueryBuilder::<$crate::backend::DbOf<$ty>>::new(
                        "INSERT INTO enrolments \
                         (id, cccd, provider, channel, serial, status, created_at, ended_at, end_reason) ",
                    );
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(e.id.clone())
                            .push_bind(e.cccd.clone())
                            .push_bind(e.provider.clone())
                            .push_bind(e.channel.as_str())
                            .push_bind(e.serial.clone())
                            .push_bind(if e.active { "active" } else { "ended" })
                            .push_bind(e.created_at.seconds())
                            .push_bind(e.ended.as_ref().map(|(at, _)| at.seconds()))
                            .push_bind(e.ended.as_ref().map(|(_, why)| why.clone()));
                    });
                    qb.build().execute(&mut *tx).await.map_err(|err| {
                        $crate::StoreError::from_insert(err, "a bulk of enrolments".to_owned())
                    })?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn switch_enrolment(
                &self,
                issuance: &$crate::NewIssuance,
                e: &$crate::enrolment::EnrolmentRecord,
                c: &$crate::credentials::CredentialRecord,
                why: $crate::enrolment::Replacement,
            ) -> Result<$crate::enrolment::EnrolmentRecord, $crate::StoreError> {
                use $crate::enrolment::Replacement;
                $crate::enrolment::check_pair(issuance, e, c)?;
                let mut tx = self.begin_write().await?;
                let old: Option<(String, String, String)> = sqlx::query_as(
                    "SELECT id, provider, serial FROM enrolments WHERE cccd = $1 AND status = 'active'",
                )
                .bind(&e.cccd)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((old_id, old_provider, old_serial)) = old else {
                    return Err($crate::StoreError::Corrupt(format!(
                        "citizen {} has no campaign certificate to switch from",
                        e.cccd
                    )));
                };
                match why {
                    Replacement::SwitchProvider if old_provider == e.provider => {
                        return Err($crate::StoreError::Corrupt(format!(
                            "citizen {} is already with provider {}",
                            e.cccd, e.provider
                        )));
                    }
                    Replacement::Renewal if old_provider != e.provider => {
                        return Err($crate::StoreError::Corrupt(format!(
                            "citizen {}'s certificate is renewed by {old_provider}, not {}",
                            e.cccd, e.provider
                        )));
                    }
                    _ => {}
                }
                let ended = sqlx::query(
                    "UPDATE enrolments SET status = 'ended', ended_at = $1, end_reason = $3 \
                     WHERE id = $2 AND status = 'active'",
                )
                .bind(e.created_at.seconds())
                .bind(&old_id)
                .bind(why.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let revoked = ended == 1
                    && apply_status_change(
                        &mut tx,
                        &old_serial,
                        kyso_core::StatusChange::Revoke(kyso_core::RevocationReason::Superseded),
                        e.created_at,
                    )
                    .await?;
                if !revoked {
                    return Err($crate::StoreError::Duplicate(format!(
                        "a concurrent change to citizen {}'s campaign certificate; try again",
                        e.cccd
                    )));
                }
                insert_enrolment(&mut tx, issuance, e, c).await?;
                append_audit(
                    &mut tx,
                    e.created_at,
                    &[$crate::AuditEntry {
                        action: match why {
                            Replacement::SwitchProvider => "enrolment.switch".into(),
                            _ => "enrolment.renew".into(),
                        },
                        subject: e.cccd.clone(),
                        detail: format!(
                            "from={old_provider} old_serial={old_serial} to={} serial={}",
                            e.provider, e.serial
                        ),
                    }],
                )
                .await?;
                tx.commit().await?;
                Ok(e.clone())
            }
        }
    };
}

pub(crate) use impl_enrolment_store;

/// An `enrolments` row.
#[derive(sqlx::FromRow)]
pub(crate) struct EnrolmentRow {
    id: String,
    cccd: String,
    provider: String,
    channel: String,
    serial: String,
    status: String,
    created_at: i64,
    ended_at: Option<i64>,
    end_reason: Option<String>,
}

impl TryFrom<EnrolmentRow> for EnrolmentRecord {
    type Error = StoreError;

    fn try_from(r: EnrolmentRow) -> Result<Self, StoreError> {
        Ok(EnrolmentRecord {
            channel: Channel::parse(&r.channel).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown enrolment channel {:?}", r.channel))
            })?,
            active: r.status == "active",
            ended: r
                .ended_at
                .map(|at| (UnixTime(at), r.end_reason.unwrap_or_default())),
            id: r.id,
            cccd: r.cccd,
            provider: r.provider,
            serial: r.serial,
            created_at: UnixTime(r.created_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_trip() {
        for c in [
            Channel::DoorToDoor,
            Channel::Online,
            Channel::ProvincialApp,
            Channel::Vneid,
        ] {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("fax"), None);
    }
}
