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
        AuditCommand::Verify(f) => match kyso_store::verify_audit_log(store.as_ref()).await? {
            Ok(n) => {
                if f.json {
                    print_json(&json!({"intact": true, "entries": n}));
                } else {
                    println!(
                        "audit log intact: {n} entries, hash chain verified up to the recorded head"
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(broken) => {
                if f.json {
                    print_json(
                        &json!({"intact": false, "seq": broken.seq, "reason": broken.reason}),
                    );
                } else {
                    println!("{broken}");
                }
                Ok(ExitCode::from(2))
            }
        },
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
