//! The campaign pages and the coverage API through the router (no port, fixed clock,
//! SQLite): a small Huế register (Phường Thuận Hóa with villages, Phường Phú Xuân), three
//! adults enrolled at home, a province administrator, two commune officers, a team member
//! and provider staff. Figures, charts, scope (403 for another commune, on pages, CSVs and
//! the API), assignments, the team member's day, visits and anti-forgery tokens.

mod common;
use common::Resp;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kyso_ca::{Ca, InitOptions};
use kyso_citizens::{Citizens, EnrolmentRequest, Proof};
use kyso_core::{FixedClock, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_remote::{RemoteSigning, Secrets};
use kyso_server::AppState;
use kyso_store::Store;
use kyso_store::citizens::StaffRole;
use kyso_store::population::{HouseholdRecord, PersonRecord};
use std::sync::Arc;

/// 24/11/2026 in Vietnam.
const T0: UnixTime = UnixTime(1_795_459_507);
const PASSWORD: &str = "mat-khau-can-bo";
/// Phường Thuận Hóa.
const A: &str = "19789";
/// Phường Phú Xuân.
const B: &str = "19753";
const ADMIN: &str = "qt.hue";
const OFFICER_A: &str = "can-bo.thuanhoa";
const OFFICER_B: &str = "can-bo.phuxuan";
const TEAM_A: &str = "to.thuanhoa";
const PROVIDER_STAFF: &str = "nv.vnpt";

struct Env {
    state: AppState,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

/// (cccd, name, birth date, sex, household)
const PEOPLE: [(&str, &str, &str, &str, &str); 9] = [
    (
        "046085000001",
        "Trần Văn Hùng",
        "1985-04-02",
        "Nam",
        "46-19789-000001",
    ),
    (
        "046190000002",
        "Lê Thị Hoa",
        "1990-06-11",
        "Nữ",
        "46-19789-000001",
    ),
    (
        "046070000003",
        "Nguyễn Văn Bình",
        "1970-01-20",
        "Nam",
        "46-19789-000002",
    ),
    (
        "046195000004",
        "Phạm Thị Cúc",
        "1995-09-30",
        "Nữ",
        "46-19789-000003",
    ),
    (
        "046060000005",
        "Hoàng Văn Đức",
        "1960-12-01",
        "Nam",
        "46-19789-000004",
    ),
    (
        "046188000006",
        "Võ Thị Em",
        "1988-03-03",
        "Nữ",
        "46-19789-000005",
    ),
    (
        "046080000007",
        "Đặng Văn Giang",
        "1980-07-07",
        "Nam",
        "46-19789-000005",
    ),
    (
        "046192000008",
        "Bùi Thị Hạnh",
        "1992-02-14",
        "Nữ",
        "46-19753-000001",
    ),
    (
        "046075000009",
        "Đỗ Văn Khoa",
        "1975-05-05",
        "Nam",
        "46-19753-000002",
    ),
];

/// Enrolled at home: two in Thuận Hóa (one household), one in Phú Xuân.
const ENROLLED: [&str; 3] = ["046085000001", "046190000002", "046192000008"];

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
    let households: Vec<HouseholdRecord> = [
        ("46-19789-000001", "Tổ 1", "3 Lê Lợi"),
        ("46-19789-000002", "Tổ 1", "5 Lê Lợi"),
        ("46-19789-000003", "Tổ 2", "7 Hùng Vương"),
        ("46-19789-000004", "Tổ 2", "9 Hùng Vương"),
        ("46-19789-000005", "Tổ 3", "11 Bến Nghé"),
        ("46-19753-000001", "Tổ 7", "2 Đinh Tiên Hoàng"),
        ("46-19753-000002", "Tổ 7", "4 Đinh Tiên Hoàng"),
    ]
    .iter()
    .map(|(h, v, a)| HouseholdRecord {
        id: (*h).into(),
        commune_code: h[3..8].into(),
        province_code: "46".into(),
        village: Some((*v).into()),
        address: Some((*a).into()),
    })
    .collect();
    let people: Vec<PersonRecord> = PEOPLE
        .iter()
        .map(|(cccd, name, birth, sex, h)| PersonRecord {
            cccd: (*cccd).into(),
            full_name: (*name).into(),
            birth_date: (*birth).into(),
            sex: (*sex).into(),
            phone: Some("0912345678".into()),
            household_id: (*h).into(),
            commune_code: h[3..8].into(),
            province_code: "46".into(),
        })
        .collect();
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
    for (id, name, role, scope) in [
        (ADMIN, "Ngô Quản Trị", StaffRole::Province, "46"),
        (OFFICER_A, "Hồ Thị Thu", StaffRole::Commune, A),
        (OFFICER_B, "Lê Văn Tâm", StaffRole::Commune, B),
        (TEAM_A, "Phan Văn Tổ", StaffRole::Team, A),
        (PROVIDER_STAFF, "Đỗ Minh", StaffRole::Provider, "vnpt-demo"),
    ] {
        citizens
            .add_staff(id, name, role, scope, PASSWORD)
            .await
            .unwrap();
    }
    for cccd in ENROLLED {
        let (_, name, birth, sex, h) = PEOPLE.iter().find(|p| p.0 == cccd).unwrap();
        let officer = citizens
            .staff_login(if &h[3..8] == A { OFFICER_A } else { OFFICER_B }, PASSWORD)
            .await
            .unwrap();
        let (y, m, d) = (&birth[..4], &birth[5..7], &birth[8..10]);
        citizens
            .enrol(EnrolmentRequest {
                cccd: cccd.into(),
                provider: "vnpt-demo".into(),
                proof: Proof::DoorToDoor {
                    officer,
                    card_qr: format!("{cccd}||{name}|{d}{m}{y}|{sex}|Huế|10032021"),
                },
                pin: "482913".into(),
                totp: false,
                algorithm: KeyAlgorithm::P256,
            })
            .await
            .unwrap();
    }
    let state = AppState::new(ca, Default::default())
        .await
        .unwrap()
        .with_remote(remote)
        .with_citizens(citizens);
    Env {
        state,
        store,
        _dir: dir,
    }
}

async fn get(e: &Env, path: &str, cookies: &str) -> Resp {
    common::get(&e.state, path, cookies).await
}

async fn post(e: &Env, path: &str, cookies: &str, form: &[(&str, &str)]) -> Resp {
    common::post_form(&e.state, path, cookies, form).await
}

async fn login(e: &Env, id: &str) -> String {
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

fn json(r: &Resp) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("not JSON: {}", r.body))
}

#[tokio::test]
async fn the_province_dashboard_shows_figures_and_charts() {
    let e = env().await;
    let admin = login(&e, ADMIN).await;
    let r = get(&e, "/chien-dich", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<svg"), "{}", r.body);
    assert!(r.body.contains("class=\"target\""));
    assert!(r.body.contains("Phường Thuận Hóa") && r.body.contains("Phường Phú Xuân"));
    assert!(r.body.contains("href=\"/chien-dich/xa/19789\""));
    // 9 adults, 3 covered: 33,3 %.
    let covered = r.body.split("id=\"f-covered\"").nth(1).unwrap();
    assert!(covered.contains("<b>3</b>"), "{covered}");
    assert!(covered.contains("33,3\u{a0}%"), "{covered}");
    let adults = r.body.split("id=\"f-adults\"").nth(1).unwrap();
    assert!(adults.contains("<b>9</b>"), "{adults}");
    assert!(r.body.contains("Tại nhà"), "channel label");
    assert!(r.body.contains("Với tốc độ hiện nay ("), "projection");
    assert!(r.body.contains("class=\"scroll\""));
    // Sorted by name on request; the CSV link keeps the sort.
    let by_name = get(&e, "/chien-dich?sort=name", &admin).await;
    let table = by_name.body.split("id=\"communes\"").nth(1).unwrap();
    assert!(table.find("Phường Phú Xuân").unwrap() < table.find("Phường Thuận Hóa").unwrap());
    // The province administrator's CSV has both communes.
    let csv = get(&e, "/chien-dich/xa.csv", &admin).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(csv.body.contains("19789") && csv.body.contains("19753"));

    // The API agrees with the page.
    let api = get(&e, "/api/coverage?province=46", &admin).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let v = json(&api);
    assert_eq!(v["total"]["adults"], 9);
    assert_eq!(v["total"]["covered"], 3);
    assert_eq!(v["total"]["households_covered"], 2);
    assert_eq!(v["communes"].as_array().unwrap().len(), 2);

    // By HTTP Basic too; a commune.
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ADMIN}:{PASSWORD}"));
    let r = common::send(
        &e.state,
        Request::get("/api/coverage?province=46&commune=19789")
            .header(header::AUTHORIZATION, format!("Basic {basic}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = json(&r);
    assert_eq!(v["total"]["adults"], 7);
    assert_eq!(v["total"]["covered"], 2);
}

#[tokio::test]
async fn logins_and_scope_are_enforced() {
    let e = env().await;
    // Not logged in.
    let r = get(&e, "/chien-dich", "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/can-bo"), "{}", r.location());
    let r = get(&e, "/api/coverage?province=46", "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(json(&r)["error"], "unauthorized");

    let officer = login(&e, OFFICER_A).await;
    // The dashboard sends a commune officer to their commune.
    let r = get(&e, "/chien-dich", &officer).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/chien-dich/xa/19789");
    // Another commune: refused everywhere.
    for path in [
        "/chien-dich/xa/19753",
        "/chien-dich/xa/19753/ho.csv",
        "/chien-dich/xa/19753/chua-dang-ky.csv",
        "/chien-dich/xa/19753/thon.csv",
        "/chien-dich/xa/19753/tham.csv",
        "/api/coverage?province=46&commune=19753",
    ] {
        let r = get(&e, path, &officer).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        assert!(!r.body.contains("Bùi Thị Hạnh"), "{path}");
    }
    // Unknown commune.
    let r = get(&e, "/chien-dich/xa/99999", &officer).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(&e, "/api/coverage?province=46&commune=99999", &officer).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The per-commune CSV: only the officer's row.
    let csv = get(&e, "/chien-dich/xa.csv", &officer).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.body.contains("19789"), "{}", csv.body);
    assert!(!csv.body.contains("19753"), "{}", csv.body);
    // Own commune: the unregistered adults, not the enrolled ones.
    let csv = get(&e, "/chien-dich/xa/19789/chua-dang-ky.csv", &officer).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'));
    assert!(csv.body.contains("Nguyễn Văn Bình"));
    assert!(!csv.body.contains("Trần Văn Hùng"));

    // The province administrator: figures and village counts, no names.
    let admin = login(&e, ADMIN).await;
    let r = get(&e, "/chien-dich/xa/19789", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Tổ 2"), "village counts");
    assert!(r.body.contains("id=\"no-households\""));
    for (_, name, ..) in PEOPLE {
        assert!(!r.body.contains(name), "{name} on the province's page");
    }
    let r = get(&e, "/chien-dich/xa/19789/chua-dang-ky.csv", &admin).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The team member: their day, no exports of the commune's adults.
    let team = login(&e, TEAM_A).await;
    let r = get(&e, "/chien-dich/xa/19789", &team).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/chien-dich/hom-nay");
    let r = get(&e, "/chien-dich/xa/19789/chua-dang-ky.csv", &team).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Provider staff: the province must be named.
    let provider = login(&e, PROVIDER_STAFF).await;
    let r = get(&e, "/api/coverage", &provider).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = get(&e, "/chien-dich?province=46", &provider).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn officer_assigns_and_the_team_member_records_visits() {
    let e = env().await;
    let officer = login(&e, OFFICER_A).await;
    let page = get(&e, "/chien-dich/xa/19789?list=unregistered", &officer).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Nguyễn Văn Bình (1970)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Phan Văn Tổ"),
        "team member in the select"
    );
    let csrf = page.hidden("csrf");

    // Without the token: refused, nothing assigned.
    let r = post(
        &e,
        "/chien-dich/xa/19789/phan-cong",
        &officer,
        &[("h", "46-19789-000002"), ("member", TEAM_A)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = post(
        &e,
        "/chien-dich/xa/19789/phan-cong",
        &officer,
        &[
            ("csrf", &csrf),
            ("h", "46-19789-000002"),
            ("h", "46-19789-000003"),
            ("member", TEAM_A),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = get(&e, r.location(), &officer).await;
    assert!(
        back.body.contains("Đã phân công 2 hộ cho Phan Văn Tổ"),
        "{}",
        back.body
    );

    // The team member's day lists exactly those two households.
    let team = login(&e, TEAM_A).await;
    let day = get(&e, "/chien-dich/hom-nay", &team).await;
    assert_eq!(day.status, StatusCode::OK, "{}", day.body);
    assert!(day.body.contains("id=\"ho-46-19789-000002\""));
    assert!(day.body.contains("id=\"ho-46-19789-000003\""));
    assert_eq!(day.body.matches("<details class=\"ho\"").count(), 2);
    assert!(day.body.contains("Nguyễn Văn Bình") && day.body.contains("Phạm Thị Cúc"));
    let team_csrf = day.hidden("csrf");

    // A visit without the token: refused, nothing recorded.
    let r = post(
        &e,
        "/chien-dich/tham/46-19789-000002",
        &team,
        &[("outcome", "not_home")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        e.store
            .visits_of("46-19789-000002")
            .await
            .unwrap()
            .is_empty()
    );
    // A household not assigned to them.
    let r = post(
        &e,
        "/chien-dich/tham/46-19789-000004",
        &team,
        &[("csrf", &team_csrf), ("outcome", "not_home")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        e.store
            .visits_of("46-19789-000004")
            .await
            .unwrap()
            .is_empty()
    );
    // Recorded.
    let r = post(
        &e,
        "/chien-dich/tham/46-19789-000002",
        &team,
        &[("csrf", &team_csrf), ("outcome", "not_home")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().ends_with("#ho-46-19789-000002"),
        "{}",
        r.location()
    );
    let day = get(&e, r.location().split('#').next().unwrap(), &team).await;
    // Not at home: back in 2 days (26/11).
    assert!(
        day.body.contains("Đã ghi: Vắng nhà — hẹn lại 26/11"),
        "{}",
        day.body
    );
    assert!(day.body.contains("Hôm nay: Vắng nhà"), "{}", day.body);
    assert_eq!(e.store.visits_of("46-19789-000002").await.unwrap().len(), 1);
    // The household's page shows it; the officer's list too.
    let h = get(&e, "/chien-dich/ho/46-19789-000002", &team).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    assert!(h.body.contains("Vắng nhà"));
    // The read of the household's adults is in the access log.
    let log = e
        .store
        .access_log(Some("046070000003"), Some(TEAM_A), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].what, "campaign household");
    let h = get(&e, "/chien-dich/ho/46-19789-000004", &team).await;
    assert_eq!(h.status, StatusCode::FORBIDDEN);
    let list = get(&e, "/chien-dich/xa/19789?list=all", &officer).await;
    assert!(list.body.contains("Vắng nhà"));
    // The visits table and CSV count it.
    let csv = get(&e, "/chien-dich/xa/19789/tham.csv", &officer).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains(TEAM_A) && csv.body.contains("Vắng nhà"));
    // The households CSV of the current list.
    let csv = get(&e, "/chien-dich/xa/19789/ho.csv?list=all", &officer).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body.lines().count(), 6, "{}", csv.body);
}

#[tokio::test]
async fn training_sessions_take_attendees_by_cccd() {
    let e = env().await;
    let officer = login(&e, OFFICER_A).await;
    let page = get(&e, "/chien-dich/xa/19789", &officer).await;
    let csrf = page.hidden("csrf");
    let r = post(
        &e,
        "/chien-dich/xa/19789/tap-huan",
        &officer,
        &[
            ("csrf", &csrf),
            ("place", "Nhà văn hóa Tổ 1"),
            ("date", "2026-11-25"),
            ("time", "08:30"),
            ("topic", "Ký số trên điện thoại"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = get(&e, r.location(), &officer).await;
    assert!(page.body.contains("25/11/2026 08:30"), "{}", page.body);
    let link = page
        .body
        .split("href=\"/chien-dich/tap-huan/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let path = format!("/chien-dich/tap-huan/{link}");
    let session = get(&e, &path, &officer).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    // A CCCD of another commune: said next to the field.
    let r = post(
        &e,
        &format!("{path}/hoc-vien"),
        &officer,
        &[("csrf", &csrf), ("cccd", "046192000008")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("id=\"cccd-err\""), "{}", r.body);
    let r = post(
        &e,
        &format!("{path}/hoc-vien"),
        &officer,
        &[("csrf", &csrf), ("cccd", "12")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"cccd-err\""));
    let r = post(
        &e,
        &format!("{path}/hoc-vien"),
        &officer,
        &[("csrf", &csrf), ("cccd", "046070000003")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let session = get(&e, r.location(), &officer).await;
    assert!(session.body.contains("Nguyễn Văn Bình"));
    // Another commune's officer cannot see it.
    let other = login(&e, OFFICER_B).await;
    let r = get(&e, &path, &other).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_staff_home_links_to_the_campaign() {
    let e = env().await;
    let officer = login(&e, OFFICER_A).await;
    let r = get(&e, "/can-bo", &officer).await;
    assert!(r.body.contains("href=\"/chien-dich\""));
    // The session cookie reaches the campaign pages and the API.
    let r = post(
        &e,
        "/can-bo/dang-nhap",
        "",
        &[("id", OFFICER_A), ("password", PASSWORD)],
    )
    .await;
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.contains("Path=/;"), "{set}");
}
