//! Enrolment through VNeID in a real browser: headless Chromium (playwright-core) against
//! `kyso serve --oidc-issuer …` and the real OpenID provider (npm `oidc-provider`,
//! crates/kyso-oidc/tests/peers/provider.mjs) on loopback. The citizen clicks "Đăng ký qua
//! VNeID", logs in on the provider's own form, consents, comes back to kyso, chooses a
//! provider and a PIN and gets the certificate; the account page and the CLI's export then
//! show the enrolment, channel VNeID. Screenshots go to `<target>/kyso-artefacts/screenshots/`
//! (files `2x-*.png`).
//!
//! Missing node, oidc-provider, playwright-core or Chromium fails this test: nothing is
//! skipped.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CLIENT_ID: &str = "kyso-enrolment";
const CLIENT_SECRET: &str = "a-long-client-secret-for-tests:with/odd+chars";

/// The provider's level-2 account 046190000001 (province 046, woman born in 1990) in the
/// register, in a real 2025 commune of Huế (19900, as `population generate --province 46`
/// places people), with a neighbour in the same household.
const POPULATION: &str = "cccd,full_name,date_of_birth,sex,phone,household_id,commune_code
046190000001,Nguyễn Thị An,1990-01-15,Nữ,0912000001,46-19900-000001,19900
046088000002,Trần Văn Bảo,1988-07-02,Nam,,46-19900-000001,19900
";

/// What the script screenshots, step by step.
const SCREENSHOTS: [&str; 6] = [
    "20-dang-ky-vneid.png",
    "21-vneid-dang-nhap.png",
    "22-vneid-dong-y.png",
    "23-vneid-nhap-pin.png",
    "24-vneid-thanh-cong.png",
    "25-tai-khoan-vneid.png",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chromium() -> PathBuf {
    std::env::var_os("KYSO_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Fails (never skips) when a peer is missing.
fn require_peers() {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "node is not installed ({node:?}): scripts/test installs nodejs, oidc-provider, \
         playwright-core and chromium"
    );
    let root = workspace_root();
    for package in ["oidc-provider", "playwright-core"] {
        let p = root.join("node_modules").join(package).join("package.json");
        assert!(
            p.is_file(),
            "{package} is not installed ({} missing): run scripts/test (or npm install \
             --no-save the versions pinned there)",
            p.display()
        );
    }
    let chromium = chromium();
    assert!(
        chromium.is_file(),
        "Chromium is not installed at {} (set KYSO_CHROMIUM, or run scripts/test)",
        chromium.display()
    );
}

/// The OpenID provider (node); killed on drop, and it exits by itself when its stdin closes.
struct Provider {
    child: Child,
    _stdin: ChildStdin,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    fn start(port: u16, redirect_uri: &str) -> Provider {
        let script = workspace_root().join("crates/kyso-oidc/tests/peers/provider.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .args([&port.to_string(), CLIENT_ID, CLIENT_SECRET, redirect_uri])
            .current_dir(workspace_root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run node ({e}): scripts/test installs nodejs"));
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        // Owned from here: the child is killed however the start-up goes.
        let mut provider = Provider {
            child,
            _stdin: stdin,
            issuer: String::new(),
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining: a closed pipe would kill the provider on its next write.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("oidc-provider did not print its ready line within 15 s");
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("oidc-provider ready line {line:?}: {e}"));
        assert_eq!(ready["ready"], true, "{line}");
        assert_eq!(ready["port"], port, "{line}");
        provider.issuer = ready["issuer"].as_str().unwrap().to_owned();
        provider
    }
}

#[test]
fn a_citizen_enrols_through_vneid_in_chromium() {
    require_peers();
    let k = Kyso::sqlite();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    k.ok(&["ca", "init", "--public-url", &base]);
    k.ok(&[
        "provider",
        "add",
        "--id",
        "vnpt-demo",
        "--name",
        "VNPT-CA (demo)",
    ]);
    let csv = k.write("population.csv", POPULATION.as_bytes());
    k.ok(&["population", "import", csv.to_str().unwrap()]);

    let provider = Provider::start(free_port(), &format!("{base}/oidc/callback"));
    let secret = k.write(
        "oidc-client-secret",
        format!("{CLIENT_SECRET}\n").as_bytes(),
    );
    let _server = k.serve_at(
        &format!("127.0.0.1:{port}"),
        &[
            "--oidc-issuer",
            &provider.issuer,
            "--oidc-client-id",
            CLIENT_ID,
            "--oidc-client-secret-file",
            secret.to_str().unwrap(),
            "--oidc-channel",
            "vneid",
        ],
    );

    let shots = screenshot_dir();
    for name in SCREENSHOTS {
        let _ = std::fs::remove_file(shots.join(name));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/citizens_oidc.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(&base)
        .arg(&provider.issuer)
        .arg(&shots)
        .env("KYSO_CHROMIUM", chromium())
        .current_dir(workspace_root())
        .output()
        .expect("node");
    println!("screenshots: {}", shots.display());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_str(
        stdout
            .lines()
            .last()
            .expect("the script prints its result last"),
    )
    .expect("JSON result");
    let serial = result["serial"].as_str().expect("a serial");

    // What the browser saw is what the database holds.
    let an = k.json(&["citizen", "export", "046190000001"]);
    let enrolments = an["enrolments"].as_array().unwrap();
    assert_eq!(enrolments.len(), 1, "{an}");
    let e = &enrolments[0];
    assert_eq!(e["channel"], "vneid", "{an}");
    assert_eq!(e["provider"], "vnpt-demo", "{an}");
    assert_eq!(e["active"], true, "{an}");
    assert_eq!(e["certificate"]["serial"], serial, "{an}");
    assert_eq!(e["certificate"]["status"], "valid", "{an}");
    assert_eq!(e["certificate"]["issuer"], "vnpt-demo", "{an}");

    for name in SCREENSHOTS {
        let p = shots.join(name);
        assert!(
            std::fs::metadata(&p).is_ok_and(|m| m.len() > 1000),
            "{} missing",
            p.display()
        );
    }
}
