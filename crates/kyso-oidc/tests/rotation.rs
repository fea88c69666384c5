//! Behaviour the real provider cannot be made to show on demand, against a scripted one on
//! loopback: key rotation (the JWKS is refetched once on an unknown `kid`, not on every
//! login) and the response size bound.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kyso_oidc::{OidcClient, OidcConfig, OidcError, PendingLogin};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Default)]
struct State {
    jwks: Value,
    jwks_fetches: usize,
    token_response: Vec<u8>,
}

struct Fake {
    issuer: String,
    state: Arc<Mutex<State>>,
}

async fn fake_provider() -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Mutex::new(State::default()));
    let (st, iss) = (state.clone(), issuer.clone());
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let (st, iss) = (st.clone(), iss.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                // Read the body too: closing with unread bytes would reset the connection.
                let end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                while request.len() < end + length {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                let line = String::from_utf8_lossy(&request[..end]);
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                let body = {
                    let mut s = st.lock().unwrap();
                    match path.as_str() {
                        "/.well-known/openid-configuration" => json!({
                            "issuer": iss,
                            "authorization_endpoint": format!("{iss}/auth"),
                            "token_endpoint": format!("{iss}/token"),
                            "jwks_uri": format!("{iss}/jwks"),
                            "code_challenge_methods_supported": ["S256"],
                        })
                        .to_string()
                        .into_bytes(),
                        "/jwks" => {
                            s.jwks_fetches += 1;
                            s.jwks.to_string().into_bytes()
                        }
                        "/token" => s.token_response.clone(),
                        _ => b"{}".to_vec(),
                    }
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    Fake { issuer, state }
}

fn jwk(kid: &str, key: &EcdsaKeyPair) -> Value {
    let point = key.public_key().as_ref();
    json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
           "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..])})
}

fn id_token(kid: &str, key: &EcdsaKeyPair, issuer: &str, nonce: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let enc = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!(
        "{}.{}",
        enc(json!({"alg": "ES256", "kid": kid})),
        enc(
            json!({"iss": issuer, "sub": "c1", "aud": "kyso", "exp": now + 300, "iat": now,
                   "nonce": nonce, "cccd": "001099000001", "identity_level": "2"})
        )
    );
    let sig = key.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

fn nonce_of(pending: &PendingLogin) -> String {
    pending
        .to_cookie_value()
        .split('.')
        .nth(2)
        .unwrap()
        .to_owned()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn key() -> EcdsaKeyPair {
    EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap()
}

#[tokio::test]
async fn jwks_is_refetched_once_on_an_unknown_kid() {
    let fake = fake_provider().await;
    let (old, new) = (key(), key());
    fake.state.lock().unwrap().jwks = json!({"keys": [jwk("old", &old)]});
    let config = OidcConfig::new(&fake.issuer, "kyso", "secret", "http://127.0.0.1:9/cb");
    let client = OidcClient::discover(config).await.unwrap();
    assert_eq!(fake.state.lock().unwrap().jwks_fetches, 1);

    let login = |kid: &'static str, key: &EcdsaKeyPair| {
        let (_, pending) = client.begin();
        let token = id_token(kid, key, &fake.issuer, &nonce_of(&pending));
        fake.state.lock().unwrap().token_response =
            json!({"access_token": "x", "token_type": "Bearer", "id_token": token})
                .to_string()
                .into_bytes();
        let client = client.clone();
        async move {
            let state = pending.state().to_owned();
            client.finish(&pending, "code", &state, now()).await
        }
    };

    // Known key: served from the cache.
    assert_eq!(login("old", &old).await.unwrap().cccd, "001099000001");
    assert_eq!(fake.state.lock().unwrap().jwks_fetches, 1);

    // The provider rotates: one refetch picks up the new key, which is then cached.
    fake.state.lock().unwrap().jwks = json!({"keys": [jwk("new", &new)]});
    assert_eq!(login("new", &new).await.unwrap().level, 2);
    assert_eq!(fake.state.lock().unwrap().jwks_fetches, 2);
    assert!(login("new", &new).await.is_ok());
    assert_eq!(fake.state.lock().unwrap().jwks_fetches, 2);

    // A kid the provider does not publish: one refetch, then refused.
    let err = login("stranger", &key()).await.unwrap_err();
    assert!(
        matches!(&err, OidcError::UnknownKey(k) if k == "stranger"),
        "{err:?}"
    );
    assert_eq!(fake.state.lock().unwrap().jwks_fetches, 3);

    // A known kid with someone else's signature: refused, no refetch.
    let err = login("new", &old).await.unwrap_err();
    assert!(matches!(err, OidcError::Signature), "{err:?}");
    assert_eq!(fake.state.lock().unwrap().jwks_fetches, 3);
}

#[tokio::test]
async fn oversized_responses_are_refused() {
    let fake = fake_provider().await;
    fake.state.lock().unwrap().jwks = json!({"keys": [jwk("k", &key())]});
    let config = OidcConfig::new(&fake.issuer, "kyso", "secret", "http://127.0.0.1:9/cb");
    let client = OidcClient::discover(config).await.unwrap();
    let mut huge = b"{\"id_token\":\"".to_vec();
    huge.resize(2 * 1024 * 1024, b'a');
    huge.extend_from_slice(b"\"}");
    fake.state.lock().unwrap().token_response = huge;
    let (_, pending) = client.begin();
    let state = pending.state().to_owned();
    let err = client
        .finish(&pending, "code", &state, now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OidcError::Http(m) if m.contains("larger")),
        "{err:?}"
    );
}
