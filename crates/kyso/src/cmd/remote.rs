//! `kyso client` and `kyso credential`: the operator's side of remote signing.

use crate::cli::{ClientCommand, CreateCredentialArgs, CredentialCommand, LogCommand, SignArgs};
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
        purpose,
        json,
    } = cmd;
    let ca = Arc::new(ctx.load_ca().await?);
    let remote = ctx.remote(ca).await?;
    let c = remote
        .add_client(&name, callback_url.as_deref(), &purpose)
        .await?;
    if json {
        print_json(&json!({
            "client_id": c.record.client_id,
            "client_secret": c.secret,
            "name": c.record.name,
            "callback_url": c.record.callback_url,
            "purpose": c.record.purpose,
        }));
    } else {
        println!("client_id      {}", c.record.client_id);
        println!("client_secret  {}   (shown once: store it now)", c.secret);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn credential(ctx: &Context, cmd: CredentialCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CredentialCommand::Unlock {
            credential,
            verified_by,
        } => {
            let ca = Arc::new(ctx.load_ca().await?);
            ctx.remote(ca)
                .await?
                .unlock(&credential, &verified_by)
                .await?;
            println!("credential {credential} unlocked");
            Ok(ExitCode::SUCCESS)
        }
        CredentialCommand::Usage { credential, json } => usage(ctx, &credential, json).await,
        CredentialCommand::Create(args) => create_credential(ctx, args).await,
    }
}

async fn usage(ctx: &Context, credential: &str, json: bool) -> anyhow::Result<ExitCode> {
    let ca = Arc::new(ctx.load_ca().await?);
    let usage = ctx.remote(ca).await?.usage(credential).await?;
    if json {
        let rows: Vec<_> = usage
            .iter()
            .map(|u| json!({"month": u.month, "purpose": u.purpose, "signatures": u.signatures}))
            .collect();
        print_json(&json!(rows));
    } else {
        for u in &usage {
            println!(
                "{}  {:<15} {:>8} signatures",
                u.month, u.purpose, u.signatures
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn create_credential(ctx: &Context, args: CreateCredentialArgs) -> anyhow::Result<ExitCode> {
    let CreateCredentialArgs {
        name,
        cccd,
        province,
        locality,
        algorithm,
        pin_file,
        totp,
        json,
    } = args;
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

pub async fn log(ctx: &Context, cmd: LogCommand) -> anyhow::Result<ExitCode> {
    let ca = Arc::new(ctx.load_ca().await?);
    let remote = ctx.remote(ca).await?;
    match cmd {
        LogCommand::Head { json } => {
            let h = remote.sign_tree_head().await?;
            if json {
                print_json(&json!({
                    "size": h.size, "root": hex::encode(&h.root), "at": h.at.to_rfc3339(),
                    "signature": hex::encode(&h.signature),
                }));
            } else {
                println!(
                    "tree size {}  root {}  signed {}",
                    h.size,
                    hex::encode(&h.root),
                    h.at
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Show { credential, json } => {
            let entries = remote.log_of(&credential).await?;
            let all_ok = entries.iter().all(|e| e.verified);
            if json {
                let items: Vec<_> = entries
                    .iter()
                    .map(|e| {
                        json!({
                            "index": e.record.idx,
                            "kind": e.record.entry.kind,
                            "at": e.record.entry.at.to_rfc3339(),
                            "leaf": String::from_utf8_lossy(&e.record.entry.leaf),
                            "tree_size": e.tree_size,
                            "root": hex::encode(e.root),
                            "proof": e.proof.iter().map(hex::encode).collect::<Vec<_>>(),
                            "included": e.verified,
                        })
                    })
                    .collect();
                print_json(&json!(items));
            } else {
                for e in &entries {
                    println!(
                        "{:>8}  {}  {:<9}  {}  {}",
                        e.record.idx,
                        e.record.entry.at,
                        e.record.entry.kind,
                        if e.verified {
                            "included ✓"
                        } else {
                            "NOT PROVEN"
                        },
                        String::from_utf8_lossy(&e.record.entry.leaf)
                    );
                }
                if let Some(e) = entries.first() {
                    println!("tree size {}, root {}", e.tree_size, hex::encode(e.root));
                }
            }
            Ok(if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

/// SHA-256 of a file, read in 1 MiB pieces: memory does not grow with the file.
fn sha256_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(ctx.finish().as_ref().to_vec())
}

pub async fn sign(ctx: &Context, a: SignArgs) -> anyhow::Result<ExitCode> {
    use kyso_remote::documents::{DocumentSigner, Level, PdfOptions};
    let signer = match (&a.credential, &a.seal) {
        (Some(id), _) => {
            let pin_file = a
                .pin_file
                .as_ref()
                .context("--credential needs --pin-file")?;
            let pin = std::fs::read_to_string(pin_file)
                .with_context(|| format!("reading PIN file {}", pin_file.display()))?;
            DocumentSigner::Credential {
                id: id.clone(),
                pin: pin.trim_end_matches(['\n', '\r']).to_owned(),
                otp: a.otp.clone(),
            }
        }
        (None, Some(serial)) => DocumentSigner::Seal {
            serial: serial.clone(),
        },
        (None, None) => {
            anyhow::bail!("say who signs: --credential ID --pin-file F, or --seal SERIAL")
        }
    };
    let ca = Arc::new(ctx.load_ca().await?);
    let remote = ctx.remote(ca).await?;
    if a.detached {
        if a.level == "B-LTA" {
            anyhow::bail!(
                "detached signatures are made at B-B, B-T or B-LT (B-LTA's document time-stamp is for PDFs)"
            );
        }
        if a.visible.is_some() || a.certify {
            anyhow::bail!("--visible and --certify apply to PDF signatures, not --detached");
        }
        let DocumentSigner::Credential { id, pin, otp } = &signer else {
            anyhow::bail!("detached signatures are made with a citizen credential (--credential)");
        };
        let digest = sha256_file(&a.input)?;
        let p7s = remote
            .sign_detached(
                id,
                &digest,
                pin,
                otp.as_deref(),
                a.level.parse().map_err(anyhow::Error::msg)?,
            )
            .await?;
        // Written aside and renamed: an interrupted run never leaves half a signature.
        let tmp = a.out.with_extension("p7s.partial");
        std::fs::write(&tmp, &p7s).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &a.out).with_context(|| format!("writing {}", a.out.display()))?;
        println!(
            "signed {} → {} (CAdES-{} detached, {} bytes)",
            a.input.display(),
            a.out.display(),
            a.level,
            p7s.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let level: Level = a.level.parse().map_err(anyhow::Error::msg)?;
    let options = PdfOptions {
        level,
        reason: a.reason.clone(),
        location: a.location.clone(),
        visible: a.visible,
        certify: a.certify,
    };
    let signed = remote
        .sign_pdf(&a.input, &a.out, &signer, &options)
        .await
        .with_context(|| format!("signing {}", a.input.display()))?;
    println!(
        "signed {} → {} (PAdES-{}, field {}, signer {}, {} bytes)",
        a.input.display(),
        a.out.display(),
        a.level,
        signed.field,
        signed.signer,
        signed.bytes
    );
    Ok(ExitCode::SUCCESS)
}
