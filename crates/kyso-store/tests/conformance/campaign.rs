//! Campaign operations: coverage tallies kept by the writes, checked against a brute-force
//! count over the register, enrolments and certificates; outreach lists, assignments,
//! visits and training sessions.

use super::{Db, cert};
use kyso_core::{CampaignDay, RevocationReason, StatusChange, UnixTime, VisitOutcome};
use kyso_keys::{Custody, KeyAlgorithm, KeyRecord};
use kyso_store::campaign::{HouseholdFilter, TrainingRecord, VisitRecord};
use kyso_store::credentials::CredentialRecord;
use kyso_store::enrolment::{Channel, EnrolmentRecord, ProviderRecord, Replacement};
use kyso_store::population::{HouseholdRecord, PersonRecord};
use kyso_store::{NewIssuance, Store};
use std::collections::{BTreeMap, HashMap};

const AT: UnixTime = UnixTime(1_800_000_000);
const COMMUNES: [&str; 3] = ["19777", "19780", "19783"];
const PROVIDERS: [&str; 2] = ["vnpt-demo", "viettel-demo"];

/// A small province: 3 communes × 12 households × 1–3 adults, villages "Thôn 1"/"Thôn 2".
fn province() -> (Vec<HouseholdRecord>, Vec<PersonRecord>) {
    let mut households = Vec::new();
    let mut people = Vec::new();
    for (c, commune) in COMMUNES.iter().enumerate() {
        for h in 0..12 {
            let id = format!("46-{commune}-{h:06}");
            households.push(HouseholdRecord {
                id: id.clone(),
                commune_code: (*commune).into(),
                province_code: "46".into(),
                village: Some(format!("Thôn {}", h % 2 + 1)),
                address: Some(format!("Số {}", h + 1)),
            });
            for a in 0..(1 + (h + c) % 3) {
                people.push(PersonRecord {
                    cccd: format!("0461900{c}{h:02}{a:03}"),
                    full_name: format!("Nguyễn Văn {c}{h}{a}"),
                    birth_date: "1980-01-02".into(),
                    sex: "Nam".into(),
                    phone: None,
                    household_id: id.clone(),
                    commune_code: (*commune).into(),
                    province_code: "46".into(),
                });
            }
        }
    }
    (households, people)
}

async fn load(s: &dyn Store) -> Vec<PersonRecord> {
    for id in PROVIDERS {
        s.insert_provider(
            &ProviderRecord {
                id: id.into(),
                name: id.into(),
                issuer: "citizen-ca".into(),
                created_at: AT,
            },
            &[],
        )
        .await
        .unwrap();
    }
    let (households, people) = province();
    s.import_population(&households, &people, AT, "small.csv", &|_| {})
        .await
        .unwrap();
    people
}

/// A certificate (valid `days`), key, enrolment and credential for `cccd`.
fn enrolment(
    n: u32,
    cccd: &str,
    provider: &str,
    channel: Channel,
    at: UnixTime,
    days: u32,
) -> (NewIssuance, EnrolmentRecord, CredentialRecord) {
    let key = KeyRecord {
        id: format!("{n:032x}"),
        algorithm: KeyAlgorithm::P256,
        custody: Custody::Software,
        public_key_der: vec![7; 91],
        material: vec![0xAA; 60],
    };
    let serial = format!("c{n:07x}");
    let mut c = cert(&serial, Some(&key.id));
    c.subject_id = Some(format!("CCCD:{cccd}"));
    c.not_before = at;
    c.not_after = at.plus_days(days);
    c.created_at = at;
    let e = EnrolmentRecord {
        id: format!("enr-{n}"),
        cccd: cccd.into(),
        provider: provider.into(),
        channel,
        serial: serial.clone(),
        active: true,
        created_at: at,
        ended: None,
    };
    let credential = CredentialRecord {
        id: key.id.clone(),
        serial,
        subject_id: format!("CCCD:{cccd}"),
        pin_hash: vec![1; 48],
        pin_failures: 0,
        totp_secret: None,
        totp_last_step: None,
        created_at: at,
        metering: None,
    };
    (
        NewIssuance {
            key: Some(key),
            cert: c,
        },
        e,
        credential,
    )
}

/// Covered adults per (commune, provider, channel), counted the slow way: every adult of
/// the register, their active enrolment, its certificate's status and expiry.
async fn brute_force(
    s: &dyn Store,
    people: &[PersonRecord],
    now: UnixTime,
) -> (
    BTreeMap<(String, String, String), u64>,
    BTreeMap<String, u64>,
) {
    let mut covered = BTreeMap::new();
    let mut households: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for p in people {
        let Some(e) = s.active_enrolment(&p.cccd).await.unwrap() else {
            continue;
        };
        let c = s.get_certificate(&e.serial).await.unwrap().unwrap();
        if c.status != kyso_core::CertStatus::Valid || c.not_after <= now {
            continue;
        }
        *covered
            .entry((
                p.commune_code.clone(),
                e.provider.clone(),
                e.channel.as_str().to_owned(),
            ))
            .or_insert(0) += 1;
        households
            .entry(p.commune_code.clone())
            .or_default()
            .insert(p.household_id.clone());
    }
    let households = households
        .into_iter()
        .map(|(c, set)| (c, set.len() as u64))
        .collect();
    (covered, households)
}

/// The same figures from the tallies, after the expiry sweep.
async fn from_tallies(
    s: &dyn Store,
    now: UnixTime,
) -> (
    BTreeMap<(String, String, String), u64>,
    BTreeMap<String, u64>,
) {
    s.sweep_expired_coverage("46", now).await.unwrap();
    let covered = s
        .coverage_tallies("46", None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| ((r.commune_code, r.provider, r.channel), r.covered))
        .collect();
    let households = s
        .population_tallies("46", None)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.households_covered > 0)
        .map(|t| (t.commune_code, t.households_covered))
        .collect();
    (covered, households)
}

pub async fn coverage_tallies_match_a_brute_force_count(db: &Db) {
    let s: &dyn Store = &**db;
    let people = load(s).await;
    let pop = s.population_tallies("46", None).await.unwrap();
    assert_eq!(
        pop.iter().map(|t| t.adults).sum::<u64>(),
        people.len() as u64
    );
    assert_eq!(pop.iter().map(|t| t.households).sum::<u64>(), 36);
    assert!(pop.iter().all(|t| t.households_covered == 0));

    let channels = [
        Channel::DoorToDoor,
        Channel::Online,
        Channel::ProvincialApp,
        Channel::Vneid,
    ];
    // Two of every three adults enrol, over ten days, by every channel and provider; one
    // in seven with a certificate that expires within the test's horizon.
    let mut serial_of = HashMap::new();
    let mut n = 0u32;
    for (i, p) in people.iter().enumerate() {
        if i % 3 == 2 {
            continue;
        }
        n += 1;
        let at = AT.plus_days((i % 10) as u32);
        let days = if i % 7 == 0 { 20 } else { 730 };
        let (iss, e, c) = enrolment(n, &p.cccd, PROVIDERS[i % 2], channels[i % 4], at, days);
        s.enrol(&iss, &e, &c).await.unwrap();
        serial_of.insert(p.cccd.clone(), e.serial.clone());
    }
    let now = AT.plus_days(12);
    assert_eq!(
        brute_force(s, &people, now).await,
        from_tallies(s, now).await
    );

    // Suspend some, revoke some, resume some, switch some to the other provider.
    let enrolled: Vec<&PersonRecord> = people
        .iter()
        .filter(|p| serial_of.contains_key(&p.cccd))
        .collect();
    for (i, p) in enrolled.iter().enumerate() {
        let serial = serial_of[&p.cccd].clone();
        let at = AT.plus_days(11);
        match i % 6 {
            0 => {
                s.change_status(&serial, StatusChange::Suspend, at)
                    .await
                    .unwrap();
            }
            1 => {
                s.change_status(
                    &serial,
                    StatusChange::Revoke(RevocationReason::KeyCompromise),
                    at,
                )
                .await
                .unwrap();
            }
            2 => {
                n += 1;
                let old = s.active_enrolment(&p.cccd).await.unwrap().unwrap();
                let other = if old.provider == PROVIDERS[0] {
                    PROVIDERS[1]
                } else {
                    PROVIDERS[0]
                };
                let (iss, e, c) = enrolment(n, &p.cccd, other, old.channel, at, 730);
                s.switch_enrolment(&iss, &e, &c, Replacement::SwitchProvider)
                    .await
                    .unwrap();
                serial_of.insert(p.cccd.to_string(), e.serial.clone());
            }
            3 => {
                s.change_status(&serial, StatusChange::Suspend, at)
                    .await
                    .unwrap();
                s.change_status(&serial, StatusChange::Resume, at.plus_seconds(60))
                    .await
                    .unwrap();
            }
            _ => {}
        }
    }
    // A revoked citizen enrols again.
    let revoked = enrolled[1];
    n += 1;
    let (iss, e, c) = enrolment(
        n,
        &revoked.cccd,
        PROVIDERS[0],
        Channel::Online,
        AT.plus_days(11),
        730,
    );
    s.enrol(&iss, &e, &c).await.unwrap();

    for now in [AT.plus_days(12), AT.plus_days(40)] {
        let (brute, tallies) = (
            brute_force(s, &people, now).await,
            from_tallies(s, now).await,
        );
        assert_eq!(brute, tallies, "at {now:?}");
    }
    // Something of each kind actually happened.
    let (brute, _) = brute_force(s, &people, AT.plus_days(40)).await;
    let covered: u64 = brute.values().sum();
    assert!(covered > 10 && covered < enrolled.len() as u64, "{covered}");

    // The daily history adds up to the adults counted (expired included).
    let kept: u64 = s
        .coverage_tallies("46", None)
        .await
        .unwrap()
        .iter()
        .map(|r| r.covered)
        .sum();
    let daily: i64 = s
        .coverage_daily("46", None)
        .await
        .unwrap()
        .iter()
        .map(|d| d.covered_delta)
        .sum();
    assert_eq!(daily, kept as i64);
    let one: i64 = s
        .coverage_daily("46", Some(COMMUNES[0]))
        .await
        .unwrap()
        .iter()
        .map(|d| d.covered_delta)
        .sum();
    let one_kept: u64 = s
        .coverage_tallies("46", Some(COMMUNES[0]))
        .await
        .unwrap()
        .iter()
        .map(|r| r.covered)
        .sum();
    assert_eq!(one, one_kept as i64);

    // Covered flags on people and households agree with the tallies.
    let uncovered_listed = s
        .uncovered_adults(COMMUNES[0], None, None, 1000)
        .await
        .unwrap()
        .len() as u64;
    let adults0 = people
        .iter()
        .filter(|p| p.commune_code == COMMUNES[0])
        .count() as u64;
    assert_eq!(uncovered_listed, adults0 - one_kept);

    // A rebuild from scratch finds the same figures.
    let later = AT.plus_days(40);
    let before = from_tallies(s, later).await;
    s.rebuild_coverage(later).await.unwrap();
    assert_eq!(from_tallies(s, later).await, before);
    assert_eq!(brute_force(s, &people, later).await, before);
}

pub async fn outreach_lists_assignments_and_visits(db: &Db) {
    let s: &dyn Store = &**db;
    let people = load(s).await;
    let commune = COMMUNES[0];
    let all = HouseholdFilter {
        commune_code: commune.into(),
        limit: 100,
        ..Default::default()
    };
    let listed = s.outreach_households(&all).await.unwrap();
    assert_eq!(listed.len(), 12);
    assert_eq!(s.count_outreach_households(&all).await.unwrap(), 12);
    assert!(listed.iter().all(|h| h.commune_code == commune));
    let adults: usize = listed.iter().map(|h| h.adults.len()).sum();
    assert_eq!(
        adults,
        people.iter().filter(|p| p.commune_code == commune).count()
    );
    // Paging by id.
    let first = s
        .outreach_households(&HouseholdFilter {
            limit: 5,
            ..all.clone()
        })
        .await
        .unwrap();
    let rest = s
        .outreach_households(&HouseholdFilter {
            after: Some(first[4].id.clone()),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(first.len() + rest.len(), 12);
    assert!(rest.iter().all(|h| h.id > first[4].id));
    // By village.
    let village = HouseholdFilter {
        village: Some("Thôn 2".into()),
        ..all.clone()
    };
    assert_eq!(s.count_outreach_households(&village).await.unwrap(), 6);
    let villages = s.village_tallies(commune).await.unwrap();
    assert_eq!(villages.len(), 2);
    assert!(
        villages
            .iter()
            .all(|v| v.households == 6 && v.uncovered == 6)
    );

    // Assign four households; an id of another commune is ignored.
    let ids: Vec<String> = listed[..4].iter().map(|h| h.id.clone()).collect();
    let mut with_foreign = ids.clone();
    with_foreign.push(format!("46-{}-000000", COMMUNES[1]));
    let n = s
        .assign_households(commune, &with_foreign, Some("tv-an"), "can-bo-a", AT)
        .await
        .unwrap();
    assert_eq!(n, 4);
    let foreign = s
        .outreach_household(COMMUNES[1], &format!("46-{}-000000", COMMUNES[1]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(foreign.assigned_to, None);
    assert!(
        s.outreach_household(commune, &format!("46-{}-000000", COMMUNES[1]))
            .await
            .unwrap()
            .is_none(),
        "a household is only found in its own commune"
    );
    let mine = HouseholdFilter {
        assigned_to: Some("tv-an".into()),
        uncovered_only: true,
        ..all.clone()
    };
    assert_eq!(s.count_outreach_households(&mine).await.unwrap(), 4);
    let unassigned = HouseholdFilter {
        unassigned_only: true,
        ..all.clone()
    };
    assert_eq!(s.count_outreach_households(&unassigned).await.unwrap(), 8);

    // Visits: the assignee records; someone else (as assignee) cannot; a visit in the
    // wrong commune writes nothing.
    let today = CampaignDay::of(AT);
    let visit = |h: &str, outcome: VisitOutcome, member: &str, commune: &str| VisitRecord {
        household_id: h.into(),
        commune_code: commune.into(),
        province_code: "46".into(),
        member: member.into(),
        at: AT.plus_seconds(3600),
        outcome,
        revisit_on: outcome.default_revisit_days().map(|d| today.plus(d)),
        note: None,
    };
    assert!(
        s.record_visit(
            &visit(&ids[0], VisitOutcome::NotHome, "tv-an", commune),
            Some("tv-an")
        )
        .await
        .unwrap()
    );
    assert!(
        !s.record_visit(
            &visit(&ids[1], VisitOutcome::Refused, "tv-binh", commune),
            Some("tv-binh")
        )
        .await
        .unwrap()
    );
    assert!(
        !s.record_visit(
            &visit(&ids[1], VisitOutcome::Refused, "tv-an", COMMUNES[1]),
            None
        )
        .await
        .unwrap()
    );
    assert!(
        s.record_visit(
            &visit(&ids[1], VisitOutcome::Refused, "tv-an", commune),
            Some("tv-an")
        )
        .await
        .unwrap()
    );
    assert_eq!(s.visits_of(&ids[1]).await.unwrap().len(), 1);
    let h0 = s
        .outreach_household(commune, &ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h0.last_outcome, Some(VisitOutcome::NotHome));
    assert_eq!(h0.revisit_on, Some(today.plus(2)));

    // Today's list keeps what was visited today; two days later the not-at-home one is
    // due again and the refusal is not.
    let due = |day: CampaignDay| HouseholdFilter {
        due_on: Some(day),
        ..mine.clone()
    };
    assert_eq!(s.count_outreach_households(&due(today)).await.unwrap(), 4);
    assert_eq!(
        s.count_outreach_households(&due(today.plus(2)))
            .await
            .unwrap(),
        3
    );
    let revisits = HouseholdFilter {
        revisit_due_by: Some(today.plus(2)),
        uncovered_only: true,
        ..all.clone()
    };
    let r = s.outreach_households(&revisits).await.unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].id, ids[0]);

    let tallies = s
        .visit_tallies("46", Some(commune), today, today)
        .await
        .unwrap();
    assert_eq!(tallies.iter().map(|t| t.visits).sum::<u64>(), 2);
    assert!(tallies.iter().all(|t| t.member == "tv-an"));
    assert!(
        s.visit_tallies("46", Some(COMMUNES[1]), today, today)
            .await
            .unwrap()
            .is_empty()
    );

    // One adult of household 2 enrols: the household leaves the unregistered list.
    let h2 = &listed[2];
    let (iss, e, c) = enrolment(
        900,
        &h2.adults[0].cccd,
        PROVIDERS[0],
        Channel::DoorToDoor,
        AT.plus_seconds(7200),
        730,
    );
    s.enrol(&iss, &e, &c).await.unwrap();
    let uncovered = HouseholdFilter {
        uncovered_only: true,
        ..all.clone()
    };
    assert_eq!(s.count_outreach_households(&uncovered).await.unwrap(), 11);
    assert_eq!(s.count_outreach_households(&mine).await.unwrap(), 3);
    let h2_now = s
        .outreach_household(commune, &h2.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h2_now.covered_adults, 1);
    assert!(h2_now.adults.iter().any(|a| a.covered));
    let pop = s.population_tallies("46", Some(commune)).await.unwrap();
    assert_eq!(pop[0].households_covered, 1);

    // Unassigning.
    assert_eq!(
        s.assign_households(commune, &ids, None, "can-bo-a", AT)
            .await
            .unwrap(),
        4
    );
    assert_eq!(s.count_outreach_households(&unassigned).await.unwrap(), 12);
}

pub async fn training_sessions_list_their_attendees(db: &Db) {
    let s: &dyn Store = &**db;
    let people = load(s).await;
    let t = TrainingRecord {
        id: "tr-1".into(),
        commune_code: COMMUNES[0].into(),
        province_code: "46".into(),
        place: "Nhà văn hóa thôn 1".into(),
        starts_at: AT.plus_days(2),
        topic: "Ký số trên điện thoại".into(),
        created_by: "can-bo-a".into(),
        created_at: AT,
    };
    s.insert_training(&t).await.unwrap();
    assert!(s.insert_training(&t).await.is_err());
    assert_eq!(
        s.training_sessions(COMMUNES[0], AT).await.unwrap(),
        vec![t.clone()]
    );
    assert!(
        s.training_sessions(COMMUNES[0], AT.plus_days(3))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.training_sessions(COMMUNES[1], AT)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.add_attendee("tr-1", &people[0].cccd, AT).await.unwrap());
    assert!(!s.add_attendee("tr-1", &people[0].cccd, AT).await.unwrap());
    assert!(
        s.add_attendee("tr-1", &people[1].cccd, AT.plus_seconds(1))
            .await
            .unwrap()
    );
    let a = s.attendees("tr-1").await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].cccd, people[0].cccd);
    assert!(!a[0].covered);
    assert_eq!(s.get_training("tr-1").await.unwrap(), Some(t));
}

pub async fn a_first_signature_within_30_days_is_counted_once(db: &Db) {
    use kyso_store::credentials::{Charge, RemoteWrite, RemoteWriteOutcome, SadRecord};
    let s: &dyn Store = &**db;
    let people = load(s).await;
    s.insert_client(&super::client("portal")).await.unwrap();
    // Two adults enrol on the same day; one signs after 5 days (twice), one after 40.
    let mut credentials = Vec::new();
    for (n, p) in people.iter().take(2).enumerate() {
        let (iss, e, c) = enrolment(
            700 + n as u32,
            &p.cccd,
            PROVIDERS[0],
            Channel::Online,
            AT,
            730,
        );
        s.enrol(&iss, &e, &c).await.unwrap();
        credentials.push(c.id);
    }
    let mut sad_no = 0u8;
    let mut sign = |credential: String, at: UnixTime| {
        sad_no += 1;
        let sad_hash = vec![sad_no; 32];
        (
            SadRecord {
                sad_hash: sad_hash.clone(),
                credential_id: credential.clone(),
                client_id: "portal".into(),
                hashes: vec!["AAAA".into()],
                num_signatures: 1,
                expires_at: at.plus_seconds(300),
                used_at: None,
            },
            RemoteWrite::SpendSad {
                sad_hash,
                now: at,
                client_id: "portal".into(),
                credential_id: credential.clone(),
                hashes: vec!["AAAA".into()],
                log: super::log_entry(&credential, u32::from(sad_no)),
                charge: Charge::Free,
            },
        )
    };
    for (credential, days) in [
        (credentials[0].clone(), 5),
        (credentials[0].clone(), 6),
        (credentials[1].clone(), 40),
    ] {
        let at = AT.plus_days(days);
        let (sad, spend) = sign(credential.clone(), at);
        s.insert_sad(&sad, &super::log_entry(&credential, 900))
            .await
            .unwrap();
        let out = s.apply_remote_writes(&[spend]).await.unwrap();
        assert!(matches!(out[0], RemoteWriteOutcome::Spent(Some(_), true)));
    }
    assert_eq!(first_uses(s).await, 1);
    s.rebuild_coverage(AT.plus_days(41)).await.unwrap();
    assert_eq!(first_uses(s).await, 1);
    // A suspension takes the adult (and their first use) out; resuming brings both back.
    let serial = s
        .active_enrolment(&people[0].cccd)
        .await
        .unwrap()
        .unwrap()
        .serial;
    s.change_status(&serial, StatusChange::Suspend, AT.plus_days(42))
        .await
        .unwrap();
    assert_eq!(first_uses(s).await, 0);
    s.change_status(&serial, StatusChange::Resume, AT.plus_days(43))
        .await
        .unwrap();
    assert_eq!(first_uses(s).await, 1);
}

async fn first_uses(s: &dyn Store) -> u64 {
    s.coverage_tallies("46", None)
        .await
        .unwrap()
        .iter()
        .map(|r| r.first_use_30d)
        .sum()
}
