//! No private key material appears in clear in the data directory or the database.
//!
//! The test recovers every private key the way only a holder of the KEK could (unwrapping
//! the stored blobs), then searches every byte kyso wrote — the SQLite files including WAL,
//! or a `pg_dump` of the PostgreSQL database — for the secret, raw and hex-encoded.

mod common;
use common::*;
use kyso_keys::kek::Kek;
use kyso_keys::soft::wrap_context;
use std::process::Command;

/// Secret byte strings of a PKCS#8 key: the EC private scalar, or for RSA the last 64
/// bytes (the CRT coefficient, private) — plus the whole PKCS#8.
fn secrets(pkcs8: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![pkcs8.to_vec()];
    // ECPrivateKey: INTEGER 1, OCTET STRING (32 or 48 bytes).
    for len in [0x20u8, 0x30] {
        if let Some(at) = pkcs8
            .windows(5)
            .position(|w| w == [0x02, 0x01, 0x01, 0x04, len])
        {
            out.push(pkcs8[at + 5..at + 5 + len as usize].to_vec());
        }
    }
    if out.len() == 1 {
        out.push(pkcs8[pkcs8.len() - 64..].to_vec());
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn assert_absent(what: &str, hay: &[u8], secrets: &[Vec<u8>]) {
    for s in secrets {
        assert!(!contains(hay, s), "{what} contains a private key in clear");
        for h in [hex::encode(s), hex::encode_upper(s)] {
            assert!(
                !contains(hay, h.as_bytes()),
                "{what} contains a private key as hex"
            );
        }
    }
}

fn issue_some(k: &Kyso) {
    for alg in ["p256", "rsa2048", "p384"] {
        let mut a = CITIZEN.to_vec();
        a.extend(["--keygen", "--algorithm", alg]);
        k.ok(&a);
    }
}

fn all_secrets(k: &Kyso) -> Vec<Vec<u8>> {
    let kek = Kek::load(&k.data_dir().join("kek")).unwrap();
    let url = k
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", k.data_dir().join("kyso.db").display()));
    let rt = runtime();
    rt.block_on(async {
        let store = kyso_store::open(&url).await.unwrap();
        let mut ids: Vec<String> = store
            .authorities()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.key_id)
            .collect();
        for c in store.list_certificates(&Default::default()).await.unwrap() {
            ids.extend(c.key_id);
        }
        ids.sort();
        ids.dedup();
        assert!(
            ids.len() >= 9,
            "6 authorities and 3 subscribers, got {}",
            ids.len()
        );
        let mut all = Vec::new();
        for id in ids {
            let rec = store.get_key(&id).await.unwrap().unwrap();
            let pkcs8 = kek
                .unwrap(&wrap_context(&rec.id, rec.algorithm), &rec.material)
                .expect("the KEK unwraps every stored key");
            all.extend(secrets(&pkcs8));
        }
        all
    })
}

#[test]
fn sqlite_data_directory_holds_no_clear_private_key() {
    let k = Kyso::sqlite();
    k.ok(&["ca", "init"]);
    issue_some(&k);
    let secrets = all_secrets(&k);
    let mut files = 0;
    for entry in std::fs::read_dir(k.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        // SQLite removes -wal/-shm files when the last connection closes.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        assert_absent(&path.display().to_string(), &bytes, &secrets);
        files += 1;
    }
    assert!(files >= 2, "kyso.db and kek at least");
}

#[test]
fn postgres_database_holds_no_clear_private_key() {
    let k = Kyso::postgres();
    k.ok(&["ca", "init"]);
    issue_some(&k);
    let secrets = all_secrets(&k);
    let dump = Command::new("pg_dump")
        .args(["--data-only", k.database.as_deref().unwrap()])
        .output()
        .expect("pg_dump must be installed");
    assert!(dump.status.success(), "{}", text(&dump.stderr));
    assert!(dump.stdout.len() > 1000);
    assert_absent("pg_dump", &dump.stdout, &secrets);
    for entry in std::fs::read_dir(k.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        assert_absent(
            &path.display().to_string(),
            &std::fs::read(&path).unwrap(),
            &secrets,
        );
    }
}

#[test]
fn the_search_would_find_a_clear_key() {
    // Guards the test itself: the same search finds a key that is stored in clear.
    let secret = secrets(
        &[0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20]
            .iter()
            .copied()
            .chain([7u8; 32])
            .chain([0u8; 40])
            .collect::<Vec<_>>(),
    );
    let hay: Vec<u8> = b"prefix"
        .iter()
        .copied()
        .chain(hex::encode([7u8; 32]).into_bytes())
        .collect();
    let found = std::panic::catch_unwind(|| assert_absent("sample", &hay, &secret));
    assert!(found.is_err());
}
