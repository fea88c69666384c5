//! Sole control under attack, through the CSC API (router, no port, fixed clock). Each test
//! shows the attack refused with the spec's error and nothing signed; each fails if the
//! protection it names is removed.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use http_body_util::BodyExt;
use kyso_ca::{Ca, InitOptions};
use kyso_core::{Cccd, Clock, FixedClock, PersonName, SubjectIdentifier, TextField, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_pki::SubjectSpec;
use kyso_remote::{RemoteSigning, Secrets};
use kyso_server::{AppState, router};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

const T0: UnixTime = UnixTime(1_795_459_507);
const PIN_A: &str = "482913";
const PIN_B: &str = "135790";

struct Env {
    state: AppState,
    clock: Arc<FixedClock>,
    ca: Arc<Ca>,
    /// (client_id, secret) of relying parties X and Y.
    x: (String, String),
    y: (String, String),
    /// Credential A (PIN + TOTP) of citizen 1, B (PIN only) of citizen 2.
    a: String,
    a_totp: Vec<u8>,
    a_serial: String,
    b: String,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn person(name: &str, cccd: &str) -> SubjectSpec {
    SubjectSpec::Person {
        name: PersonName::parse(name).unwrap(),
        id: SubjectIdentifier::Cccd(Cccd::parse(cccd).unwrap()),
        province: TextField::parse("province", "Huế", 128).unwrap(),
        locality: None,
    }
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
    let ca = Arc::new(
        Ca::init(store, keys, clock.clone(), &opts, vec![])
            .await
            .unwrap(),
    );
    let remote = RemoteSigning::new(
        ca.clone(),
        Secrets::from_kek(Kek::from_bytes(&[5; 32]).unwrap()),
        Default::default(),
    );
    let x = remote
        .add_client("Cổng X", None, "public-service")
        .await
        .unwrap();
    let y = remote.add_client("Cổng Y", None, "other").await.unwrap();
    let a = remote
        .create_credential(
            person("Lê Văn A", "046190000601"),
            KeyAlgorithm::P256,
            PIN_A,
            true,
        )
        .await
        .unwrap();
    let b = remote
        .create_credential(
            person("Phan Thị B", "046190000602"),
            KeyAlgorithm::P256,
            PIN_B,
            false,
        )
        .await
        .unwrap();
    let state = AppState::new(ca.clone(), Default::default())
        .await
        .unwrap()
        .with_remote(remote);
    Env {
        state,
        clock,
        ca,
        x: (x.record.client_id, x.secret),
        y: (y.record.client_id, y.secret),
        a_totp: kyso_auth::base32::decode(&a.totp_secret.unwrap()).unwrap(),
        a_serial: a.certificate.serial,
        a: a.record.id,
        b: b.record.id,
        db: dir.path().join("k.db"),
        _dir: dir,
    }
}

async fn call(e: &Env, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req =
        Request::post(format!("/csc/v2/{path}")).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = router(e.state.clone())
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn token(e: &Env, client: &(String, String)) -> String {
    let (status, v) = call(
        e,
        "oauth2/token",
        None,
        json!({"grant_type": "client_credentials", "client_id": client.0, "client_secret": client.1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

fn hash(n: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([n; 32])
}

fn otp(e: &Env) -> String {
    kyso_auth::totp::code_at_step(&e.a_totp, kyso_auth::totp::step_of(e.clock.now()), 6)
}

async fn authorize(
    e: &Env,
    tok: &str,
    cred: &str,
    hashes: &[String],
    pin: &str,
    otp: Option<String>,
) -> (StatusCode, Value) {
    call(
        e,
        "credentials/authorize",
        Some(tok),
        json!({"credentialID": cred, "numSignatures": hashes.len(), "hashes": hashes, "PIN": pin, "OTP": otp}),
    )
    .await
}

async fn sad_for_b(e: &Env, tok: &str, hashes: &[String]) -> String {
    let (status, v) = authorize(e, tok, &e.b, hashes, PIN_B, None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["SAD"].as_str().unwrap().to_owned()
}

async fn sign(e: &Env, tok: &str, cred: &str, sad: &str, hashes: &[String]) -> (StatusCode, Value) {
    call(
        e,
        "signatures/signHash",
        Some(tok),
        json!({"credentialID": cred, "SAD": sad, "hashes": hashes,
               "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1", "signAlgo": "1.2.840.10045.4.3.2"}),
    )
    .await
}

/// The refusal: the expected CSC error and no signature in the answer.
fn refused(r: (StatusCode, Value), error: &str) {
    assert_eq!(r.1["error"], error, "{:?}", r);
    assert!(r.1.get("signatures").is_none(), "{:?}", r);
    assert!(r.0.is_client_error(), "{:?}", r);
}

#[tokio::test]
async fn a_good_flow_signs_exactly_the_authorised_hashes() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let hashes = vec![hash(1), hash(2)];
    let sad = sad_for_b(&e, &tx, &hashes).await;
    let (status, v) = sign(&e, &tx, &e.b, &sad, &hashes).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2);
    // Each signature verifies over its hash with the credential's certificate key.
    let key = e.ca.store().get_key(&e.b).await.unwrap().unwrap();
    for (s, h) in sigs.iter().zip(&hashes) {
        let sig = base64::engine::general_purpose::STANDARD
            .decode(s.as_str().unwrap())
            .unwrap();
        let digest = base64::engine::general_purpose::STANDARD.decode(h).unwrap();
        kyso_keys::verify_digest_signature(
            &key.public_key_der,
            kyso_keys::SignatureAlgorithm::EcdsaSha256,
            &digest,
            &sig,
        )
        .unwrap();
    }
}

#[tokio::test]
async fn a_sad_is_single_use() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let hashes = vec![hash(1)];
    let sad = sad_for_b(&e, &tx, &hashes).await;
    assert_eq!(sign(&e, &tx, &e.b, &sad, &hashes).await.0, StatusCode::OK);
    refused(sign(&e, &tx, &e.b, &sad, &hashes).await, "invalid_request");
}

#[tokio::test]
async fn a_sad_of_one_credential_does_not_unlock_another() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let hashes = vec![hash(1)];
    let sad = sad_for_b(&e, &tx, &hashes).await;
    let r = sign(&e, &tx, &e.a, &sad, &hashes).await;
    assert!(
        r.1["error_description"]
            .as_str()
            .unwrap()
            .contains("another credential")
    );
    refused(r, "invalid_request");
    // And it was spent by the attempt: it cannot be used for B afterwards either.
    refused(sign(&e, &tx, &e.b, &sad, &hashes).await, "invalid_request");
}

#[tokio::test]
async fn hashes_outside_the_sad_are_refused() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let sad = sad_for_b(&e, &tx, &[hash(1)]).await;
    refused(sign(&e, &tx, &e.b, &sad, &[hash(9)]).await, "invalid_hash");
    let sad = sad_for_b(&e, &tx, &[hash(1)]).await;
    refused(
        sign(&e, &tx, &e.b, &sad, &[hash(1), hash(1)]).await,
        "invalid_hash",
    );
}

#[tokio::test]
async fn an_expired_sad_is_refused() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let sad = sad_for_b(&e, &tx, &[hash(1)]).await;
    e.clock.advance(300);
    refused(
        sign(&e, &tx, &e.b, &sad, &[hash(1)]).await,
        "invalid_request",
    );
}

#[tokio::test]
async fn a_relying_party_cannot_use_a_sad_issued_to_another() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let ty = token(&e, &e.y).await;
    let sad = sad_for_b(&e, &tx, &[hash(1)]).await;
    let r = sign(&e, &ty, &e.b, &sad, &[hash(1)]).await;
    assert!(
        r.1["error_description"]
            .as_str()
            .unwrap()
            .contains("another client")
    );
    refused(r, "invalid_request");
    // Tokens are bound too: a forged or altered token is not accepted.
    let forged = format!("{}x", &tx[..tx.len() - 1]);
    refused(
        sign(&e, &forged, &e.b, &sad, &[hash(1)]).await,
        "invalid_token",
    );
    e.clock.advance(3600);
    refused(
        authorize(&e, &tx, &e.b, &[hash(1)], PIN_B, None).await,
        "expired_token",
    );
}

#[tokio::test]
async fn one_citizens_pin_does_not_authorise_anothers_credential() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    refused(
        authorize(&e, &tx, &e.b, &[hash(1)], PIN_A, None).await,
        "invalid_pin",
    );
    // Listing by citizen shows only that citizen's credentials.
    let (_, v) = call(
        &e,
        "credentials/list",
        Some(&tx),
        json!({"userID": "046190000602"}),
    )
    .await;
    assert_eq!(v["credentialIDs"], json!([e.b]));
}

#[tokio::test]
async fn five_wrong_pins_lock_the_credential_even_against_the_right_one() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    for remaining in (0..5).rev() {
        let r = authorize(&e, &tx, &e.b, &[hash(1)], "000001", None).await;
        let d = r.1["error_description"].as_str().unwrap().to_owned();
        refused(r, "invalid_pin");
        if remaining > 0 {
            assert!(d.contains(&format!("{remaining} attempts")), "{d}");
        } else {
            assert!(d.contains("locked"), "{d}");
        }
    }
    // The 6th attempt, with the right PIN: still locked, no SAD.
    let r = authorize(&e, &tx, &e.b, &[hash(1)], PIN_B, None).await;
    assert!(
        r.1["error_description"]
            .as_str()
            .unwrap()
            .contains("locked")
    );
    assert!(r.1.get("SAD").is_none());
    refused(r, "invalid_pin");
    let (_, info) = call(
        &e,
        "credentials/info",
        Some(&tx),
        json!({"credentialID": e.b}),
    )
    .await;
    assert_eq!(info["key"]["status"], "disabled");
}

#[tokio::test]
async fn one_time_passwords_are_required_and_single_use() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    refused(
        authorize(&e, &tx, &e.a, &[hash(1)], PIN_A, None).await,
        "invalid_otp",
    );
    refused(
        authorize(&e, &tx, &e.a, &[hash(1)], PIN_A, Some("000000".into())).await,
        "invalid_otp",
    );
    let code = otp(&e);
    let (status, _) = authorize(&e, &tx, &e.a, &[hash(1)], PIN_A, Some(code.clone())).await;
    assert_eq!(status, StatusCode::OK);
    refused(
        authorize(&e, &tx, &e.a, &[hash(1)], PIN_A, Some(code)).await,
        "invalid_otp",
    );
}

#[tokio::test]
async fn suspended_or_revoked_certificates_sign_nothing() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    // A SAD obtained before the suspension is worthless after it.
    let (status, v) = authorize(&e, &tx, &e.a, &[hash(1)], PIN_A, Some(otp(&e))).await;
    assert_eq!(status, StatusCode::OK);
    let sad = v["SAD"].as_str().unwrap().to_owned();
    e.ca.suspend(&e.a_serial).await.unwrap();
    let r = sign(&e, &tx, &e.a, &sad, &[hash(1)]).await;
    assert!(
        r.1["error_description"]
            .as_str()
            .unwrap()
            .contains("suspended")
    );
    refused(r, "invalid_request");
    e.clock.advance(30);
    let r = authorize(&e, &tx, &e.a, &[hash(1)], PIN_A, Some(otp(&e))).await;
    assert!(
        r.1["error_description"]
            .as_str()
            .unwrap()
            .contains("suspended")
    );
    refused(r, "invalid_request");
    e.ca.resume(&e.a_serial).await.unwrap();
    e.ca.revoke(&e.a_serial, kyso_core::RevocationReason::KeyCompromise)
        .await
        .unwrap();
    e.clock.advance(30);
    let r = authorize(&e, &tx, &e.a, &[hash(1)], PIN_A, Some(otp(&e))).await;
    assert!(
        r.1["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    refused(r, "invalid_request");
}

#[tokio::test]
async fn malformed_requests_get_csc_errors() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    refused(
        call(
            &e,
            "credentials/authorize",
            Some(&tx),
            json!({"numSignatures": 1}),
        )
        .await,
        "invalid_request",
    );
    refused(
        authorize(&e, &tx, &e.b, &[], PIN_B, None).await,
        "invalid_request",
    );
    refused(
        authorize(&e, &tx, &e.b, &["not base64!".into()], PIN_B, None).await,
        "invalid_hash",
    );
    refused(
        call(
            &e,
            "credentials/info",
            Some(&tx),
            json!({"credentialID": "nope"}),
        )
        .await,
        "invalid_request",
    );
    refused(
        call(
            &e,
            "credentials/list",
            None,
            json!({"userID": "046190000602"}),
        )
        .await,
        "invalid_token",
    );
    let (status, v) = call(
        &e,
        "oauth2/token",
        None,
        json!({"grant_type": "client_credentials", "client_id": e.x.0, "client_secret": e.y.1}),
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
}

#[tokio::test]
async fn a_log_rewritten_with_a_consistent_tree_is_caught_by_the_signed_head() {
    use sqlx::Connection;
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let hashes = vec![hash(1)];
    let sad = sad_for_b(&e, &tx, &hashes).await;
    assert_eq!(sign(&e, &tx, &e.b, &sad, &hashes).await.0, StatusCode::OK);
    let store = e.ca.store().as_ref();
    assert!(kyso_remote::log::verify(store).await.unwrap().is_ok());
    e.state
        .remote
        .as_ref()
        .unwrap()
        .sign_tree_head()
        .await
        .unwrap();
    // The signed head is served publicly.
    let resp = router(e.state.clone())
        .oneshot(Request::get("/log/sth").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let sth: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(sth["tree_size"], 2);

    // An attacker with the database rewrites the signature entry to another client and
    // recomputes the tree's frontier so that it matches: only the signed head disagrees.
    let mut leaves: Vec<Vec<u8>> = store
        .log_entries(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry.leaf)
        .collect();
    let forged = String::from_utf8(leaves[1].clone())
        .unwrap()
        .replace(&e.x.0, &e.y.0);
    leaves[1] = forged.clone().into_bytes();
    let mut frontier = kyso_log::Frontier::new();
    for l in &leaves {
        frontier.push(kyso_log::leaf_hash(l));
    }
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", e.db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE log_entries SET leaf = ? WHERE idx = 1")
        .bind(forged.into_bytes())
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("UPDATE log_state SET frontier = ? WHERE id = 1")
        .bind(frontier.to_bytes())
        .execute(&mut c)
        .await
        .unwrap();
    let verdict = kyso_remote::log::verify(store).await.unwrap();
    let why = verdict.unwrap_err();
    assert!(why.contains("signed tree head at size 2"), "{why}");
}

#[tokio::test]
async fn csc_timestamps_are_tsa_tokens_openssl_verifies() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"hop dong");
    let b64 = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    let (status, v) = call(
        &e,
        "signatures/timestamp",
        Some(&tx),
        json!({"hash": b64, "hashAlgo": "2.16.840.1.101.3.4.2.1", "nonce": "1f2e3d"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let token = base64::engine::general_purpose::STANDARD
        .decode(v["timestamp"].as_str().unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tst = dir.path().join("t.tst");
    std::fs::write(&tst, token).unwrap();
    let root = dir.path().join("root.pem");
    std::fs::write(
        &root,
        kyso_ca::pem::cert_pem(&e.ca.issuer("root").unwrap().cert_der),
    )
    .unwrap();
    let verify = |hex_digest: &str| {
        std::process::Command::new("openssl")
            .args(["ts", "-verify", "-token_in", "-digest", hex_digest, "-in"])
            .arg(&tst)
            .arg("-CAfile")
            .arg(&root)
            .output()
            .unwrap()
    };
    let ok = verify(&hex::encode(digest.as_ref()));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(!verify(&"00".repeat(32)).status.success());
    // Unsupported hash algorithm: a CSC error, no token.
    let (_, v) = call(
        &e,
        "signatures/timestamp",
        Some(&tx),
        json!({"hash": b64, "hashAlgo": "1.3.14.3.2.26"}),
    )
    .await;
    assert_eq!(v["error"], "invalid_request");
}

#[tokio::test]
async fn extend_transaction_trades_a_sad_for_one_with_the_same_binding() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let ty = token(&e, &e.y).await;
    let hashes = vec![hash(1)];
    let sad = sad_for_b(&e, &tx, &hashes).await;
    // Another client cannot extend it (and the attempt spends it).
    let r = call(
        &e,
        "credentials/extendTransaction",
        Some(&ty),
        json!({"credentialID": e.b, "SAD": sad}),
    )
    .await;
    refused(r, "invalid_request");
    let sad = sad_for_b(&e, &tx, &hashes).await;
    e.clock.advance(200);
    let (status, v) = call(
        &e,
        "credentials/extendTransaction",
        Some(&tx),
        json!({"credentialID": e.b, "SAD": sad}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let fresh = v["SAD"].as_str().unwrap().to_owned();
    // The old one is gone; the new one outlives the old one's expiry, for the same hashes only.
    refused(sign(&e, &tx, &e.b, &sad, &hashes).await, "invalid_request");
    e.clock.advance(200);
    refused(
        sign(&e, &tx, &e.b, &fresh, &[hash(2)]).await,
        "invalid_hash",
    );
    let fresh = {
        let sad = sad_for_b(&e, &tx, &hashes).await;
        let (_, v) = call(
            &e,
            "credentials/extendTransaction",
            Some(&tx),
            json!({"credentialID": e.b, "SAD": sad}),
        )
        .await;
        v["SAD"].as_str().unwrap().to_owned()
    };
    assert_eq!(sign(&e, &tx, &e.b, &fresh, &hashes).await.0, StatusCode::OK);
}

#[tokio::test]
async fn usage_is_metered_per_purpose_from_the_log() {
    let e = env().await;
    let remote = e.state.remote.clone().unwrap();
    // X is a public-service portal, Y is not.
    for (client, n) in [(&e.x, 3usize), (&e.y, 2)] {
        let tok = token(&e, client).await;
        let hashes: Vec<String> = (0..n as u8).map(hash).collect();
        let sad = sad_for_b(&e, &tok, &hashes).await;
        assert_eq!(sign(&e, &tok, &e.b, &sad, &hashes).await.0, StatusCode::OK);
    }
    let usage = remote.usage(&e.b).await.unwrap();
    let got: Vec<_> = usage
        .iter()
        .map(|u| (u.purpose.as_str(), u.signatures))
        .collect();
    assert_eq!(got, [("other", 2), ("public-service", 3)]);
    assert!(usage.iter().all(|u| u.month == "2026-11"));
}

// ---- Requests approved on the phone (NEAC-style API, CSC asynchronous authorisation) ----

async fn neac(
    e: &Env,
    path: &str,
    client: &(String, String),
    mut body: Value,
) -> (StatusCode, Value) {
    body["sp_id"] = json!(client.0);
    body["sp_password"] = json!(client.1);
    let resp = router(e.state.clone())
        .oneshot(
            Request::post(format!("/neac/v1/{path}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// A NEAC `sign` request from `client`; returns the transaction id.
async fn neac_request(e: &Env, client: &(String, String), body: Value) -> String {
    let (status, v) = neac(e, "sign", client, body).await;
    assert_eq!((status, &v["status"]), (StatusCode::OK, &json!(0)), "{v}");
    v["data"]["transaction_id"].as_str().unwrap().to_owned()
}

/// POSTs a form to the phone page with the session cookie; returns (status, cookie, html).
async fn phone(
    e: &Env,
    path: &str,
    cookie: Option<&str>,
    form: &str,
) -> (StatusCode, Option<String>, String) {
    let uri = if path == "/" {
        "/phone".to_owned()
    } else {
        format!("/phone{path}")
    };
    let mut req = Request::builder().uri(uri);
    req = if form.is_empty() && (path == "/" || path == "/log") {
        req.method("GET")
    } else {
        req.method("POST")
            .header("content-type", "application/x-www-form-urlencoded")
    };
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = router(e.state.clone())
        .oneshot(req.body(Body::from(form.to_owned())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let html = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    (status, cookie, html)
}

async fn login(e: &Env, cccd: &str, pin: &str) -> String {
    let (status, cookie, html) = phone(e, "/login", None, &format!("cccd={cccd}&pin={pin}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    cookie.unwrap()
}

const B_CCCD: &str = "046190000602";
const A_CCCD: &str = "046190000601";

#[tokio::test]
async fn a_neac_request_is_signed_when_the_citizen_approves_on_the_phone() {
    let e = env().await;
    let (status, v) = neac(&e, "get_certificate", &e.x, json!({"user_id": B_CCCD})).await;
    assert_eq!(
        (status, v["status"].as_i64()),
        (StatusCode::OK, Some(0)),
        "{v}"
    );
    assert_eq!(v["data"][0]["credential_id"], json!(e.b));
    let docs = json!([{"hash": hash(7), "name": "Tờ khai đăng ký khai sinh <bản chính>.pdf"}]);
    let (_, v) = neac(
        &e,
        "sign",
        &e.x,
        json!({"user_id": B_CCCD, "description": "Đăng ký khai sinh", "documents": docs}),
    )
    .await;
    assert_eq!(v["status"], 0, "{v}");
    let id = v["data"]["transaction_id"].as_str().unwrap().to_owned();
    let code = v["data"]["short_code"].as_str().unwrap().to_owned();
    let (_, v) = neac(&e, "get_transaction", &e.x, json!({"transaction_id": id})).await;
    assert_eq!(v["status"], 4000);

    // On the phone: who asks, what for, the documents (escaped), the same short code.
    let cookie = login(&e, B_CCCD, PIN_B).await;
    let (status, _, html) = phone(&e, "/", Some(&cookie), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Cổng X yêu cầu ký"), "{html}");
    assert!(html.contains("Đăng ký khai sinh"));
    assert!(html.contains("&lt;bản chính&gt;") && !html.contains("<bản chính>"));
    assert!(html.contains(&code));
    let (status, _, html) = phone(
        &e,
        &format!("/requests/{id}/approve"),
        Some(&cookie),
        &format!("pin={PIN_B}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Đã ký thành công"));

    let (_, v) = neac(&e, "get_transaction", &e.x, json!({"transaction_id": id})).await;
    assert_eq!(v["status"], 1, "{v}");
    let sig = base64::engine::general_purpose::STANDARD
        .decode(v["data"]["signatures"][0].as_str().unwrap())
        .unwrap();
    let key = e.ca.store().get_key(&e.b).await.unwrap().unwrap();
    kyso_keys::verify_digest_signature(
        &key.public_key_der,
        kyso_keys::SignatureAlgorithm::EcdsaSha256,
        &[7; 32],
        &sig,
    )
    .unwrap();
    // Logged like any signature.
    let kinds: Vec<_> =
        e.ca.store()
            .log_entries_of(&e.b)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.entry.kind)
            .collect();
    assert_eq!(kinds, ["authorize", "sign"]);

    // The citizen's own history, with proofs anyone can check against the signed head.
    let (status, _, body) = phone(&e, "/log", Some(&cookie), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let log: Value = serde_json::from_str(&body).unwrap();
    let b64 = |v: &Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    };
    let head = &log["signed_tree_head"];
    let size = head["tree_size"].as_u64().unwrap();
    let root: kyso_log::Hash = b64(&head["root_hash"]).try_into().unwrap();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        let proof: Vec<kyso_log::Hash> = entry["inclusion_proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| b64(h).try_into().unwrap())
            .collect();
        let leaf = kyso_log::leaf_hash(entry["leaf"].as_str().unwrap().as_bytes());
        assert!(kyso_log::verify_inclusion(
            entry["index"].as_u64().unwrap(),
            size,
            &leaf,
            &proof,
            &root
        ));
    }
    // The head is signed by the TSA key.
    let tsa = e.ca.signer("tsa").unwrap();
    let at = kyso_core::UnixTime(head["timestamp_unix"].as_i64().unwrap());
    kyso_keys::verify_signature(
        &tsa.key.public_key_der,
        tsa.scheme,
        &kyso_store::credentials::LogHead::signed_bytes(size, at, &root),
        &b64(&head["signature"]),
    )
    .unwrap();
}

#[tokio::test]
async fn rejected_and_expired_requests_sign_nothing() {
    let e = env().await;
    let docs = json!([{"hash": hash(1), "name": "a.pdf"}]);
    let id = neac_request(&e, &e.x, json!({"user_id": B_CCCD, "documents": docs})).await;
    let cookie = login(&e, B_CCCD, PIN_B).await;
    let (status, _, html) = phone(&e, &format!("/requests/{id}/reject"), Some(&cookie), "").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, v) = neac(&e, "get_transaction", &e.x, json!({"transaction_id": id})).await;
    assert_eq!(v["status"], 4002);
    // Approving after the rejection: refused.
    let (status, _, _) = phone(
        &e,
        &format!("/requests/{id}/approve"),
        Some(&cookie),
        &format!("pin={PIN_B}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let id = neac_request(&e, &e.x, json!({"user_id": B_CCCD, "documents": docs})).await;
    e.clock.advance(300);
    let (_, v) = neac(&e, "get_transaction", &e.x, json!({"transaction_id": id})).await;
    assert_eq!(v["status"], 4001);
    let cookie = login(&e, B_CCCD, PIN_B).await;
    let (status, _, _) = phone(
        &e,
        &format!("/requests/{id}/approve"),
        Some(&cookie),
        &format!("pin={PIN_B}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        e.ca.store().log_entries_of(&e.b).await.unwrap().is_empty(),
        "nothing authorised, nothing signed"
    );
}

#[tokio::test]
async fn citizens_and_portals_only_see_and_decide_their_own_requests() {
    let e = env().await;
    let docs = json!([{"hash": hash(1), "name": "a.pdf"}]);
    let id = neac_request(&e, &e.x, json!({"user_id": B_CCCD, "documents": docs})).await;
    // Citizen A, logged in, tries to approve B's request (with B's PIN, even): unknown to A.
    let code = otp(&e);
    let (status, cookie, _) =
        phone(&e, "/login", None, &format!("cccd={A_CCCD}&pin={PIN_A}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = cookie.unwrap();
    let (_, _, html) = phone(&e, "/", Some(&cookie), "").await;
    assert!(!html.contains(&id), "A does not see B's request");
    let (status, _, _) = phone(
        &e,
        &format!("/requests/{id}/approve"),
        Some(&cookie),
        &format!("pin={PIN_B}&otp={code}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = phone(&e, &format!("/requests/{id}/reject"), Some(&cookie), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Portal Y cannot read portal X's transaction; a wrong sp_password is refused.
    let (status, v) = neac(&e, "get_transaction", &e.y, json!({"transaction_id": id})).await;
    assert_eq!(
        (status, v["status"].as_i64()),
        (StatusCode::NOT_FOUND, Some(404))
    );
    let (status, _) = neac(
        &e,
        "get_transaction",
        &(e.x.0.clone(), e.y.1.clone()),
        json!({"transaction_id": id}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // No session, or a forged one: the log-in page.
    let (status, _, _) = phone(
        &e,
        &format!("/requests/{id}/approve"),
        Some("kyso_phone=k1.x.1.y"),
        &format!("pin={PIN_B}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Still waiting, nothing signed.
    let (_, v) = neac(&e, "get_transaction", &e.x, json!({"transaction_id": id})).await;
    assert_eq!(v["status"], 4000);
    assert!(e.ca.store().log_entries_of(&e.b).await.unwrap().is_empty());
    // Wrong PINs at the log-in count toward the lock like any other.
    for _ in 0..5 {
        let (status, _, _) = phone(&e, "/login", None, &format!("cccd={B_CCCD}&pin=000001")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, html) = phone(&e, "/login", None, &format!("cccd={B_CCCD}&pin={PIN_B}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("khóa"), "{html}");
}

#[tokio::test]
async fn csc_asynchronous_authorisation_completes_on_the_phone() {
    let e = env().await;
    let tx = token(&e, &e.x).await;
    let hashes = vec![hash(3)];
    let (status, v) = call(&e, "credentials/authorize", Some(&tx),
        json!({"credentialID": e.b, "numSignatures": 1, "hashes": hashes, "description": "Hợp đồng lao động"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let id = v["transactionID"].as_str().unwrap().to_owned();
    let (_, v) = call(
        &e,
        "credentials/authorizeCheck",
        Some(&tx),
        json!({"transactionID": id}),
    )
    .await;
    assert_eq!(v["status"], "pending");
    let cookie = login(&e, B_CCCD, PIN_B).await;
    let (_, _, html) = phone(&e, "/", Some(&cookie), "").await;
    assert!(html.contains("Hợp đồng lao động"));
    let (status, _, _) = phone(
        &e,
        &format!("/requests/{id}/approve"),
        Some(&cookie),
        &format!("pin={PIN_B}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = call(
        &e,
        "credentials/authorizeCheck",
        Some(&tx),
        json!({"transactionID": id}),
    )
    .await;
    assert_eq!(v["status"], "approved", "{v}");
    let sad = v["SAD"].as_str().unwrap().to_owned();
    // Another portal cannot collect it.
    let ty = token(&e, &e.y).await;
    refused(
        call(
            &e,
            "credentials/authorizeCheck",
            Some(&ty),
            json!({"transactionID": id}),
        )
        .await,
        "invalid_request",
    );
    let (status, v) = sign(&e, &tx, &e.b, &sad, &hashes).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["signatures"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_portal_is_told_through_its_callback_url() {
    let e = env().await;
    // The portal's callback endpoint, on loopback.
    let received: Arc<std::sync::Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/kyso/callback",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/kyso/callback", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let remote = e.state.remote.clone().unwrap();
    let z = remote
        .add_client("Cổng Z", Some(&url), "public-service")
        .await
        .unwrap();
    let z = (z.record.client_id, z.secret);

    let docs = json!([{"hash": hash(5), "name": "a.pdf"}]);
    let signed = neac_request(&e, &z, json!({"user_id": B_CCCD, "documents": docs})).await;
    let rejected = neac_request(&e, &z, json!({"user_id": B_CCCD, "documents": docs})).await;
    let cookie = login(&e, B_CCCD, PIN_B).await;
    phone(
        &e,
        &format!("/requests/{signed}/approve"),
        Some(&cookie),
        &format!("pin={PIN_B}"),
    )
    .await;
    phone(
        &e,
        &format!("/requests/{rejected}/reject"),
        Some(&cookie),
        "",
    )
    .await;
    for _ in 0..100 {
        if received.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    let by_id = |id: &str| {
        got.iter()
            .find(|v| v["transaction_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&signed)["status"], 1);
    assert_eq!(by_id(&signed)["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(by_id(&rejected)["status"], 4002);
}

#[tokio::test]
async fn passkey_ceremonies_are_bound_to_the_citizen_and_the_request() {
    let e = env().await;
    let docs = json!([{"hash": hash(1), "name": "a.pdf"}]);
    let id = neac_request(&e, &e.x, json!({"user_id": B_CCCD, "documents": docs})).await;
    let code = otp(&e);
    let (_, cookie, _) = phone(
        &e,
        "/login",
        None,
        &format!("cccd={A_CCCD}&pin={PIN_A}&otp={code}"),
    )
    .await;
    let a = cookie.unwrap();
    // A asks for a challenge to approve B's request: unknown to A.
    let (status, _, _) = phone(&e, &format!("/requests/{id}/passkey/options"), Some(&a), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // B has no passkey yet: no approval ceremony.
    let b = login(&e, B_CCCD, PIN_B).await;
    let (status, _, body) =
        phone(&e, &format!("/requests/{id}/passkey/options"), Some(&b), "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // A registration whose challenge was issued to A is refused for B (and a forged one).
    let remote = e.state.remote.clone().unwrap();
    let opts = remote
        .passkey_registration_options("CCCD:046190000601")
        .unwrap();
    let client_data = format!(
        r#"{{"type":"webauthn.create","challenge":"{}","origin":"http://ca.kyso.vn"}}"#,
        opts.challenge
    );
    let err = remote
        .register_passkey("CCCD:046190000602", client_data.as_bytes(), &[0xa0])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("challenge"), "{err}");
    // Still waiting, nothing signed.
    let (_, v) = neac(&e, "get_transaction", &e.x, json!({"transaction_id": id})).await;
    assert_eq!(v["status"], 4000);
}

/// Meters credential `id` as a campaign credential: free until `free_until`, quota 0.
async fn meter(e: &Env, id: &str, free_until: UnixTime) {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", e.db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE credentials SET free_until = ?, signature_quota = 0 WHERE id = ?")
        .bind(free_until.seconds())
        .bind(id)
        .execute(&mut c)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_used_up_quota_is_status_65000_and_nothing_is_signed() {
    let e = env().await;
    meter(&e, &e.b, T0.plus_seconds(60)).await;
    let docs = json!([{"hash": hash(9), "name": "Hợp đồng.pdf"}]);
    // A portal that is not a public service: charged, and the quota is 0.
    let (status, v) = neac(
        &e,
        "sign",
        &e.y,
        json!({"user_id": B_CCCD, "documents": docs}),
    )
    .await;
    assert_eq!(
        (status, v["status"].as_i64()),
        (StatusCode::FORBIDDEN, Some(65000)),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("quota"), "{v}");
    // A public service in the free year: free.
    let id = neac_request(&e, &e.x, json!({"user_id": B_CCCD, "documents": docs})).await;
    let cookie = login(&e, B_CCCD, PIN_B).await;
    let (status, _, html) = phone(
        &e,
        &format!("/requests/{id}/approve"),
        Some(&cookie),
        &format!("pin={PIN_B}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, v) = neac(&e, "get_transaction", &e.x, json!({"transaction_id": id})).await;
    assert_eq!(v["status"], 1, "{v}");
    // Asked for in the free year, approved after it: charged at signing, refused.
    let id = neac_request(&e, &e.x, json!({"user_id": B_CCCD, "documents": docs})).await;
    e.clock.advance(61);
    let (_, _, html) = phone(
        &e,
        &format!("/requests/{id}/approve"),
        Some(&cookie),
        &format!("pin={PIN_B}"),
    )
    .await;
    assert!(!html.contains("Đã ký thành công"), "{html}");
    let (_, v) = neac(&e, "get_transaction", &e.x, json!({"transaction_id": id})).await;
    assert_ne!(v["status"], 1, "{v}");
    let counts = e.ca.store().signature_counts(&e.b).await.unwrap();
    assert_eq!((counts.free, counts.charged, counts.refused), (1, 0, 1));
    // And after the free year the public service is charged too.
    let (status, v) = neac(
        &e,
        "sign",
        &e.x,
        json!({"user_id": B_CCCD, "documents": docs}),
    )
    .await;
    assert_eq!(
        (status, v["status"].as_i64()),
        (StatusCode::FORBIDDEN, Some(65000)),
        "{v}"
    );
}
