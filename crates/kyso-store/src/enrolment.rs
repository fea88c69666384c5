//! Campaign enrolments: which provider issued a citizen's campaign certificate, through
//! which channel. At most one is active per citizen — a partial unique index, not a
//! check-then-insert — and the certificate is stored in the same transaction as its
//! enrolment, so a refused enrolment leaves no certificate behind.

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
    ) -> Result<(), StoreError>;
    /// The citizen's active enrolment.
    async fn active_enrolment(&self, cccd: &str) -> Result<Option<EnrolmentRecord>, StoreError>;
    /// Switches the citizen to another provider in one transaction: the active enrolment
    /// ends (`superseded`), its certificate is revoked with reason superseded, and the new
    /// certificate and enrolment are stored. Nothing changes if any step is refused.
    async fn switch_enrolment(
        &self,
        issuance: &NewIssuance,
        enrolment: &EnrolmentRecord,
    ) -> Result<EnrolmentRecord, StoreError>;
}

/// Refuses a certificate that is not the enrolment's, for the enrolment's citizen.
pub(crate) fn check_pair(issuance: &NewIssuance, e: &EnrolmentRecord) -> Result<(), StoreError> {
    let subject = format!("CCCD:{}", e.cccd);
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
            ) -> Result<(), $crate::StoreError> {
                // The certificate must be the enrolment's, for the enrolment's citizen: a
                // mix-up here would slip past the one-per-citizen rule.
                $crate::enrolment::check_pair(issuance, e)?;
                let mut tx = self.begin_write().await?;
                insert_enrolment(&mut tx, issuance, e).await?;
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
                let row: Option<(String, String, String, String, String, i64)> = sqlx::query_as(
                    "SELECT id, cccd, provider, channel, serial, created_at FROM enrolments \
                     WHERE cccd = $1 AND status = 'active'",
                )
                .bind(cccd)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id, cccd, provider, channel, serial, at)| {
                    Ok($crate::enrolment::EnrolmentRecord {
                        id,
                        cccd,
                        provider,
                        channel: $crate::enrolment::Channel::parse(&channel).ok_or_else(|| {
                            $crate::StoreError::Corrupt(format!("unknown enrolment channel {channel:?}"))
                        })?,
                        serial,
                        active: true,
                        created_at: kyso_core::UnixTime(at),
                    })
                })
                .transpose()
            }

            async fn switch_enrolment(
                &self,
                issuance: &$crate::NewIssuance,
                e: &$crate::enrolment::EnrolmentRecord,
            ) -> Result<$crate::enrolment::EnrolmentRecord, $crate::StoreError> {
                $crate::enrolment::check_pair(issuance, e)?;
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
                if old_provider == e.provider {
                    return Err($crate::StoreError::Corrupt(format!(
                        "citizen {} is already with provider {}",
                        e.cccd, e.provider
                    )));
                }
                let ended = sqlx::query(
                    "UPDATE enrolments SET status = 'ended', ended_at = $1, end_reason = 'superseded' \
                     WHERE id = $2 AND status = 'active'",
                )
                .bind(e.created_at.seconds())
                .bind(&old_id)
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
                insert_enrolment(&mut tx, issuance, e).await?;
                append_audit(
                    &mut tx,
                    e.created_at,
                    &[$crate::AuditEntry {
                        action: "enrolment.switch".into(),
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
