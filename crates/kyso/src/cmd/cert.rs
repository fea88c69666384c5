use crate::cli::{CertCommand, IssueArgs, ProfileArg, StatusArg};
use crate::context::Context;
use crate::output::{cert_json, cert_line, print_json};
use anyhow::{Context as _, anyhow, bail};
use kyso_ca::{IssueRequest, KeySource, normalise_serial};
use kyso_core::{Cccd, CertStatus, PersonName, RevocationReason, SubjectIdentifier, TextField};
use kyso_pki::{Profile, SubjectSpec};
use kyso_store::{CertFilter, CertificateRecord};
use serde_json::json;
use std::process::ExitCode;

pub async fn run(ctx: &Context, cmd: CertCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CertCommand::Issue(args) => issue(ctx, args).await?,
        CertCommand::Show { serial, pem, json } => {
            let ca = ctx.load_ca().await?;
            let serial = normalise_serial(&serial)?;
            let c = ca
                .store()
                .get_certificate(&serial)
                .await?
                .ok_or_else(|| anyhow!("no certificate with serial {serial}"))?;
            if pem {
                print!("{}", kyso_ca::pem::cert_pem(&c.der));
            } else if json {
                let mut v = cert_json(&c);
                let history = ca.store().status_history(&serial).await?;
                v["history"] = serde_json::to_value(&history)?;
                v["pem"] = json!(kyso_ca::pem::cert_pem(&c.der));
                print_json(&v);
            } else {
                println!("{}", cert_line(&c));
                for e in ca.store().status_history(&serial).await? {
                    println!(
                        "  {} {}{}",
                        e.at,
                        e.event,
                        e.reason.map(|r| format!(" ({r})")).unwrap_or_default()
                    );
                }
            }
        }
        CertCommand::List {
            status,
            limit,
            json,
        } => {
            let ca = ctx.load_ca().await?;
            let status = status.map(|s| match s {
                StatusArg::Valid => CertStatus::Valid,
                StatusArg::Suspended => CertStatus::Suspended,
                StatusArg::Revoked => CertStatus::Revoked,
            });
            let list = ca
                .store()
                .list_certificates(&CertFilter {
                    status,
                    limit,
                    after_serial: None,
                })
                .await?;
            if json {
                print_json(&serde_json::Value::Array(
                    list.iter().map(cert_json).collect(),
                ));
            } else {
                for c in &list {
                    println!("{}", cert_line(c));
                }
            }
        }
        CertCommand::Revoke {
            serial,
            reason,
            json,
        } => {
            let reason: RevocationReason = reason.parse()?;
            let ca = ctx.load_ca().await?;
            report(ca.revoke(&serial, reason).await?, json);
        }
        CertCommand::Suspend { serial, json } => {
            report(ctx.load_ca().await?.suspend(&serial).await?, json)
        }
        CertCommand::Resume { serial, json } => {
            report(ctx.load_ca().await?.resume(&serial).await?, json)
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report(c: CertificateRecord, json: bool) {
    if json {
        print_json(&cert_json(&c))
    } else {
        println!("{}", cert_line(&c))
    }
}

fn subject(args: &IssueArgs) -> anyhow::Result<SubjectSpec> {
    let province = TextField::parse("province", &args.province, 128)?;
    let locality = args
        .locality
        .as_deref()
        .map(|l| TextField::parse("locality", l, 128))
        .transpose()?;
    match args.profile {
        ProfileArg::Citizen => {
            let name = args
                .name
                .as_deref()
                .ok_or_else(|| anyhow!("--name is required for a citizen certificate"))?;
            let id = match (&args.cccd, &args.id) {
                (Some(c), _) => SubjectIdentifier::Cccd(Cccd::parse(c)?),
                (None, Some(i)) => SubjectIdentifier::parse(i)?,
                (None, None) => bail!("--cccd is required for a citizen certificate"),
            };
            if id.is_organisation() {
                bail!("{id} identifies an organisation: use --profile seal");
            }
            Ok(SubjectSpec::Person {
                name: PersonName::parse(name)?,
                id,
                province,
                locality,
            })
        }
        ProfileArg::Seal => {
            let org = args
                .organisation
                .as_deref()
                .ok_or_else(|| anyhow!("--organisation is required for a seal"))?;
            let organisation = TextField::parse("organisation", org, 64)?;
            let common_name = match &args.name {
                Some(n) => TextField::parse("name", n, 64)?,
                None => organisation.clone(),
            };
            let id = SubjectIdentifier::parse(
                args.id
                    .as_deref()
                    .ok_or_else(|| anyhow!("--id MST:… or MNS:… is required for a seal"))?,
            )?;
            if !id.is_organisation() {
                bail!(
                    "a seal is identified by MST:… (tax code) or MNS:… (budget unit), not {}",
                    id.kind()
                );
            }
            Ok(SubjectSpec::Organisation {
                organisation,
                common_name,
                id,
                province,
                locality,
            })
        }
    }
}

async fn issue(ctx: &Context, args: IssueArgs) -> anyhow::Result<()> {
    // Parse everything before touching the store: bad input stores nothing.
    let subject = subject(&args)?;
    let key = match &args.csr {
        Some(path) => KeySource::Csr(
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        None => KeySource::Generate(args.algorithm.parse()?),
    };
    let profile = match args.profile {
        ProfileArg::Citizen => Profile::Citizen,
        ProfileArg::Seal => Profile::Seal,
    };
    let ca = ctx.load_ca().await?;
    let issued = ca
        .issue(&IssueRequest {
            issuer: args.provider.clone(),
            profile,
            subject,
            key,
            validity_days: args.validity_days,
        })
        .await?;
    if args.json {
        let mut v = cert_json(&issued.record);
        v["pem"] = json!(kyso_ca::pem::cert_pem(&issued.record.der));
        v["key_algorithm"] = json!(issued.key.as_ref().map(|k| k.algorithm.as_str()));
        v["key_custody"] = json!(issued.key.as_ref().map(|k| k.custody.as_str()));
        print_json(&v);
    } else {
        println!("issued {}", cert_line(&issued.record));
        if let Some(k) = issued.key {
            println!(
                "key {} generated in custody ({}, {})",
                k.id,
                k.algorithm,
                k.custody.as_str()
            );
        }
    }
    Ok(())
}
