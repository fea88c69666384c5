//! `kyso bench campaign`: the campaign dashboard at province scale, in this process, on a
//! throw-away deployment (SQLite, or the empty PostgreSQL database given with --database).
//!
//! Set-up: a synthetic province (`kyso population generate`, in memory) imported into the
//! register; three providers with their issuing CAs; real certificates (keys generated in
//! custody, signed by the provider's CA, subject `CCCD:<cccd>`) for a realistic subset of
//! the adults — communes ahead and behind, channels and providers mixed, enrolments spread
//! over the last 120 days — written in multi-row batches with their enrolments, then the
//! coverage tallies rebuilt once; a few suspensions and revocations through the ordinary
//! status-change path (which refreshes the tallies incrementally); a campaign and two staff
//! accounts (province administrator, officer of the largest commune).
//!
//! Measured: the campaign service's coverage (province, commune) and outreach list, and the
//! pages through the real router (no socket). Beside the dashboard's p95 is what a naive
//! dashboard would pay per view: one `COUNT(*)` over the province's people.

use crate::context::Context;
use anyhow::Context as _;
use kyso_ca::{CaError, IssueRequest, KeySource};
use kyso_campaign::{CampaignPlan, Campaigns, ListKind, Phase, Viewer};
use kyso_core::{CampaignDay, RevocationReason, SubjectIdentifier, TextField, UnixTime};
use kyso_keys::KeyAlgorithm;
use kyso_pki::{Profile, SubjectSpec};
use kyso_population::{Adult, Date, Units};
use kyso_store::NewIssuance;
use kyso_store::citizens::StaffRole;
use kyso_store::enrolment::{Channel, EnrolmentRecord};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const PROVIDERS: [(&str, &str); 3] = [
    ("vnpt-bench", "VNPT-CA (bench)"),
    ("viettel-bench", "Viettel-CA (bench)"),
    ("misa-bench", "MISA eSign (bench)"),
];
/// Share of enrolments per provider, per mille.
const PROVIDER_SHARE: [u64; 3] = [500, 350, 150];
const CHANNELS: [Channel; 4] = [
    Channel::DoorToDoor,
    Channel::Online,
    Channel::ProvincialApp,
    Channel::Vneid,
];
/// Share of enrolments per channel, per mille.
const CHANNEL_SHARE: [u64; 4] = [450, 200, 150, 200];
/// Days over which the enrolments are spread, up to now.
const SPREAD_DAYS: i64 = 120;
const WARM_UP: usize = 3;
const PASSWORD: &str = "mat-khau-bench-2026";
const ADMIN: &str = "tinh.bench";
const OFFICER: &str = "xa.bench";
/// Dashboard and commune page target, p95.
const PAGE_TARGET_MS: f64 = 200.0;
/// Coverage JSON target, p95.
const JSON_TARGET_MS: f64 = 50.0;

/// xorshift64*: plenty for synthetic data, not for anything secret.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// An index drawn with the per-mille weights.
    fn weighted(&mut self, shares: &[u64]) -> usize {
        let total: u64 = shares.iter().sum();
        let mut r = self.next() % total;
        for (i, s) in shares.iter().enumerate() {
            if r < *s {
                return i;
            }
            r -= s;
        }
        shares.len() - 1
    }
}

/// One adult chosen to hold a campaign certificate.
struct Pick {
    adult: usize,
    provider: usize,
    channel: Channel,
    at: UnixTime,
}

fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let i = ((s.len() as f64 - 1.0) * p).round() as usize;
    s[i.min(s.len() - 1)]
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

/// Which adults enrol, with whom, how and when: each commune gets its own pace (a few far
/// ahead, a few far behind), scaled so that `issued` adults enrol in all.
fn choose(adults: &[Adult], issued: usize, now: UnixTime, seed: u64) -> Vec<Pick> {
    let mut rng = Rng::new(seed);
    let mut by_commune: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, a) in adults.iter().enumerate() {
        by_commune.entry(&a.commune_code).or_default().push(i);
    }
    let mut communes: Vec<(&str, Vec<usize>)> = by_commune.into_iter().collect();
    communes.sort_by(|a, b| a.0.cmp(b.0));
    // A pace per commune: a fifth ahead (50–60 %), a fifth behind (10–20 %), the rest in
    // between — relative weights, scaled below to the number asked for.
    let pace: Vec<f64> = communes
        .iter()
        .map(|_| match rng.below(5) {
            0 => 0.50 + 0.10 * rng.unit(),
            1 => 0.10 + 0.10 * rng.unit(),
            _ => 0.20 + 0.30 * rng.unit(),
        })
        .collect();
    let expected: f64 = communes
        .iter()
        .zip(&pace)
        .map(|((_, v), p)| v.len() as f64 * p)
        .sum();
    let scale = issued as f64 / expected.max(1.0);
    let mut quotas: Vec<usize> = communes
        .iter()
        .zip(&pace)
        .map(|((_, v), p)| ((v.len() as f64 * p * scale).round() as usize).min(v.len()))
        .collect();
    // Rounding: add or take the difference where there is room.
    let mut total: usize = quotas.iter().sum();
    let mut i = 0;
    while total != issued && !communes.is_empty() {
        let k = i % communes.len();
        if total < issued && quotas[k] < communes[k].1.len() {
            quotas[k] += 1;
            total += 1;
        } else if total > issued && quotas[k] > 0 {
            quotas[k] -= 1;
            total -= 1;
        }
        i += 1;
        if i > communes.len() * 4 + issued {
            break;
        }
    }
    let mut picks = Vec::with_capacity(issued);
    for ((_, members), quota) in communes.iter_mut().zip(quotas) {
        // A partial Fisher–Yates shuffle: the first `quota` are a uniform sample.
        for j in 0..quota {
            let k = j + rng.below(members.len() - j);
            members.swap(j, k);
        }
        for &adult in &members[..quota] {
            // More enrolments lately than at the start: the day offset from the start of
            // the spread grows like the square root of a uniform draw.
            let offset = SPREAD_DAYS as f64 * (1.0 - rng.unit().sqrt());
            let at = UnixTime(now.seconds() - (offset * 86_400.0) as i64 - 60);
            picks.push(Pick {
                adult,
                provider: rng.weighted(&PROVIDER_SHARE),
                channel: CHANNELS[rng.weighted(&CHANNEL_SHARE)],
                at,
            });
        }
    }
    picks
}

pub async fn run(
    ctx: &Context,
    province: String,
    adults: usize,
    issued: usize,
    rounds: usize,
) -> anyhow::Result<ExitCode> {
    let rounds = rounds.max(1);
    let units = Units::embedded();
    let province_name = units
        .province(&province)
        .with_context(|| format!("no province {province:?} in the 2025 units"))?
        .name
        .clone();
    let work = tempfile::tempdir()?;
    let tmp = Context {
        data_dir: work.path().join("data"),
        database: ctx.database.clone(),
        kek_file: None,
    };
    eprintln!(
        "setting up a throw-away deployment in {}",
        work.path().display()
    );
    let ca = super::ca::init_soft(
        &tmp,
        "kyso bench",
        kyso_ca::settings::DEFAULT_PUBLIC_URL,
        kyso_ca::settings::DEFAULT_CRL_SHARDS,
    )
    .await?;
    anyhow::ensure!(
        ca.store().count_people(None, None).await? == 0,
        "the database already holds a population register: give an empty one"
    );
    for (id, name) in PROVIDERS {
        ca.add_provider(id, name).await?;
    }
    let ca = Arc::new(tmp.load_ca().await?);
    let store = ca.store().clone();
    let backend = store.backend();

    // 1. The province's register, generated in memory and imported.
    let now = ca.clock().now();
    let today = Date::today_in_vietnam(now);
    eprintln!("generating {adults} adults of {province_name}");
    let t = Instant::now();
    let mut csv = Vec::with_capacity(adults * 160);
    kyso_population::generate(&province, adults, 38, today, &mut csv)?;
    let register = kyso_population::parse_csv(&csv[..], units, today)
        .map_err(|e| anyhow::anyhow!("the generated register does not parse: {e}"))?;
    drop(csv);
    let generate_s = t.elapsed().as_secs_f64();
    let (households, people) = super::population::register_records(&register);
    eprintln!(
        "importing {} adults in {} households ({backend})",
        people.len(),
        households.len()
    );
    let t = Instant::now();
    let summary = store
        .import_population(&households, &people, now, "kyso bench campaign", &|_| {})
        .await
        .context("importing the register")?;
    let import_s = t.elapsed().as_secs_f64();
    drop((households, people));

    // 2. Certificates for a subset of the adults, with their enrolments.
    let issued = issued.min(register.len());
    let picks = choose(&register, issued, now, 38);
    let register = Arc::new(register);
    let picks = Arc::new(picks);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    const BATCH: usize = 1000;
    type Batch = Result<Vec<(NewIssuance, EnrolmentRecord)>, CaError>;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(threads * 2);
    let claimed = Arc::new(AtomicUsize::new(0));
    let province_field = TextField::parse("province", &province_name, 128)?;
    let mut localities: HashMap<String, TextField> = HashMap::new();
    for c in units.communes_of(&province) {
        localities.insert(c.code.clone(), TextField::parse("locality", &c.name, 128)?);
    }
    let localities = Arc::new(localities);
    for _ in 0..threads {
        let (ca, tx, claimed, register, picks, province_field, localities) = (
            ca.clone(),
            tx.clone(),
            claimed.clone(),
            register.clone(),
            picks.clone(),
            province_field.clone(),
            localities.clone(),
        );
        std::thread::spawn(move || {
            loop {
                let start = claimed.fetch_add(BATCH, Ordering::Relaxed);
                if start >= picks.len() {
                    break;
                }
                let end = (start + BATCH).min(picks.len());
                let batch: Batch = (start..end)
                    .map(|i| {
                        let p = &picks[i];
                        let a = &register[p.adult];
                        let locality = localities.get(&a.commune_code).cloned();
                        let req = IssueRequest {
                            issuer: Some(PROVIDERS[p.provider].0.to_owned()),
                            profile: Profile::Citizen,
                            subject: SubjectSpec::Person {
                                name: a.full_name.clone(),
                                id: SubjectIdentifier::Cccd(a.cccd.clone()),
                                province: province_field.clone(),
                                locality,
                            },
                            key: KeySource::Generate(KeyAlgorithm::P256),
                            validity_days: None,
                        };
                        // Certificates are dated now (an issuing CA cannot back-date
                        // before its own certificate); the enrolment keeps its date.
                        let issuance = ca.prepare(&req, now)?;
                        let enrolment = EnrolmentRecord {
                            id: format!("enr-bench-{i:08}"),
                            cccd: a.cccd.as_str().to_owned(),
                            provider: PROVIDERS[p.provider].0.to_owned(),
                            channel: p.channel,
                            serial: issuance.cert.serial.clone(),
                            active: true,
                            created_at: p.at,
                            ended: None,
                        };
                        Ok((issuance, enrolment))
                    })
                    .collect();
                let failed = batch.is_err();
                if tx.blocking_send(batch).is_err() || failed {
                    break;
                }
            }
        });
    }
    drop(tx);
    eprintln!("issuing {issued} certificates on {threads} threads, {BATCH} per transaction");
    let bar = indicatif::ProgressBar::new(issued as u64);
    let t = Instant::now();
    let mut serials: Vec<(usize, String)> = Vec::with_capacity(issued);
    let mut subject_checked = false;
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        let (issuances, enrolments): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        if !subject_checked && let Some(first) = issuances.first() {
            let e: &EnrolmentRecord = &enrolments[0];
            anyhow::ensure!(
                first.cert.subject_id.as_deref() == Some(&format!("CCCD:{}", e.cccd)),
                "certificate subject {:?} is not the enrolment's citizen",
                first.cert.subject_id
            );
            subject_checked = true;
        }
        store
            .insert_certificates(&issuances)
            .await
            .context("storing certificates")?;
        store
            .insert_enrolments_bulk(&enrolments)
            .await
            .context("storing enrolments")?;
        for e in enrolments {
            let i: usize = e.id["enr-bench-".len()..].parse().unwrap_or(0);
            serials.push((i, e.serial));
        }
        bar.inc(issuances.len() as u64);
    }
    bar.finish_and_clear();
    let issue_s = t.elapsed().as_secs_f64();
    serials.sort_unstable();
    anyhow::ensure!(
        serials.len() == issued,
        "issued {} of {issued}",
        serials.len()
    );

    eprintln!("rebuilding the coverage tallies");
    let t = Instant::now();
    store.rebuild_coverage(ca.clock().now()).await?;
    let rebuild_s = t.elapsed().as_secs_f64();

    // Suspensions (1 %) and revocations (0.5 %) through the ordinary path.
    eprintln!("suspending 1 % and revoking 0.5 % of the certificates");
    let (mut suspend_ms, mut revoke_ms) = (Vec::new(), Vec::new());
    for (i, serial) in &serials {
        if i % 100 == 7 {
            let t = Instant::now();
            ca.suspend(serial).await?;
            suspend_ms.push(t.elapsed().as_secs_f64() * 1e3);
        } else if i % 200 == 57 {
            let t = Instant::now();
            ca.revoke(serial, RevocationReason::KeyCompromise).await?;
            revoke_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let changes: Vec<f64> = suspend_ms.iter().chain(&revoke_ms).copied().collect();

    // 4. The campaign and its staff.
    let start = CampaignDay(CampaignDay::of(now).0 - SPREAD_DAYS);
    let day = |d: i64| CampaignDay(start.0 + d).iso();
    let plan = CampaignPlan {
        id: format!("bench-{province}"),
        name: format!("Chiến dịch chữ ký số cho mọi người dân — {province_name} (bench)"),
        province_code: province.clone(),
        communes: Vec::new(),
        target_permille: 500,
        phases: vec![
            Phase {
                name: "Giai đoạn 1: đến từng hộ".into(),
                starts: day(0),
                ends: day(91),
                channels: vec!["door_to_door".into()],
            },
            Phase {
                name: "Giai đoạn 2: mọi kênh".into(),
                starts: day(92),
                ends: day(92 + 274),
                channels: CHANNELS.iter().map(|c| c.as_str().to_owned()).collect(),
            },
        ],
        providers: PROVIDERS.iter().map(|(id, _)| (*id).to_owned()).collect(),
    };
    let campaigns = Campaigns::new(store.clone(), ca.clock().clone());
    campaigns.create_campaign(None, &plan).await?;
    let mut adults_of: HashMap<&str, usize> = HashMap::new();
    for a in register.iter() {
        *adults_of.entry(&a.commune_code).or_default() += 1;
    }
    let (commune, commune_adults) = adults_of
        .iter()
        .max_by_key(|(code, n)| (**n, std::cmp::Reverse(**code)))
        .map(|(c, n)| ((*c).to_owned(), *n))
        .context("no commune")?;
    let remote = tmp.remote(ca.clone()).await?;
    let citizens = Arc::new(kyso_citizens::Citizens::new(ca.clone(), remote.clone()).await?);
    citizens
        .add_staff(
            ADMIN,
            "Quản trị tỉnh (bench)",
            StaffRole::Province,
            &province,
            PASSWORD,
        )
        .await?;
    citizens
        .add_staff(
            OFFICER,
            "Cán bộ xã (bench)",
            StaffRole::Commune,
            &commune,
            PASSWORD,
        )
        .await?;
    let admin = Viewer {
        id: ADMIN.into(),
        role: StaffRole::Province,
        scope: province.clone(),
    };
    let officer = Viewer {
        id: OFFICER.into(),
        role: StaffRole::Commune,
        scope: commune.clone(),
    };

    // 5. Measurements.
    macro_rules! measure {
        ($body:expr) => {{
            for _ in 0..WARM_UP {
                $body;
            }
            let mut v = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let t = Instant::now();
                $body;
                v.push(t.elapsed().as_secs_f64() * 1e3);
            }
            v
        }};
    }
    eprintln!("measuring, {rounds} rounds each after {WARM_UP} warm-ups");
    let report = campaigns
        .coverage(&admin, Some(&province), None)
        .await
        .context("coverage")?;
    let covered = report.total.covered;
    let cov_province = measure!({
        campaigns.coverage(&admin, Some(&province), None).await?;
    });
    let cov_commune = measure!({
        campaigns
            .coverage(&officer, Some(&province), Some(&commune))
            .await?;
    });
    let mut unregistered = 0;
    let list = measure!({
        unregistered = campaigns
            .households(&officer, &commune, ListKind::Unregistered, None, None, 50)
            .await?
            .total;
    });
    let pages = page_timings(&ca, &remote, &citizens, &province, &commune, rounds).await?;
    let mut naive = Vec::new();
    let mut people_count = 0;
    for _ in 0..5 {
        let t = Instant::now();
        people_count = store.count_people(Some(&province), None).await?;
        naive.push(t.elapsed().as_secs_f64() * 1e3);
    }

    // 6. Figures, last.
    let line = |name: &str, v: &[f64], target: f64| {
        let p95 = percentile(v, 0.95);
        println!(
            "{name:<46} p50 {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms   target p95 ≤ {target:.0} ms: {}",
            percentile(v, 0.5),
            p95,
            max(v),
            if p95 <= target { "met" } else { "NOT met" }
        );
    };
    println!(
        "{province_name} on {backend}: {} adults in {} households, {issued} certificates ({covered} adults covered now); \
         officer's commune {commune}: {commune_adults} adults, {unregistered} households with no one registered",
        summary.people, summary.households
    );
    println!(
        "set-up: generate {generate_s:.1} s, import {import_s:.1} s ({:.0} adults/s), issue + enrol {issue_s:.1} s ({:.0} certificates/s), rebuild coverage {rebuild_s:.2} s",
        summary.people as f64 / import_s,
        issued as f64 / issue_s,
    );
    if !changes.is_empty() {
        println!(
            "status changes ({} suspended, {} revoked, tallies refreshed): p50 {:.2} ms   p95 {:.2} ms   max {:.2} ms",
            suspend_ms.len(),
            revoke_ms.len(),
            percentile(&changes, 0.5),
            percentile(&changes, 0.95),
            max(&changes)
        );
    }
    line(
        "coverage, province (service)",
        &cov_province,
        PAGE_TARGET_MS,
    );
    line("coverage, commune (service)", &cov_commune, PAGE_TARGET_MS);
    line(
        "households, unregistered, 50 (service)",
        &list,
        PAGE_TARGET_MS,
    );
    let mut dashboard_p95 = None;
    for (name, target, times) in &pages {
        match times {
            Some(v) => {
                line(name, v, *target);
                if name.starts_with("GET /chien-dich ") {
                    dashboard_p95 = Some(percentile(v, 0.95));
                }
            }
            None => println!("{name:<46} route missing"),
        }
    }
    let count_ms = percentile(&naive, 0.5);
    let reference = dashboard_p95.unwrap_or_else(|| percentile(&cov_province, 0.95));
    println!(
        "reference: one COUNT(*) of the province's {people_count} people {count_ms:.2} ms (p50 of 5); {} p95 {reference:.2} ms = {:.2} × that count",
        if dashboard_p95.is_some() {
            "dashboard"
        } else {
            "province coverage"
        },
        reference / count_ms.max(1e-6)
    );
    Ok(ExitCode::SUCCESS)
}

type PageTimes = Vec<(String, f64, Option<Vec<f64>>)>;

/// The campaign pages through the real router, logged in as the province administrator
/// and as the commune officer: each `rounds` times after warm-ups. A route the server
/// does not have (404) is reported as missing.
async fn page_timings(
    ca: &Arc<kyso_ca::Ca>,
    remote: &kyso_remote::RemoteSigning,
    citizens: &Arc<kyso_citizens::Citizens>,
    province: &str,
    commune: &str,
    rounds: usize,
) -> anyhow::Result<PageTimes> {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    let state = kyso_server::AppState::new(ca.clone(), kyso_server::Options::default())
        .await?
        .with_remote(remote.clone())
        .with_citizens((**citizens).clone())
        .with_login_rate(10_000);
    let app = kyso_server::router(state);
    let send = |req: Request<Body>| {
        let app = app.clone();
        async move {
            let r = app.oneshot(req).await.expect("infallible");
            let status = r.status();
            let cookies: Vec<String> = r
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or("").to_owned())
                .collect();
            let body = r.into_body().collect().await.expect("body").to_bytes();
            (status, cookies, body.len())
        }
    };
    let mut cookies = Vec::new();
    for id in [ADMIN, OFFICER] {
        let (_, set, _) = send(
            Request::post("/can-bo/dang-nhap")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "127.0.0.1")
                .body(Body::from(format!("id={id}&password={PASSWORD}")))
                .expect("request"),
        )
        .await;
        let cookie = set.join("; ");
        anyhow::ensure!(cookie.contains('='), "{id}'s login set no cookie");
        cookies.push(cookie);
    }
    let get = |path: &str, cookie: &str| {
        Request::get(path)
            .header(header::COOKIE, cookie)
            .header(header::HOST, "127.0.0.1")
            .body(Body::empty())
            .expect("request")
    };
    let pages = [
        (
            "GET /chien-dich (province admin)".to_owned(),
            "/chien-dich".to_owned(),
            &cookies[0],
            PAGE_TARGET_MS,
        ),
        (
            "GET /chien-dich/xa/{commune} (officer)".to_owned(),
            format!("/chien-dich/xa/{commune}"),
            &cookies[1],
            PAGE_TARGET_MS,
        ),
        (
            format!("GET /api/coverage?province={province} (admin)"),
            format!("/api/coverage?province={province}"),
            &cookies[0],
            JSON_TARGET_MS,
        ),
    ];
    let mut out = Vec::new();
    for (name, path, cookie, target) in pages {
        let (status, _, _) = send(get(&path, cookie)).await;
        if status == StatusCode::NOT_FOUND {
            out.push((name, target, None));
            continue;
        }
        anyhow::ensure!(status.is_success(), "{path}: HTTP {status}");
        for _ in 0..WARM_UP {
            send(get(&path, cookie)).await;
        }
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let (status, _, _) = send(get(&path, cookie)).await;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            anyhow::ensure!(status.is_success(), "{path}: HTTP {status}");
        }
        out.push((name, target, Some(times)));
    }
    Ok(out)
}
