//! Shared helpers for the CLI tests: run the real `kyso` binary against a throw-away data
//! directory (and, where asked, a fresh PostgreSQL database or a fresh SoftHSM2 token).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PUBLIC_URL: &str = "http://ca.kyso.vn";

pub struct Kyso {
    pub dir: tempfile::TempDir,
    pub database: Option<String>,
    pg: Option<kyso_store::testing::FreshPostgres>,
}

impl Kyso {
    pub fn sqlite() -> Kyso {
        Kyso {
            dir: tempfile::tempdir().unwrap(),
            database: None,
            pg: None,
        }
    }

    pub fn postgres() -> Kyso {
        let pg = runtime()
            .block_on(kyso_store::testing::FreshPostgres::create())
            .expect("PostgreSQL must answer on 127.0.0.1:5432");
        Kyso {
            dir: tempfile::tempdir().unwrap(),
            database: Some(pg.url.clone()),
            pg: Some(pg),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kyso"));
        c.arg("--data-dir").arg(self.data_dir());
        if let Some(db) = &self.database {
            c.arg("--database").arg(db);
        }
        c.env_remove("KYSO_DATABASE_URL")
            .env_remove("KYSO_DATA_DIR")
            .env_remove("KYSO_KEK_FILE");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run kyso")
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kyso {args:?} failed:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Runs and requires failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kyso {args:?} should have failed:\n{}",
            text(&out.stdout)
        );
        text(&out.stderr)
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--json");
        serde_json::from_str(&self.ok(&a)).expect("JSON output")
    }

    pub fn count(&self) -> usize {
        self.json(&["cert", "list"]).as_array().unwrap().len()
    }

    /// Writes root.pem and chain.pem into the work directory and returns it.
    pub fn export(&self) -> PathBuf {
        let out = self.dir.path().join("export");
        self.ok(&["ca", "export", "--out", out.to_str().unwrap()]);
        out
    }

    pub fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Kyso {
    fn drop(&mut self) {
        if let Some(pg) = self.pg.take() {
            let _ = runtime().block_on(pg.drop_database());
        }
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `openssl verify -CAfile root.pem -untrusted chain.pem leaf.pem`.
pub fn openssl_verify(export: &Path, leaf: &Path) -> (bool, String) {
    let out = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(export.join("root.pem"))
        .arg("-untrusted")
        .arg(export.join("chain.pem"))
        .arg(leaf)
        .output()
        .expect("openssl must be installed");
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// Runs openssl with `args` in `dir`, requiring success.
pub fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

pub const CITIZEN: &[&str] = &[
    "cert",
    "issue",
    "--profile",
    "citizen",
    "--name",
    "Nguyễn Thị Lan",
    "--cccd",
    "046190012345",
    "--province",
    "Thành phố Huế",
    "--locality",
    "Phường Phú Hội",
];

/// Directory of the Python peers (pkilint), as set up by scripts/test.
pub fn peer_bin() -> PathBuf {
    std::env::var_os("KYSO_PEER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin"))
}

/// A SoftHSM2 token created for one test and deleted afterwards.
pub struct SoftHsmToken {
    pub label: String,
    pub pin_file: PathBuf,
    _dir: tempfile::TempDir,
}

pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

impl SoftHsmToken {
    pub fn create() -> SoftHsmToken {
        assert!(
            Path::new(SOFTHSM_MODULE).exists(),
            "SoftHSM2 is not installed: run scripts/test"
        );
        let label = format!("kyso-cli-{}", std::process::id());
        let out = Command::new("softhsm2-util")
            .args([
                "--init-token",
                "--free",
                "--label",
                &label,
                "--so-pin",
                "5678",
                "--pin",
                "246810",
            ])
            .output()
            .expect("softhsm2-util");
        assert!(out.status.success(), "softhsm2-util: {}", text(&out.stderr));
        let dir = tempfile::tempdir().unwrap();
        let pin_file = dir.path().join("pin");
        std::fs::write(&pin_file, "246810\n").unwrap();
        SoftHsmToken {
            label,
            pin_file,
            _dir: dir,
        }
    }
}

impl Drop for SoftHsmToken {
    fn drop(&mut self) {
        let _ = Command::new("softhsm2-util")
            .args(["--delete-token", "--token", &self.label])
            .output();
    }
}

/// A running `kyso serve` on a free loopback port, stopped on drop.
pub struct Server {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Kyso {
    /// Starts `kyso serve --listen 127.0.0.1:0` and waits until it prints its address.
    pub fn serve(&self, extra: &[&str]) -> Server {
        self.serve_at("127.0.0.1:0", extra)
    }

    /// Starts `kyso serve --listen ADDR` and waits until it prints its address.
    pub fn serve_at(&self, listen: &str, extra: &[&str]) -> Server {
        use std::io::BufRead;
        let mut child = self
            .command()
            .args(["serve", "--listen", listen])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start kyso serve");
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("kyso serve exited before printing its address")
                .unwrap();
            if let Some(url) = line.trim().strip_prefix("home") {
                break url.trim().trim_end_matches('/').to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POSTs `body` with `content_type` to `url` (curl); returns (HTTP status, body).
pub fn http_post(url: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("body");
    let output = dir.path().join("out");
    std::fs::write(&input, body).unwrap();
    let out = Command::new("curl")
        .args(["-sS", "-o"])
        .arg(&output)
        .args(["-w", "%{http_code}", "-H"])
        .arg(format!("Content-Type: {content_type}"))
        .arg("--data-binary")
        .arg(format!("@{}", input.display()))
        .arg(url)
        .output()
        .expect("curl");
    assert!(out.status.success(), "curl: {}", text(&out.stderr));
    let code = text(&out.stdout).trim().parse().unwrap();
    (code, std::fs::read(&output).unwrap_or_default())
}

/// A loopback port that was free a moment ago (for deployments whose certificates must
/// name the server's address before it starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where browser tests keep their screenshots: `<target dir>/kyso-artefacts/screenshots`,
/// next to the binary under test (so `CARGO_TARGET_DIR` is honoured).
pub fn screenshot_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_BIN_EXE_kyso"))
        .parent()
        .and_then(Path::parent)
        .expect("the binary lives in <target>/<profile>/");
    let dir = target.join("kyso-artefacts").join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Kyso {
    /// `node tests/peers/<script>` run from the workspace root (where `node_modules` is),
    /// with `KYSO_BIN` and `KYSO_DATA_DIR` naming this deployment for the script's CLI calls.
    pub fn node_peer(&self, script: &str) -> Command {
        let mut c = Command::new("node");
        c.arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/peers")
                .join(script),
        )
        .env("KYSO_BIN", env!("CARGO_BIN_EXE_kyso"))
        .env("KYSO_DATA_DIR", self.data_dir())
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
        c
    }
}
