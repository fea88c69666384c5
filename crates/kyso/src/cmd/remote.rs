//! `kyso client` and `kyso credential`: the operator's side of remote signing.

use crate::cli::{ClientCommand, CredentialCommand};
use crate::context::Context;
use crate::output::print_json;
use anyhow::Context as _;
use kyso_core::{Cccd, PersonName, SubjectIdentifier, TextField};
use kyso_pki::SubjectSpec;
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn client(ctx: &Context, cmd: ClientCommand) -> anyhow::Result<ExitCode> {
    let ClientCommand::Add {
        name,
        callback_url,
        json,
    } = cmd;
    let ca = Arc::new(ctx.load_ca().await?);
    let remote = ctx.remote(ca).await?;
    let c = remote.add_client(&name, callback_url.as_deref()).await?;
    if json {
        print_json(&json!({
            "client_id": c.record.client_id,
            "client_secret": c.secret,
            "name": c.record.name,
            "callback_url": c.record.callback_url,
        }));
    } else {
        println!("client_id      {}", c.record.client_id);
        println!("client_secret  {}   (shown once: store it now)", c.secret);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn credential(ctx: &Context, cmd: CredentialCommand) -> anyhow::Result<ExitCode> {
    let CredentialCommand::Create {
        name,
        cccd,
        province,
        locality,
        algorithm,
        pin_file,
        totp,
        json,
    } = cmd;
    // Parse everything before touching the store: bad input stores nothing.
    let subject = SubjectSpec::Person {
        name: PersonName::parse(&name)?,
        id: SubjectIdentifier::Cccd(Cccd::parse(&cccd)?),
        province: TextField::parse("province", &province, 128)?,
        locality: locality
            .as_deref()
            .map(|l| TextField::parse("locality", l, 128))
            .transpose()?,
    };
    let pin = std::fs::read_to_string(&pin_file)
        .with_context(|| format!("reading PIN file {}", pin_file.display()))?;
    let pin = pin.trim_end_matches(['\n', '\r']);
    kyso_auth::pin::Pin::choose(pin)?;
    let algorithm = algorithm.parse()?;
    let ca = Arc::new(ctx.load_ca().await?);
    let remote = ctx.remote(ca).await?;
    let c = remote
        .create_credential(subject, algorithm, pin, totp)
        .await?;
    if json {
        print_json(&json!({
            "credential_id": c.record.id,
            "serial": c.certificate.serial,
            "subject": c.certificate.subject,
            "totp_secret": c.totp_secret,
        }));
    } else {
        println!("credential_id  {}", c.record.id);
        println!(
            "certificate    {}  {}",
            c.certificate.serial, c.certificate.subject
        );
        if let Some(s) = &c.totp_secret {
            println!("TOTP secret    {s}   (enrol it in an authenticator app; shown once)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
