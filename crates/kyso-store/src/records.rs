use crate::StoreError;
use kyso_core::{CertStatus, RevocationReason, UnixTime};
use kyso_keys::{Custody, KeyAlgorithm, KeyRecord};

/// A certificate as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertificateRecord {
    /// Serial, lower-case hex.
    pub serial: String,
    /// Slug of the issuing authority (`root` for the self-signed root).
    pub issuer: String,
    /// Profile name (`citizen`, `seal`, …).
    pub profile: String,
    /// Subject, one line.
    pub subject: String,
    /// The subject's identifier (`CCCD:…`), if any.
    pub subject_id: Option<String>,
    /// Start of validity.
    pub not_before: UnixTime,
    /// End of validity.
    pub not_after: UnixTime,
    /// The certificate, DER.
    #[serde(skip)]
    pub der: Vec<u8>,
    /// Key generated in custody for it, if any (none for CSR issuance).
    pub key_id: Option<String>,
    /// CRL shard.
    pub crl_shard: u16,
    /// Recorded status.
    pub status: CertStatus,
    /// Reason of the last suspension or revocation.
    pub status_reason: Option<RevocationReason>,
    /// When the status last changed.
    pub status_changed_at: Option<UnixTime>,
    /// When the record was stored.
    pub created_at: UnixTime,
}

/// One issuance to store: the certificate, and the key generated for it if any.
#[derive(Debug, Clone)]
pub struct NewIssuance {
    /// Key generated in custody (None when the subscriber sent a CSR).
    pub key: Option<KeyRecord>,
    /// The certificate.
    pub cert: CertificateRecord,
}

/// An authority to record at initialisation: its key, certificate and role.
#[derive(Debug, Clone)]
pub struct NewAuthority {
    /// Its key.
    pub key: KeyRecord,
    /// Its certificate.
    pub cert: CertificateRecord,
    /// Its role.
    pub authority: AuthorityRecord,
}

/// A CA or infrastructure signer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthorityRecord {
    /// Stable short name used in URLs (`root`, `citizen-ca`, `seal-ca`, `ocsp-citizen-ca`, `tsa`).
    pub slug: String,
    /// What it does (`root`, `issuing-ca`, `ocsp`, `tsa`).
    pub role: String,
    /// Serial of its certificate.
    pub serial: String,
    /// Its key.
    pub key_id: String,
    /// Signature scheme it signs with.
    pub scheme: String,
    /// When it was created.
    pub created_at: UnixTime,
}

/// One entry of a certificate's status history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusEvent {
    /// `revoke`, `suspend` or `resume`.
    pub event: String,
    /// CRL reason, for revoke and suspend.
    pub reason: Option<RevocationReason>,
    /// When.
    pub at: UnixTime,
}

/// Which certificates to list.
#[derive(Debug, Clone, Default)]
pub struct CertFilter {
    /// Only this status.
    pub status: Option<CertStatus>,
    /// Only serials greater than this (for paging).
    pub after_serial: Option<String>,
    /// At most this many (default: all).
    pub limit: Option<u32>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CertRow {
    pub serial: String,
    pub issuer: String,
    pub profile: String,
    pub subject: String,
    pub subject_id: Option<String>,
    pub not_before: i64,
    pub not_after: i64,
    pub der: Vec<u8>,
    pub key_id: Option<String>,
    pub crl_shard: i64,
    pub status: String,
    pub status_reason: Option<i64>,
    pub status_changed_at: Option<i64>,
    pub created_at: i64,
}

fn reason(code: Option<i64>) -> Result<Option<RevocationReason>, StoreError> {
    code.map(|c| {
        u8::try_from(c)
            .ok()
            .and_then(RevocationReason::from_code)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown CRL reason code {c}")))
    })
    .transpose()
}

impl TryFrom<CertRow> for CertificateRecord {
    type Error = StoreError;
    fn try_from(r: CertRow) -> Result<Self, StoreError> {
        Ok(CertificateRecord {
            status: r
                .status
                .parse()
                .map_err(|e: kyso_core::StatusError| StoreError::Corrupt(e.to_string()))?,
            status_reason: reason(r.status_reason)?,
            crl_shard: u16::try_from(r.crl_shard)
                .map_err(|_| StoreError::Corrupt(format!("crl shard {}", r.crl_shard)))?,
            serial: r.serial,
            issuer: r.issuer,
            profile: r.profile,
            subject: r.subject,
            subject_id: r.subject_id,
            not_before: UnixTime(r.not_before),
            not_after: UnixTime(r.not_after),
            der: r.der,
            key_id: r.key_id,
            status_changed_at: r.status_changed_at.map(UnixTime),
            created_at: UnixTime(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    pub id: String,
    pub algorithm: String,
    pub custody: String,
    pub public_key: Vec<u8>,
    pub material: Vec<u8>,
}

impl TryFrom<KeyRow> for KeyRecord {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        let corrupt = |e: kyso_keys::KeyError| StoreError::Corrupt(e.to_string());
        Ok(KeyRecord {
            algorithm: r.algorithm.parse::<KeyAlgorithm>().map_err(corrupt)?,
            custody: Custody::parse(&r.custody).map_err(corrupt)?,
            id: r.id,
            public_key_der: r.public_key,
            material: r.material,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuthorityRow {
    pub slug: String,
    pub role: String,
    pub serial: String,
    pub key_id: String,
    pub scheme: String,
    pub created_at: i64,
}

impl From<AuthorityRow> for AuthorityRecord {
    fn from(r: AuthorityRow) -> Self {
        AuthorityRecord {
            slug: r.slug,
            role: r.role,
            serial: r.serial,
            key_id: r.key_id,
            scheme: r.scheme,
            created_at: UnixTime(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub event: String,
    pub reason: Option<i64>,
    pub at: i64,
}

impl TryFrom<EventRow> for StatusEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(StatusEvent {
            reason: reason(r.reason)?,
            event: r.event,
            at: UnixTime(r.at),
        })
    }
}

/// A CRL entry: a certificate that is revoked or suspended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// Serial, lower-case hex.
    pub serial: String,
    /// Revoked or suspended.
    pub status: CertStatus,
    /// CRL reason (certificateHold for suspensions).
    pub reason: Option<RevocationReason>,
    /// When it was revoked or suspended.
    pub since: UnixTime,
}

/// One entry of the aggregated text `revoked_entries` reads: `serial status reason|- at`.
pub(crate) fn revoked_entry_from_text(row: &str) -> Result<RevokedEntry, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("revoked entry {row:?}"));
    let mut fields = row.split(' ');
    let (Some(serial), Some(status), Some(code), Some(at), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(corrupt());
    };
    let code = match code {
        "-" => None,
        c => Some(c.parse::<i64>().map_err(|_| corrupt())?),
    };
    let at: i64 = at.parse().map_err(|_| corrupt())?;
    if at == 0 {
        return Err(StoreError::Corrupt(format!(
            "{serial}: revoked without a time"
        )));
    }
    Ok(RevokedEntry {
        status: status
            .parse()
            .map_err(|e: kyso_core::StatusError| StoreError::Corrupt(e.to_string()))?,
        reason: reason(code)?,
        since: UnixTime(at),
        serial: serial.to_owned(),
    })
}
