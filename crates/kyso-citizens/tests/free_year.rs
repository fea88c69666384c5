//! The free year and the signing quota, with the clock passed in: public-service signatures
//! are free for twelve months, every other signature is charged against a quota that a
//! provider sells, and the usage report adds it all up per provider.

mod common;

use common::*;
use kyso_citizens::{Actor, CitizenError};
use kyso_remote::RemoteError;
use kyso_store::citizens::StaffRole;
use kyso_store::credentials::SignatureCounts;
use kyso_store::enrolment::ProviderUsage;

async fn counts(env: &Env, credential: &str) -> SignatureCounts {
    env.store.signature_counts(credential).await.unwrap()
}

async fn usage(env: &Env, provider: &str) -> ProviderUsage {
    let all = env.citizens.usage_report(None).await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let one = env.citizens.usage_report(Some(provider)).await.unwrap();
    assert_eq!(one.len(), 1);
    let row = all.into_iter().find(|u| u.provider == provider).unwrap();
    assert_eq!(row, one[0]);
    row
}

fn quota_exceeded<T: std::fmt::Debug>(r: &Result<T, RemoteError>) {
    assert!(matches!(r, Err(RemoteError::QuotaExceeded { .. })), "{r:?}");
}

async fn public_service_signatures_are_free_in_the_first_year_others_need_quota(env: &Env) {
    assert_eq!(env.citizens.policy().included_signatures, 0);
    let e = env.enrol_online(LAN, VNPT).await;
    let cred = &e.credential_id;

    // Free: public service, first year, quota 0.
    for m in [b"ho so 1", b"ho so 2"] {
        let sig = env.sign(&env.public_service, cred, PIN, m).await.unwrap();
        verify_with_certificate(&e.certificate.der, m, &sig);
    }
    assert_eq!(
        counts(env, cred).await,
        SignatureCounts {
            free: 2,
            charged: 0,
            refused: 0
        }
    );
    assert_eq!(env.sign_entries(cred).await, 2);

    // Not free: another relying party, quota 0 — refused, nothing signed or logged.
    let r = env.sign(&env.other, cred, PIN, b"hop dong vay").await;
    assert!(
        matches!(r, Err(RemoteError::QuotaExceeded { used: 0, quota: 0 })),
        "{r:?}"
    );
    assert_eq!(env.sign_entries(cred).await, 2);
    assert_eq!(counts(env, cred).await.charged, 0);

    // Sold by the provider (not by the citizen, not by another provider).
    let r = env
        .citizens
        .grant_signatures(&Actor::Citizen(LAN.cccd.into()), LAN.cccd, 2)
        .await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    let viettel = env.staff("nv-viettel", StaffRole::Provider, VIETTEL).await;
    let r = env
        .citizens
        .grant_signatures(&Actor::Staff(viettel), LAN.cccd, 2)
        .await;
    assert!(matches!(r, Err(CitizenError::Forbidden(_))), "{r:?}");
    assert_eq!(
        env.citizens
            .grant_signatures(&Actor::Operator, LAN.cccd, 2)
            .await
            .unwrap(),
        2
    );

    // Three authorisations while nothing is charged yet (each one fits the quota on its
    // own); the signature's own write lets exactly two through.
    let mut sads = Vec::new();
    for m in [b"hd 1", b"hd 2", b"hd 3"] {
        sads.push(env.authorize(&env.other, cred, PIN, m).await.unwrap());
    }
    for (sad, m) in sads.iter().zip([b"hd 1", b"hd 2"]) {
        let sig = env.sign_with(&env.other, cred, sad, m).await.unwrap();
        verify_with_certificate(&e.certificate.der, m, &sig);
    }
    let r = env.sign_with(&env.other, cred, &sads[2], b"hd 3").await;
    assert!(
        matches!(r, Err(RemoteError::QuotaExceeded { used: 2, quota: 2 })),
        "{r:?}"
    );
    assert_eq!(env.sign_entries(cred).await, 4);
    // And a fourth is refused before the citizen is even asked.
    quota_exceeded(&env.sign(&env.other, cred, PIN, b"hd 4").await);
    assert_eq!(env.sign_entries(cred).await, 4);
    // Public-service signatures are still free meanwhile.
    env.sign(&env.public_service, cred, PIN, b"ho so 3")
        .await
        .unwrap();
    assert_eq!(
        counts(env, cred).await,
        SignatureCounts {
            free: 3,
            charged: 2,
            refused: 1
        }
    );

    let u = usage(env, VNPT).await;
    assert_eq!(
        (
            u.signatures_free,
            u.signatures_charged,
            u.signatures_refused,
            u.quota
        ),
        (3, 2, 1, 2)
    );
    assert_eq!((u.active, u.in_free_year), (1, 1));
    assert_eq!(u.by_channel, [0, 1, 0, 0]);
    let other = usage(env, VIETTEL).await;
    assert_eq!(
        (
            other.active,
            other.signatures_free,
            other.signatures_charged,
            other.signatures_refused
        ),
        (0, 0, 0, 0)
    );

    // The usage the citizen sees, from the transparency log.
    let seen = env.remote.usage(cred).await.unwrap();
    let by = |p: &str| {
        seen.iter()
            .filter(|u| u.purpose == p)
            .map(|u| u.signatures)
            .sum::<u64>()
    };
    assert_eq!((by("public-service"), by("other")), (3, 2));
}

async fn after_the_free_year_public_service_signatures_are_charged(env: &Env) {
    let e = env.enrol_online(LAN, VNPT).await;
    let cred = &e.credential_id;
    env.sign(&env.public_service, cred, PIN, b"a")
        .await
        .unwrap();
    assert_eq!(usage(env, VNPT).await.in_free_year, 1);

    // Eleven months on: still free.
    env.clock.advance(11 * 2_629_746);
    env.sign(&env.public_service, cred, PIN, b"b")
        .await
        .unwrap();
    assert_eq!(counts(env, cred).await.free, 2);

    // Thirteen months after enrolment: the free year is over.
    env.clock.advance(2 * 2_629_746);
    assert!(env.now() > e.free_until);
    quota_exceeded(&env.sign(&env.public_service, cred, PIN, b"c").await);
    assert_eq!(env.sign_entries(cred).await, 2);
    let u = usage(env, VNPT).await;
    assert_eq!((u.active, u.in_free_year), (1, 0));

    // A signature the provider sold passes; the next one does not.
    env.citizens
        .grant_signatures(&Actor::Operator, LAN.cccd, 1)
        .await
        .unwrap();
    env.sign(&env.public_service, cred, PIN, b"d")
        .await
        .unwrap();
    quota_exceeded(&env.sign(&env.public_service, cred, PIN, b"e").await);
    assert_eq!(
        counts(env, cred).await,
        SignatureCounts {
            free: 2,
            charged: 1,
            refused: 0
        }
    );
    let u = usage(env, VNPT).await;
    assert_eq!((u.signatures_free, u.signatures_charged), (2, 1));
}

async fn a_sad_granted_in_the_free_year_is_charged_when_spent_after_it(env: &Env) {
    let e = env.enrol_online(LAN, VNPT).await;
    let cred = &e.credential_id;
    // One second before the end of the free year, with quota 0.
    env.clock
        .advance(e.free_until.seconds() - env.now().seconds() - 1);
    let sad = env
        .authorize(&env.public_service, cred, PIN, b"late")
        .await
        .unwrap();
    env.clock.advance(2);
    let r = env
        .sign_with(&env.public_service, cred, &sad, b"late")
        .await;
    assert!(
        matches!(r, Err(RemoteError::QuotaExceeded { used: 0, quota: 0 })),
        "{r:?}"
    );
    assert_eq!(env.sign_entries(cred).await, 0);
    assert_eq!(
        counts(env, cred).await,
        SignatureCounts {
            free: 0,
            charged: 0,
            refused: 1
        }
    );
}

both_backends!(
    public_service_signatures_are_free_in_the_first_year_others_need_quota,
    after_the_free_year_public_service_signatures_are_charged,
    a_sad_granted_in_the_free_year_is_charged_when_spent_after_it,
);
