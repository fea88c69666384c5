//! `kyso bench pades`: PAdES signing and validation of a small PDF, in this process.
//!
//! The signer is an organisation seal whose key kyso holds (`DocumentSigner::Seal`), so no
//! PIN or HTTP is measured: each signature is exactly what `kyso sign --seal` does after
//! start-up — read the input, prepare the signature update, hash, sign with the key in
//! custody (B-T: plus a token from the in-process TSA), write the output beside its
//! destination, fsync and rename it. Signatures run one after another (one "client"),
//! each into its own file in a temporary directory.
//!
//! Validation is `kyso_verify::verify_pdf` on the signed output, opened from disk each
//! time, offline (no fetcher), with the deployment's root as the only trust anchor: the
//! verdict is INDETERMINATE / TRY_LATER at B-B and B-T (no revocation material embedded),
//! which is checked, as are the integrity, the path to the root and the time-stamp.
//!
//! A cheap breakdown follows the measurement: the floor of a durable write of a file of
//! the output's size, one signature with the custody key, and one TSA token as
//! `sign_pdf` obtains it (a new `TimeStampAuthority` each time) and with one TSA reused.

use crate::cli::BenchCommand;
use crate::context::Context;
use anyhow::{Context as _, anyhow, bail};
use kyso_ca::{IssueRequest, KeySource};
use kyso_core::{SubjectIdentifier, TextField};
use kyso_pki::{Profile, SubjectSpec};
use kyso_remote::documents::{DocumentSigner, Level, PdfOptions};
use kyso_verify::{Indication, Lang, Options, SubIndication};
use serde_json::json;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// A one-page A4 PDF with an empty content stream (the shape of
/// `crates/kyso/tests/peers/minimal.pdf`), with its cross-reference table computed.
pub(crate) fn one_page_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    ];
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        table.push_str(&format!("{o:010} 00000 n \n"));
    }
    table.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.extend_from_slice(table.as_bytes());
    pdf
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[s.len() / 2]
}

/// The validation succeeded as far as it can offline: every signature (B-LTA: and the
/// document time-stamp) intact, with a path to the root, a time from its time-stamp if it
/// has one, and no verdict worse than "revocation unknown". Returns how many there are.
fn check_report(report: &kyso_verify::Report, path: &Path) -> anyhow::Result<usize> {
    let what = path.display();
    if let Some(e) = &report.error {
        bail!("{what}: {e}");
    }
    if report.signatures.is_empty() {
        bail!("{what}: no signature");
    }
    for s in &report.signatures {
        let field = &s.field;
        if let Some(e) = &s.integrity_error {
            bail!("{what}, {field}: integrity: {e}");
        }
        if s.chain.is_empty() {
            bail!("{what}, {field}: no path to the trust anchor");
        }
        // A token whose signature, imprint or TSA path fails gives no time; offline, the
        // TSA's revocation status stays unknown (a TRY_LATER like the signer's).
        if s.has_timestamp && s.timestamp_time.is_none() {
            bail!(
                "{what}, {field}: time-stamp: {}",
                s.timestamp_error.as_deref().unwrap_or("no time")
            );
        }
        match (s.indication, s.sub_indication) {
            (Indication::TotalPassed, _)
            | (Indication::Indeterminate, Some(SubIndication::TryLater)) => {}
            (i, sub) => bail!("{what}, {field}: {i:?} / {sub:?}: {}", s.message),
        }
    }
    Ok(report.signatures.len())
}

pub async fn run(ctx: &Context, cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    let BenchCommand::Pades {
        count,
        level,
        input,
        seal,
        runs,
        keep,
        no_validate,
        json,
    } = cmd
    else {
        unreachable!("only called for `bench pades`")
    };
    let count = count.max(1);
    let runs = runs.max(1);
    let mut levels: Vec<(String, Level)> = Vec::new();
    for l in level {
        if !levels.iter().any(|(name, _)| *name == l) {
            let parsed = l.parse().map_err(anyhow::Error::msg)?;
            levels.push((l, parsed));
        }
    }
    let work = tempfile::tempdir()?;

    // The deployment: the configured one with a given seal, or a throw-away one with a new
    // P-256 seal issued as `kyso cert issue --profile seal --keygen` does.
    let (ctx, serial) = match seal {
        Some(serial) => (ctx.clone(), serial),
        None => {
            let tmp = Context {
                data_dir: work.path().join("data"),
                database: None,
                kek_file: None,
            };
            let ca = super::ca::init_soft(
                &tmp,
                "kyso bench",
                kyso_ca::settings::DEFAULT_PUBLIC_URL,
                kyso_ca::settings::DEFAULT_CRL_SHARDS,
            )
            .await?;
            let issued = ca
                .issue(&IssueRequest {
                    issuer: None,
                    profile: Profile::Seal,
                    subject: SubjectSpec::Organisation {
                        organisation: TextField::parse(
                            "organisation",
                            "Ủy ban nhân dân xã Phú Vang",
                            64,
                        )?,
                        common_name: TextField::parse("name", "UBND xã Phú Vang", 64)?,
                        id: SubjectIdentifier::parse("MST:3301234567")?,
                        province: TextField::parse("province", "Thành phố Huế", 128)?,
                        locality: None,
                    },
                    key: KeySource::Generate(kyso_keys::KeyAlgorithm::P256),
                    validity_days: None,
                })
                .await?;
            (tmp, issued.record.serial)
        }
    };
    let ca = Arc::new(ctx.load_ca().await?);
    let root = ca
        .issuer("root")
        .ok_or_else(|| anyhow!("the deployment has no root CA"))?
        .cert_der
        .clone();
    let remote = ctx.remote(ca.clone()).await?;
    let signer = DocumentSigner::Seal {
        serial: serial.clone(),
    };
    let input = match input {
        Some(p) => p,
        None => {
            let p = work.path().join("one-page.pdf");
            std::fs::write(&p, one_page_pdf())?;
            p
        }
    };
    let input_len = std::fs::metadata(&input)
        .with_context(|| format!("reading {}", input.display()))?
        .len();
    let out_dir = work.path().join("out");
    std::fs::create_dir(&out_dir)?;
    if let Some(dir) = &keep {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    eprintln!(
        "signing {} ({input_len} bytes) {count} times per run, {runs} runs, seal {serial}",
        input.display()
    );

    // Signing.
    let mut sign_rates: Vec<(String, Vec<f64>, u64)> = Vec::new();
    let mut signed_files: Vec<(String, PathBuf)> = Vec::new();
    for (name, level) in &levels {
        let options = PdfOptions {
            level: *level,
            reason: None,
            location: None,
            visible: None,
            certify: false,
        };
        // Warm-up: caches, first-use allocation, the TSA serial block.
        for i in 0..3 {
            let out = out_dir.join(format!("warm-{name}-{i}.pdf"));
            remote
                .sign_pdf(&input, &out, &signer, &options)
                .await
                .with_context(|| format!("signing {} at {name}", input.display()))?;
        }
        let mut rates = Vec::new();
        let mut last = PathBuf::new();
        let mut size = 0;
        for run in 0..runs {
            let mut files = Vec::with_capacity(count as usize);
            let started = Instant::now();
            for i in 0..count {
                let out = out_dir.join(format!("{name}-{run}-{i}.pdf"));
                size = remote
                    .sign_pdf(&input, &out, &signer, &options)
                    .await?
                    .bytes;
                files.push(out);
            }
            let secs = started.elapsed().as_secs_f64();
            rates.push(count as f64 / secs);
            eprintln!(
                "  sign {name} run {}: {:.1} signatures/s",
                run + 1,
                count as f64 / secs
            );
            // Keep the last file of the run; remove the rest (outside the timing).
            last = files.pop().expect("count >= 1");
            for f in files {
                let _ = std::fs::remove_file(f);
            }
        }
        if let Some(dir) = &keep {
            std::fs::copy(&last, dir.join(format!("kyso-{name}.pdf")))?;
        }
        sign_rates.push((name.clone(), rates, size));
        signed_files.push((name.clone(), last));
    }

    // Validation of the signed output, offline, trusting the deployment's root.
    let mut validate_rates: Vec<(String, Vec<f64>)> = Vec::new();
    if !no_validate {
        for (name, path) in &signed_files {
            let (path, root) = (path.clone(), root.clone());
            let rates = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<f64>> {
                let opts = Options {
                    anchors: vec![root],
                    fetcher: None,
                    now: kyso_core::UnixTime::from_system_time(std::time::SystemTime::now()),
                    lang: Lang::En,
                };
                let label = path.display().to_string();
                let once = || -> anyhow::Result<kyso_verify::Report> {
                    let source = kyso_pdf::FileSource::open(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    Ok(kyso_verify::verify_pdf(&label, source, &opts))
                };
                let mut expected = 0;
                for _ in 0..3 {
                    expected = check_report(&once()?, &path)?;
                }
                let mut rates = Vec::new();
                for _ in 0..runs {
                    let started = Instant::now();
                    let mut passed = 0u64;
                    for _ in 0..count {
                        let report = once()?;
                        // Counted only if it says what the checked report said.
                        if report.error.is_none()
                            && report.signatures.len() == expected
                            && report
                                .signatures
                                .iter()
                                .all(|s| s.indication != Indication::TotalFailed)
                        {
                            passed += 1;
                        }
                    }
                    let secs = started.elapsed().as_secs_f64();
                    if passed != count {
                        bail!("{} of {count} validations disagreed", count - passed);
                    }
                    rates.push(count as f64 / secs);
                }
                Ok(rates)
            })
            .await??;
            for (run, r) in rates.iter().enumerate() {
                eprintln!("  validate {name} run {}: {r:.1} validations/s", run + 1);
            }
            validate_rates.push((name.clone(), rates));
        }
    }

    // Breakdown: what a signature cannot be cheaper than, measured the same way.
    let n = count.min(200);
    let output_len = sign_rates.first().map_or(16_384, |(_, _, size)| *size) as usize;
    let blob = vec![0x25u8; output_len];
    let started = Instant::now();
    for i in 0..n {
        let staged = out_dir.join(format!(".floor-{i}.partial"));
        let dest = out_dir.join(format!("floor-{i}.pdf"));
        let mut f = std::fs::File::create(&staged)?;
        f.write_all(&blob)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&staged, &dest)?;
    }
    let write_ms = started.elapsed().as_secs_f64() * 1000.0 / n as f64;

    let cert = ca
        .store()
        .get_certificate(&kyso_ca::normalise_serial(&serial)?)
        .await?
        .ok_or_else(|| anyhow!("no certificate {serial}"))?;
    let key_id = cert
        .key_id
        .ok_or_else(|| anyhow!("seal {serial} has no key in custody"))?;
    let key = ca
        .store()
        .get_key(&key_id)
        .await?
        .ok_or_else(|| anyhow!("key {key_id} is missing"))?;
    let scheme = key.algorithm.default_scheme();
    let digest = kyso_pki::cms::DigestAlgorithm::of_scheme(scheme).digest(b"kyso bench");
    let started = Instant::now();
    for _ in 0..n {
        ca.keystore().sign_digest(&key, scheme, &digest)?;
    }
    let key_ms = started.elapsed().as_secs_f64() * 1000.0 / n as f64;

    let query = kyso_pki::tsp::request_for_digest(
        kyso_pki::tsp::ImprintHash::Sha256,
        &kyso_pki::cms::DigestAlgorithm::Sha256.digest(b"kyso bench"),
        None,
        true,
    )?;
    let started = Instant::now();
    for _ in 0..n {
        let tsa = kyso_ca::tsa::TimeStampAuthority::new(&ca).await?;
        let answer = tsa.respond(&query).await;
        kyso_pki::tsp::token_of(&answer.body)
            .ok_or_else(|| anyhow!("the TSA refused: {}", answer.outcome))?;
    }
    let tsa_new_ms = started.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let tsa = kyso_ca::tsa::TimeStampAuthority::new(&ca).await?;
    let started = Instant::now();
    for _ in 0..n {
        let answer = tsa.respond(&query).await;
        kyso_pki::tsp::token_of(&answer.body)
            .ok_or_else(|| anyhow!("the TSA refused: {}", answer.outcome))?;
    }
    let tsa_reused_ms = started.elapsed().as_secs_f64() * 1000.0 / n as f64;

    // Figures, last.
    println!();
    println!(
        "== PAdES with an organisation seal key in custody ({} keystore, {} database), {} ({input_len} bytes), {count} operations per run, median of {runs} runs, one after another, {cores} cores",
        ca.keystore().kind(),
        ca.store().backend(),
        input.display()
    );
    for (name, rates, size) in &sign_rates {
        let m = median(rates);
        println!(
            "  sign {name:<6} {m:>9.1} signatures/s  ({:.2} ms each; output {size} bytes, fsynced)",
            1000.0 / m
        );
    }
    for (name, rates) in &validate_rates {
        let m = median(rates);
        println!(
            "  validate {name:<6} {m:>5.1} validations/s ({:.2} ms each; offline, from disk)",
            1000.0 / m
        );
    }
    println!(
        "  breakdown: durable write of {output_len} bytes (write, fsync, rename) {write_ms:.2} ms; custody-key signature {key_ms:.3} ms; TSA token {tsa_new_ms:.2} ms as sign_pdf gets it (new TSA each time), {tsa_reused_ms:.2} ms with one TSA"
    );
    if json {
        let sign: serde_json::Map<String, serde_json::Value> = sign_rates
            .iter()
            .map(|(n, r, _)| (n.clone(), json!({"runs": r, "median": median(r)})))
            .collect();
        let validate: serde_json::Map<String, serde_json::Value> = validate_rates
            .iter()
            .map(|(n, r)| (n.clone(), json!({"runs": r, "median": median(r)})))
            .collect();
        println!(
            "{}",
            json!({
                "count": count,
                "runs": runs,
                "input_bytes": input_len,
                "sign": sign,
                "validate": validate,
                "breakdown_ms": {
                    "durable_write": write_ms,
                    "key_signature": key_ms,
                    "tsa_token_new_tsa": tsa_new_ms,
                    "tsa_token_reused_tsa": tsa_reused_ms,
                },
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}
