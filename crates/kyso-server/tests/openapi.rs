//! `/openapi.json`: locked by a snapshot (`tests/snapshots/openapi.json`), and every path it
//! documents is served by the router, so the document cannot drift from the routes.
//!
//! After a deliberate API change, update the snapshot with
//! `KYSO_UPDATE_SNAPSHOTS=1 cargo nextest run -p kyso-server --test openapi` and review the diff.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kyso_ca::{Ca, InitOptions};
use kyso_core::{FixedClock, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_server::{AppState, router};
use serde_json::Value;
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

/// Status, content type and body of `method uri`.
async fn call(state: &AppState, method: &str, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(if method == "GET" {
            Body::empty()
        } else {
            Body::from("{}")
        })
        .unwrap();
    // Paths no route matches answer 418, so that they are told apart from handlers' 404s.
    let resp = router(state.clone())
        .fallback(|| async { (StatusCode::IM_A_TEAPOT, "no route") })
        .oneshot(request)
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

async fn document(state: &AppState) -> Value {
    let (status, ctype, body) = call(state, "GET", "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("application/json"), "{ctype}");
    serde_json::from_slice(&body).expect("/openapi.json is JSON")
}

/// `template` with its `{parameters}` filled in.
fn concrete(template: &str) -> String {
    template
        .replace("{file}", "root.crl")
        .replace("{ca}", "nobody")
        .replace("{cccd}", "001090000001")
        .replace("{request}", "MAA=")
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_every_json_endpoint() {
    let (s, _dir) = state().await;
    let doc = document(&s).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "kyso");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/csc/v2/info", "post"),
        ("/csc/v2/oauth2/token", "post"),
        ("/csc/v2/credentials/list", "post"),
        ("/csc/v2/credentials/info", "post"),
        ("/csc/v2/credentials/authorize", "post"),
        ("/csc/v2/credentials/authorizeCheck", "post"),
        ("/csc/v2/credentials/extendTransaction", "post"),
        ("/csc/v2/signatures/signHash", "post"),
        ("/csc/v2/signatures/timestamp", "post"),
        ("/neac/v1/get_certificate", "post"),
        ("/neac/v1/sign", "post"),
        ("/neac/v1/get_transaction", "post"),
        ("/api/staff/citizens/{cccd}", "get"),
        ("/api/coverage", "get"),
        ("/verify", "post"),
        ("/healthz", "get"),
        ("/log/sth", "get"),
        ("/ocsp", "post"),
        ("/ocsp/{request}", "get"),
        ("/tsa", "post"),
        ("/crl/{file}", "get"),
        ("/crl/{ca}/{file}", "get"),
        ("/ca/{file}", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }
    // The error bodies integrators handle.
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["CscErrorBody"]["properties"]["error"]["description"]
            .as_str()
            .unwrap()
            .contains("access_denied")
    );
    assert!(schemas["NeacError"]["properties"]["status"].is_object());
    assert!(schemas["Report"]["properties"]["signatures"].is_object());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["csc_bearer"]["scheme"], "bearer");
    assert_eq!(schemes["staff_basic"]["scheme"], "basic");
}

#[tokio::test]
async fn every_documented_path_is_served() {
    let (s, _dir) = state().await;
    let doc = document(&s).await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{} paths", paths.len());
    // The check below tells unserved paths and methods apart.
    let served = |(status, body): (StatusCode, Vec<u8>)| {
        status != StatusCode::IM_A_TEAPOT
            && status != StatusCode::METHOD_NOT_ALLOWED
            && !(status == StatusCode::NOT_FOUND && body.is_empty())
    };
    for (method, uri) in [
        ("POST", "/csc/v2/nowhere"),
        ("POST", "/neac/v1/nowhere"),
        ("GET", "/nowhere"),
        ("GET", "/tsa"),
    ] {
        let (status, _, body) = call(&s, method, uri).await;
        assert!(!served((status, body)), "{method} {uri}: {status}");
    }
    for (template, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let mut uris = vec![concrete(template)];
            if let Some(rest) = template.strip_prefix("/csc/v2/") {
                uris.push(format!("/csc/v1/{rest}"));
            }
            for uri in uris {
                let (status, _, body) = call(&s, &method, &uri).await;
                assert!(
                    served((status, body)),
                    "{method} {uri} (documented as {template}) is not served: {status}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_document_matches_the_snapshot() {
    let (s, _dir) = state().await;
    let mut doc = document(&s).await;
    // Releases bump the version without changing the API.
    doc["info"]["version"] = Value::from("[crate version]");
    let actual = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var_os("KYSO_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&file, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "/openapi.json differs from {} (first difference at line {}: expected {:?}, got {:?}).\n\
             If the API change is deliberate, update the snapshot with\n  \
             KYSO_UPDATE_SNAPSHOTS=1 cargo nextest run -p kyso-server --test openapi\n\
             and review the diff in git.",
            file.display(),
            first + 1,
            expected.lines().nth(first).unwrap_or("<end of file>"),
            actual.lines().nth(first).unwrap_or("<end of file>"),
        );
    }
}
