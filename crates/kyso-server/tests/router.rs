//! The router, driven without a port (`oneshot`), on a fresh SQLite deployment.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kyso_ca::{Ca, InitOptions};
use kyso_core::{FixedClock, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_server::{AppState, router};
use std::sync::Arc;
use tower::ServiceExt;

async fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = kyso_store::open(&format!("sqlite:{}", dir.path().join("kyso.db").display()))
        .await
        .unwrap();
    let keys = Arc::new(SoftKeyStore::new(
        Kek::load_or_create(&dir.path().join("kek")).unwrap(),
    ));
    let opts = InitOptions {
        algorithm: KeyAlgorithm::P256,
        public_url: "http://127.0.0.1:8080".into(),
        organisation: "kyso test".into(),
        operator_policy: None,
        crl_shards: 4,
    };
    let ca = Ca::init(
        store,
        keys,
        Arc::new(FixedClock::new(UnixTime(1_795_459_507))),
        &opts,
        vec![],
    )
    .await
    .unwrap();
    (
        AppState::new(Arc::new(ca), Default::default())
            .await
            .unwrap(),
        dir,
    )
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ctype, body)
}

#[tokio::test]
async fn health_reports_the_database() {
    let (s, _dir) = state().await;
    let (status, ctype, body) = get(&s, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], "sqlite");
    assert!(v.get("error").is_none(), "no internals in a public answer");
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let (s, _dir) = state().await;
    get(&s, "/healthz").await;
    let (status, ctype, body) = get(&s, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/plain"));
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("kyso_http_requests_total"), "{text}");
}

#[tokio::test]
async fn ca_certificates_are_served_for_aia() {
    let (s, _dir) = state().await;
    let (status, ctype, der) = get(&s, "/ca/citizen-ca.cer").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "application/pkix-cert");
    assert_eq!(der[0], 0x30, "DER certificate");
    let (_, _, pem) = get(&s, "/ca/root.pem").await;
    assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
    assert_eq!(get(&s, "/ca/nobody.cer").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&s, "/ca/root.txt").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn home_page_is_vietnamese_utf8() {
    let (s, _dir) = state().await;
    let (status, ctype, body) = get(&s, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.contains("utf-8"));
    assert!(String::from_utf8(body).unwrap().contains("chữ ký số"));
}

#[tokio::test]
async fn crls_are_served_at_the_urls_certificates_name() {
    let (s, _dir) = state().await;
    let (status, ctype, der) = get(&s, "/crl/citizen-ca/3.crl").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "application/pkix-crl");
    assert_eq!(der[0], 0x30);
    let (status, _, root) = get(&s, "/crl/root.crl").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(root[0], 0x30);
    // Served again from the cache: the same bytes.
    assert_eq!(get(&s, "/crl/citizen-ca/3.crl").await.2, der);
    for bad in [
        "/crl/citizen-ca/4.crl",
        "/crl/citizen-ca/x.crl",
        "/crl/nobody/0.crl",
        "/crl/root/0.crl",
        "/crl/seal-ca.crl",
    ] {
        assert_eq!(get(&s, bad).await.0, StatusCode::NOT_FOUND, "{bad}");
    }
}
