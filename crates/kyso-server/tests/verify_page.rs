//! The public verification page (`/verify`): signed PDFs and `.p7s` made in-process with a
//! citizen's credential on a temporary SQLite CA, verified through the router (no port).

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kyso_ca::{Ca, InitOptions};
use kyso_core::{Cccd, FixedClock, PersonName, SubjectIdentifier, TextField, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_pki::SubjectSpec;
use kyso_remote::documents::{DocumentSigner, Level, PdfOptions};
use kyso_remote::{RemoteSigning, Secrets};
use kyso_server::{AppState, router};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

const T0: UnixTime = UnixTime(1_795_459_507);
const PIN: &str = "482913";
const NAME: &str = "Lê Văn An";

struct Env {
    state: AppState,
    remote: RemoteSigning,
    credential: String,
    dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = kyso_store::open(&format!("sqlite:{}", dir.path().join("k.db").display()))
        .await
        .unwrap();
    let keys = Arc::new(SoftKeyStore::new(Kek::from_bytes(&[3; 32]).unwrap()));
    let clock = Arc::new(FixedClock::new(T0));
    let opts = InitOptions {
        algorithm: KeyAlgorithm::P256,
        public_url: "http://ca.kyso.vn".into(),
        organisation: "kyso test".into(),
        operator_policy: None,
        crl_shards: 2,
    };
    let ca = Arc::new(Ca::init(store, keys, clock, &opts, vec![]).await.unwrap());
    let secrets = Secrets::from_kek(Kek::from_bytes(&[5; 32]).unwrap());
    let remote = RemoteSigning::new(ca.clone(), secrets, Default::default());
    let credential = remote
        .create_credential(
            SubjectSpec::Person {
                name: PersonName::parse(NAME).unwrap(),
                id: SubjectIdentifier::Cccd(Cccd::parse("046190000601").unwrap()),
                province: TextField::parse("province", "Huế", 128).unwrap(),
                locality: None,
            },
            KeyAlgorithm::P256,
            PIN,
            false,
        )
        .await
        .unwrap()
        .record
        .id;
    let state = AppState::new(ca, Default::default()).await.unwrap();
    Env {
        state,
        remote,
        credential,
        dir,
    }
}

fn one_page_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    ];
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        table.push_str(&format!("{o:010} 00000 n \n"));
    }
    table.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.extend_from_slice(table.as_bytes());
    pdf
}

/// The one-page PDF signed by the citizen at `level`.
async fn signed_pdf(e: &Env, level: Level) -> Vec<u8> {
    let input = e.dir.path().join("in.pdf");
    let output = e.dir.path().join(format!("signed-{level:?}.pdf"));
    std::fs::write(&input, one_page_pdf()).unwrap();
    e.remote
        .sign_pdf(
            &input,
            &output,
            &DocumentSigner::Credential {
                id: e.credential.clone(),
                pin: PIN.into(),
                otp: None,
            },
            &PdfOptions {
                level,
                reason: Some("Nộp hồ sơ".into()),
                location: Some("Huế".into()),
                visible: None,
                certify: false,
            },
        )
        .await
        .unwrap();
    std::fs::read(output).unwrap()
}

const BOUNDARY: &str = "kyso-test-boundary-7MA4YWxk";

/// A multipart/form-data body of `(name, filename, bytes)` parts.
fn multipart(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post(
    state: &AppState,
    query: &str,
    json: bool,
    parts: &[(&str, &str, &[u8])],
) -> (StatusCode, String) {
    let mut req = Request::post(format!("/verify{query}")).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if json {
        req = req.header(header::ACCEPT, "application/json");
    }
    send(state, req.body(Body::from(multipart(parts))).unwrap()).await
}

async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, String) {
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn the_form_works_without_script_or_external_assets_and_is_linked_from_home() {
    let e = env().await;
    let (status, html) = send(
        &e.state,
        Request::get("/verify").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"vi\""), "{html}");
    assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
    assert!(html.contains("name=\"file\"") && html.contains("name=\"data\""));
    assert!(
        html.contains("không được lưu"),
        "the page says uploads are not kept"
    );
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "{html}"
    );
    let (_, en) = send(
        &e.state,
        Request::get("/verify?lang=en").body(Body::empty()).unwrap(),
    )
    .await;
    assert!(en.contains("<html lang=\"en\"") && en.contains("never written to disk"));
    let (_, home) = send(&e.state, Request::get("/").body(Body::empty()).unwrap()).await;
    assert!(home.contains("href=\"/verify\""), "{home}");
}

#[tokio::test]
async fn a_signed_pdf_is_reported_valid_in_vietnamese_english_and_json() {
    let e = env().await;
    let pdf = signed_pdf(&e, Level::BLT).await;

    let (status, html) = post(&e.state, "", false, &[("file", "don.pdf", &pdf)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(&format!("Chữ ký HỢP LỆ của {NAME}")),
        "Vietnamese sentence: {html}"
    );
    assert!(html.contains("TOTAL-PASSED"), "{html}");
    assert!(html.contains("CCCD:046190000601"), "signer UID: {html}");
    assert!(html.contains("Nguyên vẹn"), "integrity: {html}");
    assert!(html.contains("Chưa bị thu hồi"), "status: {html}");
    assert!(html.contains("don.pdf"), "{html}");
    assert!(html.contains("dữ liệu kiểm tra dài hạn"), "{html}");

    let (status, html) = post(&e.state, "?lang=en", false, &[("file", "don.pdf", &pdf)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<html lang=\"en\""), "{html}");
    assert!(
        html.contains(&format!("Signature VALID, by {NAME}")),
        "English sentence: {html}"
    );
    assert!(html.contains("Not revoked"), "{html}");

    let (status, body) = post(&e.state, "", true, &[("file", "don.pdf", &pdf)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["all_passed"], true, "{v}");
    assert_eq!(v["file"], "don.pdf");
    let sig = &v["signatures"][0];
    assert_eq!(sig["indication"], "TOTAL-PASSED", "{v}");
    assert_eq!(sig["signer"], NAME);
    assert!(sig["message"].as_str().unwrap().contains("HỢP LỆ"), "{v}");
    // The B-LT's DSS came after the signature: a permitted change.
    assert_eq!(sig["modification"], "allowed", "{v}");
}

#[tokio::test]
async fn without_embedded_revocation_data_the_status_comes_from_this_servers_responder() {
    let e = env().await;
    // B-T: a time-stamp, but no DSS; the server answers its own OCSP URL in-process.
    let pdf = signed_pdf(&e, Level::BT).await;
    let (status, body) = post(&e.state, "", true, &[("file", "b-t.pdf", &pdf)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let sig = &v["signatures"][0];
    assert_eq!(sig["indication"], "TOTAL-PASSED", "{v}");
    let sources: Vec<&str> = sig["revocation"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    assert!(
        sources
            .iter()
            .any(|s| s.starts_with("OCSP http://ca.kyso.vn/ocsp")),
        "{v}"
    );
}

#[tokio::test]
async fn a_detached_p7s_with_its_data_is_verified() {
    let e = env().await;
    let data = "Đơn đăng ký khai sinh".as_bytes();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let p7s = e
        .remote
        .sign_detached(&e.credential, digest.as_ref(), PIN, None, Level::BT)
        .await
        .unwrap();
    let (status, body) = post(
        &e.state,
        "",
        true,
        &[("file", "don.txt.p7s", &p7s), ("data", "don.txt", data)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["signatures"][0]["indication"], "TOTAL-PASSED", "{v}");

    // Other data: the signature does not match it.
    let (status, body) = post(
        &e.state,
        "?lang=en",
        false,
        &[
            ("file", "don.txt.p7s", &p7s),
            ("data", "khac.txt", b"other"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("TOTAL-FAILED"), "{body}");

    // A .p7s alone: the data is asked for.
    let (status, body) = post(&e.state, "", false, &[("file", "don.txt.p7s", &p7s)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("tệp dữ liệu"), "{body}");
}

#[tokio::test]
async fn one_changed_byte_is_reported_failed() {
    let e = env().await;
    let mut pdf = signed_pdf(&e, Level::BLT).await;
    let at = pdf.windows(3).position(|w| w == b"595").unwrap();
    pdf[at] = b'6';
    let (status, html) = post(&e.state, "", false, &[("file", "sua.pdf", &pdf)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("TOTAL-FAILED"), "{html}");
    assert!(html.contains("KHÔNG HỢP LỆ"), "{html}");
    assert!(html.contains("KHÔNG nguyên vẹn"), "{html}");

    let (_, body) = post(&e.state, "", true, &[("file", "sua.pdf", &pdf)]).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["all_passed"], false);
    assert_eq!(v["signatures"][0]["indication"], "TOTAL-FAILED", "{v}");
    assert_eq!(v["signatures"][0]["sub_indication"], "HASH_FAILURE", "{v}");
}

#[tokio::test]
async fn malformed_uploads_are_refused_with_a_message_and_the_server_stays_up() {
    let e = env().await;
    // Not a PDF.
    let (status, html) = post(&e.state, "", false, &[("file", "a.txt", b"hello world")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("không phải là PDF"), "{html}");
    let (status, html) = post(&e.state, "?lang=en", false, &[("file", "a.txt", b"hello")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("not a PDF"), "{html}");
    // A PDF header over garbage.
    let (status, body) = post(
        &e.state,
        "",
        true,
        &[("file", "x.pdf", b"%PDF-1.7\n\x00\xff garbage")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "unreadable", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("Không đọc được"),
        "{v}"
    );
    // A PDF without a signature.
    let (status, html) = post(&e.state, "", false, &[("file", "x.pdf", &one_page_pdf())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("không có chữ ký số nào"), "{html}");
    // An empty file, an empty form, not a form at all.
    let (status, html) = post(&e.state, "", false, &[("file", "", b"")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Chưa có tệp"), "{html}");
    let (status, html) = post(&e.state, "?lang=en", false, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("No file"), "{html}");
    let (status, html) = send(
        &e.state,
        Request::post("/verify")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("file=abc"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Không đọc được biểu mẫu"), "{html}");
    // Still serving.
    let pdf = signed_pdf(&e, Level::BLT).await;
    let (status, _) = post(&e.state, "", false, &[("file", "don.pdf", &pdf)]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413() {
    let e = env().await;
    let big = vec![b'%'; kyso_server::verify::MAX_UPLOAD_BYTES + 1024];
    // Announced by Content-Length…
    let body = multipart(&[("file", "big.pdf", &big)]);
    let (status, html) = send(
        &e.state,
        Request::post("/verify")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(html.contains("Tệp quá lớn"), "{html}");
    // …or found out while reading (no length given).
    let (status, body) = post(&e.state, "?lang=en", true, &[("file", "big.pdf", &big)]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "too_large");
    assert!(v["message"].as_str().unwrap().contains("too large"), "{v}");
}

#[tokio::test]
async fn the_31st_verification_in_a_minute_is_429() {
    let e = env().await;
    for i in 0..30 {
        let (status, _) = post(&e.state, "", false, &[("file", "a.txt", b"x")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "request {}", i + 1);
    }
    let pdf = signed_pdf(&e, Level::BLT).await;
    let req = Request::post("/verify")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(&[("file", "don.pdf", &pdf)])))
        .unwrap();
    let resp = router(e.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key(header::RETRY_AFTER));
    let html =
        String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned();
    assert!(html.contains("quá nhiều yêu cầu"), "{html}");
    // The form itself is not limited.
    let (status, _) = send(
        &e.state,
        Request::get("/verify").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_limit_is_configurable() {
    let e = env().await;
    let state = e.state.clone().with_verify_rate(2);
    for _ in 0..2 {
        let (status, _) = post(&state, "", false, &[("file", "a.txt", b"x")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, body) = post(&state, "?lang=en", true, &[("file", "a.txt", b"x")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "rate_limited"
    );
}
