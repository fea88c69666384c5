//! OCSP and TSA through the router (no port), with a fixed clock: caching, ageing and
//! re-signing, following status changes, issuer mix-ups and protocol errors. The answers
//! are checked by openssl in `crates/kyso/tests/{ocsp,tsa}.rs`; here the point is the
//! responder's behaviour over time.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kyso_ca::{Ca, InitOptions, IssueRequest, KeySource};
use kyso_core::UnixTime;
use kyso_core::{Cccd, FixedClock, PersonName, RevocationReason, SubjectIdentifier, TextField};
use kyso_keys::KeyAlgorithm;
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_pki::ocsp::{CertIdHash, SingleStatus, build_request, decode_response};
use kyso_pki::{Profile, SubjectSpec};
use kyso_server::{AppState, router};
use std::sync::Arc;
use tower::ServiceExt;

const T0: UnixTime = UnixTime(1_795_459_507);

struct Env {
    state: AppState,
    clock: Arc<FixedClock>,
    ca: Arc<Ca>,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = kyso_store::open(&format!("sqlite:{}", dir.path().join("kyso.db").display()))
        .await
        .unwrap();
    let keys = Arc::new(SoftKeyStore::new(
        Kek::load_or_create(&dir.path().join("kek")).unwrap(),
    ));
    let clock = Arc::new(FixedClock::new(T0));
    let opts = InitOptions {
        algorithm: KeyAlgorithm::P256,
        public_url: "http://ca.kyso.vn".into(),
        organisation: "kyso test".into(),
        operator_policy: None,
        crl_shards: 4,
    };
    let ca = Arc::new(
        Ca::init(store, keys, clock.clone(), &opts, vec![])
            .await
            .unwrap(),
    );
    let state = AppState::new(ca.clone(), Default::default()).await.unwrap();
    Env {
        state,
        clock,
        ca,
        _dir: dir,
    }
}

async fn citizen(ca: &Ca, cccd: &str) -> Vec<u8> {
    let issued = ca
        .issue(&IssueRequest {
            issuer: None,
            profile: Profile::Citizen,
            subject: SubjectSpec::Person {
                name: PersonName::parse("Nguyễn Văn Bình").unwrap(),
                id: SubjectIdentifier::Cccd(Cccd::parse(cccd).unwrap()),
                province: TextField::parse("province", "Huế", 128).unwrap(),
                locality: None,
            },
            key: KeySource::Generate(KeyAlgorithm::P256),
            validity_days: None,
        })
        .await
        .unwrap();
    hex::decode(issued.record.serial).unwrap()
}

async fn post(state: &AppState, path: &str, ctype: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let resp = router(state.clone())
        .oneshot(
            Request::post(path)
                .header("content-type", ctype)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    (
        status,
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

async fn ocsp(e: &Env, request: Vec<u8>) -> Vec<u8> {
    let (status, body) = post(&e.state, "/ocsp", "application/ocsp-request", request).await;
    assert_eq!(status, StatusCode::OK);
    body
}

fn citizen_ca(e: &Env) -> Vec<u8> {
    e.ca.issuer("citizen-ca").unwrap().cert_der.clone()
}

fn single(body: &[u8]) -> (SingleStatus, UnixTime) {
    let d = decode_response(body).unwrap();
    assert_eq!(d.response_status, 0);
    assert_eq!(d.answers.len(), 1);
    (d.answers[0].1, d.produced_at.unwrap())
}

#[tokio::test]
async fn responses_are_cached_then_re_signed_as_they_age() {
    let e = env().await;
    let serial = citizen(&e.ca, "046190000301").await;
    let req = build_request(CertIdHash::Sha1, &citizen_ca(&e), &[&serial], None).unwrap();
    let first = ocsp(&e, req.clone()).await;
    assert_eq!(single(&first), (SingleStatus::Good, T0));
    // Same request later: the very same pre-signed bytes, no new signature.
    e.clock.advance(1000);
    assert_eq!(ocsp(&e, req.clone()).await, first);
    assert_eq!(e.state.ocsp.cached(), 1);
    // Past half the validity (3600 s), the maintenance re-signs it ahead of clients.
    e.clock.advance(900);
    assert_eq!(e.state.ocsp.refresh().unwrap(), 1);
    let refreshed = ocsp(&e, req.clone()).await;
    assert_eq!(
        single(&refreshed),
        (SingleStatus::Good, T0.plus_seconds(1900))
    );
    // Without maintenance, a response is never served past three quarters of its life.
    e.clock.advance(2700);
    let late = ocsp(&e, req).await;
    assert_eq!(single(&late).1, T0.plus_seconds(4600));
    let d = decode_response(&late).unwrap();
    assert_eq!(d.answers[0].3, Some(T0.plus_seconds(4600 + 3600)));
}

#[tokio::test]
async fn status_changes_drop_cached_responses() {
    let e = env().await;
    let serial = citizen(&e.ca, "046190000302").await;
    let hex_serial = hex::encode(&serial);
    let req = build_request(CertIdHash::Sha256, &citizen_ca(&e), &[&serial], None).unwrap();
    assert_eq!(single(&ocsp(&e, req.clone()).await).0, SingleStatus::Good);

    e.ca.suspend(&hex_serial).await.unwrap();
    // Until the responder reads the change the cached answer stands; then it is gone.
    assert_eq!(e.state.ocsp.follow_status_changes().await.unwrap(), 1);
    assert_eq!(e.state.ocsp.cached(), 0);
    assert_eq!(
        single(&ocsp(&e, req.clone()).await).0,
        SingleStatus::Revoked {
            since: T0,
            reason: Some(RevocationReason::CertificateHold)
        }
    );
    e.clock.advance(10);
    e.ca.resume(&hex_serial).await.unwrap();
    e.state.ocsp.follow_status_changes().await.unwrap();
    assert_eq!(single(&ocsp(&e, req.clone()).await).0, SingleStatus::Good);
    e.clock.advance(10);
    e.ca.revoke(&hex_serial, RevocationReason::AffiliationChanged)
        .await
        .unwrap();
    e.state.ocsp.follow_status_changes().await.unwrap();
    assert_eq!(
        single(&ocsp(&e, req).await).0,
        SingleStatus::Revoked {
            since: T0.plus_seconds(20),
            reason: Some(RevocationReason::AffiliationChanged)
        }
    );
}

#[tokio::test]
async fn issuers_kyso_does_not_serve_and_mixed_requests() {
    let e = env().await;
    let serial = citizen(&e.ca, "046190000303").await;
    let root = e.ca.issuer("root").unwrap().cert_der.clone();
    let seal_ca = e.ca.issuer("seal-ca").unwrap().cert_der.clone();
    // Only the root's CertIDs: unauthorized (the root has no delegated responder).
    let body = ocsp(
        &e,
        build_request(CertIdHash::Sha1, &root, &[&serial], None).unwrap(),
    )
    .await;
    assert_eq!(body, [0x30, 0x03, 0x0a, 0x01, 0x06]);
    // The citizen serial asked of the seal CA: unknown, not good.
    let body = ocsp(
        &e,
        build_request(CertIdHash::Sha1, &seal_ca, &[&serial], None).unwrap(),
    )
    .await;
    assert_eq!(single(&body).0, SingleStatus::Unknown);
    // A mix: answered by the citizen CA's responder; the root's CertID is unknown to it.
    let mut list = build_request(CertIdHash::Sha1, &citizen_ca(&e), &[&serial], None).unwrap();
    let other = build_request(CertIdHash::Sha1, &root, &[&serial], None).unwrap();
    // Splice the second request's Request into the first's requestList.
    let one = |r: &[u8]| r[6..].to_vec(); // SEQ{SEQ{SEQ{ Request }}}, short lengths
    let mut requests = one(&list);
    requests.extend(one(&other));
    list = seq(&seq(&seq(&requests)));
    let d = decode_response(&ocsp(&e, list).await).unwrap();
    let statuses: Vec<_> = d.answers.iter().map(|a| a.1).collect();
    assert_eq!(statuses, [SingleStatus::Good, SingleStatus::Unknown]);
}

fn seq(content: &[u8]) -> Vec<u8> {
    let mut v = vec![0x30];
    match content.len() {
        n if n < 128 => v.push(n as u8),
        n if n < 256 => v.extend([0x81, n as u8]),
        n => v.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    v.extend_from_slice(content);
    v
}

#[tokio::test]
async fn nonces_are_echoed_and_never_cached() {
    let e = env().await;
    let serial = citizen(&e.ca, "046190000304").await;
    let a = build_request(
        CertIdHash::Sha1,
        &citizen_ca(&e),
        &[&serial],
        Some(&[1; 16]),
    )
    .unwrap();
    let b = build_request(
        CertIdHash::Sha1,
        &citizen_ca(&e),
        &[&serial],
        Some(&[2; 16]),
    )
    .unwrap();
    let ra = decode_response(&ocsp(&e, a).await).unwrap();
    let rb = decode_response(&ocsp(&e, b).await).unwrap();
    assert_eq!(ra.nonce.unwrap(), [&[0x04, 16][..], &[1; 16]].concat());
    assert_eq!(rb.nonce.unwrap(), [&[0x04, 16][..], &[2; 16]].concat());
    assert_eq!(e.state.ocsp.cached(), 0);
}

#[tokio::test]
async fn tsa_grants_and_refuses_other_policies() {
    use kyso_pki::tsp::{ImprintHash, build_request};
    let e = env().await;
    let req = build_request(ImprintHash::Sha256, b"doc", Some(42), false).unwrap();
    let (status, body) = post(&e.state, "/tsa", "application/timestamp-query", req.clone()).await;
    assert_eq!(status, StatusCode::OK);
    // SEQUENCE (long form: a token is hundreds of octets) { PKIStatusInfo { granted } ...
    assert_eq!(body[..2], [0x30, 0x82]);
    assert_eq!(body[4..9], [0x30, 0x03, 0x02, 0x01, 0x00]);
    // A policy this TSA does not use: rejection (2) with unacceptedPolicy (bit 15).
    let mut content = req[2..].to_vec();
    let imprint_end = 3 + 2 + content[4] as usize; // version, then the imprint SEQUENCE
    content.splice(imprint_end..imprint_end, [0x06, 0x03, 0x2a, 0x03, 0x04]);
    let (status, body) = post(
        &e.state,
        "/tsa",
        "application/timestamp-query",
        seq(&content),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[2..7], [0x30, body[3], 0x02, 0x01, 0x02]);
    assert!(
        body.ends_with(&[0x03, 0x03, 0x00, 0x00, 0x01]),
        "{body:02x?}"
    );
}
