//! `kyso bench issue`: bulk issuance throughput, with keys generated in custody and every
//! batch committed before it is counted. Prints its figures last, beside `openssl speed`.

use crate::cli::BenchCommand;
use crate::context::Context;
use anyhow::Context as _;
use kyso_ca::{CaError, IssueRequest, KeySource};
use kyso_core::{Cccd, PersonName, SubjectIdentifier, TextField};
use kyso_keys::KeyAlgorithm;
use kyso_pki::{Profile, SubjectSpec};
use kyso_store::NewIssuance;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub async fn run(ctx: &Context, cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    if let BenchCommand::Csc {
        algorithm,
        seconds,
        concurrency,
        batch,
    } = cmd
    {
        return super::bench_csc::run(&algorithm, seconds, concurrency, batch).await;
    }
    if let BenchCommand::Crl { revoked, shards } = cmd {
        return crl(revoked, shards).await;
    }
    if let BenchCommand::Portal {
        count,
        bench_database,
        json,
    } = cmd
    {
        return super::bench_portal::run(count, bench_database, json).await;
    }
    if let BenchCommand::Campaign {
        province,
        adults,
        issued,
        rounds,
    } = cmd
    {
        return super::bench_campaign::run(ctx, province, adults, issued, rounds).await;
    }
    if let BenchCommand::Pades { .. } = cmd {
        return super::bench_pades::run(ctx, cmd).await;
    }
    let BenchCommand::Issue {
        count,
        algorithm,
        batch,
        threads,
        in_place,
        print_serials,
        no_baseline,
    } = cmd
    else {
        unreachable!("handled above")
    };
    let algorithm: KeyAlgorithm = algorithm.parse()?;
    let batch = batch.max(1);
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);

    // A fresh throw-away deployment unless told to measure the configured one.
    let scratch = if in_place {
        None
    } else {
        Some(tempfile::tempdir()?)
    };
    let ca = match &scratch {
        None => ctx.load_ca().await?,
        Some(dir) => {
            let tmp = Context {
                data_dir: dir.path().to_path_buf(),
                database: None,
                kek_file: None,
            };
            super::ca::init_soft(
                &tmp,
                "kyso bench",
                kyso_ca::settings::DEFAULT_PUBLIC_URL,
                kyso_ca::settings::DEFAULT_CRL_SHARDS,
            )
            .await?
        }
    };
    let ca = Arc::new(ca);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<NewIssuance>, CaError>>(threads * 2);
    let claimed = Arc::new(AtomicU64::new(0));
    for worker in 0..threads {
        let (ca, tx, claimed) = (ca.clone(), tx.clone(), claimed.clone());
        std::thread::spawn(move || {
            let mut names = SyntheticPeople::new(worker as u64 + 1);
            loop {
                let start = claimed.fetch_add(batch as u64, Ordering::Relaxed);
                if start >= count {
                    break;
                }
                let n = (count - start).min(batch as u64);
                let now = ca.clock().now();
                let result: Result<Vec<_>, _> = (0..n)
                    .map(|_| {
                        let req = IssueRequest {
                            issuer: None,
                            profile: Profile::Citizen,
                            subject: names.next_subject(),
                            key: KeySource::Generate(algorithm),
                            validity_days: None,
                        };
                        ca.prepare(&req, now)
                    })
                    .collect();
                let failed = result.is_err();
                if tx.blocking_send(result).is_err() || failed {
                    break;
                }
            }
        });
    }
    drop(tx);

    let bar = if print_serials {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(count)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} certificates, {per_sec}, eta {eta}",
        )
        .expect("template"),
    );
    let started = Instant::now();
    let mut issued = 0u64;
    let stdout = std::io::stdout();
    while let Some(result) = rx.recv().await {
        let items = result?;
        ca.store()
            .insert_certificates(&items)
            .await
            .context("storing a batch")?;
        issued += items.len() as u64;
        bar.inc(items.len() as u64);
        if print_serials {
            // Printed only after the commit: every serial printed is durable.
            let mut out = stdout.lock();
            for item in &items {
                writeln!(out, "{}", item.cert.serial)?;
            }
            out.flush()?;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let rate = issued as f64 / elapsed;
    let out = if print_serials {
        eprintln_sink
    } else {
        println_sink
    };
    out(format!(
        "issued {issued} {} certificates with {algorithm} keys generated in custody ({} keystore, {} database, {threads} threads, {batch} per transaction) in {elapsed:.2} s",
        Profile::Citizen,
        ca.keystore().kind(),
        ca.store().backend()
    ));
    if !no_baseline {
        match openssl_speed(algorithm, threads) {
            Some((name, ops)) => {
                out(format!(
                    "openssl speed {name} on {threads} threads: {ops:.0} sign/s"
                ));
                out(format!(
                    "ratio: {:.3} certificates per openssl signature (each certificate costs one key generation and one CA signature, both {algorithm} or P-256)",
                    rate / ops
                ));
            }
            None => out("openssl speed: not available for comparison".into()),
        }
    }
    out(format!("issued/s: {rate:.0}"));
    Ok(ExitCode::SUCCESS)
}

fn println_sink(s: String) {
    println!("{s}");
}

fn eprintln_sink(s: String) {
    eprintln!("{s}");
}

/// `openssl speed` signatures per second for the algorithm, on `threads` processes.
pub(crate) fn openssl_speed(alg: KeyAlgorithm, threads: usize) -> Option<(&'static str, f64)> {
    let (name, needle) = match alg {
        KeyAlgorithm::P256 => ("ecdsap256", "nistp256"),
        KeyAlgorithm::P384 => ("ecdsap384", "nistp384"),
        KeyAlgorithm::Rsa2048 => ("rsa2048", "rsa 2048"),
        KeyAlgorithm::Rsa3072 => ("rsa3072", "rsa 3072"),
    };
    let out = std::process::Command::new("openssl")
        .args([
            "speed",
            "-seconds",
            "2",
            "-multi",
            &threads.to_string(),
            name,
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains(needle) && !l.starts_with('+'))?;
    let fields: Vec<f64> = line
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    // "... sign verify sign/s verify/s": sign/s is the second-to-last number.
    fields.len().checked_sub(2).map(|i| (name, fields[i]))
}

/// Deterministic synthetic citizens with Vietnamese names and well-formed CCCD numbers.
struct SyntheticPeople {
    state: u64,
}

const FAMILY: [&str; 10] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
];
const MIDDLE: [&str; 8] = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thanh", "Quang"];
const GIVEN: [&str; 12] = [
    "Lan", "Hùng", "Anh", "Dũng", "Hương", "Tuấn", "Mai", "Nam", "Hoa", "Long", "Thảo", "Sơn",
];
const COMMUNES: [&str; 4] = [
    "Phường Phú Hội",
    "Phường Thuận Hóa",
    "Xã Phú Vinh",
    "Phường Kim Long",
];

impl SyntheticPeople {
    fn new(seed: u64) -> Self {
        SyntheticPeople {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*: plenty for synthetic test data, not for anything secret.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn next_subject(&mut self) -> SubjectSpec {
        let r = self.next();
        let name = format!(
            "{} {} {}",
            FAMILY[(r % 10) as usize],
            MIDDLE[((r >> 8) % 8) as usize],
            GIVEN[((r >> 16) % 12) as usize]
        );
        let year = 40 + (r >> 24) % 60; // born 1940–1999
        let cccd = format!(
            "046{}{:02}{:06}",
            (r >> 32) % 2,
            year,
            (r >> 40) % 1_000_000
        );
        SubjectSpec::Person {
            name: PersonName::parse(&name).expect("synthetic name is valid"),
            id: SubjectIdentifier::Cccd(Cccd::parse(&cccd).expect("synthetic CCCD is valid")),
            province: TextField::parse("province", "Thành phố Huế", 128).expect("valid"),
            locality: Some(
                TextField::parse("locality", COMMUNES[((r >> 60) % 4) as usize], 128)
                    .expect("valid"),
            ),
        }
    }
}

/// `kyso bench crl`: CRL publication and revocation cost with many revoked certificates.
async fn crl(revoked: u64, shards: u16) -> anyhow::Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let tmp = Context {
        data_dir: dir.path().to_path_buf(),
        database: None,
        kek_file: None,
    };
    let ca = super::ca::init_soft(&tmp, "kyso bench", "http://ca.kyso.vn", shards).await?;
    // The rows are synthetic (the CRL reads serial, status, reason and time only): filling
    // the store with a million signed certificates would measure issuance, not CRLs.
    let now = ca.clock().now();
    let bar = indicatif::ProgressBar::new(revoked);
    let started = Instant::now();
    let mut n = 0u64;
    while n < revoked {
        let batch: Vec<NewIssuance> = (n..(n + 5000).min(revoked))
            .map(|i| {
                let serial = kyso_pki::random_serial();
                NewIssuance {
                    key: None,
                    cert: kyso_store::CertificateRecord {
                        serial: kyso_pki::serial_hex(&serial),
                        issuer: if i % 2 == 0 { "citizen-ca" } else { "seal-ca" }.into(),
                        profile: "citizen".into(),
                        subject: format!("synthetic revoked certificate {i}"),
                        subject_id: None,
                        not_before: now,
                        not_after: now.plus_days(1095),
                        der: Vec::new(),
                        key_id: None,
                        crl_shard: kyso_ca::shard_of(&serial, shards),
                        status: kyso_core::CertStatus::Revoked,
                        status_reason: Some(kyso_core::RevocationReason::KeyCompromise),
                        status_changed_at: Some(now),
                        created_at: now,
                    },
                }
            })
            .collect();
        ca.store().insert_certificates(&batch).await?;
        n += batch.len() as u64;
        bar.set_position(n);
    }
    bar.finish_and_clear();
    println!(
        "stored {revoked} revoked certificates in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let out = dir.path().join("crls");
    let mut publish = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let files = ca.publish_crls(&out).await?;
        publish.push(t.elapsed().as_secs_f64());
        let bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        println!(
            "published {} CRLs ({:.1} MB) in {:.2} s",
            files.len(),
            bytes as f64 / 1e6,
            publish.last().unwrap()
        );
    }
    // One more revocation, with a million already revoked.
    let mut people = SyntheticPeople::new(7);
    let mut revoke_ms = Vec::new();
    for _ in 0..21 {
        let issued = ca
            .issue(&IssueRequest {
                issuer: None,
                profile: Profile::Citizen,
                subject: people.next_subject(),
                key: KeySource::Generate(KeyAlgorithm::P256),
                validity_days: None,
            })
            .await?;
        let t = Instant::now();
        ca.revoke(
            &issued.record.serial,
            kyso_core::RevocationReason::KeyCompromise,
        )
        .await?;
        revoke_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!(
        "publish all shards (median of 3): {:.2} s",
        median(&mut publish)
    );
    println!(
        "one revocation with {revoked} already revoked (median of 21): {:.2} ms",
        median(&mut revoke_ms)
    );
    Ok(ExitCode::SUCCESS)
}
