//! Certificate revocation lists (RFC 5280 §5), whole or sharded.
//!
//! A shard CRL carries an issuing-distribution-point extension naming exactly the URL that
//! its certificates carry in their CRL distribution point, so a relying party (openssl
//! included) can check that the CRL it holds covers the certificate it checks.

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
struct RevokedOut {
    serial: Uint,
    date: Time,
    #[asn1(optional = "true")]
    extensions: Option<Vec<Extension>>,
}

#[derive(Sequence)]
struct TbsCertListOut {
    version: u8,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    this_update: Time,
    next_update: Time,
    #[asn1(optional = "true")]
    revoked: Option<Vec<RevokedOut>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    extensions: Vec<Extension>,
}

#[derive(Sequence)]
struct CertListOut<'a> {
    tbs: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// CRLReason as an ENUMERATED extension value.
fn reason_ext(r: RevocationReason) -> Result<Option<Extension>, PkiError> {
    if r == RevocationReason::Unspecified {
        return Ok(None);
    }
    // ENUMERATED (tag 10), one content byte: every CRLReason code is below 128.
    let value = vec![0x0a, 0x01, r.code()];
    Ok(Some(Extension {
        extn_id: oid::ext::CRL_REASON,
        critical: false,
        extn_value: OctetString::new(value)?,
    }))
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
    let mut revoked = Vec::with_capacity(entries.len());
    for e in entries {
        let ext = e.reason.map(reason_ext).transpose()?.flatten();
        revoked.push(RevokedOut {
            serial: Uint::new(&e.serial)?,
            date: x509_time(e.since)?,
            extensions: ext.map(|x| vec![x]),
        });
    }
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
        revoked: (!revoked.is_empty()).then_some(revoked),
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
