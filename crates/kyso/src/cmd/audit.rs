//! `kyso audit`: the tamper-evident log of every state change.

use crate::cli::AuditCommand;
use crate::context::Context;
use crate::output::print_json;
use serde_json::json;
use std::process::ExitCode;

pub async fn run(ctx: &Context, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    // The log needs only the store: it can be audited without access to any key.
    let store = ctx.open_store().await?;
    match cmd {
        AuditCommand::Verify(f) => {
            let chain = kyso_store::verify_audit_log(store.as_ref()).await?;
            let log = kyso_remote::log::verify(store.as_ref()).await?;
            let intact = chain.is_ok() && log.is_ok();
            if f.json {
                print_json(&json!({
                    "intact": intact,
                    "audit_log": match &chain {
                        Ok(n) => json!({"intact": true, "entries": n}),
                        Err(b) => json!({"intact": false, "seq": b.seq, "reason": b.reason}),
                    },
                    "transparency_log": match &log {
                        Ok(r) => json!({"intact": true, "entries": r.entries, "signed_heads": r.heads}),
                        Err(why) => json!({"intact": false, "reason": why}),
                    },
                }));
            } else {
                match &chain {
                    Ok(n) => println!(
                        "audit log intact: {n} entries, hash chain verified up to the recorded head"
                    ),
                    Err(broken) => println!("{broken}"),
                }
                match &log {
                    Ok(r) => println!(
                        "transparency log intact: {} entries recomputed, {} signed tree heads verified",
                        r.entries, r.heads
                    ),
                    Err(why) => println!("transparency log BROKEN: {why}"),
                }
            }
            Ok(if intact {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        AuditCommand::List { after, limit, json } => {
            let entries = store.audit_log(after, limit).await?;
            if json {
                print_json(&serde_json::to_value(&entries)?);
            } else {
                for e in entries {
                    println!(
                        "{:>8}  {}  {:<22} {}  {}",
                        e.seq,
                        kyso_core::UnixTime(e.at),
                        e.action,
                        e.subject,
                        e.detail
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
