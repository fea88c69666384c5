//! One conformance suite, run against both backends. Every test gets a fresh database: a
//! new SQLite file, or a new PostgreSQL database on the test server (127.0.0.1:5432).

use kyso_core::{CertStatus, RevocationReason, StatusChange, StatusError, UnixTime};
use kyso_keys::{Custody, KeyAlgorithm, KeyRecord};
use kyso_store::testing::FreshPostgres;
use kyso_store::{
    AuthorityRecord, CertFilter, CertificateRecord, NewAuthority, NewIssuance, Store, StoreError,
};
use std::sync::Arc;

#[path = "conformance/dossiers.rs"]
mod dossiers;
use dossiers::*;
#[path = "conformance/campaign.rs"]
mod campaign;
use campaign::*;

const T0: UnixTime = UnixTime(1_795_459_507);

struct Db {
    store: Arc<dyn Store>,
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<FreshPostgres>,
}

impl Db {
    async fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("kyso.db").display());
        let store = kyso_store::open(&url).await.unwrap();
        Db {
            store,
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    async fn postgres() -> Db {
        let pg = FreshPostgres::create()
            .await
            .expect("PostgreSQL must answer on 127.0.0.1:5432 (scripts/test starts it)");
        let store = kyso_store::open(&pg.url).await.unwrap();
        Db {
            store,
            url: pg.url.clone(),
            _dir: None,
            pg: Some(pg),
        }
    }

    async fn finish(self) {
        drop(self.store);
        if let Some(pg) = self.pg {
            pg.drop_database().await.unwrap();
        }
    }
}

fn key(n: u8) -> KeyRecord {
    KeyRecord {
        id: format!("{n:032x}"),
        algorithm: KeyAlgorithm::P256,
        custody: Custody::Software,
        public_key_der: vec![n; 91],
        material: vec![0xAA; 60],
    }
}

fn cert(serial: &str, key_id: Option<&str>) -> CertificateRecord {
    CertificateRecord {
        serial: serial.to_owned(),
        issuer: "citizen-ca".into(),
        profile: "citizen".into(),
        subject: "C=VN, ST=Huế, CN=Nguyễn Thị Lan, UID=CCCD:046190012345".into(),
        subject_id: Some("CCCD:046190012345".into()),
        not_before: T0,
        not_after: T0.plus_days(1095),
        der: vec![0x30, 0x03, 0x02, 0x01, 0x01],
        key_id: key_id.map(str::to_owned),
        crl_shard: 7,
        status: CertStatus::Valid,
        status_reason: None,
        status_changed_at: None,
        created_at: T0,
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { let db = super::Db::sqlite().await; super::$name(&db).await; db.finish().await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { let db = super::Db::postgres().await; super::$name(&db).await; db.finish().await; })*
        }
    };
}

conformance!(
    coverage_tallies_match_a_brute_force_count,
    outreach_lists_assignments_and_visits,
    training_sessions_list_their_attendees,
    a_first_signature_within_30_days_is_counted_once,
    dossiers_move_through_their_life,
    refused_and_stale_moves_change_nothing,
    racing_officers_decide_once,
    concurrent_deliveries_of_one_payment_pay_once,
    settings_upsert,
    certificates_round_trip_with_their_keys,
    batch_is_all_or_nothing,
    duplicate_serial_is_refused,
    lifecycle_is_recorded_with_times_and_reasons,
    refused_changes_change_nothing,
    racing_revocations_apply_once,
    list_filters_and_pages,
    authorities_are_stored_with_key_and_certificate,
    vietnamese_text_round_trips,
    audit_log_records_every_change_in_a_verified_chain,
    audit_log_detects_altered_entries,
    audit_log_detects_removed_entries,
    status_changes_are_listed_in_order,
    sequences_are_reserved_in_disjoint_increasing_blocks,
    revoked_entries_are_the_unvalid_certificates_of_a_shard_in_serial_order,
    clients_and_credentials_round_trip,
    pin_failures_and_totp_steps_move_only_from_what_was_read,
    a_sad_is_spent_once_and_never_after_it_expires,
    the_transparency_log_appends_leaves_and_keeps_its_frontier,
    grouped_remote_writes_apply_in_order_and_all_or_nothing,
    signature_requests_are_decided_once_while_waiting,
    passkeys_round_trip_and_their_counters_only_move_from_what_was_read,
    a_population_import_is_all_or_nothing,
    fifty_concurrent_enrolments_leave_one_certificate,
    switching_provider_supersedes_the_old_certificate_in_one_step,
    a_quota_is_never_overrun_by_concurrent_signatures,
    a_revocation_ends_the_enrolment,
    staff_access_log_codes_and_the_sms_outbox,
);

impl Db {
    /// Runs SQL behind kyso's back, as an attacker with database access would.
    async fn tamper(&self, sql: &'static str) {
        if self.url.starts_with("sqlite:") {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        } else {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }
}

impl std::ops::Deref for Db {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        &*self.store
    }
}

async fn some_history(s: &dyn Store) {
    s.put_setting("public_url", "http://a").await.unwrap();
    let batch: Vec<_> = (0..3u8)
        .map(|i| NewIssuance {
            key: None,
            cert: cert(&format!("e{i}"), None),
        })
        .collect();
    s.insert_certificates(&batch).await.unwrap();
    s.change_status("e1", StatusChange::Suspend, T0)
        .await
        .unwrap();
    s.change_status(
        "e1",
        StatusChange::Revoke(RevocationReason::KeyCompromise),
        T0,
    )
    .await
    .unwrap();
}

async fn audit_log_records_every_change_in_a_verified_chain(db: &Db) {
    some_history(&**db).await;
    // A refused change is not recorded.
    assert!(
        db.change_status("e1", StatusChange::Resume, T0)
            .await
            .is_err()
    );
    let log = db.audit_log(0, 100).await.unwrap();
    let actions: Vec<_> = log
        .iter()
        .map(|e| (e.action.as_str(), e.subject.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("setting.put", "public_url"),
            ("certificate.issue", "e0"),
            ("certificate.issue", "e1"),
            ("certificate.issue", "e2"),
            ("certificate.suspend", "e1"),
            ("certificate.revoke", "e1"),
        ]
    );
    assert_eq!(log[5].detail, "reason=keyCompromise");
    assert_eq!(kyso_store::verify_audit_log(&**db).await.unwrap(), Ok(6));
    assert_eq!(db.audit_head().await.unwrap().0, 6);
}

async fn audit_log_detects_altered_entries(db: &Db) {
    some_history(&**db).await;
    db.tamper("UPDATE audit_log SET detail = 'reason=superseded' WHERE seq = 6")
        .await;
    let broken = kyso_store::verify_audit_log(&**db)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.seq, 6);
    assert!(broken.reason.contains("altered"), "{broken}");
}

async fn audit_log_detects_removed_entries(db: &Db) {
    some_history(&**db).await;
    db.tamper("DELETE FROM audit_log WHERE seq = 3").await;
    let broken = kyso_store::verify_audit_log(&**db)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.seq, 4, "{broken}");
    db.tamper("DELETE FROM audit_log WHERE seq >= 3").await;
    let broken = kyso_store::verify_audit_log(&**db)
        .await
        .unwrap()
        .unwrap_err();
    assert!(broken.reason.contains("removed"), "{broken}");
}

async fn settings_upsert(db: &Db) {
    let s: &dyn Store = &**db;
    settings_upsert_on(s).await
}

async fn settings_upsert_on(s: &dyn Store) {
    assert_eq!(s.get_setting("public_url").await.unwrap(), None);
    s.put_setting("public_url", "http://a").await.unwrap();
    s.put_setting("public_url", "http://b").await.unwrap();
    assert_eq!(
        s.get_setting("public_url").await.unwrap().as_deref(),
        Some("http://b")
    );
}

async fn certificates_round_trip_with_their_keys(db: &Db) {
    let s: &dyn Store = &**db;
    certificates_round_trip_with_their_keys_on(s).await
}

async fn certificates_round_trip_with_their_keys_on(s: &dyn Store) {
    let k = key(1);
    let c = cert("0a01", Some(&k.id));
    s.insert_certificates(&[NewIssuance {
        key: Some(k.clone()),
        cert: c.clone(),
    }])
    .await
    .unwrap();
    assert_eq!(s.get_certificate("0a01").await.unwrap(), Some(c));
    assert_eq!(s.get_key(&k.id).await.unwrap(), Some(k));
    assert_eq!(s.get_certificate("ffff").await.unwrap(), None);
    assert_eq!(s.count_certificates().await.unwrap(), 1);
}

async fn batch_is_all_or_nothing(db: &Db) {
    let s: &dyn Store = &**db;
    batch_is_all_or_nothing_on(s).await
}

async fn batch_is_all_or_nothing_on(s: &dyn Store) {
    s.insert_certificates(&[NewIssuance {
        key: None,
        cert: cert("05", None),
    }])
    .await
    .unwrap();
    // The third item collides with an existing serial: the first two must not survive.
    let batch = vec![
        NewIssuance {
            key: Some(key(2)),
            cert: cert("06", Some(&key(2).id)),
        },
        NewIssuance {
            key: None,
            cert: cert("07", None),
        },
        NewIssuance {
            key: None,
            cert: cert("05", None),
        },
    ];
    assert!(matches!(
        s.insert_certificates(&batch).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(s.get_certificate("06").await.unwrap(), None);
    assert_eq!(s.get_certificate("07").await.unwrap(), None);
    assert_eq!(s.get_key(&key(2).id).await.unwrap(), None);
    assert_eq!(s.count_certificates().await.unwrap(), 1);
}

async fn duplicate_serial_is_refused(db: &Db) {
    let s: &dyn Store = &**db;
    duplicate_serial_is_refused_on(s).await
}

async fn duplicate_serial_is_refused_on(s: &dyn Store) {
    s.insert_certificates(&[NewIssuance {
        key: None,
        cert: cert("01", None),
    }])
    .await
    .unwrap();
    let again = s
        .insert_certificates(&[NewIssuance {
            key: None,
            cert: cert("01", None),
        }])
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
}

async fn lifecycle_is_recorded_with_times_and_reasons(db: &Db) {
    let s: &dyn Store = &**db;
    lifecycle_is_recorded_with_times_and_reasons_on(s).await
}

async fn lifecycle_is_recorded_with_times_and_reasons_on(s: &dyn Store) {
    s.insert_certificates(&[NewIssuance {
        key: None,
        cert: cert("aa", None),
    }])
    .await
    .unwrap();
    let c = s
        .change_status("aa", StatusChange::Suspend, T0.plus_seconds(10))
        .await
        .unwrap();
    assert_eq!(c.status, CertStatus::Suspended);
    assert_eq!(c.status_reason, Some(RevocationReason::CertificateHold));
    let c = s
        .change_status("aa", StatusChange::Resume, T0.plus_seconds(20))
        .await
        .unwrap();
    assert_eq!((c.status, c.status_reason), (CertStatus::Valid, None));
    let c = s
        .change_status(
            "aa",
            StatusChange::Revoke(RevocationReason::KeyCompromise),
            T0.plus_seconds(30),
        )
        .await
        .unwrap();
    assert_eq!(c.status, CertStatus::Revoked);
    assert_eq!(c.status_reason, Some(RevocationReason::KeyCompromise));
    assert_eq!(c.status_changed_at, Some(T0.plus_seconds(30)));
    let h = s.status_history("aa").await.unwrap();
    let summary: Vec<_> = h
        .iter()
        .map(|e| (e.event.as_str(), e.reason, e.at.seconds() - T0.seconds()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("suspend", Some(RevocationReason::CertificateHold), 10),
            ("resume", None, 20),
            ("revoke", Some(RevocationReason::KeyCompromise), 30)
        ]
    );
}

async fn refused_changes_change_nothing(db: &Db) {
    let s: &dyn Store = &**db;
    refused_changes_change_nothing_on(s).await
}

async fn refused_changes_change_nothing_on(s: &dyn Store) {
    s.insert_certificates(&[NewIssuance {
        key: None,
        cert: cert("bb", None),
    }])
    .await
    .unwrap();
    let revoke = StatusChange::Revoke(RevocationReason::Superseded);
    s.change_status("bb", revoke, T0).await.unwrap();
    let twice = s.change_status("bb", revoke, T0.plus_seconds(5)).await;
    assert!(
        matches!(
            twice,
            Err(StoreError::Status {
                source: StatusError::AlreadyRevoked,
                ..
            })
        ),
        "{twice:?}"
    );
    let resume = s
        .change_status("bb", StatusChange::Resume, T0.plus_seconds(5))
        .await;
    assert!(matches!(
        resume,
        Err(StoreError::Status {
            source: StatusError::ResumeRevoked,
            ..
        })
    ));
    assert!(matches!(
        s.change_status("nope", revoke, T0).await,
        Err(StoreError::UnknownSerial(_))
    ));
    assert_eq!(s.status_history("bb").await.unwrap().len(), 1);
    let c = s.get_certificate("bb").await.unwrap().unwrap();
    assert_eq!(
        (c.status_reason, c.status_changed_at),
        (Some(RevocationReason::Superseded), Some(T0))
    );
}

async fn racing_revocations_apply_once(db: &Db) {
    let s: &dyn Store = &**db;
    racing_revocations_apply_once_on(s).await
}

async fn racing_revocations_apply_once_on(s: &dyn Store) {
    s.insert_certificates(&[NewIssuance {
        key: None,
        cert: cert("cc", None),
    }])
    .await
    .unwrap();
    let results = futures_join_all(s, 8).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(s.status_history("cc").await.unwrap().len(), 1);
}

async fn futures_join_all(s: &dyn Store, n: usize) -> Vec<Result<CertificateRecord, StoreError>> {
    // Run n revocations concurrently on the same store (and so on several pool connections).
    let mut set = Vec::new();
    for i in 0..n {
        set.push(s.change_status(
            "cc",
            StatusChange::Revoke(RevocationReason::KeyCompromise),
            T0.plus_seconds(i as i64),
        ));
    }
    let mut out = Vec::new();
    let joined = join_all(set).await;
    out.extend(joined);
    out
}

async fn join_all<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

async fn list_filters_and_pages(db: &Db) {
    let s: &dyn Store = &**db;
    list_filters_and_pages_on(s).await
}

async fn list_filters_and_pages_on(s: &dyn Store) {
    let batch: Vec<_> = (0..10u8)
        .map(|i| NewIssuance {
            key: None,
            cert: cert(&format!("{i:02x}"), None),
        })
        .collect();
    s.insert_certificates(&batch).await.unwrap();
    s.change_status("03", StatusChange::Suspend, T0)
        .await
        .unwrap();
    s.change_status(
        "05",
        StatusChange::Revoke(RevocationReason::Unspecified),
        T0,
    )
    .await
    .unwrap();
    let all = s.list_certificates(&CertFilter::default()).await.unwrap();
    assert_eq!(all.len(), 10);
    assert!(all.windows(2).all(|w| w[0].serial < w[1].serial));
    let status = |st| CertFilter {
        status: Some(st),
        ..Default::default()
    };
    assert_eq!(
        s.list_certificates(&status(CertStatus::Suspended))
            .await
            .unwrap()[0]
            .serial,
        "03"
    );
    assert_eq!(
        s.list_certificates(&status(CertStatus::Revoked))
            .await
            .unwrap()[0]
            .serial,
        "05"
    );
    assert_eq!(
        s.list_certificates(&status(CertStatus::Valid))
            .await
            .unwrap()
            .len(),
        8
    );
    let page = CertFilter {
        after_serial: Some("06".into()),
        limit: Some(2),
        ..Default::default()
    };
    let got: Vec<_> = s
        .list_certificates(&page)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.serial)
        .collect();
    assert_eq!(got, vec!["07", "08"]);
}

async fn authorities_are_stored_with_key_and_certificate(db: &Db) {
    let s: &dyn Store = &**db;
    authorities_are_stored_with_key_and_certificate_on(s).await
}

async fn authorities_are_stored_with_key_and_certificate_on(s: &dyn Store) {
    let k = key(9);
    let mut c = cert("ca01", None);
    c.profile = "issuing-ca".into();
    c.issuer = "root".into();
    let a = AuthorityRecord {
        slug: "citizen-ca".into(),
        role: "issuing-ca".into(),
        serial: "ca01".into(),
        key_id: k.id.clone(),
        scheme: "ecdsa-with-SHA256".into(),
        created_at: T0,
    };
    let settings = [("ca.public_url", "http://ca.kyso.vn".to_owned())];
    s.initialise(
        &[NewAuthority {
            key: k.clone(),
            cert: c.clone(),
            authority: a.clone(),
        }],
        &settings,
    )
    .await
    .unwrap();
    assert_eq!(
        s.get_setting("ca.public_url").await.unwrap().as_deref(),
        Some("http://ca.kyso.vn")
    );
    assert_eq!(s.authorities().await.unwrap(), vec![a.clone()]);
    assert_eq!(s.get_key(&k.id).await.unwrap(), Some(k.clone()));
    // A second initialisation fails and leaves no stray key, certificate or setting.
    let k2 = key(10);
    let c2 = cert("ca02", None);
    let mut a2 = a.clone();
    a2.slug = "seal-ca".into();
    let again = s
        .initialise(
            &[NewAuthority {
                key: k2.clone(),
                cert: c2,
                authority: a2,
            }],
            &[("x", "y".into())],
        )
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    assert_eq!(s.get_setting("x").await.unwrap(), None);
    assert_eq!(s.get_key(&k2.id).await.unwrap(), None);
    assert_eq!(s.get_certificate("ca02").await.unwrap(), None);
}

async fn vietnamese_text_round_trips(db: &Db) {
    let s: &dyn Store = &**db;
    vietnamese_text_round_trips_on(s).await
}

async fn vietnamese_text_round_trips_on(s: &dyn Store) {
    let mut c = cert("dd", None);
    c.subject =
        "C=VN, ST=Thừa Thiên Huế, L=Phường Phú Hội, CN=Huỳnh Thị Ngọc Ánh, UID=CCCD:046190012345"
            .into();
    s.insert_certificates(&[NewIssuance {
        key: None,
        cert: c.clone(),
    }])
    .await
    .unwrap();
    assert_eq!(
        s.get_certificate("dd").await.unwrap().unwrap().subject,
        c.subject
    );
}

async fn status_changes_are_listed_in_order(db: &Db) {
    let s: &dyn Store = &**db;
    assert_eq!(s.last_status_change_id().await.unwrap(), 0);
    assert!(s.status_changes_after(0, 10).await.unwrap().is_empty());
    for serial in ["d1", "d2"] {
        s.insert_certificates(&[NewIssuance {
            key: None,
            cert: cert(serial, None),
        }])
        .await
        .unwrap();
    }
    s.change_status("d1", StatusChange::Suspend, T0)
        .await
        .unwrap();
    s.change_status(
        "d2",
        StatusChange::Revoke(RevocationReason::KeyCompromise),
        T0,
    )
    .await
    .unwrap();
    s.change_status("d1", StatusChange::Resume, T0)
        .await
        .unwrap();
    let all = s.status_changes_after(0, 10).await.unwrap();
    let serials: Vec<_> = all.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(serials, ["d1", "d2", "d1"]);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    let last = s.last_status_change_id().await.unwrap();
    assert_eq!(last, all[2].0);
    // A reader that remembers where it stopped sees only what came after.
    let after_first = s.status_changes_after(all[0].0, 10).await.unwrap();
    assert_eq!(after_first, all[1..].to_vec());
    assert_eq!(
        s.status_changes_after(all[0].0, 1).await.unwrap(),
        all[1..2].to_vec()
    );
    assert!(s.status_changes_after(last, 10).await.unwrap().is_empty());
    // A refused change records nothing.
    assert!(
        s.change_status("d2", StatusChange::Resume, T0)
            .await
            .is_err()
    );
    assert_eq!(s.last_status_change_id().await.unwrap(), last);
}

async fn sequences_are_reserved_in_disjoint_increasing_blocks(db: &Db) {
    let s: &dyn Store = &**db;
    assert_eq!(s.reserve_sequence("tsa.serial", 100).await.unwrap(), 1);
    assert_eq!(s.reserve_sequence("tsa.serial", 100).await.unwrap(), 101);
    assert_eq!(s.reserve_sequence("other", 1).await.unwrap(), 1);
    assert!(s.reserve_sequence("tsa.serial", 0).await.is_err());
    // Concurrent reservations never overlap.
    let firsts = join_all(
        (0..8)
            .map(|_| s.reserve_sequence("tsa.serial", 10))
            .collect(),
    )
    .await;
    let mut firsts: Vec<u64> = firsts.into_iter().map(Result::unwrap).collect();
    firsts.sort();
    assert_eq!(firsts, (0..8).map(|i| 201 + 10 * i).collect::<Vec<u64>>());
}

async fn revoked_entries_are_the_unvalid_certificates_of_a_shard_in_serial_order(db: &Db) {
    let s: &dyn Store = &**db;
    assert!(
        s.revoked_entries("citizen-ca", Some(7))
            .await
            .unwrap()
            .is_empty()
    );
    let mut batch = Vec::new();
    for (serial, shard, issuer) in [
        ("f0", 7, "citizen-ca"),
        ("0b", 7, "citizen-ca"),
        ("a1", 7, "citizen-ca"),
        ("c2", 7, "citizen-ca"),
        ("d3", 3, "citizen-ca"),
        ("e4", 7, "seal-ca"),
    ] {
        let mut c = cert(serial, None);
        c.crl_shard = shard;
        c.issuer = issuer.into();
        batch.push(NewIssuance { key: None, cert: c });
    }
    s.insert_certificates(&batch).await.unwrap();
    let revoke = |serial, r| s.change_status(serial, StatusChange::Revoke(r), T0.plus_seconds(5));
    revoke("f0", RevocationReason::Unspecified).await.unwrap();
    revoke("0b", RevocationReason::KeyCompromise).await.unwrap();
    revoke("d3", RevocationReason::Superseded).await.unwrap();
    revoke("e4", RevocationReason::Superseded).await.unwrap();
    s.change_status("a1", StatusChange::Suspend, T0.plus_seconds(9))
        .await
        .unwrap();
    // Suspended, then resumed: not listed any more.
    s.change_status("c2", StatusChange::Suspend, T0)
        .await
        .unwrap();
    s.change_status("c2", StatusChange::Resume, T0)
        .await
        .unwrap();

    let entries = s.revoked_entries("citizen-ca", Some(7)).await.unwrap();
    let got: Vec<_> = entries
        .iter()
        .map(|e| (e.serial.as_str(), e.status, e.reason, e.since))
        .collect();
    assert_eq!(
        got,
        [
            (
                "0b",
                CertStatus::Revoked,
                Some(RevocationReason::KeyCompromise),
                T0.plus_seconds(5)
            ),
            (
                "a1",
                CertStatus::Suspended,
                Some(RevocationReason::CertificateHold),
                T0.plus_seconds(9)
            ),
            (
                "f0",
                CertStatus::Revoked,
                Some(RevocationReason::Unspecified),
                T0.plus_seconds(5)
            ),
        ]
    );
    // All shards of the issuer.
    let all = s.revoked_entries("citizen-ca", None).await.unwrap();
    let serials: Vec<_> = all.iter().map(|e| e.serial.as_str()).collect();
    assert_eq!(serials, ["0b", "a1", "d3", "f0"]);
}

use kyso_store::credentials::TransactionRecord;
use kyso_store::credentials::{ClientRecord, CredentialRecord, LogHead, NewLogEntry, SadRecord};

fn log_entry(credential: &str, n: u32) -> NewLogEntry {
    NewLogEntry {
        credential_id: credential.into(),
        kind: "sign".into(),
        at: T0.plus_seconds(i64::from(n)),
        leaf: format!("{{\"n\":{n}}}").into_bytes(),
    }
}

fn client(id: &str) -> ClientRecord {
    ClientRecord {
        client_id: id.into(),
        name: "Cổng dịch vụ công tỉnh".into(),
        secret_hash: vec![9; 32],
        callback_url: Some("https://dichvucong.example.vn/callback".into()),
        purpose: "public-service".into(),
        created_at: T0,
    }
}

/// A credential record (not stored) on key `key_id` for `subject`'s certificate `serial`.
fn bare_credential(key_id: &str, subject: &str, serial: &str) -> CredentialRecord {
    CredentialRecord {
        id: key_id.into(),
        serial: serial.into(),
        subject_id: subject.into(),
        pin_hash: vec![1; 48],
        pin_failures: 0,
        totp_secret: None,
        totp_last_step: None,
        created_at: T0,
        metering: None,
    }
}

/// The credential that goes with an enrolment's certificate.
fn enrolment_credential(
    issuance: &NewIssuance,
    e: &kyso_store::enrolment::EnrolmentRecord,
) -> CredentialRecord {
    bare_credential(
        &issuance.key.as_ref().expect("a generated key").id,
        &format!("CCCD:{}", e.cccd),
        &e.serial,
    )
}

/// A credential on key `n` with certificate `serial`, both stored.
async fn credential(s: &dyn Store, n: u8, serial: &str) -> CredentialRecord {
    let k = key(n);
    s.insert_certificates(&[NewIssuance {
        key: Some(k.clone()),
        cert: cert(serial, Some(&k.id)),
    }])
    .await
    .unwrap();
    let c = CredentialRecord {
        id: k.id.clone(),
        serial: serial.into(),
        subject_id: "CCCD:046190012345".into(),
        pin_hash: vec![1; 48],
        pin_failures: 0,
        totp_secret: Some(vec![2; 48]),
        totp_last_step: None,
        created_at: T0.plus_seconds(i64::from(n)),
        metering: None,
    };
    s.insert_credential(&c).await.unwrap();
    c
}

async fn clients_and_credentials_round_trip(db: &Db) {
    let s: &dyn Store = &**db;
    s.insert_client(&client("portal")).await.unwrap();
    assert_eq!(
        s.get_client("portal").await.unwrap(),
        Some(client("portal"))
    );
    assert!(s.get_client("other").await.unwrap().is_none());
    assert!(matches!(
        s.insert_client(&client("portal")).await,
        Err(StoreError::Duplicate(_))
    ));
    let a = credential(s, 1, "c1").await;
    let b = credential(s, 2, "c2").await;
    assert_eq!(s.get_credential(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(
        s.credentials_of("CCCD:046190012345").await.unwrap(),
        vec![a.clone(), b]
    );
    assert!(
        s.credentials_of("CCCD:001190000000")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.insert_credential(&a).await,
        Err(StoreError::Duplicate(_))
    ));
}

async fn pin_failures_and_totp_steps_move_only_from_what_was_read(db: &Db) {
    let s: &dyn Store = &**db;
    let c = credential(s, 3, "c3").await;
    assert!(s.set_pin_failures(&c.id, 0, 1).await.unwrap());
    // A second guess judged against the stale count 0 loses: it must re-read.
    assert!(!s.set_pin_failures(&c.id, 0, 1).await.unwrap());
    assert!(s.set_pin_failures(&c.id, 1, 2).await.unwrap());
    assert_eq!(
        s.get_credential(&c.id).await.unwrap().unwrap().pin_failures,
        2
    );
    // Concurrent wrong guesses from the same count: exactly one is recorded.
    let racing = join_all((0..6).map(|_| s.set_pin_failures(&c.id, 2, 3)).collect()).await;
    assert_eq!(
        racing.into_iter().filter(|r| *r.as_ref().unwrap()).count(),
        1
    );

    assert!(s.set_totp_last_step(&c.id, None, 100).await.unwrap());
    assert!(
        !s.set_totp_last_step(&c.id, None, 100).await.unwrap(),
        "replayed"
    );
    assert!(!s.set_totp_last_step(&c.id, Some(99), 101).await.unwrap());
    assert!(s.set_totp_last_step(&c.id, Some(100), 101).await.unwrap());
    assert_eq!(
        s.get_credential(&c.id)
            .await
            .unwrap()
            .unwrap()
            .totp_last_step,
        Some(101)
    );
}

async fn a_sad_is_spent_once_and_never_after_it_expires(db: &Db) {
    let s: &dyn Store = &**db;
    s.insert_client(&client("portal")).await.unwrap();
    let c = credential(s, 4, "c4").await;
    let sad = |h: u8, expires: i64| SadRecord {
        sad_hash: vec![h; 32],
        credential_id: c.id.clone(),
        client_id: "portal".into(),
        hashes: vec!["AAAA".into(), "BBBB".into()],
        num_signatures: 2,
        expires_at: T0.plus_seconds(expires),
        used_at: None,
    };
    for h in 1..=3 {
        let appended = s
            .insert_sad(&sad(h, 300), &log_entry(&c.id, h.into()))
            .await
            .unwrap();
        assert_eq!(
            (appended.first, appended.size),
            (u64::from(h) - 1, u64::from(h))
        );
    }
    // Each SAD's authorisation is in the log.
    assert_eq!(s.log_entries_of(&c.id).await.unwrap().len(), 3);
    let now = T0.plus_seconds(10);
    let spent = s.consume_sad(&[1; 32], now).await.unwrap().unwrap();
    assert_eq!(
        spent,
        SadRecord {
            used_at: Some(now),
            ..sad(1, 300)
        }
    );
    assert!(
        s.consume_sad(&[1; 32], now).await.unwrap().is_none(),
        "replay"
    );
    assert!(
        s.consume_sad(&[9; 32], now).await.unwrap().is_none(),
        "unknown"
    );
    // Expired (the instant of expiry included): not spendable.
    assert!(
        s.consume_sad(&[2; 32], T0.plus_seconds(300))
            .await
            .unwrap()
            .is_none()
    );
    // Racing spends of one SAD: exactly one wins.
    let racing = join_all((0..6).map(|_| s.consume_sad(&[3; 32], now)).collect()).await;
    assert_eq!(
        racing
            .into_iter()
            .filter(|r| r.as_ref().unwrap().is_some())
            .count(),
        1
    );
}

async fn the_transparency_log_appends_leaves_and_keeps_its_frontier(db: &Db) {
    let s: &dyn Store = &**db;
    assert_eq!(s.log_state().await.unwrap().size(), 0);
    let a = s
        .append_log(&[log_entry("a", 0), log_entry("b", 1)])
        .await
        .unwrap();
    assert_eq!((a.first, a.size), (0, 2));
    // Concurrent appends are serialised: every index is used once, the tree holds them all.
    let batches: Vec<[NewLogEntry; 1]> = (2..10).map(|n| [log_entry("a", n)]).collect();
    let racing = join_all(batches.iter().map(|b| s.append_log(b)).collect()).await;
    let mut firsts: Vec<u64> = racing.into_iter().map(|r| r.unwrap().first).collect();
    firsts.sort();
    assert_eq!(firsts, (2..10).collect::<Vec<u64>>());
    let entries = s.log_entries(0, 100).await.unwrap();
    assert_eq!(entries.len(), 10);
    assert!(entries.iter().enumerate().all(|(i, e)| e.idx == i as u64));
    let leaves: Vec<kyso_log::Hash> = entries
        .iter()
        .map(|e| kyso_log::leaf_hash(&e.entry.leaf))
        .collect();
    let state = s.log_state().await.unwrap();
    assert_eq!(state.size(), 10);
    assert_eq!(state.root(), kyso_log::root(&leaves));
    assert_eq!(s.log_entries_of("b").await.unwrap().len(), 1);
    assert_eq!(s.log_entries(3, 5).await.unwrap().len(), 2);
    let head = LogHead {
        size: 10,
        root: state.root().to_vec(),
        at: T0,
        signature: vec![1, 2, 3],
    };
    s.put_log_head(&head).await.unwrap();
    s.put_log_head(&LogHead {
        signature: vec![9],
        ..head.clone()
    })
    .await
    .unwrap();
    assert_eq!(s.log_heads().await.unwrap(), vec![head.clone()]);
    assert_eq!(s.latest_log_head().await.unwrap(), Some(head));
}

async fn grouped_remote_writes_apply_in_order_and_all_or_nothing(db: &Db) {
    use kyso_store::credentials::{RemoteWrite, RemoteWriteOutcome};
    let s: &dyn Store = &**db;
    s.insert_client(&client("portal")).await.unwrap();
    let c = credential(s, 5, "c5").await;
    let sad = |h: u8| SadRecord {
        sad_hash: vec![h; 32],
        credential_id: c.id.clone(),
        client_id: "portal".into(),
        hashes: vec!["AAAA".into()],
        num_signatures: 1,
        expires_at: T0.plus_seconds(300),
        used_at: None,
    };
    let now = T0.plus_seconds(1);
    let out = s
        .apply_remote_writes(&[
            RemoteWrite::InsertSad(sad(1), log_entry(&c.id, 0)),
            RemoteWrite::ConsumeSad {
                sad_hash: vec![1; 32],
                now,
            },
            RemoteWrite::ConsumeSad {
                sad_hash: vec![1; 32],
                now,
            },
            RemoteWrite::AppendLog(vec![log_entry(&c.id, 1), log_entry(&c.id, 2)]),
        ])
        .await
        .unwrap();
    assert!(matches!(out[0], RemoteWriteOutcome::SadInserted(a) if a.first == 0));
    assert!(matches!(&out[1], RemoteWriteOutcome::Consumed(Some(_))));
    assert!(
        matches!(&out[2], RemoteWriteOutcome::Consumed(None)),
        "spent once, even in one batch"
    );
    assert!(matches!(out[3], RemoteWriteOutcome::Appended(a) if a.first == 1 && a.size == 3));
    // A spend logs only what the SAD allows.
    s.insert_sad(&sad(7), &log_entry(&c.id, 9)).await.unwrap();
    s.insert_sad(&sad(8), &log_entry(&c.id, 10)).await.unwrap();
    let before = s.log_state().await.unwrap().size();
    let spend = |h: u8, client: &str, hashes: Vec<String>| RemoteWrite::SpendSad {
        sad_hash: vec![h; 32],
        now,
        client_id: client.into(),
        credential_id: c.id.clone(),
        hashes,
        log: log_entry(&c.id, 11),
        charge: kyso_store::credentials::Charge::Unmetered,
    };
    let out = s
        .apply_remote_writes(&[
            spend(7, "other-client", vec!["AAAA".into()]),
            spend(8, "portal", vec!["AAAA".into()]),
            spend(8, "portal", vec!["AAAA".into()]),
        ])
        .await
        .unwrap();
    assert!(
        matches!(&out[0], RemoteWriteOutcome::Spent(Some(_), false)),
        "spent, not allowed"
    );
    assert!(matches!(&out[1], RemoteWriteOutcome::Spent(Some(_), true)));
    assert!(
        matches!(&out[2], RemoteWriteOutcome::Spent(None, false)),
        "replay"
    );
    assert_eq!(
        s.log_state().await.unwrap().size(),
        before + 1,
        "only the allowed spend is logged"
    );
    // A failing write (a duplicate SAD) undoes the whole group.
    let err = s
        .apply_remote_writes(&[
            RemoteWrite::InsertSad(sad(2), log_entry(&c.id, 3)),
            RemoteWrite::InsertSad(sad(1), log_entry(&c.id, 4)),
        ])
        .await;
    assert!(matches!(err, Err(StoreError::Duplicate(_))), "{err:?}");
    assert!(s.consume_sad(&[2; 32], now).await.unwrap().is_none());
    assert_eq!(s.log_state().await.unwrap().size(), before + 1);
}

async fn signature_requests_are_decided_once_while_waiting(db: &Db) {
    let s: &dyn Store = &**db;
    s.insert_client(&client("portal")).await.unwrap();
    let c = credential(s, 6, "c6").await;
    let tx = |id: &str, expires: i64| TransactionRecord {
        id: id.into(),
        api: "neac".into(),
        client_id: "portal".into(),
        credential_id: c.id.clone(),
        subject_id: c.subject_id.clone(),
        documents: r#"[{"hash":"AAAA","name":"Tờ khai khai sinh.pdf"}]"#.into(),
        description: "Đăng ký khai sinh".into(),
        short_code: "482913".into(),
        status: "waiting".into(),
        created_at: T0,
        expires_at: T0.plus_seconds(expires),
        decided_at: None,
        result: None,
    };
    s.insert_transaction(&tx("t1", 300)).await.unwrap();
    s.insert_transaction(&tx("t2", 300)).await.unwrap();
    s.insert_transaction(&tx("t3", 10)).await.unwrap();
    assert_eq!(s.get_transaction("t1").await.unwrap(), Some(tx("t1", 300)));
    let now = T0.plus_seconds(20);
    let waiting: Vec<_> = s
        .waiting_transactions(&c.subject_id, now)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(waiting, ["t1", "t2"], "t3 expired");
    assert!(
        s.waiting_transactions("CCCD:001190000000", now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.decide_transaction("t1", "approved", Some("[\"sig\"]"), now)
            .await
            .unwrap()
    );
    assert!(
        !s.decide_transaction("t1", "rejected", None, now)
            .await
            .unwrap(),
        "decided once"
    );
    assert!(
        !s.decide_transaction("t3", "approved", None, now)
            .await
            .unwrap(),
        "expired"
    );
    let t1 = s.get_transaction("t1").await.unwrap().unwrap();
    assert_eq!(
        (t1.status.as_str(), t1.result.as_deref(), t1.decided_at),
        ("approved", Some("[\"sig\"]"), Some(now))
    );
    // Racing decisions: one wins.
    let racing = join_all(
        (0..6)
            .map(|_| s.decide_transaction("t2", "approved", None, now))
            .collect(),
    )
    .await;
    assert_eq!(
        racing.into_iter().filter(|r| *r.as_ref().unwrap()).count(),
        1
    );
}

async fn passkeys_round_trip_and_their_counters_only_move_from_what_was_read(db: &Db) {
    use kyso_store::credentials::PasskeyRecord;
    let s: &dyn Store = &**db;
    let p = PasskeyRecord {
        id: "q83v".into(),
        subject_id: "CCCD:046190012345".into(),
        public_key: vec![1, 2, 3],
        sign_count: 0,
        created_at: T0,
    };
    s.insert_passkey(&p).await.unwrap();
    assert!(matches!(
        s.insert_passkey(&p).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        s.passkeys_of("CCCD:046190012345").await.unwrap(),
        vec![p.clone()]
    );
    assert!(s.passkeys_of("CCCD:001190000000").await.unwrap().is_empty());
    assert!(s.set_passkey_count("q83v", 0, 5).await.unwrap());
    assert!(!s.set_passkey_count("q83v", 0, 6).await.unwrap());
    assert_eq!(s.passkeys_of(&p.subject_id).await.unwrap()[0].sign_count, 5);
}

fn person(cccd: &str, household: &str, commune: &str) -> kyso_store::population::PersonRecord {
    kyso_store::population::PersonRecord {
        cccd: cccd.into(),
        full_name: "Nguyễn Thị Lan".into(),
        birth_date: "1990-03-04".into(),
        sex: "Nữ".into(),
        phone: Some("0912345678".into()),
        household_id: household.into(),
        commune_code: commune.into(),
        province_code: "46".into(),
    }
}

fn household(id: &str, commune: &str) -> kyso_store::population::HouseholdRecord {
    kyso_store::population::HouseholdRecord {
        id: id.into(),
        commune_code: commune.into(),
        province_code: "46".into(),
        village: None,
        address: None,
    }
}

async fn a_population_import_is_all_or_nothing(db: &Db) {
    let s: &dyn Store = &**db;
    let at = UnixTime(1_800_000_000);
    let none = |_: u64| {};
    // 5,000 adults in 2,500 households: several statements, one transaction.
    let households: Vec<_> = (0..2_500)
        .map(|i| household(&format!("46-19777-{i:06}"), "19777"))
        .collect();
    let people: Vec<_> = (0..5_000)
        .map(|i| {
            person(
                &format!("046190{i:06}"),
                &format!("46-19777-{:06}", i / 2),
                "19777",
            )
        })
        .collect();
    let seen = std::sync::atomic::AtomicU64::new(0);
    let progress = |n: u64| seen.store(n, std::sync::atomic::Ordering::Relaxed);
    let summary = s
        .import_population(&households, &people, at, "first.csv", &progress)
        .await
        .unwrap();
    assert_eq!((summary.people, summary.households), (5_000, 2_500));
    assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 5_000);
    assert_eq!(s.count_people(Some("46"), None).await.unwrap(), 5_000);
    assert_eq!(s.count_people(None, Some("19777")).await.unwrap(), 5_000);
    assert_eq!(s.count_people(None, Some("19789")).await.unwrap(), 0);
    assert_eq!(
        s.get_person("046190000007").await.unwrap(),
        Some(person("046190000007", "46-19777-000003", "19777"))
    );
    let probe = vec!["046190000001".to_owned(), "046199999999".to_owned()];
    assert_eq!(
        s.existing_people(&probe).await.unwrap(),
        vec!["046190000001".to_owned()]
    );
    let known = s
        .existing_households(&["46-19777-000001".into(), "46-19789-000001".into()])
        .await
        .unwrap();
    assert_eq!(known, vec![household("46-19777-000001", "19777")]);

    // A second file whose last adult is already registered: nothing of it stays, not even
    // its new households.
    let more_households = vec![household("46-19789-000001", "19789")];
    let more = vec![
        person("046190100001", "46-19789-000001", "19789"),
        person("046190000001", "46-19789-000001", "19789"),
    ];
    let err = s
        .import_population(&more_households, &more, at, "second.csv", &none)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err}");
    assert_eq!(s.count_people(None, None).await.unwrap(), 5_000);
    assert_eq!(s.get_person("046190100001").await.unwrap(), None);
    assert!(
        s.existing_households(&["46-19789-000001".into()])
            .await
            .unwrap()
            .is_empty()
    );
    // Only the import that happened is in the audit chain.
    let audit = s.audit_log(0, 100).await.unwrap();
    let imports: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "population.import")
        .collect();
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].subject, "first.csv");
    assert_eq!(imports[0].detail, "people=5000 households=2500");

    // A household already registered in one commune cannot gain members in another, even
    // when the caller's own check raced: the database refuses, and nothing is kept.
    let err = s
        .import_population(
            &[household("46-19777-000001", "19789")],
            &[person("046190200001", "46-19777-000001", "19789")],
            at,
            "race.csv",
            &none,
        )
        .await;
    assert!(err.is_err());
    assert_eq!(s.get_person("046190200001").await.unwrap(), None);
    assert_eq!(s.count_people(None, None).await.unwrap(), 5_000);
}

async fn fifty_concurrent_enrolments_leave_one_certificate(db: &Db) {
    use kyso_store::enrolment::{Channel, EnrolmentRecord, ProviderRecord};
    let s: &dyn Store = &**db;
    let at = UnixTime(1_800_000_000);
    for (id, name) in [
        ("vnpt-demo", "VNPT-CA (demo)"),
        ("viettel-demo", "Viettel-CA (demo)"),
    ] {
        s.insert_provider(
            &ProviderRecord {
                id: id.into(),
                name: name.into(),
                issuer: "citizen-ca".into(),
                created_at: at,
            },
            &[],
        )
        .await
        .unwrap();
    }
    assert_eq!(s.list_providers().await.unwrap().len(), 2);
    s.import_population(
        &[household("46-19777-000001", "19777")],
        &[person("046190012345", "46-19777-000001", "19777")],
        at,
        "one.csv",
        &|_| {},
    )
    .await
    .unwrap();

    // Fifty attempts at once, through every channel and both providers, each with its own
    // key and certificate: exactly one may commit.
    let channels = [
        Channel::DoorToDoor,
        Channel::Online,
        Channel::ProvincialApp,
        Channel::Vneid,
    ];
    let mut tasks = Vec::new();
    for i in 0..50u8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let serial = format!("e{i:02}");
            let issuance = NewIssuance {
                key: Some(key(100 + i)),
                cert: cert(&serial, Some(&format!("{:032x}", 100 + i))),
            };
            let enrolment = EnrolmentRecord {
                id: format!("enr-{i}"),
                cccd: "046190012345".into(),
                provider: if i % 2 == 0 {
                    "vnpt-demo"
                } else {
                    "viettel-demo"
                }
                .into(),
                channel: channels[usize::from(i) % 4],
                serial: serial.clone(),
                active: true,
                created_at: at,
                ended: None,
            };
            let credential = enrolment_credential(&issuance, &enrolment);
            store
                .enrol(&issuance, &enrolment, &credential)
                .await
                .map(|()| serial)
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(serial) => won.push(serial),
            Err(StoreError::Duplicate(what)) => {
                assert!(what.contains("campaign certificate"), "{what}")
            }
            Err(other) => panic!("an enrolment failed otherwise: {other}"),
        }
    }
    assert_eq!(won.len(), 1, "{won:?}");
    // The losers' certificates were rolled back with their enrolments.
    assert_eq!(s.count_certificates().await.unwrap(), 1);
    let active = s.active_enrolment("046190012345").await.unwrap().unwrap();
    assert_eq!(active.serial, won[0]);
    assert!(s.get_certificate(&won[0]).await.unwrap().is_some());
    // An enrolment for someone who is not in the registry is refused too.
    let err = s
        .enrol(
            &NewIssuance {
                key: None,
                cert: CertificateRecord {
                    subject_id: Some("CCCD:046199999999".into()),
                    ..cert("f1", None)
                },
            },
            &EnrolmentRecord {
                id: "enr-x".into(),
                cccd: "046199999999".into(),
                provider: "vnpt-demo".into(),
                channel: Channel::Online,
                serial: "f1".into(),
                active: true,
                created_at: at,
                ended: None,
            },
            &bare_credential("nokey", "CCCD:046199999999", "f1"),
        )
        .await;
    assert!(err.is_err());
    assert_eq!(s.count_certificates().await.unwrap(), 1);
    // A certificate that is not the enrolment's citizen's is refused before anything.
    let err = s
        .enrol(
            &NewIssuance {
                key: None,
                cert: cert("f2", None),
            },
            &EnrolmentRecord {
                id: "enr-y".into(),
                cccd: "046190000001".into(),
                provider: "vnpt-demo".into(),
                channel: Channel::Online,
                serial: "f2".into(),
                active: true,
                created_at: at,
                ended: None,
            },
            &bare_credential("nokey", "CCCD:046190000001", "f2"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("046190000001"), "{err}");
    assert_eq!(s.count_certificates().await.unwrap(), 1);
}

async fn switching_provider_supersedes_the_old_certificate_in_one_step(db: &Db) {
    use kyso_store::enrolment::{Channel, EnrolmentRecord, ProviderRecord, Replacement};
    let s: &dyn Store = &**db;
    let at = UnixTime(1_800_000_000);
    for id in ["vnpt-demo", "viettel-demo"] {
        let p = ProviderRecord {
            id: id.into(),
            name: id.into(),
            issuer: "citizen-ca".into(),
            created_at: at,
        };
        s.insert_provider(&p, &[]).await.unwrap();
    }
    s.import_population(
        &[household("46-19777-000001", "19777")],
        &[person("046190012345", "46-19777-000001", "19777")],
        at,
        "one.csv",
        &|_| {},
    )
    .await
    .unwrap();
    let enrolment = |id: &str, provider: &str, serial: &str| EnrolmentRecord {
        id: id.into(),
        cccd: "046190012345".into(),
        provider: provider.into(),
        channel: Channel::Online,
        serial: serial.into(),
        active: true,
        created_at: at,
        ended: None,
    };
    let issuance = |serial: &str, k: u8| NewIssuance {
        key: Some(key(k)),
        cert: cert(serial, Some(&format!("{k:032x}"))),
    };
    // Nothing to switch from yet.
    assert!(
        s.switch_enrolment(
            &issuance("b1", 2),
            &enrolment("e2", "viettel-demo", "b1"),
            &enrolment_credential(&issuance("b1", 2), &enrolment("e2", "viettel-demo", "b1")),
            Replacement::SwitchProvider,
        )
        .await
        .is_err()
    );
    assert_eq!(s.count_certificates().await.unwrap(), 0);

    s.enrol(
        &issuance("a1", 1),
        &enrolment("e1", "vnpt-demo", "a1"),
        &enrolment_credential(&issuance("a1", 1), &enrolment("e1", "vnpt-demo", "a1")),
    )
    .await
    .unwrap();
    // The same provider again is not a switch; nothing changes.
    assert!(
        s.switch_enrolment(
            &issuance("b1", 2),
            &enrolment("e2", "vnpt-demo", "b1"),
            &enrolment_credential(&issuance("b1", 2), &enrolment("e2", "vnpt-demo", "b1")),
            Replacement::SwitchProvider,
        )
        .await
        .is_err()
    );
    assert_eq!(s.count_certificates().await.unwrap(), 1);

    s.switch_enrolment(
        &issuance("b1", 2),
        &enrolment("e2", "viettel-demo", "b1"),
        &enrolment_credential(&issuance("b1", 2), &enrolment("e2", "viettel-demo", "b1")),
        Replacement::SwitchProvider,
    )
    .await
    .unwrap();
    let active = s.active_enrolment("046190012345").await.unwrap().unwrap();
    assert_eq!(
        (active.provider.as_str(), active.serial.as_str()),
        ("viettel-demo", "b1")
    );
    let old = s.get_certificate("a1").await.unwrap().unwrap();
    assert_eq!(old.status, CertStatus::Revoked);
    assert_eq!(old.status_reason, Some(RevocationReason::Superseded));
    // Exactly one valid certificate remains, and the change is visible to status readers.
    let valid: Vec<_> = s
        .list_certificates(&CertFilter {
            status: Some(CertStatus::Valid),
            ..CertFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(valid.len(), 1);
    assert_eq!(valid[0].serial, "b1");
    let events = s.status_changes_after(0, 10).await.unwrap();
    assert!(
        events.iter().any(|(_, serial)| serial == "a1"),
        "{events:?}"
    );
}

async fn a_quota_is_never_overrun_by_concurrent_signatures(db: &Db) {
    use kyso_store::credentials::{
        Charge, Metering, RemoteWrite, RemoteWriteOutcome, SignatureCounts,
    };
    let s: &dyn Store = &**db;
    s.insert_client(&client("portal")).await.unwrap();
    let k = key(30);
    s.insert_certificates(&[NewIssuance {
        key: Some(k.clone()),
        cert: cert("q1", Some(&k.id)),
    }])
    .await
    .unwrap();
    let c = CredentialRecord {
        metering: Some(Metering {
            free_until: T0.plus_seconds(1000),
            quota: 3,
        }),
        ..bare_credential(&k.id, "CCCD:046190012345", "q1")
    };
    s.insert_credential(&c).await.unwrap();
    assert_eq!(
        s.get_credential(&k.id).await.unwrap().unwrap().metering,
        c.metering
    );
    let now = T0.plus_seconds(10);
    for h in 1..=8u8 {
        s.insert_sad(
            &SadRecord {
                sad_hash: vec![h; 32],
                credential_id: c.id.clone(),
                client_id: "portal".into(),
                hashes: vec!["AAAA".into()],
                num_signatures: 1,
                expires_at: T0.plus_seconds(300),
                used_at: None,
            },
            &log_entry(&c.id, h.into()),
        )
        .await
        .unwrap();
    }
    // Six charged signatures at once against a quota of 3, two free ones alongside.
    let mut tasks = Vec::new();
    for h in 1..=8u8 {
        let store = db.store.clone();
        let id = c.id.clone();
        tasks.push(tokio::spawn(async move {
            let op = RemoteWrite::SpendSad {
                sad_hash: vec![h; 32],
                now,
                client_id: "portal".into(),
                credential_id: id.clone(),
                hashes: vec!["AAAA".into()],
                log: log_entry(&id, 100 + u32::from(h)),
                charge: if h > 6 { Charge::Free } else { Charge::Charged },
            };
            store.apply_remote_writes(&[op]).await.unwrap().remove(0)
        }));
    }
    let (mut signed, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            RemoteWriteOutcome::Spent(Some(_), true) => signed += 1,
            RemoteWriteOutcome::QuotaExceeded => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((signed, refused), (5, 3), "3 charged + 2 free signed");
    assert_eq!(
        s.signature_counts(&c.id).await.unwrap(),
        SignatureCounts {
            free: 2,
            charged: 3,
            refused: 3
        }
    );
    // Only the signatures made are in the log (8 authorisations + 5 signatures).
    assert_eq!(s.log_entries_of(&c.id).await.unwrap().len(), 13);
    // A package bought raises the quota; an unmetered or unknown credential has none.
    // Concurrent sales all count.
    let sales: Vec<_> = (0..4)
        .map(|_| {
            let store = db.store.clone();
            let id = c.id.clone();
            tokio::spawn(async move { store.add_signature_quota(&id, 2, now).await.unwrap() })
        })
        .collect();
    for sale in sales {
        assert!(sale.await.unwrap().is_some());
    }
    assert_eq!(
        s.get_credential(&c.id)
            .await
            .unwrap()
            .unwrap()
            .metering
            .unwrap()
            .quota,
        11
    );
    assert_eq!(s.add_signature_quota("nope", 10, now).await.unwrap(), None);
}

async fn a_revocation_ends_the_enrolment(db: &Db) {
    use kyso_store::enrolment::{Channel, EnrolmentRecord, ProviderRecord};
    let s: &dyn Store = &**db;
    let at = UnixTime(1_800_000_000);
    s.insert_provider(
        &ProviderRecord {
            id: "vnpt-demo".into(),
            name: "VNPT".into(),
            issuer: "citizen-ca".into(),
            created_at: at,
        },
        &[],
    )
    .await
    .unwrap();
    s.import_population(
        &[household("46-19777-000001", "19777")],
        &[person("046190012345", "46-19777-000001", "19777")],
        at,
        "one.csv",
        &|_| {},
    )
    .await
    .unwrap();
    let enrol = |n: u8, serial: &'static str| async move {
        let issuance = NewIssuance {
            key: Some(key(n)),
            cert: cert(serial, Some(&format!("{n:032x}"))),
        };
        let e = EnrolmentRecord {
            id: format!("enr-{serial}"),
            cccd: "046190012345".into(),
            provider: "vnpt-demo".into(),
            channel: Channel::Online,
            serial: serial.into(),
            active: true,
            created_at: at,
            ended: None,
        };
        let c = enrolment_credential(&issuance, &e);
        s.enrol(&issuance, &e, &c).await
    };
    enrol(40, "r1").await.unwrap();
    assert!(matches!(
        enrol(41, "r2").await,
        Err(StoreError::Duplicate(_))
    ));
    s.change_status(
        "r1",
        StatusChange::Revoke(RevocationReason::KeyCompromise),
        at.plus_seconds(5),
    )
    .await
    .unwrap();
    assert!(s.active_enrolment("046190012345").await.unwrap().is_none());
    let history = s.enrolments_of("046190012345").await.unwrap();
    assert_eq!(history.len(), 1);
    let (ended_at, why) = history[0].ended.clone().unwrap();
    assert_eq!(ended_at, at.plus_seconds(5));
    assert!(why.contains("revoked"), "{why}");
    // The citizen may enrol again.
    enrol(42, "r3").await.unwrap();
    assert_eq!(
        s.active_enrolment("046190012345")
            .await
            .unwrap()
            .unwrap()
            .serial,
        "r3"
    );
}

async fn staff_access_log_codes_and_the_sms_outbox(db: &Db) {
    use kyso_store::citizens::{AccessRecord, OtpChallenge, StaffRecord, StaffRole};
    let s: &dyn Store = &**db;
    let at = UnixTime(1_800_000_000);
    let staff = StaffRecord {
        id: "lan.nguyen".into(),
        name: "Nguyễn Thị Lan".into(),
        role: StaffRole::Commune,
        scope: "19777".into(),
        password_hash: vec![9; 48],
        created_at: at,
    };
    s.insert_staff(&staff).await.unwrap();
    assert!(matches!(
        s.insert_staff(&staff).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(s.get_staff("lan.nguyen").await.unwrap().unwrap(), staff);
    assert_eq!(s.list_staff().await.unwrap().len(), 1);
    for (i, (cccd, allowed)) in [("046190012345", true), ("046190000009", false)]
        .into_iter()
        .enumerate()
    {
        s.log_access(&AccessRecord {
            at: at.plus_seconds(i as i64),
            staff: "lan.nguyen".into(),
            cccd: cccd.into(),
            reason: "kiểm tra hồ sơ".into(),
            what: "citizen record".into(),
            allowed,
        })
        .await
        .unwrap();
    }
    let about = s.access_log(Some("046190000009"), None, 10).await.unwrap();
    assert_eq!(about.len(), 1);
    assert!(!about[0].allowed);
    assert_eq!(about[0].reason, "kiểm tra hồ sơ");
    let by = s.access_log(None, Some("lan.nguyen"), 10).await.unwrap();
    assert_eq!(by.len(), 2);
    assert_eq!(by[0].cccd, "046190000009", "newest first");

    s.import_population(
        &[household("46-19777-000001", "19777")],
        &[person("046190012345", "46-19777-000001", "19777")],
        at,
        "one.csv",
        &|_| {},
    )
    .await
    .unwrap();
    let challenge = OtpChallenge {
        id: "otp-1".into(),
        cccd: "046190012345".into(),
        purpose: "enrol".into(),
        code_hash: vec![5; 48],
        attempts: 0,
        expires_at: at.plus_seconds(300),
        created_at: at,
    };
    assert!(
        s.insert_otp(&challenge, "0912345678", "ma 123456", at, 1)
            .await
            .unwrap()
    );
    // The limit counts what is stored: a second code in the window is not.
    let second = OtpChallenge {
        id: "otp-2".into(),
        ..challenge.clone()
    };
    assert!(
        !s.insert_otp(&second, "0912345678", "ma 654321", at, 1)
            .await
            .unwrap()
    );
    assert_eq!(s.otps_since("046190012345", at).await.unwrap(), 1);
    assert_eq!(
        s.otps_since("046190012345", at.plus_seconds(1))
            .await
            .unwrap(),
        0
    );
    let outbox = s.sms_outbox(Some("0912345678"), 10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].body, "ma 123456");
    // Attempts are counted up to the limit; expired codes are gone.
    for n in 1..=3 {
        let c = s
            .attempt_otp("otp-1", at.plus_seconds(1), 3)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.attempts, n);
    }
    assert!(
        s.attempt_otp("otp-1", at.plus_seconds(1), 3)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.attempt_otp("otp-1", at.plus_seconds(301), 10)
            .await
            .unwrap()
            .is_none()
    );
    // Used once.
    assert!(s.use_otp("otp-1", at.plus_seconds(2)).await.unwrap());
    assert!(!s.use_otp("otp-1", at.plus_seconds(3)).await.unwrap());
    assert!(
        s.attempt_otp("otp-1", at.plus_seconds(4), 10)
            .await
            .unwrap()
            .is_none()
    );
}
