//! `kyso enrol`, `kyso citizen`, `kyso staff`, `kyso usage`, `kyso sms`, `kyso campaign`:
//! the campaign's citizen services on the command line. The command line acts as the
//! operator (who holds the database); `--as STAFF` acts with a staff member's scope.

use crate::cli::{
    CampaignArgs, CitizenActArgs, CitizenCommand, EnrolArgs, EnrolChannel, SmsCommand,
    StaffCommand, UsageCommand,
};
use crate::context::Context;
use anyhow::Context as _;
use kyso_citizens::{Actor, CitizenError, Citizens, Enrolled, EnrolmentRequest, Proof};
use kyso_store::citizens::StaffRole;
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;

async fn service(ctx: &Context) -> anyhow::Result<Citizens> {
    let ca = Arc::new(ctx.load_ca().await?);
    let remote = ctx.remote(ca.clone()).await?;
    Ok(Citizens::new(ca, remote).await?)
}

fn read_secret(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {what} file {}", path.display()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

/// A refusal: the message in English and Vietnamese, exit 1 (2 for a server fault).
fn refused(e: CitizenError) -> anyhow::Result<ExitCode> {
    if e.is_server_error() {
        return Err(e.into());
    }
    eprintln!("refused: {e}\n         {}", e.vi());
    Ok(ExitCode::from(1))
}

async fn actor(c: &Citizens, staff: Option<&str>) -> anyhow::Result<Actor> {
    Ok(match staff {
        Some(id) => Actor::Staff(c.staff_by_operator(id).await?),
        None => Actor::Operator,
    })
}

fn print_enrolled(e: &Enrolled, json: bool) {
    if json {
        println!(
            "{}",
            json!({
                "enrolment": e.enrolment.id,
                "cccd": e.enrolment.cccd,
                "provider": e.enrolment.provider,
                "channel": e.enrolment.channel.as_str(),
                "credential": e.credential_id,
                "serial": e.certificate.serial,
                "issuer": e.certificate.issuer,
                "not_after": e.certificate.not_after.to_rfc3339(),
                "free_until": e.free_until.to_rfc3339(),
                "totp_secret": e.totp_secret,
            })
        );
    } else {
        println!(
            "citizen {} enrolled with {} ({}): certificate {} from {}, credential {}, public-service signatures free until {}",
            e.enrolment.cccd,
            e.enrolment.provider,
            e.enrolment.channel.as_str(),
            e.certificate.serial,
            e.certificate.issuer,
            e.credential_id,
            e.free_until.to_rfc3339()
        );
        if let Some(s) = &e.totp_secret {
            println!(
                "TOTP secret (add it to the authenticator app now; it is not shown again): {s}"
            );
        }
    }
}

pub async fn enrol(ctx: &Context, a: EnrolArgs) -> anyhow::Result<ExitCode> {
    let c = service(ctx).await?;
    let proof = match a.channel {
        EnrolChannel::DoorToDoor => {
            let officer = a.officer.context("door to door needs --officer STAFF_ID")?;
            let card_qr = a.card_qr.context("door to door needs --card-qr TEXT")?;
            Proof::DoorToDoor {
                officer: c.staff_by_operator(&officer).await?,
                card_qr,
            }
        }
        EnrolChannel::Online => Proof::Online {
            challenge: a
                .challenge
                .context("online needs --challenge (from kyso citizen code)")?,
            code: a.code.context("online needs --code")?,
        },
    };
    let req = EnrolmentRequest {
        cccd: a.cccd,
        provider: a.provider,
        proof,
        pin: read_secret(&a.pin_file, "PIN")?,
        totp: a.totp,
        algorithm: a.algorithm.parse()?,
    };
    match c.enrol(req).await {
        Ok(e) => {
            print_enrolled(&e, a.json);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

pub async fn citizen(ctx: &Context, cmd: CitizenCommand) -> anyhow::Result<ExitCode> {
    let c = service(ctx).await?;
    let result = match cmd {
        CitizenCommand::Code {
            cccd,
            name,
            birth_date,
            purpose,
            json,
        } => c
            .send_code(&cccd, &name, &birth_date, &purpose)
            .await
            .map(|sent| {
                if json {
                    println!(
                        "{}",
                        json!({"challenge": sent.challenge, "phone": sent.phone_hint, "expires_in": sent.expires_in})
                    );
                } else {
                    println!(
                        "code sent to {} (valid {} s); challenge {}",
                        sent.phone_hint, sent.expires_in, sent.challenge
                    );
                }
            }),
        CitizenCommand::Show {
            cccd,
            staff,
            reason,
            json: _,
        } => {
            let staff = c.staff_by_operator(&staff).await?;
            c.read_citizen(&staff, &cccd, &reason)
                .await
                .map(|v| println!("{}", serde_json::to_string_pretty(&v).expect("JSON")))
        }
        CitizenCommand::Export { cccd, out, json: _ } => match c.citizen_data(&cccd).await {
            Ok(v) => {
                let text = serde_json::to_string_pretty(&v).expect("JSON");
                match out {
                    Some(path) => std::fs::write(&path, text)
                        .with_context(|| format!("writing {}", path.display()))?,
                    None => println!("{text}"),
                }
                Ok(())
            }
            Err(e) => Err(e),
        },
        CitizenCommand::Suspend(w) => status(&c, &w, "suspended", |c, a, cccd| {
            Box::pin(async move { c.suspend(&a, &cccd).await })
        })
        .await?,
        CitizenCommand::Resume(w) => status(&c, &w, "resumed", |c, a, cccd| {
            Box::pin(async move { c.resume(&a, &cccd, None).await })
        })
        .await?,
        CitizenCommand::Revoke { who, reason } => {
            let reason: kyso_core::RevocationReason = reason
                .parse()
                .map_err(|e| anyhow::anyhow!("--reason: {e}"))?;
            status(&c, &who, "revoked", move |c, a, cccd| {
                Box::pin(async move { c.revoke(&a, &cccd, reason, None).await })
            })
            .await?
        }
        CitizenCommand::Switch {
            cccd,
            provider,
            pin_file,
            algorithm,
            json,
        } => c
            .switch_provider(
                &Actor::Operator,
                &cccd,
                &provider,
                None,
                &read_secret(&pin_file, "PIN")?,
                algorithm.parse()?,
            )
            .await
            .map(|e| print_enrolled(&e, json)),
        CitizenCommand::Renew {
            cccd,
            pin_file,
            algorithm,
            json,
        } => c
            .renew(
                &Actor::Operator,
                &cccd,
                None,
                &read_secret(&pin_file, "PIN")?,
                algorithm.parse()?,
            )
            .await
            .map(|e| print_enrolled(&e, json)),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => refused(e),
    }
}

type StatusFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<kyso_store::CertificateRecord, CitizenError>> + 'a>,
>;

/// Runs a status change as `--as STAFF` or the operator and reports it.
async fn status<'a>(
    c: &'a Citizens,
    who: &CitizenActArgs,
    done: &str,
    change: impl FnOnce(&'a Citizens, Actor, String) -> StatusFuture<'a>,
) -> anyhow::Result<Result<(), CitizenError>> {
    let a = actor(c, who.staff.as_deref()).await?;
    Ok(change(c, a, who.cccd.clone()).await.map(|cert| {
        if who.json {
            println!(
                "{}",
                json!({"cccd": who.cccd, "serial": cert.serial, "status": cert.status.as_str()})
            );
        } else {
            println!(
                "citizen {}'s certificate {} {done} (status now {})",
                who.cccd,
                cert.serial,
                cert.status.as_str()
            );
        }
    }))
}

pub async fn staff(ctx: &Context, cmd: StaffCommand) -> anyhow::Result<ExitCode> {
    let c = service(ctx).await?;
    match cmd {
        StaffCommand::Add {
            id,
            name,
            role,
            scope,
            password_file,
        } => {
            let role = StaffRole::parse(&role)
                .with_context(|| format!("--role {role:?}: commune, provider or province"))?;
            let password = read_secret(&password_file, "password")?;
            match c.add_staff(&id, &name, role, &scope, &password).await {
                Ok(s) => println!(
                    "staff {} ({}) added: {} {}",
                    s.id(),
                    s.name(),
                    s.role().as_str(),
                    s.scope()
                ),
                Err(e) => return refused(e),
            }
        }
        StaffCommand::List { json } => {
            let all = c.store().list_staff().await?;
            if json {
                let list: Vec<_> = all
                    .iter()
                    .map(|s| json!({"id": s.id, "name": s.name, "role": s.role.as_str(), "scope": s.scope}))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for s in all {
                    println!("{}\t{}\t{} {}", s.id, s.name, s.role.as_str(), s.scope);
                }
            }
        }
        StaffCommand::AccessLog {
            cccd,
            staff,
            limit,
            json,
        } => {
            let entries = c
                .store()
                .access_log(cccd.as_deref(), staff.as_deref(), limit)
                .await?;
            if json {
                let list: Vec<_> = entries
                    .iter()
                    .map(|a| json!({"at": a.at.to_rfc3339(), "staff": a.staff, "cccd": a.cccd, "reason": a.reason, "what": a.what, "allowed": a.allowed}))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for a in entries {
                    println!(
                        "{}\t{}\t{}\t{}\t{:?}",
                        a.at.to_rfc3339(),
                        a.staff,
                        a.cccd,
                        if a.allowed { "read" } else { "REFUSED" },
                        a.reason
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn usage(ctx: &Context, cmd: UsageCommand) -> anyhow::Result<ExitCode> {
    let c = service(ctx).await?;
    match cmd {
        UsageCommand::Report { provider, json } => {
            let rows = match c.usage_report(provider.as_deref()).await {
                Ok(r) => r,
                Err(e) => return refused(e),
            };
            if json {
                let list: Vec<_> = rows
                    .iter()
                    .map(|u| {
                        json!({
                            "provider": u.provider,
                            "active": u.active,
                            "enrolments": {
                                "door_to_door": u.by_channel[0], "online": u.by_channel[1],
                                "provincial_app": u.by_channel[2], "vneid": u.by_channel[3],
                            },
                            "in_free_year": u.in_free_year,
                            "signatures": {
                                "free": u.signatures_free, "charged": u.signatures_charged,
                                "refused": u.signatures_refused,
                            },
                            "quota": u.quota,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                println!(
                    "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10} {:>8} {:>8}",
                    "provider",
                    "active",
                    "door",
                    "online",
                    "app",
                    "vneid",
                    "free-year",
                    "free",
                    "charged",
                    "refused",
                    "quota"
                );
                for u in rows {
                    println!(
                        "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10} {:>8} {:>8}",
                        u.provider,
                        u.active,
                        u.by_channel[0],
                        u.by_channel[1],
                        u.by_channel[2],
                        u.by_channel[3],
                        u.in_free_year,
                        u.signatures_free,
                        u.signatures_charged,
                        u.signatures_refused,
                        u.quota
                    );
                }
            }
        }
        UsageCommand::Grant {
            cccd,
            signatures,
            staff,
        } => {
            let a = actor(&c, staff.as_deref()).await?;
            match c.grant_signatures(&a, &cccd, signatures).await {
                Ok(q) => println!("citizen {cccd}'s quota is now {q} signatures"),
                Err(e) => return refused(e),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn sms(ctx: &Context, cmd: SmsCommand) -> anyhow::Result<ExitCode> {
    let SmsCommand::Outbox { phone, limit, json } = cmd;
    let store = ctx.open_store().await?;
    let messages = store.sms_outbox(phone.as_deref(), limit).await?;
    if json {
        let list: Vec<_> = messages
            .iter()
            .map(|m| json!({"phone": m.phone, "body": m.body, "created_at": m.created_at.to_rfc3339()}))
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for m in messages {
            println!("{}\t{}\t{}", m.created_at.to_rfc3339(), m.phone, m.body);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn campaign(ctx: &Context, a: CampaignArgs) -> anyhow::Result<ExitCode> {
    if let Some(c) = a.command {
        return super::campaign::run(ctx, c).await;
    }
    let store = ctx.open_store().await?;
    for (key, value) in [
        ("campaign.free_months", a.free_months.map(u64::from)),
        ("campaign.included_signatures", a.included_signatures),
        ("campaign.renewal_days", a.renewal_days.map(u64::from)),
    ] {
        if let Some(v) = value {
            store.put_setting(key, &v.to_string()).await?;
        }
    }
    let p = kyso_citizens::Policy::load(store.as_ref()).await?;
    if a.json {
        println!(
            "{}",
            json!({"free_months": p.free_months, "included_signatures": p.included_signatures, "renewal_days": p.renewal_days})
        );
    } else {
        println!(
            "free months: {}\nincluded signatures: {}\nrenewal window: {} days\n(restart kyso serve to apply changes)",
            p.free_months, p.included_signatures, p.renewal_days
        );
    }
    Ok(ExitCode::SUCCESS)
}
