use crate::cli::CaCommand;
use crate::context::Context;
use crate::output::print_json;
use anyhow::Context as _;
use kyso_ca::{Ca, InitOptions};
use kyso_core::SystemClock;
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(ctx: &Context, cmd: CaCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CaCommand::Init {
            algorithm,
            keystore,
            pkcs11,
            public_url,
            organisation,
            policy_oid,
            crl_shards,
            json,
        } => {
            let opts = InitOptions {
                algorithm: algorithm.parse()?,
                public_url,
                organisation,
                operator_policy: policy_oid,
                crl_shards,
            };
            let ca = init(ctx, keystore, &pkcs11, &opts).await?;
            print_authorities(&ca, json);
        }
        CaCommand::Export { out } => {
            let ca = ctx.load_ca().await?;
            ca.export(&out)?;
            println!(
                "wrote {} and {}",
                out.join("root.pem").display(),
                out.join("chain.pem").display()
            );
        }
        CaCommand::Show(f) => print_authorities(&ctx.load_ca().await?, f.json),
    }
    Ok(ExitCode::SUCCESS)
}

/// Initialises the CA; shared with `kyso demo`.
pub async fn init(
    ctx: &Context,
    keystore: crate::cli::KeystoreKind,
    pkcs11: &crate::cli::Pkcs11Args,
    opts: &InitOptions,
) -> anyhow::Result<Ca> {
    let store = ctx.open_store().await?;
    // Checked before the keystore is opened: an initialised deployment whose KEK went
    // missing must get this error, not a fresh KEK that unwraps nothing.
    if kyso_ca::is_initialised(store.as_ref()).await? {
        let slugs: Vec<_> = store
            .authorities()
            .await?
            .into_iter()
            .map(|a| a.slug)
            .collect();
        return Err(kyso_ca::CaError::AlreadyInitialised(slugs.join(", ")).into());
    }
    let (keys, settings) = ctx.keystore_for_init(keystore, pkcs11)?;
    Ca::init(store, keys, Arc::new(SystemClock), opts, settings)
        .await
        .context("ca init")
}

fn print_authorities(ca: &Ca, json_out: bool) {
    if json_out {
        let list: Vec<_> = ca
            .authorities()
            .iter()
            .map(|a| json!({"slug": a.slug, "role": a.role, "serial": a.serial, "scheme": a.scheme, "created_at": a.created_at.to_rfc3339()}))
            .collect();
        print_json(
            &json!({"keystore": ca.keystore().kind(), "database": ca.store().backend(), "public_url": ca.urls().base(), "authorities": list}),
        );
    } else {
        println!(
            "keystore {}, database {}, public URL {}",
            ca.keystore().kind(),
            ca.store().backend(),
            ca.urls().base()
        );
        for a in ca.authorities() {
            println!(
                "  {:<16} {:<11} serial {}  ({})",
                a.slug, a.role, a.serial, a.scheme
            );
        }
    }
}

pub async fn check(ctx: &Context, json_out: bool) -> anyhow::Result<ExitCode> {
    let ca = ctx.load_ca().await?;
    let (checked, problems) = ca.check().await?;
    if json_out {
        print_json(&json!({"checked": checked, "problems": problems}));
    } else {
        for p in &problems {
            println!("problem: {p}");
        }
        println!(
            "{checked} certificates checked, {} problems",
            problems.len()
        );
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// A P-256 CA with the software keystore in `ctx`'s data directory: the demo's and the
/// benchmarks' throw-away deployments.
pub async fn init_soft(
    ctx: &Context,
    organisation: &str,
    public_url: &str,
    crl_shards: u16,
) -> anyhow::Result<Ca> {
    let opts = InitOptions {
        algorithm: kyso_keys::KeyAlgorithm::P256,
        public_url: public_url.to_owned(),
        organisation: organisation.to_owned(),
        operator_policy: None,
        crl_shards,
    };
    init(
        ctx,
        crate::cli::KeystoreKind::Soft,
        &crate::cli::Pkcs11Args::default(),
        &opts,
    )
    .await
}
