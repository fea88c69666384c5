//! The VNeID channel against the real `oidc-provider` (npm, installed by scripts/test) on
//! loopback: the citizen logs in on the provider's own login and consent pages, kyso-oidc
//! verifies the ID token, and the verified identity enrols the register's citizen.
//!
//! Missing node or oidc-provider fails this test: nothing is skipped.

mod common;

use common::*;
use kyso_citizens::{CitizenError, OidcIdentity, Proof};
use kyso_oidc::{OidcClient, OidcConfig, PendingLogin, VerifiedIdentity};
use kyso_store::enrolment::Channel;
use reqwest::Url;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// The ID token is checked against real time (the provider signs with it).
fn unix_now() -> i64 {
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
            "oidc-provider is not installed in {}/node_modules: run scripts/test",
            root.display()
        );
        let redirect_uri = format!("http://127.0.0.1:{}/oidc/callback", free_port());
        let script = root.join("crates/kyso-oidc/tests/peers/provider.mjs");
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

    async fn client(&self) -> OidcClient {
        OidcClient::discover(OidcConfig::new(
            &self.issuer,
            CLIENT_ID,
            CLIENT_SECRET,
            &self.redirect_uri,
        ))
        .await
        .unwrap()
    }
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

/// Drives the provider's login and consent pages as a browser would (own cookie jar, no
/// automatic redirects); returns (code, state) of the redirect back to kyso.
async fn log_in(provider: &Provider, authorization_url: &str, login: &str) -> (String, String) {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut url = Url::parse(authorization_url).unwrap();
    let mut response = browser.get(url.clone()).send().await.unwrap();
    let (mut saw_login, mut saw_consent) = (false, false);
    for _ in 0..20 {
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            let next = url.join(&location).unwrap();
            if next.as_str().starts_with(&provider.redirect_uri) {
                assert!(
                    saw_login && saw_consent,
                    "redirected without login and consent"
                );
                let query = |name: &str| {
                    next.query_pairs()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_else(|| panic!("no {name} in {next}"))
                };
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
            saw_login = true;
            vec![
                ("prompt", "login"),
                ("login", login),
                ("password", "any password"),
            ]
        } else if body.contains(r#"name="prompt" value="consent""#) {
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

/// What the web tier hands the citizen services after a verified login.
fn proof(id: &VerifiedIdentity) -> Proof {
    Proof::Oidc {
        channel: Channel::Vneid,
        identity: OidcIdentity {
            issuer: id.issuer.clone(),
            subject: id.subject.clone(),
            cccd: id.cccd.clone(),
            level: id.level,
        },
    }
}

async fn a_vneid_login_at_the_real_provider_enrols_the_citizen(env: &Env) {
    let provider = Provider::start();
    let client = provider.client().await;

    let (url, pending) = client.begin();
    let cookie = pending.to_cookie_value();
    let (code, state) = log_in(&provider, &url, AN.cccd).await;
    let pending = PendingLogin::from_cookie_value(&cookie).unwrap();
    let id = client
        .finish(&pending, &code, &state, unix_now())
        .await
        .unwrap();
    assert_eq!((id.cccd.as_str(), id.level), (AN.cccd, 2));
    assert_eq!(id.issuer, provider.issuer);

    // The login is AN's: it does not enrol another citizen of the register.
    let mut for_lan = request(LAN, VNPT, proof(&id));
    for_lan.cccd = LAN.cccd.into();
    let r = env.citizens.enrol(for_lan).await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    assert!(env.certificates_of(LAN.cccd).await.is_empty());

    let e = env
        .citizens
        .enrol(request(AN, VIETTEL, proof(&id)))
        .await
        .unwrap();
    assert_eq!(e.enrolment.channel, Channel::Vneid);
    assert_eq!(e.enrolment.cccd, AN.cccd);
    env.assert_issued_by(&e.certificate, VIETTEL);
    let active = env.store.active_enrolment(AN.cccd).await.unwrap().unwrap();
    assert_eq!(active.channel, Channel::Vneid);
    assert_eq!(active.serial, e.certificate.serial);
    let message = b"to khai dang ky ho kinh doanh";
    let sig = env
        .sign(&env.public_service, &e.credential_id, PIN, message)
        .await
        .unwrap();
    verify_with_certificate(&e.certificate.der, message, &sig);

    // A second login of the same citizen cannot give them a second certificate.
    let (url, pending) = client.begin();
    let (code, state) = log_in(&provider, &url, AN.cccd).await;
    let again = client
        .finish(&pending, &code, &state, unix_now())
        .await
        .unwrap();
    let r = env.citizens.enrol(request(AN, VNPT, proof(&again))).await;
    assert!(
        matches!(&r, Err(CitizenError::AlreadyEnrolled(p)) if p == VIETTEL),
        "{r:?}"
    );
    assert_eq!(env.certificates_of(AN.cccd).await.len(), 1);

    // A level-1 account, let through by a web tier configured too leniently, is still
    // refused by the citizen services.
    let level1 = "046190000002";
    env.store
        .import_population(
            &[],
            &[kyso_store::population::PersonRecord {
                cccd: level1.into(),
                full_name: "Trần Thị Bình".into(),
                birth_date: "1985-06-30".into(),
                sex: "Nữ".into(),
                phone: None,
                household_id: format!("46-{}-000001", env.communes[0]),
                commune_code: env.communes[0].clone(),
                province_code: "46".into(),
            }],
            env.now(),
            "test register, second file",
            &|_| {},
        )
        .await
        .unwrap();
    let mut lenient = OidcConfig::new(
        &provider.issuer,
        CLIENT_ID,
        CLIENT_SECRET,
        &provider.redirect_uri,
    );
    lenient.required_level = 1;
    let lenient = OidcClient::discover(lenient).await.unwrap();
    let (url, pending) = lenient.begin();
    let (code, state) = log_in(&provider, &url, level1).await;
    let weak = lenient
        .finish(&pending, &code, &state, unix_now())
        .await
        .unwrap();
    assert_eq!((weak.cccd.as_str(), weak.level), (level1, 1));
    let mut req = request(AN, VNPT, proof(&weak));
    req.cccd = level1.into();
    let r = env.citizens.enrol(req).await;
    assert!(matches!(r, Err(CitizenError::LevelTooLow(1))), "{r:?}");
    assert!(env.certificates_of(level1).await.is_empty());
}

both_backends!(a_vneid_login_at_the_real_provider_enrols_the_citizen);
