//! The campaign's citizen services.
//!
//! A province gives every adult one campaign certificate (*chữ ký số*), from the provider
//! they choose. This crate holds the rules of that, over the CA (`kyso-ca`), the remote
//! signing service (`kyso-remote`) and the store:
//!
//! - **enrolment** through four channels, each proving who the citizen is differently —
//!   door to door (a field officer checks the CCCD card's QR text against the register),
//!   online (register match plus a one-time code to the registered phone), and the
//!   provincial app or VNeID (an OpenID Connect login at assurance level 2, verified by
//!   the web tier with `kyso-oidc`) — ending in one transaction that stores the key's
//!   certificate, the credential (PIN, optional TOTP) and the enrolment. The store's
//!   partial unique index, not a check here, makes it one certificate per citizen;
//! - **lifecycle**: suspend and resume (citizen or provider), revoke, switch provider and
//!   renew, each visible to OCSP and CRLs as soon as it commits;
//! - **the free year**: campaign credentials are metered — public-service signatures are
//!   free for [`Policy::free_months`] from the first campaign certificate, every other
//!   signature is charged against a quota (the check is in the signature's own write);
//! - **privacy**: staff see only their commune's or provider's citizens, every read (and
//!   refused read) is logged with who, when and why, and a citizen can download all that
//!   is held about them.
//!
//! Time comes from the CA's clock; nothing here reads the system time.

#![deny(missing_docs)]

mod enrol;
mod error;
mod lifecycle;
mod otp;
mod privacy;
mod secret;

pub use enrol::{Enrolled, EnrolmentRequest, OidcIdentity, Proof};
pub use error::CitizenError;
pub use otp::CodeSent;
pub use privacy::{Actor, Staff};

use kyso_ca::Ca;
use kyso_core::UnixTime;
use kyso_remote::RemoteSigning;
use kyso_store::Store;
use std::sync::Arc;

/// The campaign's rules that an operator may set (stored as settings, so every process on
/// the database agrees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Months from the first campaign certificate during which public-service signatures
    /// are free (Huế: 12).
    pub free_months: u32,
    /// Non-free signatures every campaign credential starts with.
    pub included_signatures: u64,
    /// A certificate may be renewed in its last this-many days.
    pub renewal_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            free_months: 12,
            included_signatures: 0,
            renewal_days: 30,
        }
    }
}

impl Policy {
    /// Setting keys and their meaning, for `kyso campaign policy` and the docs.
    pub const SETTINGS: [(&'static str, &'static str); 3] = [
        (
            "campaign.free_months",
            "months of free public-service signatures from the first campaign certificate",
        ),
        (
            "campaign.included_signatures",
            "non-free signatures each campaign credential starts with",
        ),
        (
            "campaign.renewal_days",
            "a certificate may be renewed in its last N days",
        ),
    ];

    /// The policy stored in `store` (defaults for what is not set).
    pub async fn load(store: &dyn Store) -> Result<Policy, CitizenError> {
        let mut p = Policy::default();
        if let Some(v) = store.get_setting("campaign.free_months").await? {
            p.free_months = parse_setting("campaign.free_months", &v)?;
        }
        if let Some(v) = store.get_setting("campaign.included_signatures").await? {
            p.included_signatures = parse_setting("campaign.included_signatures", &v)?;
        }
        if let Some(v) = store.get_setting("campaign.renewal_days").await? {
            p.renewal_days = parse_setting("campaign.renewal_days", &v)?;
        }
        Ok(p)
    }

    /// The end of a free period that starts at `start`: the same day-time `free_months`
    /// later, counted as 30.44-day months (the policy speaks in months; a day either side
    /// does not matter, a clear rule does).
    pub fn free_until(&self, start: UnixTime) -> UnixTime {
        start.plus_seconds(i64::from(self.free_months) * 2_629_746)
    }
}

fn parse_setting<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, CitizenError> {
    v.trim().parse().map_err(|_| {
        CitizenError::InvalidInput(format!("setting {key} = {v:?} is not a whole number"))
    })
}

/// The citizen services.
#[derive(Debug, Clone)]
pub struct Citizens {
    ca: Arc<Ca>,
    remote: RemoteSigning,
    policy: Policy,
    secret: Arc<secret::Secrets>,
    staff_failures: Arc<privacy::Failures>,
}

impl Citizens {
    /// The services over a loaded CA and the remote-signing service, with the policy
    /// stored in the database.
    pub async fn new(ca: Arc<Ca>, remote: RemoteSigning) -> Result<Self, CitizenError> {
        let policy = Policy::load(ca.store().as_ref()).await?;
        Ok(Citizens {
            secret: Arc::new(secret::Secrets::new(&remote)),
            ca,
            remote,
            policy,
            staff_failures: Arc::default(),
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The remote-signing service.
    pub fn remote(&self) -> &RemoteSigning {
        &self.remote
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        self.ca.store()
    }

    fn now(&self) -> UnixTime {
        self.ca.clock().now()
    }

    /// The citizen's register entry.
    async fn person(
        &self,
        cccd: &str,
    ) -> Result<kyso_store::population::PersonRecord, CitizenError> {
        self.store()
            .get_person(cccd)
            .await?
            .ok_or(CitizenError::NoMatch)
    }

    /// Per-provider usage figures at now.
    pub async fn usage_report(
        &self,
        provider: Option<&str>,
    ) -> Result<Vec<kyso_store::enrolment::ProviderUsage>, CitizenError> {
        if let Some(p) = provider
            && !self
                .store()
                .list_providers()
                .await?
                .iter()
                .any(|r| r.id == p)
        {
            return Err(CitizenError::UnknownProvider(p.to_owned()));
        }
        Ok(self.store().usage_by_provider(provider, self.now()).await?)
    }
}
