//! The deployment every portal test runs on: a fresh database (a SQLite file or a new
//! PostgreSQL database on 127.0.0.1:5432), a CA on a fixed clock (a little before the real
//! time, since pyHanko validates at the real time) whose OCSP and CRL URLs point at this
//! test's own HTTP server, remote signing, the citizen services, a small register of Huế
//! citizens in two communes, two citizens enrolled door to door, the agency's seal, the
//! portal's settings and four staff accounts.
//!
//! Each test binary uses part of this module.
#![allow(dead_code)]

use kyso_ca::{Ca, InitOptions, IssueRequest, KeySource};
use kyso_citizens::{Citizens, EnrolmentRequest, Proof, Staff};
use kyso_core::{Clock, FixedClock, SubjectIdentifier, TextField, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_pki::{Profile, SubjectSpec};
use kyso_population::Units;
use kyso_portal::{Portal, Started, Upload};
use kyso_remote::{RemoteSigning, Secrets};
use kyso_store::Store;
use kyso_store::citizens::StaffRole;
use kyso_store::dossiers::DossierRecord;
use kyso_store::population::{HouseholdRecord, PersonRecord};
use kyso_store::testing::FreshPostgres;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// The PIN every test citizen chooses.
pub const PIN: &str = "482913";
pub const STAFF_PASSWORD: &str = "mat-khau-can-bo-2026";
pub const VNPT: &str = "vnpt-demo";
pub const BIRTH_REGISTRATION: &str = "1.001193";
pub const SEAL_NAME: &str = "UBND Phường Thuận Hóa";

/// A register entry.
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

/// Female, born 1990, commune A; enrolled. The applicant of most tests.
pub const TUYET: Citizen = Citizen {
    cccd: "046190001234",
    name: "Nguyễn Thị Ánh Tuyết",
    birth: "1990-03-04",
    sex: "Nữ",
    phone: Some("0912345678"),
    commune: 0,
};
/// Male, born 1985, commune B; enrolled.
pub const BINH: Citizen = Citizen {
    cccd: "046085000002",
    name: "Trần Văn Bình",
    birth: "1985-06-30",
    sex: "Nam",
    phone: Some("0912000002"),
    commune: 1,
};
/// Male, born 2001, commune A, not enrolled.
pub const CHAU: Citizen = Citizen {
    cccd: "046201000003",
    name: "Lê Minh Châu",
    birth: "2001-12-02",
    sex: "Nam",
    phone: None,
    commune: 0,
};
/// Female, born 1978, commune B, not enrolled.
pub const HOA: Citizen = Citizen {
    cccd: "046178000004",
    name: "Phạm Thị Hoa",
    birth: "1978-08-19",
    sex: "Nữ",
    phone: Some("0912000004"),
    commune: 1,
};
pub const REGISTER: [Citizen; 4] = [TUYET, BINH, CHAU, HOA];

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Env {
    pub portal: Portal,
    pub citizens: Arc<Citizens>,
    pub remote: RemoteSigning,
    pub ca: Arc<Ca>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<FixedClock>,
    pub responder: Arc<kyso_ca::ocsp::OcspResponder>,
    /// Commune codes of Huế (province 46): A and B.
    pub communes: [String; 2],
    /// The agency seal's serial.
    pub seal: String,
    /// Commune officer of commune A (Tuyết's).
    pub officer_a: Staff,
    /// Commune officer of commune B.
    pub officer_b: Staff,
    /// Province administrator of Huế.
    pub province: Staff,
    /// VNPT's field staff.
    pub provider: Staff,
    pub backend: Backend,
    /// Holds the database file (SQLite), `root.pem` and files written for the peers.
    pub dir: tempfile::TempDir,
    pg: Option<FreshPostgres>,
    server: tokio::task::JoinHandle<()>,
}

fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

impl Env {
    pub async fn new(backend: Backend) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let (store, pg) = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite:{}", dir.path().join("kyso.db").display());
                (kyso_store::open(&url).await.unwrap(), None)
            }
            Backend::Postgres => {
                let pg = FreshPostgres::create()
                    .await
                    .expect("PostgreSQL must answer on 127.0.0.1:5432 (scripts/test starts it)");
                (kyso_store::open(&pg.url).await.unwrap(), Some(pg))
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let keys = Arc::new(SoftKeyStore::new(Kek::from_bytes(&[3; 32]).unwrap()));
        let clock = Arc::new(FixedClock::new(UnixTime(real_now() - 120)));
        let opts = InitOptions {
            algorithm: KeyAlgorithm::P256,
            public_url: format!("http://127.0.0.1:{port}"),
            organisation: "kyso test".into(),
            operator_policy: None,
            crl_shards: 2,
        };
        let first = Ca::init(store.clone(), keys.clone(), clock.clone(), &opts, vec![])
            .await
            .unwrap();
        first.add_provider(VNPT, "VNPT (demo)").await.unwrap();
        // A provider's CA is loaded by the processes started after it was added.
        let ca = Arc::new(Ca::load(store.clone(), keys, clock.clone()).await.unwrap());
        let responder = Arc::new(
            kyso_ca::ocsp::OcspResponder::new(&ca, kyso_ca::ocsp::OcspConfig::default())
                .await
                .unwrap(),
        );
        let server = tokio::spawn(kyso_ca::testing::serve_revocation(
            listener,
            ca.clone(),
            responder.clone(),
        ));
        ca.export(dir.path()).unwrap();
        let remote = RemoteSigning::new(
            ca.clone(),
            Secrets::from_kek(Kek::from_bytes(&[5; 32]).unwrap()),
            Default::default(),
        );

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
            .import_population(&households, &people, clock.now(), "test register", &|_| {})
            .await
            .unwrap();
        let citizens = Arc::new(Citizens::new(ca.clone(), remote.clone()).await.unwrap());

        let staff = |id: &'static str, role: StaffRole, scope: String| {
            let citizens = citizens.clone();
            async move {
                citizens
                    .add_staff(id, "Cán bộ thử nghiệm", role, &scope, STAFF_PASSWORD)
                    .await
                    .unwrap();
                citizens.staff_login(id, STAFF_PASSWORD).await.unwrap()
            }
        };
        let officer_a = staff("can-bo-a", StaffRole::Commune, communes[0].clone()).await;
        let officer_b = staff("can-bo-b", StaffRole::Commune, communes[1].clone()).await;
        let province = staff("quan-tri-tinh", StaffRole::Province, "46".into()).await;
        let provider = staff("nhan-vien-vnpt", StaffRole::Provider, VNPT.into()).await;

        // Door to door, each by the officer of their commune.
        for (c, officer) in [(TUYET, &officer_a), (BINH, &officer_b)] {
            citizens
                .enrol(EnrolmentRequest {
                    cccd: c.cccd.into(),
                    provider: VNPT.into(),
                    proof: Proof::DoorToDoor {
                        officer: officer.clone(),
                        card_qr: card(c),
                    },
                    pin: PIN.into(),
                    totp: false,
                    algorithm: KeyAlgorithm::P256,
                })
                .await
                .unwrap();
        }

        let seal = ca
            .issue(&IssueRequest {
                issuer: None,
                profile: Profile::Seal,
                subject: SubjectSpec::Organisation {
                    organisation: TextField::parse("organisation", SEAL_NAME, 64).unwrap(),
                    common_name: TextField::parse("name", SEAL_NAME, 64).unwrap(),
                    id: SubjectIdentifier::parse("MNS:1234567").unwrap(),
                    province: TextField::parse("province", "Huế", 128).unwrap(),
                    locality: None,
                },
                key: KeySource::Generate(KeyAlgorithm::P256),
                validity_days: None,
            })
            .await
            .unwrap()
            .record
            .serial;
        for (k, v) in [
            ("portal.seal_serial", seal.as_str()),
            ("portal.bank_bin", "970403"),
            ("portal.bank_account", "0011012345678"),
            ("portal.account_name", "UBND PHUONG THUAN HOA"),
            ("portal.place", "Huế"),
        ] {
            store.put_setting(k, v).await.unwrap();
        }
        let portal = Portal::new(ca.clone(), citizens.clone(), responder.clone())
            .await
            .unwrap();
        Env {
            portal,
            citizens,
            remote,
            ca,
            store,
            clock,
            responder,
            communes,
            seal,
            officer_a,
            officer_b,
            province,
            provider,
            backend,
            dir,
            pg,
            server,
        }
    }

    pub async fn finish(self) {
        let Env {
            portal,
            citizens,
            remote,
            ca,
            store,
            responder,
            pg,
            server,
            dir,
            ..
        } = self;
        server.abort();
        let _ = server.await;
        drop((portal, citizens, remote, ca, store, responder));
        if let Some(pg) = pg {
            pg.drop_database().await.unwrap();
        }
        drop(dir);
    }

    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    pub fn commune_of(&self, c: Citizen) -> &str {
        &self.communes[c.commune]
    }

    /// Starts a birth registration for `c` with a valid form and a PDF birth certificate.
    pub async fn start(&self, c: Citizen) -> Started {
        self.portal
            .start(
                c.cccd,
                BIRTH_REGISTRATION,
                &birth_form(c),
                vec![birth_certificate()],
            )
            .await
            .unwrap()
    }

    /// The citizen approves the request on the phone with the PIN.
    pub async fn approve_on_phone(&self, c: Citizen, started: &Started) {
        self.remote
            .approve(
                &format!("CCCD:{}", c.cccd),
                &started.request_id,
                Some(PIN),
                None,
            )
            .await
            .unwrap();
    }

    /// A dossier of `c` submitted (state `new`).
    pub async fn submit(&self, c: Citizen) -> DossierRecord {
        let started = self.start(c).await;
        self.approve_on_phone(c, &started).await;
        let d = self
            .portal
            .complete_signature(c.cccd, &started.dossier.id)
            .await
            .unwrap();
        assert_eq!(d.state, kyso_core::DossierState::New);
        d
    }

    /// kyso_verify's report on `pdf`, trusting the root, revocation answered in-process.
    pub async fn kyso_verify(&self, pdf: Vec<u8>) -> kyso_verify::Report {
        let fetcher = kyso_ca::local::LocalFetcher::new(self.ca.clone(), self.responder.clone());
        let anchors = vec![self.ca.issuer("root").unwrap().cert_der.clone()];
        let now = self.now();
        tokio::task::spawn_blocking(move || {
            let opts = kyso_verify::Options {
                anchors,
                fetcher: Some(&fetcher),
                now,
                lang: kyso_verify::Lang::En,
            };
            kyso_verify::verify_pdf("file.pdf", Arc::new(pdf), &opts)
        })
        .await
        .unwrap()
    }

    /// Writes `bytes` as `name` in the test's directory; its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// `pyhanko sign validate --trust-replace --trust root.pem FILE` (off the runtime's
    /// threads: the HTTP server answers its revocation look-ups meanwhile).
    pub async fn pyhanko_validate(&self, pdf: &[u8], name: &str) -> (bool, String) {
        let path = self.write(name, pdf);
        let mut c = Command::new(peer_bin().join("pyhanko"));
        c.args(["sign", "validate", "--trust-replace", "--trust"])
            .arg(self.dir.path().join("root.pem"))
            .arg(&path);
        let out = tokio::task::spawn_blocking(move || c.output())
            .await
            .unwrap()
            .unwrap_or_else(|e| {
                panic!("the pyHanko CLI (.venv/bin/pyhanko) is required ({e}): run scripts/test")
            });
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// `FIELD docmdp=<MDPPerm or None> certified=<bool>` for each signature of the file
    /// `name` (already written), as pyHanko reads it.
    pub async fn pyhanko_docmdp(&self, name: &str) -> String {
        const SCRIPT: &str = "import sys
from pyhanko.pdf_utils.reader import PdfFileReader
with open(sys.argv[1], 'rb') as f:
    for sig in PdfFileReader(f).embedded_regular_signatures:
        level = sig.docmdp_level
        print(f'{sig.field_name} docmdp={level} certified={level is not None}')
";
        let mut c = Command::new(peer_bin().join("python"));
        c.arg("-c").arg(SCRIPT).arg(self.dir.path().join(name));
        let out = tokio::task::spawn_blocking(move || c.output())
            .await
            .unwrap()
            .expect("python with pyHanko (.venv/bin/python) is required: run scripts/test");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `pdftotext FILE -`.
    pub fn pdftotext(&self, pdf: &[u8], name: &str) -> String {
        let path = self.write(name, pdf);
        let out = Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) is required: run scripts/test");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// The status pyHanko prints for `field` (`FIELD:CERT-SHA256:STATUS`).
pub fn verdict_of(output: &str, field: &str) -> String {
    output
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix(field)?.strip_prefix(':')?;
            Some(rest.split_once(':')?.1.to_owned())
        })
        .unwrap_or_else(|| panic!("pyHanko printed no verdict for {field}:\n{output}"))
}

fn peer_bin() -> PathBuf {
    std::env::var_os("KYSO_PEER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin"))
}

/// The QR text of `c`'s CCCD card.
pub fn card(c: Citizen) -> String {
    let (y, rest) = c.birth.split_once('-').unwrap();
    let (m, d) = rest.split_once('-').unwrap();
    format!(
        "{}||{}|{d}{m}{y}|{}|12 Lê Lợi, Huế|15082021",
        c.cccd, c.name, c.sex
    )
}

/// A valid birth-registration form declared by `c`, the mother.
pub fn birth_form(c: Citizen) -> Vec<(String, String)> {
    [
        ("declarant_full_name", c.name),
        ("declarant_cccd", c.cccd),
        ("declarant_phone", c.phone.unwrap_or("0912999999")),
        (
            "declarant_address",
            "12 Lê Lợi, phường Thuận Hóa, thành phố Huế",
        ),
        ("declarant_relationship", "me"),
        ("child_full_name", "Trần Minh Khôi"),
        ("child_birth_date", "2026-11-01"),
        ("child_sex", "nam"),
        ("child_ethnicity", "Kinh"),
        ("child_nationality", "Việt Nam"),
        ("child_birth_place", "Bệnh viện Trung ương Huế"),
        ("mother_full_name", c.name),
        ("mother_birth_date", c.birth),
        ("mother_ethnicity", "Kinh"),
        ("mother_nationality", "Việt Nam"),
        ("mother_cccd", c.cccd),
        (
            "mother_address",
            "12 Lê Lợi, phường Thuận Hóa, thành phố Huế",
        ),
        ("parents_married", "co"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// A small real PDF (rendered by kyso-docs).
pub fn small_pdf(title: &str) -> Vec<u8> {
    kyso_docs::render::render_application(&kyso_docs::render::Application {
        title: title.into(),
        procedure_code: "0.000000".into(),
        agency: "Bệnh viện Trung ương Huế".into(),
        receipt: None,
        sections: vec![(
            "Thông tin".into(),
            vec![("Họ và tên mẹ".into(), TUYET.name.into())],
        )],
        declaration: "Xác nhận.".into(),
        place_date: "Huế, ngày 01 tháng 11 năm 2026".into(),
        applicant: "Bác sĩ".into(),
    })
    .unwrap()
    .pdf
}

/// The birth certificate from the hospital, as the citizen uploads it.
pub fn birth_certificate() -> Upload {
    Upload {
        slot: "medical_birth_certificate".into(),
        file_name: "giay-chung-sinh.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: small_pdf("GIẤY CHỨNG SINH"),
    }
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
