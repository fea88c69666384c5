//! The citizen pages through the router (no port, fixed clock, SQLite): online
//! registration with the code from the SMS outbox, field-officer enrolment with the CCCD
//! card's QR text, staff scope and the access log, sessions bound to one citizen, English.

mod common;
use common::Resp;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use kyso_ca::{Ca, InitOptions};
use kyso_citizens::Citizens;
use kyso_core::{CertStatus, FixedClock, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_remote::{RemoteSigning, Secrets};
use kyso_server::AppState;
use kyso_store::Store;
use kyso_store::citizens::StaffRole;
use kyso_store::enrolment::Channel;
use kyso_store::population::{HouseholdRecord, PersonRecord};
use std::sync::Arc;

const T0: UnixTime = UnixTime(1_795_459_507);
const PIN: &str = "482913";

/// Nguyễn Thị Lan, commune 19789 (Thuận Hóa), phone 0912345678.
const LAN: &str = "046190012345";
/// Trần Văn Hùng, commune 19789, phone 0987654321.
const HUNG: &str = "046085001234";
/// Lê Thị Mai, commune 19753 (Phú Xuân), phone 0901234567.
const MAI: &str = "046301004567";
/// Phạm Văn Nam, commune 19789, no phone (enrols at home).
const NAM: &str = "046092007777";
const NAM_QR: &str = "046092007777||Phạm Văn Nam|05011992|Nam|12 Lê Lợi, Thuận Hóa, Huế|10032021";

const OFFICER: &str = "can-bo.thuanhoa";
const OFFICER_PASSWORD: &str = "mat-khau-thuan-hoa";

struct Env {
    state: AppState,
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

fn person(
    cccd: &str,
    name: &str,
    birth: &str,
    sex: &str,
    phone: Option<&str>,
    household: &str,
) -> PersonRecord {
    PersonRecord {
        cccd: cccd.into(),
        full_name: name.into(),
        birth_date: birth.into(),
        sex: sex.into(),
        phone: phone.map(Into::into),
        household_id: household.into(),
        commune_code: household[3..8].into(),
        province_code: "46".into(),
    }
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
    for (id, name) in [
        ("vnpt-demo", "VNPT-CA (demo)"),
        ("viettel-demo", "Viettel-CA (demo)"),
    ] {
        ca.add_provider(id, name).await.unwrap();
    }
    // Loaded again, as a server starting on the database would: with the providers' CAs.
    let ca = Arc::new(
        Ca::load(ca.store().clone(), keys, clock.clone())
            .await
            .unwrap(),
    );
    let store = ca.store().clone();
    let households: Vec<HouseholdRecord> = [
        "46-19789-000001",
        "46-19789-000002",
        "46-19753-000001",
        "46-19789-000003",
    ]
    .iter()
    .map(|h| HouseholdRecord {
        id: (*h).into(),
        commune_code: h[3..8].into(),
        province_code: "46".into(),
        village: None,
        address: None,
    })
    .collect();
    let people = [
        person(
            LAN,
            "Nguyễn Thị Lan",
            "1990-03-15",
            "Nữ",
            Some("0912345678"),
            "46-19789-000001",
        ),
        person(
            HUNG,
            "Trần Văn Hùng",
            "1985-07-02",
            "Nam",
            Some("0987654321"),
            "46-19789-000002",
        ),
        person(
            MAI,
            "Lê Thị Mai",
            "2001-11-20",
            "Nữ",
            Some("0901234567"),
            "46-19753-000001",
        ),
        person(
            NAM,
            "Phạm Văn Nam",
            "1992-01-05",
            "Nam",
            None,
            "46-19789-000003",
        ),
    ];
    store
        .import_population(&households, &people, T0, "test", &|_| {})
        .await
        .unwrap();
    let remote = RemoteSigning::new(
        ca.clone(),
        Secrets::from_kek(Kek::from_bytes(&[5; 32]).unwrap()),
        Default::default(),
    );
    let citizens = Citizens::new(ca.clone(), remote.clone()).await.unwrap();
    citizens
        .add_staff(
            OFFICER,
            "Hồ Thị Thu",
            StaffRole::Commune,
            "19789",
            OFFICER_PASSWORD,
        )
        .await
        .unwrap();
    let state = AppState::new(ca, Default::default())
        .await
        .unwrap()
        .with_remote(remote)
        .with_citizens(citizens);
    Env {
        state,
        store,
        clock,
        _dir: dir,
    }
}

async fn send(e: &Env, req: Request<Body>) -> Resp {
    common::send(&e.state, req).await
}

async fn get(e: &Env, path: &str, cookies: &str) -> Resp {
    common::get(&e.state, path, cookies).await
}

/// The anti-forgery token the session's home page puts in its forms (empty without one).
async fn csrf_of(e: &Env, path: &str, cookies: &str) -> String {
    let home = if path.starts_with("/tai-khoan/") && !path.starts_with("/tai-khoan/dang-nhap") {
        "/tai-khoan"
    } else if path.starts_with("/can-bo/") && path != "/can-bo/dang-nhap" {
        "/can-bo"
    } else {
        return String::new();
    };
    if cookies.is_empty() {
        return String::new();
    }
    let page = get(e, home, cookies).await;
    let key = "name=\"csrf\" value=\"";
    page.body
        .find(key)
        .map(|at| {
            page.body[at + key.len()..]
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        })
        .unwrap_or_default()
}

/// Posts a form as the page would: with the session's anti-forgery token.
async fn post(e: &Env, path: &str, cookies: &str, form: &[(&str, &str)]) -> Resp {
    let csrf = csrf_of(e, path, cookies).await;
    let mut form = form.to_vec();
    if !csrf.is_empty() {
        form.push(("csrf", &csrf));
    }
    post_raw(e, path, cookies, &form).await
}

/// Posts exactly the fields given.
async fn post_raw(e: &Env, path: &str, cookies: &str, form: &[(&str, &str)]) -> Resp {
    common::post_form(&e.state, path, cookies, form).await
}

/// The newest code sent to `phone`.
async fn code_sent_to(e: &Env, phone: &str) -> String {
    let sms = e.store.sms_outbox(Some(phone), 1).await.unwrap();
    let body = &sms.first().expect("an SMS was queued").body;
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {body:?}"))
        .to_owned()
}

/// Step 1 of the online registration: the code is sent; returns the step-2 page.
async fn ask_code(e: &Env, cccd: &str, name: &str, birth: &str, cookies: &str) -> Resp {
    post(
        e,
        "/dang-ky/ma",
        cookies,
        &[("cccd", cccd), ("full_name", name), ("birth_date", birth)],
    )
    .await
}

/// A whole online registration; returns the success page (with the session cookie).
async fn register_online(
    e: &Env,
    cccd: &str,
    name: &str,
    birth: &str,
    phone: &str,
    provider: &str,
) -> Resp {
    let step2 = ask_code(e, cccd, name, birth, "").await;
    assert_eq!(step2.status, StatusCode::OK, "{}", step2.body);
    let code = code_sent_to(e, phone).await;
    post(
        e,
        "/dang-ky/xac-nhan",
        "",
        &[
            ("challenge", &step2.hidden("challenge")),
            ("cccd", &step2.hidden("cccd")),
            ("hint", &step2.hidden("hint")),
            ("code", &code),
            ("provider", provider),
            ("pin", PIN),
            ("pin2", PIN),
        ],
    )
    .await
}

async fn officer_cookie(e: &Env) -> String {
    let r = post(
        e,
        "/can-bo/dang-nhap",
        "",
        &[("id", OFFICER), ("password", OFFICER_PASSWORD)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/can-bo");
    r.cookie("kyso_staff").expect("staff session cookie")
}

#[tokio::test]
async fn a_citizen_registers_online_and_manages_the_account() {
    let e = env().await;
    let start = get(&e, "/dang-ky", "").await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.body.contains("<html lang=\"vi\""));
    assert!(start.body.contains("Gửi mã xác thực"), "{}", start.body);
    assert!(start.body.contains("action=\"/dang-ky/ma\""));

    // A date typed as on the card (DD/MM/YYYY) is understood too.
    let step2 = ask_code(&e, LAN, "nguyễn thị lan", "15/03/1990", "").await;
    assert_eq!(step2.status, StatusCode::OK, "{}", step2.body);
    assert!(
        step2.body.contains("*******678"),
        "the masked phone: {}",
        step2.body
    );
    assert!(step2.body.contains("VNPT-CA (demo)") && step2.body.contains("Viettel-CA (demo)"));
    let code = code_sent_to(&e, "0912345678").await;
    let done = post(
        &e,
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
    let active = e
        .store
        .active_enrolment(LAN)
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(active.channel, Channel::Online);
    assert_eq!(active.provider, "vnpt-demo");
    assert!(done.body.contains(&active.serial), "the serial is shown");
    assert!(done.body.contains("VNPT-CA (demo)"));
    assert!(done.body.contains("Miễn phí ký dịch vụ công đến"));
    assert!(done.body.contains("href=\"/tai-khoan\""));
    // The code is spent: the same form again is refused.
    let again = post(
        &e,
        "/dang-ky/xac-nhan",
        "",
        &[
            ("challenge", &step2.hidden("challenge")),
            ("cccd", LAN),
            ("code", &code),
            ("provider", "viettel-demo"),
            ("pin", PIN),
            ("pin2", PIN),
        ],
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);

    // Registered → logged in; the account shows the certificate.
    let session = done.cookie("kyso_citizen").expect("session cookie");
    let set = done
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("kyso_citizen="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let account = get(&e, "/tai-khoan", &session).await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.body);
    for shown in [
        "Nguyễn Thị Lan",
        LAN,
        &active.serial,
        "VNPT-CA (demo)",
        "Đang hoạt động",
        "Trực tuyến",
        "Tải dữ liệu của tôi",
    ] {
        assert!(
            account.body.contains(shown),
            "{shown} missing: {}",
            account.body
        );
    }
    // Outside the renewal window: the button is there, disabled.
    assert!(
        account.body.contains("id=\"renew\" disabled"),
        "{}",
        account.body
    );

    // Suspend, then resume: a wrong PIN is refused, the right one resumes.
    let r = post(&e, "/tai-khoan/tam-dung", &session, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/tai-khoan?ok=suspended");
    let cert = e
        .store
        .get_certificate(&active.serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.status, CertStatus::Suspended);
    let page = get(&e, "/tai-khoan?ok=suspended", &session).await;
    assert!(page.body.contains("Đã tạm dừng chữ ký số") && page.body.contains("Tạm dừng"));
    assert!(page.body.contains("action=\"/tai-khoan/mo-lai\""));
    let wrong = post(&e, "/tai-khoan/mo-lai", &session, &[("pin", "111222")]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert!(wrong.body.contains("Sai mã PIN"), "{}", wrong.body);
    let r = post(&e, "/tai-khoan/mo-lai", &session, &[("pin", PIN)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cert = e
        .store
        .get_certificate(&active.serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.status, CertStatus::Valid);

    // Switch provider: the old certificate is revoked, the new one is Viettel's.
    let r = post(
        &e,
        "/tai-khoan/chuyen-nha-cung-cap",
        &session,
        &[
            ("provider", "viettel-demo"),
            ("current_pin", PIN),
            ("new_pin", "975310"),
            ("new_pin2", "975310"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = e.store.active_enrolment(LAN).await.unwrap().unwrap();
    assert_eq!(now.provider, "viettel-demo");
    let old = e
        .store
        .get_certificate(&active.serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, CertStatus::Revoked);
    let page = get(&e, "/tai-khoan", &session).await;
    assert!(page.body.contains("id=\"history\""));
    assert!(page.body.contains("chuyển nhà cung cấp"), "{}", page.body);

    // Renewal too early is refused by the service, in words.
    let r = post(
        &e,
        "/tai-khoan/gia-han",
        &session,
        &[
            ("current_pin", "975310"),
            ("new_pin", "864200"),
            ("new_pin2", "864200"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Chỉ gia hạn được"), "{}", r.body);

    // My data: a JSON attachment about this citizen.
    let data = get(&e, "/tai-khoan/du-lieu.json", &session).await;
    assert_eq!(data.status, StatusCode::OK);
    assert!(
        data.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let v: serde_json::Value = serde_json::from_str(&data.body).unwrap();
    assert_eq!(v["person"]["cccd"], LAN);
    assert_eq!(v["enrolments"].as_array().unwrap().len(), 2);

    // Log out: the cookie is cleared, the account asks to log in.
    let out = post(&e, "/tai-khoan/dang-xuat", &session, &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.cookie("kyso_citizen").as_deref(), Some("kyso_citizen="));
    let anon = get(&e, "/tai-khoan", "").await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert_eq!(anon.location(), "/tai-khoan/dang-nhap");
}

#[tokio::test]
async fn a_citizen_logs_in_with_a_code() {
    let e = env().await;
    let r = register_online(
        &e,
        HUNG,
        "Trần Văn Hùng",
        "1985-07-02",
        "0987654321",
        "vnpt-demo",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = get(&e, "/tai-khoan/dang-nhap", "").await;
    assert_eq!(page.status, StatusCode::OK);
    let step2 = post(
        &e,
        "/tai-khoan/dang-nhap",
        "",
        &[
            ("cccd", HUNG),
            ("full_name", "Trần Văn Hùng"),
            ("birth_date", "1985-07-02"),
        ],
    )
    .await;
    assert_eq!(step2.status, StatusCode::OK, "{}", step2.body);
    let code = code_sent_to(&e, "0987654321").await;
    // An enrolment code cannot log in, nor a wrong code.
    let wrong = post(
        &e,
        "/tai-khoan/dang-nhap/ma",
        "",
        &[
            ("challenge", &step2.hidden("challenge")),
            ("code", "000000"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.cookie("kyso_citizen").is_none());
    let ok = post(
        &e,
        "/tai-khoan/dang-nhap/ma",
        "",
        &[("challenge", &step2.hidden("challenge")), ("code", &code)],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), "/tai-khoan");
    let account = get(&e, "/tai-khoan", &ok.cookie("kyso_citizen").unwrap()).await;
    assert!(account.body.contains("Trần Văn Hùng"), "{}", account.body);
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_enrols_nobody() {
    let e = env().await;
    let step2 = ask_code(&e, LAN, "Nguyễn Thị Lan", "1990-03-15", "").await;
    assert_eq!(step2.status, StatusCode::OK);
    let code = code_sent_to(&e, "0912345678").await;
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let confirm = |code: String, pin2: &'static str| {
        let form = [
            ("challenge", step2.hidden("challenge")),
            ("cccd", LAN.to_owned()),
            ("hint", step2.hidden("hint")),
            ("code", code),
            ("provider", "vnpt-demo".to_owned()),
            ("pin", PIN.to_owned()),
            ("pin2", pin2.to_owned()),
        ];
        let e = &e;
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(e, "/dang-ky/xac-nhan", "", &pairs).await
        }
    };
    let r = confirm(wrong.to_owned(), PIN).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Mã xác thực sai"), "{}", r.body);
    assert!(r.cookie("kyso_citizen").is_none());
    // Two different PINs are refused before the code is tried.
    let r = confirm(code.clone(), "111111").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("Hai lần nhập mã PIN không giống nhau"),
        "{}",
        r.body
    );
    // Unmatched register details: no code is sent.
    let r = ask_code(&e, LAN, "Nguyễn Thị Lan", "1990-03-16", "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không khớp"), "{}", r.body);
    assert!(e.store.active_enrolment(LAN).await.unwrap().is_none());
    assert_eq!(
        e.store
            .sms_outbox(Some("0912345678"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_field_officer_enrols_a_citizen_at_home_with_the_card_qr() {
    let e = env().await;
    let login = get(&e, "/can-bo", "").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains("action=\"/can-bo/dang-nhap\""));
    let bad = post(
        &e,
        "/can-bo/dang-nhap",
        "",
        &[("id", OFFICER), ("password", "wrong-password")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.cookie("kyso_staff").is_none());

    let staff = officer_cookie(&e).await;
    let home = get(&e, "/can-bo", &staff).await;
    assert!(
        home.body.contains("Hồ Thị Thu") && home.body.contains("card_qr"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("BarcodeDetector"),
        "the scanner is offered where supported"
    );

    let r = post(
        &e,
        "/can-bo/dang-ky",
        &staff,
        &[
            ("card_qr", NAM_QR),
            ("provider", "viettel-demo"),
            ("pin", PIN),
            ("pin2", PIN),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let active = e
        .store
        .active_enrolment(NAM)
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(active.channel, Channel::DoorToDoor);
    assert_eq!(active.provider, "viettel-demo");
    assert!(r.body.contains(&active.serial) && r.body.contains("Phạm Văn Nam"));
    assert!(r.body.contains("href=\"/can-bo\""), "next citizen");
    assert!(
        r.cookie("kyso_citizen").is_none(),
        "the officer's phone is not logged in as the citizen"
    );
    // The citizen's PIN works for their credential.
    let credential = e
        .store
        .credentials_of(&format!("CCCD:{NAM}"))
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.serial == active.serial)
        .unwrap();
    e.state
        .remote
        .as_ref()
        .unwrap()
        .verify_pin(&credential.id, PIN)
        .await
        .unwrap();

    // Once enrolled, a second visit is refused (one certificate per citizen).
    let r = post(
        &e,
        "/can-bo/dang-ky",
        &staff,
        &[
            ("card_qr", NAM_QR),
            ("provider", "vnpt-demo"),
            ("pin", PIN),
            ("pin2", PIN),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // Without a session nothing is enrolled.
    let r = post(
        &e,
        "/can-bo/dang-ky",
        "",
        &[
            ("card_qr", NAM_QR),
            ("provider", "vnpt-demo"),
            ("pin", PIN),
            ("pin2", PIN),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_card_that_does_not_match_the_register_is_refused() {
    let e = env().await;
    let staff = officer_cookie(&e).await;
    for qr in [
        // Another name.
        "046092007777||Phạm Văn Năm|05011992|Nam|12 Lê Lợi, Huế|10032021",
        // Another birth day.
        "046092007777||Phạm Văn Nam|06011992|Nam|12 Lê Lợi, Huế|10032021",
        // Not a card at all.
        "046092007777",
    ] {
        let r = post(
            &e,
            "/can-bo/dang-ky",
            &staff,
            &[
                ("card_qr", qr),
                ("provider", "vnpt-demo"),
                ("pin", PIN),
                ("pin2", PIN),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{qr}: {}", r.body);
        assert!(r.body.contains("class=\"msg err\""), "{}", r.body);
        // The form keeps the QR text, never the PIN.
        assert!(
            r.body.contains("Thẻ CCCD không khớp") || r.body.contains("không hợp lệ"),
            "{}",
            r.body
        );
        assert!(!r.body.contains(PIN));
    }
    assert!(e.store.active_enrolment(NAM).await.unwrap().is_none());
}

#[tokio::test]
async fn an_officer_reading_another_communes_citizen_is_refused_and_logged() {
    let e = env().await;
    let staff = officer_cookie(&e).await;
    // In scope: shown, and logged as allowed.
    let r = post(
        &e,
        "/can-bo/tra-cuu",
        &staff,
        &[("cccd", LAN), ("reason", "hỗ trợ đăng ký tại nhà")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Nguyễn Thị Lan") && r.body.contains("0912345678"));
    // Another commune's citizen: 403, nothing of hers shown, logged as refused.
    let r = post(
        &e,
        "/can-bo/tra-cuu",
        &staff,
        &[("cccd", MAI), ("reason", "kiểm tra thông tin")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("Không được phép"), "{}", r.body);
    assert!(!r.body.contains("Lê Thị Mai") && !r.body.contains("0901234567"));
    let log = e
        .store
        .access_log(Some(MAI), Some(OFFICER), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(!log[0].allowed);
    assert_eq!(log[0].reason, "kiểm tra thông tin");
    let log = e
        .store
        .access_log(Some(LAN), Some(OFFICER), 10)
        .await
        .unwrap();
    assert!(log.len() == 1 && log[0].allowed, "{log:?}");
    // No reason: refused before anything is read.
    let r = post(
        &e,
        "/can-bo/tra-cuu",
        &staff,
        &[("cccd", LAN), ("reason", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // The same through the staff API (HTTP Basic).
    let basic = |id: &str, pw: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{pw}"))
        )
    };
    let api = |path: String, auth: Option<String>| {
        let mut req = Request::get(path);
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        req.body(Body::empty()).unwrap()
    };
    let ok = send(
        &e,
        api(
            format!(
                "/api/staff/citizens/{LAN}?reason=h%E1%BB%97%20tr%E1%BB%A3%20c%C3%B4ng%20d%C3%A2n"
            ),
            Some(basic(OFFICER, OFFICER_PASSWORD)),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let v: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(v["full_name"], "Nguyễn Thị Lan");
    let no = send(
        &e,
        api(
            format!("/api/staff/citizens/{MAI}?reason=tra%20cuu%20thu"),
            Some(basic(OFFICER, OFFICER_PASSWORD)),
        ),
    )
    .await;
    assert_eq!(no.status, StatusCode::FORBIDDEN, "{}", no.body);
    let v: serde_json::Value = serde_json::from_str(&no.body).unwrap();
    assert_eq!(v["error"], "forbidden");
    assert!(v["message"].as_str().unwrap().contains("outside"), "{v}");
    assert_eq!(
        e.store
            .access_log(Some(MAI), Some(OFFICER), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    let r = send(
        &e,
        api(format!("/api/staff/citizens/{LAN}?reason=abcdef"), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.contains_key(header::WWW_AUTHENTICATE));
    let r = send(
        &e,
        api(
            format!("/api/staff/citizens/{LAN}?reason=abcdef"),
            Some(basic(OFFICER, "not-the-password")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(
        &e,
        api(
            format!("/api/staff/citizens/{LAN}"),
            Some(basic(OFFICER, OFFICER_PASSWORD)),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn a_citizens_session_acts_only_on_that_citizen() {
    let e = env().await;
    let a = register_online(
        &e,
        LAN,
        "Nguyễn Thị Lan",
        "1990-03-15",
        "0912345678",
        "vnpt-demo",
    )
    .await;
    let b = register_online(
        &e,
        HUNG,
        "Trần Văn Hùng",
        "1985-07-02",
        "0987654321",
        "vnpt-demo",
    )
    .await;
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    let session_a = a.cookie("kyso_citizen").unwrap();
    let serial_a = e.store.active_enrolment(LAN).await.unwrap().unwrap().serial;
    let serial_b = e
        .store
        .active_enrolment(HUNG)
        .await
        .unwrap()
        .unwrap()
        .serial;

    // A form naming B changes nothing of B's: the session decides whose certificate it is.
    let r = post(&e, "/tai-khoan/tam-dung", &session_a, &[("cccd", HUNG)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let status = |serial: String| {
        let store = e.store.clone();
        async move {
            store
                .get_certificate(&serial)
                .await
                .unwrap()
                .unwrap()
                .status
        }
    };
    assert_eq!(status(serial_a.clone()).await, CertStatus::Suspended);
    assert_eq!(status(serial_b.clone()).await, CertStatus::Valid);
    let data = get(&e, "/tai-khoan/du-lieu.json?cccd=046085001234", &session_a).await;
    let v: serde_json::Value = serde_json::from_str(&data.body).unwrap();
    assert_eq!(v["person"]["cccd"], LAN);

    // A's session rewritten to name B (same tag) is not a session.
    let token = session_a.trim_start_matches("kyso_citizen=");
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "kyso_citizen={}.{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(HUNG),
        parts[2],
        parts[3]
    );
    let r = post(&e, "/tai-khoan/tam-dung", &forged, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(status(serial_b.clone()).await, CertStatus::Valid);
    let r = get(&e, "/tai-khoan/du-lieu.json", &forged).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(!r.body.contains("Trần Văn Hùng"));
    // A staff cookie is not a citizen session either.
    let staff = officer_cookie(&e).await;
    let as_citizen = staff.replacen("kyso_staff=", "kyso_citizen=", 1);
    let r = post(&e, "/tai-khoan/tam-dung", &as_citizen, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn english_is_one_switch_away_and_stays() {
    let e = env().await;
    let r = get(&e, "/dang-ky?lang=en", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<html lang=\"en\""));
    assert!(
        r.body.contains("Register for a digital signature"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Send the code"));
    assert!(!r.body.contains("Gửi mã xác thực"));
    assert!(r.body.contains("Tiếng Việt"), "the way back");
    let lang = r.cookie("kyso_lang").expect("remembered");
    assert_eq!(lang, "kyso_lang=en");

    // Remembered: errors and other pages come in English.
    let r = ask_code(&e, LAN, "Nguyễn Thị Lan", "1990-01-01", &lang).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body
            .contains("These details do not match the population register."),
        "{}",
        r.body
    );
    let r = get(&e, "/can-bo", &lang).await;
    assert!(
        r.body.contains("Staff account") && r.body.contains("Password"),
        "{}",
        r.body
    );
    let r = get(&e, "/tai-khoan/dang-nhap", &lang).await;
    assert!(r.body.contains("Send a login code"), "{}", r.body);

    // And back.
    let r = get(&e, "/dang-ky?lang=vi", &lang).await;
    assert!(r.body.contains("Đăng ký chữ ký số"));
    assert_eq!(r.cookie("kyso_lang").as_deref(), Some("kyso_lang=vi"));
}

#[tokio::test]
async fn without_citizen_services_the_pages_say_so() {
    let e = env().await;
    let mut state = e.state.clone();
    state.citizens = None;
    let resp = common::get(&state, "/dang-ky", "").await;
    assert_eq!(resp.status, StatusCode::SERVICE_UNAVAILABLE);
    // OpenID is not configured here: its start page says so instead of redirecting.
    let r = get(&e, "/oidc/start?purpose=enrol", "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let start = get(&e, "/dang-ky", "").await;
    assert!(!start.body.contains("/oidc/start"));
}

/// A stand-in OpenID provider (discovery, JWKS, token endpoint) signing ES256 ID tokens
/// for whoever the test says logged in.
mod provider {
    use super::T0;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use axum::routing::{get, post};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;
    use std::sync::{Arc, Mutex};

    /// Who the next token is about: (nonce, CCCD, identity level).
    pub type Next = Arc<Mutex<(String, String, u8)>>;

    pub async fn start() -> (String, Next) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let key = Arc::new(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap());
        let point = key.public_key().as_ref().to_vec();
        let next: Next = Arc::default();
        let discovery = json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "code_challenge_methods_supported": ["S256"],
        });
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }]});
        let (issuer, who) = (base.clone(), next.clone());
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { axum::Json(discovery) }),
            )
            .route("/jwks", get(move || async move { axum::Json(jwks) }))
            .route(
                "/token",
                post(move || async move {
                    let (nonce, cccd, level) = who.lock().unwrap().clone();
                    let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
                    let signed = format!(
                        "{}.{}",
                        enc(json!({"alg": "ES256", "kid": "k1", "typ": "JWT"})),
                        enc(json!({
                            "iss": issuer, "sub": format!("vneid-{cccd}"), "aud": "kyso",
                            "iat": T0.0, "exp": T0.0 + 300, "nonce": nonce,
                            "cccd": cccd, "identity_level": level,
                        }))
                    );
                    let sig = key.sign(&SystemRandom::new(), signed.as_bytes()).unwrap();
                    let token = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
                    axum::Json(
                        json!({"access_token": "x", "token_type": "Bearer", "id_token": token}),
                    )
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (base, next)
    }
}

/// `(state, nonce)` of the authorization URL the browser is sent to.
fn state_and_nonce(location: &str) -> (String, String) {
    let query = location.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).unwrap().1.clone();
    (get("state"), get("nonce"))
}

#[tokio::test]
async fn a_citizen_registers_and_logs_in_through_vneid() {
    let mut e = env().await;
    let (issuer, next) = provider::start().await;
    let client = kyso_oidc::OidcClient::discover(kyso_oidc::OidcConfig::new(
        issuer.clone(),
        "kyso",
        "secret",
        "https://ca.kyso.vn/oidc/callback",
    ))
    .await
    .unwrap();
    e.state = e.state.clone().with_oidc(client, Channel::Vneid);

    let page = get(&e, "/dang-ky", "").await;
    assert!(page.body.contains("href=\"/oidc/start?purpose=enrol\""));
    assert!(page.body.contains("Đăng ký qua VNeID"));

    // Off to the provider, with the login's secrets in a Lax cookie.
    let go = get(&e, "/oidc/start?purpose=enrol", "").await;
    assert_eq!(go.status, StatusCode::SEE_OTHER);
    assert!(
        go.location().starts_with(&format!("{issuer}/authorize?")),
        "{}",
        go.location()
    );
    let set = go.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let pending = go.cookie("kyso_oidc_pending").unwrap();
    let (state, nonce) = state_and_nonce(go.location());

    // Another state than the one this browser started with: refused.
    *next.lock().unwrap() = (nonce.clone(), LAN.into(), 2);
    let r = get(&e, "/oidc/callback?code=c1&state=forged", &pending).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.cookie("kyso_oidc_identity").is_none());

    // Back from the provider: the identity is kept, the provider + PIN form shown.
    let back = get(
        &e,
        &format!("/oidc/callback?code=c1&state={state}"),
        &pending,
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert!(back.body.contains("Nguyễn Thị Lan") && back.body.contains("action=\"/dang-ky/oidc\""));
    let identity = back.cookie("kyso_oidc_identity").expect("identity cookie");
    let done = post(
        &e,
        "/dang-ky/oidc",
        &identity,
        &[("provider", "vnpt-demo"), ("pin", PIN), ("pin2", PIN)],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let active = e.store.active_enrolment(LAN).await.unwrap().unwrap();
    assert_eq!(active.channel, Channel::Vneid);
    assert!(done.body.contains(&active.serial));
    assert!(done.cookie("kyso_citizen").is_some());

    // A level-1 account is not enough.
    let go = get(&e, "/oidc/start?purpose=enrol", "").await;
    let (state, nonce) = state_and_nonce(go.location());
    *next.lock().unwrap() = (nonce, HUNG.into(), 1);
    let r = get(
        &e,
        &format!("/oidc/callback?code=c2&state={state}"),
        &go.cookie("kyso_oidc_pending").unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("mức 1"), "{}", r.body);

    // Logging in: the session starts on a page of our own, then the account.
    let go = get(&e, "/oidc/start?purpose=login", "").await;
    let (state, nonce) = state_and_nonce(go.location());
    *next.lock().unwrap() = (nonce, LAN.into(), 2);
    let r = get(
        &e,
        &format!("/oidc/callback?code=c3&state={state}"),
        &go.cookie("kyso_oidc_pending").unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("http-equiv=\"refresh\""));
    let account = get(&e, "/tai-khoan", &r.cookie("kyso_citizen").unwrap()).await;
    assert!(
        account.body.contains("VNeID") && account.body.contains(&active.serial),
        "{}",
        account.body
    );
}

/// Logs a registered citizen in with a code; returns the session cookie.
async fn log_in(e: &Env, cccd: &str, name: &str, birth: &str, phone: &str) -> String {
    let step2 = post(
        e,
        "/tai-khoan/dang-nhap",
        "",
        &[("cccd", cccd), ("full_name", name), ("birth_date", birth)],
    )
    .await;
    assert_eq!(step2.status, StatusCode::OK, "{}", step2.body);
    let code = code_sent_to(e, phone).await;
    let ok = post(
        e,
        "/tai-khoan/dang-nhap/ma",
        "",
        &[("challenge", &step2.hidden("challenge")), ("code", &code)],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    ok.cookie("kyso_citizen").unwrap()
}

#[tokio::test]
async fn renewal_is_offered_in_the_last_days_and_sessions_expire() {
    let e = env().await;
    let r = register_online(
        &e,
        LAN,
        "Nguyễn Thị Lan",
        "1990-03-15",
        "0912345678",
        "vnpt-demo",
    )
    .await;
    let session = r.cookie("kyso_citizen").unwrap();
    let first = e.store.active_enrolment(LAN).await.unwrap().unwrap();
    let cert = e
        .store
        .get_certificate(&first.serial)
        .await
        .unwrap()
        .unwrap();

    // Ten days before the end: the session of long ago is over; a new login offers renewal.
    e.clock
        .advance(cert.not_after.seconds() - T0.seconds() - 10 * 86_400);
    let r = get(&e, "/tai-khoan", &session).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "an old session is not accepted"
    );
    let session = log_in(&e, LAN, "Nguyễn Thị Lan", "1990-03-15", "0912345678").await;
    let page = get(&e, "/tai-khoan", &session).await;
    assert!(page.body.contains("id=\"renew\">"), "{}", page.body);
    assert!(
        page.body.contains("15/03/1990"),
        "dates in the Vietnamese way"
    );
    let r = post(
        &e,
        "/tai-khoan/gia-han",
        &session,
        &[
            ("current_pin", PIN),
            ("new_pin", "975310"),
            ("new_pin2", "975310"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/tai-khoan?ok=renewed");
    let now = e.store.active_enrolment(LAN).await.unwrap().unwrap();
    assert_ne!(now.serial, first.serial);
    assert_eq!(now.provider, "vnpt-demo");
    let page = get(&e, "/tai-khoan?ok=renewed", &session).await;
    assert!(
        page.body.contains("Đã gia hạn") && page.body.contains("gia hạn)"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn form_posts_from_another_site_are_refused() {
    let e = env().await;
    let a = register_online(
        &e,
        LAN,
        "Nguyễn Thị Lan",
        "1990-03-15",
        "0912345678",
        "vnpt-demo",
    )
    .await;
    let session = a.cookie("kyso_citizen").unwrap();
    let serial = e.store.active_enrolment(LAN).await.unwrap().unwrap().serial;
    let body = format!(
        "csrf={}",
        csrf_of(&e, "/tai-khoan/tam-dung", &session).await
    );
    let cross = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut req = Request::post("/tai-khoan/tam-dung")
            .header(header::HOST, "kyso.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, session.as_str());
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(f) = fetch_site {
            req = req.header("sec-fetch-site", f);
        }
        req.body(Body::from(body.clone())).unwrap()
    };
    for (origin, site) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (None, Some("cross-site")),
    ] {
        let r = send(&e, cross(origin, site)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin:?} {site:?}");
        let cert = e.store.get_certificate(&serial).await.unwrap().unwrap();
        assert_eq!(cert.status, kyso_core::CertStatus::Valid);
    }
    // The site's own form goes through.
    let r = send(&e, cross(Some("http://kyso.example"), Some("same-origin"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cert = e.store.get_certificate(&serial).await.unwrap().unwrap();
    assert_eq!(cert.status, kyso_core::CertStatus::Suspended);
}
