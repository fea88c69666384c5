//! PAdES signatures of PDFs held in memory, for portals that render documents themselves.
//!
//! A citizen signs in two phases, because the approval happens on their phone, later:
//!
//! 1. [`RemoteSigning::stage_pdf_signature`] prepares the signature update (field, visible
//!    stamp, signature dictionary with a zeroed `/Contents`) and the CMS signed attributes
//!    over the byte ranges, and returns a [`StagedPdfSignature`] whose
//!    [`to_be_signed`](StagedPdfSignature::to_be_signed) digest the portal sends to
//!    `request_signature`. Nothing is signed; no PIN is needed.
//! 2. Once the citizen approved, [`RemoteSigning::finish_pdf_signature`] checks the staged
//!    state (the byte-range digest is recomputed from the stored prepared file, the signed
//!    attributes rebuilt from it), verifies the returned signature with the credential
//!    certificate's public key, and embeds the CMS — with a signature time-stamp from
//!    B-T, a DSS from B-LT and a document time-stamp at B-LTA.
//!
//! An agency's seal, whose key kyso holds, signs in one phase:
//! [`RemoteSigning::seal_pdf`], the same steps as [`RemoteSigning::sign_pdf`] on files.

use crate::documents::{
    Assembly as _, DocumentSigner, Level, MemoryAssembly, PdfOptions, common_name, pades_pending,
};
use crate::{RemoteError, RemoteSigning};
use kyso_core::UnixTime;
use kyso_pdf::Pdf;
use kyso_pki::cms::DigestAlgorithm;
use std::sync::Arc;

/// First bytes of [`StagedPdfSignature::to_bytes`].
const MAGIC: &[u8; 16] = b"KYSO-STAGED-PDF\0";
/// Version of the encoding.
const VERSION: u8 = 1;
/// Longest credential id accepted when parsing.
const MAX_CREDENTIAL_ID: usize = 256;
/// Largest prepared document accepted when parsing (the portal's store gives it back).
const MAX_PREPARED: u64 = 1 << 30;

/// A PDF signature prepared and waiting for the citizen's approval; serialisable (with
/// [`Self::to_bytes`]) so the portal can keep it in its store between the two phases.
///
/// It holds the prepared file (the original document followed by the signature update
/// whose `/Contents` is still zeros), where `/Contents` lies in it, the byte-range digest,
/// the digest to be signed (the hash of the CMS signed attributes), the credential, the
/// level and the signing time written into `/M` and the stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedPdfSignature {
    prepared: Vec<u8>,
    /// Offsets of `<` and one past `>` of `/Contents` in `prepared`.
    contents: (u64, u64),
    content_digest: Vec<u8>,
    to_be_signed: Vec<u8>,
    credential_id: String,
    level: Level,
    signing_time: UnixTime,
}

impl StagedPdfSignature {
    /// The digest the citizen's key must sign (what goes, base64, into
    /// `request_signature`): the hash of the CMS signed attributes.
    pub fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// The credential that must sign.
    pub fn credential_id(&self) -> &str {
        &self.credential_id
    }

    /// The level the finished signature will have.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The signing time (the signature dictionary's `/M`, shown on the stamp).
    pub fn signing_time(&self) -> UnixTime {
        self.signing_time
    }

    /// The digest of the prepared file's byte ranges (the CMS messageDigest).
    pub fn content_digest(&self) -> &[u8] {
        &self.content_digest
    }

    /// The prepared file: the original document and the signature update, `/Contents`
    /// still zeros.
    pub fn prepared(&self) -> &[u8] {
        &self.prepared
    }

    /// The versioned binary encoding: `KYSO-STAGED-PDF\0`, version 1, then the level
    /// (one byte, 0 = B-B … 3 = B-LTA), the signing time (i64), the credential id (u32
    /// length + UTF-8), the `/Contents` offsets (two u64), the content digest and the
    /// to-be-signed digest (u32 length + bytes each), and the prepared file (u64 length
    /// + bytes); integers big-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.prepared.len() + 256);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(level_code(self.level));
        out.extend_from_slice(&self.signing_time.seconds().to_be_bytes());
        put_short(&mut out, self.credential_id.as_bytes());
        out.extend_from_slice(&self.contents.0.to_be_bytes());
        out.extend_from_slice(&self.contents.1.to_be_bytes());
        put_short(&mut out, &self.content_digest);
        put_short(&mut out, &self.to_be_signed);
        out.extend_from_slice(&(self.prepared.len() as u64).to_be_bytes());
        out.extend_from_slice(&self.prepared);
        out
    }

    /// Parses [`Self::to_bytes`]'s encoding strictly: anything else (another version, a
    /// truncated or over-long input, an unknown level, digests of the wrong size, a
    /// `/Contents` range that is not a zeroed hex string inside the file) is
    /// [`RemoteError::InvalidRequest`] saying what is wrong.
    pub fn from_bytes(b: &[u8]) -> Result<Self, RemoteError> {
        let mut r = Reader { b, at: 0 };
        if r.take(MAGIC.len(), "the header")? != MAGIC {
            return Err(bad("it does not start with KYSO-STAGED-PDF"));
        }
        let version = r.take(1, "the version")?[0];
        if version != VERSION {
            return Err(bad(&format!(
                "version {version} is not supported (only {VERSION})"
            )));
        }
        let level = match r.take(1, "the level")?[0] {
            0 => Level::BB,
            1 => Level::BT,
            2 => Level::BLT,
            3 => Level::BLTA,
            other => return Err(bad(&format!("level code {other} is unknown"))),
        };
        let signing_time = UnixTime(i64::from_be_bytes(r.array("the signing time")?));
        let id = r.short("the credential id", MAX_CREDENTIAL_ID)?;
        let credential_id = std::str::from_utf8(id)
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("the credential id is empty or not UTF-8"))?
            .to_owned();
        let start = u64::from_be_bytes(r.array("the /Contents start")?);
        let end = u64::from_be_bytes(r.array("the /Contents end")?);
        let content_digest = r.short("the content digest", 64)?.to_vec();
        let to_be_signed = r.short("the to-be-signed digest", 64)?.to_vec();
        for (what, d) in [
            ("content digest", &content_digest),
            ("to-be-signed digest", &to_be_signed),
        ] {
            if ![32, 48, 64].contains(&d.len()) {
                return Err(bad(&format!(
                    "the {what} has {} octets (SHA-256, -384 or -512 expected)",
                    d.len()
                )));
            }
        }
        let len = u64::from_be_bytes(r.array("the prepared file's length")?);
        if len > MAX_PREPARED {
            return Err(bad(&format!("a prepared file of {len} bytes is too large")));
        }
        let prepared = r.take(len as usize, "the prepared file")?.to_vec();
        if r.at != b.len() {
            return Err(bad(&format!(
                "{} unexpected bytes follow the prepared file",
                b.len() - r.at
            )));
        }
        let staged = StagedPdfSignature {
            prepared,
            contents: (start, end),
            content_digest,
            to_be_signed,
            credential_id,
            level,
            signing_time,
        };
        staged.check_layout()?;
        Ok(staged)
    }

    /// `/Contents` is a zero-filled hex string inside the prepared file, and the file's
    /// `/ByteRange` is the one around it.
    fn check_layout(&self) -> Result<(), RemoteError> {
        let (start, end) = self.contents;
        let len = self.prepared.len() as u64;
        if !(start < end && end <= len && end - start >= 4 && (end - start) % 2 == 0) {
            return Err(bad(&format!(
                "the /Contents range {start}..{end} does not fit a {len}-byte file"
            )));
        }
        let (s, e) = (start as usize, end as usize);
        let contents = &self.prepared[s..e];
        if contents[0] != b'<'
            || contents[contents.len() - 1] != b'>'
            || contents[1..contents.len() - 1].iter().any(|&c| c != b'0')
        {
            return Err(bad(
                "the /Contents range is not the zero-filled placeholder of the prepared file",
            ));
        }
        let range = format!("[0 {start} {end} {}]", len - end);
        if !self
            .prepared
            .windows(range.len())
            .any(|w| w == range.as_bytes())
        {
            return Err(bad(
                "the prepared file's /ByteRange does not surround its /Contents",
            ));
        }
        Ok(())
    }

    /// The digest of the prepared file's byte ranges, recomputed.
    fn byte_range_digest(&self, alg: DigestAlgorithm) -> Vec<u8> {
        let (s, e) = (self.contents.0 as usize, self.contents.1 as usize);
        let mut ctx = aws_lc_rs::digest::Context::new(alg.aws_lc());
        ctx.update(&self.prepared[..s]);
        ctx.update(&self.prepared[e..]);
        ctx.finish().as_ref().to_vec()
    }
}

impl RemoteSigning {
    /// Phase 1: prepares the PAdES signature of `pdf` (in memory) for credential
    /// `credential_id` with `options` (visible stamp placement, reason, location, level —
    /// B-B, B-T, B-LT or B-LTA — and certification). No PIN is needed: nothing is signed
    /// yet. The credential's certificate must be usable now. The returned
    /// [`StagedPdfSignature::to_be_signed`] is what the citizen approves.
    pub async fn stage_pdf_signature(
        &self,
        pdf: &[u8],
        credential_id: &str,
        options: &PdfOptions,
    ) -> Result<StagedPdfSignature, RemoteError> {
        let info = self.info(credential_id).await?;
        info.usable
            .clone()
            .map_err(RemoteError::CertificateNotUsable)?;
        let scheme = info.algorithm.default_scheme();
        let chain = info.chain_der;
        let signer_name = common_name(&chain[0]).unwrap_or_else(|| "?".into());
        let now = self.now();
        let out = MemoryAssembly(Arc::new(pdf.to_vec()));
        let prepared = {
            let doc = out.open()?;
            self.prepare_signature(&doc, &chain, &signer_name, options, now)?
        };
        let content_digest = out.digest(&prepared, DigestAlgorithm::of_scheme(scheme))?;
        let pending = pades_pending(&chain, scheme, &content_digest)?;
        let range = prepared.contents_range();
        let mut file = out.into_bytes();
        file.extend_from_slice(prepared.update_bytes());
        Ok(StagedPdfSignature {
            prepared: file,
            contents: (range.start, range.end),
            content_digest,
            to_be_signed: pending.to_be_signed_digest(),
            credential_id: info.record.id,
            level: options.level,
            signing_time: now,
        })
    }

    /// Phase 2: embeds `signature` — the raw signature value over
    /// [`StagedPdfSignature::to_be_signed`], as the NEAC path returns it, base64-decoded.
    ///
    /// The staged state is checked first: the byte-range digest is recomputed from the
    /// stored prepared file and the signed attributes rebuilt from it and the credential's
    /// certificate (altered state is [`RemoteError::InvalidRequest`]). The signature is
    /// then verified with the certificate's public key: a wrong or foreign signature is
    /// [`RemoteError::InvalidRequest`] and nothing is produced. From B-T a signature
    /// time-stamp is added, from B-LT a DSS, at B-LTA a document time-stamp. Returns the
    /// signed PDF.
    pub async fn finish_pdf_signature(
        &self,
        staged: &StagedPdfSignature,
        signature: &[u8],
    ) -> Result<Vec<u8>, RemoteError> {
        staged.check_layout()?;
        let info = self.info(&staged.credential_id).await?;
        info.usable
            .clone()
            .map_err(RemoteError::CertificateNotUsable)?;
        let scheme = info.algorithm.default_scheme();
        let content_digest = staged.byte_range_digest(DigestAlgorithm::of_scheme(scheme));
        if content_digest != staged.content_digest {
            return Err(bad(
                "the prepared document does not match its digest: it was altered after staging",
            ));
        }
        let pending = pades_pending(&info.chain_der, scheme, &content_digest)?;
        if pending.to_be_signed_digest() != staged.to_be_signed {
            return Err(bad(
                "the to-be-signed digest does not match the prepared document and the credential's certificate",
            ));
        }
        let spki = subject_public_key_info(&info.chain_der[0])?;
        kyso_keys::verify_signature(&spki, scheme, &pending.signed_attributes, signature)
            .map_err(|_| {
                RemoteError::InvalidRequest(format!(
                    "the signature does not verify with the certificate of credential {}: it was not made by this credential over this document",
                    staged.credential_id
                ))
            })?;
        let cms = self
            .signature_cms(&pending, signature, staged.level)
            .await?;
        let (s, e) = (staged.contents.0 as usize, staged.contents.1 as usize);
        let reserved = (e - s - 2) / 2;
        if cms.len() > reserved {
            return Err(kyso_docs::DocError::TooLarge {
                needed: cms.len(),
                reserved,
            }
            .into());
        }
        let mut file = staged.prepared.clone();
        let hex = hex::encode_upper(&cms);
        file[s + 1..s + 1 + hex.len()].copy_from_slice(hex.as_bytes());
        let mut out = MemoryAssembly(Arc::new(file));
        self.extend_to_level(&mut out, staged.level, &info.chain_der)
            .await?;
        Ok(out.into_bytes())
    }

    /// One phase: signs `pdf` in memory with the seal certificate `seal_serial` (an
    /// organisation seal whose key kyso holds), at any level B-B … B-LTA;
    /// `options.certify` makes it a certification signature (DocMDP P=2), and
    /// `options.visible` adds the stamp. The same steps, and result, as
    /// [`RemoteSigning::sign_pdf`] on files. Returns the signed PDF.
    pub async fn seal_pdf(
        &self,
        pdf: &[u8],
        seal_serial: &str,
        options: &PdfOptions,
    ) -> Result<Vec<u8>, RemoteError> {
        let mut out = MemoryAssembly(Arc::new(pdf.to_vec()));
        let doc: Pdf<_> = out.open()?;
        let signer = DocumentSigner::Seal {
            serial: seal_serial.to_owned(),
        };
        self.sign_into(&doc, &mut out, &signer, options).await?;
        drop(doc);
        Ok(out.into_bytes())
    }
}

/// The certificate's DER SubjectPublicKeyInfo.
fn subject_public_key_info(cert_der: &[u8]) -> Result<Vec<u8>, RemoteError> {
    use der::{Decode as _, Encode as _};
    x509_cert::Certificate::from_der(cert_der)
        .and_then(|c| c.tbs_certificate().subject_public_key_info().to_der())
        .map_err(|e| RemoteError::Storage(format!("the credential's certificate: {e}")))
}

fn level_code(level: Level) -> u8 {
    match level {
        Level::BB => 0,
        Level::BT => 1,
        Level::BLT => 2,
        Level::BLTA => 3,
    }
}

fn put_short(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn bad(why: &str) -> RemoteError {
    RemoteError::InvalidRequest(format!("not a staged PDF signature: {why}"))
}

/// A cursor over the encoding.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], RemoteError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| bad(&format!("it ends inside {what}")))?;
        let out = &self.b[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], RemoteError> {
        Ok(self.take(N, what)?.try_into().expect("N bytes"))
    }

    fn short(&mut self, what: &str, max: usize) -> Result<&'a [u8], RemoteError> {
        let n = u32::from_be_bytes(self.array(what)?) as usize;
        if n > max {
            return Err(bad(&format!(
                "{what} has {n} bytes (at most {max} expected)"
            )));
        }
        self.take(n, what)
    }
}
