//! Dossiers: states moved by compare and set, files, history, notifications, payments.

use super::{Db, T0};
use kyso_core::DossierState::{self, *};
use kyso_store::StoreError;
use kyso_store::dossiers::{
    DossierFile, DossierRecord, Move, PaymentOutcome, PaymentRecord, QueueFilter,
};

fn dossier(id: &str, commune: &str) -> DossierRecord {
    DossierRecord {
        id: id.into(),
        receipt: format!("H46.{commune}-261130-{id}"),
        procedure: "1.001193".into(),
        cccd: "046190012345".into(),
        applicant: "Nguyễn Thị Ánh Tuyết".into(),
        commune_code: commune.into(),
        province_code: "46".into(),
        agency_level: "commune".into(),
        state: Signing,
        form: r#"{"child_full_name":"Lê Minh Khôi"}"#.into(),
        fee_vnd: 0,
        fee_paid_at: None,
        signing_request: Some("t-1".into()),
        created_at: T0,
        submitted_at: None,
        updated_at: T0,
    }
}

fn file(role: &str, bytes: &[u8]) -> DossierFile {
    DossierFile {
        role: role.into(),
        file_name: format!("{role}.pdf"),
        mime: "application/pdf".into(),
        bytes: bytes.to_vec(),
        added_at: T0,
    }
}

async fn state_of(db: &Db, id: &str) -> DossierState {
    db.store.get_dossier(id).await.unwrap().unwrap().state
}

pub async fn dossiers_move_through_their_life(db: &Db) {
    let s = &db.store;
    s.create_dossier(&dossier("d1", "19753"), &[file("application", b"%PDF-1")])
        .await
        .unwrap();
    let got = s.get_dossier("d1").await.unwrap().unwrap();
    assert_eq!(got, dossier("d1", "19753"));
    assert_eq!(
        s.dossier_by_receipt(&got.receipt)
            .await
            .unwrap()
            .unwrap()
            .id,
        "d1"
    );
    // Unsigned dossiers are not in any queue.
    let q = QueueFilter {
        commune: Some("19753".into()),
        limit: 10,
        ..Default::default()
    };
    assert!(s.dossier_queue(&q).await.unwrap().is_empty());

    let mut submit = Move::new("d1", Signing, &[New], "citizen", "", T0.plus_seconds(60));
    submit.files = vec![file("application.signed", b"%PDF-signed")];
    submit.signing_request = Some(None);
    submit.notice = Some(("Hồ sơ đã được nộp.".into(), "Dossier submitted.".into()));
    let after = s.move_dossier(&submit).await.unwrap();
    assert_eq!(after.state, New);
    assert_eq!(after.submitted_at, Some(T0.plus_seconds(60)));
    assert_eq!(after.signing_request, None);
    assert_eq!(s.dossier_queue(&q).await.unwrap().len(), 1);
    let other = QueueFilter {
        commune: Some("19756".into()),
        limit: 10,
        ..Default::default()
    };
    assert!(
        s.dossier_queue(&other).await.unwrap().is_empty(),
        "another commune's queue"
    );
    let by_state = QueueFilter {
        province: Some("46".into()),
        states: vec![Received],
        limit: 10,
        ..Default::default()
    };
    assert!(s.dossier_queue(&by_state).await.unwrap().is_empty());

    let sizes: Vec<i64> = s
        .dossier_files("d1")
        .await
        .unwrap()
        .iter()
        .map(|f| f.size)
        .collect();
    assert_eq!(sizes, [6, 11], "sizes without reading the content");
    let roles: Vec<String> = s
        .dossier_files("d1")
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.role)
        .collect();
    assert_eq!(roles, ["application", "application.signed"]);
    assert_eq!(
        s.dossier_file("d1", "application.signed")
            .await
            .unwrap()
            .unwrap()
            .bytes,
        b"%PDF-signed"
    );

    s.move_dossier(&Move::new(
        "d1",
        New,
        &[Received, Processing],
        "can-bo.1",
        "",
        T0.plus_seconds(120),
    ))
    .await
    .unwrap();
    let mut fee = Move::new(
        "d1",
        Processing,
        &[FeeRequested],
        "can-bo.1",
        "lệ phí",
        T0.plus_seconds(180),
    );
    fee.fee_vnd = Some(8_000);
    assert_eq!(s.move_dossier(&fee).await.unwrap().fee_vnd, 8_000);

    // A wrong amount changes nothing.
    let pay = |reference: &str, amount: i64| PaymentRecord {
        reference: reference.into(),
        dossier_id: "d1".into(),
        amount_vnd: amount,
        paid_at: T0.plus_seconds(200),
        recorded_at: T0.plus_seconds(201),
    };
    let mut paid = Move::new(
        "d1",
        FeeRequested,
        &[Processed, ResultReturned],
        "payment",
        "",
        T0.plus_seconds(201),
    );
    paid.notice = Some(("Đã nhận lệ phí.".into(), "Fee received.".into()));
    let err = s
        .record_payment(&pay("FT1", 7_000), Some(&paid))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(s.payments_of("d1").await.unwrap().is_empty());

    let PaymentOutcome::Recorded(d) = s
        .record_payment(&pay("FT1", 8_000), Some(&paid))
        .await
        .unwrap()
    else {
        panic!("first payment must be recorded");
    };
    assert_eq!(d.state, ResultReturned);
    assert_eq!(d.fee_paid_at, Some(T0.plus_seconds(200)));
    let events_before = s.dossier_events("d1").await.unwrap().len();
    let notices_before = s.notifications("046190012345", 50).await.unwrap().len();
    // The replayed callback: nothing moves, nothing is paid twice.
    assert!(matches!(
        s.record_payment(&pay("FT1", 8_000), Some(&paid)).await.unwrap(),
        PaymentOutcome::AlreadyRecorded(p) if p.reference == "FT1"
    ));
    // A second payment under another reference is refused: the fee is paid.
    assert!(matches!(
        s.record_payment(&pay("FT2", 8_000), None).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.payments_of("d1").await.unwrap().len(), 1);
    assert_eq!(s.dossier_events("d1").await.unwrap().len(), events_before);
    assert_eq!(
        s.notifications("046190012345", 50).await.unwrap().len(),
        notices_before
    );

    let events = s.dossier_events("d1").await.unwrap();
    let path: Vec<DossierState> = events.iter().map(|e| e.to).collect();
    assert_eq!(
        path,
        [
            Signing,
            New,
            Received,
            Processing,
            FeeRequested,
            Processed,
            ResultReturned
        ]
    );
    assert_eq!(events[0].from, None);
    assert_eq!(events[4].note, "lệ phí");

    let notes = s.notifications("046190012345", 50).await.unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0].text_vi, "Đã nhận lệ phí.", "newest first");
    assert_eq!(
        s.mark_notifications_read("046190012345", notes[0].id, T0)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        s.mark_notifications_read("046190012345", notes[0].id, T0)
            .await
            .unwrap(),
        0
    );
    assert!(
        kyso_store::verify_audit_log(s.as_ref())
            .await
            .unwrap()
            .is_ok()
    );
}

pub async fn refused_and_stale_moves_change_nothing(db: &Db) {
    let s = &db.store;
    s.create_dossier(&dossier("d2", "19753"), &[])
        .await
        .unwrap();
    s.move_dossier(&Move::new("d2", Signing, &[New], "citizen", "", T0))
        .await
        .unwrap();
    // Not allowed by the rules: an agency must receive before it decides.
    let err = s
        .move_dossier(&Move::new("d2", New, &[Processed], "x", "", T0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // Stale: the caller read a state the dossier is no longer in.
    let err = s
        .move_dossier(&Move::new("d2", Received, &[Processing], "x", "", T0))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("changed meanwhile"), "{err}");
    assert_eq!(state_of(db, "d2").await, New);
    assert_eq!(s.dossier_events("d2").await.unwrap().len(), 2);
    // A dossier that does not exist.
    assert!(matches!(
        s.move_dossier(&Move::new("nope", New, &[Received], "x", "", T0))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Duplicate id or receipt.
    assert!(matches!(
        s.create_dossier(&dossier("d2", "19753"), &[]).await,
        Err(StoreError::Duplicate(_))
    ));
    let mut same_receipt = dossier("d3", "19753");
    same_receipt.receipt = dossier("d2", "19753").receipt;
    assert!(matches!(
        s.create_dossier(&same_receipt, &[]).await,
        Err(StoreError::Duplicate(_))
    ));
}

pub async fn racing_officers_decide_once(db: &Db) {
    let s = &db.store;
    s.create_dossier(&dossier("d4", "19753"), &[])
        .await
        .unwrap();
    s.move_dossier(&Move::new("d4", Signing, &[New], "citizen", "", T0))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let s = s.clone();
        let to = if i % 2 == 0 { Received } else { Rejected };
        tasks.push(tokio::spawn(async move {
            s.move_dossier(&Move::new(
                "d4",
                New,
                &[to],
                &format!("officer-{i}"),
                "",
                T0,
            ))
            .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(s.dossier_events("d4").await.unwrap().len(), 3);
}

pub async fn concurrent_deliveries_of_one_payment_pay_once(db: &Db) {
    let s = &db.store;
    s.create_dossier(&dossier("d5", "19753"), &[])
        .await
        .unwrap();
    s.move_dossier(&Move::new("d5", Signing, &[New, Received], "x", "", T0))
        .await
        .unwrap();
    let mut fee = Move::new("d5", Received, &[FeeRequested], "x", "", T0);
    fee.fee_vnd = Some(8_000);
    s.move_dossier(&fee).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let p = PaymentRecord {
                reference: "FT-SAME".into(),
                dossier_id: "d5".into(),
                amount_vnd: 8_000,
                paid_at: T0,
                recorded_at: T0,
            };
            let mv = Move::new("d5", FeeRequested, &[Processing], "payment", "", T0);
            s.record_payment(&p, Some(&mv)).await
        }));
    }
    let (mut recorded, mut replays) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(PaymentOutcome::Recorded(_)) => recorded += 1,
            Ok(PaymentOutcome::AlreadyRecorded(_)) => replays += 1,
            Err(e) => panic!("a delivery of a recorded payment must be a replay, got {e}"),
        }
    }
    assert_eq!((recorded, replays), (1, 9));
    assert_eq!(s.payments_of("d5").await.unwrap().len(), 1);
    assert_eq!(state_of(db, "d5").await, Processing);
    // A payment for a dossier that does not exist.
    let p = PaymentRecord {
        reference: "FT-X".into(),
        dossier_id: "nope".into(),
        amount_vnd: 1,
        paid_at: T0,
        recorded_at: T0,
    };
    assert!(matches!(
        s.record_payment(&p, None).await,
        Err(StoreError::Conflict(_))
    ));
}
