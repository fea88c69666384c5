//! The citizen's side of a submission: a bad form or bad attachments store nothing, and a
//! signature rejected on the phone submits nothing.

mod common;

use common::{BIRTH_REGISTRATION, Env, TUYET, birth_certificate, birth_form};
use kyso_core::DossierState;
use kyso_dossiers::form::AttachmentError;
use kyso_portal::{PortalError, Upload};
use kyso_verify::Lang;

async fn a_bad_form_or_bad_attachments_store_nothing(env: &Env) {
    let p = &env.portal;
    // Three required fields left out, one blank.
    let fields: Vec<(String, String)> = birth_form(TUYET)
        .into_iter()
        .filter(|(k, _)| {
            !["child_full_name", "child_birth_date", "mother_address"].contains(&k.as_str())
        })
        .map(|(k, v)| {
            if k == "declarant_phone" {
                (k, "  ".into())
            } else {
                (k, v)
            }
        })
        .collect();
    match p
        .start(
            TUYET.cccd,
            BIRTH_REGISTRATION,
            &fields,
            vec![birth_certificate()],
        )
        .await
    {
        Err(PortalError::Form(errors)) => {
            let mut named: Vec<&str> = errors.as_slice().iter().map(|e| e.field.as_str()).collect();
            named.sort_unstable();
            assert_eq!(
                named,
                [
                    "child_birth_date",
                    "child_full_name",
                    "declarant_phone",
                    "mother_address"
                ],
                "{errors:?}"
            );
        }
        other => panic!("missing fields: {other:?}"),
    }

    // Over the 5 MiB limit (a real PDF header).
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(5 * 1024 * 1024 + 1, b' ');
    let oversize = Upload {
        bytes: big,
        ..birth_certificate()
    };
    match p
        .start(
            TUYET.cccd,
            BIRTH_REGISTRATION,
            &birth_form(TUYET),
            vec![oversize],
        )
        .await
    {
        Err(PortalError::Attachment {
            slot,
            error: AttachmentError::TooLarge { max, .. },
        }) => {
            assert_eq!(slot, "medical_birth_certificate");
            assert_eq!(max, 5 * 1024 * 1024);
        }
        other => panic!("an oversize attachment: {other:?}"),
    }

    // A text file named and declared as a PDF, in a PDF-only slot and in the certificate's.
    let text = |slot: &str| Upload {
        slot: slot.into(),
        file_name: "uy-quyen.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: "Tôi ủy quyền cho bà Nguyễn Thị Hoa.\n".as_bytes().to_vec(),
    };
    for uploads in [
        vec![birth_certificate(), text("authorisation")],
        vec![text("medical_birth_certificate")],
    ] {
        match p
            .start(TUYET.cccd, BIRTH_REGISTRATION, &birth_form(TUYET), uploads)
            .await
        {
            Err(PortalError::Attachment {
                error: AttachmentError::Unrecognised { .. },
                ..
            }) => {}
            other => panic!("a text file as a PDF: {other:?}"),
        }
    }
    // No certificate at all.
    match p
        .start(TUYET.cccd, BIRTH_REGISTRATION, &birth_form(TUYET), vec![])
        .await
    {
        Err(PortalError::MissingAttachments(m)) => assert_eq!(m.len(), 1, "{m:?}"),
        other => panic!("no certificate: {other:?}"),
    }

    assert!(p.dossiers_of(TUYET.cccd).await.unwrap().is_empty());
    assert!(
        env.remote
            .pending_for(&format!("CCCD:{}", TUYET.cccd))
            .await
            .unwrap()
            .is_empty()
    );
    // The same form with a real PDF goes through.
    let started = env.start(TUYET).await;
    assert_eq!(p.dossiers_of(TUYET.cccd).await.unwrap().len(), 1);
    assert_eq!(started.dossier.state, DossierState::Signing);
}

async fn a_signature_rejected_on_the_phone_submits_nothing(env: &Env) {
    let p = &env.portal;
    let started = env.start(TUYET).await;
    let id = started.dossier.id.as_str();
    let subject = format!("CCCD:{}", TUYET.cccd);
    let pending = env.remote.pending_for(&subject).await.unwrap();
    assert_eq!(pending.len(), 1);
    env.remote
        .reject(&subject, &started.request_id)
        .await
        .unwrap();
    for _ in 0..2 {
        match p.complete_signature(TUYET.cccd, id).await {
            Err(PortalError::SignatureNotGiven(why)) => assert_eq!(why, "rejected"),
            other => panic!("after a rejection: {other:?}"),
        }
    }
    // Approving afterwards is refused: the decision was taken once.
    assert!(
        env.remote
            .approve(&subject, &started.request_id, Some(common::PIN), None)
            .await
            .is_err()
    );
    let d = env.store.get_dossier(id).await.unwrap().unwrap();
    assert_eq!(d.state, DossierState::Signing);
    assert!(d.submitted_at.is_none());
    assert!(
        env.store
            .dossier_file(id, "application.signed")
            .await
            .unwrap()
            .is_none()
    );
    for staff in [&env.officer_a, &env.officer_b, &env.province] {
        assert!(p.queue(staff, &[]).await.unwrap().is_empty());
    }
    assert!(matches!(
        p.open(&env.officer_a, id, Lang::Vi).await,
        Err(PortalError::Forbidden(_))
    ));
    // The citizen may still withdraw the unsigned dossier.
    assert_eq!(
        p.withdraw(TUYET.cccd, id).await.unwrap().state,
        DossierState::Withdrawn
    );
}

both_backends!(
    a_bad_form_or_bad_attachments_store_nothing,
    a_signature_rejected_on_the_phone_submits_nothing,
);
