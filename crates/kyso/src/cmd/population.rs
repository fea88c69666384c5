//! `kyso population`: generate a synthetic province, import the register (all or nothing,
//! every bad row reported), count.

use crate::cli::PopulationCommand;
use crate::context::Context;
use anyhow::Context as _;
use kyso_population::{Adult, Date, ImportError, Units};
use kyso_store::population::{HouseholdRecord, PersonRecord};
use serde::Serialize;
use std::collections::HashMap;
use std::process::ExitCode;

pub async fn run(ctx: &Context, c: PopulationCommand) -> anyhow::Result<ExitCode> {
    match c {
        PopulationCommand::Generate {
            province,
            adults,
            out,
            seed,
        } => generate(&province, adults, &out, seed),
        PopulationCommand::Import { file, json } => match import(ctx, &file, json).await {
            // With --json, a program reads stdout: failures are JSON there too.
            Err(e) if json => {
                let outcome = serde_json::json!({
                    "file": file.display().to_string(),
                    "imported": null,
                    "rejected": [],
                    "error": format!("{e:#}"),
                });
                println!("{outcome}");
                eprintln!("error: {e:#}");
                Ok(ExitCode::from(1))
            }
            other => other,
        },
        PopulationCommand::Count {
            province,
            commune,
            json,
        } => {
            let store = ctx.open_store().await?;
            let n = store
                .count_people(province.as_deref(), commune.as_deref())
                .await?;
            if json {
                println!("{}", serde_json::json!({ "people": n }));
            } else {
                println!("{n}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn today() -> Date {
    Date::today_in_vietnam(kyso_core::UnixTime::from_system_time(
        std::time::SystemTime::now(),
    ))
}

pub(crate) fn generate(
    province: &str,
    adults: usize,
    out: &std::path::Path,
    seed: u64,
) -> anyhow::Result<ExitCode> {
    // Written beside the destination and renamed: no half file under the final name.
    let tmp = out.with_extension("csv.partial");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let summary = match kyso_population::generate(province, adults, seed, today(), writer) {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    };
    std::fs::rename(&tmp, out).with_context(|| format!("writing {}", out.display()))?;
    let name = Units::embedded()
        .province(province)
        .map_or(province.to_owned(), |p| p.name.clone());
    println!(
        "wrote {} adults in {} households over {} communes of {name} to {}",
        summary.adults,
        summary.households,
        summary.communes_used,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Passes reads through, hashing what went by.
struct HashingReader<R> {
    inner: R,
    digest: aws_lc_rs::digest::Context,
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}

/// One refused row, as reported.
#[derive(Debug, Serialize)]
struct Refused {
    line: usize,
    cccd: Option<String>,
    reason: String,
    reason_vi: String,
}

#[derive(Debug, Serialize)]
struct Outcome {
    file: String,
    imported: Option<Imported>,
    rejected: Vec<Refused>,
}

#[derive(Debug, Serialize)]
struct Imported {
    people: u64,
    households: u64,
    seconds: f64,
    /// Where the time went: reading and checking rows, looking the file up in the
    /// registry, writing.
    phases: Phases,
}

#[derive(Debug, Serialize)]
struct Phases {
    check: f64,
    registry: f64,
    write: f64,
}

pub(crate) async fn import(
    ctx: &Context,
    file: &std::path::Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let reader =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let size = reader.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(json, "checking rows");
    // Rows are roughly 80 bytes: enough for a length to aim at.
    bar.set_length((size / 80).max(1));
    let units = Units::embedded();
    // The file's SHA-256 is taken while it is read, for the audit entry: which file was
    // imported, not only what it was called.
    let mut hashing = HashingReader {
        inner: std::io::BufReader::with_capacity(1 << 20, reader),
        digest: aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256),
    };
    let parsed = kyso_population::parse_csv_with_progress(&mut hashing, units, today(), |rows| {
        bar.set_position(rows as u64)
    });
    bar.finish_and_clear();
    let name = file.display().to_string();
    let source = format!(
        "{name} sha256={}",
        hex::encode(hashing.digest.finish().as_ref())
    );
    let adults = match parsed {
        Ok(a) => a,
        Err(ImportError::Rejected(rejection)) => {
            let rejected = rejection
                .errors
                .iter()
                .map(|e| Refused {
                    line: e.line,
                    cccd: e.cccd.clone(),
                    reason: e
                        .problems()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                    reason_vi: e.problems().map(|p| p.vi()).collect::<Vec<_>>().join("; "),
                })
                .collect();
            return report(json, name, None, rejected);
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("reading {name}"))),
    };
    if adults.is_empty() {
        anyhow::bail!("{name} holds no adult");
    }

    let checked = started.elapsed().as_secs_f64();
    let store = ctx.open_store().await?;
    let rejected = against_registry(&*store, &adults).await?;
    let looked_up = started.elapsed().as_secs_f64();
    if !rejected.is_empty() {
        return report(json, name, None, rejected);
    }

    let (households, people) = register_records(&adults);
    drop(adults);
    let bar = progress_bar(json, "importing");
    bar.set_length(people.len() as u64);
    let progress = |n: u64| bar.set_position(n);
    let at = kyso_core::UnixTime::from_system_time(std::time::SystemTime::now());
    let summary = store
        .import_population(&households, &people, at, &source, &progress)
        .await
        .with_context(|| format!("importing {name} (nothing was imported)"))?;
    bar.finish_and_clear();
    report(
        json,
        name,
        Some(Imported {
            people: summary.people,
            households: summary.households,
            seconds: started.elapsed().as_secs_f64(),
            phases: Phases {
                check: checked,
                registry: looked_up - checked,
                write: started.elapsed().as_secs_f64() - looked_up,
            },
        }),
        Vec::new(),
    )
}

/// Rows the file gets right but the registry contradicts: an adult already registered, a
/// household already known in another commune.
async fn against_registry(
    store: &dyn kyso_store::Store,
    adults: &[Adult],
) -> anyhow::Result<Vec<Refused>> {
    let cccds: Vec<String> = adults.iter().map(|a| a.cccd.as_str().to_owned()).collect();
    let known: std::collections::HashSet<String> =
        store.existing_people(&cccds).await?.into_iter().collect();
    let mut ids: Vec<String> = adults.iter().map(|a| a.household_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let households: HashMap<String, String> = store
        .existing_households(&ids)
        .await?
        .into_iter()
        .map(|h| (h.id, h.commune_code))
        .collect();
    let mut refused = Vec::new();
    for a in adults {
        let cccd = a.cccd.as_str();
        if known.contains(cccd) {
            refused.push(Refused {
                line: a.line,
                cccd: Some(cccd.to_owned()),
                reason: "this adult is already registered (imported earlier)".into(),
                reason_vi: "người này đã có trong sổ dân cư (đã nhập trước đó)".into(),
            });
        } else if let Some(commune) = households.get(&a.household_id)
            && *commune != a.commune_code
        {
            refused.push(Refused {
                line: a.line,
                cccd: Some(cccd.to_owned()),
                reason: format!(
                    "household {} is already registered in commune {commune}, not {}",
                    a.household_id, a.commune_code
                ),
                reason_vi: format!(
                    "hộ {} đã đăng ký ở xã/phường {commune}, không phải {}",
                    a.household_id, a.commune_code
                ),
            });
        }
    }
    Ok(refused)
}

/// The store's records of a parsed register: each household once, in id order, and every
/// adult in CCCD order (in key order, rows append at the right edge of the primary-key
/// B-tree).
pub(crate) fn register_records(adults: &[Adult]) -> (Vec<HouseholdRecord>, Vec<PersonRecord>) {
    let mut households: HashMap<&str, HouseholdRecord> = HashMap::new();
    for a in adults {
        households
            .entry(a.household_id.as_str())
            .or_insert_with(|| HouseholdRecord {
                id: a.household_id.clone(),
                commune_code: a.commune_code.clone(),
                province_code: a.province_code.clone(),
                // The same for every adult of the household (checked by the parser).
                village: a.village.clone(),
                address: a.address.clone(),
            });
    }
    let mut households: Vec<HouseholdRecord> = households.into_values().collect();
    households.sort_by(|a, b| a.id.cmp(&b.id));
    let mut people: Vec<PersonRecord> = adults
        .iter()
        .map(|a| PersonRecord {
            cccd: a.cccd.as_str().to_owned(),
            full_name: a.full_name.as_str().to_owned(),
            birth_date: a.birth_date.to_string(),
            sex: a.sex.as_vi().to_owned(),
            phone: a.phone.clone(),
            household_id: a.household_id.clone(),
            commune_code: a.commune_code.clone(),
            province_code: a.province_code.clone(),
        })
        .collect();
    people.sort_unstable_by(|a, b| a.cccd.cmp(&b.cccd));
    (households, people)
}

fn progress_bar(hidden: bool, what: &str) -> indicatif::ProgressBar {
    let bar = if hidden {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr())
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{pos}}/{{len}} rows, {{per_sec}}, eta {{eta}}"
        ))
        .expect("template"),
    );
    bar
}

fn report(
    json: bool,
    file: String,
    imported: Option<Imported>,
    rejected: Vec<Refused>,
) -> anyhow::Result<ExitCode> {
    let ok = imported.is_some();
    if json {
        let outcome = Outcome {
            file,
            imported,
            rejected,
        };
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else if let Some(i) = imported {
        println!(
            "imported {} adults and {} new households from {file} in {:.1} s (checking {:.1} s, registry look-up {:.1} s, writing {:.1} s)",
            i.people, i.households, i.seconds, i.phases.check, i.phases.registry, i.phases.write
        );
    } else {
        eprintln!(
            "{file} was not imported: {} row{} refused (nothing was imported; fix them and import the file again)",
            rejected.len(),
            if rejected.len() == 1 { "" } else { "s" }
        );
        // The first rows in full, then how many of each reason: a file where every row is
        // wrong should not pour a whole register onto the terminal. (--json lists all.)
        const SHOWN: usize = 50;
        for r in rejected.iter().take(SHOWN) {
            match &r.cccd {
                Some(c) => eprintln!("  line {} (CCCD {c}): {}", r.line, r.reason),
                None => eprintln!("  line {}: {}", r.line, r.reason),
            }
        }
        if rejected.len() > SHOWN {
            let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
            for r in &rejected[SHOWN..] {
                // The reason with its quoted values blanked: one count per kind of problem.
                let kind: String = r
                    .reason
                    .split('"')
                    .enumerate()
                    .map(|(i, part)| if i % 2 == 1 { "…" } else { part })
                    .collect::<Vec<_>>()
                    .join("\"");
                *counts.entry(kind).or_default() += 1;
            }
            eprintln!("  … and {} more rows:", rejected.len() - SHOWN);
            for (kind, n) in counts {
                eprintln!("    {n} × {kind}");
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
