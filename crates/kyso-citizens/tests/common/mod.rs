//! The deployment every citizen-service test runs on: a fresh database (a SQLite file or a
//! new PostgreSQL database on 127.0.0.1:5432), a CA on a fixed clock with two providers, the
//! remote-signing service, a small register of Huế citizens, and two relying parties.
//!
//! Each test binary uses part of this module.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kyso_ca::{Ca, InitOptions};
use kyso_citizens::{Citizens, Enrolled, EnrolmentRequest, OidcIdentity, Proof, Staff};
use kyso_core::{Clock, FixedClock, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_population::Units;
use kyso_remote::{RemoteError, RemoteSigning, Secrets};
use kyso_store::citizens::StaffRole;
use kyso_store::enrolment::Channel;
use kyso_store::population::{HouseholdRecord, PersonRecord};
use kyso_store::testing::FreshPostgres;
use kyso_store::{CertFilter, CertificateRecord, Store};
use std::sync::Arc;

/// 2026-11-22, during the campaign.
pub const T0: UnixTime = UnixTime(1_795_459_507);
/// The PIN every test citizen chooses.
pub const PIN: &str = "482913";
/// A staff password.
pub const STAFF_PASSWORD: &str = "mat-khau-can-bo-2026";
pub const VNPT: &str = "vnpt-demo";
pub const VIETTEL: &str = "viettel-demo";

/// A register entry the tests know (and the card printed for it).
#[derive(Debug, Clone, Copy)]
pub struct Citizen {
    pub cccd: &'static str,
    pub name: &'static str,
    /// `YYYY-MM-DD`.
    pub birth: &'static str,
    pub sex: &'static str,
    pub phone: Option<&'static str>,
    /// 0: the first commune of Huế, 1: the second.
    pub commune: usize,
}

/// Female, born 1990, commune A, phone.
pub const LAN: Citizen = Citizen {
    cccd: "046190012345",
    name: "Nguyễn Thị Lan",
    birth: "1990-03-04",
    sex: "Nữ",
    phone: Some("0912345678"),
    commune: 0,
};
/// The OIDC test provider's level-2 account (CCCD digit 4 = 1: a woman born in the 1900s).
pub const AN: Citizen = Citizen {
    cccd: "046190000001",
    name: "Nguyễn Văn An",
    birth: "1990-01-15",
    sex: "Nữ",
    phone: Some("0912000001"),
    commune: 0,
};
/// Male, born 1985, commune B, phone.
pub const BINH: Citizen = Citizen {
    cccd: "046085000002",
    name: "Trần Văn Bình",
    birth: "1985-06-30",
    sex: "Nam",
    phone: Some("0912000002"),
    commune: 1,
};
/// Male, born 2001, commune A, no phone.
pub const CHAU: Citizen = Citizen {
    cccd: "046201000003",
    name: "Lê Minh Châu",
    birth: "2001-12-02",
    sex: "Nam",
    phone: None,
    commune: 0,
};
pub const REGISTER: [Citizen; 4] = [LAN, AN, BINH, CHAU];

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Env {
    pub citizens: Citizens,
    pub remote: RemoteSigning,
    pub ca: Arc<Ca>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<FixedClock>,
    /// Commune codes of Huế (province 46): A and B.
    pub communes: [String; 2],
    /// Client ids of a public-service and an "other" relying party.
    pub public_service: String,
    pub other: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg: Option<FreshPostgres>,
}

impl Env {
    pub async fn new(backend: Backend) -> Env {
        let (store, dir, pg) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite:{}", dir.path().join("kyso.db").display());
                (kyso_store::open(&url).await.unwrap(), Some(dir), None)
            }
            Backend::Postgres => {
                let pg = FreshPostgres::create()
                    .await
                    .expect("PostgreSQL must answer on 127.0.0.1:5432 (scripts/test starts it)");
                (kyso_store::open(&pg.url).await.unwrap(), None, Some(pg))
            }
        };
        let keys = Arc::new(SoftKeyStore::new(Kek::from_bytes(&[3; 32]).unwrap()));
        let clock = Arc::new(FixedClock::new(T0));
        let opts = InitOptions {
            algorithm: KeyAlgorithm::P256,
            public_url: "http://ca.kyso.vn".into(),
            organisation: "kyso test".into(),
            operator_policy: None,
            crl_shards: 2,
        };
        let first = Ca::init(store.clone(), keys.clone(), clock.clone(), &opts, vec![])
            .await
            .unwrap();
        first.add_provider(VNPT, "VNPT (demo)").await.unwrap();
        first.add_provider(VIETTEL, "Viettel (demo)").await.unwrap();
        // A provider's CA is loaded by the processes started after it was added.
        let ca = Arc::new(Ca::load(store.clone(), keys, clock.clone()).await.unwrap());
        let remote = RemoteSigning::new(
            ca.clone(),
            Secrets::from_kek(Kek::from_bytes(&[5; 32]).unwrap()),
            Default::default(),
        );
        let public_service = remote
            .add_client("Cổng dịch vụ công Huế", None, "public-service")
            .await
            .unwrap()
            .record
            .client_id;
        let other = remote
            .add_client("Ngân hàng X", None, "other")
            .await
            .unwrap()
            .record
            .client_id;

        let units = Units::embedded();
        let communes: Vec<String> = units
            .communes_of("46")
            .iter()
            .take(2)
            .map(|c| c.code.clone())
            .collect();
        let communes: [String; 2] = communes.try_into().expect("Huế has communes");
        let households: Vec<HouseholdRecord> = communes
            .iter()
            .map(|c| HouseholdRecord {
                id: format!("46-{c}-000001"),
                commune_code: c.clone(),
                province_code: "46".into(),
                village: None,
                address: None,
            })
            .collect();
        let people: Vec<PersonRecord> = REGISTER
            .iter()
            .map(|p| PersonRecord {
                cccd: p.cccd.into(),
                full_name: p.name.into(),
                birth_date: p.birth.into(),
                sex: p.sex.into(),
                phone: p.phone.map(str::to_owned),
                household_id: households[p.commune].id.clone(),
                commune_code: communes[p.commune].clone(),
                province_code: "46".into(),
            })
            .collect();
        store
            .import_population(&households, &people, T0, "test register", &|_| {})
            .await
            .unwrap();
        let citizens = Citizens::new(ca.clone(), remote.clone()).await.unwrap();
        Env {
            citizens,
            remote,
            ca,
            store,
            clock,
            communes,
            public_service,
            other,
            backend,
            _dir: dir,
            pg,
        }
    }

    pub async fn finish(self) {
        let Env {
            citizens,
            remote,
            ca,
            store,
            pg,
            _dir,
            ..
        } = self;
        drop((citizens, remote, ca, store));
        if let Some(pg) = pg {
            pg.drop_database().await.unwrap();
        }
    }

    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    pub fn commune_of(&self, c: Citizen) -> &str {
        &self.communes[c.commune]
    }

    /// A staff account created by the operator, logged in with its password.
    pub async fn staff(&self, id: &str, role: StaffRole, scope: &str) -> Staff {
        self.citizens
            .add_staff(id, "Cán bộ thử nghiệm", role, scope, STAFF_PASSWORD)
            .await
            .unwrap();
        self.citizens.staff_login(id, STAFF_PASSWORD).await.unwrap()
    }

    /// The last SMS to `phone`'s one-time code.
    pub async fn last_code(&self, phone: &str) -> String {
        let sms = self.store.sms_outbox(Some(phone), 1).await.unwrap();
        let body = &sms.first().expect("an SMS was sent").body;
        code_in(body)
    }

    /// Number of SMS queued for `phone`.
    pub async fn sms_count(&self, phone: &str) -> usize {
        self.store
            .sms_outbox(Some(phone), 1000)
            .await
            .unwrap()
            .len()
    }

    /// An online proof: a code asked for with the register's details, read from the SMS.
    pub async fn online_proof(&self, c: Citizen) -> Proof {
        let sent = self
            .citizens
            .send_code(c.cccd, c.name, c.birth, "enrol")
            .await
            .unwrap();
        Proof::Online {
            challenge: sent.challenge,
            code: self.last_code(c.phone.unwrap()).await,
        }
    }

    /// Enrols `c` online with `provider`.
    pub async fn enrol_online(&self, c: Citizen, provider: &str) -> Enrolled {
        let proof = self.online_proof(c).await;
        self.citizens
            .enrol(request(c, provider, proof))
            .await
            .unwrap()
    }

    /// Every stored certificate of the citizen.
    pub async fn certificates_of(&self, cccd: &str) -> Vec<CertificateRecord> {
        let subject = format!("CCCD:{cccd}");
        self.store
            .list_certificates(&CertFilter::default())
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.subject_id.as_deref() == Some(subject.as_str()))
            .collect()
    }

    /// Authorises and signs SHA-256(`message`) for `client` with the PIN; the signature.
    pub async fn sign(
        &self,
        client: &str,
        credential: &str,
        pin: &str,
        message: &[u8],
    ) -> Result<Vec<u8>, RemoteError> {
        let sad = self.authorize(client, credential, pin, message).await?;
        self.sign_with(client, credential, &sad, message).await
    }

    /// The SAD for SHA-256(`message`).
    pub async fn authorize(
        &self,
        client: &str,
        credential: &str,
        pin: &str,
        message: &[u8],
    ) -> Result<String, RemoteError> {
        let hash = B64.encode(sha256(message));
        Ok(self
            .remote
            .authorize(client, credential, 1, &[hash], Some(pin), None)
            .await?
            .sad)
    }

    /// Spends `sad` on SHA-256(`message`).
    pub async fn sign_with(
        &self,
        client: &str,
        credential: &str,
        sad: &str,
        message: &[u8],
    ) -> Result<Vec<u8>, RemoteError> {
        let hash = B64.encode(sha256(message));
        let sigs = self
            .remote
            .sign_hash(
                client,
                credential,
                sad,
                &[hash],
                "1.2.840.10045.4.3.2",
                Some("2.16.840.1.101.3.4.2.1"),
                None,
            )
            .await?;
        assert_eq!(sigs.len(), 1);
        Ok(B64.decode(&sigs[0]).unwrap())
    }

    /// How many "sign" entries the transparency log holds for the credential.
    pub async fn sign_entries(&self, credential: &str) -> usize {
        self.store
            .log_entries_of(credential)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.entry.kind == "sign")
            .count()
    }

    /// Checks that the certificate was signed by `provider`'s issuing CA (and not by the
    /// other provider's).
    pub fn assert_issued_by(&self, cert: &CertificateRecord, provider: &str) {
        assert_eq!(cert.issuer, provider, "{cert:?}");
        let ca = self
            .ca
            .issuer(provider)
            .expect("the provider's CA is loaded");
        kyso_pki::issue::verify_certificate_signature(&cert.der, &ca.key.public_key_der)
            .unwrap_or_else(|e| panic!("not signed by {provider}'s CA: {e}"));
        let other = if provider == VNPT { VIETTEL } else { VNPT };
        let other = self.ca.issuer(other).unwrap();
        assert!(
            kyso_pki::issue::verify_certificate_signature(&cert.der, &other.key.public_key_der)
                .is_err()
        );
    }
}

/// An enrolment request for `c` with [`PIN`], no TOTP, P-256.
pub fn request(c: Citizen, provider: &str, proof: Proof) -> EnrolmentRequest {
    EnrolmentRequest {
        cccd: c.cccd.into(),
        provider: provider.into(),
        proof,
        pin: PIN.into(),
        totp: false,
        algorithm: KeyAlgorithm::P256,
    }
}

/// A proof from a verified OpenID login.
pub fn oidc_proof(channel: Channel, cccd: &str, level: u8) -> Proof {
    Proof::Oidc {
        channel,
        identity: OidcIdentity {
            issuer: "https://sso.dichvucong.gov.vn".into(),
            subject: format!("sub-{cccd}"),
            cccd: cccd.into(),
            level,
        },
    }
}

/// The QR text of `c`'s CCCD card.
pub fn card(c: Citizen) -> String {
    card_with(c, c.name, c.birth)
}

/// A card with another name or birth date (`YYYY-MM-DD`).
pub fn card_with(c: Citizen, name: &str, birth: &str) -> String {
    let (y, rest) = birth.split_once('-').unwrap();
    let (m, d) = rest.split_once('-').unwrap();
    format!(
        "{}||{name}|{d}{m}{y}|{}|12 Lê Lợi, Huế|15082021",
        c.cccd, c.sex
    )
}

/// The 6-digit code in an SMS.
pub fn code_in(body: &str) -> String {
    body.split(|ch: char| !ch.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {body:?}"))
        .to_owned()
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// Verifies an ECDSA P-256/SHA-256 signature of `message` with the public key in the
/// certificate (aws-lc-rs, not kyso's own verifier).
pub fn verify_with_certificate(cert_der: &[u8], message: &[u8], signature: &[u8]) {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let point = cert
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes()
        .to_vec();
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
        point,
    )
    .verify(message, signature)
    .expect("the signature verifies with the certificate's public key");
}

/// Runs each named `async fn(&Env)` on SQLite and on PostgreSQL, each on a fresh database.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let env = $crate::common::Env::new($crate::common::Backend::Sqlite).await;
                    super::$name(&env).await;
                    env.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let env = $crate::common::Env::new($crate::common::Backend::Postgres).await;
                    super::$name(&env).await;
                    env.finish().await;
                }
            )*
        }
    };
}
