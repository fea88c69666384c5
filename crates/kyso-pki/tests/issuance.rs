//! Issuance end to end: build a hierarchy, issue every profile, and have openssl (a peer
//! nobody here wrote) verify the chains. Lint refusals are checked to store nothing.

use kyso_core::{Cccd, PersonName, SubjectIdentifier, TextField, UnixTime};
use kyso_keys::kek::Kek;
use kyso_keys::soft::SoftKeyStore;
use kyso_keys::{KeyAlgorithm, KeyRole, KeyStore};
use kyso_pki::issue::SignedBy;
use kyso_pki::{
    CertTemplate, Issuer, Profile, SubjectSpec, Urls, issue_certificate, random_serial,
};
use std::process::Command;

const NOW: UnixTime = UnixTime(1_795_459_507); // 2026-11-23

fn keystore() -> SoftKeyStore {
    let mut k = [0u8; 32];
    aws_lc_rs::rand::fill(&mut k).unwrap();
    SoftKeyStore::new(Kek::from_bytes(&k).unwrap())
}

fn authority(cn: &str) -> SubjectSpec {
    SubjectSpec::Authority {
        organisation: TextField::parse("O", "kyso thử nghiệm", 64).unwrap(),
        common_name: TextField::parse("CN", cn, 64).unwrap(),
    }
}

fn citizen(name: &str) -> SubjectSpec {
    SubjectSpec::Person {
        name: PersonName::parse(name).unwrap(),
        id: SubjectIdentifier::Cccd(Cccd::parse("046190012345").unwrap()),
        province: TextField::parse("ST", "Thành phố Huế", 128).unwrap(),
        locality: Some(TextField::parse("L", "Phường Phú Hội", 128).unwrap()),
    }
}

fn template(profile: Profile, subject: SubjectSpec, spki: Vec<u8>, days: u32) -> CertTemplate {
    CertTemplate {
        profile,
        subject,
        public_key_der: spki,
        serial: random_serial(),
        not_before: NOW,
        not_after: NOW.plus_days(days),
        crl_shard: 3,
    }
}

struct Hierarchy {
    root: Issuer,
    ca: Issuer,
}

fn hierarchy(ks: &SoftKeyStore, alg: KeyAlgorithm) -> Hierarchy {
    let urls = Urls::new("http://127.0.0.1:8080");
    let root_key = ks
        .generate(
            alg,
            KeyRole::Authority {
                label: "root".into(),
            },
        )
        .unwrap();
    let root_t = template(
        Profile::Root,
        authority("kyso Root CA"),
        root_key.public_key_der.clone(),
        7300,
    );
    let root_cert = issue_certificate(
        ks,
        SignedBy::Itself(&root_key, alg.default_scheme()),
        &root_t,
        &urls,
    )
    .unwrap();
    let root = Issuer::new("root", root_cert.der, root_key, None).unwrap();
    let ca_key = ks
        .generate(
            alg,
            KeyRole::Authority {
                label: "citizen-ca".into(),
            },
        )
        .unwrap();
    let ca_t = template(
        Profile::IssuingCa,
        authority("kyso Citizen CA"),
        ca_key.public_key_der.clone(),
        3650,
    );
    let ca_cert = issue_certificate(ks, SignedBy::Ca(&root), &ca_t, &urls).unwrap();
    let ca = Issuer::new("citizen-ca", ca_cert.der, ca_key, None).unwrap();
    Hierarchy { root, ca }
}

fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<_> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn openssl_verify(h: &Hierarchy, leaf: &[u8], purpose: Option<&str>) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), pem(&h.root.cert_der)).unwrap();
    std::fs::write(dir.path().join("chain.pem"), pem(&h.ca.cert_der)).unwrap();
    std::fs::write(dir.path().join("leaf.pem"), pem(leaf)).unwrap();
    let mut cmd = Command::new("openssl");
    cmd.current_dir(dir.path()).args([
        "verify",
        "-attime",
        &NOW.plus_seconds(60).seconds().to_string(),
    ]);
    cmd.args(["-CAfile", "root.pem", "-untrusted", "chain.pem"]);
    if let Some(p) = purpose {
        cmd.args(["-purpose", p]);
    }
    let out = cmd
        .arg("leaf.pem")
        .output()
        .expect("openssl must be installed");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn openssl_verifies_every_profile_on_every_algorithm() {
    for alg in [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Rsa2048,
    ] {
        let ks = keystore();
        let h = hierarchy(&ks, alg);
        let urls = Urls::new("http://127.0.0.1:8080");
        let cases = [
            (Profile::Citizen, citizen("Nguyễn Thị Lan"), None),
            (
                Profile::Seal,
                SubjectSpec::Organisation {
                    organisation: TextField::parse("O", "Trường THPT Chu Văn An", 64).unwrap(),
                    common_name: TextField::parse("CN", "Trường THPT Chu Văn An", 64).unwrap(),
                    id: SubjectIdentifier::parse("MST:0101234567").unwrap(),
                    province: TextField::parse("ST", "Hà Nội", 128).unwrap(),
                    locality: None,
                },
                None,
            ),
            (
                Profile::OcspSigner,
                authority("kyso OCSP"),
                Some("ocsphelper"),
            ),
            (Profile::Tsa, authority("kyso TSA"), Some("timestampsign")),
        ];
        for (profile, subject, purpose) in cases {
            let key = ks
                .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
                .unwrap();
            let t = template(profile, subject, key.public_key_der.clone(), 365);
            let cert = issue_certificate(&ks, SignedBy::Ca(&h.ca), &t, &urls).unwrap();
            let (ok, out) = openssl_verify(&h, &cert.der, purpose);
            assert!(ok, "{alg} {profile}: {out}");
        }
    }
}

#[test]
fn vietnamese_subject_is_utf8_in_the_certificate() {
    let ks = keystore();
    let h = hierarchy(&ks, KeyAlgorithm::P256);
    let key = ks
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    let t = template(
        Profile::Citizen,
        citizen("Trần Văn Đức"),
        key.public_key_der.clone(),
        1095,
    );
    let cert = issue_certificate(&ks, SignedBy::Ca(&h.ca), &t, &Urls::new("http://x")).unwrap();
    assert_eq!(
        cert.subject_text,
        "C=VN, ST=Thành phố Huế, L=Phường Phú Hội, SN=Trần, GN=Văn Đức, CN=Trần Văn Đức, UID=CCCD:046190012345"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.pem"), pem(&cert.der)).unwrap();
    let out = Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-subject",
            "-nameopt",
            "utf8,sep_comma_plus_space",
            "-in",
        ])
        .arg(dir.path().join("c.pem"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("CN=Trần Văn Đức"), "{text}");
    assert!(text.contains("UID=CCCD:046190012345"), "{text}");
}

#[test]
fn lint_refuses_validity_beyond_the_issuer() {
    let ks = keystore();
    let h = hierarchy(&ks, KeyAlgorithm::P256);
    let key = ks
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    let mut t = template(
        Profile::Citizen,
        citizen("Lê Văn Tám"),
        key.public_key_der.clone(),
        1095,
    );
    t.not_after = h.ca.not_after().plus_days(1);
    let err = issue_certificate(&ks, SignedBy::Ca(&h.ca), &t, &Urls::new("http://x")).unwrap_err();
    assert!(
        err.to_string().contains("beyond the issuing CA's notAfter"),
        "{err}"
    );
}

#[test]
fn a_subject_that_does_not_fit_the_profile_is_refused() {
    let ks = keystore();
    let h = hierarchy(&ks, KeyAlgorithm::P256);
    let key = ks
        .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
        .unwrap();
    let t = template(
        Profile::Seal,
        citizen("Lê Văn Tám"),
        key.public_key_der.clone(),
        365,
    );
    assert!(matches!(
        issue_certificate(&ks, SignedBy::Ca(&h.ca), &t, &Urls::new("http://x")),
        Err(kyso_pki::PkiError::Lint { .. })
    ));
}
