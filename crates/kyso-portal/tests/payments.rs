//! The payment platform's callback: authenticated, for the amount due, for a known bill,
//! recorded once however many times it arrives.

mod common;

use common::{Env, TUYET};
use kyso_core::DossierState;
use kyso_portal::{OfficerAction, PortalError};
use kyso_store::dossiers::{DossierRecord, PaymentOutcome};

/// A submitted dossier approved with a fee of 8,000 đồng.
async fn awaiting_fee(env: &Env) -> DossierRecord {
    let d = env.submit(TUYET).await;
    let d = env
        .portal
        .act(
            &env.officer_a,
            &d.id,
            OfficerAction::Approve {
                fee_vnd: Some(8000),
            },
        )
        .await
        .unwrap();
    assert_eq!(d.state, DossierState::FeeRequested);
    d
}

fn notice(reference: &str, bill: &str, amount: u64, at: i64) -> Vec<u8> {
    serde_json::json!({"reference": reference, "bill": bill, "amount": amount, "paid_at": at})
        .to_string()
        .into_bytes()
}

async fn unpaid(env: &Env, d: &DossierRecord) {
    let now = env.store.get_dossier(&d.id).await.unwrap().unwrap();
    assert_eq!(now.state, DossierState::FeeRequested);
    assert!(now.fee_paid_at.is_none());
    assert!(env.store.payments_of(&d.id).await.unwrap().is_empty());
}

async fn a_callback_must_be_authentic_exact_and_known(env: &Env) {
    let p = &env.portal;
    let d = awaiting_fee(env).await;
    let at = env.now().seconds();
    let body = notice("FT1", &d.receipt, 8000, at);

    // Not signed with the platform's key: a signature of another body, garbage, nothing.
    let other = p.payment_signature(&notice("FT1", &d.receipt, 80, at));
    let mut flipped = p.payment_signature(&body).into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    for sig in [
        other,
        String::from_utf8(flipped).unwrap(),
        "zz".into(),
        String::new(),
    ] {
        assert!(
            matches!(
                p.payment_callback(&body, &sig).await,
                Err(PortalError::BadCallbackSignature)
            ),
            "{sig:?}"
        );
    }
    unpaid(env, &d).await;

    // Signed, but not the amount due.
    for amount in [7999, 8001, 80] {
        let body = notice("FT2", &d.receipt, amount, at);
        match p.payment_callback(&body, &p.payment_signature(&body)).await {
            Err(PortalError::WrongState(_)) => {}
            other => panic!("{amount} đồng paid for 8,000 due: {other:?}"),
        }
    }
    unpaid(env, &d).await;

    // Signed, for a bill nobody issued.
    let body = notice("FT3", "H46.00000-260101-999999", 8000, at);
    assert!(matches!(
        p.payment_callback(&body, &p.payment_signature(&body)).await,
        Err(PortalError::NotFound)
    ));
    unpaid(env, &d).await;
    assert!(matches!(
        p.citizen_file(TUYET.cccd, &d.id, "result").await,
        Err(PortalError::NotFound)
    ));

    // The right one.
    let body = notice("FT4", &d.receipt, 8000, at);
    assert!(matches!(
        p.payment_callback(&body, &p.payment_signature(&body)).await,
        Ok(PaymentOutcome::Recorded(_))
    ));
    // Another reference for the paid fee pays nothing twice.
    let body = notice("FT5", &d.receipt, 8000, at);
    assert!(matches!(
        p.payment_callback(&body, &p.payment_signature(&body)).await,
        Err(PortalError::WrongState(_))
    ));
    let payments = env.store.payments_of(&d.id).await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].reference, "FT4");
}

async fn concurrent_identical_callbacks_record_one_payment(env: &Env) {
    let d = awaiting_fee(env).await;
    let body = notice("FT26334999999", &d.receipt, 8000, env.now().seconds());
    let sig = env.portal.payment_signature(&body);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (portal, body, sig) = (env.portal.clone(), body.clone(), sig.clone());
        tasks.push(tokio::spawn(async move {
            portal.payment_callback(&body, &sig).await
        }));
    }
    let mut recorded = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(PaymentOutcome::Recorded(after)) => {
                recorded += 1;
                assert_eq!(after.state, DossierState::ResultReturned);
            }
            Ok(PaymentOutcome::AlreadyRecorded(seen)) => {
                assert_eq!(seen.reference, "FT26334999999")
            }
            other => panic!("a replayed callback: {other:?}"),
        }
    }
    assert_eq!(recorded, 1);
    assert_eq!(env.store.payments_of(&d.id).await.unwrap().len(), 1);
    let events = env.store.dossier_events(&d.id).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.to == DossierState::ResultReturned)
            .count(),
        1,
        "{events:?}"
    );
    assert!(
        env.portal
            .citizen_file(TUYET.cccd, &d.id, "result")
            .await
            .is_ok()
    );
}

both_backends!(
    a_callback_must_be_authentic_exact_and_known,
    concurrent_identical_callbacks_record_one_payment,
);
