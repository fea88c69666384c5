//! The whole story of a birth registration: filled in, signed on the phone, received,
//! approved with a fee, paid by VietQR, and the sealed result returned — judged by pyHanko,
//! pdftotext and kyso_verify.

mod common;

use common::{Env, SEAL_NAME, TUYET, verdict_of};
use kyso_core::DossierState;
use kyso_portal::{OfficerAction, PortalError};
use kyso_store::dossiers::PaymentOutcome;

async fn a_birth_registration_from_the_form_to_the_sealed_result(env: &Env) {
    let p = &env.portal;
    let started = env.start(TUYET).await;
    let id = started.dossier.id.clone();
    assert_eq!(started.dossier.state, DossierState::Signing);
    assert!(!started.short_code.is_empty());
    // Not yet approved on the phone: nothing is submitted.
    match p.complete_signature(TUYET.cccd, &id).await {
        Err(PortalError::AwaitingApproval(code)) => assert_eq!(code, started.short_code),
        other => panic!("before approval: {other:?}"),
    }
    assert_eq!(
        p.citizen_dossier(TUYET.cccd, &id)
            .await
            .unwrap()
            .short_code
            .as_deref(),
        Some(started.short_code.as_str())
    );
    assert!(p.queue(&env.officer_a, &[]).await.unwrap().is_empty());

    env.approve_on_phone(TUYET, &started).await;
    let d = p.complete_signature(TUYET.cccd, &id).await.unwrap();
    assert_eq!(d.state, DossierState::New);
    assert_eq!(d.signing_request, None);
    assert!(d.submitted_at.is_some());
    assert_eq!(d.applicant, TUYET.name);
    // H<province>.<commune>-<yymmdd>-<sequence>, the date in Vietnam's time zone.
    let (y, m, day, ..) = kyso_core::clock::civil_from_unix(env.now().seconds() + 7 * 3600);
    assert_eq!(
        d.receipt,
        format!(
            "H46.{}-{:02}{m:02}{day:02}-000001",
            env.commune_of(TUYET),
            y % 100
        )
    );
    // Idempotent.
    assert_eq!(p.complete_signature(TUYET.cccd, &id).await.unwrap(), d);
    let notices = p.notifications(TUYET.cccd).await.unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.dossier_id == id && n.text_vi.contains(&d.receipt)),
        "{notices:?}"
    );

    // The officer of the commune opens it: the citizen's signature verifies.
    let view = p
        .open(&env.officer_a, &id, kyso_verify::Lang::Vi)
        .await
        .unwrap();
    assert!(view.check.valid, "{:#?}", view.check);
    assert!(
        view.files
            .iter()
            .all(|(role, ..)| role != "application.staged"),
        "{:?}",
        view.files
    );
    assert!(
        view.files
            .iter()
            .any(|(role, ..)| role == "attachment.medical_birth_certificate")
    );
    let d = p
        .act(&env.officer_a, &id, OfficerAction::Receive)
        .await
        .unwrap();
    assert_eq!(d.state, DossierState::Received);
    let d = p
        .act(
            &env.officer_a,
            &id,
            OfficerAction::Approve {
                fee_vnd: Some(8000),
            },
        )
        .await
        .unwrap();
    assert_eq!(d.state, DossierState::FeeRequested);
    assert_eq!(d.fee_vnd, 8000);
    assert!(
        env.store
            .dossier_file(&id, "result")
            .await
            .unwrap()
            .is_some()
    );
    // Held until the fee is paid.
    assert!(matches!(
        p.citizen_file(TUYET.cccd, &id, "result").await,
        Err(PortalError::NotFound)
    ));
    assert!(
        !p.citizen_dossier(TUYET.cccd, &id)
            .await
            .unwrap()
            .files
            .iter()
            .any(|(role, ..)| role == "result")
    );

    // The fee page's VietQR, read back by the parser.
    let fee = p.fee_request(TUYET.cccd, &id).await.unwrap();
    assert_eq!(fee.amount, 8000);
    assert_eq!(fee.amount_text, "8.000");
    assert_eq!(fee.bill, d.receipt);
    let payload = kyso_vietqr::Payload::parse(&fee.payload).unwrap();
    let t = payload.transfer();
    assert_eq!(t.amount.map(|a| a.dong()), Some(8000));
    assert_eq!(
        t.bill.as_ref().map(|b| b.as_str()),
        Some(d.receipt.as_str())
    );
    assert_eq!(t.bin.as_str(), "970403");
    assert_eq!(t.account.as_str(), "0011012345678");
    assert!(payload.is_dynamic());

    // The payment platform's callback, then its replay.
    let body = serde_json::json!({
        "reference": "FT26334000001",
        "bill": d.receipt,
        "amount": 8000,
        "paid_at": env.now().seconds(),
    })
    .to_string();
    let signature = p.payment_signature(body.as_bytes());
    match p
        .payment_callback(body.as_bytes(), &signature)
        .await
        .unwrap()
    {
        PaymentOutcome::Recorded(after) => {
            assert_eq!(after.state, DossierState::ResultReturned);
            assert!(after.fee_paid_at.is_some());
        }
        other => panic!("first callback: {other:?}"),
    }
    match p
        .payment_callback(body.as_bytes(), &signature)
        .await
        .unwrap()
    {
        PaymentOutcome::AlreadyRecorded(seen) => {
            assert_eq!(seen.reference, "FT26334000001");
            assert_eq!(seen.amount_vnd, 8000);
        }
        other => panic!("replayed callback: {other:?}"),
    }
    let mine = p.citizen_dossier(TUYET.cccd, &id).await.unwrap();
    assert_eq!(mine.dossier.state, DossierState::ResultReturned);
    assert_eq!(mine.payments.len(), 1, "{:?}", mine.payments);
    assert!(mine.files.iter().any(|(role, ..)| role == "result"));
    let result = p.citizen_file(TUYET.cccd, &id, "result").await.unwrap();
    assert_eq!(result.mime, "application/pdf");

    // The result: certified by the agency's seal at B-LT.
    let (ok, out) = env.pyhanko_validate(&result.bytes, "result.pdf").await;
    assert!(ok, "pyHanko does not accept the result:\n{out}");
    let verdict = verdict_of(&out, "Signature1");
    assert!(
        verdict.starts_with("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,")
            && !verdict.contains("ILLEGAL"),
        "{verdict}"
    );
    assert_eq!(
        env.pyhanko_docmdp("result.pdf").await,
        "Signature1 docmdp=MDPPerm.FILL_FORMS certified=True"
    );
    let text = env.pdftotext(&result.bytes, "result-text.pdf");
    assert!(text.contains(TUYET.name), "{text}");
    assert!(text.contains(&d.receipt), "{text}");
    let report = env.kyso_verify(result.bytes.clone()).await;
    assert!(report.all_passed, "{report:#?}");
    assert_eq!(report.signatures[0].signer.as_deref(), Some(SEAL_NAME));

    // The signed application: the citizen's own signature, time-stamped.
    let application = p
        .citizen_file(TUYET.cccd, &id, "application.signed")
        .await
        .unwrap();
    let (ok, out) = env
        .pyhanko_validate(&application.bytes, "application.pdf")
        .await;
    assert!(ok, "pyHanko does not accept the application:\n{out}");
    let verdict = verdict_of(&out, "Signature1");
    assert!(
        verdict.starts_with("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,")
            && !verdict.contains("ILLEGAL"),
        "{verdict}"
    );
    let text = env.pdftotext(&application.bytes, "application-text.pdf");
    assert!(text.contains(TUYET.name), "{text}");
    let report = env.kyso_verify(application.bytes).await;
    assert!(report.all_passed, "{report:#?}");
    assert_eq!(report.signatures[0].signer.as_deref(), Some(TUYET.name));
}

both_backends!(a_birth_registration_from_the_form_to_the_sealed_result);
