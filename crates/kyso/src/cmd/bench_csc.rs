//! `kyso bench csc`: remote signing measured through the CSC API over loopback HTTP.
//!
//! A fresh temporary deployment (SQLite, software keystore, every record durable) serves
//! the API in this process; `concurrency` clients, each on its own keep-alive connection
//! and with its own PIN-only credential (a TOTP code is single-use per 30 s, which would
//! measure the clock), drive it:
//!
//! 1. batched: `credentials/authorize` for `batch` hashes, then one `signatures/signHash`
//!    for all of them — signatures/s, beside `openssl speed` for the same key type and
//!    core count;
//! 2. round trips: `authorize` + `signHash` of one hash — round trips/s and latency
//!    percentiles of the whole round trip.

use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use kyso_core::{Cccd, PersonName, SubjectIdentifier, TextField};
use kyso_pki::SubjectSpec;
use serde_json::{Value, json};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PIN: &str = "482913";

struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    token: String,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr, token: String) -> anyhow::Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Conn { sender, token })
    }

    async fn post(&mut self, path: &str, body: Value) -> anyhow::Result<Value> {
        let req = hyper::Request::post(path)
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.token))
            .body(Full::new(Bytes::from(body.to_string())))?;
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        let v: Value = serde_json::from_slice(&bytes).context("JSON response")?;
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }
}

fn random_hash() -> String {
    let mut h = [0u8; 32];
    aws_lc_rs::rand::fill(&mut h).expect("random");
    base64::engine::general_purpose::STANDARD.encode(h)
}

/// One authorize + signHash of `n` fresh hashes; returns the number of signatures.
async fn round_trip(
    c: &mut Conn,
    credential: &str,
    n: usize,
    sign_algo: &str,
) -> anyhow::Result<usize> {
    let hashes: Vec<String> = (0..n).map(|_| random_hash()).collect();
    let a = c
        .post(
            "/csc/v2/credentials/authorize",
            json!({"credentialID": credential, "numSignatures": n, "hashes": hashes, "PIN": PIN}),
        )
        .await?;
    let sad = a["SAD"].as_str().ok_or_else(|| anyhow!("no SAD in {a}"))?;
    let s = c
        .post(
            "/csc/v2/signatures/signHash",
            json!({"credentialID": credential, "SAD": sad, "hashes": hashes,
                   "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1", "signAlgo": sign_algo}),
        )
        .await?;
    let got = s["signatures"].as_array().map_or(0, Vec::len);
    if got != n {
        bail!("{got} signatures for {n} hashes: {s}");
    }
    Ok(got)
}

/// Runs `concurrency` clients for `seconds`; returns (signatures, round-trip latencies).
async fn drive(
    conns: Vec<(Conn, String)>,
    seconds: u64,
    n: usize,
    sign_algo: &'static str,
) -> anyhow::Result<(u64, Vec<Duration>, f64)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (mut c, credential) in conns {
        tasks.spawn(async move {
            let mut signatures = 0u64;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                signatures += round_trip(&mut c, &credential, n, sign_algo).await? as u64;
                latencies.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>((signatures, latencies))
        });
    }
    let mut total = 0;
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        let (s, l) = r??;
        total += s;
        all.extend(l);
    }
    Ok((total, all, started.elapsed().as_secs_f64()))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub async fn run(
    algorithm: &str,
    seconds: u64,
    concurrency: usize,
    batch: usize,
) -> anyhow::Result<ExitCode> {
    let alg: kyso_keys::KeyAlgorithm = algorithm.parse()?;
    let sign_algo = match alg {
        kyso_keys::KeyAlgorithm::P256 => "1.2.840.10045.4.3.2",
        _ => "1.2.840.113549.1.1.11",
    };
    let dir = tempfile::tempdir()?;
    let ctx = crate::context::Context {
        data_dir: dir.path().to_path_buf(),
        database: None,
        kek_file: None,
    };
    let ca = Arc::new(super::ca::init_soft(&ctx, "kyso bench", "http://ca.kyso.vn", 16).await?);
    let remote = ctx.remote(ca.clone()).await?;
    let client = remote.add_client("bench", None, "other").await?;
    eprintln!("creating {concurrency} {algorithm} credentials …");
    let mut credentials = Vec::new();
    for i in 0..concurrency {
        let subject = SubjectSpec::Person {
            name: PersonName::parse("Nguyễn Văn Bình")?,
            id: SubjectIdentifier::Cccd(Cccd::parse(&format!("046190{:06}", 800_000 + i))?),
            province: TextField::parse("province", "Huế", 128)?,
            locality: None,
        };
        credentials.push(
            remote
                .create_credential(subject, alg, PIN, false)
                .await?
                .record
                .id,
        );
    }
    let (token, _) = remote
        .token(&client.record.client_id, &client.secret)
        .await?;
    let state = kyso_server::AppState::new(ca.clone(), Default::default())
        .await?
        .with_remote(remote);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(kyso_server::serve(listener, state, std::future::pending()));

    let connect = || async {
        let mut conns = Vec::new();
        for c in &credentials {
            conns.push((Conn::open(addr, token.clone()).await?, c.clone()));
        }
        Ok::<_, anyhow::Error>(conns)
    };
    // Warm-up.
    drive(connect().await?, 1, 1, sign_algo).await?;

    eprintln!(
        "batched: authorize + signHash of {batch} hashes, {concurrency} clients, {seconds} s …"
    );
    let (sigs, _, secs) = drive(connect().await?, seconds, batch, sign_algo).await?;
    let batched_rate = sigs as f64 / secs;
    eprintln!("round trips: authorize + signHash of 1 hash, {concurrency} clients, {seconds} s …");
    let (trips, mut lat, secs) = drive(connect().await?, seconds, 1, sign_algo).await?;
    let trip_rate = trips as f64 / secs;
    lat.sort();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let speed = super::bench::openssl_speed(alg, cores);

    println!();
    println!(
        "== CSC API over loopback HTTP ({algorithm} credentials, SQLite, every record durable, {concurrency} clients, {cores} cores shared with the clients)"
    );
    println!(
        "  batched signHash ({batch} hashes/call, with its authorize)  {batched_rate:>9.0} signatures/s"
    );
    match speed {
        Some((name, ops)) => {
            println!(
                "  openssl speed -multi {cores} {name}                      {ops:>9.0} signatures/s"
            );
            println!(
                "  ratio                                                 {:>9.2}   (target >= 0.5)",
                batched_rate / ops
            );
        }
        None => println!("  openssl speed: not available"),
    }
    println!(
        "  authorize + signHash round trips (1 hash)             {trip_rate:>9.0}/s   (target >= 1,500)"
    );
    println!(
        "  round-trip latency p50 / p99 / max                    {:.1} / {:.1} / {:.1} ms   (target p99 <= 50 ms)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    Ok(ExitCode::SUCCESS)
}
