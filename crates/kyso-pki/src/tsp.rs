//! Time-stamp protocol messages (RFC 3161, with the ESS signing-certificate-v2 attribute
//! of RFC 5816): parsing requests, building tokens and rejections.
//!
//! A token is a CMS SignedData (RFC 5652) over a TSTInfo. Everything in it that does not
//! depend on the request — the signer identifier, the signing-certificate attribute, the
//! certificate set — is encoded once when the [`TokenSigner`] is built. Every SET OF is
//! written in DER order (elements sorted by their encodings): strict parsers (Python
//! `rfc3161-client`, built on rust-asn1) refuse anything else.

use crate::cms::SignerParts;
use crate::der_out::{generalized_time, named_bits, push_unsigned, seq, tlv};
use crate::{Issuer, PkiError};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{AnyRef, IntRef, OctetStringRef};
use der::{Decode, Encode, Sequence, Tagged};
use kyso_core::UnixTime;
use kyso_keys::KeyStore;
use spki::AlgorithmIdentifierRef;

/// ETSI EN 319 421 best-practices time-stamp policy, the default TSA policy.
pub const ETSI_BEST_PRACTICES_POLICY: Oid = Oid::new_unwrap("0.4.0.2023.1.1");

const TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Longest nonce accepted, in octets (clients send 8 to 20).
pub const MAX_NONCE_LEN: usize = 64;

/// Hash algorithms accepted in a message imprint.
pub use crate::cms::DigestAlgorithm as ImprintHash;

/// A parsed TimeStampReq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeStampRequest {
    /// The imprint's hash algorithm.
    pub hash: ImprintHash,
    /// The MessageImprint exactly as received (DER), copied into the TSTInfo.
    pub message_imprint_der: Vec<u8>,
    /// The policy the client asks for.
    pub policy: Option<Oid>,
    /// The nonce INTEGER exactly as received (DER), copied into the TSTInfo.
    pub nonce_der: Option<Vec<u8>>,
    /// Whether the client asks for the TSA's certificate in the token.
    pub cert_req: bool,
}

/// PKIFailureInfo bits (RFC 3161 §2.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureInfo {
    /// Unrecognised or unsupported algorithm.
    BadAlg = 0,
    /// Transaction not permitted or supported.
    BadRequest = 2,
    /// The data submitted has the wrong format.
    BadDataFormat = 5,
    /// The TSA's time source is not available.
    TimeNotAvailable = 14,
    /// The requested policy is not supported.
    UnacceptedPolicy = 15,
    /// The requested extension is not supported.
    UnacceptedExtension = 16,
    /// The request cannot be handled due to system failure.
    SystemFailure = 25,
}

/// Why a time-stamp request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Not a DER TimeStampReq.
    #[error("not a DER-encoded time-stamp request: {0}")]
    Der(String),
    /// A version other than 1.
    #[error("unsupported time-stamp request version {0}")]
    Version(u8),
    /// A hash algorithm kyso does not accept.
    #[error("unsupported hash algorithm {0} (accepted: SHA-256, SHA-384, SHA-512)")]
    UnsupportedHash(String),
    /// The hashed message does not have the algorithm's length.
    #[error("a {alg} imprint has {expected} octets, not {got}")]
    ImprintLength {
        /// Algorithm.
        alg: &'static str,
        /// Its length.
        expected: usize,
        /// What was sent.
        got: usize,
    },
    /// Request extensions (kyso supports none).
    #[error("request extensions are not supported")]
    Extensions,
    /// A nonce longer than [`MAX_NONCE_LEN`] octets.
    #[error("the nonce has {0} octets; at most {MAX_NONCE_LEN} are accepted")]
    NonceLength(usize),
    /// A policy other than the TSA's.
    #[error("policy {0} is not this TSA's")]
    Policy(String),
}

impl RequestError {
    /// The failure information to answer with.
    pub fn failure_info(&self) -> FailureInfo {
        match self {
            Self::UnsupportedHash(_) => FailureInfo::BadAlg,
            Self::Extensions => FailureInfo::UnacceptedExtension,
            Self::Policy(_) => FailureInfo::UnacceptedPolicy,
            Self::Version(_) => FailureInfo::BadRequest,
            Self::Der(_) | Self::ImprintLength { .. } | Self::NonceLength(_) => {
                FailureInfo::BadDataFormat
            }
        }
    }
}

impl From<der::Error> for RequestError {
    fn from(e: der::Error) -> Self {
        RequestError::Der(e.to_string())
    }
}

#[derive(Sequence)]
struct TimeStampReqIn<'a> {
    version: u8,
    message_imprint: AnyRef<'a>,
    #[asn1(optional = "true")]
    req_policy: Option<Oid>,
    #[asn1(optional = "true")]
    nonce: Option<IntRef<'a>>,
    #[asn1(default = "Default::default")]
    cert_req: bool,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Vec<AnyRef<'a>>>,
}

#[derive(Sequence)]
struct MessageImprintIn<'a> {
    hash_algorithm: AlgorithmIdentifierRef<'a>,
    hashed_message: &'a OctetStringRef,
}

/// Parses a DER TimeStampReq.
pub fn parse_request(bytes: &[u8]) -> Result<TimeStampRequest, RequestError> {
    let req = TimeStampReqIn::from_der(bytes)?;
    if req.version != 1 {
        return Err(RequestError::Version(req.version));
    }
    if req.extensions.is_some() {
        return Err(RequestError::Extensions);
    }
    let message_imprint_der = req.message_imprint.to_der()?;
    let imprint = MessageImprintIn::from_der(&message_imprint_der)?;
    let params_ok = imprint
        .hash_algorithm
        .parameters
        .is_none_or(|p| p.tag() == der::Tag::Null && p.value().is_empty());
    let hash = ImprintHash::from_oid(&imprint.hash_algorithm.oid)
        .filter(|_| params_ok)
        .ok_or_else(|| RequestError::UnsupportedHash(imprint.hash_algorithm.oid.to_string()))?;
    let got = imprint.hashed_message.as_bytes().len();
    if got != hash.digest_len() {
        return Err(RequestError::ImprintLength {
            alg: match hash {
                ImprintHash::Sha256 => "SHA-256",
                ImprintHash::Sha384 => "SHA-384",
                ImprintHash::Sha512 => "SHA-512",
            },
            expected: hash.digest_len(),
            got,
        });
    }
    let nonce_der = match req.nonce {
        Some(n) if n.as_bytes().len() > MAX_NONCE_LEN => {
            return Err(RequestError::NonceLength(n.as_bytes().len()));
        }
        Some(n) => Some(n.to_der()?),
        None => None,
    };
    Ok(TimeStampRequest {
        hash,
        message_imprint_der,
        policy: req.req_policy,
        nonce_der,
        cert_req: req.cert_req,
    })
}

/// A TimeStampResp with status `rejection`, the failure bit and a human-readable reason.
pub fn rejection(info: FailureInfo, text: &str) -> Vec<u8> {
    let mut utf8 = Vec::new();
    crate::der_out::push_tlv(&mut utf8, 0x0c, &[text.as_bytes()]);
    let status = seq(&[
        &[0x02, 0x01, 0x02],
        &seq(&[&utf8]),
        &named_bits(&[info as u32]),
    ]);
    seq(&[&status])
}

/// What varies between two tokens.
#[derive(Debug, Clone, Copy)]
pub struct TokenFields {
    /// Serial number, unique for this TSA.
    pub serial: u64,
    /// The time asserted (whole seconds).
    pub gen_time: UnixTime,
    /// Accuracy in seconds around `gen_time`.
    pub accuracy_seconds: u8,
}

/// A TSA key and certificate ready to sign tokens.
#[derive(Debug, Clone)]
pub struct TokenSigner {
    signer: Issuer,
    parts: SignerParts,
    policy: Vec<u8>,
    policy_oid: Oid,
}

impl TokenSigner {
    /// From the TSA's certificate and key; `chain` holds the certificates sent, with the
    /// TSA's own, to clients that ask for it (`certReq`): the issuing CA's, so that a
    /// verifier needs only the root.
    pub fn new(signer: Issuer, chain: &[Vec<u8>], policy: Oid) -> Result<Self, PkiError> {
        Ok(TokenSigner {
            parts: SignerParts::new(&signer.cert_der, chain, signer.scheme)?,
            policy: policy.to_der()?,
            policy_oid: policy,
            signer,
        })
    }

    /// The TSA policy written in every token.
    pub fn policy(&self) -> &Oid {
        &self.policy_oid
    }

    /// The TSA's certificate.
    pub fn certificate_der(&self) -> &[u8] {
        &self.signer.cert_der
    }

    /// Refuses a request this TSA cannot grant (another policy).
    pub fn check(&self, req: &TimeStampRequest) -> Result<(), RequestError> {
        match &req.policy {
            Some(p) if *p != self.policy_oid => Err(RequestError::Policy(p.to_string())),
            _ => Ok(()),
        }
    }

    /// The TSTInfo for `req` (DER).
    fn tst_info(&self, req: &TimeStampRequest, f: TokenFields) -> Result<Vec<u8>, PkiError> {
        let mut serial = Vec::new();
        push_unsigned(&mut serial, &f.serial.to_be_bytes());
        // Accuracy { seconds INTEGER }.
        let accuracy = seq(&[&[0x02, 0x01, f.accuracy_seconds.min(127)]]);
        Ok(seq(&[
            &[0x02, 0x01, 0x01],
            &self.policy,
            &req.message_imprint_der,
            &serial,
            &generalized_time(f.gen_time)?,
            &accuracy,
            req.nonce_der.as_deref().unwrap_or_default(),
        ]))
    }

    /// A granted TimeStampResp carrying a token for `req`.
    pub fn grant(
        &self,
        keystore: &dyn KeyStore,
        req: &TimeStampRequest,
        fields: TokenFields,
    ) -> Result<Vec<u8>, PkiError> {
        let tst_info = self.tst_info(req, fields)?;
        let attributes = self.parts.signed_attributes(
            TST_INFO,
            &self.parts.digest.digest(&tst_info),
            Vec::new(),
        )?;
        let signature = crate::sign_checked(keystore, &self.signer, &attributes)?;
        let encap = seq(&[&TST_INFO.to_der()?, &tlv(0xa0, &[&tlv(0x04, &[&tst_info])])]);
        let token = self
            .parts
            .signed_data(3, &encap, &attributes, &signature, req.cert_req)?;
        Ok(seq(&[&seq(&[&[0x02, 0x01, 0x00]]), &token]))
    }
}

/// Builds a DER TimeStampReq for `data` (what a signing client sends): for benchmarks,
/// fuzz seeds and tests; openssl and rfc3161-client build their own in the peer tests.
pub fn build_request(
    hash: ImprintHash,
    data: &[u8],
    nonce: Option<u64>,
    cert_req: bool,
) -> Result<Vec<u8>, PkiError> {
    request_for_digest(hash, &hash.digest(data), nonce, cert_req)
}

/// Builds a DER TimeStampReq for a digest computed elsewhere (CSC `signatures/timestamp`).
pub fn request_for_digest(
    hash: ImprintHash,
    digest: &[u8],
    nonce: Option<u64>,
    cert_req: bool,
) -> Result<Vec<u8>, PkiError> {
    let imprint = seq(&[&hash.algorithm_identifier()?, &tlv(0x04, &[digest])]);
    let mut nonce_der = Vec::new();
    if let Some(n) = nonce {
        push_unsigned(&mut nonce_der, &n.to_be_bytes());
    }
    let cert_req_der: &[u8] = if cert_req { &[0x01, 0x01, 0xff] } else { &[] };
    Ok(seq(&[
        &[0x02, 0x01, 0x01],
        &imprint,
        &nonce_der,
        cert_req_der,
    ]))
}

/// The TimeStampToken of a granted TimeStampResp (DER), if it carries one.
pub fn token_of(response: &[u8]) -> Option<Vec<u8>> {
    #[derive(Sequence)]
    struct RespIn<'a> {
        status: AnyRef<'a>,
        #[asn1(optional = "true")]
        token: Option<AnyRef<'a>>,
    }
    let resp = RespIn::from_der(response).ok()?;
    // PKIStatus granted (0) or grantedWithMods (1).
    let granted = resp
        .status
        .value()
        .get(..3)
        .is_some_and(|s| s[0] == 0x02 && s[1] == 1 && s[2] <= 1);
    if !granted {
        return None;
    }
    resp.token.and_then(|t| t.to_der().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_bad_ones_get_their_failure_info() {
        let der = build_request(ImprintHash::Sha384, b"x", Some(0x8000), true).unwrap();
        let req = parse_request(&der).unwrap();
        assert_eq!(req.hash, ImprintHash::Sha384);
        assert!(req.cert_req);
        assert_eq!(
            req.nonce_der.as_deref(),
            Some(&[0x02, 0x03, 0x00, 0x80, 0x00][..])
        );
        let cases: [(&[u8], FailureInfo); 3] = [
            (b"", FailureInfo::BadDataFormat),
            (&[0x30, 0x00], FailureInfo::BadDataFormat),
            (&[0x30, 0x03, 0x02, 0x01, 0x02], FailureInfo::BadDataFormat),
        ];
        for (bytes, info) in cases {
            assert_eq!(parse_request(bytes).unwrap_err().failure_info(), info);
        }
        // Version 2.
        let mut v2 = der.clone();
        v2[4] = 0x02;
        assert_eq!(
            parse_request(&v2).unwrap_err().failure_info(),
            FailureInfo::BadRequest
        );
        // SHA-1 imprint: badAlg.
        let sha1 = seq(&[
            &[0x02, 0x01, 0x01],
            &seq(&[
                &seq(&[&[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a], &[0x05, 0x00]]),
                &tlv(0x04, &[&[0u8; 20]]),
            ]),
        ]);
        assert_eq!(
            parse_request(&sha1).unwrap_err().failure_info(),
            FailureInfo::BadAlg
        );
        // Truncated imprint: badDataFormat.
        let short = seq(&[
            &[0x02, 0x01, 0x01],
            &seq(&[
                &ImprintHash::Sha256.algorithm_identifier().unwrap(),
                &tlv(0x04, &[&[0u8; 20]]),
            ]),
        ]);
        assert!(matches!(
            parse_request(&short),
            Err(RequestError::ImprintLength { got: 20, .. })
        ));
        // Extensions: unacceptedExtension.
        let mut with_ext = der[2..].to_vec();
        with_ext.extend_from_slice(&[0xa0, 0x00]);
        let with_ext = seq(&[&with_ext]);
        assert_eq!(
            parse_request(&with_ext).unwrap_err().failure_info(),
            FailureInfo::UnacceptedExtension
        );
    }
}
