//! Online public services (dịch vụ công trực tuyến): the loop the campaigns exist for —
//! "fill in the form, sign digitally, and the agency accepts it".
//!
//! 1. **Submission** ([`Portal::start`], [`Portal::complete_signature`]): the form is
//!    checked against its procedure in the catalogue (`kyso-dossiers`), attachments by
//!    size and by what their bytes are; the application is rendered as an A4 PDF with the
//!    Vietnamese text (`kyso_docs::render`) and a PAdES signature is *staged* for the
//!    citizen's credential: only the hash of its signed attributes goes to the phone,
//!    through the same request → approve (PIN or passkey) → signHash path as any relying
//!    party. The dossier waits in `signing`; when the citizen has approved, the signature
//!    is checked against their certificate, time-stamped and embedded, and the dossier is
//!    `new` with its receipt number.
//! 2. **Processing** ([`Portal::queue`], [`Portal::open`], [`Portal::act`]): a commune
//!    officer sees the dossiers of their commune, a province administrator those of the
//!    province; each dossier is shown with the verification report of the citizen's
//!    signature. Receive, process, ask for a supplement or the fee, approve, reject with
//!    a reason. A dossier whose signature does not verify cannot be approved.
//! 3. **Result** ([`result`]): approval renders the result document and signs it with the
//!    agency's seal as a certification signature at B-LT; it is returned at once, or held
//!    until the fee is paid.
//! 4. **Fees** ([`fees`]): a dynamic VietQR for the amount with the receipt number as bill
//!    number; the payment platform's callback is authenticated with HMAC-SHA-256 and keyed
//!    by its transaction reference, so a replay pays nothing twice.
//!
//! Every change is one store transaction with its history event, the citizen's in-app
//! notification and the audit entry; other channels ([`Notifier`]) are told after the
//! commit. Time comes from the CA's clock.

#![deny(missing_docs)]

mod citizen;
mod error;
pub mod fees;
mod form_view;
mod officer;
pub mod result;
mod verify;

pub use citizen::{CitizenDossier, Started, Upload};
pub use error::PortalError;
pub use officer::{OfficerAction, OfficerView};
pub use verify::SignatureCheck;

use kyso_ca::Ca;
use kyso_citizens::Citizens;
use kyso_core::UnixTime;
use kyso_dossiers::Catalogue;
use kyso_remote::RemoteSigning;
use kyso_store::Store;
use kyso_store::dossiers::DossierRecord;
use std::sync::Arc;

/// The relying party under which the portal asks citizens to sign (its purpose is
/// `public-service`: free during the campaign's free year).
pub const PORTAL_CLIENT: &str = "kyso-portal";

/// Settings the portal reads (`kyso portal configure` writes them).
pub const SETTINGS: [(&str, &str); 5] = [
    (
        "portal.seal_serial",
        "serial of the agency seal certificate that signs result documents",
    ),
    (
        "portal.bank_bin",
        "NAPAS BIN of the bank that collects fees",
    ),
    ("portal.bank_account", "account number that collects fees"),
    (
        "portal.account_name",
        "name of the account holder, shown on the fee page",
    ),
    ("portal.place", "place name printed on documents (\"Huế\")"),
];

/// Where fees are paid to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payee {
    /// NAPAS bank BIN.
    pub bin: String,
    /// Account number.
    pub account: String,
    /// Account holder, as shown to the citizen.
    pub name: String,
}

/// The portal's deployment settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalConfig {
    /// The seal certificate (serial) that signs result documents.
    pub seal_serial: Option<String>,
    /// The fee account.
    pub payee: Option<Payee>,
    /// Place name on documents.
    pub place: String,
}

impl PortalConfig {
    /// Reads the settings from the store.
    pub async fn load(store: &dyn Store) -> Result<PortalConfig, PortalError> {
        let get = |k: &'static str| async move { store.get_setting(k).await };
        let payee = match (
            get("portal.bank_bin").await?,
            get("portal.bank_account").await?,
        ) {
            (Some(bin), Some(account)) => Some(Payee {
                bin,
                account,
                name: get("portal.account_name").await?.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(PortalConfig {
            seal_serial: get("portal.seal_serial").await?,
            payee,
            place: get("portal.place")
                .await?
                .unwrap_or_else(|| "Việt Nam".into()),
        })
    }
}

/// A channel that hears about dossier changes after they are committed (SMS, e-mail, a
/// push service). The in-app notification is written in the change's own transaction and
/// needs no notifier; these are best-effort extras.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// `dossier` has just reached its current state; `text_vi` says so.
    async fn notify(&self, dossier: &DossierRecord, text_vi: &str);
}

/// Sends each notice as an SMS to the citizen's registered phone (through the outbox).
#[derive(Debug)]
pub struct SmsNotifier {
    store: Arc<dyn Store>,
}

impl SmsNotifier {
    /// A notifier writing to `store`'s SMS outbox.
    pub fn new(store: Arc<dyn Store>) -> Self {
        SmsNotifier { store }
    }
}

#[async_trait::async_trait]
impl Notifier for SmsNotifier {
    async fn notify(&self, dossier: &DossierRecord, text_vi: &str) {
        let phone = match self.store.get_person(&dossier.cccd).await {
            Ok(Some(p)) => p.phone,
            _ => None,
        };
        if let Some(phone) = phone {
            let body = format!("kyso: {text_vi}");
            if let Err(e) = self
                .store
                .queue_sms(&phone, &body, dossier.updated_at)
                .await
            {
                tracing::warn!(error = %e, "dossier SMS notice not queued");
            }
        }
    }
}

/// The online public-service portal.
#[derive(Debug, Clone)]
pub struct Portal {
    citizens: Arc<Citizens>,
    ca: Arc<Ca>,
    catalogue: Arc<Catalogue>,
    config: PortalConfig,
    notifiers: Vec<Arc<dyn Notifier>>,
    payment_key: Arc<[u8; 32]>,
    responder: Arc<kyso_ca::ocsp::OcspResponder>,
}

impl Portal {
    /// The portal over the citizen services, with the embedded catalogue and the settings
    /// stored in the database. Registers the portal's relying party on first use.
    /// `responder` answers the revocation checks of the officers' verification reports
    /// (the server shares the one behind `/ocsp`).
    pub async fn new(
        ca: Arc<Ca>,
        citizens: Arc<Citizens>,
        responder: Arc<kyso_ca::ocsp::OcspResponder>,
    ) -> Result<Portal, PortalError> {
        let config = PortalConfig::load(ca.store().as_ref()).await?;
        Self::with(
            ca,
            citizens,
            responder,
            Arc::new(Catalogue::embedded().clone()),
            config,
        )
        .await
    }

    /// The portal with an explicit catalogue and configuration.
    pub async fn with(
        ca: Arc<Ca>,
        citizens: Arc<Citizens>,
        responder: Arc<kyso_ca::ocsp::OcspResponder>,
        catalogue: Arc<Catalogue>,
        config: PortalConfig,
    ) -> Result<Portal, PortalError> {
        ensure_client(citizens.remote()).await?;
        let payment_key = Arc::new(citizens.remote().derive_secret(PAYMENT_KEY_PURPOSE));
        Ok(Portal {
            citizens,
            ca,
            catalogue,
            config,
            notifiers: Vec::new(),
            payment_key,
            responder,
        })
    }

    /// Adds a notification channel.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifiers.push(notifier);
        self
    }

    /// The procedure catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The settings in force.
    pub fn config(&self) -> &PortalConfig {
        &self.config
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.ca.store()
    }

    fn remote(&self) -> &RemoteSigning {
        self.citizens.remote()
    }

    fn now(&self) -> UnixTime {
        self.ca.clock().now()
    }

    /// Tells the extra channels, after the commit.
    async fn announce(&self, dossier: &DossierRecord, text_vi: &str) {
        for n in &self.notifiers {
            n.notify(dossier, text_vi).await;
        }
    }
}

/// Key-derivation label of the payment callback's HMAC key.
const PAYMENT_KEY_PURPOSE: &[u8] = b"kyso portal payment callbacks";

async fn ensure_client(remote: &RemoteSigning) -> Result<(), PortalError> {
    let store = remote.ca_store();
    if store.get_client(PORTAL_CLIENT).await?.is_some() {
        return Ok(());
    }
    let mut secret = [0u8; 32];
    aws_lc_rs::rand::fill(&mut secret).expect("system random generator failed");
    let record = kyso_store::credentials::ClientRecord {
        client_id: PORTAL_CLIENT.into(),
        name: "Cổng dịch vụ công (kyso)".into(),
        // No secret opens it: the portal uses it in-process only.
        secret_hash: secret.to_vec(),
        callback_url: None,
        purpose: "public-service".into(),
        created_at: remote.clock_now(),
    };
    match store.insert_client(&record).await {
        Ok(()) | Err(kyso_store::StoreError::Duplicate(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// "Huế, ngày 30 tháng 11 năm 2026" for `now` in Vietnam's time zone.
pub(crate) fn place_date(place: &str, now: UnixTime) -> String {
    let (y, m, d, ..) = kyso_core::clock::civil_from_unix(now.seconds() + 7 * 3600);
    format!("{place}, ngày {d:02} tháng {m:02} năm {y}")
}
