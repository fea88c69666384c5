//! The online public-service pages through the router (no port, fixed clock, SQLite): a
//! citizen files a birth registration with a PDF attachment and approves the signature on
//! the phone; the commune officer sees the signature check and approves with a fee; the
//! citizen pays by VietQR and the platform's signed callback returns the sealed result.
//! Scope (another commune, provider staff), a tampered application, anti-forgery tokens,
//! refused attachments and forged callbacks.

mod common;
use common::Resp;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kyso_ca::{Ca, InitOptions, IssueRequest, KeySource};
use kyso_citizens::Citizens;
use kyso_core::{DossierState, FixedClock, SubjectIdentifier, TextField, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_pki::{Profile, SubjectSpec};
use kyso_remote::{RemoteSigning, Secrets};
use kyso_server::AppState;
use kyso_store::Store;
use kyso_store::citizens::StaffRole;
use kyso_store::dossiers::{DossierFile, Move};
use kyso_store::population::{HouseholdRecord, PersonRecord};
use std::sync::Arc;

const T0: UnixTime = UnixTime(1_795_459_507);
const PIN: &str = "482913";
/// Nguyễn Thị Lan, commune 19789 (Thuận Hóa), phone 0912345678.
const LAN: &str = "046190012345";
const OFFICER: &str = "can-bo.thuanhoa";
const OTHER_OFFICER: &str = "can-bo.phuxuan";
const PROVIDER_STAFF: &str = "nv.vnpt";
const PASSWORD: &str = "mat-khau-can-bo";
const BIRTH: &str = "1.001193";

struct Env {
    state: AppState,
    store: Arc<dyn Store>,
    remote: RemoteSigning,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = kyso_store::open(&format!("sqlite:{}", dir.path().join("k.db").display()))
        .await
        .unwrap();
    let keys = Arc::new(SoftKeyStore::new(Kek::from_bytes(&[3; 32]).unwrap()));
    let opts = InitOptions {
        algorithm: KeyAlgorithm::P256,
        public_url: "http://ca.kyso.vn".into(),
        organisation: "kyso test".into(),
        operator_policy: None,
        crl_shards: 2,
    };
    let clock = Arc::new(FixedClock::new(T0));
    let ca = Ca::init(store, keys.clone(), clock.clone(), &opts, vec![])
        .await
        .unwrap();
    ca.add_provider("vnpt-demo", "VNPT-CA (demo)")
        .await
        .unwrap();
    let ca = Arc::new(
        Ca::load(ca.store().clone(), keys, clock.clone())
            .await
            .unwrap(),
    );
    let store = ca.store().clone();
    let households: Vec<HouseholdRecord> = ["46-19789-000001", "46-19753-000001"]
        .iter()
        .map(|h| HouseholdRecord {
            id: (*h).into(),
            commune_code: h[3..8].into(),
            province_code: "46".into(),
            village: None,
            address: None,
        })
        .collect();
    let people = [PersonRecord {
        cccd: LAN.into(),
        full_name: "Nguyễn Thị Lan".into(),
        birth_date: "1990-03-15".into(),
        sex: "Nữ".into(),
        phone: Some("0912345678".into()),
        household_id: "46-19789-000001".into(),
        commune_code: "19789".into(),
        province_code: "46".into(),
    }];
    store
        .import_population(&households, &people, T0, "test", &|_| {})
        .await
        .unwrap();
    // The agency's seal, and the fee account.
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
    for (k, v) in [
        ("portal.seal_serial", seal.as_str()),
        ("portal.bank_bin", "970403"),
        ("portal.bank_account", "0011012345678"),
        ("portal.account_name", "UBND PHUONG THUAN HOA"),
        ("portal.place", "Huế"),
    ] {
        store.put_setting(k, v).await.unwrap();
    }
    let remote = RemoteSigning::new(
        ca.clone(),
        Secrets::from_kek(Kek::from_bytes(&[5; 32]).unwrap()),
        Default::default(),
    );
    let citizens = Citizens::new(ca.clone(), remote.clone()).await.unwrap();
    for (id, name, role, scope) in [
        (OFFICER, "Hồ Thị Thu", StaffRole::Commune, "19789"),
        (OTHER_OFFICER, "Lê Văn Tâm", StaffRole::Commune, "19753"),
        (PROVIDER_STAFF, "Đỗ Minh", StaffRole::Provider, "vnpt-demo"),
    ] {
        citizens
            .add_staff(id, name, role, scope, PASSWORD)
            .await
            .unwrap();
    }
    let state = AppState::new(ca, Default::default())
        .await
        .unwrap()
        .with_remote(remote.clone())
        .with_citizens(citizens)
        .with_portal()
        .await
        .unwrap();
    Env {
        state,
        store,
        remote,
        _dir: dir,
    }
}

async fn send(e: &Env, req: Request<Body>) -> Resp {
    common::send(&e.state, req).await
}

async fn get(e: &Env, path: &str, cookies: &str) -> Resp {
    common::get(&e.state, path, cookies).await
}

async fn post(e: &Env, path: &str, cookies: &str, form: &[(&str, &str)]) -> Resp {
    common::post_form(&e.state, path, cookies, form).await
}

/// A file part: (field name, file name, content type, bytes).
type Part<'a> = (&'a str, &'a str, &'a str, &'a [u8]);

async fn post_multipart(
    e: &Env,
    path: &str,
    cookies: &str,
    fields: &[(&str, &str)],
    files: &[Part<'_>],
) -> Resp {
    const B: &str = "kysoBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{B}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, file, ctype, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{B}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: {ctype}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{B}--\r\n").as_bytes());
    let req = Request::post(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={B}"),
        )
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::COOKIE, cookies)
        .body(Body::from(body))
        .unwrap();
    send(e, req).await
}

/// A small valid PDF (one empty page).
fn small_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The birth-registration form, filled in.
fn birth_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("declarant_full_name", "Nguyễn Thị Lan"),
        ("declarant_cccd", LAN),
        ("declarant_phone", "0912345678"),
        ("declarant_address", "12 Lê Lợi, phường Thuận Hóa, Huế"),
        ("declarant_relationship", "me"),
        ("child_full_name", "Trần Minh Khôi"),
        ("child_birth_date", "01/11/2026"),
        ("child_sex", "nam"),
        ("child_ethnicity", "Kinh"),
        ("child_nationality", "Việt Nam"),
        ("child_birth_place", "Bệnh viện Trung ương Huế"),
        ("mother_full_name", "Nguyễn Thị Lan"),
        ("mother_ethnicity", "Kinh"),
        ("mother_nationality", "Việt Nam"),
        ("mother_address", "12 Lê Lợi, phường Thuận Hóa, Huế"),
        ("parents_married", "khong"),
    ]
}

/// Registers Lan online (code from the SMS outbox); her session cookie.
async fn citizen_session(e: &Env) -> String {
    let step2 = post(
        e,
        "/dang-ky/ma",
        "",
        &[
            ("cccd", LAN),
            ("full_name", "Nguyễn Thị Lan"),
            ("birth_date", "1990-03-15"),
        ],
    )
    .await;
    assert_eq!(step2.status, StatusCode::OK, "{}", step2.body);
    let sms = e.store.sms_outbox(Some("0912345678"), 1).await.unwrap();
    let code = sms[0]
        .body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned();
    let done = post(
        e,
        "/dang-ky/xac-nhan",
        "",
        &[
            ("challenge", &step2.hidden("challenge")),
            ("cccd", LAN),
            ("hint", &step2.hidden("hint")),
            ("code", &code),
            ("provider", "vnpt-demo"),
            ("pin", PIN),
            ("pin2", PIN),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    done.cookie("kyso_citizen").expect("session cookie")
}

async fn staff_session(e: &Env, id: &str) -> String {
    let r = post(
        e,
        "/can-bo/dang-nhap",
        "",
        &[("id", id), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.cookie("kyso_staff").expect("staff session cookie")
}

/// The form page's anti-forgery token.
async fn form_csrf(e: &Env, cookie: &str) -> String {
    let form = get(e, &format!("/tai-khoan/ho-so/moi/{BIRTH}"), cookie).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    form.hidden("csrf")
}

/// Files the birth registration, approves it on the phone, opens the dossier page:
/// (dossier id, receipt).
async fn file_birth_registration(e: &Env, cookie: &str) -> (String, String) {
    let csrf = form_csrf(e, cookie).await;
    let mut fields = birth_form();
    fields.push(("csrf", &csrf));
    let pdf = small_pdf();
    let r = post_multipart(
        e,
        &format!("/tai-khoan/ho-so/moi/{BIRTH}"),
        cookie,
        &fields,
        &[(
            "tep.medical_birth_certificate",
            "giay-chung-sinh.pdf",
            "application/pdf",
            &pdf,
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page_path = r.location().to_owned();
    let id = page_path.rsplit('/').next().unwrap().to_owned();

    // Waiting for the phone: the short code, the /phone link, a refresh.
    let waiting = get(e, &page_path, cookie).await;
    assert_eq!(waiting.status, StatusCode::OK, "{}", waiting.body);
    assert!(
        waiting
            .body
            .contains("http-equiv=\"refresh\" content=\"5\"")
    );
    assert!(waiting.body.contains("href=\"/phone\""));
    let d = e.store.get_dossier(&id).await.unwrap().unwrap();
    assert_eq!(d.state, DossierState::Signing);
    let request = d.signing_request.clone().unwrap();
    let t = e.store.get_transaction(&request).await.unwrap().unwrap();
    assert!(
        waiting.body.contains(&t.short_code),
        "short code shown: {}",
        waiting.body
    );
    e.remote
        .approve(&t.subject_id, &request, Some(PIN), None)
        .await
        .unwrap();

    let filed = get(e, &page_path, cookie).await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    assert!(!filed.body.contains("http-equiv=\"refresh\""));
    assert!(filed.body.contains(&d.receipt), "{}", filed.body);
    assert!(filed.body.contains("Mới nộp"), "{}", filed.body);
    assert!(filed.body.contains("Đã nộp hồ sơ"), "{}", filed.body);
    assert_eq!(
        e.store.get_dossier(&id).await.unwrap().unwrap().state,
        DossierState::New
    );
    (id, d.receipt)
}

/// The officer approves with a fee of 8 000 đồng.
async fn approve_with_fee(e: &Env, officer: &str, id: &str) -> Resp {
    let page = get(e, &format!("/can-bo/ho-so/{id}"), officer).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    post(
        e,
        &format!("/can-bo/ho-so/{id}/approve"),
        officer,
        &[("csrf", &page.hidden("csrf")), ("vnd", "8000")],
    )
    .await
}

fn notice(receipt: &str, reference: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "reference": reference,
        "bill": receipt,
        "amount": 8000,
        "paid_at": T0.seconds(),
    }))
    .unwrap()
}

async fn callback(
    e: &Env,
    body: &[u8],
    signature: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut req =
        Request::post("/api/payments/vietqr").header(header::CONTENT_TYPE, "application/json");
    if let Some(s) = signature {
        req = req.header("X-Kyso-Signature", s);
    }
    let r = send(e, req.body(Body::from(body.to_vec())).unwrap()).await;
    (r.status, serde_json::from_str(&r.body).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birth_registration_goes_from_the_form_to_the_paid_result() {
    let e = env().await;
    let lan = citizen_session(&e).await;

    // The account links to the dossiers; the list shows the catalogue.
    let account = get(&e, "/tai-khoan", &lan).await;
    assert!(account.body.contains("href=\"/tai-khoan/ho-so\""));
    let list = get(&e, "/tai-khoan/ho-so", &lan).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body
            .contains(&format!("href=\"/tai-khoan/ho-so/moi/{BIRTH}\""))
    );
    assert!(list.body.contains("Đăng ký khai sinh"));

    // The generated form: sections, typed inputs, required marks, help, attachments.
    let form = get(&e, &format!("/tai-khoan/ho-so/moi/{BIRTH}"), &lan).await;
    for shown in [
        "enctype=\"multipart/form-data\"",
        "<legend>Người được khai sinh</legend>",
        "<label for=\"f-child_birth_date\">",
        "id=\"f-child_birth_date\" name=\"child_birth_date\" value=\"\" type=\"date\"",
        "maxlength=\"64\"",
        "<option value=\"nu\">Nữ</option>",
        "pattern=\"[0-9]{12}\"",
        "type=\"tel\"",
        "Ví dụ: Kinh, Tày",
        "name=\"tep.medical_birth_certificate\" accept=\"application/pdf,.pdf,image/jpeg,.jpg,.jpeg,image/png,.png\"",
        "tối đa 5,0 MB",
        "<html lang=\"vi\"",
    ] {
        assert!(form.body.contains(shown), "{shown} missing: {}", form.body);
    }
    let en = get(&e, &format!("/tai-khoan/ho-so/moi/{BIRTH}?lang=en"), &lan).await;
    assert!(en.body.contains("<html lang=\"en\"") && en.body.contains("Birth registration"));

    let (id, receipt) = file_birth_registration(&e, &lan).await;
    // The signed application is downloadable by its citizen.
    let signed = get(
        &e,
        &format!("/tai-khoan/ho-so/{id}/tep/application.signed"),
        &lan,
    )
    .await;
    assert_eq!(signed.status, StatusCode::OK);
    assert!(signed.bytes.starts_with(b"%PDF"));
    assert_eq!(signed.headers[header::CONTENT_TYPE], "application/pdf");
    let disposition = signed.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"to-khai-"),
        "{disposition}"
    );

    // The officer of Lan's commune: queue, the signature check, the approval with a fee.
    let officer = staff_session(&e, OFFICER).await;
    let home = get(&e, "/can-bo", &officer).await;
    assert!(home.body.contains("href=\"/can-bo/ho-so\""));
    let queue = get(&e, "/can-bo/ho-so?trang-thai=new", &officer).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains(&receipt), "{}", queue.body);
    let none = get(&e, "/can-bo/ho-so?trang-thai=rejected", &officer).await;
    assert!(!none.body.contains(&receipt));
    let page = get(&e, &format!("/can-bo/ho-so/{id}"), &officer).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Chữ ký hợp lệ"), "{}", page.body);
    assert!(page.body.contains("data-valid=\"true\""));
    assert!(page.body.contains("Nguyễn Thị Lan"));
    assert!(page.body.contains("Trần Minh Khôi"), "the form's data");
    assert!(page.body.contains("Thay đổi sau khi ký"));
    let attachment = get(
        &e,
        &format!("/can-bo/ho-so/{id}/tep/attachment.medical_birth_certificate"),
        &officer,
    )
    .await;
    assert_eq!(attachment.status, StatusCode::OK);
    assert_eq!(attachment.bytes, small_pdf());
    let r = approve_with_fee(&e, &officer, &id).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = e.store.get_dossier(&id).await.unwrap().unwrap();
    assert_eq!(d.state, DossierState::FeeRequested);
    assert_eq!(d.fee_vnd, 8000);
    // Not paid: the result is not the citizen's yet.
    let early = get(&e, &format!("/tai-khoan/ho-so/{id}/tep/result"), &lan).await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);

    // The fee page: amount, SVG, the payload (CRC-valid, amount, bill = receipt).
    let dossier = get(&e, &format!("/tai-khoan/ho-so/{id}"), &lan).await;
    assert!(
        dossier
            .body
            .contains(&format!("href=\"/tai-khoan/ho-so/{id}/phi\""))
    );
    assert!(
        !dossier.body.contains("/rut\""),
        "approved: no withdrawal offered"
    );
    let fee = get(&e, &format!("/tai-khoan/ho-so/{id}/phi"), &lan).await;
    assert_eq!(fee.status, StatusCode::OK, "{}", fee.body);
    assert!(fee.body.contains("8.000 đồng"), "{}", fee.body);
    assert!(fee.body.contains("<svg"));
    assert!(fee.body.contains("UBND PHUONG THUAN HOA"));
    let payload = fee
        .body
        .split("<textarea id=\"payload\" readonly>")
        .nth(1)
        .unwrap()
        .split("</textarea>")
        .next()
        .unwrap();
    let parsed = kyso_vietqr::Payload::parse(payload).expect("a CRC-valid VietQR payload");
    let t = parsed.transfer();
    assert_eq!(t.amount.unwrap().dong(), 8000);
    assert_eq!(t.bill.as_ref().unwrap().as_str(), receipt);
    assert_eq!(t.account.as_str(), "0011012345678");

    // The platform's signed callback: recorded, the result returned.
    let portal = e.state.portal.clone().unwrap();
    let body = notice(&receipt, "FT26334000001");
    let sig = portal.payment_signature(&body);
    let (status, json) = callback(&e, &body, Some(&sig)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["status"], "recorded");
    assert_eq!(json["receipt"], receipt.as_str());
    assert_eq!(json["state"], "result_returned");
    let d = e.store.get_dossier(&id).await.unwrap().unwrap();
    assert_eq!(d.state, DossierState::ResultReturned);
    let result = get(&e, &format!("/tai-khoan/ho-so/{id}/tep/result"), &lan).await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(result.bytes.starts_with(b"%PDF"));
    let path = e._dir.path().join("result.pdf");
    std::fs::write(&path, &result.bytes).unwrap();
    if let Ok(out) = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Nguyễn Thị Lan"), "{text}");
    }
    let done = get(&e, &format!("/tai-khoan/ho-so/{id}"), &lan).await;
    assert!(done.body.contains("Đã trả kết quả"), "{}", done.body);
    assert!(done.body.contains("FT26334000001"), "the payment is listed");

    // Replayed: duplicate, still one payment.
    let (status, json) = callback(&e, &body, Some(&sig)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["status"], "duplicate");
    assert_eq!(e.store.payments_of(&id).await.unwrap().len(), 1);

    // The notifications were shown, then marked read.
    let list = get(&e, "/tai-khoan/ho-so", &lan).await;
    assert!(list.body.contains("class=\"unread\""), "{}", list.body);
    assert!(list.body.contains(&receipt));
    let again = get(&e, "/tai-khoan/ho-so", &lan).await;
    assert!(!again.body.contains("class=\"unread\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_only_see_the_dossiers_of_their_scope() {
    let e = env().await;
    let lan = citizen_session(&e).await;
    let (id, receipt) = file_birth_registration(&e, &lan).await;

    let other = staff_session(&e, OTHER_OFFICER).await;
    let queue = get(&e, "/can-bo/ho-so", &other).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(!queue.body.contains(&receipt));
    let page = get(&e, &format!("/can-bo/ho-so/{id}"), &other).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(!page.body.contains("Trần Minh Khôi"));
    let file = get(
        &e,
        &format!("/can-bo/ho-so/{id}/tep/application.signed"),
        &other,
    )
    .await;
    assert_eq!(file.status, StatusCode::FORBIDDEN);
    assert!(!file.bytes.starts_with(b"%PDF"));
    // With its own session's valid token: still refused, nothing changes.
    for (action, fields) in [
        ("receive", vec![]),
        ("approve", vec![("vnd", "0")]),
        ("reject", vec![("reason", "không thuộc thẩm quyền")]),
    ] {
        let csrf = csrf_for_staff(&e, &other).await;
        let mut form = fields.clone();
        form.push(("csrf", &csrf));
        let r = post(&e, &format!("/can-bo/ho-so/{id}/{action}"), &other, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}: {}", r.body);
    }
    assert_eq!(
        e.store.get_dossier(&id).await.unwrap().unwrap().state,
        DossierState::New
    );

    let provider = staff_session(&e, PROVIDER_STAFF).await;
    let q = get(&e, "/can-bo/ho-so", &provider).await;
    assert_eq!(q.status, StatusCode::FORBIDDEN, "{}", q.body);

    // Another citizen's dossier (here: an unknown session) cannot be read either.
    let anon = get(&e, &format!("/tai-khoan/ho-so/{id}"), "").await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert_eq!(anon.location(), "/tai-khoan/dang-nhap");
}

/// A staff session's anti-forgery token, from the forms of the staff home page.
async fn csrf_for_staff(e: &Env, cookie: &str) -> String {
    let home = get(e, "/can-bo", cookie).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    home.hidden("csrf")
}

/// Waits for nothing: the dossier's state now.
async fn state_of(e: &Env, id: &str) -> DossierState {
    e.store.get_dossier(id).await.unwrap().unwrap().state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_application_is_shown_invalid_and_cannot_be_approved() {
    let e = env().await;
    let lan = citizen_session(&e).await;
    let (id, _) = file_birth_registration(&e, &lan).await;
    let signed = e
        .store
        .dossier_file(&id, "application.signed")
        .await
        .unwrap()
        .unwrap();
    // One byte flipped inside the first signed range (in the first stream's data).
    let mut tampered = signed.bytes.clone();
    let at = tampered
        .windows(7)
        .position(|w| w == b"stream\n")
        .expect("a stream")
        + 7
        + 3;
    tampered[at] ^= 0x01;
    let mut mv = Move::new(
        &id,
        DossierState::New,
        &[DossierState::Received],
        "test",
        "",
        T0,
    );
    mv.files = vec![DossierFile {
        bytes: tampered,
        ..signed
    }];
    e.store.move_dossier(&mv).await.unwrap();

    let officer = staff_session(&e, OFFICER).await;
    let page = get(&e, &format!("/can-bo/ho-so/{id}"), &officer).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Chữ ký không hợp lệ"), "{}", page.body);
    assert!(page.body.contains("data-valid=\"false\""));
    let r = post(
        &e,
        &format!("/can-bo/ho-so/{id}/approve"),
        &officer,
        &[("csrf", &page.hidden("csrf")), ("vnd", "8000")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("không hợp lệ"), "{}", r.body);
    assert_eq!(state_of(&e, &id).await, DossierState::Received);
    assert!(
        e.store.dossier_file(&id, "result").await.unwrap().is_none(),
        "no result was made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_the_sessions_token_change_nothing() {
    let e = env().await;
    let lan = citizen_session(&e).await;
    let (id, _) = file_birth_registration(&e, &lan).await;
    let withdraw = format!("/tai-khoan/ho-so/{id}/rut");
    for form in [
        vec![],
        vec![("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")],
    ] {
        let r = post(&e, &withdraw, &lan, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("mã chống giả mạo"), "{}", r.body);
        assert_eq!(state_of(&e, &id).await, DossierState::New);
    }
    // Another session's token does not do either.
    let officer = staff_session(&e, OFFICER).await;
    let staff_token = csrf_for_staff(&e, &officer).await;
    let r = post(&e, &withdraw, &lan, &[("csrf", &staff_token)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for form in [vec![], vec![("csrf", "nope")]] {
        let r = post(&e, &format!("/can-bo/ho-so/{id}/receive"), &officer, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(state_of(&e, &id).await, DossierState::New);
    }
    // A new-dossier post without the token: refused after reading, nothing filed.
    let pdf = small_pdf();
    let r = post_multipart(
        &e,
        &format!("/tai-khoan/ho-so/moi/{BIRTH}"),
        &lan,
        &birth_form(),
        &[(
            "tep.medical_birth_certificate",
            "a.pdf",
            "application/pdf",
            &pdf,
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(e.store.dossiers_of(LAN, 10).await.unwrap().len(), 1);
    // The existing account forms too.
    let r = post(&e, "/tai-khoan/tam-dung", &lan, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let serial = e.store.active_enrolment(LAN).await.unwrap().unwrap().serial;
    let cert = e.store.get_certificate(&serial).await.unwrap().unwrap();
    assert_eq!(cert.status, kyso_core::CertStatus::Valid);

    // With the page's token: done.
    let page = get(&e, &format!("/tai-khoan/ho-so/{id}"), &lan).await;
    let r = post(&e, &withdraw, &lan, &[("csrf", &page.hidden("csrf"))]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state_of(&e, &id).await, DossierState::Withdrawn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_attachments_and_fields_are_explained_and_nothing_is_stored() {
    let e = env().await;
    let lan = citizen_session(&e).await;
    let csrf = form_csrf(&e, &lan).await;
    let path = format!("/tai-khoan/ho-so/moi/{BIRTH}");
    let mut fields = birth_form();
    fields.push(("csrf", &csrf));

    // 6 MB where 5 MB is the limit.
    let mut big = small_pdf();
    big.resize(6 * 1024 * 1024, b' ');
    let r = post_multipart(
        &e,
        &path,
        &lan,
        &fields,
        &[(
            "tep.medical_birth_certificate",
            "big.pdf",
            "application/pdf",
            &big,
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.body.contains("6,0 MB") && r.body.contains("tối đa 5,0 MB"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Trần Minh Khôi\""), "values kept");

    // Text where a document is expected; a photo where only PDF is accepted.
    let pdf = small_pdf();
    let r = post_multipart(
        &e,
        &path,
        &lan,
        &fields,
        &[(
            "tep.medical_birth_certificate",
            "note.txt",
            "text/plain",
            b"just some text",
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("không phải PDF"), "{}", r.body);
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
    let r = post_multipart(
        &e,
        &path,
        &lan,
        &fields,
        &[
            (
                "tep.medical_birth_certificate",
                "a.pdf",
                "application/pdf",
                &pdf,
            ),
            ("tep.authorisation", "uy-quyen.jpg", "image/jpeg", &jpeg),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("phải là PDF"), "{}", r.body);

    // A required attachment missing.
    let r = post_multipart(&e, &path, &lan, &fields, &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Giấy chứng sinh"), "{}", r.body);

    // A bad field: its error next to it, the other values kept.
    let mut bad = fields.clone();
    bad.retain(|(k, _)| *k != "child_full_name");
    bad.push(("child_full_name", "Khôi 123"));
    bad.retain(|(k, _)| *k != "declarant_cccd");
    let r = post_multipart(
        &e,
        &path,
        &lan,
        &bad,
        &[(
            "tep.medical_birth_certificate",
            "a.pdf",
            "application/pdf",
            &pdf,
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("id=\"f-child_full_name-err\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("id=\"f-declarant_cccd-err\""), "{}", r.body);
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("value=\"Khôi 123\""));
    assert!(r.body.contains("value=\"Bệnh viện Trung ương Huế\""));

    assert!(e.store.dossiers_of(LAN, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_payment_callbacks_pay_nothing() {
    let e = env().await;
    let lan = citizen_session(&e).await;
    let (id, receipt) = file_birth_registration(&e, &lan).await;
    let officer = staff_session(&e, OFFICER).await;
    let r = approve_with_fee(&e, &officer, &id).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let portal = e.state.portal.clone().unwrap();

    let body = notice(&receipt, "FT-FORGED-1");
    let (status, json) = callback(&e, &body, Some(&"00".repeat(32))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert_eq!(json["error"], "bad_signature");
    let (status, _) = callback(&e, &body, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Signed, but for another body.
    let other = notice(&receipt, "FT-FORGED-2");
    let (status, _) = callback(&e, &body, Some(&portal.payment_signature(&other))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(e.store.payments_of(&id).await.unwrap().is_empty());
    assert_eq!(state_of(&e, &id).await, DossierState::FeeRequested);

    // Signed but malformed, or for an unknown bill.
    let junk = b"{\"reference\": 1}";
    let (status, _) = callback(&e, junk, Some(&portal.payment_signature(junk))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let unknown = notice("H46.19789-261123-999999", "FT-UNKNOWN");
    let (status, json) = callback(&e, &unknown, Some(&portal.payment_signature(&unknown))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    // Signed, for the right bill, but not the fee due.
    let short = serde_json::to_vec(&serde_json::json!({
        "reference": "FT-SHORT", "bill": receipt, "amount": 5000, "paid_at": T0.seconds(),
    }))
    .unwrap();
    let (status, json) = callback(&e, &short, Some(&portal.payment_signature(&short))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    assert_eq!(json["error"], "wrong_state");
    assert!(e.store.payments_of(&id).await.unwrap().is_empty());
    assert_eq!(state_of(&e, &id).await, DossierState::FeeRequested);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplement_goes_back_to_the_agency_and_oversized_posts_get_a_page() {
    let e = env().await;
    let lan = citizen_session(&e).await;
    let (id, _) = file_birth_registration(&e, &lan).await;
    let officer = staff_session(&e, OFFICER).await;
    let page = get(&e, &format!("/can-bo/ho-so/{id}"), &officer).await;
    let csrf = page.hidden("csrf");
    let r = post(
        &e,
        &format!("/can-bo/ho-so/{id}/receive"),
        &officer,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A supplement without saying what: refused on the page, state unchanged.
    let r = post(
        &e,
        &format!("/can-bo/ho-so/{id}/supplement"),
        &officer,
        &[("csrf", &csrf), ("note", " ")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(state_of(&e, &id).await, DossierState::Received);
    let r = post(
        &e,
        &format!("/can-bo/ho-so/{id}/supplement"),
        &officer,
        &[
            ("csrf", &csrf),
            ("note", "Thiếu giấy chứng nhận kết hôn của cha mẹ"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state_of(&e, &id).await, DossierState::SupplementRequested);

    let dossier = get(&e, &format!("/tai-khoan/ho-so/{id}"), &lan).await;
    assert!(
        dossier.body.contains("Thiếu giấy chứng nhận kết hôn"),
        "{}",
        dossier.body
    );
    assert!(
        dossier
            .body
            .contains(&format!("action=\"/tai-khoan/ho-so/{id}/bo-sung\""))
    );
    let pdf = small_pdf();
    let r = post_multipart(
        &e,
        &format!("/tai-khoan/ho-so/{id}/bo-sung"),
        &lan,
        &[("csrf", &dossier.hidden("csrf")), ("note", "Đã bổ sung")],
        &[(
            "tep.parents_marriage_certificate",
            "ket-hon.pdf",
            "application/pdf",
            &pdf,
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state_of(&e, &id).await, DossierState::Resubmitted);
    assert!(
        e.store
            .dossier_file(&id, "attachment.parents_marriage_certificate")
            .await
            .unwrap()
            .is_some()
    );

    // Beyond the body limit: a page that says so, in the reader's language.
    let huge = vec![b'%'; 41 * 1024 * 1024];
    let r = post_multipart(
        &e,
        &format!("/tai-khoan/ho-so/moi/{BIRTH}?lang=en"),
        &lan,
        &[],
        &[(
            "tep.medical_birth_certificate",
            "huge.pdf",
            "application/pdf",
            &huge,
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("The upload is too large"), "{}", r.body);
    assert!(r.body.contains("<html lang=\"en\""));
    assert_eq!(e.store.dossiers_of(LAN, 10).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_rate_limited_per_client() {
    let mut e = env().await;
    e.state = e.state.clone().with_login_rate(3);
    for _ in 0..3 {
        let r = post(
            &e,
            "/can-bo/dang-nhap",
            "",
            &[("id", OFFICER), ("password", "sai")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    for path in ["/can-bo/dang-nhap", "/phone/login", "/tai-khoan/dang-nhap"] {
        let r = post(&e, path, "", &[("id", OFFICER), ("password", PASSWORD)]).await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: {}",
            r.body
        );
        assert!(
            r.body.contains("Có quá nhiều lần thử đăng nhập"),
            "{}",
            r.body
        );
        assert!(r.headers.contains_key(header::RETRY_AFTER));
    }
    // Other pages are not limited.
    assert_eq!(get(&e, "/can-bo", "").await.status, StatusCode::OK);
}
