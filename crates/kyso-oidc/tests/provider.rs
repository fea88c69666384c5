//! kyso-oidc against the real `oidc-provider` (npm, installed by scripts/test) on loopback:
//! discovery, the authorization request, the provider's own login and consent pages driven
//! like a browser (cookies, forms, redirects), the token exchange and ID token checks.
//!
//! Missing node or oidc-provider fails these tests: nothing is skipped.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kyso_oidc::{OidcClient, OidcConfig, OidcError, PendingLogin};
use reqwest::Url;

const CLIENT_ID: &str = "kyso-enrolment";
const CLIENT_SECRET: &str = "a-long-client-secret-for-tests:with/odd+chars";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The node process; killed on drop (and it exits by itself when its stdin closes).
struct Provider {
    child: Child,
    _stdin: ChildStdin,
    issuer: String,
    redirect_uri: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    fn start() -> Provider {
        let root = workspace_root();
        assert!(
            root.join("node_modules/oidc-provider/package.json")
                .is_file(),
            "oidc-provider is not installed in {}/node_modules: run scripts/test (or npm install \
             --no-save the versions pinned there)",
            root.display()
        );
        let redirect_uri = format!("http://127.0.0.1:{}/oidc/callback", free_port());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/provider.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .args(["0", CLIENT_ID, CLIENT_SECRET, &redirect_uri])
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run node ({e}): scripts/test installs nodejs and oidc-provider")
            });
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining: a closed pipe would kill the provider on its next write.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut provider = Provider {
            child,
            _stdin: stdin,
            issuer: String::new(),
            redirect_uri,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("oidc-provider did not print its ready line within 30 s");
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("oidc-provider ready line {line:?}: {e}"));
        assert_eq!(ready["ready"], true, "{line}");
        provider.issuer = ready["issuer"].as_str().unwrap().to_owned();
        provider
    }

    fn config(&self) -> OidcConfig {
        OidcConfig::new(&self.issuer, CLIENT_ID, CLIENT_SECRET, &self.redirect_uri)
    }

    async fn client(&self) -> OidcClient {
        OidcClient::discover(self.config()).await.unwrap()
    }
}

/// A browser with its own cookie jar that follows nothing by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn html_unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("the page has no form") + "action=\"".len();
    let end = start + html[start..].find('"').unwrap();
    html_unescape(&html[start..end])
}

/// Drives the provider's development login and consent pages as a browser would, from the
/// authorization URL to the redirect back to kyso; returns (code, state) of that redirect.
async fn log_in(provider: &Provider, authorization_url: &str, login: &str) -> (String, String) {
    let browser = browser();
    let mut url = Url::parse(authorization_url).unwrap();
    let mut response = browser.get(url.clone()).send().await.unwrap();
    let (mut saw_login_form, mut saw_consent) = (false, false);
    for _ in 0..20 {
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            let next = url.join(&location).unwrap();
            if next.as_str().starts_with(&provider.redirect_uri) {
                assert!(
                    saw_login_form && saw_consent,
                    "redirected back without login and consent"
                );
                let query = |name: &str| {
                    next.query_pairs()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_else(|| panic!("no {name} in {next}"))
                };
                if let Some((_, e)) = next.query_pairs().find(|(k, _)| k == "error") {
                    panic!("the provider refused the login: {e} ({next})");
                }
                return (query("code"), query("state"));
            }
            url = next;
            response = browser.get(url.clone()).send().await.unwrap();
            continue;
        }
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "{url}: {body}");
        let action = url.join(&form_action(&body)).unwrap();
        let form: Vec<(&str, &str)> = if body.contains(r#"name="prompt" value="login""#) {
            assert!(body.contains(r#"name="login""#) && body.contains(r#"name="password""#));
            saw_login_form = true;
            vec![
                ("prompt", "login"),
                ("login", login),
                ("password", "any password"),
            ]
        } else if body.contains(r#"name="prompt" value="consent""#) {
            assert!(
                body.contains("vneid"),
                "consent page does not list the vneid scope: {body}"
            );
            saw_consent = true;
            vec![("prompt", "consent")]
        } else {
            panic!("unexpected page at {url}: {body}");
        };
        url = action;
        response = browser.post(url.clone()).form(&form).send().await.unwrap();
    }
    panic!("no redirect to {} after 20 steps", provider.redirect_uri);
}

#[tokio::test]
async fn level_2_citizen_logs_in_through_the_provider_login_form() {
    let provider = Provider::start();
    let client = provider.client().await;
    let (url, pending) = client.begin();
    let auth = Url::parse(&url).unwrap();
    let param = |n: &str| {
        auth.query_pairs()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param("state").as_deref(), Some(pending.state()));
    assert_eq!(param("scope").as_deref(), Some("openid profile vneid"));

    // The web tier keeps the pending login in a cookie between the two requests.
    let cookie = pending.to_cookie_value();
    let (code, state) = log_in(&provider, &url, "046190000001").await;
    let pending = PendingLogin::from_cookie_value(&cookie).unwrap();
    let id = client.finish(&pending, &code, &state, now()).await.unwrap();
    assert_eq!(id.cccd, "046190000001");
    assert_eq!(id.level, 2);
    assert_eq!(id.issuer, provider.issuer);
    assert_eq!(id.subject, "046190000001");
    assert_eq!(id.name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(id.birthdate.as_deref(), Some("1990-01-15"));

    // A level given as a string ("level2") by the provider is read as 2.
    let (url, pending) = client.begin();
    let (code, state) = log_in(&provider, &url, "046190000003").await;
    let id = client.finish(&pending, &code, &state, now()).await.unwrap();
    assert_eq!((id.cccd.as_str(), id.level), ("046190000003", 2));
}

#[tokio::test]
async fn level_1_citizen_is_refused() {
    let provider = Provider::start();
    let client = provider.client().await;
    let (url, pending) = client.begin();
    let (code, state) = log_in(&provider, &url, "046190000002").await;
    let err = client
        .finish(&pending, &code, &state, now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::LevelTooLow {
                level: 1,
                required: 2
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn tampered_state_is_refused_before_the_code_is_spent() {
    let provider = Provider::start();
    let client = provider.client().await;
    let (url, pending) = client.begin();
    let (code, state) = log_in(&provider, &url, "046190000001").await;
    let mut tampered = state.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "", &state[..state.len() - 1]] {
        let err = client
            .finish(&pending, &code, bad, now())
            .await
            .unwrap_err();
        assert!(matches!(err, OidcError::StateMismatch), "{err:?}");
    }
    // Another login's pending values (another browser's cookie) do not fit this callback.
    let (_, other) = client.begin();
    let err = client
        .finish(&other, &code, &state, now())
        .await
        .unwrap_err();
    assert!(matches!(err, OidcError::StateMismatch), "{err:?}");
    // The refusals did not redeem the code: the genuine callback still completes.
    let id = client.finish(&pending, &code, &state, now()).await.unwrap();
    assert_eq!(id.cccd, "046190000001");
}

#[tokio::test]
async fn replayed_code_is_refused_by_the_provider() {
    let provider = Provider::start();
    let client = provider.client().await;
    let (url, pending) = client.begin();
    let (code, state) = log_in(&provider, &url, "046190000001").await;
    client.finish(&pending, &code, &state, now()).await.unwrap();
    let err = client
        .finish(&pending, &code, &state, now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OidcError::Provider(m) if m.contains("invalid_grant")),
        "{err:?}"
    );
}

/// Swaps one part of a pending login's cookie value (1 state, 2 nonce, 3 verifier).
fn with_part(pending: &PendingLogin, part: usize, from: &PendingLogin) -> PendingLogin {
    let mut mine: Vec<String> = pending
        .to_cookie_value()
        .split('.')
        .map(str::to_owned)
        .collect();
    let theirs: Vec<String> = from
        .to_cookie_value()
        .split('.')
        .map(str::to_owned)
        .collect();
    mine[part] = theirs[part].clone();
    PendingLogin::from_cookie_value(&mine.join(".")).unwrap()
}

#[tokio::test]
async fn wrong_pkce_verifier_and_wrong_nonce_are_refused() {
    let provider = Provider::start();
    let client = provider.client().await;
    let (_, other) = client.begin();

    // The provider binds the code to the PKCE challenge: another verifier cannot redeem it.
    let (url, pending) = client.begin();
    let (code, state) = log_in(&provider, &url, "046190000001").await;
    let err = client
        .finish(&with_part(&pending, 3, &other), &code, &state, now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OidcError::Provider(m) if m.contains("invalid_grant")),
        "{err:?}"
    );

    // The ID token carries this login's nonce: another nonce is refused.
    let (url, pending) = client.begin();
    let (code, state) = log_in(&provider, &url, "046190000001").await;
    let err = client
        .finish(&with_part(&pending, 2, &other), &code, &state, now())
        .await
        .unwrap_err();
    assert!(matches!(err, OidcError::Nonce), "{err:?}");

    // And a token checked far past its expiry is refused (time is an argument).
    let (url, pending) = client.begin();
    let (code, state) = log_in(&provider, &url, "046190000001").await;
    let err = client
        .finish(&pending, &code, &state, now() + 24 * 3600)
        .await
        .unwrap_err();
    assert!(matches!(err, OidcError::Expired { .. }), "{err:?}");
}

#[tokio::test]
async fn discovery_requires_the_exact_issuer() {
    let provider = Provider::start();
    let mut config = provider.config();
    config.issuer = format!("{}/", provider.issuer);
    let err = OidcClient::discover(config).await.unwrap_err();
    assert!(
        matches!(&err, OidcError::Provider(m) if m.contains("issuer")),
        "{err:?}"
    );

    let mut config = provider.config();
    config.issuer = provider.issuer.replace("127.0.0.1", "localhost");
    let err = OidcClient::discover(config).await.unwrap_err();
    assert!(
        matches!(&err, OidcError::Provider(m) if m.contains("issuer")),
        "{err:?}"
    );

    let mut config = provider.config();
    config.scopes = "profile vneid".into();
    let err = OidcClient::discover(config).await.unwrap_err();
    assert!(matches!(err, OidcError::Config(_)), "{err:?}");
}
