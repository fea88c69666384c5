//! The demo's campaign in progress: a plan started 75 days ago, adults enrolled over those
//! days at a pace that differs from commune to commune (some ahead of the target, some far
//! behind), a community digital team member with assigned households and visits, and a
//! training session — so that a newcomer's first dashboard is alive.

use anyhow::Context as _;
use kyso_ca::{Ca, IssueRequest, KeySource};
use kyso_campaign::{CampaignPlan, Campaigns, Phase};
use kyso_core::{
    CampaignDay, Cccd, PersonName, SubjectIdentifier, TextField, UnixTime, VisitOutcome,
};
use kyso_keys::KeyAlgorithm;
use kyso_pki::{Profile, SubjectSpec};
use kyso_store::campaign::{HouseholdFilter, TrainingRecord, VisitRecord};
use kyso_store::enrolment::{Channel, EnrolmentRecord};
use std::sync::Arc;

/// Days the demo campaign has been running.
const DAYS_RUNNING: i64 = 75;

/// A small deterministic generator (SplitMix64): the demo looks the same on every machine.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Seeds the campaign; `already` are adults enrolled by earlier demo steps (skipped).
pub(crate) async fn seed(
    ca: &Ca,
    csv: &std::path::Path,
    officer_commune: &str,
    already: &[String],
) -> anyhow::Result<()> {
    let store = ca.store().clone();
    let now = ca.clock().now();
    let today = CampaignDay::of(now);
    let start = today.plus(-DAYS_RUNNING);
    let campaigns = Campaigns::new(store.clone(), Arc::new(kyso_core::SystemClock));
    let plan = CampaignPlan {
        id: "hue-demo".into(),
        name: "Chiến dịch chữ ký số cho mọi người dân (demo)".into(),
        province_code: "46".into(),
        communes: Vec::new(),
        target_permille: 500,
        phases: vec![
            Phase {
                name: "Giai đoạn 1: đến từng hộ gia đình".into(),
                starts: start.iso(),
                ends: start.plus(91).iso(),
                channels: vec!["door_to_door".into()],
            },
            Phase {
                name: "Giai đoạn 2: người dân tự đăng ký".into(),
                starts: start.plus(92).iso(),
                ends: start.plus(365).iso(),
                channels: vec![
                    "door_to_door".into(),
                    "online".into(),
                    "provincial_app".into(),
                    "vneid".into(),
                ],
            },
        ],
        providers: vec!["vnpt-demo".into(), "viettel-demo".into()],
    };
    campaigns.create_campaign(None, &plan).await?;

    // Each commune gets its own pace: a share reached by today between ~8% and ~65%.
    let text = std::fs::read_to_string(csv).context("reading the demo register")?;
    let mut rng = Mix(46);
    let mut pace: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let channels = [
        Channel::DoorToDoor,
        Channel::DoorToDoor,
        Channel::Online,
        Channel::ProvincialApp,
        Channel::Vneid,
    ];
    let mut issuances = Vec::new();
    let mut enrolments = Vec::new();
    let province = TextField::parse("province", "Thành phố Huế", 128)?;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 7 || already.iter().any(|c| c == f[0]) {
            continue;
        }
        let commune = f[6];
        let share = *pace
            .entry(commune.to_owned())
            .or_insert_with(|| 80 + rng.below(570));
        if rng.below(1000) >= share {
            continue;
        }
        // Enrolled some day since the start: most in the first weeks of door-to-door work,
        // fewer since (the campaign is slowing down: the dashboard has something to say).
        let d = DAYS_RUNNING
            - (rng.below(DAYS_RUNNING as u64 * DAYS_RUNNING as u64) as f64).sqrt() as i64;
        let at = UnixTime(
            start.plus(d.clamp(0, DAYS_RUNNING)).start().seconds()
                + 8 * 3600
                + rng.below(9 * 3600) as i64,
        );
        let provider = if rng.below(100) < 60 {
            "vnpt-demo"
        } else {
            "viettel-demo"
        };
        let channel = if d < 20 {
            Channel::DoorToDoor
        } else {
            channels[rng.below(5) as usize]
        };
        let unit = kyso_population::Units::embedded().commune(commune);
        let subject = SubjectSpec::Person {
            name: PersonName::parse(f[1])?,
            id: SubjectIdentifier::Cccd(Cccd::parse(f[0])?),
            province: province.clone(),
            locality: unit
                .map(|u| TextField::parse("locality", &u.name, 128))
                .transpose()?,
        };
        let issuance = ca.prepare(
            &IssueRequest {
                issuer: Some(provider.into()),
                profile: Profile::Citizen,
                subject,
                key: KeySource::Generate(KeyAlgorithm::P256),
                validity_days: None,
            },
            // The authorities were made a moment ago, so the certificates are issued now;
            // only the enrolments carry the simulated dates (the dashboard's history).
            now,
        )?;
        enrolments.push(EnrolmentRecord {
            id: format!("demo-{}", issuance.cert.serial),
            cccd: f[0].into(),
            provider: provider.into(),
            channel,
            serial: issuance.cert.serial.clone(),
            active: true,
            created_at: at,
            ended: None,
        });
        issuances.push(issuance);
    }
    for chunk in issuances.chunks(500) {
        store.insert_certificates(chunk).await?;
    }
    store.insert_enrolments_bulk(&enrolments).await?;
    store.rebuild_coverage(now).await?;

    // The officer's commune: the team member (doi.demo) has 12 households, visited over
    // the last three days.
    let uncovered = store
        .outreach_households(&HouseholdFilter {
            commune_code: officer_commune.into(),
            uncovered_only: true,
            limit: 12,
            ..Default::default()
        })
        .await?;
    let ids: Vec<String> = uncovered.iter().map(|h| h.id.clone()).collect();
    store
        .assign_households(officer_commune, &ids, Some("doi.demo"), "can-bo.demo", now)
        .await?;
    let outcomes = [
        VisitOutcome::NotHome,
        VisitOutcome::Refused,
        VisitOutcome::NoSmartphone,
        VisitOutcome::NeedsRelative,
    ];
    for (i, h) in uncovered.iter().take(6).enumerate() {
        let day = today.plus(-(i as i64 % 3) - 1);
        let outcome = outcomes[i % outcomes.len()];
        store
            .record_visit(
                &VisitRecord {
                    household_id: h.id.clone(),
                    commune_code: officer_commune.into(),
                    province_code: "46".into(),
                    member: "doi.demo".into(),
                    at: UnixTime(day.start().seconds() + 9 * 3600 + i as i64 * 600),
                    outcome,
                    revisit_on: outcome.default_revisit_days().map(|d| day.plus(d)),
                    note: None,
                },
                Some("doi.demo"),
            )
            .await?;
    }
    store
        .insert_training(&TrainingRecord {
            id: "tr-demo".into(),
            commune_code: officer_commune.into(),
            province_code: "46".into(),
            place: "Nhà văn hóa Tổ dân phố 1".into(),
            starts_at: UnixTime(today.plus(3).start().seconds() + 19 * 3600),
            topic: "Cài đặt và dùng chữ ký số trên điện thoại".into(),
            created_by: "can-bo.demo".into(),
            created_at: now,
        })
        .await?;
    Ok(())
}
