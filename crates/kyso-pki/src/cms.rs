//! CMS SignedData (RFC 5652) as kyso writes it: time-stamp tokens (RFC 3161) and CAdES
//! detached signatures (ETSI EN 319 122-1) share the signer's identity, the ESS
//! signing-certificate-v2 attribute (RFC 5035), the certificate set and the assembly.
//! Every SET OF is DER-sorted. Signing itself happens elsewhere (a keystore, or a remote
//! credential that signs the hash of the signed attributes).

use crate::der_out::{seq, set_of, tlv};
use crate::{PkiError, algid};
use const_oid::ObjectIdentifier as Oid;
use der::{Decode, Encode};
use kyso_keys::SignatureAlgorithm;
use x509_cert::Certificate;

/// id-signedData.
pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// id-data.
pub const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
/// contentType attribute.
pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
/// messageDigest attribute.
pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// signingTime attribute.
pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
/// id-aa-signatureTimeStampToken (RFC 3161 Appendix A): a time-stamp over the signature.
pub const SIGNATURE_TIME_STAMP: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// id-aa-ets-certValues (EN 319 122-1 §5.5.1): the certificates validation needs.
pub const CERTIFICATE_VALUES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.23");
/// id-aa-ets-revocationValues (EN 319 122-1 §5.5.2): CRLs and OCSP responses.
pub const REVOCATION_VALUES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.24");
/// signingCertificateV2 attribute.
pub const SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// Hash algorithms of message imprints and CMS digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The hash named by a dotted OID.
    pub fn from_dotted(oid: &str) -> Option<Self> {
        Oid::new(oid).ok().and_then(|o| Self::from_oid(&o))
    }

    pub(crate) fn from_oid(oid: &Oid) -> Option<Self> {
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

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(self.aws_lc(), data)
            .as_ref()
            .to_vec()
    }

    /// The aws-lc-rs algorithm, for incremental hashing of streamed data.
    pub fn aws_lc(self) -> &'static aws_lc_rs::digest::Algorithm {
        use aws_lc_rs::digest;
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        }
    }

    /// The hash a signature scheme signs with.
    pub fn of_scheme(scheme: SignatureAlgorithm) -> Self {
        match scheme.digest_algorithm().output_len() {
            32 => Self::Sha256,
            48 => Self::Sha384,
            _ => Self::Sha512,
        }
    }

    /// AlgorithmIdentifier with absent parameters (RFC 5754 §2).
    pub fn algorithm_identifier(self) -> Result<Vec<u8>, PkiError> {
        Ok(seq(&[&self.oid().to_der()?]))
    }
}

/// An Attribute `SEQUENCE { type, SET { value } }`.
pub fn attribute(oid: Oid, value_der: Vec<u8>) -> Result<Vec<u8>, PkiError> {
    Ok(seq(&[&oid.to_der()?, &set_of(vec![value_der])]))
}

/// Everything about a signer that does not change between two of its signatures.
#[derive(Debug, Clone)]
pub struct SignerParts {
    /// IssuerAndSerialNumber.
    sid: Vec<u8>,
    /// The signingCertificateV2 attribute.
    signing_certificate: Vec<u8>,
    /// `[0] IMPLICIT CertificateSet`: the signer's certificate and its chain.
    certificates: Vec<u8>,
    /// The digest algorithm (the signature scheme's hash).
    pub digest: DigestAlgorithm,
    digest_algorithm: Vec<u8>,
    signature_algorithm: Vec<u8>,
}

impl SignerParts {
    /// From the signer's certificate, the certificates sent with it, and its scheme.
    pub fn new(
        cert_der: &[u8],
        chain: &[Vec<u8>],
        scheme: SignatureAlgorithm,
    ) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(cert_der)?;
        let tbs = cert.tbs_certificate();
        let issuer_name = tbs.issuer().to_der()?;
        let serial = tbs.serial_number().to_der()?;
        let digest = DigestAlgorithm::of_scheme(scheme);
        // SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { hashAlgorithm DEFAULT
        // sha256 (so omitted), certHash, issuerSerial { GeneralNames { directoryName },
        // serial } } }: binds the signature to this certificate, not just to its key.
        let cert_hash = DigestAlgorithm::Sha256.digest(cert_der);
        let issuer_serial = seq(&[&seq(&[&tlv(0xa4, &[&issuer_name])]), &serial]);
        let ess_cert_id = seq(&[&tlv(0x04, &[&cert_hash]), &issuer_serial]);
        let signing_certificate = attribute(SIGNING_CERTIFICATE_V2, seq(&[&seq(&[&ess_cert_id])]))?;
        let mut certs = vec![cert_der.to_vec()];
        certs.extend(chain.iter().cloned());
        certs.sort();
        certs.dedup();
        // [0] IMPLICIT CertificateSet: the SET's tag replaced, content kept.
        let mut certificates = set_of(certs);
        certificates[0] = 0xa0;
        Ok(SignerParts {
            sid: seq(&[&issuer_name, &serial]),
            signing_certificate,
            certificates,
            digest,
            digest_algorithm: digest.algorithm_identifier()?,
            signature_algorithm: algid::signature_algorithm_identifier(scheme).to_der()?,
        })
    }

    /// The signed attributes, DER-encoded as the SET OF the signature covers (RFC 5652
    /// §5.4): contentType, messageDigest, signingCertificateV2 and `extra`.
    pub fn signed_attributes(
        &self,
        content_type: Oid,
        content_digest: &[u8],
        extra: Vec<Vec<u8>>,
    ) -> Result<Vec<u8>, PkiError> {
        let mut attrs = vec![
            attribute(CONTENT_TYPE, content_type.to_der()?)?,
            attribute(MESSAGE_DIGEST, tlv(0x04, &[content_digest]))?,
            self.signing_certificate.clone(),
        ];
        attrs.extend(extra);
        Ok(set_of(attrs))
    }

    /// A ContentInfo with the SignedData: `encap` is the EncapsulatedContentInfo, the
    /// signature covers `signed_attributes` (as returned by [`Self::signed_attributes`]).
    pub fn signed_data(
        &self,
        version: u8,
        encap: &[u8],
        signed_attributes: &[u8],
        signature: &[u8],
        with_certificates: bool,
    ) -> Result<Vec<u8>, PkiError> {
        self.signed_data_with(
            version,
            encap,
            signed_attributes,
            signature,
            with_certificates,
            Vec::new(),
        )
    }

    /// As [`Self::signed_data`], with unsigned attributes (e.g. a signature time-stamp).
    pub fn signed_data_with(
        &self,
        version: u8,
        encap: &[u8],
        signed_attributes: &[u8],
        signature: &[u8],
        with_certificates: bool,
        unsigned_attributes: Vec<Vec<u8>>,
    ) -> Result<Vec<u8>, PkiError> {
        // In the SignerInfo the attributes are [0] IMPLICIT, the unsigned ones [1] IMPLICIT.
        let mut signed_attrs = signed_attributes.to_vec();
        signed_attrs[0] = 0xa0;
        let unsigned = if unsigned_attributes.is_empty() {
            Vec::new()
        } else {
            let mut set = set_of(unsigned_attributes);
            set[0] = 0xa1;
            set
        };
        let signer_info = seq(&[
            &[0x02, 0x01, 0x01],
            &self.sid,
            &self.digest_algorithm,
            &signed_attrs,
            &self.signature_algorithm,
            &tlv(0x04, &[signature]),
            &unsigned,
        ]);
        let certificates: &[u8] = if with_certificates {
            &self.certificates
        } else {
            &[]
        };
        let signed_data = seq(&[
            &[0x02, 0x01, version],
            &set_of(vec![self.digest_algorithm.clone()]),
            encap,
            certificates,
            &set_of(vec![signer_info]),
        ]);
        Ok(seq(&[&SIGNED_DATA.to_der()?, &tlv(0xa0, &[&signed_data])]))
    }
}

/// A CAdES-B-B detached signature (`.p7s`) over content whose digest is known: the signed
/// attributes to sign, and how to finish once their signature is made.
#[derive(Debug, Clone)]
pub struct DetachedSignature {
    parts: SignerParts,
    /// The signed attributes (DER SET) — what the signer's key signs.
    pub signed_attributes: Vec<u8>,
}

impl DetachedSignature {
    /// Prepares the signed attributes for content with `content_digest` (the scheme's hash)
    /// signed at `signing_time` (CAdES B-B requires signing-time).
    pub fn prepare(
        parts: SignerParts,
        content_digest: &[u8],
        signing_time: kyso_core::UnixTime,
    ) -> Result<Self, PkiError> {
        Self::prepare_with_time(parts, content_digest, Some(signing_time))
    }

    /// For a PAdES signature over a PDF's byte ranges: PAdES baseline forbids the CMS
    /// signing-time attribute (the time is the signature dictionary's `/M`, EN 319 142-1
    /// §5.3), so the signed attributes are contentType, messageDigest and
    /// signingCertificateV2 only.
    pub fn prepare_pades(parts: SignerParts, content_digest: &[u8]) -> Result<Self, PkiError> {
        Self::prepare_with_time(parts, content_digest, None)
    }

    fn prepare_with_time(
        parts: SignerParts,
        content_digest: &[u8],
        signing_time: Option<kyso_core::UnixTime>,
    ) -> Result<Self, PkiError> {
        if content_digest.len() != parts.digest.digest_len() {
            return Err(PkiError::Validity(format!(
                "a content digest of {} octets for a {}-octet hash",
                content_digest.len(),
                parts.digest.digest_len()
            )));
        }
        let extra = match signing_time {
            Some(t) => vec![attribute(
                SIGNING_TIME,
                crate::issue::x509_time(t)?.to_der()?,
            )?],
            None => Vec::new(),
        };
        let signed_attributes = parts.signed_attributes(DATA, content_digest, extra)?;
        Ok(DetachedSignature {
            parts,
            signed_attributes,
        })
    }

    /// The hash of the signed attributes: what a remote credential signs.
    pub fn to_be_signed_digest(&self) -> Vec<u8> {
        self.parts.digest.digest(&self.signed_attributes)
    }

    /// The `.p7s` (DER ContentInfo) once the signature over the signed attributes is made;
    /// with `signature_time_stamp` (a TimeStampToken over the signature value), CAdES-B-T.
    pub fn finish(
        &self,
        signature: &[u8],
        signature_time_stamp: Option<&[u8]>,
    ) -> Result<Vec<u8>, PkiError> {
        self.finish_with(signature, signature_time_stamp, None)
    }

    /// As [`Self::finish`], with validation data for CAdES-B-LT: certificate-values and
    /// revocation-values unsigned attributes (`ocsp_responses` are full OCSPResponses; the
    /// attribute holds their BasicOCSPResponse).
    pub fn finish_with(
        &self,
        signature: &[u8],
        signature_time_stamp: Option<&[u8]>,
        validation: Option<&ValidationValues>,
    ) -> Result<Vec<u8>, PkiError> {
        // Detached: EncapsulatedContentInfo { id-data } without eContent.
        let encap = seq(&[&DATA.to_der()?]);
        let mut unsigned = Vec::new();
        if let Some(token) = signature_time_stamp {
            unsigned.push(attribute(SIGNATURE_TIME_STAMP, token.to_vec())?);
        }
        if let Some(v) = validation {
            let certs: Vec<&[u8]> = v.certificates.iter().map(Vec::as_slice).collect();
            unsigned.push(attribute(CERTIFICATE_VALUES, seq(&certs))?);
            let crls: Vec<&[u8]> = v.crls.iter().map(Vec::as_slice).collect();
            let basics: Vec<Vec<u8>> = v
                .ocsp_responses
                .iter()
                .map(|r| basic_ocsp_response(r))
                .collect::<Result<_, _>>()?;
            let basics: Vec<&[u8]> = basics.iter().map(Vec::as_slice).collect();
            // RevocationValues { crlVals [0] SEQUENCE OF CertificateList OPTIONAL,
            //                    ocspVals [1] SEQUENCE OF BasicOCSPResponse OPTIONAL }
            let mut fields = Vec::new();
            if !crls.is_empty() {
                fields.push(tlv(0xa0, &[&seq(&crls)]));
            }
            if !basics.is_empty() {
                fields.push(tlv(0xa1, &[&seq(&basics)]));
            }
            let fields: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
            unsigned.push(attribute(REVOCATION_VALUES, seq(&fields))?);
        }
        self.parts.signed_data_with(
            1,
            &encap,
            &self.signed_attributes,
            signature,
            true,
            unsigned,
        )
    }
}

/// Certificates, CRLs and OCSP responses (all DER) embedded for long-term validation.
#[derive(Debug, Clone, Default)]
pub struct ValidationValues {
    /// Certificates.
    pub certificates: Vec<Vec<u8>>,
    /// CRLs.
    pub crls: Vec<Vec<u8>>,
    /// OCSPResponses.
    pub ocsp_responses: Vec<Vec<u8>>,
}

/// The BasicOCSPResponse inside an OCSPResponse
/// (`SEQUENCE { status, [0] EXPLICIT SEQUENCE { type, OCTET STRING basic } }`).
fn basic_ocsp_response(response: &[u8]) -> Result<Vec<u8>, PkiError> {
    #[derive(der::Sequence)]
    struct ResponseIn<'a> {
        status: der::asn1::AnyRef<'a>,
        #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
        bytes: ResponseBytesIn<'a>,
    }
    #[derive(der::Sequence)]
    struct ResponseBytesIn<'a> {
        kind: Oid,
        response: &'a der::asn1::OctetStringRef,
    }
    let r = ResponseIn::from_der(response)?;
    let _ = (r.status, r.bytes.kind);
    Ok(r.bytes.response.as_bytes().to_vec())
}
