//! `kyso provider`: the trust-service providers of a campaign.

use crate::cli::ProviderCommand;
use crate::context::Context;
use std::process::ExitCode;

pub async fn run(ctx: &Context, c: ProviderCommand) -> anyhow::Result<ExitCode> {
    match c {
        ProviderCommand::Add { id, name, json } => {
            let ca = ctx.load_ca().await?;
            let p = ca.add_provider(&id, &name).await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "id": p.id, "name": p.name, "issuer": p.issuer })
                );
            } else {
                println!(
                    "provider {} ({}) added, with its issuing CA {} and OCSP signer ocsp-{}",
                    p.id, p.name, p.issuer, p.id
                );
            }
        }
        ProviderCommand::List { json } => {
            let store = ctx.open_store().await?;
            let providers = store.list_providers().await?;
            if json {
                let list: Vec<_> = providers
                    .iter()
                    .map(|p| serde_json::json!({ "id": p.id, "name": p.name, "issuer": p.issuer }))
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for p in providers {
                    println!("{}\t{}\t(issuing CA {})", p.id, p.name, p.issuer);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
