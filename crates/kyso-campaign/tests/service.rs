//! The campaign service on both backends: who sees what, figures after changes, outreach
//! steps refused outside the viewer's commune or assignments.

use kyso_campaign::{CampaignError, CampaignPlan, Campaigns, ListKind, Phase, Viewer};
use kyso_core::{CampaignDay, FixedClock, StatusChange, UnixTime, VisitOutcome};
use kyso_keys::{Custody, KeyAlgorithm, KeyRecord};
use kyso_store::citizens::StaffRole;
use kyso_store::credentials::CredentialRecord;
use kyso_store::enrolment::{Channel, EnrolmentRecord, ProviderRecord};
use kyso_store::population::{HouseholdRecord, PersonRecord};
use kyso_store::testing::FreshPostgres;
use kyso_store::{CertificateRecord, NewIssuance, Store};
use std::sync::Arc;

const NOW: UnixTime = UnixTime(1_800_000_000);
/// Two communes of Huế.
const A: &str = "19777";
const B: &str = "19789";

struct Env {
    campaigns: Campaigns,
    store: Arc<dyn Store>,
    people: Vec<PersonRecord>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<FreshPostgres>,
}

impl Env {
    async fn new(postgres: bool) -> Env {
        let (store, dir, pg) = if postgres {
            let pg = FreshPostgres::create()
                .await
                .expect("PostgreSQL on 127.0.0.1:5432");
            (kyso_store::open(&pg.url).await.unwrap(), None, Some(pg))
        } else {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:{}", dir.path().join("k.db").display());
            (kyso_store::open(&url).await.unwrap(), Some(dir), None)
        };
        for id in ["vnpt-demo", "viettel-demo"] {
            store
                .insert_provider(
                    &ProviderRecord {
                        id: id.into(),
                        name: id.into(),
                        issuer: "citizen-ca".into(),
                        created_at: NOW,
                    },
                    &[],
                )
                .await
                .unwrap();
        }
        // 10 households per commune, 2 adults each.
        let mut households = Vec::new();
        let mut people = Vec::new();
        for (c, commune) in [A, B].iter().enumerate() {
            for h in 0..10 {
                let id = format!("46-{commune}-{h:06}");
                households.push(HouseholdRecord {
                    id: id.clone(),
                    commune_code: (*commune).into(),
                    province_code: "46".into(),
                    village: Some(format!("Tổ dân phố {}", h % 3 + 1)),
                    address: Some(format!("Số {}", h + 1)),
                });
                for a in 0..2 {
                    people.push(PersonRecord {
                        cccd: format!("04619000{c}{h:02}{a}"),
                        full_name: format!("Trần Thị Hoa {c}{h}{a}"),
                        birth_date: "1985-05-06".into(),
                        sex: "Nữ".into(),
                        phone: None,
                        household_id: id.clone(),
                        commune_code: (*commune).into(),
                        province_code: "46".into(),
                    });
                }
            }
        }
        store
            .import_population(&households, &people, NOW, "t.csv", &|_| {})
            .await
            .unwrap();
        let clock = Arc::new(FixedClock::new(NOW));
        let campaigns = Campaigns::new(store.clone(), clock);
        let start = CampaignDay::of(NOW).plus(-30);
        campaigns
            .create_campaign(
                None,
                &CampaignPlan {
                    id: "hue-2026".into(),
                    name: "Chiến dịch Huế 2026".into(),
                    province_code: "46".into(),
                    communes: Vec::new(),
                    target_permille: 500,
                    phases: vec![Phase {
                        name: "Giai đoạn 1".into(),
                        starts: start.iso(),
                        ends: start.plus(90).iso(),
                        channels: vec!["door_to_door".into()],
                    }],
                    providers: vec!["vnpt-demo".into()],
                },
            )
            .await
            .unwrap();
        Env {
            campaigns,
            store,
            people,
            _dir: dir,
            pg,
        }
    }

    async fn enrol(&self, n: u32, cccd: &str, provider: &str, at: UnixTime) -> String {
        let key = KeyRecord {
            id: format!("{n:032x}"),
            algorithm: KeyAlgorithm::P256,
            custody: Custody::Software,
            public_key_der: vec![7; 91],
            material: vec![0xAA; 60],
        };
        let serial = format!("d{n:07x}");
        let cert = CertificateRecord {
            serial: serial.clone(),
            issuer: "citizen-ca".into(),
            profile: "citizen".into(),
            subject: format!("CN=x, UID=CCCD:{cccd}"),
            subject_id: Some(format!("CCCD:{cccd}")),
            not_before: at,
            not_after: at.plus_days(730),
            der: vec![0x30, 0x03, 0x02, 0x01, 0x01],
            key_id: Some(key.id.clone()),
            crl_shard: 1,
            status: kyso_core::CertStatus::Valid,
            status_reason: None,
            status_changed_at: None,
            created_at: at,
        };
        let e = EnrolmentRecord {
            id: format!("e{n}"),
            cccd: cccd.into(),
            provider: provider.into(),
            channel: Channel::DoorToDoor,
            serial: serial.clone(),
            active: true,
            created_at: at,
            ended: None,
        };
        let c = CredentialRecord {
            id: key.id.clone(),
            serial: serial.clone(),
            subject_id: format!("CCCD:{cccd}"),
            pin_hash: vec![1; 48],
            pin_failures: 0,
            totp_secret: None,
            totp_last_step: None,
            created_at: at,
            metering: None,
        };
        self.store
            .enrol(
                &NewIssuance {
                    key: Some(key),
                    cert,
                },
                &e,
                &c,
            )
            .await
            .unwrap();
        serial
    }

    async fn finish(self) {
        drop(self.campaigns);
        drop(self.store);
        if let Some(pg) = self.pg {
            pg.drop_database().await.unwrap();
        }
    }
}

fn forbidden<T>(r: Result<T, CampaignError>) -> bool {
    matches!(r, Err(CampaignError::Forbidden(_)))
}

fn viewer(id: &str, role: StaffRole, scope: &str) -> Viewer {
    Viewer {
        id: id.into(),
        role,
        scope: scope.into(),
    }
}

async fn figures_follow_enrolments_and_suspensions(env: &Env) {
    let province = viewer("tinh", StaffRole::Province, "46");
    // 6 adults of A over the last days, 2 of B; one of A suspended.
    let mut serials = Vec::new();
    for (i, p) in env
        .people
        .iter()
        .filter(|p| p.commune_code == A)
        .take(6)
        .enumerate()
    {
        serials.push(
            env.enrol(
                i as u32,
                &p.cccd,
                "vnpt-demo",
                NOW.plus_seconds(-(i as i64) * 86_400),
            )
            .await,
        );
    }
    for (i, p) in env
        .people
        .iter()
        .filter(|p| p.commune_code == B)
        .take(2)
        .enumerate()
    {
        env.enrol(
            100 + i as u32,
            &p.cccd,
            "viettel-demo",
            NOW.plus_seconds(-3600),
        )
        .await;
    }
    env.store
        .change_status(&serials[0], StatusChange::Suspend, NOW)
        .await
        .unwrap();
    let r = env
        .campaigns
        .coverage(&province, Some("46"), None)
        .await
        .unwrap();
    assert_eq!(r.total.adults, 40);
    assert_eq!(r.total.covered, 7);
    assert_eq!(r.total.gap_to_target, 13);
    assert_eq!(r.target_permille, 500);
    assert_eq!(r.phase.as_deref(), Some("Giai đoạn 1"));
    let a = r.communes.iter().find(|c| c.code == A).unwrap();
    assert_eq!((a.figures.covered, a.figures.adults), (5, 20));
    assert_eq!(a.figures.share_permille, 250);
    assert_eq!(a.figures.by_provider.get("vnpt-demo"), Some(&5));
    assert!(a.name.contains("Huế") || !a.name.is_empty());
    assert_eq!(r.trend.last().unwrap().covered, 7);
    let p = r.projection.expect("a pace");
    assert!(p.pace_per_day > 0.0 && p.projected_covered >= 7, "{p:?}");

    // The commune officer sees their commune only; the provider only their split.
    let officer = viewer("can-bo-a", StaffRole::Commune, A);
    let mine = env.campaigns.coverage(&officer, None, None).await.unwrap();
    assert_eq!(mine.communes.len(), 1);
    assert_eq!(mine.total.covered, 5);
    let provider = viewer("nv-viettel", StaffRole::Provider, "viettel-demo");
    let theirs = env
        .campaigns
        .coverage(&provider, Some("46"), None)
        .await
        .unwrap();
    assert_eq!(theirs.total.covered, 7);
    assert_eq!(
        theirs.total.by_provider.keys().collect::<Vec<_>>(),
        ["viettel-demo"]
    );

    // The maintenance sweep finds nothing expired yet (certificates run two years).
    assert_eq!(env.campaigns.sweep_expired().await.unwrap(), 0);

    // Resuming brings the adult back.
    env.store
        .change_status(&serials[0], StatusChange::Resume, NOW)
        .await
        .unwrap();
    let r = env
        .campaigns
        .coverage(&province, Some("46"), None)
        .await
        .unwrap();
    assert_eq!(r.total.covered, 8);
}

async fn roles_reach_only_their_scope(env: &Env) {
    let c = &env.campaigns;
    let officer_a = viewer("can-bo-a", StaffRole::Commune, A);
    let team_a = viewer("doi-a", StaffRole::Team, A);
    let province = viewer("tinh", StaffRole::Province, "46");
    let other_province = viewer("tinh-hn", StaffRole::Province, "01");

    assert!(forbidden(c.coverage(&officer_a, Some("46"), Some(B)).await));
    assert!(forbidden(
        c.coverage(&other_province, Some("46"), None).await
    ));
    assert!(matches!(
        c.coverage(&province, Some("46"), Some("00004")).await,
        Err(CampaignError::NotFound(_))
    ));
    assert!(forbidden(
        c.households(&officer_a, B, ListKind::Unregistered, None, None, 50)
            .await
    ));
    assert!(forbidden(
        c.households(&province, A, ListKind::Unregistered, None, None, 50)
            .await
    ));
    assert!(forbidden(c.unregistered_adults(&team_a, A, None).await));
    assert!(forbidden(c.unregistered_adults(&province, A, None).await));
    assert_eq!(
        c.unregistered_adults(&officer_a, A, None)
            .await
            .unwrap()
            .len(),
        20
    );

    // Assignment: only A's officer, only to A's team members.
    env.store
        .insert_staff(&kyso_store::citizens::StaffRecord {
            id: "doi-a".into(),
            name: "Đội A".into(),
            role: StaffRole::Team,
            scope: A.into(),
            password_hash: vec![0; 48],
            created_at: NOW,
        })
        .await
        .unwrap();
    let page = c
        .households(
            &officer_a,
            A,
            ListKind::Unregistered,
            Some("Tổ dân phố 1"),
            None,
            2,
        )
        .await
        .unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(page.households.len(), 2);
    assert!(page.next.is_some());
    let ids: Vec<String> = page.households.iter().map(|h| h.id.clone()).collect();
    assert!(forbidden(c.assign(&team_a, A, &ids, Some("doi-a")).await));
    assert!(forbidden(c.assign(&province, A, &ids, Some("doi-a")).await));
    assert!(matches!(
        c.assign(&officer_a, A, &ids, Some("can-bo-a")).await,
        Err(CampaignError::InvalidInput(_))
    ));
    assert_eq!(
        c.assign(&officer_a, A, &ids, Some("doi-a")).await.unwrap(),
        2
    );

    // The team member's day: their two households; a visit on another household refused.
    let today = c.todays_list(&team_a).await.unwrap();
    assert_eq!(today.iter().map(|h| h.id.clone()).collect::<Vec<_>>(), ids);
    let theirs = c
        .households(&team_a, A, ListKind::All, None, None, 50)
        .await
        .unwrap();
    assert_eq!(theirs.total, 2);
    let other = format!("46-{A}-000009");
    assert!(forbidden(
        c.record_visit(&team_a, &other, VisitOutcome::NotHome, None, None)
            .await
    ));
    assert!(forbidden(c.household(&team_a, A, &other).await));
    c.record_visit(
        &team_a,
        &ids[0],
        VisitOutcome::NotHome,
        None,
        Some("Hẹn chiều mai"),
    )
    .await
    .unwrap();
    let (h, visits) = c.household(&team_a, A, &ids[0]).await.unwrap();
    assert_eq!(h.last_outcome, Some(VisitOutcome::NotHome));
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].note.as_deref(), Some("Hẹn chiều mai"));
    // Control characters in a note are refused; nothing is written.
    assert!(matches!(
        c.record_visit(
            &team_a,
            &ids[1],
            VisitOutcome::Refused,
            None,
            Some("a\u{7}b")
        )
        .await,
        Err(CampaignError::InvalidInput(_))
    ));
    assert!(c.household(&team_a, A, &ids[1]).await.unwrap().1.is_empty());
    // Province and provider staff record nothing.
    assert!(forbidden(
        c.record_visit(&province, &ids[1], VisitOutcome::Refused, None, None)
            .await
    ));
    // The officer's visit tallies show the team member's visit; B's officer's do not.
    let tallies = c.visit_tallies(&officer_a, None, 7).await.unwrap();
    assert_eq!(tallies.iter().map(|t| t.visits).sum::<u64>(), 1);
    let officer_b = viewer("can-bo-b", StaffRole::Commune, B);
    assert!(
        c.visit_tallies(&officer_b, None, 7)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(forbidden(c.visit_tallies(&officer_b, Some(A), 7).await));

    // Training: A's officer plans, adds an A adult; a B adult is "not found" either way.
    let t = c
        .create_training(
            &officer_a,
            "Nhà văn hóa Tổ dân phố 1",
            NOW.plus_days(2),
            "Ký số trên điện thoại",
        )
        .await
        .unwrap();
    let a_adult = env.people.iter().find(|p| p.commune_code == A).unwrap();
    let b_adult = env.people.iter().find(|p| p.commune_code == B).unwrap();
    assert!(
        c.add_attendee(&officer_a, &t.id, &a_adult.cccd)
            .await
            .unwrap()
    );
    assert!(matches!(
        c.add_attendee(&officer_a, &t.id, &b_adult.cccd).await,
        Err(CampaignError::NotFound(_))
    ));
    assert!(forbidden(
        c.add_attendee(&officer_b, &t.id, &b_adult.cccd).await
    ));
    assert!(forbidden(c.training(&officer_b, &t.id).await));
    assert_eq!(c.training(&officer_a, &t.id).await.unwrap().1.len(), 1);
}

async fn a_plan_is_checked_before_it_is_stored(env: &Env) {
    let c = &env.campaigns;
    let good = CampaignPlan {
        id: "hue-2027".into(),
        name: "Huế 2027".into(),
        province_code: "46".into(),
        communes: vec![A.into()],
        target_permille: 700,
        phases: vec![Phase {
            name: "Một".into(),
            starts: "2027-01-01".into(),
            ends: "2027-03-31".into(),
            channels: vec!["online".into()],
        }],
        providers: vec!["vnpt-demo".into()],
    };
    let bad = |f: &dyn Fn(&mut CampaignPlan)| {
        let mut p = good.clone();
        f(&mut p);
        p
    };
    for plan in [
        bad(&|p| p.id = "Huế".into()),
        bad(&|p| p.communes = vec!["00004".into()]),
        bad(&|p| p.target_permille = 0),
        bad(&|p| p.phases[0].ends = "2026-12-31".into()),
        bad(&|p| p.phases[0].channels = vec!["fax".into()]),
        bad(&|p| p.phases[0].starts = "2027-02-30".into()),
        bad(&|p| p.providers = vec!["nobody".into()]),
        bad(&|p| p.name = "a\u{0}b".into()),
    ] {
        assert!(
            matches!(
                c.create_campaign(None, &plan).await,
                Err(CampaignError::InvalidInput(_))
            ),
            "{plan:?}"
        );
    }
    let officer = viewer("can-bo-a", StaffRole::Commune, A);
    assert!(matches!(
        c.create_campaign(Some(&officer), &good).await,
        Err(CampaignError::Forbidden(_))
    ));
    c.create_campaign(Some(&viewer("tinh", StaffRole::Province, "46")), &good)
        .await
        .unwrap();
    assert!(
        c.create_campaign(None, &good).await.is_err(),
        "ids are unique"
    );
    assert_eq!(c.campaigns("46").await.unwrap().len(), 2);
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { let env = super::Env::new(false).await; super::$name(&env).await; env.finish().await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { let env = super::Env::new(true).await; super::$name(&env).await; env.finish().await; })*
        }
    };
}

both!(
    figures_follow_enrolments_and_suspensions,
    roles_reach_only_their_scope,
    a_plan_is_checked_before_it_is_stored
);
