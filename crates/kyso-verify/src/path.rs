//! Certificate paths and revocation: from a signer's certificate to a trust anchor through
//! the certificates at hand (CMS, DSS, anchors), each signature checked; then the status of
//! every certificate below the anchor from OCSP responses or CRLs — embedded first,
//! fetched otherwise — each response's own signature checked against the issuer.

use crate::tlv;
use der::{Decode as _, Encode as _};
use kyso_core::UnixTime;
use kyso_pki::ocsp::{SingleStatus, decode_response};
use std::sync::Arc;
use x509_cert::Certificate;

/// A parsed certificate with the parts validation compares.
#[derive(Debug, Clone)]
pub struct Cert {
    /// DER.
    pub der: Vec<u8>,
    /// Subject Name, DER.
    pub subject: Vec<u8>,
    /// Issuer Name, DER.
    pub issuer: Vec<u8>,
    /// serialNumber contents octets.
    pub serial: Vec<u8>,
    /// SubjectPublicKeyInfo, DER.
    pub spki: Vec<u8>,
    /// notBefore / notAfter.
    pub validity: (UnixTime, UnixTime),
    /// Human-readable subject.
    pub display: String,
    /// commonName, if any.
    pub common_name: Option<String>,
    /// OCSP URLs (AIA).
    pub ocsp_urls: Vec<String>,
    /// CRL distribution point URLs.
    pub crl_urls: Vec<String>,
    /// Whether it carries id-pkix-ocsp-nocheck.
    pub ocsp_nocheck: bool,
    /// Whether its EKU includes id-kp-OCSPSigning.
    pub ocsp_signing: bool,
    cert: Arc<Certificate>,
}

const AIA: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");
const AD_OCSP: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const CRL_DP: const_oid::ObjectIdentifier = const_oid::ObjectIdentifier::new_unwrap("2.5.29.31");
const EKU: const_oid::ObjectIdentifier = const_oid::ObjectIdentifier::new_unwrap("2.5.29.37");
const KP_OCSP_SIGNING: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");

impl Cert {
    /// Parses a DER certificate.
    pub fn parse(der: &[u8]) -> Result<Cert, String> {
        let cert = Certificate::from_der(der).map_err(|e| format!("certificate: {e}"))?;
        let tbs = cert.tbs_certificate();
        let enc = |r: der::Result<Vec<u8>>| r.map_err(|e| e.to_string());
        let mut c = Cert {
            der: der.to_vec(),
            subject: enc(tbs.subject().to_der())?,
            issuer: enc(tbs.issuer().to_der())?,
            serial: tbs.serial_number().as_bytes().to_vec(),
            spki: enc(tbs.subject_public_key_info().to_der())?,
            validity: (
                UnixTime::from_system_time(tbs.validity().not_before.to_system_time()),
                UnixTime::from_system_time(tbs.validity().not_after.to_system_time()),
            ),
            display: kyso_pki::name::display_name(tbs.subject()),
            common_name: kyso_pki::name::read_name(tbs.subject())
                .into_iter()
                .find(|a| a.oid == kyso_pki::oid::COMMON_NAME)
                .map(|a| a.value),
            ocsp_urls: Vec::new(),
            crl_urls: Vec::new(),
            ocsp_nocheck: false,
            ocsp_signing: false,
            cert: Arc::new(cert.clone()),
        };
        for ext in tbs.extensions().map(|e| e.as_slice()).unwrap_or(&[]) {
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == AIA {
                // SEQUENCE OF AccessDescription { method, location [6] IA5String }
                if let Ok(t) = tlv::read_all(value)
                    && let Ok(ads) = t.expect(0x30, "AIA")
                {
                    for ad in ads {
                        if let Ok(p) = ad.expect(0x30, "AccessDescription")
                            && p.first().is_some_and(|m| m.is_oid(&AD_OCSP))
                            && let Some(loc) = p.get(1).filter(|l| l.tag == 0x86)
                        {
                            c.ocsp_urls
                                .push(String::from_utf8_lossy(loc.value).into_owned());
                        }
                    }
                }
            } else if ext.extn_id == CRL_DP {
                collect_uris(value, &mut c.crl_urls, 0);
            } else if ext.extn_id == kyso_pki::oid::OCSP_NOCHECK {
                c.ocsp_nocheck = true;
            } else if ext.extn_id == EKU
                && let Ok(t) = tlv::read_all(value)
                && let Ok(kps) = t.expect(0x30, "EKU")
            {
                c.ocsp_signing = kps.iter().any(|k| k.is_oid(&KP_OCSP_SIGNING));
            }
        }
        Ok(c)
    }

    /// Whether `issuer`'s key signed this certificate.
    pub fn signed_by(&self, issuer: &Cert) -> bool {
        if self.issuer != issuer.subject {
            return false;
        }
        let Ok(scheme) = kyso_pki::algid::scheme_from_identifier(self.cert.signature_algorithm())
        else {
            return false;
        };
        let Ok(tbs) = self.cert.tbs_certificate().to_der() else {
            return false;
        };
        let Some(sig) = self.cert.signature().as_bytes() else {
            return false;
        };
        kyso_keys::verify_signature(&issuer.spki, scheme, &tbs, sig).is_ok()
    }

    /// Whether the certificate is self-issued.
    pub fn is_self_issued(&self) -> bool {
        self.subject == self.issuer
    }
}

/// Every `[6] uniformResourceIdentifier` inside a CRLDistributionPoints value.
fn collect_uris(der: &[u8], out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    let Ok(items) = tlv::children(der) else {
        return;
    };
    for t in items {
        if t.tag == 0x86 {
            out.push(String::from_utf8_lossy(t.value).into_owned());
        } else if t.tag & 0x20 != 0 {
            collect_uris(t.value, out, depth + 1);
        }
    }
}

/// A path from the signer (first) to a trust anchor (last).
pub fn build_path(leaf: &Cert, pool: &[Cert], anchors: &[Cert]) -> Option<Vec<Cert>> {
    fn walk(path: &mut Vec<Cert>, pool: &[Cert], anchors: &[Cert]) -> bool {
        let current = path.last().expect("path starts with the leaf").clone();
        if let Some(anchor) = anchors.iter().find(|a| a.der == current.der) {
            let _ = anchor;
            return true;
        }
        if path.len() > 8 {
            return false;
        }
        for anchor in anchors {
            if current.signed_by(anchor) {
                path.push(anchor.clone());
                return true;
            }
        }
        for candidate in pool {
            if candidate.is_self_issued()
                || path.iter().any(|p| p.der == candidate.der)
                || !current.signed_by(candidate)
            {
                continue;
            }
            path.push(candidate.clone());
            if walk(path, pool, anchors) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = vec![leaf.clone()];
    walk(&mut path, pool, anchors).then_some(path)
}

/// The status of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Not revoked, per a response or CRL produced at `checked_at`.
    Good {
        /// Where the answer came from.
        source: String,
        /// When it was produced.
        checked_at: UnixTime,
    },
    /// Revoked (or suspended) since `since`.
    Revoked {
        /// Since when.
        since: UnixTime,
        /// Where the answer came from.
        source: String,
    },
    /// The certificate names no OCSP responder or CRL: nothing to consult.
    NotApplicable,
    /// No usable answer.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// Fetches revocation information over the network (the caller decides how, or not).
pub trait Fetcher: Send + Sync {
    /// POSTs a DER OCSP request to `url`.
    fn ocsp(&self, url: &str, request: &[u8]) -> Option<Vec<u8>>;
    /// GETs a DER CRL from `url`.
    fn crl(&self, url: &str) -> Option<Vec<u8>>;
}

/// Revocation information at hand.
#[derive(Debug, Default, Clone)]
pub struct Evidence {
    /// OCSP responses (DER).
    pub ocsps: Vec<Vec<u8>>,
    /// CRLs (DER).
    pub crls: Vec<Vec<u8>>,
}

/// Clock skew tolerated between the TSA, the OCSP responder and the CA.
const SKEW: i64 = 300;

/// Whether a "good" answer issued at `this_update`, valid until `next_update`, speaks for
/// time `at`: it must be current at `at` (RFC 5280 §5.1.2.5, RFC 6960 §4.2.2.1), or issued
/// after it. An old answer replayed into a file says nothing about a later time.
fn covers(this_update: UnixTime, next_update: Option<UnixTime>, at: UnixTime) -> bool {
    if this_update.seconds() >= at.seconds() - SKEW {
        return true;
    }
    next_update.is_some_and(|n| at.seconds() <= n.seconds())
}

/// The status of `cert` (issued by `issuer`) at time `at`, from the evidence, or fetched.
pub fn status(
    cert: &Cert,
    issuer: &Cert,
    evidence: &Evidence,
    pool: &[Cert],
    fetcher: Option<&dyn Fetcher>,
    at: UnixTime,
) -> Status {
    if cert.ocsp_nocheck && cert.ocsp_signing {
        return Status::NotApplicable;
    }
    for der in &evidence.ocsps {
        if let Some(s) = from_ocsp(der, cert, issuer, pool, "embedded OCSP response", at) {
            return s;
        }
    }
    for der in &evidence.crls {
        if let Some(s) = from_crl(der, cert, issuer, "embedded CRL", at) {
            return s;
        }
    }
    if cert.ocsp_urls.is_empty() && cert.crl_urls.is_empty() {
        return Status::NotApplicable;
    }
    let Some(fetcher) = fetcher else {
        return Status::Unknown {
            reason: "no embedded revocation information, and online checks are off".into(),
        };
    };
    for url in &cert.ocsp_urls {
        let Ok(req) = kyso_pki::ocsp::build_request(
            kyso_pki::ocsp::CertIdHash::Sha1,
            &issuer.der,
            &[&cert.serial],
            None,
        ) else {
            continue;
        };
        if let Some(der) = fetcher.ocsp(url, &req)
            && let Some(s) = from_ocsp(&der, cert, issuer, pool, &format!("OCSP {url}"), at)
        {
            return s;
        }
    }
    for url in &cert.crl_urls {
        if let Some(der) = fetcher.crl(url)
            && let Some(s) = from_crl(&der, cert, issuer, &format!("CRL {url}"), at)
        {
            return s;
        }
    }
    Status::Unknown {
        reason: "the OCSP responder and CRL could not be reached or did not answer".into(),
    }
}

/// Reads an OCSPResponse about `cert`, accepting it only if signed by the issuer or by a
/// responder the issuer delegated (EKU OCSPSigning, issued by the issuer).
fn from_ocsp(
    der: &[u8],
    cert: &Cert,
    issuer: &Cert,
    pool: &[Cert],
    source: &str,
    at: UnixTime,
) -> Option<Status> {
    let decoded = decode_response(der).ok()?;
    if decoded.response_status != 0 {
        return None;
    }
    let (_, single, this_update, next_update) = decoded
        .answers
        .iter()
        .find(|(serial, ..)| strip_zero(serial) == strip_zero(&cert.serial))?
        .clone();
    // OCSPResponse { status, [0] { SEQUENCE { oid, OCTET STRING BasicOCSPResponse } } }
    let outer = tlv::read_all(der).ok()?;
    let parts = outer.expect(0x30, "OCSPResponse").ok()?;
    let rb = parts.get(1)?.expect(0xa0, "responseBytes").ok()?;
    let rb = rb.first()?.expect(0x30, "ResponseBytes").ok()?;
    let basic = tlv::read_all(rb.get(1)?.value).ok()?;
    let basic = basic.expect(0x30, "BasicOCSPResponse").ok()?;
    let tbs = basic.first()?.raw;
    let alg = spki::AlgorithmIdentifierOwned::from_der(basic.get(1)?.raw).ok()?;
    let sig = basic.get(2)?;
    if sig.tag != 0x03 || sig.value.first() != Some(&0) {
        return None;
    }
    let sig = &sig.value[1..];
    let scheme = kyso_pki::algid::scheme_from_identifier(&alg).ok()?;
    let mut signers = vec![issuer.clone()];
    if let Some(certs) = basic.get(3).filter(|t| t.tag == 0xa0) {
        for c in tlv::read_all(certs.value)
            .ok()
            .and_then(|s| s.expect(0x30, "certs").ok())
            .unwrap_or_default()
        {
            if let Ok(c) = Cert::parse(c.raw) {
                signers.push(c);
            }
        }
    }
    signers.extend(pool.iter().filter(|c| c.ocsp_signing).cloned());
    let verified = signers.iter().any(|s| {
        let authorised = s.der == issuer.der || (s.ocsp_signing && s.signed_by(issuer));
        authorised && kyso_keys::verify_signature(&s.spki, scheme, tbs, sig).is_ok()
    });
    if !verified {
        return None;
    }
    let checked_at = decoded.produced_at.unwrap_or(this_update);
    Some(match single {
        SingleStatus::Good if !covers(this_update, next_update, at) => return None,
        SingleStatus::Good => Status::Good {
            source: source.to_owned(),
            checked_at,
        },
        SingleStatus::Revoked { since, .. } => Status::Revoked {
            since,
            source: source.to_owned(),
        },
        _ => Status::Unknown {
            reason: format!("{source}: the responder does not know the certificate"),
        },
    })
}

/// An INTEGER's content octets without leading zero octets (serials compare by value).
pub(crate) fn strip_zero(b: &[u8]) -> &[u8] {
    let skip = b
        .iter()
        .take_while(|x| **x == 0)
        .count()
        .min(b.len().saturating_sub(1));
    &b[skip..]
}

/// Reads a CRL from `issuer`, signature checked.
fn from_crl(der: &[u8], cert: &Cert, issuer: &Cert, source: &str, at: UnixTime) -> Option<Status> {
    let crl =
        x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(der).ok()?;
    let tbs = &crl.tbs_cert_list;
    if tbs.issuer.to_der().ok()? != issuer.subject {
        return None;
    }
    let scheme = kyso_pki::algid::scheme_from_identifier(&crl.signature_algorithm).ok()?;
    let sig = crl.signature.as_bytes()?;
    kyso_keys::verify_signature(&issuer.spki, scheme, &tbs.to_der().ok()?, sig).ok()?;
    // A partitioned CRL (issuingDistributionPoint) speaks only for certificates that name
    // its distribution point: kyso's sharded CRLs say nothing about other shards.
    const IDP: const_oid::ObjectIdentifier = const_oid::ObjectIdentifier::new_unwrap("2.5.29.28");
    if let Some(idp) = tbs
        .crl_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == IDP)
    {
        let mut urls = Vec::new();
        collect_uris(idp.extn_value.as_bytes(), &mut urls, 0);
        let mut scope = Vec::new();
        if let Ok(t) = tlv::read_all(idp.extn_value.as_bytes()) {
            collect_uris(t.value, &mut scope, 0);
        }
        urls.extend(scope);
        if !urls.iter().any(|u| cert.crl_urls.contains(u)) {
            return None;
        }
    }
    let this_update = UnixTime::from_system_time(tbs.this_update.to_system_time());
    for revoked in tbs.revoked_certificates.iter().flatten() {
        if strip_zero(revoked.serial_number.as_bytes()) == strip_zero(&cert.serial) {
            return Some(Status::Revoked {
                since: UnixTime::from_system_time(revoked.revocation_date.to_system_time()),
                source: source.to_owned(),
            });
        }
    }
    let next_update = tbs
        .next_update
        .map(|n| UnixTime::from_system_time(n.to_system_time()));
    if !covers(this_update, next_update, at) {
        return None;
    }
    Some(Status::Good {
        source: source.to_owned(),
        checked_at: this_update,
    })
}
