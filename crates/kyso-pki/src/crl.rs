//! Certificate revocation lists (RFC 5280 §5), whole or sharded.
//!
//! A shard CRL carries an issuing-distribution-point extension naming exactly the URL that
//! its certificates carry in their CRL distribution point, so a relying party (openssl
//! included) can check that the CRL it holds covers the certificate it checks.

use crate::der_out::{push_len, push_unsigned};
use crate::issue::{Issuer, x509_time};
use crate::{PkiError, algid, oid};
use der::asn1::{AnyRef, BitString, Ia5String, OctetString, Uint};
use der::{Decode, Encode, Sequence};
use kyso_core::{RevocationReason, UnixTime};
use kyso_keys::KeyStore;
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber};
use x509_cert::name::Name;
use x509_cert::time::Time;

/// One revoked (or suspended) certificate.
#[derive(Debug, Clone)]
pub struct CrlEntry {
    /// Serial, big-endian bytes.
    pub serial: Vec<u8>,
    /// When it was revoked or suspended.
    pub since: UnixTime,
    /// Reason; `unspecified` is written as no reason code (RFC 5280 §5.3.1 SHOULD).
    pub reason: Option<RevocationReason>,
}

/// What the CRL covers.
#[derive(Debug, Clone)]
pub enum CrlScope {
    /// One shard of an issuing CA's end-entity certificates, published at this URL.
    Shard {
        /// The URL in the certificates' CRL distribution point.
        url: String,
    },
    /// Everything this issuer revoked (the root's CRL of CA certificates): complete, so
    /// without an issuing distribution point.
    CaCertificates,
}

#[derive(Sequence)]
struct TbsCertListOut<'a> {
    version: u8,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    this_update: Time,
    next_update: Time,
    #[asn1(optional = "true")]
    revoked: Option<AnyRef<'a>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    extensions: Vec<Extension>,
}

#[derive(Sequence)]
struct CertListOut<'a> {
    tbs: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// `revokedCertificates` as DER, written directly: a shard of a large CRL has tens of
/// thousands of entries, and building a struct (with its own allocations) per entry was
/// most of the cost of publishing. Each entry is
/// `SEQUENCE { INTEGER serial, Time date, [SEQUENCE { reasonCode extension }] }`.
fn encode_revoked(entries: &[CrlEntry]) -> Result<Vec<u8>, PkiError> {
    let mut body = Vec::with_capacity(entries.len() * 48);
    let mut time_cache: Option<(UnixTime, Vec<u8>)> = None;
    let mut entry = Vec::with_capacity(64);
    for e in entries {
        entry.clear();
        push_unsigned(&mut entry, &e.serial);
        match &time_cache {
            Some((t, der)) if *t == e.since => entry.extend_from_slice(der),
            _ => {
                let der = x509_time(e.since)?.to_der()?;
                entry.extend_from_slice(&der);
                time_cache = Some((e.since, der));
            }
        }
        // reasonCode: ENUMERATED, one content byte (every CRLReason code is below 128);
        // `unspecified` is written as no reason code (RFC 5280 §5.3.1).
        if let Some(r) = e.reason.filter(|r| *r != RevocationReason::Unspecified) {
            entry.extend_from_slice(&[
                0x30,
                0x0c,
                0x30,
                0x0a,
                0x06,
                0x03,
                0x55,
                0x1d,
                0x15,
                0x04,
                0x03,
                0x0a,
                0x01,
                r.code(),
            ]);
        }
        body.push(0x30);
        push_len(&mut body, entry.len());
        body.extend_from_slice(&entry);
    }
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(0x30);
    push_len(&mut out, body.len());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Builds and signs a CRL for `issuer`. `number` must increase with every CRL of the scope.
pub fn build_crl(
    keystore: &dyn KeyStore,
    issuer: &Issuer,
    scope: &CrlScope,
    entries: &[CrlEntry],
    number: u64,
    this_update: UnixTime,
    next_update: UnixTime,
) -> Result<Vec<u8>, PkiError> {
    let signature_algorithm = algid::signature_algorithm_identifier(issuer.scheme);
    let revoked = encode_revoked(entries)?;
    // Shards carry an issuing distribution point naming their URL (RFC 5280 §5.2.5), which
    // is what makes a partitioned CRL safe to rely on. The root's CRL is complete for its
    // scope and carries none: relying parties (openssl -crl_check_all) also check the
    // self-signed root against it, which has no distribution point to match.
    let idp = match scope {
        CrlScope::Shard { url } => Some(IssuingDistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(Ia5String::new(url)?),
            ])),
            only_contains_user_certs: true,
            only_contains_ca_certs: false,
            only_some_reasons: None,
            indirect_crl: false,
            only_contains_attribute_certs: false,
        }),
        CrlScope::CaCertificates => None,
    };
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(issuer.ski.clone())?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let number_bytes = number.to_be_bytes();
    let mut extensions = vec![
        Extension {
            extn_id: oid::ext::AKI,
            critical: false,
            extn_value: OctetString::new(aki.to_der()?)?,
        },
        Extension {
            extn_id: oid::ext::CRL_NUMBER,
            critical: false,
            extn_value: OctetString::new(CrlNumber(Uint::new(&number_bytes)?).to_der()?)?,
        },
    ];
    if let Some(idp) = idp {
        // RFC 5280 §5.2.5: the issuing distribution point is critical.
        extensions.push(Extension {
            extn_id: oid::ext::ISSUING_DP,
            critical: true,
            extn_value: OctetString::new(idp.to_der()?)?,
        });
    }
    let tbs = TbsCertListOut {
        version: 1,
        signature: signature_algorithm.clone(),
        issuer: issuer.subject.clone(),
        this_update: x509_time(this_update)?,
        next_update: x509_time(next_update)?,
        revoked: if entries.is_empty() {
            None
        } else {
            Some(AnyRef::from_der(&revoked)?)
        },
        extensions,
    };
    let tbs_der = tbs.to_der()?;
    let signature = keystore.sign(&issuer.key, issuer.scheme, &tbs_der)?;
    kyso_keys::verify_signature(
        &issuer.key.public_key_der,
        issuer.scheme,
        &tbs_der,
        &signature,
    )?;
    let crl = CertListOut {
        tbs: AnyRef::from_der(&tbs_der)?,
        algorithm: signature_algorithm,
        signature: BitString::from_bytes(&signature)?,
    };
    Ok(crl.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::crl::RevokedCert;

    #[test]
    fn hand_written_entries_decode_as_x509_revoked_certificates() {
        let entries = vec![
            CrlEntry {
                serial: vec![0x01, 0x02],
                since: UnixTime(1_795_459_507),
                reason: Some(RevocationReason::KeyCompromise),
            },
            // High bit set: needs a 0x00 pad. Leading zero bytes: must be stripped.
            CrlEntry {
                serial: vec![0x00, 0x00, 0x9f, 0xff],
                since: UnixTime(1_795_459_507),
                reason: None,
            },
            // 2051: GeneralizedTime. Unspecified: no reason code.
            CrlEntry {
                serial: vec![0x7f; 16],
                since: UnixTime(2_556_143_999),
                reason: Some(RevocationReason::Unspecified),
            },
            CrlEntry {
                serial: vec![0x05],
                since: UnixTime(1_795_459_600),
                reason: Some(RevocationReason::CertificateHold),
            },
        ];
        let der = encode_revoked(&entries).unwrap();
        let decoded: Vec<RevokedCert> =
            Vec::from_der(&der).expect("valid DER SEQUENCE OF RevokedCertificate");
        assert_eq!(decoded.len(), 4);
        assert_eq!(decoded[0].serial_number.as_bytes(), [0x01, 0x02]);
        assert_eq!(decoded[1].serial_number.as_bytes(), [0x00, 0x9f, 0xff]);
        assert_eq!(decoded[2].serial_number.as_bytes(), [0x7f; 16]);
        assert!(matches!(decoded[2].revocation_date, Time::GeneralTime(_)));
        assert!(matches!(decoded[0].revocation_date, Time::UtcTime(_)));
        assert_eq!(
            decoded[0].revocation_date.to_unix_duration().as_secs(),
            1_795_459_507
        );
        let reason = |i: usize| {
            decoded[i]
                .crl_entry_extensions
                .as_ref()
                .map(|e| e[0].extn_value.as_bytes().to_vec())
        };
        assert_eq!(reason(0), Some(vec![0x0a, 0x01, 1]));
        assert_eq!(reason(1), None);
        assert_eq!(reason(2), None);
        assert_eq!(reason(3), Some(vec![0x0a, 0x01, 6]));
        // Re-encoding with the der crate gives the same bytes: the encoding is canonical.
        assert_eq!(decoded.to_der().unwrap(), der);
    }

    #[test]
    fn long_lists_get_long_form_lengths() {
        let entries: Vec<_> = (0..5000u32)
            .map(|i| CrlEntry {
                serial: i.to_be_bytes().to_vec(),
                since: UnixTime(1_795_459_507),
                reason: Some(RevocationReason::Superseded),
            })
            .collect();
        let der = encode_revoked(&entries).unwrap();
        let decoded: Vec<RevokedCert> = Vec::from_der(&der).unwrap();
        assert_eq!(decoded.len(), 5000);
        assert_eq!(decoded.to_der().unwrap(), der);
    }
}
