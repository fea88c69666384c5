//! The HTTP side: discovery, JWKS, the authorization URL and the token exchange.
//!
//! Every request has a timeout and every body a size bound: the provider is a peer on the
//! network, not a trusted component. Redirects are never followed on these back-channel
//! calls.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

use crate::jwk::JwkSet;
use crate::verify::verify_id_token;
use crate::{OidcConfig, OidcError, PendingLogin, VerifiedIdentity};

/// The largest response body read from the provider.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// The timeout of each request to the provider.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest authorization code accepted from the callback.
const MAX_CODE_LEN: usize = 4096;

/// A relying party bound to one provider. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct OidcClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: OidcConfig,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
    http: reqwest::Client,
    keys: RwLock<Arc<JwkSet>>,
    random: SystemRandom,
}

impl fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("OidcClient")
            .field("config", &i.config)
            .field("authorization_endpoint", &i.authorization_endpoint.as_str())
            .field("token_endpoint", &i.token_endpoint.as_str())
            .field("jwks_uri", &i.jwks_uri.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    code_challenge_methods_supported: Option<Vec<String>>,
}

impl OidcClient {
    /// Fetches `<issuer>/.well-known/openid-configuration` and the JWKS. The metadata's
    /// `issuer` must equal [`OidcConfig::issuer`] exactly; endpoints must be `https://`
    /// (`http://` only on a loopback host).
    pub async fn discover(config: OidcConfig) -> Result<Self, OidcError> {
        let issuer = checked_url(&config.issuer, "issuer")?;
        if issuer.query().is_some() || issuer.fragment().is_some() {
            return Err(OidcError::Config(
                "the issuer must not have a query or fragment".into(),
            ));
        }
        checked_url(&config.redirect_uri, "redirect_uri")?;
        if config.client_id.is_empty() {
            return Err(OidcError::Config("empty client_id".into()));
        }
        if !config.scopes.split(' ').any(|s| s == "openid") {
            return Err(OidcError::Config("scopes must include \"openid\"".into()));
        }

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("kyso-oidc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OidcError::Http(format!("HTTP client: {e}")))?;

        let well_known = format!(
            "{}/.well-known/openid-configuration",
            config.issuer.trim_end_matches('/')
        );
        let body = get(&http, &well_known).await?;
        let meta: Metadata = serde_json::from_slice(&body)
            .map_err(|e| OidcError::Provider(format!("discovery document: {e}")))?;
        if meta.issuer != config.issuer {
            return Err(OidcError::Provider(format!(
                "discovery says issuer {:?}, configured {:?}",
                meta.issuer, config.issuer
            )));
        }
        if let Some(methods) = &meta.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(OidcError::Provider(
                "the provider does not support PKCE S256".into(),
            ));
        }
        let authorization_endpoint =
            checked_url(&meta.authorization_endpoint, "authorization_endpoint")
                .map_err(as_provider)?;
        let token_endpoint =
            checked_url(&meta.token_endpoint, "token_endpoint").map_err(as_provider)?;
        let jwks_uri = checked_url(&meta.jwks_uri, "jwks_uri").map_err(as_provider)?;

        let keys = JwkSet::parse(&get(&http, jwks_uri.as_str()).await?)?;
        Ok(OidcClient {
            inner: Arc::new(Inner {
                config,
                authorization_endpoint,
                token_endpoint,
                jwks_uri,
                http,
                keys: RwLock::new(Arc::new(keys)),
                random: SystemRandom::new(),
            }),
        })
    }

    /// The configuration this client was discovered with.
    pub fn config(&self) -> &OidcConfig {
        &self.inner.config
    }

    /// The authorization URL to send the browser to, with a fresh `state`, `nonce` and PKCE
    /// S256 challenge; and the [`PendingLogin`] to keep for the callback.
    ///
    /// # Panics
    /// If the system random generator fails.
    pub fn begin(&self) -> (String, PendingLogin) {
        let fresh = || {
            let mut bytes = [0u8; 32];
            self.inner
                .random
                .fill(&mut bytes)
                .expect("the system random generator failed");
            URL_SAFE_NO_PAD.encode(bytes)
        };
        let pending = PendingLogin {
            state: fresh(),
            nonce: fresh(),
            code_verifier: fresh(),
        };
        let challenge =
            URL_SAFE_NO_PAD.encode(digest(&SHA256, pending.code_verifier.as_bytes()).as_ref());
        let c = &self.inner.config;
        let mut url = self.inner.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &c.client_id)
            .append_pair("redirect_uri", &c.redirect_uri)
            .append_pair("scope", &c.scopes)
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        (url.into(), pending)
    }

    /// Completes the login from the callback's `code` and `state`: checks the state,
    /// redeems the code, verifies the ID token at `now_unix` and reads the identity.
    pub async fn finish(
        &self,
        pending: &PendingLogin,
        code: &str,
        state: &str,
        now_unix: i64,
    ) -> Result<VerifiedIdentity, OidcError> {
        if aws_lc_rs::constant_time::verify_slices_are_equal(
            state.as_bytes(),
            pending.state.as_bytes(),
        )
        .is_err()
        {
            return Err(OidcError::StateMismatch);
        }
        if code.is_empty() || code.len() > MAX_CODE_LEN {
            return Err(OidcError::Provider(
                "the authorization code is empty or too long".into(),
            ));
        }
        let id_token = self.redeem(code, &pending.code_verifier).await?;

        let c = &self.inner.config;
        let keys = self.keys();
        match verify_id_token(&id_token, &keys, c, &pending.nonce, now_unix) {
            Err(OidcError::UnknownKey(_)) => {
                // The provider may have rotated its keys: refetch once.
                let fresh = Arc::new(JwkSet::parse(
                    &get(&self.inner.http, self.inner.jwks_uri.as_str()).await?,
                )?);
                *self
                    .inner
                    .keys
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh.clone();
                verify_id_token(&id_token, &fresh, c, &pending.nonce, now_unix)
            }
            other => other,
        }
    }

    fn keys(&self) -> Arc<JwkSet> {
        self.inner
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The token request: client_secret_basic (RFC 6749 2.3.1: id and secret form-encoded
    /// before Base64) with the PKCE verifier; returns the `id_token`.
    async fn redeem(&self, code: &str, code_verifier: &str) -> Result<String, OidcError> {
        let c = &self.inner.config;
        let basic = STANDARD.encode(format!(
            "{}:{}",
            form_encode(&c.client_id),
            form_encode(&c.client_secret)
        ));
        let response = self
            .inner
            .http
            .post(self.inner.token_endpoint.clone())
            .header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &c.redirect_uri),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await
            .map_err(|e| OidcError::Http(format!("token endpoint: {e}")))?;
        let status = response.status();
        let body = read_bounded(response).await?;
        let json: Value = serde_json::from_slice(&body).map_err(|_| {
            OidcError::Provider(format!("token endpoint answered {status} without JSON"))
        })?;
        if !status.is_success() {
            let field = |name: &str| json.get(name).and_then(Value::as_str).unwrap_or("");
            let mut description = field("error_description").to_owned();
            description.truncate(description.floor_char_boundary(200));
            return Err(OidcError::Provider(format!(
                "token endpoint answered {status}: {} {description}",
                field("error")
            )));
        }
        match json.get("id_token").and_then(Value::as_str) {
            Some(t) => Ok(t.to_owned()),
            None => Err(OidcError::Provider(
                "the token response has no id_token".into(),
            )),
        }
    }
}

/// GET a JSON document (status 200 only).
async fn get(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, OidcError> {
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| OidcError::Http(format!("{url}: {e}")))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(OidcError::Provider(format!(
            "{url} answered {}",
            response.status()
        )));
    }
    read_bounded(response).await
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, OidcError> {
    let too_big = || OidcError::Http(format!("response larger than {MAX_RESPONSE_BYTES} bytes"));
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| OidcError::Http(format!("reading the response: {e}")))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A URL kyso may talk to or send browsers to: `https://`, or `http://` on loopback.
fn checked_url(text: &str, what: &str) -> Result<Url, OidcError> {
    let url = Url::parse(text).map_err(|e| OidcError::Config(format!("{what} {text:?}: {e}")))?;
    let loopback = url.host_str().is_some_and(|h| {
        h.eq_ignore_ascii_case("localhost")
            || h.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(OidcError::Config(format!(
            "{what} {text:?} must be https (http only on a loopback host)"
        ))),
    }
}

fn as_provider(e: OidcError) -> OidcError {
    match e {
        OidcError::Config(m) => OidcError::Provider(m),
        other => other,
    }
}

/// `application/x-www-form-urlencoded` for the Basic credentials: everything but the
/// unreserved characters percent-encoded.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_or_loopback_http() {
        for ok in [
            "https://sso.vneid.gov.vn",
            "http://127.0.0.1:8080",
            "http://localhost:3000/x",
            "http://[::1]:80",
        ] {
            assert!(checked_url(ok, "u").is_ok(), "{ok}");
        }
        for bad in [
            "http://sso.vneid.gov.vn",
            "http://127.0.0.1.evil.test",
            "ftp://127.0.0.1",
            "javascript:alert(1)",
            "not a url",
        ] {
            assert!(
                matches!(checked_url(bad, "u"), Err(OidcError::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn basic_credentials_are_form_encoded() {
        assert_eq!(form_encode("kyso-web_1.~"), "kyso-web_1.~");
        assert_eq!(form_encode("a:b c+/é"), "a%3Ab%20c%2B%2F%C3%A9");
    }
}
