//! Privacy: staff see only their scope, every read (and refused read) is logged with who
//! and why, the citizen's download holds everything but secrets, and staff passwords
//! cannot be guessed at speed.

mod common;

use base64::Engine as _;
use common::*;
use kyso_citizens::{Actor, CitizenError};
use kyso_core::RevocationReason;
use kyso_keys::KeyAlgorithm;
use kyso_store::citizens::StaffRole;

const REASON: &str = "kiểm tra hồ sơ đăng ký chữ ký số";

async fn a_commune_officer_reads_only_their_communes_citizens_and_every_read_is_logged(env: &Env) {
    let officer_a = env
        .staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    let officer_b = env
        .staff("can-bo-b", StaffRole::Commune, env.commune_of(BINH))
        .await;

    let r = env
        .citizens
        .read_citizen(&officer_b, LAN.cccd, "tò mò về hàng xóm")
        .await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    let log = env
        .store
        .access_log(Some(LAN.cccd), None, 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].staff, "can-bo-b");
    assert_eq!(log[0].cccd, LAN.cccd);
    assert_eq!(log[0].reason, "tò mò về hàng xóm");
    assert!(!log[0].allowed);
    assert_eq!(log[0].at, env.now());

    env.clock.advance(60);
    let view = env
        .citizens
        .read_citizen(&officer_a, LAN.cccd, REASON)
        .await
        .unwrap();
    assert_eq!(view["cccd"], LAN.cccd);
    assert_eq!(view["full_name"], LAN.name);
    assert_eq!(view["phone"], LAN.phone.unwrap());
    assert!(view["enrolment"].is_null());
    let log = env
        .store
        .access_log(Some(LAN.cccd), None, 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    // Newest first.
    assert_eq!(
        (
            log[0].staff.as_str(),
            log[0].allowed,
            log[0].reason.as_str()
        ),
        ("can-bo-a", true, REASON)
    );
    assert_eq!(log[0].at, env.now());

    // An unknown number is refused like an out-of-scope one (scope must not reveal who
    // is registered), and logged.
    let r = env
        .citizens
        .read_citizen(&officer_a, "046190099999", REASON)
        .await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    let by_a = env
        .store
        .access_log(None, Some("can-bo-a"), 10)
        .await
        .unwrap();
    assert_eq!(by_a.len(), 2);
    assert!(by_a.iter().any(|a| a.cccd == "046190099999" && !a.allowed));

    // The officer of the other commune reads their own citizen.
    env.citizens
        .read_citizen(&officer_b, BINH.cccd, REASON)
        .await
        .unwrap();
}

async fn provider_staff_read_only_their_providers_citizens(env: &Env) {
    let vnpt = env.staff("nv-vnpt", StaffRole::Provider, VNPT).await;
    let viettel = env.staff("nv-viettel", StaffRole::Provider, VIETTEL).await;
    // Not enrolled: neither provider's.
    for s in [&vnpt, &viettel] {
        let r = env.citizens.read_citizen(s, LAN.cccd, REASON).await;
        assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    }
    let e = env.enrol_online(LAN, VNPT).await;
    let view = env
        .citizens
        .read_citizen(&vnpt, LAN.cccd, REASON)
        .await
        .unwrap();
    assert_eq!(view["enrolment"]["provider"], VNPT);
    assert_eq!(view["enrolment"]["serial"], e.certificate.serial.as_str());
    assert_eq!(view["enrolment"]["status"], "valid");
    let r = env.citizens.read_citizen(&viettel, LAN.cccd, REASON).await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");

    // After a switch, the other way round.
    env.citizens
        .switch_provider(
            &Actor::Citizen(LAN.cccd.into()),
            LAN.cccd,
            VIETTEL,
            Some(PIN),
            "975310",
            KeyAlgorithm::P256,
        )
        .await
        .unwrap();
    let r = env.citizens.read_citizen(&vnpt, LAN.cccd, REASON).await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    env.citizens
        .read_citizen(&viettel, LAN.cccd, REASON)
        .await
        .unwrap();
    // And after a revocation, nobody's.
    env.citizens
        .revoke(
            &Actor::Operator,
            LAN.cccd,
            RevocationReason::CessationOfOperation,
            None,
        )
        .await
        .unwrap();
    let r = env.citizens.read_citizen(&viettel, LAN.cccd, REASON).await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");

    let log = env
        .store
        .access_log(Some(LAN.cccd), None, 100)
        .await
        .unwrap();
    let allowed: Vec<_> = log.iter().filter(|a| a.allowed).map(|a| &a.staff).collect();
    assert_eq!(allowed, ["nv-viettel", "nv-vnpt"]);
    assert_eq!(log.iter().filter(|a| !a.allowed).count(), 5);
}

async fn a_read_without_a_reason_is_refused(env: &Env) {
    let officer = env
        .staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    for reason in ["", "   ", "xem", &"x".repeat(201)] {
        let r = env.citizens.read_citizen(&officer, LAN.cccd, reason).await;
        assert!(
            matches!(r, Err(CitizenError::InvalidInput(_))),
            "{reason:?}: {r:?}"
        );
    }
    assert!(
        env.store
            .access_log(Some(LAN.cccd), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

fn encodings(bytes: &[u8]) -> Vec<String> {
    let mut all = vec![
        hex::encode(bytes),
        hex::encode_upper(bytes),
        base64::engine::general_purpose::STANDARD.encode(bytes),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        // serde's form of a byte vector: an array of numbers.
        bytes
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(","),
    ];
    // A part of it (the HMAC after the salt, the salt alone).
    if bytes.len() > 16 {
        all.push(hex::encode(&bytes[16..]));
        all.push(hex::encode(&bytes[..16]));
    }
    all
}

async fn the_citizens_download_holds_their_data_and_no_secret(env: &Env) {
    let proof = env.online_proof(LAN).await;
    let mut req = request(LAN, VNPT, proof);
    req.totp = true;
    let e = env.citizens.enrol(req).await.unwrap();
    let totp_base32 = e.totp_secret.clone().expect("a TOTP secret was asked for");
    let officer = env
        .staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    env.citizens
        .read_citizen(&officer, LAN.cccd, REASON)
        .await
        .unwrap();
    env.sign(&env.public_service, &e.credential_id, PIN, b"ho so")
        .await
        .ok();

    let data = env.citizens.citizen_data(LAN.cccd).await.unwrap();
    assert_eq!(data["person"]["cccd"], LAN.cccd);
    assert_eq!(data["person"]["full_name"], LAN.name);
    assert_eq!(data["person"]["birth_date"], LAN.birth);
    assert_eq!(data["person"]["commune"]["code"], env.commune_of(LAN));
    let enrolments = data["enrolments"].as_array().unwrap();
    assert_eq!(enrolments.len(), 1);
    assert_eq!(enrolments[0]["provider"], VNPT);
    assert_eq!(enrolments[0]["channel"], "online");
    assert_eq!(
        enrolments[0]["certificate"]["serial"],
        e.certificate.serial.as_str()
    );
    let credentials = data["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0]["id"], e.credential_id.as_str());
    assert_eq!(credentials[0]["totp"], true);
    let reads = data["staff_reads"].as_array().unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["staff"], "can-bo-a");
    assert_eq!(reads[0]["reason"], REASON);
    assert_eq!(reads[0]["allowed"], true);

    // No PIN hash, no TOTP secret (wrapped as stored, or in the clear as shown once), in
    // any encoding, anywhere in the text.
    let text = data.to_string();
    let stored = env
        .store
        .get_credential(&e.credential_id)
        .await
        .unwrap()
        .unwrap();
    let wrapped_totp = stored.totp_secret.clone().unwrap();
    let clear_totp = kyso_auth::base32::decode(&totp_base32).unwrap();
    for secret in [&stored.pin_hash, &wrapped_totp, &clear_totp] {
        assert!(secret.len() >= 16);
        for enc in encodings(secret) {
            assert!(!text.contains(&enc), "{enc} is in the download");
        }
    }
    assert!(!text.contains(&totp_base32));
    assert!(!text.to_lowercase().contains("pin_hash"));
    assert!(!text.contains(PIN));
    // Nor the staff member's password hash.
    let staff = env.store.get_staff("can-bo-a").await.unwrap().unwrap();
    for enc in encodings(&staff.password_hash) {
        assert!(!text.contains(&enc));
    }
}

async fn five_wrong_staff_passwords_lock_the_account_for_fifteen_minutes(env: &Env) {
    env.staff("can-bo-a", StaffRole::Commune, env.commune_of(LAN))
        .await;
    env.staff("can-bo-b", StaffRole::Commune, env.commune_of(BINH))
        .await;
    let r = env.citizens.staff_login("can-bo-a", "sai-mat-khau-1").await;
    assert!(matches!(r, Err(CitizenError::WrongPassword)), "{r:?}");
    let r = env
        .citizens
        .staff_login("khong-ton-tai", STAFF_PASSWORD)
        .await;
    assert!(matches!(r, Err(CitizenError::WrongPassword)), "{r:?}");
    for i in 2..=5 {
        let r = env
            .citizens
            .staff_login("can-bo-a", &format!("sai-mat-khau-{i}"))
            .await;
        assert!(matches!(r, Err(CitizenError::WrongPassword)), "{i}: {r:?}");
    }
    let r = env.citizens.staff_login("can-bo-a", STAFF_PASSWORD).await;
    assert!(matches!(r, Err(CitizenError::StaffLocked)), "{r:?}");
    // Another account is not locked.
    env.citizens
        .staff_login("can-bo-b", STAFF_PASSWORD)
        .await
        .unwrap();
    env.clock.advance(14 * 60);
    let r = env.citizens.staff_login("can-bo-a", STAFF_PASSWORD).await;
    assert!(matches!(r, Err(CitizenError::StaffLocked)), "{r:?}");
    env.clock.advance(60);
    let s = env
        .citizens
        .staff_login("can-bo-a", STAFF_PASSWORD)
        .await
        .unwrap();
    assert_eq!(s.id(), "can-bo-a");
    assert_eq!(s.scope(), env.commune_of(LAN));
    // A success forgives: four more wrong ones do not lock it.
    for i in 0..4 {
        let r = env
            .citizens
            .staff_login("can-bo-a", &format!("lai-sai-{i}"))
            .await;
        assert!(matches!(r, Err(CitizenError::WrongPassword)), "{r:?}");
    }
    env.citizens
        .staff_login("can-bo-a", STAFF_PASSWORD)
        .await
        .unwrap();
}

both_backends!(
    a_commune_officer_reads_only_their_communes_citizens_and_every_read_is_logged,
    provider_staff_read_only_their_providers_citizens,
    a_read_without_a_reason_is_refused,
    the_citizens_download_holds_their_data_and_no_secret,
    five_wrong_staff_passwords_lock_the_account_for_fifteen_minutes,
);
