//! PAdES signing of PDF files, B-B to B-LTA, with a citizen's credential (PIN [+ OTP],
//! through the same authorise → signHash path as any relying party: only a hash leaves
//! this module) or with an organisation seal's key held in custody.
//!
//! The input is never loaded whole: it is copied to the output while its byte ranges are
//! hashed, then the signature update is appended; B-LT appends a DSS and B-LTA a document
//! time-stamp, each as a further incremental update. The output is written beside its
//! destination and renamed into place, so a failure never leaves a half-signed file.

use crate::{RemoteError, RemoteSigning};
use kyso_docs::pades::{self, Permission, Placement, SignatureKind, SignatureRequest};
use kyso_pdf::{FileSource, Pdf};
use kyso_pki::cms::{DetachedSignature, DigestAlgorithm, SignerParts};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// PAdES baseline levels (ETSI EN 319 142-1 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Basic signature.
    BB,
    /// With a signature time-stamp.
    BT,
    /// With validation material in a DSS.
    BLT,
    /// With a document time-stamp over everything.
    BLTA,
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "B-B" | "BB" => Ok(Level::BB),
            "B-T" | "BT" => Ok(Level::BT),
            "B-LT" | "BLT" => Ok(Level::BLT),
            "B-LTA" | "BLTA" => Ok(Level::BLTA),
            _ => Err(format!("unknown level {s:?} (B-B, B-T, B-LT or B-LTA)")),
        }
    }
}

/// Whose key signs.
#[derive(Debug, Clone)]
pub enum DocumentSigner {
    /// A citizen's remote credential, under its PIN [+ OTP].
    Credential {
        /// Credential ID.
        id: String,
        /// PIN.
        pin: String,
        /// One-time code, when the credential requires one.
        otp: Option<String>,
    },
    /// An organisation seal certificate whose key kyso holds (no PIN: the operator's
    /// access to the deployment is the authorisation, as for the CA's own keys).
    Seal {
        /// Certificate serial (hex).
        serial: String,
    },
}

/// How to sign a PDF.
#[derive(Debug, Clone)]
pub struct PdfOptions {
    /// Level.
    pub level: Level,
    /// `/Reason`, also shown on the stamp.
    pub reason: Option<String>,
    /// `/Location`, also shown on the stamp.
    pub location: Option<String>,
    /// A visible stamp.
    pub visible: Option<Placement>,
    /// A certification signature (DocMDP P=2: form filling and signatures allowed).
    pub certify: bool,
}

/// What was produced.
#[derive(Debug, Clone)]
pub struct PdfSigned {
    /// The signature field's name.
    pub field: String,
    /// The signer's name (certificate CN).
    pub signer: String,
    /// Output size in bytes.
    pub bytes: u64,
}

/// A document signer's chain, scheme and (for a seal) key in custody.
type ResolvedSigner = (
    Vec<Vec<u8>>,
    kyso_keys::SignatureAlgorithm,
    Option<kyso_keys::KeyRecord>,
);

/// Slack on top of the certificates in a `/Contents` estimate: SignerInfo, attributes, a
/// 512-byte RSA-4096 signature and DER headers fit with room to spare.
pub(crate) const CMS_OVERHEAD: usize = 3_000;

impl RemoteSigning {
    /// Signs `input` into `output` as PAdES at `options.level`.
    pub async fn sign_pdf(
        &self,
        input: &Path,
        output: &Path,
        signer: &DocumentSigner,
        options: &PdfOptions,
    ) -> Result<PdfSigned, RemoteError> {
        let source = FileSource::open(input)
            .map_err(|e| RemoteError::InvalidRequest(format!("{}: {e}", input.display())))?;
        let pdf = Pdf::open(source).map_err(kyso_docs::DocError::from)?;
        let mut out = FileAssembly {
            staging: Staging::new(output)?,
            input: input.to_path_buf(),
        };
        let (field, signer_name) = self.sign_into(&pdf, &mut out, signer, options).await?;
        let bytes = out.staging.commit()?;
        Ok(PdfSigned {
            field,
            signer: signer_name,
            bytes,
        })
    }

    /// One PAdES signature of `pdf` by `signer` assembled into `out` — the original, the
    /// signature update, then the DSS and document time-stamp its level asks for: the
    /// steps shared by files ([`Self::sign_pdf`]) and memory ([`Self::seal_pdf`]).
    /// Returns the field's name and the signer's.
    pub(crate) async fn sign_into<S: kyso_pdf::Source, A: Assembly>(
        &self,
        pdf: &Pdf<S>,
        out: &mut A,
        signer: &DocumentSigner,
        options: &PdfOptions,
    ) -> Result<(String, String), RemoteError> {
        let (chain, scheme, seal_key) = self.document_signer_chain(signer).await?;
        let signer_name = common_name(&chain[0]).unwrap_or_else(|| "?".into());
        let digest_alg = DigestAlgorithm::of_scheme(scheme);
        let prepared = self.prepare_signature(pdf, &chain, &signer_name, options, self.now())?;
        let field = prepared.field_name.clone();
        let digest = out.begin(&prepared, digest_alg)?;
        let pending = pades_pending(&chain, scheme, &digest)?;
        let signature = self
            .sign_with(
                signer,
                seal_key.as_ref(),
                &pending.to_be_signed_digest(),
                scheme,
            )
            .await?;
        let cms = self
            .signature_cms(&pending, &signature, options.level)
            .await?;
        out.append(&prepared.finish(&cms)?)?;
        self.extend_to_level(out, options.level, &chain).await?;
        Ok((field, signer_name))
    }

    /// The signature update of `pdf` (field, widget with the visible stamp if asked,
    /// signature dictionary with `/M` = `now` and a zeroed `/Contents` sized for the chain
    /// and, from B-T, a time-stamp token).
    pub(crate) fn prepare_signature<S: kyso_pdf::Source>(
        &self,
        pdf: &Pdf<S>,
        chain: &[Vec<u8>],
        signer_name: &str,
        options: &PdfOptions,
        now: kyso_core::UnixTime,
    ) -> Result<pades::Prepared, RemoteError> {
        let mut contents_size = chain.iter().map(Vec::len).sum::<usize>() + CMS_OVERHEAD;
        if options.level >= Level::BT {
            contents_size += self.tsa_chain()?.iter().map(Vec::len).sum::<usize>() + CMS_OVERHEAD;
        }
        let request = SignatureRequest {
            kind: SignatureKind::Cades,
            time: now,
            reason: options.reason.clone(),
            location: options.location.clone(),
            signer_name: Some(signer_name.to_owned()),
            certify: options.certify.then_some(Permission::FormFilling),
            visible: options.visible,
            contents_size,
        };
        let lines = stamp_lines(signer_name, now, options);
        let draw = |update: &mut kyso_pdf::Update, w: f64, h: f64| {
            kyso_docs::stamp::add_appearance(
                update,
                &kyso_docs::stamp::StampText {
                    lines: lines.clone(),
                },
                w,
                h,
            )
            .map_err(|e| kyso_docs::DocError::Stamp(e.to_string()))
        };
        Ok(pades::prepare(pdf, &request, Some(&draw))?)
    }

    /// The CMS of a signature whose value is known: with a signature time-stamp from
    /// kyso's TSA from B-T on.
    pub(crate) async fn signature_cms(
        &self,
        pending: &DetachedSignature,
        signature: &[u8],
        level: Level,
    ) -> Result<Vec<u8>, RemoteError> {
        let token = if level >= Level::BT {
            Some(
                self.time_stamp(&DigestAlgorithm::Sha256.digest(signature))
                    .await?,
            )
        } else {
            None
        };
        pending
            .finish(signature, token.as_deref())
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))
    }

    /// The updates above the signature: a DSS with the validation material of `chain`
    /// and the TSA's (B-LT), then a document time-stamp over everything (B-LTA).
    pub(crate) async fn extend_to_level<A: Assembly>(
        &self,
        out: &mut A,
        level: Level,
        chain: &[Vec<u8>],
    ) -> Result<(), RemoteError> {
        let tsa_chain = self.tsa_chain()?;
        if level >= Level::BLT {
            let mut certs = chain.to_vec();
            certs.extend(tsa_chain.iter().cloned());
            let responder =
                kyso_ca::ocsp::OcspResponder::new(&self.ca, kyso_ca::ocsp::OcspConfig::default())
                    .await?;
            let material = self.ca.validation_material(&responder, &certs).await?;
            let update = {
                let pdf = out.open()?;
                kyso_docs::dss::add_dss(&pdf, &material.certs, &material.ocsps, &material.crls)?
            };
            out.append(&update)?;
        }
        if level >= Level::BLTA {
            let request = SignatureRequest {
                kind: SignatureKind::DocumentTimeStamp,
                time: self.now(),
                reason: None,
                location: None,
                signer_name: None,
                certify: None,
                visible: None,
                contents_size: tsa_chain.iter().map(Vec::len).sum::<usize>() + CMS_OVERHEAD,
            };
            let prepared = {
                let pdf = out.open()?;
                pades::prepare(&pdf, &request, None)?
            };
            let digest = out.digest(&prepared, DigestAlgorithm::Sha256)?;
            let token = self.time_stamp(&digest).await?;
            out.append(&prepared.finish(&token)?)?;
        }
        Ok(())
    }

    /// The signer's chain (certificate first, then its issuing CA), signature scheme, and —
    /// for a seal — the key in custody, read once for the whole signature.
    async fn document_signer_chain(
        &self,
        signer: &DocumentSigner,
    ) -> Result<ResolvedSigner, RemoteError> {
        match signer {
            DocumentSigner::Credential { id, .. } => {
                let info = self.info(id).await?;
                info.usable
                    .clone()
                    .map_err(RemoteError::CertificateNotUsable)?;
                Ok((info.chain_der, info.algorithm.default_scheme(), None))
            }
            DocumentSigner::Seal { serial } => {
                let (cert, key) = self.seal(serial).await?;
                let issuer = self
                    .ca
                    .issuer(&cert.issuer)
                    .ok_or_else(|| RemoteError::InvalidRequest("unknown issuer".into()))?;
                let scheme = key.algorithm.default_scheme();
                Ok((
                    vec![cert.der.clone(), issuer.cert_der.clone()],
                    scheme,
                    Some(key),
                ))
            }
        }
    }

    async fn seal(
        &self,
        serial: &str,
    ) -> Result<(kyso_store::CertificateRecord, kyso_keys::KeyRecord), RemoteError> {
        let serial = kyso_ca::normalise_serial(serial)?;
        let cert = self
            .ca
            .store()
            .get_certificate(&serial)
            .await?
            .ok_or_else(|| RemoteError::InvalidRequest(format!("no certificate {serial}")))?;
        if cert.profile != "seal" {
            return Err(RemoteError::InvalidRequest(format!(
                "certificate {serial} is a {} certificate: only organisation seals sign with a key in custody; citizens sign with their credential and PIN",
                cert.profile
            )));
        }
        self.usable(&cert)
            .map_err(RemoteError::CertificateNotUsable)?;
        let key_id = cert.key_id.clone().ok_or_else(|| {
            RemoteError::InvalidRequest(format!(
                "certificate {serial} was issued for an outside key (CSR): kyso does not hold it"
            ))
        })?;
        let key = self
            .ca
            .store()
            .get_key(&key_id)
            .await?
            .ok_or_else(|| RemoteError::Storage(format!("key {key_id} is missing")))?;
        Ok((cert, key))
    }

    /// Signs the to-be-signed digest with the signer's key.
    async fn sign_with(
        &self,
        signer: &DocumentSigner,
        seal_key: Option<&kyso_keys::KeyRecord>,
        tbs_digest: &[u8],
        scheme: kyso_keys::SignatureAlgorithm,
    ) -> Result<Vec<u8>, RemoteError> {
        match signer {
            DocumentSigner::Credential { id, pin, otp } => {
                self.credential_signature(id, tbs_digest, pin, otp.as_deref())
                    .await
            }
            DocumentSigner::Seal { serial } => {
                let key = seal_key.ok_or_else(|| {
                    RemoteError::Storage(format!("the key of seal {serial} was not read"))
                })?;
                Ok(self.ca.keystore().sign_digest(key, scheme, tbs_digest)?)
            }
        }
    }

    pub(crate) fn tsa_chain(&self) -> Result<Vec<Vec<u8>>, RemoteError> {
        let tsa = self
            .ca
            .signer("tsa")
            .ok_or_else(|| RemoteError::Storage("the TSA is not configured".into()))?;
        let mut chain = vec![tsa.cert_der.clone()];
        if let Some(seal_ca) = self.ca.issuer("seal-ca") {
            chain.push(seal_ca.cert_der.clone());
        }
        Ok(chain)
    }
}

/// The lines of a visible stamp, in Vietnamese (the time in Vietnam's zone, UTC+7).
pub(crate) fn stamp_lines(
    signer: &str,
    now: kyso_core::UnixTime,
    options: &PdfOptions,
) -> Vec<String> {
    let (y, mo, d, h, mi, _) = kyso_core::clock::civil_from_unix(now.seconds() + 7 * 3600);
    let mut lines = vec![
        format!("Ký bởi: {signer}"),
        format!("Thời gian: {d:02}/{mo:02}/{y} {h:02}:{mi:02} (GMT+7)"),
    ];
    if let Some(r) = &options.reason {
        lines.push(format!("Lý do: {r}"));
    }
    if let Some(l) = &options.location {
        lines.push(format!("Nơi ký: {l}"));
    }
    lines
}

/// The subject's commonName.
pub(crate) fn common_name(cert_der: &[u8]) -> Option<String> {
    use der::Decode as _;
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    kyso_pki::name::read_name(cert.tbs_certificate().subject())
        .into_iter()
        .find(|a| a.oid == kyso_pki::oid::COMMON_NAME)
        .map(|a| a.value)
}

/// The signed attributes of a PAdES signature by `chain[0]` over byte ranges with
/// `digest`, waiting for their signature.
pub(crate) fn pades_pending(
    chain: &[Vec<u8>],
    scheme: kyso_keys::SignatureAlgorithm,
    digest: &[u8],
) -> Result<DetachedSignature, RemoteError> {
    let parts = SignerParts::new(&chain[0], &chain[1..], scheme)
        .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
    DetachedSignature::prepare_pades(parts, digest)
        .map_err(|e| RemoteError::InvalidRequest(e.to_string()))
}

/// Where a signed PDF is assembled, update after update: a file beside its destination
/// ([`FileAssembly`]) or memory ([`MemoryAssembly`]).
pub(crate) trait Assembly {
    /// How the document assembled so far is read back.
    type Src: kyso_pdf::Source;
    /// Starts with the original document, returning the digest of `prepared`'s byte
    /// ranges over it.
    fn begin(
        &mut self,
        prepared: &pades::Prepared,
        alg: DigestAlgorithm,
    ) -> Result<Vec<u8>, RemoteError>;
    /// The document assembled so far.
    fn open(&self) -> Result<Pdf<Self::Src>, RemoteError>;
    /// Appends an update.
    fn append(&mut self, bytes: &[u8]) -> Result<(), RemoteError>;
    /// The digest of `prepared`'s byte ranges over the document assembled so far.
    fn digest(
        &self,
        prepared: &pades::Prepared,
        alg: DigestAlgorithm,
    ) -> Result<Vec<u8>, RemoteError>;
}

/// A signed file: `input` copied to a staging file, renamed into place by the caller.
struct FileAssembly {
    staging: Staging,
    input: PathBuf,
}

impl Assembly for FileAssembly {
    type Src = FileSource;

    fn begin(
        &mut self,
        prepared: &pades::Prepared,
        alg: DigestAlgorithm,
    ) -> Result<Vec<u8>, RemoteError> {
        let mut out = std::io::BufWriter::new(self.staging.create()?);
        let mut base = std::fs::File::open(&self.input).map_err(io)?;
        let digest = prepared.copy_and_hash(&mut base, &mut out, alg.aws_lc())?;
        out.flush().map_err(io)?;
        Ok(digest)
    }

    fn open(&self) -> Result<Pdf<FileSource>, RemoteError> {
        self.staging.open()
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), RemoteError> {
        self.staging.append(bytes)
    }

    fn digest(
        &self,
        prepared: &pades::Prepared,
        alg: DigestAlgorithm,
    ) -> Result<Vec<u8>, RemoteError> {
        let mut base = std::fs::File::open(&self.staging.path).map_err(io)?;
        Ok(prepared.copy_and_hash(&mut base, &mut std::io::sink(), alg.aws_lc())?)
    }
}

/// A signed PDF in memory, starting as the original document.
#[derive(Debug, Clone)]
pub(crate) struct MemoryAssembly(pub(crate) std::sync::Arc<Vec<u8>>);

impl MemoryAssembly {
    /// The document assembled so far.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        std::sync::Arc::unwrap_or_clone(self.0)
    }
}

impl Assembly for MemoryAssembly {
    type Src = std::sync::Arc<Vec<u8>>;

    fn begin(
        &mut self,
        prepared: &pades::Prepared,
        alg: DigestAlgorithm,
    ) -> Result<Vec<u8>, RemoteError> {
        self.digest(prepared, alg)
    }

    fn open(&self) -> Result<Pdf<Self::Src>, RemoteError> {
        Ok(Pdf::open(self.0.clone()).map_err(kyso_docs::DocError::from)?)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), RemoteError> {
        std::sync::Arc::make_mut(&mut self.0).extend_from_slice(bytes);
        Ok(())
    }

    fn digest(
        &self,
        prepared: &pades::Prepared,
        alg: DigestAlgorithm,
    ) -> Result<Vec<u8>, RemoteError> {
        if self.0.len() as u64 != prepared.base_len() {
            return Err(RemoteError::InvalidRequest(format!(
                "the document changed while it was being signed ({} bytes, {} expected)",
                self.0.len(),
                prepared.base_len()
            )));
        }
        Ok(prepared.hash(&self.0, alg.aws_lc()))
    }
}

fn io(e: std::io::Error) -> RemoteError {
    RemoteError::Document(kyso_docs::DocError::Io(e))
}

/// An output file being built beside its destination.
struct Staging {
    path: PathBuf,
    dest: PathBuf,
}

impl Staging {
    fn new(dest: &Path) -> Result<Self, RemoteError> {
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dest
            .file_name()
            .ok_or_else(|| RemoteError::InvalidRequest("the output has no file name".into()))?;
        let mut staged = std::ffi::OsString::from(".");
        staged.push(name);
        staged.push(format!(".{}.partial", std::process::id()));
        Ok(Staging {
            path: dir.join(staged),
            dest: dest.to_path_buf(),
        })
    }

    fn create(&self) -> Result<std::fs::File, RemoteError> {
        std::fs::File::create(&self.path).map_err(io)
    }

    fn open(&self) -> Result<Pdf<FileSource>, RemoteError> {
        let source = FileSource::open(&self.path).map_err(io)?;
        Ok(Pdf::open(source).map_err(kyso_docs::DocError::from)?)
    }

    fn append(&self, bytes: &[u8]) -> Result<(), RemoteError> {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.flush().map_err(io)
    }

    fn commit(self) -> Result<u64, RemoteError> {
        let f = std::fs::File::open(&self.path).map_err(io)?;
        f.sync_all().map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        // After the rename, Drop's removal of the staging path finds nothing.
        std::fs::rename(&self.path, &self.dest).map_err(io)?;
        Ok(len)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
