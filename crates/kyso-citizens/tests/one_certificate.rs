//! One campaign certificate per citizen, through the service: fifty enrolments of the same
//! citizen at once, through every channel and both providers, leave exactly one.

mod common;

use common::*;
use kyso_citizens::{CitizenError, Proof};
use kyso_store::citizens::StaffRole;
use kyso_store::enrolment::Channel;

async fn fifty_concurrent_enrolments_of_one_citizen_leave_one_certificate(env: &Env) {
    let commune = env
        .staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    let province = env.staff("admin-hue", StaffRole::Province, "46").await;
    let vnpt_field = env.staff("nv-vnpt", StaffRole::Provider, VNPT).await;

    // Fifty independent proofs: three officers at the door, five one-time codes (the most
    // one hour allows), and OpenID logins through the provincial app and VNeID.
    let mut proofs: Vec<(Proof, &str)> = vec![
        (
            Proof::DoorToDoor {
                officer: commune,
                card_qr: card(LAN),
            },
            VIETTEL,
        ),
        (
            Proof::DoorToDoor {
                officer: province,
                card_qr: card(LAN),
            },
            VNPT,
        ),
        (
            Proof::DoorToDoor {
                officer: vnpt_field,
                card_qr: card(LAN),
            },
            VNPT,
        ),
    ];
    for i in 0..5 {
        proofs.push((
            env.online_proof(LAN).await,
            if i % 2 == 0 { VNPT } else { VIETTEL },
        ));
    }
    let mut i = 0;
    while proofs.len() < 50 {
        let channel = if i % 2 == 0 {
            Channel::ProvincialApp
        } else {
            Channel::Vneid
        };
        proofs.push((
            oidc_proof(channel, LAN.cccd, 2),
            if i % 3 == 0 { VNPT } else { VIETTEL },
        ));
        i += 1;
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (proof, provider) in proofs {
        let citizens = env.citizens.clone();
        let req = request(LAN, provider, proof);
        tasks.spawn(async move { citizens.enrol(req).await });
    }
    let mut enrolled = Vec::new();
    let mut refused = Vec::new();
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(e) => enrolled.push(e),
            Err(CitizenError::AlreadyEnrolled(p)) => refused.push(p),
            Err(other) => panic!("an enrolment failed otherwise than AlreadyEnrolled: {other:?}"),
        }
    }
    assert_eq!(enrolled.len(), 1, "{enrolled:#?}");
    assert_eq!(refused.len(), 49);
    let winner = &enrolled[0];
    assert!(refused.iter().all(|p| *p == winner.enrolment.provider));

    let certs = env.certificates_of(LAN.cccd).await;
    assert_eq!(certs.len(), 1, "{certs:#?}");
    assert_eq!(certs[0].serial, winner.certificate.serial);
    env.assert_issued_by(&certs[0], &winner.enrolment.provider);
    let credentials = env
        .store
        .credentials_of(&format!("CCCD:{}", LAN.cccd))
        .await
        .unwrap();
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0].id, winner.credential_id);
    let enrolments = env.store.enrolments_of(LAN.cccd).await.unwrap();
    assert_eq!(enrolments.len(), 1);
    assert!(enrolments[0].active);
    let usage = env.citizens.usage_report(None).await.unwrap();
    assert_eq!(usage.iter().map(|u| u.active).sum::<u64>(), 1);

    // The one credential signs.
    let message = b"don xin cap giay phep";
    let sig = env
        .sign(&env.public_service, &winner.credential_id, PIN, message)
        .await
        .unwrap();
    verify_with_certificate(&winner.certificate.der, message, &sig);

    // And one more, later, is refused the same way.
    let r = env
        .citizens
        .enrol(request(LAN, VNPT, oidc_proof(Channel::Vneid, LAN.cccd, 2)))
        .await;
    assert!(matches!(r, Err(CitizenError::AlreadyEnrolled(_))), "{r:?}");
    assert_eq!(env.certificates_of(LAN.cccd).await.len(), 1);
}

both_backends!(fifty_concurrent_enrolments_of_one_citizen_leave_one_certificate);
