//! The agency's side: who sees which dossier, a tampered application that cannot be
//! approved, supplements, withdrawal and rejection rules.

mod common;

use common::{BINH, Env, TUYET, small_pdf};
use kyso_core::DossierState;
use kyso_portal::{OfficerAction, PortalError, Upload};
use kyso_store::dossiers::Move;
use kyso_verify::Lang;

fn forbidden<T: std::fmt::Debug>(r: Result<T, PortalError>, what: &str) {
    assert!(matches!(r, Err(PortalError::Forbidden(_))), "{what}: {r:?}");
}

fn not_found<T: std::fmt::Debug>(r: Result<T, PortalError>, what: &str) {
    assert!(matches!(r, Err(PortalError::NotFound)), "{what}: {r:?}");
}

fn wrong_state<T: std::fmt::Debug>(r: Result<T, PortalError>, what: &str) {
    assert!(
        matches!(r, Err(PortalError::WrongState(_))),
        "{what}: {r:?}"
    );
}

async fn each_officer_sees_only_the_dossiers_of_their_scope(env: &Env) {
    let p = &env.portal;
    let d = env.submit(TUYET).await;
    let id = d.id.as_str();

    // The other commune's officer: refused, and the refusals are in the access log.
    let b = &env.officer_b;
    forbidden(p.open(b, id, Lang::Vi).await, "open");
    forbidden(p.act(b, id, OfficerAction::Receive).await, "act");
    forbidden(
        p.act(b, id, OfficerAction::Approve { fee_vnd: None }).await,
        "approve",
    );
    forbidden(
        p.officer_file(b, id, "application.signed").await,
        "officer_file",
    );
    let log = env
        .store
        .access_log(Some(TUYET.cccd), Some(b.id()), 20)
        .await
        .unwrap();
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.iter().all(|e| !e.allowed), "{log:?}");
    assert!(log.iter().all(|e| e.reason.contains(&d.receipt)), "{log:?}");
    assert_eq!(state(env, id).await, DossierState::New, "nothing was done");

    // Provider staff handle no dossiers.
    forbidden(p.queue(&env.provider, &[]).await, "provider queue");
    forbidden(p.open(&env.provider, id, Lang::Vi).await, "provider open");

    // Queues.
    let ids = |v: Vec<kyso_store::dossiers::DossierRecord>| {
        v.into_iter().map(|d| d.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(p.queue(&env.officer_a, &[]).await.unwrap()),
        vec![d.id.clone()]
    );
    assert!(p.queue(b, &[]).await.unwrap().is_empty());
    assert_eq!(
        ids(p.queue(&env.province, &[]).await.unwrap()),
        vec![d.id.clone()]
    );
    assert!(
        p.queue(&env.officer_a, &[DossierState::Received])
            .await
            .unwrap()
            .is_empty()
    );

    // The right officer may; the read is logged as allowed.
    let view = p.open(&env.officer_a, id, Lang::En).await.unwrap();
    assert!(view.check.valid, "{:#?}", view.check);
    forbidden(
        p.officer_file(b, id, "application.signed").await,
        "still not the other officer",
    );
    not_found(
        p.officer_file(&env.officer_a, id, "application.staged")
            .await,
        "the staged state is internal",
    );
    let allowed = env
        .store
        .access_log(Some(TUYET.cccd), Some(env.officer_a.id()), 20)
        .await
        .unwrap();
    assert!(
        allowed.iter().any(|e| e.allowed && e.what == "dossier"),
        "{allowed:?}"
    );

    // Another citizen cannot see, download or withdraw it.
    not_found(p.citizen_dossier(BINH.cccd, id).await, "citizen_dossier");
    not_found(
        p.citizen_file(BINH.cccd, id, "application.signed").await,
        "citizen_file",
    );
    not_found(p.withdraw(BINH.cccd, id).await, "withdraw");
    not_found(p.fee_request(BINH.cccd, id).await, "fee_request");
    assert_eq!(state(env, id).await, DossierState::New);
    assert!(p.dossiers_of(BINH.cccd).await.unwrap().is_empty());
}

/// One byte of the application's signed range flipped in the store.
async fn a_tampered_application_cannot_be_approved(env: &Env) {
    let p = &env.portal;
    let a = &env.officer_a;
    let d = env.submit(TUYET).await;
    let id = d.id.as_str();
    p.act(a, id, OfficerAction::Receive).await.unwrap();
    let mut signed = env
        .store
        .dossier_file(id, "application.signed")
        .await
        .unwrap()
        .unwrap();
    // Inside the first byte range (which starts at 0), in the header's binary comment:
    // the file still parses, only the digest differs.
    assert_eq!(&signed.bytes[..5], b"%PDF-");
    signed.bytes[11] ^= 0x01;
    let mut mv = Move::new(
        id,
        DossierState::Received,
        &[DossierState::Processing],
        "system",
        "",
        env.now(),
    );
    mv.files = vec![signed];
    env.store.move_dossier(&mv).await.unwrap();

    let view = p.open(a, id, Lang::En).await.unwrap();
    assert!(!view.check.valid, "{:#?}", view.check);
    for fee_vnd in [None, Some(8000)] {
        match p.act(a, id, OfficerAction::Approve { fee_vnd }).await {
            Err(PortalError::SignatureInvalid(_)) => {}
            other => panic!("approving a tampered application: {other:?}"),
        }
    }
    assert_eq!(state(env, id).await, DossierState::Processing);
    assert!(
        env.store
            .dossier_file(id, "result")
            .await
            .unwrap()
            .is_none()
    );
    // The province administrator cannot approve it either.
    assert!(matches!(
        p.act(&env.province, id, OfficerAction::Approve { fee_vnd: None })
            .await,
        Err(PortalError::SignatureInvalid(_))
    ));
    assert_eq!(state(env, id).await, DossierState::Processing);
}

async fn supplement_withdrawal_and_rejection_rules(env: &Env) {
    let p = &env.portal;
    let a = &env.officer_a;
    let d = env.submit(TUYET).await;
    let id = d.id.as_str();
    p.act(a, id, OfficerAction::Receive).await.unwrap();
    // A supplement request needs its note.
    assert!(matches!(
        p.act(
            a,
            id,
            OfficerAction::RequestSupplement { note: "  ".into() }
        )
        .await,
        Err(PortalError::InvalidInput(_))
    ));
    let note = "Bổ sung giấy chứng nhận kết hôn của cha, mẹ.";
    let after = p
        .act(
            a,
            id,
            OfficerAction::RequestSupplement { note: note.into() },
        )
        .await
        .unwrap();
    assert_eq!(after.state, DossierState::SupplementRequested);
    assert!(
        p.notifications(TUYET.cccd)
            .await
            .unwrap()
            .iter()
            .any(|n| n.dossier_id == id && n.text_vi.contains(note))
    );
    // Only the owner resubmits; a text file is not a PDF.
    not_found(
        p.resubmit(BINH.cccd, id, vec![], "đã bổ sung").await,
        "another citizen's resubmission",
    );
    let marriage = small_pdf("GIẤY CHỨNG NHẬN KẾT HÔN");
    let upload = |bytes: Vec<u8>| Upload {
        slot: "parents_marriage_certificate".into(),
        file_name: "ket-hon.pdf".into(),
        content_type: "application/pdf".into(),
        bytes,
    };
    assert!(matches!(
        p.resubmit(TUYET.cccd, id, vec![upload(b"giay ket hon".to_vec())], "")
            .await,
        Err(PortalError::Attachment { .. })
    ));
    let after = p
        .resubmit(
            TUYET.cccd,
            id,
            vec![upload(marriage.clone())],
            "Đã bổ sung giấy kết hôn",
        )
        .await
        .unwrap();
    assert_eq!(after.state, DossierState::Resubmitted);
    let file = p
        .officer_file(a, id, "attachment.parents_marriage_certificate")
        .await
        .unwrap();
    assert_eq!(file.bytes, marriage);
    wrong_state(
        p.resubmit(TUYET.cccd, id, vec![], "lần nữa").await,
        "a second resubmission",
    );

    // Approved with a fee: decided, the result held — no withdrawal any more.
    let after = p
        .act(
            a,
            id,
            OfficerAction::Approve {
                fee_vnd: Some(8000),
            },
        )
        .await
        .unwrap();
    assert_eq!(after.state, DossierState::FeeRequested);
    wrong_state(p.withdraw(TUYET.cccd, id).await, "withdraw when approved");
    assert_eq!(state(env, id).await, DossierState::FeeRequested);

    // Approved without a fee: returned at once; no withdrawal either.
    let free = env.submit(TUYET).await;
    let after = p
        .act(a, &free.id, OfficerAction::Approve { fee_vnd: None })
        .await
        .unwrap();
    assert_eq!(after.state, DossierState::ResultReturned);
    assert!(p.citizen_file(TUYET.cccd, &free.id, "result").await.is_ok());
    wrong_state(
        p.withdraw(TUYET.cccd, &free.id).await,
        "withdraw when returned",
    );
    assert_eq!(state(env, &free.id).await, DossierState::ResultReturned);

    // A rejection needs its reason; then it is final.
    let third = env.submit(TUYET).await;
    for reason in ["", "   \n "] {
        assert!(matches!(
            p.act(
                a,
                &third.id,
                OfficerAction::Reject {
                    reason: reason.into()
                }
            )
            .await,
            Err(PortalError::InvalidInput(_))
        ));
    }
    assert_eq!(state(env, &third.id).await, DossierState::New);
    // Still undecided: the citizen may withdraw.
    let gone = p.withdraw(TUYET.cccd, &third.id).await.unwrap();
    assert_eq!(gone.state, DossierState::Withdrawn);
    wrong_state(
        p.act(
            a,
            &third.id,
            OfficerAction::Reject {
                reason: "Hồ sơ không hợp lệ".into(),
            },
        )
        .await,
        "reject a withdrawn dossier",
    );
}

async fn state(env: &Env, id: &str) -> DossierState {
    env.store.get_dossier(id).await.unwrap().unwrap().state
}

both_backends!(
    each_officer_sees_only_the_dossiers_of_their_scope,
    a_tampered_application_cannot_be_approved,
    supplement_withdrawal_and_rejection_rules,
);
