//! Time-stamp protocol messages (RFC 3161, with the ESS signing-certificate-v2 attribute
//! of RFC 5816): parsing requests, building tokens and rejections.
//!
//! A token is a CMS SignedData (RFC 5652) over a TSTInfo. Everything in it that does not
//! depend on the request — the signer identifier, the signing-certificate attribute, the
//! certificate set — is encoded once when the [`TokenSigner`] is built. Every SET OF is
//! written in DER order (elements sorted by their encodings): strict parsers (Python
//! `rfc3161-client`, built on rust-asn1) refuse anything else.

use crate::der_out::{generalized_time, named_bits, push_unsigned, seq, set_of, tlv};
use crate::{Issuer, PkiError, algid};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{AnyRef, IntRef, OctetStringRef};
use der::{Decode, Encode, Sequence, Tagged};
use kyso_core::UnixTime;
use kyso_keys::{KeyStore, SignatureAlgorithm};
use spki::AlgorithmIdentifierRef;
use x509_cert::Certificate;

/// ETSI EN 319 421 best-practices time-stamp policy, the default TSA policy.
pub const ETSI_BEST_PRACTICES_POLICY: Oid = Oid::new_unwrap("0.4.0.2023.1.1");

const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// Longest nonce accepted, in octets (clients send 8 to 20).
pub const MAX_NONCE_LEN: usize = 64;

/// Hash algorithms accepted in a message imprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImprintHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl ImprintHash {
    /// The hash named by a dotted OID (SHA-256, SHA-384, SHA-512).
    pub fn from_dotted(oid: &str) -> Option<Self> {
        Oid::new(oid).ok().and_then(|o| Self::from_oid(&o))
    }

    fn from_oid(oid: &Oid) -> Option<Self> {
        Some(match oid.to_string().as_str() {
            "2.16.840.1.101.3.4.2.1" => Self::Sha256,
            "2.16.840.1.101.3.4.2.2" => Self::Sha384,
            "2.16.840.1.101.3.4.2.3" => Self::Sha512,
            _ => return None,
        })
    }

    fn oid(self) -> Oid {
        match self {
            Self::Sha256 => Oid::new_unwrap("2.16.840.1.101.3.4.2.1"),
            Self::Sha384 => Oid::new_unwrap("2.16.840.1.101.3.4.2.2"),
            Self::Sha512 => Oid::new_unwrap("2.16.840.1.101.3.4.2.3"),
        }
    }

    /// Digest length in octets.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        use aws_lc_rs::digest;
        let alg = match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }

    /// The hash a signature scheme signs with: the SignerInfo's digest algorithm.
    fn of_scheme(scheme: SignatureAlgorithm) -> Self {
        match scheme {
            SignatureAlgorithm::RsaPkcs1Sha256
            | SignatureAlgorithm::RsaPssSha256
            | SignatureAlgorithm::EcdsaSha256 => Self::Sha256,
            SignatureAlgorithm::RsaPkcs1Sha384
            | SignatureAlgorithm::RsaPssSha384
            | SignatureAlgorithm::EcdsaSha384 => Self::Sha384,
            SignatureAlgorithm::RsaPkcs1Sha512 => Self::Sha512,
        }
    }

    /// AlgorithmIdentifier with absent parameters (RFC 5754 §2).
    fn algorithm_identifier(self) -> Result<Vec<u8>, PkiError> {
        Ok(seq(&[&self.oid().to_der()?]))
    }
}

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
    policy: Vec<u8>,
    digest: ImprintHash,
    digest_algorithm: Vec<u8>,
    signature_algorithm: Vec<u8>,
    sid: Vec<u8>,
    signing_certificate: Vec<u8>,
    certificates: Vec<u8>,
    policy_oid: Oid,
}

impl TokenSigner {
    /// From the TSA's certificate and key; `chain` holds the certificates sent, with the
    /// TSA's own, to clients that ask for it (`certReq`): the issuing CA's, so that a
    /// verifier needs only the root.
    pub fn new(signer: Issuer, chain: &[Vec<u8>], policy: Oid) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(&signer.cert_der)?;
        let tbs = cert.tbs_certificate();
        let issuer_name = tbs.issuer().to_der()?;
        let serial = tbs.serial_number().to_der()?;
        let sid = seq(&[&issuer_name, &serial]);
        let digest = ImprintHash::of_scheme(signer.scheme);
        // SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { hashAlgorithm DEFAULT
        // sha256 (so omitted), certHash, issuerSerial { GeneralNames { directoryName },
        // serial } } }: binds the signature to this certificate, not just to its key.
        let cert_hash = ImprintHash::Sha256.digest(&signer.cert_der);
        let issuer_serial = seq(&[&seq(&[&tlv(0xa4, &[&issuer_name])]), &serial]);
        let ess_cert_id = seq(&[&tlv(0x04, &[&cert_hash]), &issuer_serial]);
        let signing_certificate = seq(&[
            &SIGNING_CERTIFICATE_V2.to_der()?,
            &set_of(vec![seq(&[&seq(&[&ess_cert_id])])]),
        ]);
        let mut certs = vec![signer.cert_der.clone()];
        certs.extend(chain.iter().cloned());
        certs.sort();
        certs.dedup();
        let certificates = {
            let set = set_of(certs);
            // [0] IMPLICIT CertificateSet: the SET's tag replaced, content kept.
            let mut implicit = set;
            implicit[0] = 0xa0;
            implicit
        };
        Ok(TokenSigner {
            digest_algorithm: digest.algorithm_identifier()?,
            signature_algorithm: algid::signature_algorithm_identifier(signer.scheme).to_der()?,
            policy: policy.to_der()?,
            policy_oid: policy,
            digest,
            sid,
            signing_certificate,
            certificates,
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
        let attributes = set_of(vec![
            seq(&[&CONTENT_TYPE.to_der()?, &set_of(vec![TST_INFO.to_der()?])]),
            seq(&[
                &MESSAGE_DIGEST.to_der()?,
                &set_of(vec![tlv(0x04, &[&self.digest.digest(&tst_info)])]),
            ]),
            self.signing_certificate.clone(),
        ]);
        // The signature covers the attributes encoded as a SET OF (RFC 5652 §5.4); in the
        // SignerInfo they are [0] IMPLICIT.
        let signature = crate::sign_checked(keystore, &self.signer, &attributes)?;
        let mut signed_attrs = attributes;
        signed_attrs[0] = 0xa0;
        let signer_info = seq(&[
            &[0x02, 0x01, 0x01],
            &self.sid,
            &self.digest_algorithm,
            &signed_attrs,
            &self.signature_algorithm,
            &tlv(0x04, &[&signature]),
        ]);
        let encap = seq(&[&TST_INFO.to_der()?, &tlv(0xa0, &[&tlv(0x04, &[&tst_info])])]);
        let certificates: &[u8] = if req.cert_req {
            &self.certificates
        } else {
            &[]
        };
        let signed_data = seq(&[
            &[0x02, 0x01, 0x03],
            &set_of(vec![self.digest_algorithm.clone()]),
            &encap,
            certificates,
            &set_of(vec![signer_info]),
        ]);
        let token = seq(&[&SIGNED_DATA.to_der()?, &tlv(0xa0, &[&signed_data])]);
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
