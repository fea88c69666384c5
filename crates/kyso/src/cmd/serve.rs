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
    println!("  citizens  {base}/dang-ky (register), {base}/tai-khoan (account)");
    println!("  officers  {base}/can-bo (door-to-door enrolment, phone-first)");
    println!("  dossiers  {base}/tai-khoan/ho-so (citizens), {base}/can-bo/ho-so (officers)");
    println!("  verify    {base}/verify (any signed PDF, no login)");
    println!("  payments  {base}/api/payments/vietqr (callback; key: kyso portal payment-key)");
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
        let csv = ctx.data_dir.join("demo-population.csv");
        if let (Ok(enrolled), Ok(other)) = (
            first_adult(&csv),
            unenrolled_with_phone(ca.store().as_ref(), &csv).await,
        ) {
            println!("demo accounts:");
            println!(
                "  field officer   {base}/can-bo   can-bo.demo / {DEMO_STAFF_PASSWORD} (commune {})",
                enrolled.commune
            );
            println!(
                "  team member     doi.demo / {DEMO_STAFF_PASSWORD} (households to visit today: {base}/chien-dich/hom-nay)"
            );
            println!("  provider staff  vnpt.demo / {DEMO_STAFF_PASSWORD} (VNPT-CA demo)");
            println!(
                "  province admin  tinh.demo / {DEMO_STAFF_PASSWORD} (campaign dashboard: {base}/chien-dich; every dossier: {base}/can-bo/ho-so)"
            );
            println!(
                "  enrolled citizen {} ({}, born {}), signing PIN {DEMO_PIN}: {base}/tai-khoan, {base}/phone",
                enrolled.cccd, enrolled.name, enrolled.birth
            );
            println!(
                "  register online  {base}/dang-ky as {} ({}, born {}); the code goes to {} — read it with: kyso --data-dir {} sms outbox",
                other.cccd,
                other.name,
                other.birth,
                other.phone,
                ctx.data_dir.display()
            );
        }
        println!("demo certificates:");
        let all = ca.store().list_certificates(&Default::default()).await?;
        // kyso's own citizen and seal certificates; the campaign's (issued by the
        // providers' CAs) are only counted.
        for c in all
            .iter()
            .filter(|c| c.profile == "seal" || (c.profile == "citizen" && c.issuer == "citizen-ca"))
        {
            println!("  {}  {}", c.serial, c.subject);
        }
        let campaign = all
            .iter()
            .filter(|c| c.profile == "citizen" && c.issuer != "citizen-ca")
            .count();
        println!("  … and {campaign} campaign certificates issued by the providers' CAs");
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
    // Where citizens' browsers come back from the OpenID provider: the public URL given
    // now, else the one chosen at `ca init` (what certificates and pages name).
    let site = args
        .public_url
        .clone()
        .unwrap_or_else(|| ca.urls().base().to_owned());
    let citizens = kyso_citizens::Citizens::new(ca.clone(), remote.clone()).await?;
    let mut state = kyso_server::AppState::new(ca, options)
        .await?
        .with_remote(remote)
        .with_citizens(citizens)
        .with_portal()
        .await?;
    if let Some(issuer) = &args.oidc_issuer {
        let secret_file = args
            .oidc_client_secret_file
            .as_ref()
            .context("--oidc-issuer needs --oidc-client-secret-file")?;
        let secret = std::fs::read_to_string(secret_file)
            .with_context(|| format!("reading {}", secret_file.display()))?;
        let config = kyso_oidc::OidcConfig::new(
            issuer,
            args.oidc_client_id
                .as_deref()
                .context("--oidc-issuer needs --oidc-client-id")?,
            secret.trim(),
            format!("{}/oidc/callback", site.trim_end_matches('/')),
        );
        let client = kyso_oidc::OidcClient::discover(config)
            .await
            .with_context(|| format!("OpenID provider {issuer}"))?;
        let channel = if args.oidc_channel == "provincial-app" {
            kyso_store::enrolment::Channel::ProvincialApp
        } else {
            kyso_store::enrolment::Channel::Vneid
        };
        println!("  OpenID    {issuer} ({})", channel.as_str());
        state = state.with_oidc(client, channel);
    }
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
    let seal = ca
        .issue(&IssueRequest {
            issuer: None,
            profile: Profile::Seal,
            subject: seal,
            key: KeySource::Generate(KeyAlgorithm::P256),
            validity_days: None,
        })
        .await?;
    // The online public services: results signed with the ward's seal, fees to a demo
    // account (the NAPAS example's bank and account).
    let store = ca.store();
    for (key, value) in [
        ("portal.seal_serial", seal.record.serial.as_str()),
        ("portal.bank_bin", "970403"),
        ("portal.bank_account", "0011012345678"),
        ("portal.account_name", "UBND PHUONG PHU HOI (demo)"),
        ("portal.place", "Huế"),
    ] {
        store.put_setting(key, value).await?;
    }
    seed_campaign(ctx, ca).await
}

/// The demo campaign: two providers, a generated register of 12,000 adults of Huế, staff
/// accounts (officer, team member, province, provider), one citizen enrolled door to door,
/// and a campaign in progress (demo_campaign.rs).
async fn seed_campaign(ctx: &Context, ca: kyso_ca::Ca) -> anyhow::Result<()> {
    for (id, name) in DEMO_PROVIDERS {
        ca.add_provider(id, name).await?;
    }
    let csv = ctx.data_dir.join("demo-population.csv");
    super::population::generate("46", DEMO_ADULTS, &csv, 46)?;
    super::population::import(ctx, &csv, false).await?;
    let first = first_adult(&csv)?;
    let ca = Arc::new(ctx.load_ca().await?);
    let remote = ctx.remote(ca.clone()).await?;
    let citizens = kyso_citizens::Citizens::new(ca, remote).await?;
    let officer = citizens
        .add_staff(
            "can-bo.demo",
            "Cán bộ xã (demo)",
            kyso_store::citizens::StaffRole::Commune,
            &first.commune,
            DEMO_STAFF_PASSWORD,
        )
        .await?;
    citizens
        .add_staff(
            "tinh.demo",
            "Quản trị tỉnh (demo)",
            kyso_store::citizens::StaffRole::Province,
            "46",
            DEMO_STAFF_PASSWORD,
        )
        .await?;
    citizens
        .add_staff(
            "vnpt.demo",
            "Nhân viên VNPT (demo)",
            kyso_store::citizens::StaffRole::Provider,
            "vnpt-demo",
            DEMO_STAFF_PASSWORD,
        )
        .await?;
    citizens
        .add_staff(
            "doi.demo",
            "Tổ công nghệ số cộng đồng (demo)",
            kyso_store::citizens::StaffRole::Team,
            &first.commune,
            DEMO_STAFF_PASSWORD,
        )
        .await?;
    let qr = first.card_qr();
    citizens
        .enrol(kyso_citizens::EnrolmentRequest {
            cccd: first.cccd.clone(),
            provider: "vnpt-demo".into(),
            proof: kyso_citizens::Proof::DoorToDoor {
                officer,
                card_qr: qr,
            },
            pin: DEMO_PIN.into(),
            totp: false,
            algorithm: KeyAlgorithm::P256,
        })
        .await?;
    let ca = ctx.load_ca().await?;
    super::demo_campaign::seed(&ca, &csv, &first.commune, std::slice::from_ref(&first.cccd)).await
}

const DEMO_PROVIDERS: [(&str, &str); 2] = [
    ("vnpt-demo", "VNPT-CA (demo)"),
    ("viettel-demo", "Viettel-CA (demo)"),
];
/// Adults in the demo register: enough for every commune of Huế to have a few hundred.
const DEMO_ADULTS: usize = 12_000;
const DEMO_STAFF_PASSWORD: &str = "kyso-demo-2026";
const DEMO_PIN: &str = "246813";

/// One adult of the demo register.
pub(crate) struct DemoAdult {
    pub(crate) cccd: String,
    pub(crate) name: String,
    pub(crate) birth: String,
    pub(crate) sex: String,
    pub(crate) phone: String,
    pub(crate) commune: String,
}

/// The `n`-th adult (0-based) of the generated register file.
impl DemoAdult {
    /// The text of the QR code on the adult's CCCD card (as a field officer scans it).
    pub(crate) fn card_qr(&self) -> String {
        let b: Vec<&str> = self.birth.split('-').collect();
        format!(
            "{}||{}|{}{}{}|{}|Huế|01012022",
            self.cccd, self.name, b[2], b[1], b[0], self.sex
        )
    }
}

pub(crate) fn adult_at(csv: &std::path::Path, n: usize) -> anyhow::Result<DemoAdult> {
    let text = std::fs::read_to_string(csv)?;
    let line = text
        .lines()
        .nth(n + 1)
        .context("the demo register is too short")?;
    let f: Vec<&str> = line.split(',').collect();
    anyhow::ensure!(f.len() >= 7, "unexpected demo register line {line:?}");
    Ok(DemoAdult {
        cccd: f[0].into(),
        name: f[1].into(),
        birth: f[2].into(),
        sex: f[3].into(),
        phone: f[4].into(),
        commune: f[6].into(),
    })
}

/// An adult of the demo register with a phone and no campaign certificate (for the online
/// registration walk-through).
async fn unenrolled_with_phone(
    store: &dyn kyso_store::Store,
    csv: &std::path::Path,
) -> anyhow::Result<DemoAdult> {
    for i in 1..2_000 {
        let a = adult_at(csv, i)?;
        if !a.phone.is_empty() && store.active_enrolment(&a.cccd).await?.is_none() {
            return Ok(a);
        }
    }
    adult_at(csv, 1)
}

fn first_adult(csv: &std::path::Path) -> anyhow::Result<DemoAdult> {
    adult_at(csv, 0)
}
