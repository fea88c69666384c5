//! Pre-issuance lint: the TBSCertificate about to be signed is decoded from its bytes and
//! checked against its profile. Every problem is reported at once; any problem stops the
//! issuance before the CA key is touched.

use crate::issue::{CertTemplate, IssuerView, build_extensions, key_identifier, x509_time};
use crate::name::{rdn_sizes, read_name};
use crate::profile::{Profile, SubjectSpec};
use crate::{PkiError, Urls, algid, oid};
use der::{Decode, Encode, Tag};
use kyso_core::{PersonName, SubjectIdentifier, TextField};
use std::collections::HashSet;
use x509_cert::TbsCertificate;
use x509_cert::certificate::Version;

/// Lints `tbs_der` (the exact bytes that will be signed) against `template`'s profile.
pub(crate) fn lint_tbs(
    tbs_der: &[u8],
    template: &CertTemplate,
    issuer: &IssuerView,
    urls: &Urls,
) -> Result<(), PkiError> {
    let profile = template.profile;
    let problems = match TbsCertificate::from_der(tbs_der) {
        Ok(tbs) => check(&tbs, template, issuer, urls),
        Err(e) => vec![format!("TBSCertificate does not decode: {e}")],
    };
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PkiError::Lint {
            profile: profile.as_str(),
            problems,
        })
    }
}

fn check(tbs: &TbsCertificate, t: &CertTemplate, issuer: &IssuerView, urls: &Urls) -> Vec<String> {
    let mut p = Vec::new();
    let profile = t.profile;

    if tbs.version() != Version::V3 {
        p.push("version must be v3".into());
    }

    // Serial: 16 bytes of which the first is non-zero and the top bit clear (positive, and
    // always 16 bytes in DER), as CA/B and ETSI practice expect 64+ bits of entropy.
    let serial = tbs.serial_number().as_bytes();
    if serial.len() != 16 || serial[0] == 0 || serial[0] & 0x80 != 0 {
        p.push(format!(
            "serial must be a positive 16-byte integer, got {} bytes",
            serial.len()
        ));
    }

    if tbs.signature() != &algid::signature_algorithm_identifier(issuer.scheme) {
        p.push("signature algorithm does not match the issuer's key".into());
    }
    if tbs.issuer().to_der().ok() != issuer.name.to_der().ok() {
        p.push("issuer name differs from the issuing CA's subject".into());
    }

    // Validity.
    let nb = kyso_core::UnixTime::from_system_time(tbs.validity().not_before.to_system_time());
    let na = kyso_core::UnixTime::from_system_time(tbs.validity().not_after.to_system_time());
    if na <= nb {
        p.push("notAfter must be later than notBefore".into());
    }
    let max = i64::from(profile.max_validity_days()) * 86_400;
    if na.seconds() - nb.seconds() > max {
        p.push(format!(
            "validity exceeds the {}-day maximum of the {profile} profile",
            profile.max_validity_days()
        ));
    }
    if let Some((ca_nb, ca_na)) = issuer.validity {
        if na > ca_na {
            p.push(format!(
                "notAfter {na} is beyond the issuing CA's notAfter {ca_na}"
            ));
        }
        if nb < ca_nb {
            p.push(format!(
                "notBefore {nb} is before the issuing CA's notBefore {ca_nb}"
            ));
        }
    }
    for (time, which) in [(nb, "notBefore"), (na, "notAfter")] {
        let expected = x509_time(time).ok();
        let actual = if which == "notBefore" {
            tbs.validity().not_before
        } else {
            tbs.validity().not_after
        };
        if expected != Some(actual) {
            p.push(format!(
                "{which} must be UTCTime before 2050 and GeneralizedTime from 2050"
            ));
        }
    }

    check_subject(tbs, &t.subject, profile, &mut p);
    check_usage(tbs, profile, &mut p);

    // Public key.
    match tbs.subject_public_key_info().to_der() {
        Ok(spki) => {
            if let Err(e) = kyso_keys::spki_util::classify(&spki) {
                p.push(e.to_string());
            }
            check_extensions(tbs, t, issuer, urls, &spki, &mut p);
        }
        Err(e) => p.push(format!("public key does not encode: {e}")),
    }
    p
}

fn check_subject(tbs: &TbsCertificate, spec: &SubjectSpec, profile: Profile, p: &mut Vec<String>) {
    if rdn_sizes(tbs.subject()).iter().any(|&n| n != 1) {
        p.push("each RDN of the subject must hold exactly one attribute".into());
    }
    let attrs = read_name(tbs.subject());
    let expected = spec.attributes();
    let got: Vec<_> = attrs.iter().map(|a| (a.oid, a.value.clone())).collect();
    if got != expected {
        p.push("subject differs from the requested subject".into());
    }
    let mut seen = HashSet::new();
    for a in &attrs {
        let label = crate::name::short_label(a.oid);
        if !seen.insert(a.oid) {
            p.push(format!("subject attribute {label} appears twice"));
        }
        let want_tag = if a.oid == oid::COUNTRY {
            Tag::PrintableString
        } else {
            Tag::Utf8String
        };
        if a.tag != want_tag {
            p.push(format!("subject {label} must be {want_tag:?}"));
        }
        // Every text value must be exactly what the parser would produce from it: NFC, no
        // control or invisible characters, within the X.509 upper bound.
        let reparsed = match a.oid {
            o if o == oid::COUNTRY => (a.value == "VN")
                .then(|| a.value.clone())
                .ok_or_else(|| "C must be VN".to_owned()),
            o if o == oid::COMMON_NAME => PersonName::parse(&a.value)
                .map(|n| n.to_string())
                .map_err(|e| e.to_string()),
            o if o == oid::SURNAME || o == oid::GIVEN_NAME => {
                TextField::parse("SN/GN", &a.value, 64)
                    .map(|n| n.to_string())
                    .map_err(|e| e.to_string())
            }
            o if o == oid::ORGANIZATION_IDENTIFIER => Ok(a.value.clone()),
            o if o == oid::ORGANIZATION => TextField::parse("O", &a.value, 64)
                .map(|n| n.to_string())
                .map_err(|e| e.to_string()),
            o if o == oid::PROVINCE || o == oid::LOCALITY => {
                TextField::parse("ST/L", &a.value, 128)
                    .map(|n| n.to_string())
                    .map_err(|e| e.to_string())
            }
            o if o == oid::USER_ID => SubjectIdentifier::parse(&a.value)
                .map(|n| n.to_string())
                .map_err(|e| e.to_string()),
            _ => Err(format!("subject attribute {label} is not allowed")),
        };
        match reparsed {
            Ok(v) if v == a.value => {}
            Ok(_) => p.push(format!("subject {label} is not in canonical form")),
            Err(e) => p.push(format!("subject {label}: {e}")),
        }
    }
    if !spec.fits(profile) {
        p.push(format!(
            "the subject is not of the kind the {profile} profile certifies"
        ));
    }
    let has_uid = attrs.iter().any(|a| a.oid == oid::USER_ID);
    if matches!(profile, Profile::Citizen | Profile::Seal) != has_uid {
        p.push("UID must be present exactly for citizen and seal certificates".into());
    }
}

fn check_extensions(
    tbs: &TbsCertificate,
    t: &CertTemplate,
    issuer: &IssuerView,
    urls: &Urls,
    spki: &[u8],
    p: &mut Vec<String>,
) {
    let exts = tbs.extensions().map(|e| e.as_slice()).unwrap_or(&[]);
    let mut ids = HashSet::new();
    for e in exts {
        if !ids.insert(e.extn_id) {
            p.push(format!("extension {} appears twice", e.extn_id));
        }
    }
    // The exact extension list the profile prescribes, rebuilt independently of the bytes
    // under test: any difference (missing, extra, criticality, content, order) is an error.
    match build_extensions(t.profile, spki, issuer, t.crl_shard, urls) {
        Ok(expected) => {
            for e in &expected {
                match exts.iter().find(|x| x.extn_id == e.extn_id) {
                    None => p.push(format!("required extension {} is missing", e.extn_id)),
                    Some(x) if x.critical != e.critical => p.push(format!(
                        "extension {} must be {}",
                        e.extn_id,
                        if e.critical {
                            "critical"
                        } else {
                            "non-critical"
                        }
                    )),
                    Some(x) if x.extn_value != e.extn_value => {
                        p.push(format!("extension {} has unexpected content", e.extn_id))
                    }
                    Some(_) => {}
                }
            }
            for x in exts {
                if !expected.iter().any(|e| e.extn_id == x.extn_id) {
                    p.push(format!(
                        "extension {} is not allowed in the {} profile",
                        x.extn_id, t.profile
                    ));
                }
            }
        }
        Err(e) => p.push(format!("cannot build the profile's extensions: {e}")),
    }
    // The SKI must identify this very key (guards against a template/key mix-up).
    if let Ok(ki) = key_identifier(spki)
        && let Ok(Some((_, ski))) =
            tbs.get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
        && ski.0.as_bytes() != ki.as_slice()
    {
        p.push("subjectKeyIdentifier does not match the public key".into());
    }
}

/// Key usage, CA flag and extended key usage, decoded from the bytes and compared with a
/// table written out here, independently of the builder's [`Profile`] methods: a mistake in
/// either is caught by the other.
fn check_usage(tbs: &TbsCertificate, profile: Profile, p: &mut Vec<String>) {
    use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages as K};
    // (key usage bits, basicConstraints (cA, pathLen), extendedKeyUsage (OID, critical))
    type Rule = (
        &'static [K],
        Option<(bool, Option<u8>)>,
        Option<(const_oid::ObjectIdentifier, bool)>,
    );
    let rule: Rule = match profile {
        Profile::Root => (&[K::KeyCertSign, K::CRLSign], Some((true, None)), None),
        Profile::IssuingCa => (&[K::KeyCertSign, K::CRLSign], Some((true, Some(0))), None),
        Profile::Citizen | Profile::Seal => (&[K::DigitalSignature, K::NonRepudiation], None, None),
        Profile::OcspSigner => (
            &[K::DigitalSignature],
            None,
            Some((oid::KP_OCSP_SIGNING, false)),
        ),
        Profile::Tsa => (
            &[K::DigitalSignature],
            None,
            Some((oid::KP_TIME_STAMPING, true)),
        ),
    };
    let (bits, ca, eku) = rule;
    match tbs.get_extension::<KeyUsage>() {
        Ok(Some((critical, ku))) => {
            let want: flagset::FlagSet<K> = bits
                .iter()
                .fold(flagset::FlagSet::default(), |acc, b| acc | *b);
            if ku.0 != want {
                p.push(format!(
                    "keyUsage must be exactly {bits:?} for the {profile} profile"
                ));
            }
            if !critical {
                p.push("keyUsage must be critical".into());
            }
        }
        Ok(None) => p.push("keyUsage is missing".into()),
        Err(e) => p.push(format!("keyUsage does not decode: {e}")),
    }
    match (tbs.get_extension::<BasicConstraints>(), ca) {
        (Ok(Some((critical, bc))), Some((want_ca, want_len)))
            if !critical || bc.ca != want_ca || bc.path_len_constraint != want_len =>
        {
            p.push(format!(
                "basicConstraints must be critical, cA={want_ca}, pathLen={want_len:?}"
            ))
        }
        (Ok(None), Some(_)) => p.push("a CA certificate needs basicConstraints".into()),
        (Ok(Some((_, bc))), None) if bc.ca => {
            p.push("an end-entity certificate must not be a CA".into())
        }
        (Err(e), _) => p.push(format!("basicConstraints does not decode: {e}")),
        _ => {}
    }
    match (tbs.get_extension::<ExtendedKeyUsage>(), eku) {
        (Ok(Some((critical, e))), Some((want, want_critical)))
            if e.0 != [want] || critical != want_critical =>
        {
            p.push(format!(
                "extendedKeyUsage must be exactly {want} (critical: {want_critical})"
            ))
        }
        (Ok(None), Some((want, _))) => p.push(format!("extendedKeyUsage {want} is missing")),
        (Ok(Some(_)), None) => p.push(format!("the {profile} profile has no extendedKeyUsage")),
        (Err(e), _) => p.push(format!("extendedKeyUsage does not decode: {e}")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issue::{IssuerView, TbsParts, build_tbs};
    use kyso_core::{Cccd, PersonName, UnixTime};
    use kyso_keys::{KeyAlgorithm, KeyRole, KeyStore};

    fn citizen_tbs() -> (Vec<u8>, CertTemplate, IssuerView) {
        let ks = kyso_keys::soft::SoftKeyStore::new(
            kyso_keys::kek::Kek::from_bytes(&[9u8; 32]).unwrap(),
        );
        let key = ks
            .generate(KeyAlgorithm::P256, KeyRole::Subscriber)
            .unwrap();
        let template = CertTemplate {
            profile: Profile::Citizen,
            subject: SubjectSpec::Person {
                name: PersonName::parse("Nguyễn Thị Lan").unwrap(),
                id: SubjectIdentifier::Cccd(Cccd::parse("046190012345").unwrap()),
                province: TextField::parse("ST", "Huế", 128).unwrap(),
                locality: None,
            },
            public_key_der: key.public_key_der.clone(),
            serial: crate::random_serial(),
            not_before: UnixTime(1_795_459_507),
            not_after: UnixTime(1_795_459_507).plus_days(1095),
            crl_shard: 1,
        };
        let view = IssuerView {
            name: crate::name::build_name(&[(oid::COUNTRY, "VN"), (oid::COMMON_NAME, "CA")])
                .unwrap(),
            ski: vec![1; 20],
            scheme: kyso_keys::SignatureAlgorithm::EcdsaSha256,
            slug: "citizen-ca".into(),
            validity: None,
        };
        let TbsParts { der, .. } =
            build_tbs(&template, &view, &Urls::new("http://ca.kyso.vn")).unwrap();
        (der, template, view)
    }

    fn problems(tbs: &[u8], t: &CertTemplate, v: &IssuerView) -> String {
        match lint_tbs(tbs, t, v, &Urls::new("http://ca.kyso.vn")) {
            Ok(()) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = hay
            .windows(from.len())
            .position(|w| w == from)
            .expect("pattern present");
        let mut out = hay.to_vec();
        out[at..at + from.len()].copy_from_slice(to);
        out
    }

    #[test]
    fn the_built_tbs_passes() {
        let (tbs, t, v) = citizen_tbs();
        assert_eq!(problems(&tbs, &t, &v), "");
    }

    #[test]
    fn altered_key_usage_is_refused() {
        let (tbs, t, v) = citizen_tbs();
        // keyUsage value BIT STRING: digitalSignature+nonRepudiation (06 c0) -> digitalSignature
        // + keyEncipherment (05 a0).
        let bad = replace(&tbs, &[0x03, 0x02, 0x06, 0xc0], &[0x03, 0x02, 0x05, 0xa0]);
        let p = problems(&bad, &t, &v);
        assert!(p.contains("keyUsage must be exactly"), "{p}");
    }

    #[test]
    fn non_critical_key_usage_is_refused() {
        let (tbs, t, v) = citizen_tbs();
        // Extension { 2.5.29.15, critical TRUE, ... } -> critical FALSE.
        let bad = replace(
            &tbs,
            &[0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff],
            &[0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0x00],
        );
        let p = problems(&bad, &t, &v);
        assert!(p.contains("keyUsage must be critical"), "{p}");
    }

    #[test]
    fn an_altered_subject_is_refused() {
        let (tbs, t, v) = citizen_tbs();
        let bad = replace(&tbs, "046190012345".as_bytes(), "046190012346".as_bytes());
        assert!(problems(&bad, &t, &v).contains("subject differs"));
        let bad = replace(&tbs, "Lan".as_bytes(), b"L\x07n");
        let p = problems(&bad, &t, &v);
        assert!(p.contains("control or formatting character U+0007"), "{p}");
    }

    #[test]
    fn undecodable_bytes_are_refused() {
        let (tbs, t, v) = citizen_tbs();
        assert!(problems(&tbs[..tbs.len() - 3], &t, &v).contains("does not decode"));
    }
}
