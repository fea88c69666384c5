//! `kyso portal`: the online public services' settings, catalogue, payment key and
//! dossiers.

use crate::cli::PortalCommand;
use crate::context::Context;
use anyhow::Context as _;
use kyso_core::DossierState;
use kyso_portal::{Portal, PortalConfig};
use kyso_store::dossiers::QueueFilter;
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;

/// The portal over the deployment in `--data-dir`.
pub(crate) async fn portal(ctx: &Context) -> anyhow::Result<Portal> {
    let ca = Arc::new(ctx.load_ca().await?);
    let remote = ctx.remote(ca.clone()).await?;
    let citizens = Arc::new(kyso_citizens::Citizens::new(ca.clone(), remote).await?);
    let responder = Arc::new(
        kyso_ca::ocsp::OcspResponder::new(&ca, kyso_ca::ocsp::OcspConfig::default()).await?,
    );
    Ok(Portal::new(ca, citizens, responder).await?)
}

pub async fn run(ctx: &Context, cmd: PortalCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PortalCommand::Configure {
            seal_serial,
            bank_bin,
            bank_account,
            account_name,
            place,
        } => {
            configure(
                ctx,
                seal_serial,
                bank_bin,
                bank_account,
                account_name,
                place,
            )
            .await
        }
        PortalCommand::Show { json } => {
            let store = ctx.open_store().await?;
            let config = PortalConfig::load(store.as_ref()).await?;
            if json {
                println!(
                    "{}",
                    json!({
                        "seal_serial": config.seal_serial,
                        "bank_bin": config.payee.as_ref().map(|p| &p.bin),
                        "bank_account": config.payee.as_ref().map(|p| &p.account),
                        "account_name": config.payee.as_ref().map(|p| &p.name),
                        "place": config.place,
                    })
                );
            } else {
                let unset = || "(not set)".to_owned();
                println!(
                    "agency seal   {}",
                    config.seal_serial.clone().unwrap_or_else(unset)
                );
                match &config.payee {
                    Some(p) => {
                        println!("fee account   {} at BIN {} ({})", p.account, p.bin, p.name)
                    }
                    None => println!("fee account   (not set: fee pages cannot show a VietQR)"),
                }
                println!("place         {}", config.place);
            }
            Ok(ExitCode::SUCCESS)
        }
        PortalCommand::Procedures { json } => {
            let catalogue = kyso_dossiers::Catalogue::embedded();
            if json {
                let list: Vec<_> = catalogue
                    .list()
                    .iter()
                    .map(|p| {
                        json!({
                            "code": p.code(),
                            "name_vi": p.name().vi(),
                            "name_en": p.name().en(),
                            "agency_level": p.agency_level().as_str(),
                            "fee_vnd": p.fee().vnd(),
                            "processing_working_days": p.processing_working_days(),
                            "attachments": p.attachments().iter().map(|a| a.id()).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for p in catalogue.list() {
                    println!(
                        "{:<16} {:<8} {:>8} đ  {}",
                        p.code(),
                        p.agency_level().as_str(),
                        p.fee().vnd(),
                        p.name().vi()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        PortalCommand::PaymentKey => {
            println!("{}", portal(ctx).await?.payment_key_hex());
            Ok(ExitCode::SUCCESS)
        }
        PortalCommand::Dossiers {
            commune,
            cccd,
            state,
            limit,
            json,
        } => {
            let store = ctx.open_store().await?;
            let states = match &state {
                Some(s) => vec![DossierState::parse(s).with_context(|| {
                    format!("--state {s:?}: one of new, received, processing, supplement_requested, resubmitted, fee_requested, processed, result_returned, rejected, withdrawn")
                })?],
                None => Vec::new(),
            };
            let list = match &cccd {
                Some(c) => {
                    let mut all = store.dossiers_of(c, limit).await?;
                    all.retain(|d| states.is_empty() || states.contains(&d.state));
                    all
                }
                None => {
                    store
                        .dossier_queue(&QueueFilter {
                            commune,
                            province: None,
                            states,
                            limit,
                        })
                        .await?
                }
            };
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|d| {
                        json!({
                            "id": d.id, "receipt": d.receipt, "procedure": d.procedure,
                            "cccd": d.cccd, "applicant": d.applicant, "commune": d.commune_code,
                            "state": d.state.as_str(), "fee_vnd": d.fee_vnd,
                            "fee_paid_at": d.fee_paid_at.map(|t| t.seconds()),
                            "updated_at": d.updated_at.seconds(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for d in &list {
                    println!(
                        "{:<26} {:<10} {:<18} {:<12} {}",
                        d.receipt,
                        d.procedure,
                        d.state.label_vi(),
                        d.cccd,
                        d.applicant
                    );
                }
                eprintln!("{} dossier(s)", list.len());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn configure(
    ctx: &Context,
    seal_serial: Option<String>,
    bank_bin: Option<String>,
    bank_account: Option<String>,
    account_name: Option<String>,
    place: Option<String>,
) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    let mut changes: Vec<(&str, String)> = Vec::new();
    if let Some(serial) = seal_serial {
        let serial = kyso_ca::normalise_serial(&serial)?;
        let cert = store
            .get_certificate(&serial)
            .await?
            .with_context(|| format!("--seal-serial: no certificate {serial}"))?;
        anyhow::ensure!(
            cert.profile == "seal" && cert.key_id.is_some(),
            "--seal-serial: certificate {serial} is a {} certificate{}; results are signed with an organisation seal whose key kyso holds",
            cert.profile,
            if cert.key_id.is_none() {
                " issued for an outside key"
            } else {
                ""
            }
        );
        changes.push(("portal.seal_serial", serial));
    }
    if let Some(bin) = bank_bin {
        kyso_vietqr::Bin::parse(&bin).context("--bank-bin")?;
        changes.push(("portal.bank_bin", bin));
    }
    if let Some(account) = bank_account {
        kyso_vietqr::AccountNumber::parse(&account, kyso_vietqr::Service::Account)
            .context("--bank-account")?;
        changes.push(("portal.bank_account", account));
    }
    for (key, value, max) in [
        ("portal.account_name", account_name, 70),
        ("portal.place", place, 64),
    ] {
        if let Some(v) = value {
            let v = kyso_core::TextField::parse(key, &v, max)?;
            changes.push((key, v.as_str().to_owned()));
        }
    }
    anyhow::ensure!(
        !changes.is_empty(),
        "nothing to change: give --seal-serial, --bank-bin, --bank-account, --account-name or --place"
    );
    for (key, value) in &changes {
        store.put_setting(key, value).await?;
        println!("{key} = {value}");
    }
    println!("restart `kyso serve` for the portal to use them");
    Ok(ExitCode::SUCCESS)
}
