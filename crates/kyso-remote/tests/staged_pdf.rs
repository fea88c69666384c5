//! PAdES signatures of PDFs in memory: a citizen's in two phases (staged, approved on the
//! phone through the NEAC-style request, embedded later) and an agency seal's in one,
//! judged by pyHanko (`sign validate`, revocation fetched from this test's own OCSP
//! responder and CRLs over HTTP) and by kyso_verify.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kyso_ca::{Ca, InitOptions, IssueRequest, KeySource};
use kyso_core::{Cccd, FixedClock, PersonName, SubjectIdentifier, TextField, UnixTime};
use kyso_docs::render::{Application, Rendered, render_application};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_pki::{Profile, SubjectSpec};
use kyso_remote::documents::{Level, PdfOptions};
use kyso_remote::transactions::Document;
use kyso_remote::{RemoteError, RemoteSigning, Secrets, StagedPdfSignature};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const PIN: &str = "482913";
const NAME: &str = "Nguyễn Thị Ánh Tuyết";

struct Env {
    ca: Arc<Ca>,
    remote: RemoteSigning,
    credential: String,
    client: String,
    seal: String,
    root_der: Vec<u8>,
    dir: tempfile::TempDir,
}

fn person(name: &str, cccd: &str) -> SubjectSpec {
    SubjectSpec::Person {
        name: PersonName::parse(name).unwrap(),
        id: SubjectIdentifier::Cccd(Cccd::parse(cccd).unwrap()),
        province: TextField::parse("province", "Huế", 128).unwrap(),
        locality: None,
    }
}

/// A CA whose URLs point at this test's HTTP server (OCSP and CRLs), on a clock fixed a
/// little before the real time (pyHanko validates at the real time), the remote-signing
/// service, the citizen's credential, a public-service portal and the agency's seal.
async fn env() -> Env {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let store = kyso_store::open(&format!("sqlite:{}", dir.path().join("k.db").display()))
        .await
        .unwrap();
    let keys = Arc::new(SoftKeyStore::new(Kek::from_bytes(&[3; 32]).unwrap()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let clock = Arc::new(FixedClock::new(UnixTime(now - 120)));
    let opts = InitOptions {
        algorithm: KeyAlgorithm::P256,
        public_url: format!("http://127.0.0.1:{port}"),
        organisation: "kyso test".into(),
        operator_policy: None,
        crl_shards: 2,
    };
    let ca = Arc::new(Ca::init(store, keys, clock, &opts, vec![]).await.unwrap());
    let responder = Arc::new(
        kyso_ca::ocsp::OcspResponder::new(&ca, Default::default())
            .await
            .unwrap(),
    );
    tokio::spawn(kyso_ca::testing::serve_revocation(
        listener,
        ca.clone(),
        responder,
    ));
    let remote = RemoteSigning::new(
        ca.clone(),
        Secrets::from_kek(Kek::from_bytes(&[5; 32]).unwrap()),
        Default::default(),
    );
    let credential = remote
        .create_credential(person(NAME, "046190001234"), KeyAlgorithm::P256, PIN, false)
        .await
        .unwrap()
        .record
        .id;
    let client = remote
        .add_client("Cổng dịch vụ công Huế", None, "public-service")
        .await
        .unwrap()
        .record
        .client_id;
    let seal = ca
        .issue(&IssueRequest {
            issuer: None,
            profile: Profile::Seal,
            subject: SubjectSpec::Organisation {
                organisation: TextField::parse("organisation", "UBND Phường Thuận Hóa", 64)
                    .unwrap(),
                common_name: TextField::parse("name", "UBND Phường Thuận Hóa", 64).unwrap(),
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
    ca.export(dir.path()).unwrap();
    let root_der = ca.issuer("root").unwrap().cert_der.clone();
    Env {
        ca,
        remote,
        credential,
        client,
        seal,
        root_der,
        dir,
    }
}

/// kyso_verify's report on `pdf`, trusting the root, fetching revocation in-process.
async fn kyso_verify(e: &Env, pdf: Vec<u8>) -> kyso_verify::Report {
    let responder = kyso_ca::ocsp::OcspResponder::new(&e.ca, Default::default())
        .await
        .unwrap();
    let fetcher = kyso_ca::local::LocalFetcher::new(e.ca.clone(), Arc::new(responder));
    let anchors = vec![e.root_der.clone()];
    let now = e.remote.clock_now();
    tokio::task::spawn_blocking(move || {
        let opts = kyso_verify::Options {
            anchors,
            fetcher: Some(&fetcher),
            now,
            lang: kyso_verify::Lang::En,
        };
        kyso_verify::verify_pdf("signed.pdf", Arc::new(pdf), &opts)
    })
    .await
    .unwrap()
}

fn peer_bin() -> PathBuf {
    std::env::var_os("KYSO_PEER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin"))
}

/// `pyhanko sign validate --trust root.pem --trust-replace [extra] PDF` (run off the
/// runtime's threads: the HTTP server above answers its look-ups meanwhile).
async fn pyhanko_validate(e: &Env, pdf: &[u8], name: &str, extra: &[&str]) -> (bool, String) {
    let path = e.dir.path().join(name);
    std::fs::write(&path, pdf).unwrap();
    let root = e.dir.path().join("root.pem");
    let mut c = Command::new(peer_bin().join("pyhanko"));
    c.args(["sign", "validate", "--trust-replace", "--trust"])
        .arg(root)
        .args(extra)
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
/// `name` (already written by [`pyhanko_validate`]), as pyHanko reads it.
async fn pyhanko_docmdp(e: &Env, name: &str) -> String {
    const SCRIPT: &str = "import sys
from pyhanko.pdf_utils.reader import PdfFileReader
with open(sys.argv[1], 'rb') as f:
    for sig in PdfFileReader(f).embedded_regular_signatures:
        level = sig.docmdp_level
        print(f'{sig.field_name} docmdp={level} certified={level is not None}')
";
    let mut c = Command::new(peer_bin().join("python"));
    c.arg("-c").arg(SCRIPT).arg(e.dir.path().join(name));
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

/// The status pyHanko prints for `field` (`FIELD:CERT-SHA256:STATUS`).
fn verdict_of(output: &str, field: &str) -> String {
    output
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix(field)?.strip_prefix(':')?;
            Some(rest.split_once(':')?.1.to_owned())
        })
        .unwrap_or_else(|| panic!("pyHanko printed no verdict for {field}:\n{output}"))
}

fn application() -> Rendered {
    let rows = |r: &[(&str, &str)]| -> Vec<(String, String)> {
        r.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    render_application(&Application {
        title: "TỜ KHAI ĐĂNG KÝ KHAI SINH".into(),
        procedure_code: "1.001193".into(),
        agency: "Ủy ban nhân dân Phường Thuận Hóa, thành phố Huế".into(),
        receipt: None,
        sections: vec![(
            "I. THÔNG TIN NGƯỜI YÊU CẦU".into(),
            rows(&[
                ("Họ, chữ đệm, tên người yêu cầu", NAME),
                ("Số định danh cá nhân", "046190001234"),
                ("Quan hệ với người được khai sinh", "Mẹ"),
            ]),
        )],
        declaration: "Tôi cam đoan nội dung khai trên đây là đúng sự thật.".into(),
        place_date: "Huế, ngày 30 tháng 11 năm 2026".into(),
        applicant: NAME.into(),
    })
    .unwrap()
}

fn citizen_options(rendered: &Rendered) -> PdfOptions {
    PdfOptions {
        level: Level::BT,
        reason: Some("Nộp hồ sơ đăng ký khai sinh".into()),
        location: Some("Huế".into()),
        visible: Some(rendered.signature_box),
        certify: false,
    }
}

/// The portal's request for `staged`, approved by the citizen on the phone with the PIN:
/// the raw signature from the transaction's result.
async fn approved_signature(e: &Env, staged: &StagedPdfSignature) -> Vec<u8> {
    let t = e
        .remote
        .request_signature(
            "neac",
            &e.client,
            staged.credential_id(),
            &[Document {
                hash: B64.encode(staged.to_be_signed()),
                name: "Tờ khai đăng ký khai sinh".into(),
            }],
            "Ký tờ khai đăng ký khai sinh",
        )
        .await
        .unwrap();
    let approved = e
        .remote
        .approve(&t.subject_id, &t.id, Some(PIN), None)
        .await
        .unwrap();
    let signatures: Vec<String> =
        serde_json::from_str(approved.result.as_deref().unwrap()).unwrap();
    assert_eq!(signatures.len(), 1);
    B64.decode(&signatures[0]).unwrap()
}

fn assert_refused(r: Result<Vec<u8>, RemoteError>, words: &str, what: &str) {
    match r {
        Err(RemoteError::InvalidRequest(m)) => {
            assert!(m.contains(words), "{what}: {m}")
        }
        other => panic!("{what}: expected InvalidRequest, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_approves_on_the_phone_and_the_signature_is_embedded_later() {
    let e = env().await;
    let rendered = application();
    let staged = e
        .remote
        .stage_pdf_signature(&rendered.pdf, &e.credential, &citizen_options(&rendered))
        .await
        .unwrap();
    assert_eq!(staged.credential_id(), e.credential);
    assert_eq!(staged.to_be_signed().len(), 32);
    // The portal keeps the staged state in its store between the two phases.
    let stored = staged.to_bytes();
    let staged = StagedPdfSignature::from_bytes(&stored).unwrap();
    assert_eq!(staged.to_bytes(), stored);

    let signature = approved_signature(&e, &staged).await;
    let signed = e
        .remote
        .finish_pdf_signature(&staged, &signature)
        .await
        .unwrap();
    assert!(
        signed.starts_with(&rendered.pdf),
        "an incremental update of the rendered PDF"
    );

    let (ok, out) = pyhanko_validate(&e, &signed, "citizen.pdf", &[]).await;
    assert!(
        ok,
        "pyHanko does not accept the citizen's signature:\n{out}"
    );
    let verdict = verdict_of(&out, "Signature1");
    assert!(
        verdict.starts_with("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,")
            && !verdict.contains("ILLEGAL"),
        "{verdict}"
    );

    let report = kyso_verify(&e, signed).await;
    assert!(report.all_passed, "{report:#?}");
    let sig = &report.signatures[0];
    assert_eq!(sig.signer.as_deref(), Some(NAME));
    assert!(
        sig.has_timestamp && sig.timestamp_error.is_none(),
        "{sig:#?}"
    );
    assert!(sig.covers_whole_document);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_or_altered_signature_and_altered_staged_state_are_refused() {
    let e = env().await;
    let rendered = application();
    let staged = e
        .remote
        .stage_pdf_signature(&rendered.pdf, &e.credential, &citizen_options(&rendered))
        .await
        .unwrap();
    let genuine = approved_signature(&e, &staged).await;

    // One flipped byte of the signature value.
    let mut flipped = genuine.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x01;
    assert_refused(
        e.remote.finish_pdf_signature(&staged, &flipped).await,
        "does not verify",
        "a flipped byte",
    );

    // A valid signature of the same digest by another citizen's key.
    let other = e
        .remote
        .create_credential(
            person("Trần Văn Bình", "046085000002"),
            KeyAlgorithm::P256,
            PIN,
            false,
        )
        .await
        .unwrap()
        .record
        .id;
    let tbs = B64.encode(staged.to_be_signed());
    let sad = e
        .remote
        .authorize(
            &e.client,
            &other,
            1,
            std::slice::from_ref(&tbs),
            Some(PIN),
            None,
        )
        .await
        .unwrap()
        .sad;
    let foreign = e
        .remote
        .sign_hash(
            &e.client,
            &other,
            &sad,
            &[tbs],
            "1.2.840.10045.4.3.2",
            None,
            None,
        )
        .await
        .unwrap();
    let foreign = B64.decode(&foreign[0]).unwrap();
    assert_refused(
        e.remote.finish_pdf_signature(&staged, &foreign).await,
        "does not verify",
        "another citizen's signature",
    );

    // The stored state altered: one byte of the original document inside the prepared file.
    let mut bytes = staged.to_bytes();
    let header = bytes.len() - staged.prepared().len();
    bytes[header + 200] ^= 0x20;
    let altered = StagedPdfSignature::from_bytes(&bytes).unwrap();
    assert_refused(
        e.remote.finish_pdf_signature(&altered, &genuine).await,
        "altered",
        "an altered prepared document",
    );

    // Not a staged signature at all, truncated, another version, trailing bytes.
    let good = staged.to_bytes();
    for (bad, what) in [
        (b"%PDF-1.7".to_vec(), "a PDF"),
        (good[..good.len() - 1].to_vec(), "truncated"),
        ([&good[..16], &[2], &good[17..]].concat(), "version 2"),
        ([&good[..], b"x"].concat(), "trailing bytes"),
    ] {
        match StagedPdfSignature::from_bytes(&bad) {
            Err(RemoteError::InvalidRequest(m)) => {
                assert!(m.starts_with("not a staged PDF signature"), "{what}: {m}")
            }
            other => panic!("{what}: {other:?}"),
        }
    }

    // The genuine signature still finishes the untouched state.
    let signed = e
        .remote
        .finish_pdf_signature(&staged, &genuine)
        .await
        .unwrap();
    assert!(kyso_verify(&e, signed).await.all_passed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agency_seal_certifies_the_result_at_b_lt() {
    let e = env().await;
    let rendered = application();
    let options = PdfOptions {
        level: Level::BLT,
        reason: Some("Trả kết quả giải quyết thủ tục hành chính".into()),
        location: Some("UBND Phường Thuận Hóa".into()),
        visible: Some(rendered.signature_box),
        certify: true,
    };
    let sealed = e
        .remote
        .seal_pdf(&rendered.pdf, &e.seal, &options)
        .await
        .unwrap();
    assert!(sealed.starts_with(&rendered.pdf));
    assert!(
        sealed.windows(5).any(|w| w == b"/DSS "),
        "B-LT carries a DSS"
    );

    let (ok, out) = pyhanko_validate(&e, &sealed, "sealed.pdf", &[]).await;
    assert!(ok, "pyHanko does not accept the seal:\n{out}");
    let verdict = verdict_of(&out, "Signature1");
    assert!(
        verdict.starts_with("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,")
            && !verdict.contains("ILLEGAL"),
        "{verdict}"
    );
    // pyHanko's own reading of the signature's DocMDP transform: a certification that
    // allows form filling and signatures.
    assert_eq!(
        pyhanko_docmdp(&e, "sealed.pdf").await,
        "Signature1 docmdp=MDPPerm.FILL_FORMS certified=True"
    );

    let report = kyso_verify(&e, sealed).await;
    assert!(report.all_passed, "{report:#?}");
    assert_eq!(
        report.signatures[0].signer.as_deref(),
        Some("UBND Phường Thuận Hóa")
    );

    // A citizen's certificate is not a seal.
    let citizen_serial = e
        .remote
        .info(&e.credential)
        .await
        .unwrap()
        .certificate
        .serial;
    match e
        .remote
        .seal_pdf(&rendered.pdf, &citizen_serial, &options)
        .await
    {
        Err(RemoteError::InvalidRequest(m)) => assert!(m.contains("seal"), "{m}"),
        other => panic!("a citizen certificate used as a seal: {other:?}"),
    }
}
