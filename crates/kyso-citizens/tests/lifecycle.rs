//! After enrolment: suspend and resume, who may change a certificate, revocation and
//! enrolling again, switching provider, renewal.

mod common;

use common::*;
use kyso_citizens::{Actor, CitizenError};
use kyso_core::{CertStatus, RevocationReason};
use kyso_keys::KeyAlgorithm;
use kyso_remote::RemoteError;
use kyso_store::citizens::StaffRole;

const NEW_PIN: &str = "975310";

fn citizen(c: Citizen) -> Actor {
    Actor::Citizen(c.cccd.into())
}

async fn status(env: &Env, serial: &str) -> CertStatus {
    env.store
        .get_certificate(serial)
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn a_providers_suspension_is_not_the_citizens_to_lift(env: &Env) {
    let e = env.enrol_online(LAN, VNPT).await;
    let serial = &e.certificate.serial;
    let staff = env.staff("vnpt.staff", StaffRole::Provider, VNPT).await;
    env.citizens
        .suspend(&Actor::Staff(staff.clone()), LAN.cccd)
        .await
        .unwrap();
    // The right PIN is not enough: the provider suspended it.
    let r = env
        .citizens
        .resume(&citizen(LAN), LAN.cccd, Some(PIN))
        .await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    assert_eq!(status(env, serial).await, CertStatus::Suspended);
    env.citizens
        .resume(&Actor::Staff(staff), LAN.cccd, None)
        .await
        .unwrap();
    assert_eq!(status(env, serial).await, CertStatus::Valid);
    // The citizen's own suspension is theirs to lift (with the PIN).
    env.citizens.suspend(&citizen(LAN), LAN.cccd).await.unwrap();
    env.citizens
        .resume(&citizen(LAN), LAN.cccd, Some(PIN))
        .await
        .unwrap();
    assert_eq!(status(env, serial).await, CertStatus::Valid);
}

async fn a_suspended_certificate_signs_nothing_until_resumed_with_the_pin(env: &Env) {
    let e = env.enrol_online(LAN, VNPT).await;
    let serial = &e.certificate.serial;
    env.citizens.suspend(&citizen(LAN), LAN.cccd).await.unwrap();
    assert_eq!(status(env, serial).await, CertStatus::Suspended);
    let r = env
        .sign(&env.public_service, &e.credential_id, PIN, b"x")
        .await;
    assert!(
        matches!(r, Err(RemoteError::CertificateNotUsable(_))),
        "{r:?}"
    );
    // A SAD obtained before the suspension is no good after it either.
    env.citizens
        .resume(&citizen(LAN), LAN.cccd, Some(PIN))
        .await
        .unwrap();
    let sad = env
        .authorize(&env.public_service, &e.credential_id, PIN, b"y")
        .await
        .unwrap();
    env.citizens.suspend(&citizen(LAN), LAN.cccd).await.unwrap();
    let r = env
        .sign_with(&env.public_service, &e.credential_id, &sad, b"y")
        .await;
    assert!(
        matches!(r, Err(RemoteError::CertificateNotUsable(_))),
        "{r:?}"
    );

    // Resuming takes the PIN: a session alone does not re-enable signing.
    for pin in [Some("135790"), None] {
        let r = env.citizens.resume(&citizen(LAN), LAN.cccd, pin).await;
        assert!(
            matches!(
                r,
                Err(CitizenError::Remote(
                    RemoteError::WrongPin { .. } | RemoteError::InvalidRequest(_)
                ))
            ),
            "{pin:?}: {r:?}"
        );
        assert_eq!(status(env, serial).await, CertStatus::Suspended);
    }
    // Nor may another citizen resume it.
    let r = env
        .citizens
        .resume(&citizen(BINH), LAN.cccd, Some(PIN))
        .await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    assert_eq!(status(env, serial).await, CertStatus::Suspended);

    env.citizens
        .resume(&citizen(LAN), LAN.cccd, Some(PIN))
        .await
        .unwrap();
    assert_eq!(status(env, serial).await, CertStatus::Valid);
    let sig = env
        .sign(&env.public_service, &e.credential_id, PIN, b"z")
        .await
        .unwrap();
    verify_with_certificate(&e.certificate.der, b"z", &sig);
}

async fn only_the_citizen_their_provider_and_the_province_change_a_certificate(env: &Env) {
    let e = env.enrol_online(LAN, VNPT).await;
    let other_provider = env.staff("nv-viettel", StaffRole::Provider, VIETTEL).await;
    let officer = env
        .staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    for actor in [
        Actor::Staff(other_provider.clone()),
        Actor::Staff(officer.clone()),
        citizen(BINH),
    ] {
        let r = env.citizens.suspend(&actor, LAN.cccd).await;
        assert!(
            matches!(r, Err(CitizenError::Forbidden(_))),
            "{}: {r:?}",
            actor.describe()
        );
        let r = env
            .citizens
            .revoke(&actor, LAN.cccd, RevocationReason::Unspecified, Some(PIN))
            .await;
        assert!(
            matches!(r, Err(CitizenError::Forbidden(_))),
            "{}: {r:?}",
            actor.describe()
        );
        let r = env.citizens.grant_signatures(&actor, LAN.cccd, 100).await;
        assert!(
            matches!(r, Err(CitizenError::Forbidden(_))),
            "{}: {r:?}",
            actor.describe()
        );
        assert_eq!(status(env, &e.certificate.serial).await, CertStatus::Valid);
    }
    // The citizen's own provider and the province may.
    let vnpt = env.staff("nv-vnpt", StaffRole::Provider, VNPT).await;
    env.citizens
        .suspend(&Actor::Staff(vnpt.clone()), LAN.cccd)
        .await
        .unwrap();
    env.citizens
        .resume(&Actor::Staff(vnpt), LAN.cccd, None)
        .await
        .unwrap();
    let province = env.staff("admin-hue", StaffRole::Province, "46").await;
    env.citizens
        .suspend(&Actor::Staff(province), LAN.cccd)
        .await
        .unwrap();
    assert_eq!(
        status(env, &e.certificate.serial).await,
        CertStatus::Suspended
    );
}

async fn a_revoked_citizen_enrols_again_without_a_new_free_year(env: &Env) {
    let first = env.enrol_online(LAN, VNPT).await;
    env.clock.advance(40 * 86_400);
    let revoked = env
        .citizens
        .revoke(
            &Actor::Operator,
            LAN.cccd,
            RevocationReason::KeyCompromise,
            None,
        )
        .await
        .unwrap();
    assert_eq!(revoked.status, CertStatus::Revoked);
    assert_eq!(revoked.status_reason, Some(RevocationReason::KeyCompromise));
    assert!(
        env.store
            .active_enrolment(LAN.cccd)
            .await
            .unwrap()
            .is_none()
    );
    let ended = &env.store.enrolments_of(LAN.cccd).await.unwrap()[0];
    assert!(!ended.active);
    assert!(ended.ended.is_some());
    let r = env
        .sign(&env.public_service, &first.credential_id, PIN, b"x")
        .await;
    assert!(
        matches!(r, Err(RemoteError::CertificateNotUsable(_))),
        "{r:?}"
    );
    // Nothing left to suspend.
    let r = env.citizens.suspend(&citizen(LAN), LAN.cccd).await;
    assert!(matches!(r, Err(CitizenError::NotEnrolled)), "{r:?}");

    let second = env.enrol_online(LAN, VIETTEL).await;
    assert_eq!(second.free_until, first.free_until);
    assert_ne!(
        second.free_until,
        env.citizens.policy().free_until(env.now())
    );
    let stored = env
        .store
        .get_credential(&second.credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.metering.unwrap().free_until, first.free_until);
    assert_eq!(env.store.enrolments_of(LAN.cccd).await.unwrap().len(), 2);
}

async fn switching_provider_supersedes_the_old_certificate(env: &Env) {
    let old = env.enrol_online(LAN, VNPT).await;
    let r = env
        .citizens
        .switch_provider(
            &citizen(LAN),
            LAN.cccd,
            VIETTEL,
            Some("135790"),
            NEW_PIN,
            KeyAlgorithm::P256,
        )
        .await;
    assert!(
        matches!(r, Err(CitizenError::Remote(RemoteError::WrongPin { .. }))),
        "{r:?}"
    );
    let r = env
        .citizens
        .switch_provider(
            &citizen(LAN),
            LAN.cccd,
            VNPT,
            Some(PIN),
            NEW_PIN,
            KeyAlgorithm::P256,
        )
        .await;
    assert!(matches!(r, Err(CitizenError::InvalidInput(_))), "{r:?}");
    let vnpt = env.staff("nv-vnpt", StaffRole::Provider, VNPT).await;
    let r = env
        .citizens
        .switch_provider(
            &Actor::Staff(vnpt),
            LAN.cccd,
            VIETTEL,
            None,
            NEW_PIN,
            KeyAlgorithm::P256,
        )
        .await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    assert_eq!(env.certificates_of(LAN.cccd).await.len(), 1);
    assert_eq!(
        status(env, &old.certificate.serial).await,
        CertStatus::Valid
    );

    env.clock.advance(86_400);
    let new = env
        .citizens
        .switch_provider(
            &citizen(LAN),
            LAN.cccd,
            VIETTEL,
            Some(PIN),
            NEW_PIN,
            KeyAlgorithm::P256,
        )
        .await
        .unwrap();
    env.assert_issued_by(&new.certificate, VIETTEL);
    assert_eq!(new.enrolment.provider, VIETTEL);
    assert_eq!(new.free_until, old.free_until);
    let was = env
        .store
        .get_certificate(&old.certificate.serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(was.status, CertStatus::Revoked);
    assert_eq!(was.status_reason, Some(RevocationReason::Superseded));
    let certs = env.certificates_of(LAN.cccd).await;
    assert_eq!(certs.len(), 2);
    let valid: Vec<_> = certs
        .iter()
        .filter(|c| c.status == CertStatus::Valid)
        .collect();
    assert_eq!(valid.len(), 1);
    assert_eq!(valid[0].serial, new.certificate.serial);
    let active = env.store.active_enrolment(LAN.cccd).await.unwrap().unwrap();
    assert_eq!(active.serial, new.certificate.serial);
    assert_eq!(active.channel, old.enrolment.channel);

    // The new credential signs with the new PIN; the old one signs nothing.
    let sig = env
        .sign(&env.public_service, &new.credential_id, NEW_PIN, b"m")
        .await
        .unwrap();
    verify_with_certificate(&new.certificate.der, b"m", &sig);
    let r = env
        .sign(&env.public_service, &old.credential_id, PIN, b"m")
        .await;
    assert!(
        matches!(r, Err(RemoteError::CertificateNotUsable(_))),
        "{r:?}"
    );
}

async fn renewal_only_in_the_last_thirty_days(env: &Env) {
    let old = env.enrol_online(LAN, VNPT).await;
    let r = env
        .citizens
        .renew(
            &citizen(LAN),
            LAN.cccd,
            Some(PIN),
            NEW_PIN,
            KeyAlgorithm::P256,
        )
        .await;
    assert!(
        matches!(r, Err(CitizenError::RenewalTooEarly { window: 30, .. })),
        "{r:?}"
    );
    // 31 days before the end: still too early.
    let not_after = old.certificate.not_after;
    env.clock
        .advance(not_after.seconds() - env.now().seconds() - 31 * 86_400);
    let r = env
        .citizens
        .renew(
            &citizen(LAN),
            LAN.cccd,
            Some(PIN),
            NEW_PIN,
            KeyAlgorithm::P256,
        )
        .await;
    assert!(
        matches!(
            r,
            Err(CitizenError::RenewalTooEarly {
                days_left: 31,
                window: 30
            })
        ),
        "{r:?}"
    );
    assert_eq!(env.certificates_of(LAN.cccd).await.len(), 1);

    env.clock.advance(2 * 86_400);
    let new = env
        .citizens
        .renew(
            &citizen(LAN),
            LAN.cccd,
            Some(PIN),
            NEW_PIN,
            KeyAlgorithm::P256,
        )
        .await
        .unwrap();
    env.assert_issued_by(&new.certificate, VNPT);
    assert!(new.certificate.not_after > not_after);
    let was = env
        .store
        .get_certificate(&old.certificate.serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(was.status, CertStatus::Revoked);
    assert_eq!(was.status_reason, Some(RevocationReason::Superseded));
    let valid: Vec<_> = env
        .certificates_of(LAN.cccd)
        .await
        .into_iter()
        .filter(|c| c.status == CertStatus::Valid)
        .collect();
    assert_eq!(valid.len(), 1);
    assert_eq!(valid[0].serial, new.certificate.serial);
    let sig = env
        .sign(&env.public_service, &new.credential_id, NEW_PIN, b"r")
        .await;
    // Past the free year: a public-service signature needs quota now.
    assert!(
        matches!(sig, Err(RemoteError::QuotaExceeded { .. })),
        "{sig:?}"
    );
    env.citizens
        .grant_signatures(&Actor::Operator, LAN.cccd, 1)
        .await
        .unwrap();
    let sig = env
        .sign(&env.public_service, &new.credential_id, NEW_PIN, b"r")
        .await
        .unwrap();
    verify_with_certificate(&new.certificate.der, b"r", &sig);
}

both_backends!(
    a_providers_suspension_is_not_the_citizens_to_lift,
    a_suspended_certificate_signs_nothing_until_resumed_with_the_pin,
    only_the_citizen_their_provider_and_the_province_change_a_certificate,
    a_revoked_citizen_enrols_again_without_a_new_free_year,
    switching_provider_supersedes_the_old_certificate,
    renewal_only_in_the_last_thirty_days,
);
