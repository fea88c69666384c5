//! OCSP messages (RFC 6960): parsing requests, building signed responses.
//!
//! Requests are parsed strictly (DER, via the `der` crate) into owned values: nothing of the
//! request survives into a response except the bytes a client compares — the CertID and
//! the nonce extension value — which are echoed exactly as received. Responses are written
//! by hand ([`crate::der_out`]) because the responder builds one per status change and per
//! nonce, and every allocation counts at tens of thousands of responses a second.
//!
//! What kyso answers:
//! - `good`, `revoked` (with time and reason), and suspension as `revoked` with reason
//!   `certificateHold` (RFC 5280 §5.3.1), which becomes `good` again on resume;
//! - `unknown` for a serial its CA never issued, or a CertID of an issuer the signing
//!   responder does not serve when several are asked in one request;
//! - the response statuses `malformedRequest` and `unauthorized` (no CertID names an issuer
//!   kyso serves) instead of a signed answer.

use crate::der_out::{generalized_time, push_tlv, seq, tlv};
use crate::{Issuer, PkiError, algid, serial_hex};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{AnyRef, IntRef, OctetStringRef};
use der::{Decode, Encode, Sequence, Tagged};
use kyso_core::{RevocationReason, UnixTime};
use kyso_keys::KeyStore;
use spki::AlgorithmIdentifierRef;
use x509_cert::Certificate;

/// Most CertIDs answered in one request. Real clients send one; a bound keeps one request
/// from costing the responder thousands of lookups.
pub const MAX_REQUESTS: usize = 32;

/// Longest nonce echoed (RFC 8954 §2.1: responders accept 1 to 32 octets).
pub const MAX_NONCE_LEN: usize = 32;

/// id-pkix-ocsp-basic.
const OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce.
pub const NONCE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.2");

/// The hash algorithm of a CertID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertIdHash {
    /// SHA-1: what most clients (openssl included) still send by default.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl CertIdHash {
    /// Every supported algorithm.
    pub const ALL: [CertIdHash; 4] = [Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512];

    fn from_oid(oid: &Oid) -> Option<Self> {
        Some(match oid.to_string().as_str() {
            "1.3.14.3.2.26" => Self::Sha1,
            "2.16.840.1.101.3.4.2.1" => Self::Sha256,
            "2.16.840.1.101.3.4.2.2" => Self::Sha384,
            "2.16.840.1.101.3.4.2.3" => Self::Sha512,
            _ => return None,
        })
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        use aws_lc_rs::digest;
        let alg = match self {
            // CertIDs are names, not signatures: SHA-1 here has no collision consequence
            // for kyso, which answers only for serials it issued.
            Self::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }
}

/// One CertID of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    /// The CertID exactly as received (DER), echoed in the response.
    pub der: Vec<u8>,
    /// Its hash algorithm, if kyso supports it.
    pub hash: Option<CertIdHash>,
    /// Hash of the issuer's DER-encoded name.
    pub issuer_name_hash: Vec<u8>,
    /// Hash of the issuer's public key bits.
    pub issuer_key_hash: Vec<u8>,
    /// Content octets of the serialNumber INTEGER (two's complement, as received).
    pub serial: Vec<u8>,
}

impl CertId {
    /// The serial as kyso stores it (lower-case hex), if it can be one of kyso's: positive
    /// and at most 20 octets (RFC 5280 §4.1.2.2).
    pub fn serial_hex(&self) -> Option<String> {
        let negative = self.serial.first().is_none_or(|b| b & 0x80 != 0);
        let significant = match self.serial.as_slice() {
            [0, rest @ ..] if !rest.is_empty() => rest,
            s => s,
        };
        (!negative && significant.len() <= 20).then(|| serial_hex(&self.serial))
    }
}

/// A parsed OCSP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspRequest {
    /// The certificates asked about, in request order.
    pub cert_ids: Vec<CertId>,
    /// The nonce extension's extnValue, to echo (RFC 8954), if the client sent one.
    pub nonce: Option<Vec<u8>>,
}

/// Why a request is malformed. Every variant is answered with `malformedRequest`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Not a DER OCSPRequest.
    #[error("not a DER-encoded OCSP request: {0}")]
    Der(String),
    /// A version other than v1.
    #[error("unsupported OCSP request version {0}")]
    Version(u8),
    /// An empty request list.
    #[error("the request asks about no certificate")]
    Empty,
    /// More CertIDs than [`MAX_REQUESTS`].
    #[error("the request asks about {0} certificates; at most {MAX_REQUESTS} are answered")]
    TooMany(usize),
    /// A critical extension kyso does not implement (RFC 6960 §4.4).
    #[error("unsupported critical extension {0}")]
    UnsupportedCriticalExtension(String),
    /// A nonce of zero or more than [`MAX_NONCE_LEN`] octets.
    #[error("the nonce must have 1 to {MAX_NONCE_LEN} octets, not {0}")]
    NonceLength(usize),
}

impl From<der::Error> for RequestError {
    fn from(e: der::Error) -> Self {
        RequestError::Der(e.to_string())
    }
}

#[derive(Sequence)]
struct OcspRequestIn<'a> {
    tbs_request: TbsRequestIn<'a>,
    // Signed requests are accepted and the signature ignored: kyso's answers are public.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    optional_signature: Option<AnyRef<'a>>,
}

fn v1() -> u8 {
    0
}

#[derive(Sequence)]
struct TbsRequestIn<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", default = "v1")]
    version: u8,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    requestor_name: Option<AnyRef<'a>>,
    request_list: Vec<RequestIn<'a>>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    request_extensions: Option<Vec<ExtensionIn<'a>>>,
}

#[derive(Sequence)]
struct RequestIn<'a> {
    req_cert: AnyRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    single_request_extensions: Option<Vec<ExtensionIn<'a>>>,
}

#[derive(Sequence)]
struct CertIdIn<'a> {
    hash_algorithm: AlgorithmIdentifierRef<'a>,
    issuer_name_hash: &'a OctetStringRef,
    issuer_key_hash: &'a OctetStringRef,
    serial_number: IntRef<'a>,
}

#[derive(Sequence)]
struct ExtensionIn<'a> {
    extn_id: Oid,
    #[asn1(default = "Default::default")]
    critical: bool,
    extn_value: &'a OctetStringRef,
}

fn refuse_critical(exts: &[ExtensionIn<'_>], known: &[Oid]) -> Result<(), RequestError> {
    match exts
        .iter()
        .find(|e| e.critical && !known.contains(&e.extn_id))
    {
        Some(e) => Err(RequestError::UnsupportedCriticalExtension(
            e.extn_id.to_string(),
        )),
        None => Ok(()),
    }
}

/// Parses a DER OCSPRequest.
pub fn parse_request(bytes: &[u8]) -> Result<OcspRequest, RequestError> {
    let req = OcspRequestIn::from_der(bytes)?;
    let tbs = req.tbs_request;
    if tbs.version != 0 {
        return Err(RequestError::Version(tbs.version));
    }
    match tbs.request_list.len() {
        0 => return Err(RequestError::Empty),
        n if n > MAX_REQUESTS => return Err(RequestError::TooMany(n)),
        _ => {}
    }
    let mut cert_ids = Vec::with_capacity(tbs.request_list.len());
    for r in &tbs.request_list {
        refuse_critical(r.single_request_extensions.as_deref().unwrap_or(&[]), &[])?;
        let der = r.req_cert.to_der()?;
        let id = CertIdIn::from_der(&der)?;
        let hash = CertIdHash::from_oid(&id.hash_algorithm.oid).filter(|_| {
            // Hash AlgorithmIdentifiers carry NULL or no parameters (RFC 5754 §2).
            id.hash_algorithm
                .parameters
                .is_none_or(|p| p.tag() == der::Tag::Null && p.value().is_empty())
        });
        cert_ids.push(CertId {
            hash,
            issuer_name_hash: id.issuer_name_hash.as_bytes().to_vec(),
            issuer_key_hash: id.issuer_key_hash.as_bytes().to_vec(),
            serial: id.serial_number.as_bytes().to_vec(),
            der,
        });
    }
    let exts = tbs.request_extensions.unwrap_or_default();
    refuse_critical(&exts, &[NONCE])?;
    let nonce = match exts.iter().find(|e| e.extn_id == NONCE) {
        None => None,
        Some(e) => {
            let value = e.extn_value.as_bytes();
            // RFC 8954: the value is an OCTET STRING; some old clients put the bytes bare.
            let len = match <&OctetStringRef>::from_der(value) {
                Ok(inner) => inner.as_bytes().len(),
                Err(_) => value.len(),
            };
            if len == 0 || len > MAX_NONCE_LEN {
                return Err(RequestError::NonceLength(len));
            }
            Some(value.to_vec())
        }
    };
    Ok(OcspRequest { cert_ids, nonce })
}

/// Recognises the CertIDs that name one issuing CA, whatever supported hash they use.
#[derive(Debug, Clone)]
pub struct IssuerMatcher {
    hashes: Vec<(CertIdHash, Vec<u8>, Vec<u8>)>,
}

impl IssuerMatcher {
    /// From the issuing CA's certificate.
    pub fn new(issuer_cert_der: &[u8]) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(issuer_cert_der)?;
        let tbs = cert.tbs_certificate();
        let name = tbs.subject().to_der()?;
        let key = tbs.subject_public_key_info().subject_public_key.raw_bytes();
        Ok(IssuerMatcher {
            hashes: CertIdHash::ALL
                .iter()
                .map(|h| (*h, h.digest(&name), h.digest(key)))
                .collect(),
        })
    }

    /// Whether `id` names this issuer.
    pub fn matches(&self, id: &CertId) -> bool {
        id.hash.is_some_and(|alg| {
            self.hashes.iter().any(|(h, name, key)| {
                *h == alg && *name == id.issuer_name_hash && *key == id.issuer_key_hash
            })
        })
    }
}

/// The status reported for one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SingleStatus {
    /// Issued, and neither revoked nor suspended.
    Good,
    /// Revoked, or suspended (reason `certificateHold`).
    Revoked {
        /// Since when.
        since: UnixTime,
        /// Why; `None` when unspecified.
        reason: Option<RevocationReason>,
    },
    /// Not a certificate this responder knows.
    Unknown,
}

/// One answer of a response.
#[derive(Debug, Clone, Copy)]
pub struct SingleResponse<'a> {
    /// The CertID as the client sent it.
    pub cert_id_der: &'a [u8],
    /// The status.
    pub status: SingleStatus,
    /// When the status was known to be correct.
    pub this_update: UnixTime,
    /// When newer information will be available; the response is not to be relied on after.
    pub next_update: UnixTime,
}

/// Response statuses that carry no signed answer (RFC 6960 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorStatus {
    /// The request does not parse or breaks the protocol.
    MalformedRequest = 1,
    /// The responder failed.
    InternalError = 2,
    /// Try again later.
    TryLater = 3,
    /// The responder is not authoritative for any certificate asked about.
    Unauthorized = 6,
}

/// An unsigned OCSPResponse with an error status.
pub fn error_response(status: ErrorStatus) -> Vec<u8> {
    vec![0x30, 0x03, 0x0a, 0x01, status as u8]
}

/// A delegated OCSP signer (RFC 6960 §4.2.2.2) ready to sign responses: everything that
/// does not change between two responses is encoded once.
#[derive(Debug, Clone)]
pub struct ResponseSigner {
    signer: Issuer,
    responder_id: Vec<u8>,
    algorithm: Vec<u8>,
    certs: Vec<u8>,
}

impl ResponseSigner {
    /// From the OCSP signer's certificate and key (loaded like an [`Issuer`]).
    pub fn new(signer: Issuer) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(&signer.cert_der)?;
        let key_bits = cert
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        // ResponderID byKey: SHA-1 of the key bits, as RFC 6960 §4.2.1 defines KeyHash.
        let key_hash = CertIdHash::Sha1.digest(key_bits);
        let responder_id = tlv(0xa2, &[&tlv(0x04, &[&key_hash])]);
        let algorithm = algid::signature_algorithm_identifier(signer.scheme).to_der()?;
        // certs [0] EXPLICIT SEQUENCE OF Certificate: the signer's own certificate, which
        // the client checks was issued by the CA it asked about, for OCSP signing.
        let certs = tlv(0xa0, &[&seq(&[&signer.cert_der])]);
        Ok(ResponseSigner {
            signer,
            responder_id,
            algorithm,
            certs,
        })
    }

    /// The signer's certificate.
    pub fn certificate_der(&self) -> &[u8] {
        &self.signer.cert_der
    }

    /// Builds and signs a successful OCSPResponse.
    pub fn sign(
        &self,
        keystore: &dyn KeyStore,
        responses: &[SingleResponse<'_>],
        nonce: Option<&[u8]>,
        produced_at: UnixTime,
    ) -> Result<Vec<u8>, PkiError> {
        let mut singles = Vec::with_capacity(responses.len() * 128);
        for r in responses {
            let status = match r.status {
                SingleStatus::Good => vec![0x80, 0x00],
                SingleStatus::Unknown => vec![0x82, 0x00],
                SingleStatus::Revoked { since, reason } => {
                    let time = generalized_time(since)?;
                    // Like CRL entries, `unspecified` is written as no reason.
                    match reason.filter(|r| *r != RevocationReason::Unspecified) {
                        Some(r) => tlv(0xa1, &[&time, &[0xa0, 0x03, 0x0a, 0x01, r.code()]]),
                        None => tlv(0xa1, &[&time]),
                    }
                }
            };
            let next = tlv(0xa0, &[&generalized_time(r.next_update)?]);
            push_tlv(
                &mut singles,
                0x30,
                &[
                    r.cert_id_der,
                    &status,
                    &generalized_time(r.this_update)?,
                    &next,
                ],
            );
        }
        let extensions = match nonce {
            Some(value) => tlv(
                0xa1,
                &[&seq(&[&seq(&[&NONCE.to_der()?, &tlv(0x04, &[value])])])],
            ),
            None => Vec::new(),
        };
        let tbs = seq(&[
            &self.responder_id,
            &generalized_time(produced_at)?,
            &tlv(0x30, &[&singles]),
            &extensions,
        ]);
        let signature = crate::sign_checked(keystore, &self.signer, &tbs)?;
        let basic = seq(&[
            &tbs,
            &self.algorithm,
            &tlv(0x03, &[&[0], &signature]),
            &self.certs,
        ]);
        let response_bytes = seq(&[&OCSP_BASIC.to_der()?, &tlv(0x04, &[&basic])]);
        Ok(seq(&[&[0x0a, 0x01, 0x00], &tlv(0xa0, &[&response_bytes])]))
    }
}

/// Builds a DER OCSPRequest asking about `serials` of the CA whose certificate is
/// `issuer_cert_der` — what a relying party sends. kyso uses it in benchmarks, fuzz seeds
/// and tests; the answers are checked against openssl, which builds its own.
pub fn build_request(
    hash: CertIdHash,
    issuer_cert_der: &[u8],
    serials: &[&[u8]],
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>, PkiError> {
    let cert = Certificate::from_der(issuer_cert_der)?;
    let tbs = cert.tbs_certificate();
    let name_hash = hash.digest(&tbs.subject().to_der()?);
    let key_hash = hash.digest(tbs.subject_public_key_info().subject_public_key.raw_bytes());
    let alg_oid: Oid = match hash {
        CertIdHash::Sha1 => Oid::new_unwrap("1.3.14.3.2.26"),
        CertIdHash::Sha256 => Oid::new_unwrap("2.16.840.1.101.3.4.2.1"),
        CertIdHash::Sha384 => Oid::new_unwrap("2.16.840.1.101.3.4.2.2"),
        CertIdHash::Sha512 => Oid::new_unwrap("2.16.840.1.101.3.4.2.3"),
    };
    let alg = seq(&[&alg_oid.to_der()?, &[0x05, 0x00]]);
    let mut list = Vec::new();
    for serial in serials {
        let mut int = Vec::new();
        crate::der_out::push_unsigned(&mut int, serial);
        let cert_id = seq(&[
            &alg,
            &tlv(0x04, &[&name_hash]),
            &tlv(0x04, &[&key_hash]),
            &int,
        ]);
        list.extend_from_slice(&seq(&[&cert_id]));
    }
    let extensions = match nonce {
        Some(n) => tlv(
            0xa2,
            &[&seq(&[&seq(&[
                &NONCE.to_der()?,
                &tlv(0x04, &[&tlv(0x04, &[n])]),
            ])])],
        ),
        None => Vec::new(),
    };
    Ok(seq(&[&seq(&[&tlv(0x30, &[&list]), &extensions])]))
}

/// What a client reads from a response: enough for kyso's own tests, benchmarks and
/// tools (relying parties verify with their own libraries; kyso's tests use openssl).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedResponse {
    /// 0 = successful; see [`ErrorStatus`] for the others.
    pub response_status: u8,
    /// producedAt (successful responses).
    pub produced_at: Option<UnixTime>,
    /// (serial content octets, status) per answer, in order.
    pub answers: Vec<(Vec<u8>, SingleStatus, UnixTime, Option<UnixTime>)>,
    /// The nonce extension value, if echoed.
    pub nonce: Option<Vec<u8>>,
}

#[derive(Sequence)]
struct OcspResponseIn<'a> {
    status: der::asn1::AnyRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    bytes: Option<ResponseBytesIn<'a>>,
}

#[derive(Sequence)]
struct ResponseBytesIn<'a> {
    response_type: Oid,
    response: &'a OctetStringRef,
}

#[derive(Sequence)]
struct BasicResponseIn<'a> {
    tbs: ResponseDataIn<'a>,
    algorithm: AnyRef<'a>,
    signature: der::asn1::BitStringRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    certs: Option<AnyRef<'a>>,
}

#[derive(Sequence)]
struct ResponseDataIn<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", default = "v1")]
    version: u8,
    responder_id: AnyRef<'a>,
    produced_at: der::asn1::GeneralizedTime,
    responses: Vec<SingleResponseIn<'a>>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<ExtensionIn<'a>>>,
}

#[derive(Sequence)]
struct SingleResponseIn<'a> {
    cert_id: CertIdIn<'a>,
    status: AnyRef<'a>,
    this_update: der::asn1::GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    next_update: Option<der::asn1::GeneralizedTime>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<AnyRef<'a>>,
}

#[derive(Sequence)]
struct RevokedInfoIn<'a> {
    time: der::asn1::GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    reason: Option<AnyRef<'a>>,
}

fn gt(t: der::asn1::GeneralizedTime) -> UnixTime {
    UnixTime(t.to_unix_duration().as_secs() as i64)
}

/// Decodes an OCSPResponse without verifying its signature.
pub fn decode_response(bytes: &[u8]) -> Result<DecodedResponse, PkiError> {
    let outer = OcspResponseIn::from_der(bytes)?;
    let status = match outer.status.value() {
        [s] if outer.status.tag() == der::Tag::Enumerated => *s,
        _ => {
            return Err(PkiError::Validity(
                "responseStatus is not an ENUMERATED".into(),
            ));
        }
    };
    let Some(rb) = outer.bytes else {
        return Ok(DecodedResponse {
            response_status: status,
            produced_at: None,
            answers: Vec::new(),
            nonce: None,
        });
    };
    if rb.response_type != OCSP_BASIC {
        return Err(PkiError::Validity("not a basic OCSP response".into()));
    }
    let basic = BasicResponseIn::from_der(rb.response.as_bytes())?;
    let mut answers = Vec::new();
    for r in &basic.tbs.responses {
        let s = match (r.status.tag(), r.status.value()) {
            (t, []) if t.number().value() == 0 => SingleStatus::Good,
            (t, []) if t.number().value() == 2 => SingleStatus::Unknown,
            (t, content) if t.number().value() == 1 => {
                // RevokedInfo is IMPLICIT [1]: re-tag as a SEQUENCE to decode it.
                let mut seq_der = Vec::new();
                crate::der_out::push_tlv(&mut seq_der, 0x30, &[content]);
                let info = RevokedInfoIn::from_der(&seq_der)?;
                let reason = info
                    .reason
                    .and_then(|r| r.value().first().copied())
                    .and_then(RevocationReason::from_code);
                SingleStatus::Revoked {
                    since: gt(info.time),
                    reason,
                }
            }
            _ => return Err(PkiError::Validity("unknown CertStatus".into())),
        };
        answers.push((
            r.cert_id.serial_number.as_bytes().to_vec(),
            s,
            gt(r.this_update),
            r.next_update.map(gt),
        ));
    }
    let nonce = basic.tbs.extensions.as_ref().and_then(|exts| {
        exts.iter()
            .find(|e| e.extn_id == NONCE)
            .map(|e| e.extn_value.as_bytes().to_vec())
    });
    Ok(DecodedResponse {
        response_status: status,
        produced_at: Some(gt(basic.tbs.produced_at)),
        answers,
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer_cert() -> Vec<u8> {
        // Any certificate serves as an "issuer" for request building.
        let pem = include_str!("../tests/data/ocsp/issuer.pem");
        let (_, der) = der::pem::decode_vec(pem.as_bytes()).unwrap();
        der
    }

    #[test]
    fn requests_round_trip_and_match_their_issuer_whatever_the_hash() {
        let issuer = issuer_cert();
        let matcher = IssuerMatcher::new(&issuer).unwrap();
        for hash in CertIdHash::ALL {
            let der =
                build_request(hash, &issuer, &[&[0x12, 0x34], &[0x80]], Some(&[7; 16])).unwrap();
            let req = parse_request(&der).unwrap();
            assert_eq!(req.cert_ids.len(), 2);
            assert!(req.cert_ids.iter().all(|id| matcher.matches(id)));
            assert_eq!(req.cert_ids[0].serial_hex().as_deref(), Some("1234"));
            // 0x80 is sent as 00 80: still the positive serial 80.
            assert_eq!(req.cert_ids[1].serial_hex().as_deref(), Some("80"));
            assert_eq!(req.nonce.as_deref(), Some(&tlv(0x04, &[&[7; 16]])[..]));
        }
    }

    #[test]
    fn malformed_requests_are_refused_with_a_reason() {
        let issuer = issuer_cert();
        assert!(matches!(parse_request(b""), Err(RequestError::Der(_))));
        assert!(matches!(
            parse_request(&[0x30, 0x80, 0x00, 0x00]),
            Err(RequestError::Der(_))
        ));
        let many: Vec<[u8; 2]> = (0..=MAX_REQUESTS as u16).map(|i| i.to_be_bytes()).collect();
        let many: Vec<&[u8]> = many.iter().map(|s| &s[..]).collect();
        let der = build_request(CertIdHash::Sha1, &issuer, &many, None).unwrap();
        assert_eq!(
            parse_request(&der),
            Err(RequestError::TooMany(MAX_REQUESTS + 1))
        );
        let der = build_request(CertIdHash::Sha1, &issuer, &[], None).unwrap();
        assert_eq!(parse_request(&der), Err(RequestError::Empty));
        for (len, ok) in [(0, false), (1, true), (32, true), (33, false)] {
            let nonce = vec![1u8; len];
            let der = build_request(CertIdHash::Sha1, &issuer, &[&[1]], Some(&nonce)).unwrap();
            assert_eq!(parse_request(&der).is_ok(), ok, "nonce of {len} octets");
        }
    }

    #[test]
    fn serials_that_cannot_be_kysos_have_no_hex() {
        let id = |serial: &[u8]| CertId {
            der: vec![],
            hash: None,
            issuer_name_hash: vec![],
            issuer_key_hash: vec![],
            serial: serial.to_vec(),
        };
        assert_eq!(id(&[0xff]).serial_hex(), None, "negative");
        assert_eq!(id(&[]).serial_hex(), None);
        assert_eq!(id(&[1; 21]).serial_hex(), None, "longer than 20 octets");
        assert_eq!(id(&[0, 0x80]).serial_hex().as_deref(), Some("80"));
    }

    #[test]
    fn error_responses_decode() {
        let d = decode_response(&error_response(ErrorStatus::Unauthorized)).unwrap();
        assert_eq!(d.response_status, 6);
        assert!(d.answers.is_empty());
    }
}
