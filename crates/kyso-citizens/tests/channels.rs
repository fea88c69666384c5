//! Each enrolment channel end to end, and each proof it must refuse: door to door (the
//! card's QR text against the register, the officer's commune), online (a one-time code to
//! the registered phone: wrong, reused, expired, over-tried, rate-limited, never sent for
//! details that do not match), and an OpenID login (level, whose CCCD).

mod common;

use common::*;
use kyso_citizens::{CitizenError, Proof};
use kyso_store::citizens::StaffRole;
use kyso_store::enrolment::Channel;

/// Nothing of the citizen's was stored: no certificate, credential or enrolment.
async fn nothing_stored(env: &Env, c: Citizen) {
    assert!(env.certificates_of(c.cccd).await.is_empty());
    assert!(env.store.enrolments_of(c.cccd).await.unwrap().is_empty());
    assert!(
        env.store
            .credentials_of(&format!("CCCD:{}", c.cccd))
            .await
            .unwrap()
            .is_empty()
    );
}

/// The enrolment stands: certificate from the provider's CA for this citizen, credential
/// that signs with the chosen PIN (and only with it).
async fn enrolled_and_usable(env: &Env, c: Citizen, e: &kyso_citizens::Enrolled, provider: &str) {
    env.assert_issued_by(&e.certificate, provider);
    let subject = format!("CCCD:{}", c.cccd);
    assert_eq!(e.certificate.subject_id.as_deref(), Some(subject.as_str()));
    assert_eq!(e.enrolment.provider, provider);
    assert_eq!(e.enrolment.serial, e.certificate.serial);
    let active = env.store.active_enrolment(c.cccd).await.unwrap().unwrap();
    assert_eq!(active.id, e.enrolment.id);
    assert_eq!(active.channel, e.enrolment.channel);
    let stored = env.certificates_of(c.cccd).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].serial, e.certificate.serial);
    assert_eq!(e.free_until, env.citizens.policy().free_until(env.now()));

    let message = format!("hồ sơ của {}", c.name).into_bytes();
    let sig = env
        .sign(&env.public_service, &e.credential_id, PIN, &message)
        .await
        .unwrap();
    verify_with_certificate(&e.certificate.der, &message, &sig);
    let wrong = env
        .sign(&env.public_service, &e.credential_id, "135790", &message)
        .await;
    assert!(
        matches!(wrong, Err(kyso_remote::RemoteError::WrongPin { .. })),
        "{wrong:?}"
    );
}

async fn door_to_door_enrols_with_the_providers_ca_and_the_credential_signs(env: &Env) {
    let officer = env
        .staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    let e = env
        .citizens
        .enrol(request(
            LAN,
            VNPT,
            Proof::DoorToDoor {
                officer,
                card_qr: card(LAN),
            },
        ))
        .await
        .unwrap();
    assert_eq!(e.enrolment.channel, Channel::DoorToDoor);
    enrolled_and_usable(env, LAN, &e, VNPT).await;
    // The citizen is told on the registered phone, and the card check is in the access log.
    let sms = env.store.sms_outbox(LAN.phone, 1).await.unwrap();
    assert!(sms[0].body.contains("da duoc cap boi vnpt"), "{sms:?}");
    let log = env
        .store
        .access_log(Some(LAN.cccd), None, 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0].staff.as_str(), log[0].what.as_str(), log[0].allowed),
        ("can-bo-a", "card check", true)
    );
}

async fn a_card_that_differs_from_the_register_is_refused(env: &Env) {
    let officer = env
        .staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    let attempt = |qr: String| {
        env.citizens.enrol(request(
            LAN,
            VNPT,
            Proof::DoorToDoor {
                officer: officer.clone(),
                card_qr: qr,
            },
        ))
    };
    for qr in [
        // Another birth day (same year: the card itself is consistent).
        card_with(LAN, LAN.name, "1990-03-05"),
        // Another name (one diacritic).
        card_with(LAN, "Nguyễn Thị Lân", LAN.birth),
        // Another citizen's card.
        card(CHAU),
    ] {
        let r = attempt(qr.clone()).await;
        assert!(
            matches!(r, Err(CitizenError::CardMismatch(_))),
            "{qr}: {r:?}"
        );
        // The register's values are never shown to whoever typed the card.
        let message = r.unwrap_err().to_string();
        assert!(
            !message.contains(LAN.name)
                && !message.contains("1990-03-04")
                && !message.contains("04031990"),
            "{message}"
        );
    }
    nothing_stored(env, LAN).await;
    // The register's own card passes.
    attempt(card(LAN)).await.unwrap();
}

async fn an_officer_of_another_commune_is_forbidden(env: &Env) {
    let other_commune = env
        .staff("can-bo-b", StaffRole::Commune, env.commune_of(BINH))
        .await;
    assert_ne!(env.commune_of(BINH), env.commune_of(LAN));
    let viettel = env.staff("nv-viettel", StaffRole::Provider, VIETTEL).await;
    for officer in [other_commune, viettel] {
        let r = env
            .citizens
            .enrol(request(
                LAN,
                VNPT,
                Proof::DoorToDoor {
                    officer,
                    card_qr: card(LAN),
                },
            ))
            .await;
        assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
        // Nothing about the citizen (not even their commune) in the refusal.
        let message = r.unwrap_err().to_string();
        assert!(!message.contains(env.commune_of(LAN)), "{message}");
    }
    // Refused card checks are logged too.
    let log = env
        .store
        .access_log(Some(LAN.cccd), None, 10)
        .await
        .unwrap();
    assert_eq!(log.iter().filter(|a| !a.allowed).count(), 2, "{log:?}");
    nothing_stored(env, LAN).await;
    let own = env
        .staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    env.citizens
        .enrol(request(
            LAN,
            VNPT,
            Proof::DoorToDoor {
                officer: own,
                card_qr: card(LAN),
            },
        ))
        .await
        .unwrap();
}

async fn online_enrolment_with_a_code_sent_to_the_registered_phone(env: &Env) {
    let sent = env
        .citizens
        .send_code(LAN.cccd, LAN.name, LAN.birth, "enrol")
        .await
        .unwrap();
    assert_eq!(sent.phone_hint, "*******678");
    assert_eq!(sent.expires_in, 300);
    let sms = env.store.sms_outbox(None, 10).await.unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].phone, LAN.phone.unwrap());
    let code = code_in(&sms[0].body);
    let e = env
        .citizens
        .enrol(request(
            LAN,
            VIETTEL,
            Proof::Online {
                challenge: sent.challenge,
                code,
            },
        ))
        .await
        .unwrap();
    assert_eq!(e.enrolment.channel, Channel::Online);
    enrolled_and_usable(env, LAN, &e, VIETTEL).await;
}

/// A different code of the same length.
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn a_wrong_expired_or_reused_code_is_refused(env: &Env) {
    let Proof::Online { challenge, code } = env.online_proof(LAN).await else {
        unreachable!()
    };
    let online = |challenge: &str, code: &str| Proof::Online {
        challenge: challenge.into(),
        code: code.into(),
    };
    let r = env
        .citizens
        .enrol(request(LAN, VNPT, online(&challenge, &wrong(&code))))
        .await;
    assert!(matches!(r, Err(CitizenError::InvalidCode)), "{r:?}");
    nothing_stored(env, LAN).await;

    // Someone else's code does not enrol this citizen.
    let Proof::Online {
        challenge: binh_challenge,
        code: binh_code,
    } = env.online_proof(BINH).await
    else {
        unreachable!()
    };
    let r = env
        .citizens
        .enrol(request(LAN, VNPT, online(&binh_challenge, &binh_code)))
        .await;
    assert!(matches!(r, Err(CitizenError::InvalidCode)), "{r:?}");
    nothing_stored(env, LAN).await;

    // A login code is not an enrolment code.
    let login = env
        .citizens
        .send_code(LAN.cccd, LAN.name, LAN.birth, "login")
        .await
        .unwrap();
    let login_code = env.last_code(LAN.phone.unwrap()).await;
    let r = env
        .citizens
        .enrol(request(LAN, VNPT, online(&login.challenge, &login_code)))
        .await;
    assert!(matches!(r, Err(CitizenError::InvalidCode)), "{r:?}");

    // An expired one is refused.
    let Proof::Online {
        challenge: late,
        code: late_code,
    } = env.online_proof(LAN).await
    else {
        unreachable!()
    };
    env.clock.advance(301);
    let r = env
        .citizens
        .enrol(request(LAN, VNPT, online(&late, &late_code)))
        .await;
    assert!(matches!(r, Err(CitizenError::InvalidCode)), "{r:?}");
    nothing_stored(env, LAN).await;

    // The first code has expired too: a fresh one enrols…
    let fresh = env.online_proof(LAN).await;
    let Proof::Online {
        challenge: used,
        code: used_code,
    } = fresh.clone()
    else {
        unreachable!()
    };
    env.citizens.enrol(request(LAN, VNPT, fresh)).await.unwrap();
    // …once: after the certificate is revoked (so that an enrolment would be allowed),
    // the spent code cannot enrol again.
    env.citizens
        .revoke(
            &kyso_citizens::Actor::Operator,
            LAN.cccd,
            kyso_core::RevocationReason::KeyCompromise,
            None,
        )
        .await
        .unwrap();
    let r = env
        .citizens
        .enrol(request(LAN, VNPT, online(&used, &used_code)))
        .await;
    assert!(matches!(r, Err(CitizenError::InvalidCode)), "{r:?}");
    assert!(
        env.store
            .active_enrolment(LAN.cccd)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(env.certificates_of(LAN.cccd).await.len(), 1);
}

async fn the_right_code_after_five_wrong_ones_is_refused(env: &Env) {
    let Proof::Online { challenge, code } = env.online_proof(LAN).await else {
        unreachable!()
    };
    for _ in 0..5 {
        let r = env
            .citizens
            .enrol(request(
                LAN,
                VNPT,
                Proof::Online {
                    challenge: challenge.clone(),
                    code: wrong(&code),
                },
            ))
            .await;
        assert!(matches!(r, Err(CitizenError::InvalidCode)), "{r:?}");
    }
    let r = env
        .citizens
        .enrol(request(LAN, VNPT, Proof::Online { challenge, code }))
        .await;
    assert!(matches!(r, Err(CitizenError::InvalidCode)), "{r:?}");
    nothing_stored(env, LAN).await;
    // A new code still works.
    env.enrol_online(LAN, VNPT).await;
}

async fn details_that_do_not_match_the_register_send_no_code(env: &Env) {
    for (cccd, name, birth) in [
        (LAN.cccd, "Nguyễn Thị Lân", LAN.birth),
        (LAN.cccd, LAN.name, "1990-03-05"),
        (LAN.cccd, BINH.name, BINH.birth),
        ("046190099999", LAN.name, LAN.birth),
    ] {
        let r = env.citizens.send_code(cccd, name, birth, "enrol").await;
        assert!(
            matches!(r, Err(CitizenError::NoMatch)),
            "{name} {birth}: {r:?}"
        );
    }
    let r = env
        .citizens
        .send_code(CHAU.cccd, CHAU.name, CHAU.birth, "enrol")
        .await;
    assert!(matches!(r, Err(CitizenError::NoPhone)), "{r:?}");
    assert!(env.store.sms_outbox(None, 10).await.unwrap().is_empty());
    // The register's details, written differently (case, spacing), do send one.
    env.citizens
        .send_code(LAN.cccd, "  nguyễn  thị LAN ", LAN.birth, "enrol")
        .await
        .unwrap();
    assert_eq!(env.store.sms_outbox(None, 10).await.unwrap().len(), 1);
}

async fn at_most_five_codes_an_hour(env: &Env) {
    for _ in 0..5 {
        env.citizens
            .send_code(LAN.cccd, LAN.name, LAN.birth, "enrol")
            .await
            .unwrap();
        env.clock.advance(60);
    }
    let r = env
        .citizens
        .send_code(LAN.cccd, LAN.name, LAN.birth, "enrol")
        .await;
    assert!(matches!(r, Err(CitizenError::TooManyCodes)), "{r:?}");
    assert_eq!(env.sms_count(LAN.phone.unwrap()).await, 5);
    // Another citizen is not held back.
    env.citizens
        .send_code(BINH.cccd, BINH.name, BINH.birth, "enrol")
        .await
        .unwrap();
    // An hour after the first code, one more may be sent.
    env.clock.advance(3600 - 5 * 60 + 1);
    env.citizens
        .send_code(LAN.cccd, LAN.name, LAN.birth, "enrol")
        .await
        .unwrap();
    assert_eq!(env.sms_count(LAN.phone.unwrap()).await, 6);
}

async fn concurrent_code_requests_cannot_exceed_five_an_hour(env: &Env) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let citizens = env.citizens.clone();
        tasks.spawn(async move {
            citizens
                .send_code(LAN.cccd, LAN.name, LAN.birth, "enrol")
                .await
        });
    }
    let (mut sent, mut refused) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(_) => sent += 1,
            Err(CitizenError::TooManyCodes) => refused += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((sent, refused), (5, 15));
    assert_eq!(env.sms_count(LAN.phone.unwrap()).await, 5);
}

async fn an_openid_login_must_be_level_2_and_the_citizens_own(env: &Env) {
    let r = env
        .citizens
        .enrol(request(LAN, VNPT, oidc_proof(Channel::Vneid, LAN.cccd, 1)))
        .await;
    assert!(matches!(r, Err(CitizenError::LevelTooLow(1))), "{r:?}");
    let r = env
        .citizens
        .enrol(request(
            LAN,
            VNPT,
            oidc_proof(Channel::ProvincialApp, BINH.cccd, 2),
        ))
        .await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    // An OpenID login does not stand for the door-to-door or online channels.
    let r = env
        .citizens
        .enrol(request(
            LAN,
            VNPT,
            oidc_proof(Channel::DoorToDoor, LAN.cccd, 2),
        ))
        .await;
    assert!(matches!(r, Err(CitizenError::InvalidInput(_))), "{r:?}");
    nothing_stored(env, LAN).await;

    let e = env
        .citizens
        .enrol(request(
            LAN,
            VIETTEL,
            oidc_proof(Channel::ProvincialApp, LAN.cccd, 2),
        ))
        .await
        .unwrap();
    assert_eq!(e.enrolment.channel, Channel::ProvincialApp);
    enrolled_and_usable(env, LAN, &e, VIETTEL).await;
}

both_backends!(
    a_weak_pin_or_unknown_provider_does_not_spend_the_code,
    door_to_door_enrols_with_the_providers_ca_and_the_credential_signs,
    a_card_that_differs_from_the_register_is_refused,
    an_officer_of_another_commune_is_forbidden,
    online_enrolment_with_a_code_sent_to_the_registered_phone,
    a_wrong_expired_or_reused_code_is_refused,
    the_right_code_after_five_wrong_ones_is_refused,
    details_that_do_not_match_the_register_send_no_code,
    at_most_five_codes_an_hour,
    concurrent_code_requests_cannot_exceed_five_an_hour,
    an_openid_login_must_be_level_2_and_the_citizens_own,
);

async fn a_weak_pin_or_unknown_provider_does_not_spend_the_code(env: &Env) {
    let proof = env.online_proof(LAN).await;
    let mut weak = request(LAN, VNPT, proof.clone());
    weak.pin = "123456".into();
    let r = env.citizens.enrol(weak).await;
    assert!(matches!(r, Err(CitizenError::InvalidInput(_))), "{r:?}");
    let r = env
        .citizens
        .enrol(request(LAN, "nobody", proof.clone()))
        .await;
    assert!(matches!(r, Err(CitizenError::UnknownProvider(_))), "{r:?}");
    // The same code still enrols.
    env.citizens.enrol(request(LAN, VNPT, proof)).await.unwrap();
}
