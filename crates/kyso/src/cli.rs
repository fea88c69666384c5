//! Command-line interface definition. Every option has a help text and, where it makes
//! sense, an environment variable; every path defaults from the data directory.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// kyso — chữ ký số cho mọi công dân: certificate authority, remote signing, verification.
#[derive(Debug, Parser)]
#[command(name = "kyso", version, about, long_about = None)]
pub struct Cli {
    /// Data directory: database (SQLite), key-encryption key, exported files.
    #[arg(
        long,
        global = true,
        env = "KYSO_DATA_DIR",
        default_value = "./kyso-data"
    )]
    pub data_dir: PathBuf,

    /// Database URL: `sqlite:PATH` or `postgres://USER@HOST/DB` [default: sqlite:<data-dir>/kyso.db].
    #[arg(long, global = true, env = "KYSO_DATABASE_URL")]
    pub database: Option<String>,

    /// Key-encryption key file of the software keystore [default: <data-dir>/kek].
    #[arg(long, global = true, env = "KYSO_KEK_FILE")]
    pub kek_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole platform in one process with a demo province, initialising the data
    /// directory on first run.
    Demo(ServeArgs),
    /// Serve the HTTP endpoints (health, metrics, CA certificates, …).
    Serve(ServeArgs),
    /// Certificate authority set-up and export.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Issue and manage subscriber certificates.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Verify every stored certificate against its issuer and its key record.
    Check(JsonFlag),
    /// Certificate revocation lists.
    #[command(subcommand)]
    Crl(CrlCommand),
    /// Inspect and verify the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measure throughput.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Relying parties of remote signing (portals, school and health systems).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Citizens' remote-signing credentials (key in custody, certificate, PIN, TOTP).
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// The signature transparency log (every authorisation and signature, in a Merkle tree).
    #[command(subcommand)]
    Log(LogCommand),
    /// Sign a PDF (PAdES, inside the file) or any file (CAdES detached `.p7s`), with a
    /// citizen's credential and PIN or with an organisation seal's key.
    Sign(SignArgs),
    /// Validate the signatures of a PDF, or a detached `.p7s` with --detached-data:
    /// integrity, signer's path to a trust anchor, revocation, time-stamps and what changed
    /// after signing, with an ETSI EN 319 102-1 verdict. Exits 0 only if every signature
    /// passed.
    Verify(VerifyArgs),
    /// The population registry: generate a synthetic province, import the register.
    #[command(subcommand)]
    Population(PopulationCommand),
    /// Trust-service providers taking part in the campaign, each with its own issuing CA.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Enrol a citizen for the campaign certificate (door to door with the CCCD card's QR
    /// text, or online with a one-time code sent by `kyso citizen code`).
    Enrol(EnrolArgs),
    /// A citizen's campaign certificate and data: one-time codes, suspend, resume, revoke,
    /// switch provider, renew, staff reads (logged), the citizen's data download.
    #[command(subcommand)]
    Citizen(CitizenCommand),
    /// Staff accounts (commune officers, community digital team members, provider staff,
    /// province administrators) and the log of their reads of citizens' data.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Signature usage: the free year, quotas, per-provider report.
    #[command(subcommand)]
    Usage(UsageCommand),
    /// Messages queued for the SMS gateway (one-time codes).
    #[command(subcommand)]
    Sms(SmsCommand),
    /// The campaign's policy: free months, included signatures, renewal window.
    Campaign(CampaignArgs),
    /// A VietQR payment code (NAPAS, EMVCo): prints the payload the banking apps scan, and
    /// writes it as a QR image.
    Vietqr(VietqrArgs),
    /// Online public services: the procedure catalogue, the portal's settings (agency
    /// seal, fee account), the payment callback's key, dossiers.
    #[command(subcommand)]
    Portal(PortalCommand),
}

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Set the portal's settings (only those given change).
    Configure {
        /// The agency seal certificate (serial, hex) that signs result documents.
        #[arg(long)]
        seal_serial: Option<String>,
        /// NAPAS BIN of the bank collecting fees (6 digits).
        #[arg(long)]
        bank_bin: Option<String>,
        /// Account number collecting fees.
        #[arg(long)]
        bank_account: Option<String>,
        /// Account holder's name, shown on the fee page.
        #[arg(long)]
        account_name: Option<String>,
        /// Place name printed on documents ("Huế").
        #[arg(long)]
        place: Option<String>,
    },
    /// Show the portal's settings.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The procedures citizens can file (the catalogue in data/procedures).
    Procedures {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the key (hex) the payment platform signs its callbacks with (HMAC-SHA-256 of
    /// the body in the X-Kyso-Signature header of POST /api/payments/vietqr).
    PaymentKey,
    /// Dossiers, least recently changed first.
    Dossiers {
        /// Only this commune's.
        #[arg(long)]
        commune: Option<String>,
        /// Only this citizen's.
        #[arg(long)]
        cccd: Option<String>,
        /// Only in this state (new, received, processing, supplement_requested,
        /// resubmitted, fee_requested, processed, result_returned, rejected, withdrawn).
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnrolChannel {
    /// A field officer at home checked the CCCD card (needs --officer and --card-qr).
    DoorToDoor,
    /// Self-service with a one-time code to the registered phone (needs --challenge and
    /// --code).
    Online,
}

#[derive(Debug, Args)]
pub struct EnrolArgs {
    /// The citizen's CCCD number.
    #[arg(long)]
    pub cccd: String,
    /// The provider the citizen chose (see `kyso provider list`).
    #[arg(long)]
    pub provider: String,
    /// How the citizen's identity was checked.
    #[arg(long, value_enum)]
    pub channel: EnrolChannel,
    /// Door to door: the field officer's staff id.
    #[arg(long)]
    pub officer: Option<String>,
    /// Door to door: the card's QR text (`CCCD|CMND|Name|DDMMYYYY|Sex|Address|DDMMYYYY`).
    #[arg(long)]
    pub card_qr: Option<String>,
    /// Online: the challenge printed by `kyso citizen code`.
    #[arg(long)]
    pub challenge: Option<String>,
    /// Online: the code the citizen received.
    #[arg(long)]
    pub code: Option<String>,
    /// File holding the PIN the citizen chose (6 digits).
    #[arg(long)]
    pub pin_file: PathBuf,
    /// Also set up a TOTP authenticator (its secret is printed once).
    #[arg(long)]
    pub totp: bool,
    /// Key type.
    #[arg(long, default_value = "p256", value_parser = ["rsa2048", "rsa3072", "p256", "p384"])]
    pub algorithm: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CitizenCommand {
    /// Send a one-time code to the citizen's registered phone, after matching the details
    /// with the register. Prints the challenge to pass to `kyso enrol --challenge`.
    Code {
        /// CCCD number.
        #[arg(long)]
        cccd: String,
        /// Full name, as on the register.
        #[arg(long)]
        name: String,
        /// Date of birth, YYYY-MM-DD.
        #[arg(long)]
        birth_date: String,
        /// What the code is for.
        #[arg(long, default_value = "enrol")]
        purpose: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A staff member reads a citizen's record; the read (or its refusal) is logged with
    /// the reason.
    Show {
        /// CCCD number.
        cccd: String,
        /// The staff member reading.
        #[arg(long = "as")]
        staff: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The output is JSON in any case (accepted for symmetry with other commands).
        #[arg(long)]
        json: bool,
    },
    /// Everything held about a citizen (their data download), as JSON.
    Export {
        /// CCCD number.
        cccd: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The output is JSON in any case (accepted for symmetry with other commands).
        #[arg(long)]
        json: bool,
    },
    /// Suspend the campaign certificate (by the provider's staff with --as, else the
    /// operator).
    Suspend(CitizenActArgs),
    /// Resume a suspended campaign certificate.
    Resume(CitizenActArgs),
    /// Revoke the campaign certificate; the enrolment ends.
    Revoke {
        #[command(flatten)]
        who: CitizenActArgs,
        /// Reason (RFC 5280 name).
        #[arg(long, default_value = "cessationOfOperation")]
        reason: String,
    },
    /// Move the citizen to another provider: new key and certificate there, the old one
    /// revoked (superseded), in one transaction.
    Switch {
        /// CCCD number.
        cccd: String,
        /// The new provider.
        #[arg(long)]
        provider: String,
        /// File holding the new credential's PIN.
        #[arg(long)]
        pin_file: PathBuf,
        /// Key type.
        #[arg(long, default_value = "p256", value_parser = ["rsa2048", "rsa3072", "p256", "p384"])]
        algorithm: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Renew the campaign certificate in its last days (same provider, new key).
    Renew {
        /// CCCD number.
        cccd: String,
        /// File holding the new credential's PIN.
        #[arg(long)]
        pin_file: PathBuf,
        /// Key type.
        #[arg(long, default_value = "p256", value_parser = ["rsa2048", "rsa3072", "p256", "p384"])]
        algorithm: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct CitizenActArgs {
    /// CCCD number.
    pub cccd: String,
    /// Act as this staff member (scope-checked); without it, as the operator.
    #[arg(long = "as")]
    pub staff: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff account.
    Add {
        /// Login name (a–z, 0–9, '.', '_', '-').
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// commune (scope: commune code), team (a community digital team member; scope:
        /// commune code), provider (scope: provider id) or province (scope: province code).
        #[arg(long)]
        role: String,
        /// What the account may see.
        #[arg(long)]
        scope: String,
        /// File holding the password (at least 10 characters).
        #[arg(long)]
        password_file: PathBuf,
    },
    /// List staff accounts.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Staff reads of citizens' data, newest first.
    AccessLog {
        /// Only reads of this citizen.
        #[arg(long)]
        cccd: Option<String>,
        /// Only reads by this staff member.
        #[arg(long)]
        staff: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Per-provider figures: enrolments by channel, citizens in their free year, free,
    /// charged and refused signatures, quotas.
    Report {
        /// Only this provider.
        #[arg(long)]
        provider: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A provider sold signatures: add them to the citizen's quota.
    Grant {
        /// CCCD number.
        cccd: String,
        /// How many signatures.
        #[arg(long)]
        signatures: u64,
        /// The provider's staff member recording the sale (else the operator).
        #[arg(long = "as")]
        staff: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SmsCommand {
    /// The messages queued for the SMS gateway, newest first.
    Outbox {
        /// Only to this phone number.
        #[arg(long)]
        phone: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CampaignArgs {
    /// Plan campaigns and read their coverage (without one: show or change the policy).
    #[command(subcommand)]
    pub command: Option<CampaignCommand>,
    /// Months of free public-service signatures from the first campaign certificate.
    #[arg(long)]
    pub free_months: Option<u32>,
    /// Non-free signatures each new campaign credential starts with.
    #[arg(long)]
    pub included_signatures: Option<u64>,
    /// A certificate may be renewed in its last N days.
    #[arg(long)]
    pub renewal_days: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Plan a campaign: territory, target, phases and providers.
    Create {
        /// Identifier, e.g. hue-2026 (a–z, 0–9, '-').
        #[arg(long)]
        id: String,
        /// Display name, e.g. "Chiến dịch chữ ký số cho mọi người dân 2026".
        #[arg(long)]
        name: String,
        /// Province code (2025 units).
        #[arg(long)]
        province: String,
        /// Only these communes (repeat); the whole province without any.
        #[arg(long = "commune")]
        communes: Vec<String>,
        /// Target share of adults, in percent (one decimal allowed).
        #[arg(long, default_value = "50")]
        target_percent: String,
        /// A phase as NAME|START|END|CHANNELS, dates YYYY-MM-DD, channels comma-separated
        /// among door_to_door, online, provincial_app, vneid (repeat, in order).
        #[arg(long = "phase", required = true)]
        phases: Vec<String>,
        /// A participating provider id (repeat).
        #[arg(long = "provider")]
        providers: Vec<String>,
    },
    /// The campaigns of a province, newest first.
    List {
        /// Province code.
        #[arg(long)]
        province: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Coverage of a province or one of its communes (from the kept tallies).
    Coverage {
        /// Province code.
        #[arg(long)]
        province: String,
        /// Only this commune.
        #[arg(long)]
        commune: Option<String>,
        /// Print JSON (the same document as GET /api/coverage).
        #[arg(long)]
        json: bool,
    },
    /// Recompute every coverage tally from the enrolments and certificates (after a bulk
    /// load, or to repair). Safe to run at any time; takes the write lock while it runs.
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Add a provider: its issuing CA (under the root, O=<name>) and the CA's OCSP signer
    /// are created in custody and recorded in one transaction. Restart `kyso serve` to
    /// serve its OCSP and CRLs.
    Add {
        /// Short lowercase id used in URLs, e.g. vnpt-demo.
        #[arg(long)]
        id: String,
        /// Display name, e.g. "VNPT-CA (demo)".
        #[arg(long)]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the providers.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PopulationCommand {
    /// Write a realistic synthetic province as CSV: names in family–middle–given order
    /// with Vietnamese frequencies, CCCD numbers with the real structure, households of
    /// plausible size spread over the province's communes (2025 units), each in a village
    /// (thôn / tổ dân phố) at a house number.
    Generate {
        /// Province code (2025 units), e.g. 46 for Huế.
        #[arg(long)]
        province: String,
        /// Number of adults.
        #[arg(long)]
        adults: usize,
        /// Where to write the CSV.
        #[arg(long)]
        out: PathBuf,
        /// Seed: the same seed writes the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import a register CSV (`cccd,full_name,date_of_birth,sex,phone,household_id,
    /// commune_code`, optionally followed by `village,address`: the thôn / tổ dân phố and
    /// house number, either may be empty): all or nothing. A file with bad rows imports
    /// nothing, and every bad row is reported with its line and why (exit status 1).
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// How many adults the registry holds (in a province or commune).
    Count {
        /// Province code.
        #[arg(long)]
        province: Option<String>,
        /// Commune code.
        #[arg(long)]
        commune: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signed PDF, or the `.p7s` with --detached-data.
    pub file: PathBuf,
    /// The signed data of a detached `.p7s`.
    #[arg(long)]
    pub detached_data: Option<PathBuf>,
    /// Trust anchors (PEM; may repeat; a file may hold several certificates). Without it,
    /// the root of the deployment in --data-dir, if there is one.
    #[arg(long)]
    pub trust: Vec<PathBuf>,
    /// Do not fetch OCSP responses or CRLs: use only what the file embeds.
    #[arg(long)]
    pub offline: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Language of the verdict sentences.
    #[arg(long, default_value = "vi", value_parser = ["vi", "en"])]
    pub lang: String,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("signer").required(true).args(["credential", "seal"])))]
pub struct SignArgs {
    /// The file to sign (a PDF unless --detached).
    pub input: PathBuf,
    /// Where to write the signed PDF, or the `.p7s` with --detached.
    #[arg(long)]
    pub out: PathBuf,
    /// A detached CAdES signature (`.p7s`) over the file, which is left unchanged.
    #[arg(long)]
    pub detached: bool,
    /// Baseline level: B-B; B-T (signature time-stamp from kyso's TSA); B-LT (plus
    /// certificates, OCSP responses and CRLs embedded in a DSS); B-LTA (plus a document
    /// time-stamp). Detached signatures: B-B, B-T or B-LT (certificate and revocation values
    /// in the `.p7s`).
    #[arg(long, default_value = "B-B", value_parser = ["B-B", "B-T", "B-LT", "B-LTA"])]
    pub level: String,
    /// The citizen credential that signs (`kyso credential create` printed its id).
    #[arg(long, requires = "pin_file")]
    pub credential: Option<String>,
    /// File holding the credential's PIN.
    #[arg(long)]
    pub pin_file: Option<PathBuf>,
    /// The current TOTP code, if the credential has one.
    #[arg(long)]
    pub otp: Option<String>,
    /// Sign with the key of this organisation seal certificate (serial, hex), held by kyso.
    #[arg(long, conflicts_with_all = ["credential", "pin_file", "otp"])]
    pub seal: Option<String>,
    /// A visible stamp "PAGE,X1,Y1,X2,Y2" (points from the page's lower-left corner), in
    /// Vietnamese: signer, time, reason, place.
    #[arg(long, value_name = "PAGE,X1,Y1,X2,Y2")]
    pub visible: Option<kyso_docs::pades::Placement>,
    /// Why the document is signed (`/Reason`, and on the stamp).
    #[arg(long)]
    pub reason: Option<String>,
    /// Where it is signed (`/Location`, and on the stamp).
    #[arg(long)]
    pub location: Option<String>,
    /// A certification signature: the document's first signature, allowing later form
    /// filling and signatures only (DocMDP P=2).
    #[arg(long)]
    pub certify: bool,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Every authorisation and signature made with a credential, each with its inclusion
    /// proof checked against the current tree.
    Show {
        /// Credential id.
        #[arg(long)]
        credential: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a tree head for the log's current size (the server does this every 10 s).
    Head {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a relying party; prints its client_id and client_secret (shown once).
    Add {
        /// Name shown to citizens when it asks for a signature.
        #[arg(long)]
        name: String,
        /// URL notified when a signing transaction completes.
        #[arg(long)]
        callback_url: Option<String>,
        /// What its signatures are for: public-service (free in a citizen's first year) or
        /// other.
        #[arg(long, default_value = "other", value_parser = ["public-service", "other"])]
        purpose: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Unlock a credential locked by 5 wrong PINs, after the citizen proved their identity
    /// again (in person, with their CCCD). Recorded in the transparency log.
    Unlock {
        /// Credential id.
        #[arg(long)]
        credential: String,
        /// Who checked the citizen's identity, and how (kept in the log).
        #[arg(long)]
        verified_by: String,
    },
    /// Signatures made with a credential, by month and purpose (from the transparency log).
    Usage {
        /// Credential id.
        #[arg(long)]
        credential: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a citizen's credential: a key generated in custody, its certificate, the PIN
    /// read from a file, and (with --totp) a TOTP secret to enrol in an authenticator app.
    Create(CreateCredentialArgs),
}

/// `kyso credential create`.
#[derive(Debug, Args)]
pub struct CreateCredentialArgs {
    /// Full name, family name first (e.g. "Nguyễn Thị Lan").
    #[arg(long)]
    pub name: String,
    /// CCCD number (12 digits).
    #[arg(long)]
    pub cccd: String,
    /// Province or centrally-run city.
    #[arg(long)]
    pub province: String,
    /// Commune or ward.
    #[arg(long)]
    pub locality: Option<String>,
    /// Key algorithm.
    #[arg(long, default_value = "p256", value_parser = ["rsa2048", "rsa3072", "p256", "p384"])]
    pub algorithm: String,
    /// File holding the 6-digit PIN (read, never stored in clear).
    #[arg(long)]
    pub pin_file: PathBuf,
    /// Also require a TOTP code (RFC 6238, SHA-1, 6 digits, 30 s) to authorise.
    #[arg(long)]
    pub totp: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CrlCommand {
    /// Build, sign and write every CRL (the root's, and each shard of each issuing CA)
    /// under DIR, laid out like the published URLs: DIR/root.crl, DIR/<ca>/<shard>.crl.
    Publish {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the audit log's hash chain to its recorded head, and recompute the signature
    /// transparency log (every leaf, the tree, every signed tree head).
    Verify(JsonFlag),
    /// Show audit entries in order.
    List {
        /// Only entries after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KYSO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Public base URL written into certificates, used when initialising [default: http://<listen>].
    #[arg(long, env = "KYSO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Validity of OCSP responses (nextUpdate - thisUpdate), in seconds. Responses are
    /// re-signed once half of it has passed; a status change is visible at once regardless.
    #[arg(long, env = "KYSO_OCSP_VALIDITY", default_value_t = 3600, value_parser = clap::value_parser!(i64).range(60..=864_000))]
    pub ocsp_validity: i64,
    /// Upper bound of Cache-Control max-age on OCSP responses, in seconds: how long an HTTP
    /// cache in front of kyso may serve a response after a status change.
    #[arg(long, env = "KYSO_OCSP_MAX_AGE", default_value_t = 60, value_parser = clap::value_parser!(i64).range(0..=864_000))]
    pub ocsp_max_age: i64,
    /// Most OCSP responses kept pre-signed in memory (about 0.5 KiB each).
    #[arg(long, env = "KYSO_OCSP_CACHE", default_value_t = 1_000_000)]
    pub ocsp_cache: usize,
    /// Lifetime of signature activation data (SAD), seconds: how long a relying party has
    /// between the citizen's authorisation and signHash.
    #[arg(long, env = "KYSO_SAD_LIFETIME", default_value_t = 300, value_parser = clap::value_parser!(i64).range(10..=3600))]
    pub sad_lifetime: i64,
    /// Lifetime of relying parties' access tokens, seconds.
    #[arg(long, env = "KYSO_TOKEN_LIFETIME", default_value_t = 3600, value_parser = clap::value_parser!(i64).range(60..=86400))]
    pub token_lifetime: i64,
    /// OpenID Connect issuer for citizens' login and enrolment through VNeID or the
    /// provincial app (discovered at <issuer>/.well-known/openid-configuration). Without
    /// it, those buttons are not shown.
    #[arg(long, env = "KYSO_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// kyso's client id at the OpenID provider.
    #[arg(long, env = "KYSO_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,
    /// File holding kyso's client secret at the OpenID provider.
    #[arg(long, env = "KYSO_OIDC_CLIENT_SECRET_FILE", requires = "oidc_issuer")]
    pub oidc_client_secret_file: Option<PathBuf>,
    /// Which channel the OpenID provider is: vneid or provincial-app.
    #[arg(long, env = "KYSO_OIDC_CHANNEL", default_value = "vneid", value_parser = ["vneid", "provincial-app"])]
    pub oidc_channel: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeystoreKind {
    /// Keys wrapped with AES-256-GCM under the key-encryption key.
    Soft,
    /// A PKCS#11 token (an HSM; SoftHSM2 for tests).
    Pkcs11,
}

#[derive(Debug, Args, Clone, Default)]
pub struct Pkcs11Args {
    /// PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).
    #[arg(long, env = "KYSO_PKCS11_MODULE")]
    pub pkcs11_module: Option<PathBuf>,
    /// Label of the token holding kyso's keys.
    #[arg(long, env = "KYSO_PKCS11_TOKEN")]
    pub pkcs11_token: Option<String>,
    /// File containing the token's user PIN.
    #[arg(long, env = "KYSO_PKCS11_PIN_FILE")]
    pub pkcs11_pin_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create the root CA, the issuing CAs (citizens, organisation seals), the delegated OCSP
    /// signers and the TSA.
    Init {
        /// Algorithm of the authority keys.
        #[arg(long, default_value = "p256", value_parser = ["rsa2048", "rsa3072", "p256", "p384"])]
        algorithm: String,
        /// Where authority and subscriber keys are held.
        #[arg(long, value_enum, default_value_t = KeystoreKind::Soft)]
        keystore: KeystoreKind,
        #[command(flatten)]
        pkcs11: Pkcs11Args,
        /// Public base URL written into certificates (AIA, CRL distribution points).
        #[arg(long, env = "KYSO_PUBLIC_URL", default_value = kyso_ca::settings::DEFAULT_PUBLIC_URL)]
        public_url: String,
        /// Operator organisation written into the authorities' subjects.
        #[arg(long, default_value = "kyso")]
        organisation: String,
        /// The operator's own certificate policy OID, written before the ETSI policy.
        #[arg(long)]
        policy_oid: Option<String>,
        /// CRL shards per issuing CA.
        #[arg(long, default_value_t = kyso_ca::settings::DEFAULT_CRL_SHARDS)]
        crl_shards: u16,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write root.pem and chain.pem (issuing CAs, the citizens' first) into a directory.
    Export {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// List the authorities of this deployment.
    Show(JsonFlag),
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// A citizen's personal signing certificate.
    Citizen,
    /// An organisation's seal (agency, school, hospital).
    Seal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Valid,
    Suspended,
    Revoked,
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Issue a certificate from a CSR or with a key generated in custody.
    Issue(IssueArgs),
    /// Show one certificate.
    Show {
        /// Serial (hex).
        serial: String,
        /// Print the certificate as PEM.
        #[arg(long, conflicts_with = "json")]
        pem: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List certificates.
    List {
        /// Only certificates with this status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// At most this many.
        #[arg(long)]
        limit: Option<u32>,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a certificate (permanent).
    Revoke {
        /// Serial (hex).
        serial: String,
        /// RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged,
        /// superseded, cessationOfOperation, privilegeWithdrawn, aACompromise.
        #[arg(long)]
        reason: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Suspend a certificate (certificateHold); `resume` lifts it.
    Suspend {
        /// Serial (hex).
        serial: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// End a suspension.
    Resume {
        /// Serial (hex).
        serial: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Certificate profile.
    #[arg(long, value_enum)]
    pub profile: ProfileArg,
    /// Full name (citizen: family name first) or the seal's common name.
    #[arg(long)]
    pub name: Option<String>,
    /// CCCD number (12 digits) of a citizen.
    #[arg(long)]
    pub cccd: Option<String>,
    /// Another identifier instead of --cccd: CMND:…, HC:… (citizen), MST:…, MNS:… (seal).
    #[arg(long, conflicts_with = "cccd")]
    pub id: Option<String>,
    /// Organisation name (seal).
    #[arg(long)]
    pub organisation: Option<String>,
    /// Province (stateOrProvinceName).
    #[arg(long)]
    pub province: String,
    /// Commune or ward (localityName).
    #[arg(long)]
    pub locality: Option<String>,
    /// PKCS#10 request of a key the subscriber holds (PEM or DER).
    #[arg(long, conflicts_with = "keygen", required_unless_present = "keygen")]
    pub csr: Option<PathBuf>,
    /// Generate the key in custody.
    #[arg(long)]
    pub keygen: bool,
    /// Algorithm of the generated key.
    #[arg(long, default_value = "p256", requires = "keygen", value_parser = ["rsa2048", "rsa3072", "p256", "p384"])]
    pub algorithm: String,
    /// Validity in days [default: 1095 = 3 years].
    #[arg(long)]
    pub validity_days: Option<u32>,
    /// Issue from this provider's CA (`kyso provider list`) instead of kyso's citizen CA
    /// (citizen certificates only).
    #[arg(long)]
    pub provider: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Remote signing over HTTP on loopback (a fresh temporary deployment, the CSC API
    /// served in this process): batched signHash throughput beside `openssl speed`, then
    /// authorize + signHash round trips with latency percentiles; prints the figures last.
    Csc {
        /// Credential key algorithm.
        #[arg(long, default_value = "p256", value_parser = ["rsa2048", "p256"])]
        algorithm: String,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent clients (each with its own connection and credential).
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Hashes per signHash call in the batched measurement.
        #[arg(long, default_value_t = 50)]
        batch: usize,
    },
    /// Fill a fresh temporary deployment with revoked certificates, then time publishing
    /// every CRL shard and one more revocation; prints the figures last.
    Crl {
        /// Number of revoked certificates in the store.
        #[arg(long, default_value_t = 1_000_000)]
        revoked: u64,
        /// CRL shards per issuing CA.
        #[arg(long, default_value_t = kyso_ca::settings::DEFAULT_CRL_SHARDS)]
        shards: u16,
    },
    /// Online public services: birth registrations submitted end to end (form, render,
    /// signature approved with the PIN, time-stamp, store), then opened (verification) and
    /// approved (result sealed at B-LT) by the officer, on a throw-away deployment. Prints
    /// p50/p95 figures last, beside one P-256 signature (openssl speed).
    Portal {
        /// Dossiers to submit.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// An empty PostgreSQL database to use instead of a temporary SQLite file.
        #[arg(long = "bench-database")]
        bench_database: Option<String>,
        /// Print the figures as one JSON object (last line).
        #[arg(long)]
        json: bool,
    },
    /// The campaign dashboard at province scale: a synthetic province imported, real
    /// certificates issued and enrolled for a share of its adults (communes ahead and
    /// behind, channels and providers mixed, over 120 days), coverage rebuilt; then the
    /// coverage service, the outreach list and the campaign pages through the router, on
    /// a throw-away deployment (SQLite, or the empty database given with the global
    /// --database). Prints p50/p95 figures and their targets last.
    Campaign {
        /// Province code (2025 units; 38 = Thanh Hóa).
        #[arg(long, default_value = "38")]
        province: String,
        /// Adults in the generated register.
        #[arg(long, default_value_t = 1_000_000)]
        adults: usize,
        /// Campaign certificates issued (and enrolments).
        #[arg(long, default_value_t = 300_000)]
        issued: usize,
        /// Measured rounds per figure (after 3 warm-ups).
        #[arg(long, default_value_t = 100)]
        rounds: usize,
    },
    /// PAdES signing of a PDF (a built-in 1-page PDF by default) with an organisation
    /// seal's key in custody, one signature after another, each written to its own file
    /// (staged, fsynced, renamed, as `kyso sign` does); then offline validation of the
    /// signed output with the deployment's root as trust anchor. Prints the figures last.
    Pades {
        /// Signatures (and validations) per level and run.
        #[arg(long, default_value_t = 200)]
        count: u64,
        /// Levels to measure (comma-separated or repeated).
        #[arg(long, value_delimiter = ',', default_value = "B-B,B-T", value_parser = ["B-B", "B-T", "B-LT", "B-LTA"])]
        level: Vec<String>,
        /// The PDF to sign [default: a built-in 1-page PDF].
        #[arg(long)]
        input: Option<PathBuf>,
        /// Sign with this seal certificate (serial, hex) of the --data-dir deployment.
        /// Without it: a fresh temporary deployment and a new P-256 seal.
        #[arg(long)]
        seal: Option<String>,
        /// Runs of each measurement; the median is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Copy the last signed file of each level to DIR/kyso-LEVEL.pdf (for a peer to
        /// validate the same files).
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// Skip the validation measurement.
        #[arg(long)]
        no_validate: bool,
        /// Print the figures as one JSON object (last line).
        #[arg(long)]
        json: bool,
    },
    /// Issue certificates with keys generated in custody, every batch committed durably;
    /// prints issued/s last.
    Issue {
        /// Number of certificates.
        #[arg(long, default_value_t = 20_000)]
        count: u64,
        /// Algorithm of the generated subscriber keys.
        #[arg(long, default_value = "p256", value_parser = ["rsa2048", "rsa3072", "p256", "p384"])]
        algorithm: String,
        /// Certificates per transaction.
        #[arg(long, default_value_t = 500)]
        batch: usize,
        /// Worker threads generating keys and certificates [default: number of cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Use the configured data directory, database and keystore instead of a fresh
        /// temporary SQLite deployment. This issues real certificates with synthetic
        /// subjects under that deployment's CA: use it on test deployments only.
        #[arg(long)]
        in_place: bool,
        /// Print each serial once its batch is committed (for crash tests).
        #[arg(long)]
        print_serials: bool,
        /// Skip the `openssl speed` comparison.
        #[arg(long)]
        no_baseline: bool,
    },
}

#[derive(Debug, Args)]
pub struct VietqrArgs {
    /// The beneficiary bank's NAPAS BIN, 6 digits (e.g. 970403).
    #[arg(long)]
    pub bin: String,
    /// The beneficiary's account number (or card number with --card).
    #[arg(long)]
    pub account: String,
    /// --account is a card number (service QRIBFTTC) rather than an account (QRIBFTTA).
    #[arg(long)]
    pub card: bool,
    /// The amount in đồng, plain digits; without it the code is static and the payer
    /// types the amount.
    #[arg(long)]
    pub amount: Option<String>,
    /// The bill number the payment comes back with.
    #[arg(long)]
    pub bill: Option<String>,
    /// The transfer message, unaccented (e.g. "le phi khai sinh").
    #[arg(long)]
    pub purpose: Option<String>,
    /// Write the QR code as a PNG here.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Pixels per module in the PNG.
    #[arg(long, default_value_t = 8)]
    pub scale: u32,
    /// Write the QR code as an SVG here.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
