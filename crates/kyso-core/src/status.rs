//! The three-state validity of Decree 23/2025/NĐ-CP: a certificate is valid only if it is
//! not expired, not suspended and not revoked. Expiry follows from time; suspension and
//! revocation are recorded events, and this module is the single place that decides which
//! events may follow which.

use std::fmt;
use std::str::FromStr;

/// Recorded status of a certificate (expiry is derived from `notAfter`, not recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertStatus {
    /// Neither suspended nor revoked.
    Valid,
    /// Temporarily unusable (CRL/OCSP reason `certificateHold`); may be resumed.
    Suspended,
    /// Permanently unusable.
    Revoked,
}

impl CertStatus {
    /// Lower-case name used in storage, CLI and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
        }
    }

    /// The status after `change`, or why the change is not allowed.
    pub fn apply(self, change: StatusChange) -> Result<CertStatus, StatusError> {
        use CertStatus::*;
        use StatusChange::*;
        match (self, change) {
            // certificateHold is a suspension, with its own event and its own way back.
            (_, Revoke(RevocationReason::CertificateHold)) => Err(StatusError::HoldIsSuspension),
            (Revoked, Revoke(_)) => Err(StatusError::AlreadyRevoked),
            (Revoked, Suspend) => Err(StatusError::AlreadyRevoked),
            (Revoked, Resume) => Err(StatusError::ResumeRevoked),
            (Valid | Suspended, Revoke(_)) => Ok(Revoked),
            (Valid, Suspend) => Ok(Suspended),
            (Suspended, Suspend) => Err(StatusError::AlreadySuspended),
            (Suspended, Resume) => Ok(Valid),
            (Valid, Resume) => Err(StatusError::NotSuspended),
        }
    }
}

impl fmt::Display for CertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CertStatus {
    type Err = StatusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "valid" => Ok(Self::Valid),
            "suspended" => Ok(Self::Suspended),
            "revoked" => Ok(Self::Revoked),
            other => Err(StatusError::UnknownStatus(other.to_owned())),
        }
    }
}

/// An event that changes a certificate's recorded status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StatusChange {
    /// Permanent revocation with an RFC 5280 reason.
    Revoke(RevocationReason),
    /// Suspension (`certificateHold`).
    Suspend,
    /// End of a suspension.
    Resume,
}

impl StatusChange {
    /// Short name stored in the status history.
    pub fn event_name(self) -> &'static str {
        match self {
            Self::Revoke(_) => "revoke",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
        }
    }
}

/// RFC 5280 §5.3.1 CRLReason. `certificateHold` and `removeFromCRL` are not offered for
/// revocation: they are expressed by [`StatusChange::Suspend`] and [`StatusChange::Resume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum RevocationReason {
    /// 0
    Unspecified,
    /// 1
    KeyCompromise,
    /// 2
    CaCompromise,
    /// 3
    AffiliationChanged,
    /// 4
    Superseded,
    /// 5
    CessationOfOperation,
    /// 6 — only as the reason of a suspension.
    CertificateHold,
    /// 9
    PrivilegeWithdrawn,
    /// 10
    AaCompromise,
}

impl RevocationReason {
    /// Every reason accepted by `revoke`, in RFC order.
    pub const REVOCATION_REASONS: [RevocationReason; 8] = [
        Self::Unspecified,
        Self::KeyCompromise,
        Self::CaCompromise,
        Self::AffiliationChanged,
        Self::Superseded,
        Self::CessationOfOperation,
        Self::PrivilegeWithdrawn,
        Self::AaCompromise,
    ];

    /// The CRLReason code.
    pub fn code(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::KeyCompromise => 1,
            Self::CaCompromise => 2,
            Self::AffiliationChanged => 3,
            Self::Superseded => 4,
            Self::CessationOfOperation => 5,
            Self::CertificateHold => 6,
            Self::PrivilegeWithdrawn => 9,
            Self::AaCompromise => 10,
        }
    }

    /// The reason with CRLReason `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Unspecified,
            1 => Self::KeyCompromise,
            2 => Self::CaCompromise,
            3 => Self::AffiliationChanged,
            4 => Self::Superseded,
            5 => Self::CessationOfOperation,
            6 => Self::CertificateHold,
            9 => Self::PrivilegeWithdrawn,
            10 => Self::AaCompromise,
            _ => return None,
        })
    }

    /// RFC 5280 ASN.1 name, e.g. `keyCompromise`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::CaCompromise => "cACompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
            Self::CertificateHold => "certificateHold",
            Self::PrivilegeWithdrawn => "privilegeWithdrawn",
            Self::AaCompromise => "aACompromise",
        }
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RevocationReason {
    type Err = StatusError;
    /// Accepts the RFC 5280 names case-insensitively (`keyCompromise`, `keycompromise`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let all = Self::REVOCATION_REASONS
            .iter()
            .chain(std::iter::once(&Self::CertificateHold));
        all.copied()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| StatusError::UnknownReason(s.to_owned()))
    }
}

/// Why a status change or status text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// Revocation is permanent.
    #[error("the certificate is already revoked")]
    AlreadyRevoked,
    /// A revoked certificate cannot come back.
    #[error("a revoked certificate cannot be resumed")]
    ResumeRevoked,
    /// certificateHold was given as a revocation reason.
    #[error("certificateHold is not a revocation reason: suspend the certificate instead")]
    HoldIsSuspension,
    /// Suspending twice.
    #[error("the certificate is already suspended")]
    AlreadySuspended,
    /// Resuming a certificate that is not suspended.
    #[error("the certificate is not suspended")]
    NotSuspended,
    /// Not one of valid, suspended, revoked.
    #[error("unknown status {0:?} (expected valid, suspended or revoked)")]
    UnknownStatus(String),
    /// Not an RFC 5280 reason name.
    #[error(
        "unknown revocation reason {0:?} (expected one of: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, aACompromise)"
    )]
    UnknownReason(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use CertStatus::*;
    use StatusChange::*;

    #[test]
    fn lifecycle_transitions() {
        let rev = Revoke(RevocationReason::KeyCompromise);
        assert_eq!(Valid.apply(Suspend), Ok(Suspended));
        assert_eq!(Suspended.apply(Resume), Ok(Valid));
        assert_eq!(Suspended.apply(rev), Ok(Revoked));
        assert_eq!(Valid.apply(rev), Ok(Revoked));
        assert_eq!(Revoked.apply(rev), Err(StatusError::AlreadyRevoked));
        assert_eq!(Revoked.apply(Resume), Err(StatusError::ResumeRevoked));
        assert_eq!(Revoked.apply(Suspend), Err(StatusError::AlreadyRevoked));
        assert_eq!(Suspended.apply(Suspend), Err(StatusError::AlreadySuspended));
        assert_eq!(Valid.apply(Resume), Err(StatusError::NotSuspended));
        let hold = Revoke(RevocationReason::CertificateHold);
        assert_eq!(Valid.apply(hold), Err(StatusError::HoldIsSuspension));
        assert_eq!(Suspended.apply(hold), Err(StatusError::HoldIsSuspension));
    }

    #[test]
    fn reasons_parse_and_round_trip() {
        for r in RevocationReason::REVOCATION_REASONS {
            assert_eq!(r.as_str().parse::<RevocationReason>(), Ok(r));
            assert_eq!(RevocationReason::from_code(r.code()), Some(r));
        }
        assert_eq!(
            "KEYCOMPROMISE".parse::<RevocationReason>(),
            Ok(RevocationReason::KeyCompromise)
        );
        assert!("lost".parse::<RevocationReason>().is_err());
        assert_eq!(RevocationReason::from_code(7), None);
    }
}
