//! Reading a CMS SignedData (RFC 5652) for validation: the one SignerInfo, its signed
//! attributes exactly as signed, the certificates it carries, and checks of its
//! signature, message digest and signing-certificate-v2 binding.

use crate::tlv::{self, DerError, Tlv};
use const_oid::ObjectIdentifier as Oid;
use kyso_keys::SignatureAlgorithm;
use kyso_pki::cms::DigestAlgorithm;

pub(crate) const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
pub(crate) const TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
const SIGNING_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
pub(crate) const SIGNATURE_TIME_STAMP: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.14");
const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");

/// Who the SignerInfo says signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerId {
    /// issuer Name (DER) and serial number (contents octets).
    IssuerSerial(Vec<u8>, Vec<u8>),
    /// subjectKeyIdentifier.
    KeyId(Vec<u8>),
}

/// An attribute: type and the raw values of its SET.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// attrType.
    pub oid: Oid,
    /// Each AttributeValue, DER.
    pub values: Vec<Vec<u8>>,
}

/// A parsed SignedData.
#[derive(Debug, Clone)]
pub struct SignedCms {
    /// eContentType.
    pub content_type: Oid,
    /// eContent (the OCTET STRING's contents), when encapsulated.
    pub content: Option<Vec<u8>>,
    /// Certificates carried (DER).
    pub certificates: Vec<Vec<u8>>,
    /// How many SignerInfos there are (kyso accepts exactly one).
    pub signer_count: usize,
    /// The first SignerInfo's signer.
    pub sid: SignerId,
    /// Its digestAlgorithm, if kyso supports it.
    pub digest: Option<DigestAlgorithm>,
    /// digestAlgorithm OID, for messages.
    pub digest_oid: Oid,
    /// The signed attributes DER-encoded as a SET (what the signature covers).
    pub signed_attrs_der: Option<Vec<u8>>,
    /// The signed attributes.
    pub signed_attrs: Vec<Attribute>,
    /// signatureAlgorithm, DER.
    pub signature_algorithm: Vec<u8>,
    /// The signature value.
    pub signature: Vec<u8>,
    /// The unsigned attributes.
    pub unsigned_attrs: Vec<Attribute>,
}

fn attributes(t: &Tlv<'_>) -> Result<Vec<Attribute>, DerError> {
    let mut out = Vec::new();
    for a in tlv::children(t.value)? {
        let parts = a.expect(0x30, "Attribute")?;
        let [oid, values] = parts.as_slice() else {
            return Err(DerError("Attribute is not { type, values }".into()));
        };
        let oid = oid
            .oid()
            .ok_or_else(|| DerError("attribute type is not an OID".into()))?;
        let values = values
            .expect(0x31, "AttributeValues")?
            .iter()
            .map(|v| v.raw.to_vec())
            .collect();
        out.push(Attribute { oid, values });
    }
    Ok(out)
}

/// Parses a DER ContentInfo holding a SignedData.
pub fn parse(der: &[u8]) -> Result<SignedCms, DerError> {
    let outer = tlv::read(der)?.0; // PDF /Contents has zero padding after the DER
    let ci = outer.expect(0x30, "ContentInfo")?;
    let [ct, content] = ci.as_slice() else {
        return Err(DerError(
            "ContentInfo is not { contentType, content }".into(),
        ));
    };
    if !ct.is_oid(&SIGNED_DATA) {
        return Err(DerError("the ContentInfo is not a SignedData".into()));
    }
    let content = content.expect(0xa0, "ContentInfo content")?;
    let sd = content
        .first()
        .ok_or_else(|| DerError("empty content".into()))?
        .expect(0x30, "SignedData")?;
    let mut it = sd.iter();
    let _version = it.next().ok_or_else(|| DerError("no version".into()))?;
    let _digest_algorithms = it
        .next()
        .ok_or_else(|| DerError("no digestAlgorithms".into()))?;
    let encap = it
        .next()
        .ok_or_else(|| DerError("no encapContentInfo".into()))?
        .expect(0x30, "EncapsulatedContentInfo")?;
    let content_type = encap
        .first()
        .and_then(Tlv::oid)
        .ok_or_else(|| DerError("no eContentType".into()))?;
    let content = match encap.get(1) {
        Some(e) => {
            let inner = e.expect(0xa0, "eContent")?;
            let octets = inner
                .first()
                .ok_or_else(|| DerError("empty eContent".into()))?;
            if octets.tag != 0x04 {
                return Err(DerError("eContent is not an OCTET STRING".into()));
            }
            Some(octets.value.to_vec())
        }
        None => None,
    };
    let mut certificates = Vec::new();
    let mut next = it.next();
    if let Some(t) = next
        && t.tag == 0xa0
    {
        for c in tlv::children(t.value)? {
            if c.tag == 0x30 {
                certificates.push(c.raw.to_vec());
            }
        }
        next = it.next();
    }
    if let Some(t) = next
        && t.tag == 0xa1
    {
        next = it.next();
    }
    let signer_infos = next
        .ok_or_else(|| DerError("no signerInfos".into()))?
        .expect(0x31, "signerInfos")?;
    let signer_count = signer_infos.len();
    let si = signer_infos
        .first()
        .ok_or_else(|| DerError("no SignerInfo".into()))?
        .expect(0x30, "SignerInfo")?;
    let mut it = si.iter();
    let _v = it.next();
    let sid_t = it.next().ok_or_else(|| DerError("no sid".into()))?;
    let sid = match sid_t.tag {
        0x30 => {
            let p = tlv::children(sid_t.value)?;
            let [issuer, serial] = p.as_slice() else {
                return Err(DerError("IssuerAndSerialNumber malformed".into()));
            };
            SignerId::IssuerSerial(issuer.raw.to_vec(), serial.value.to_vec())
        }
        0x80 => SignerId::KeyId(sid_t.value.to_vec()),
        _ => return Err(DerError("unknown SignerIdentifier".into())),
    };
    let digest_alg = it
        .next()
        .ok_or_else(|| DerError("no digestAlgorithm".into()))?
        .expect(0x30, "digestAlgorithm")?;
    let digest_oid = digest_alg
        .first()
        .and_then(Tlv::oid)
        .ok_or_else(|| DerError("digestAlgorithm without OID".into()))?;
    let digest = DigestAlgorithm::from_dotted(&digest_oid.to_string());
    let mut t = it
        .next()
        .ok_or_else(|| DerError("SignerInfo truncated".into()))?;
    let (signed_attrs_der, signed_attrs) = if t.tag == 0xa0 {
        // The signature covers the attributes with their universal SET tag (§5.4).
        let mut der = t.raw.to_vec();
        der[0] = 0x31;
        let attrs = attributes(t)?;
        t = it
            .next()
            .ok_or_else(|| DerError("SignerInfo truncated".into()))?;
        (Some(der), attrs)
    } else {
        (None, Vec::new())
    };
    let signature_algorithm = t.raw.to_vec();
    let sig = it.next().ok_or_else(|| DerError("no signature".into()))?;
    if sig.tag != 0x04 {
        return Err(DerError("signature is not an OCTET STRING".into()));
    }
    let unsigned_attrs = match it.next() {
        Some(u) if u.tag == 0xa1 => attributes(u)?,
        _ => Vec::new(),
    };
    Ok(SignedCms {
        content_type,
        content,
        certificates,
        signer_count,
        sid,
        digest,
        digest_oid,
        signed_attrs_der,
        signed_attrs,
        signature_algorithm,
        signature: sig.value.to_vec(),
        unsigned_attrs,
    })
}

impl SignedCms {
    /// The single value of a signed attribute.
    pub fn signed_attr(&self, oid: &Oid) -> Option<&[u8]> {
        self.signed_attrs
            .iter()
            .find(|a| a.oid == *oid)
            .and_then(|a| a.values.first())
            .map(Vec::as_slice)
    }

    /// How many times a signed attribute occurs (each must occur once, RFC 5652 §11).
    fn signed_attr_count(&self, oid: &Oid) -> usize {
        self.signed_attrs.iter().filter(|a| a.oid == *oid).count()
    }

    /// The first value of an unsigned attribute.
    pub fn unsigned_attr(&self, oid: &Oid) -> Option<&[u8]> {
        self.unsigned_attrs
            .iter()
            .find(|a| a.oid == *oid)
            .and_then(|a| a.values.first())
            .map(Vec::as_slice)
    }

    /// Checks the message digest against `digest` (the content's digest computed by the
    /// caller with [`Self::digest`]), and the content type.
    pub fn check_message_digest(&self, digest: &[u8]) -> Result<(), String> {
        let Some(_) = &self.signed_attrs_der else {
            return Err("the signature has no signed attributes".into());
        };
        if self.signed_attr_count(&MESSAGE_DIGEST) != 1 {
            return Err("the signed attributes must hold exactly one message digest".into());
        }
        if self.signed_attr_count(&CONTENT_TYPE) != 1 {
            return Err("the signed attributes must hold exactly one content type".into());
        }
        let ct = self.signed_attr(&CONTENT_TYPE).unwrap_or_default();
        let ct_ok = tlv::read_all(ct).is_ok_and(|t| t.is_oid(&self.content_type));
        if !ct_ok {
            return Err("the signed content-type attribute does not match the content".into());
        }
        let md = self.signed_attr(&MESSAGE_DIGEST).unwrap_or_default();
        let md = tlv::read_all(md).map_err(|e| format!("message digest: {e}"))?;
        if md.tag != 0x04 || md.value != digest {
            return Err("the message digest does not match the signed content".into());
        }
        Ok(())
    }

    /// The signature scheme, from signatureAlgorithm (and the digest algorithm for the
    /// `rsaEncryption` form many signers write).
    pub fn scheme(&self) -> Result<SignatureAlgorithm, String> {
        use der::Decode as _;
        let id = spki::AlgorithmIdentifierOwned::from_der(&self.signature_algorithm)
            .map_err(|e| format!("signatureAlgorithm: {e}"))?;
        if id.oid == RSA_ENCRYPTION {
            return match self.digest {
                Some(DigestAlgorithm::Sha256) => Ok(SignatureAlgorithm::RsaPkcs1Sha256),
                Some(DigestAlgorithm::Sha384) => Ok(SignatureAlgorithm::RsaPkcs1Sha384),
                Some(DigestAlgorithm::Sha512) => Ok(SignatureAlgorithm::RsaPkcs1Sha512),
                _ => Err(format!(
                    "digest algorithm {} is not accepted",
                    self.digest_oid
                )),
            };
        }
        kyso_pki::algid::scheme_from_identifier(&id).map_err(|e| e.to_string())
    }

    /// Verifies the signature with the signer's certificate, and the signing-certificate
    /// binding when present.
    pub fn verify_signature(&self, signer_cert_der: &[u8], spki_der: &[u8]) -> Result<(), String> {
        let scheme = self.scheme()?;
        let message = self
            .signed_attrs_der
            .as_deref()
            .ok_or("the signature has no signed attributes")?;
        kyso_keys::verify_signature(spki_der, scheme, message, &self.signature)
            .map_err(|_| "the signature value does not verify with the signer's key".to_owned())?;
        if let Some(v2) = self.signed_attr(&SIGNING_CERTIFICATE_V2) {
            check_signing_certificate(v2, signer_cert_der, true)?;
        } else if let Some(v1) = self.signed_attr(&SIGNING_CERTIFICATE) {
            check_signing_certificate(v1, signer_cert_der, false)?;
        }
        Ok(())
    }
}

/// SigningCertificate(V2) { certs SEQUENCE OF ESSCertID(v2) { [hashAlgorithm], certHash, … } }:
/// the first certHash must be the signer certificate's hash.
fn check_signing_certificate(value: &[u8], cert_der: &[u8], v2: bool) -> Result<(), String> {
    let bad = || "the signing-certificate attribute is malformed".to_owned();
    let sc = tlv::read_all(value).map_err(|_| bad())?;
    let parts = sc.expect(0x30, "SigningCertificate").map_err(|_| bad())?;
    let certs = parts.first().ok_or_else(bad)?;
    let ids = certs.expect(0x30, "certs").map_err(|_| bad())?;
    let first = ids.first().ok_or_else(bad)?;
    let fields = first.expect(0x30, "ESSCertID").map_err(|_| bad())?;
    let (alg, hash) = if v2 {
        match fields.first() {
            Some(a) if a.tag == 0x30 => {
                let oid = a
                    .expect(0x30, "hashAlgorithm")
                    .ok()
                    .and_then(|p| p.first().and_then(Tlv::oid))
                    .ok_or_else(bad)?;
                (
                    DigestAlgorithm::from_dotted(&oid.to_string())
                        .ok_or("unsupported signing-certificate hash")?,
                    fields.get(1).ok_or_else(bad)?,
                )
            }
            Some(h) => (DigestAlgorithm::Sha256, h),
            None => return Err(bad()),
        }
    } else {
        return match fields.first() {
            Some(h) if h.tag == 0x04 => {
                let sha1 = aws_lc_rs::digest::digest(
                    &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                    cert_der,
                );
                if h.value == sha1.as_ref() {
                    Ok(())
                } else {
                    Err("the signing-certificate attribute names another certificate".into())
                }
            }
            _ => Err(bad()),
        };
    };
    if hash.tag != 0x04 || hash.value != alg.digest(cert_der) {
        return Err("the signing-certificate attribute names another certificate".into());
    }
    Ok(())
}

/// What a TSTInfo says.
#[derive(Debug, Clone)]
pub struct TstInfo {
    /// messageImprint hash algorithm.
    pub imprint_alg: Option<DigestAlgorithm>,
    /// messageImprint hashedMessage.
    pub imprint: Vec<u8>,
    /// genTime.
    pub time: kyso_core::UnixTime,
}

/// Parses the TSTInfo inside a time-stamp token.
pub fn tst_info(token: &SignedCms) -> Result<TstInfo, DerError> {
    if token.content_type != TST_INFO {
        return Err(DerError("the token does not hold a TSTInfo".into()));
    }
    let content = token
        .content
        .as_deref()
        .ok_or_else(|| DerError("the token has no TSTInfo".into()))?;
    let t = tlv::read_all(content)?;
    let f = t.expect(0x30, "TSTInfo")?;
    let imprint = f
        .get(2)
        .ok_or_else(|| DerError("no messageImprint".into()))?
        .expect(0x30, "messageImprint")?;
    let alg_oid = imprint
        .first()
        .ok_or_else(|| DerError("no hashAlgorithm".into()))?
        .expect(0x30, "hashAlgorithm")?
        .first()
        .and_then(Tlv::oid)
        .ok_or_else(|| DerError("no hash OID".into()))?;
    let hashed = imprint
        .get(1)
        .filter(|h| h.tag == 0x04)
        .ok_or_else(|| DerError("no hashedMessage".into()))?;
    let gen_time = f
        .get(4)
        .filter(|g| g.tag == 0x18)
        .ok_or_else(|| DerError("no genTime".into()))?;
    Ok(TstInfo {
        imprint_alg: DigestAlgorithm::from_dotted(&alg_oid.to_string()),
        imprint: hashed.value.to_vec(),
        time: parse_generalized_time(gen_time.value)?,
    })
}

/// `YYYYMMDDHHMMSS[.f…]Z`.
pub(crate) fn parse_generalized_time(v: &[u8]) -> Result<kyso_core::UnixTime, DerError> {
    let s = std::str::from_utf8(v).map_err(|_| DerError("bad time".into()))?;
    let bad = || DerError(format!("bad GeneralizedTime {s:?}"));
    if s.len() < 15 || !s.ends_with('Z') {
        return Err(bad());
    }
    let n =
        |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok()).ok_or_else(bad);
    let (y, mo, d, h, mi, sec) = (
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(8..10)?,
        n(10..12)?,
        n(12..14)?,
    );
    Ok(kyso_core::UnixTime(
        days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec,
    ))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
