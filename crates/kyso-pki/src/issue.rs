//! Building, linting and signing certificates.

use crate::algid::signature_algorithm_identifier;
use crate::name::{build_name, display_name};
use crate::profile::{Profile, SubjectSpec};
use crate::{PkiError, Urls, lint, oid, serial_hex};
use der::asn1::{AnyRef, BitString, Ia5String, OctetString, Uint};
use der::{Decode, Encode, Sequence};
use kyso_core::UnixTime;
use kyso_keys::{KeyRecord, KeyStore, SignatureAlgorithm};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::time::Time;

/// A CA able to issue: its certificate, and its key in custody.
#[derive(Debug, Clone)]
pub struct Issuer {
    /// Short stable name used in URLs (`citizen-ca`, `seal-ca`, `root`).
    pub slug: String,
    /// The CA's certificate, DER.
    pub cert_der: Vec<u8>,
    /// The CA's key.
    pub key: KeyRecord,
    /// Scheme the CA signs with.
    pub scheme: SignatureAlgorithm,
    pub(crate) subject: Name,
    pub(crate) ski: Vec<u8>,
    pub(crate) not_before: UnixTime,
    pub(crate) not_after: UnixTime,
}

impl Issuer {
    /// Loads an issuer from its certificate and key record. `scheme` defaults to the key's.
    pub fn new(
        slug: &str,
        cert_der: Vec<u8>,
        key: KeyRecord,
        scheme: Option<SignatureAlgorithm>,
    ) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(&cert_der)?;
        let tbs = cert.tbs_certificate();
        let spki_der = tbs.subject_public_key_info().to_der()?;
        if spki_der != key.public_key_der {
            return Err(PkiError::Validity(format!(
                "the key of {slug} does not match its certificate"
            )));
        }
        Ok(Issuer {
            slug: slug.to_owned(),
            scheme: scheme.unwrap_or_else(|| key.algorithm.default_scheme()),
            subject: tbs.subject().clone(),
            ski: key_identifier(&spki_der)?,
            not_before: UnixTime::from_system_time(tbs.validity().not_before.to_system_time()),
            not_after: UnixTime::from_system_time(tbs.validity().not_after.to_system_time()),
            key,
            cert_der,
        })
    }

    /// The CA's subject as one line.
    pub fn subject_text(&self) -> String {
        display_name(&self.subject)
    }

    /// End of the CA's own validity.
    pub fn not_after(&self) -> UnixTime {
        self.not_after
    }
}

/// Everything that varies between two certificates of the same profile.
#[derive(Debug, Clone)]
pub struct CertTemplate {
    /// Which profile.
    pub profile: Profile,
    /// Who it is for.
    pub subject: SubjectSpec,
    /// Subject's public key, DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
    /// 16-byte positive serial ([`crate::random_serial`]).
    pub serial: [u8; 16],
    /// Start of validity.
    pub not_before: UnixTime,
    /// End of validity.
    pub not_after: UnixTime,
    /// CRL shard that will list this certificate if it is revoked (end entities only).
    pub crl_shard: u16,
}

/// A signed certificate.
#[derive(Debug, Clone)]
pub struct IssuedCert {
    /// DER.
    pub der: Vec<u8>,
    /// Serial, lower-case hex.
    pub serial_hex: String,
    /// Subject, one line.
    pub subject_text: String,
}

/// Who signs: a self-signed root signs with its own key.
#[derive(Debug, Clone, Copy)]
pub enum SignedBy<'a> {
    /// Self-signed with this key and scheme.
    Itself(&'a KeyRecord, SignatureAlgorithm),
    /// Signed by a CA.
    Ca(&'a Issuer),
}

/// Issuer facts the builder and the lint need, whichever way the certificate is signed.
pub(crate) struct IssuerView {
    pub name: Name,
    pub ski: Vec<u8>,
    pub scheme: SignatureAlgorithm,
    pub slug: String,
    pub validity: Option<(UnixTime, UnixTime)>,
}

#[derive(Sequence)]
struct ValidityOut {
    not_before: Time,
    not_after: Time,
}

#[derive(Sequence)]
struct TbsOut {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: u8,
    serial: Uint,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: ValidityOut,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    extensions: Vec<Extension>,
}

#[derive(Sequence)]
struct CertOut<'a> {
    tbs: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// Key identifier: the leftmost 160 bits of the SHA-256 of the subjectPublicKey bits
/// (RFC 7093 §2 method 1), avoiding SHA-1.
pub fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let bits = kyso_keys::spki_util::subject_public_key_bytes(spki_der)?;
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bits);
    Ok(d.as_ref()[..20].to_vec())
}

/// RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050.
pub(crate) fn x509_time(t: UnixTime) -> Result<Time, PkiError> {
    Ok(Time::try_from(t.to_system_time())?)
}

fn ext<T: Encode>(
    id: const_oid::ObjectIdentifier,
    critical: bool,
    value: &T,
) -> Result<Extension, PkiError> {
    Ok(Extension {
        extn_id: id,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn uri(u: &str) -> Result<GeneralName, PkiError> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(u)?))
}

/// Builds the extensions `profile` requires, in a fixed order.
pub(crate) fn build_extensions(
    profile: Profile,
    spki_der: &[u8],
    issuer: &IssuerView,
    crl_shard: u16,
    urls: &Urls,
) -> Result<Vec<Extension>, PkiError> {
    let mut exts = Vec::new();
    if profile.is_ca() {
        let bc = BasicConstraints {
            ca: true,
            path_len_constraint: profile.path_len(),
        };
        exts.push(ext(oid::ext::BASIC_CONSTRAINTS, true, &bc)?);
    }
    exts.push(ext(
        oid::ext::KEY_USAGE,
        true,
        &KeyUsage(profile.key_usage()),
    )?);
    if let Some((kp, critical)) = profile.extended_key_usage() {
        exts.push(ext(oid::ext::EKU, critical, &ExtendedKeyUsage(vec![kp]))?);
    }
    exts.push(ext(
        oid::ext::SKI,
        false,
        &SubjectKeyIdentifier(OctetString::new(key_identifier(spki_der)?)?),
    )?);
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(issuer.ski.clone())?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    exts.push(ext(oid::ext::AKI, false, &aki)?);
    let policies = profile.policies(urls.operator_policy);
    if !policies.is_empty() {
        let cp = CertificatePolicies(
            policies
                .into_iter()
                .map(|p| PolicyInformation {
                    policy_identifier: p,
                    policy_qualifiers: None,
                })
                .collect(),
        );
        exts.push(ext(oid::ext::POLICIES, false, &cp)?);
    }
    if profile.has_issuer_pointers() {
        let mut aia = Vec::new();
        if profile.has_ocsp_pointer() {
            aia.push(AccessDescription {
                access_method: oid::AD_OCSP,
                access_location: uri(&urls.ocsp())?,
            });
        }
        aia.push(AccessDescription {
            access_method: oid::AD_CA_ISSUERS,
            access_location: uri(&urls.ca_issuers(&issuer.slug))?,
        });
        exts.push(ext(oid::ext::AIA, false, &AuthorityInfoAccessSyntax(aia))?);
        let crl_url = if profile.uses_crl_shards() {
            urls.crl_shard(&issuer.slug, crl_shard)
        } else {
            urls.crl_full(&issuer.slug)
        };
        let dp = DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![uri(&crl_url)?])),
            reasons: None,
            crl_issuer: None,
        };
        exts.push(ext(
            oid::ext::CRL_DP,
            false,
            &CrlDistributionPoints(vec![dp]),
        )?);
    }
    if profile == Profile::OcspSigner {
        exts.push(ext(oid::ext::OCSP_NOCHECK, false, &der::asn1::Null)?);
    }
    Ok(exts)
}

/// Builds the TBSCertificate for `template`, lints it, and signs it.
///
/// Nothing is signed unless the lint passes: see [`crate::lint::lint_tbs`].
pub fn issue_certificate(
    keystore: &dyn KeyStore,
    signed_by: SignedBy<'_>,
    template: &CertTemplate,
    urls: &Urls,
) -> Result<IssuedCert, PkiError> {
    if !template.subject.fits(template.profile) {
        return Err(PkiError::Lint {
            profile: template.profile.as_str(),
            problems: vec!["the subject is not of the kind this profile certifies".into()],
        });
    }
    let subject = subject_name(&template.subject)?;
    let (view, key) = match signed_by {
        SignedBy::Itself(key, scheme) => (
            IssuerView {
                name: subject.clone(),
                ski: key_identifier(&template.public_key_der)?,
                scheme,
                slug: "root".into(),
                validity: None,
            },
            key,
        ),
        SignedBy::Ca(ca) => (
            IssuerView {
                name: ca.subject.clone(),
                ski: ca.ski.clone(),
                scheme: ca.scheme,
                slug: ca.slug.clone(),
                validity: Some((ca.not_before, ca.not_after)),
            },
            &ca.key,
        ),
    };
    if let SignedBy::Itself(k, _) = signed_by
        && k.public_key_der != template.public_key_der
    {
        return Err(PkiError::Validity(
            "a self-signed certificate must carry its signing key".into(),
        ));
    }
    let TbsParts {
        der: tbs_der,
        subject_text,
        signature_algorithm,
    } = build_tbs(template, &view, urls)?;
    lint::lint_tbs(&tbs_der, template, &view, urls)?;
    let signature = keystore.sign(key, view.scheme, &tbs_der)?;
    // A signature from the wrong key (a swapped key record, a token object that is not the
    // one the CA certificate names) must never leave as a certificate.
    kyso_keys::verify_signature(&key.public_key_der, view.scheme, &tbs_der, &signature)?;
    let cert = CertOut {
        tbs: AnyRef::from_der(&tbs_der)?,
        algorithm: signature_algorithm,
        signature: BitString::from_bytes(&signature)?,
    };
    Ok(IssuedCert {
        der: cert.to_der()?,
        serial_hex: serial_hex(&template.serial),
        subject_text,
    })
}

fn subject_name(spec: &SubjectSpec) -> Result<Name, PkiError> {
    let attrs = spec.attributes();
    let attr_refs: Vec<_> = attrs.iter().map(|(o, v)| (*o, v.as_str())).collect();
    build_name(&attr_refs)
}

/// An encoded TBSCertificate and what the signer needs with it.
pub(crate) struct TbsParts {
    pub der: Vec<u8>,
    pub subject_text: String,
    pub signature_algorithm: AlgorithmIdentifierOwned,
}

/// Encodes the TBSCertificate for `template` as issued by `view` (not yet linted).
pub(crate) fn build_tbs(
    template: &CertTemplate,
    view: &IssuerView,
    urls: &Urls,
) -> Result<TbsParts, PkiError> {
    let subject = subject_name(&template.subject)?;
    let signature_algorithm = signature_algorithm_identifier(view.scheme);
    let tbs = TbsOut {
        version: 2,
        serial: Uint::new(&template.serial)?,
        signature: signature_algorithm.clone(),
        issuer: view.name.clone(),
        validity: ValidityOut {
            not_before: x509_time(template.not_before)?,
            not_after: x509_time(template.not_after)?,
        },
        subject,
        spki: SubjectPublicKeyInfoOwned::from_der(&template.public_key_der)
            .map_err(|e| kyso_keys::KeyError::BadPublicKey(e.to_string()))?,
        extensions: build_extensions(
            template.profile,
            &template.public_key_der,
            view,
            template.crl_shard,
            urls,
        )?,
    };
    Ok(TbsParts {
        der: tbs.to_der()?,
        subject_text: display_name(&tbs.subject),
        signature_algorithm,
    })
}

/// Verifies that `cert_der` was signed by the key in `issuer_spki_der`.
pub fn verify_certificate_signature(
    cert_der: &[u8],
    issuer_spki_der: &[u8],
) -> Result<(), PkiError> {
    let cert = Certificate::from_der(cert_der)?;
    let scheme = crate::algid::scheme_from_identifier(cert.signature_algorithm())?;
    let tbs = cert.tbs_certificate().to_der()?;
    let sig = cert
        .signature()
        .as_bytes()
        .ok_or(kyso_keys::KeyError::BadSignature)?;
    kyso_keys::verify_signature(issuer_spki_der, scheme, &tbs, sig)?;
    Ok(())
}
