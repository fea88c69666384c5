//! `kyso serve` and `kyso demo`.

use crate::cli::ServeArgs;
use crate::context::Context;
use anyhow::Context as _;
use kyso_ca::{IssueRequest, KeySource};
use kyso_core::{Cccd, PersonName, SubjectIdentifier, TextField};
use kyso_keys::KeyAlgorithm;
use kyso_pki::{Profile, SubjectSpec};
use std::process::ExitCode;
use std::sync::Arc;

pub async fn serve(ctx: &Context, args: ServeArgs, demo: bool) -> anyhow::Result<ExitCode> {
    // Bound first, so that a new deployment's certificates name the address actually
    // served (`--listen 127.0.0.1:0` picks a free port).
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let public_url = args.public_url.clone().unwrap_or_else(|| base.clone());
    let mut created = false;
    if demo && ctx.open_store().await?.authorities().await?.is_empty() {
        seed_demo(ctx, &public_url).await?;
        created = true;
    }
    let ca = Arc::new(ctx.load_ca().await?);
    println!("kyso {} is running", if demo { "demo" } else { "server" });
    println!("  home      {base}/");
    println!("  health    {base}/healthz");
    println!("  metrics   {base}/metrics");
    println!("  root CA   {base}/ca/root.cer");
    println!("  OCSP      {base}/ocsp");
    println!("  TSA       {base}/tsa");
    println!("  CSC API   {base}/csc/v2/info (and /csc/v1)");
    println!("  NEAC API  {base}/neac/v1/get_certificate, /sign, /get_transaction");
    println!("  phone     {base}/phone  (citizens approve signature requests)");
    println!("  CRLs      {base}/crl/root.crl, {base}/crl/citizen-ca/<shard>.crl");
    println!(
        "data: {} ({} database, {} keystore){}",
        ctx.data_dir.display(),
        ca.store().backend(),
        ca.keystore().kind(),
        if created {
            ", initialised now with a demo province"
        } else {
            ""
        }
    );
    if ca.urls().base() != base {
        println!(
            "note: certificates point at {} (the public URL chosen at `ca init`)",
            ca.urls().base()
        );
    }
    if demo {
        println!(
            "demo accounts: none yet (citizen log-in arrives with enrolment); demo certificates:"
        );
        for c in ca
            .store()
            .list_certificates(&Default::default())
            .await?
            .iter()
            .filter(|c| c.profile == "citizen" || c.profile == "seal")
        {
            println!("  {}  {}", c.serial, c.subject);
        }
        println!("try: kyso --data-dir {} cert list", ctx.data_dir.display());
    }
    println!("press Ctrl-C to stop");
    let options = kyso_server::Options {
        ocsp: kyso_ca::ocsp::OcspConfig {
            validity_seconds: args.ocsp_validity,
            max_cached: args.ocsp_cache,
        },
        ocsp_http_max_age: args.ocsp_max_age,
    };
    let remote = ctx
        .remote_with(
            ca.clone(),
            kyso_remote::RemoteConfig {
                sad_lifetime_seconds: args.sad_lifetime,
                token_lifetime_seconds: args.token_lifetime,
                ..Default::default()
            },
        )
        .await?;
    let state = kyso_server::AppState::new(ca, options)
        .await?
        .with_remote(remote);
    let _maintenance = state.spawn_maintenance();
    kyso_server::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// First run of the demo: a CA and a few certificates of a demo province (Huế).
async fn seed_demo(ctx: &Context, public_url: &str) -> anyhow::Result<()> {
    let ca = super::ca::init_soft(
        ctx,
        "kyso demo",
        public_url,
        kyso_ca::settings::DEFAULT_CRL_SHARDS,
    )
    .await?;
    let province = TextField::parse("province", "Thành phố Huế", 128)?;
    let people = [
        ("Nguyễn Thị Lan", "046190012345", "Phường Phú Hội"),
        ("Trần Văn Hùng", "046085001234", "Phường Thuận Hóa"),
        ("Lê Thị Mai", "046301004567", "Xã Phú Vinh"),
    ];
    for (name, cccd, commune) in people {
        let subject = SubjectSpec::Person {
            name: PersonName::parse(name)?,
            id: SubjectIdentifier::Cccd(Cccd::parse(cccd)?),
            province: province.clone(),
            locality: Some(TextField::parse("locality", commune, 128)?),
        };
        ca.issue(&IssueRequest {
            issuer: None,
            profile: Profile::Citizen,
            subject,
            key: KeySource::Generate(KeyAlgorithm::P256),
            validity_days: None,
        })
        .await?;
    }
    let seal = SubjectSpec::Organisation {
        organisation: TextField::parse("organisation", "UBND Phường Phú Hội", 64)?,
        common_name: TextField::parse("name", "UBND Phường Phú Hội", 64)?,
        id: SubjectIdentifier::parse("MNS:1234567")?,
        province,
        locality: None,
    };
    ca.issue(&IssueRequest {
        issuer: None,
        profile: Profile::Seal,
        subject: seal,
        key: KeySource::Generate(KeyAlgorithm::P256),
        validity_days: None,
    })
    .await?;
    Ok(())
}
