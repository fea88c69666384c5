//! PAdES validation: each signature field of a PDF, its byte ranges, and the revisions
//! after it.

use crate::Options;
use crate::changes::{self, Change, Level};
use crate::cms;
use crate::path::{Cert, Evidence};
use crate::report::{self, Indication, Report, SignatureReport, SubIndication};
use crate::signature::{self, CmsOutcome};
use kyso_docs::fields::{SignatureField, docmdp_level, signature_fields};
use kyso_pdf::{Object, Pdf, PdfError, Prefix, Source, XrefEntry};
use kyso_pki::cms::DigestAlgorithm;

pub(crate) fn empty_report(name: &str) -> Report {
    Report {
        file: name.to_owned(),
        signatures: Vec::new(),
        all_passed: false,
        error: None,
    }
}

/// Hashes the given `(offset, length)` ranges of `source`, streaming.
pub(crate) fn hash_ranges<S: Source + ?Sized>(
    source: &S,
    alg: DigestAlgorithm,
    ranges: &[(u64, u64)],
) -> Result<Vec<u8>, std::io::Error> {
    let mut ctx = aws_lc_rs::digest::Context::new(alg.aws_lc());
    let mut buf = vec![0u8; 1 << 20];
    for &(start, len) in ranges {
        let mut done = 0u64;
        while done < len {
            let want = ((len - done) as usize).min(buf.len());
            let n = source.read_at(start + done, &mut buf[..want])?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "a byte range runs past the end of the file",
                ));
            }
            ctx.update(&buf[..n]);
            done += n as u64;
        }
    }
    Ok(ctx.finish().as_ref().to_vec())
}

/// Validates every signature in the PDF `source`.
pub fn verify_pdf<S: Source>(name: &str, source: S, opts: &Options<'_>) -> Report {
    let mut report = empty_report(name);
    let pdf = match Pdf::open(source) {
        Ok(p) => p,
        Err(e) => {
            report.error = Some(format!("{name} cannot be read as a PDF: {e}"));
            return report;
        }
    };
    let fields = match signature_fields(&pdf) {
        Ok(f) => f,
        Err(e) => {
            report.error = Some(format!("the form of {name} cannot be read: {e}"));
            return report;
        }
    };
    let signed: Vec<&SignatureField> = fields.iter().filter(|f| f.signed).collect();
    if signed.is_empty() {
        report.error = Some(format!("{name} holds no signature"));
        return report;
    }
    let (dss_certs, evidence) = read_dss(&pdf);
    for field in &signed {
        let shared = field
            .value
            .map_or(0, |v| signed.iter().filter(|f| f.value == Some(v)).count());
        let r = verify_field(&pdf, field, shared, &dss_certs, &evidence, opts);
        report.signatures.push(r);
    }
    report.all_passed = report
        .signatures
        .iter()
        .all(|s| s.indication == Indication::TotalPassed);
    report
}

/// Certificates, OCSP responses and CRLs of the document's DSS (unreadable entries are
/// skipped: they only ever add evidence).
fn read_dss<S: Source>(pdf: &Pdf<S>) -> (Vec<Cert>, Evidence) {
    let mut certs = Vec::new();
    let mut evidence = Evidence::default();
    let Ok(catalog) = pdf.catalog() else {
        return (certs, evidence);
    };
    let Some(dss) = catalog.get("DSS").and_then(|d| pdf.resolve(d).ok()) else {
        return (certs, evidence);
    };
    let Some(dss) = dss.as_dict() else {
        return (certs, evidence);
    };
    let streams = |key: &str| -> Vec<Vec<u8>> {
        let Some(Object::Array(items)) = dss.get(key).and_then(|a| pdf.resolve(a).ok()) else {
            return Vec::new();
        };
        items
            .iter()
            .take(10_000)
            .filter_map(|i| match pdf.resolve(i).ok()? {
                Object::Stream(s) => pdf.decode_stream(&s).ok(),
                _ => None,
            })
            .collect()
    };
    certs = streams("Certs")
        .iter()
        .filter_map(|c| Cert::parse(c).ok())
        .collect();
    evidence.ocsps = streams("OCSPs");
    evidence.crls = streams("CRLs");
    (certs, evidence)
}

fn verify_field<S: Source>(
    pdf: &Pdf<S>,
    field: &SignatureField,
    shared: usize,
    dss_certs: &[Cert],
    evidence: &Evidence,
    opts: &Options<'_>,
) -> SignatureReport {
    let mut outcome = CmsOutcome::default();
    // Known before any check, so that a refused document time-stamp is reported as one.
    let mut kind = match field
        .value
        .and_then(|v| pdf.get(v).ok())
        .and_then(|o| o.as_dict().map(|d| d.is_name("SubFilter", "ETSI.RFC3161")))
    {
        Some(true) => "document_timestamp",
        _ => "signature",
    };
    let mut claimed = None;
    let mut whole = false;
    let mut changes = Vec::new();
    let mut allowed = Level::FormFilling;
    match check_field(pdf, field, shared, dss_certs, evidence, opts) {
        Ok(f) => {
            kind = f.kind;
            claimed = f.claimed;
            whole = f.whole;
            changes = f.changes;
            allowed = f.allowed;
            outcome = f.outcome;
        }
        Err((sub, why)) => {
            let ind = if sub == SubIndication::CryptoConstraintsFailure {
                Indication::Indeterminate
            } else {
                Indication::TotalFailed
            };
            outcome.failure = Some((ind, sub));
            outcome.integrity_error = Some(why.clone());
            outcome.details.push(why);
        }
    }
    finish_report(
        field.name.clone(),
        kind,
        claimed,
        whole,
        outcome,
        changes,
        allowed,
        opts.lang,
    )
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn finish_report(
    field: String,
    kind: &'static str,
    claimed_time: Option<String>,
    covers_whole_document: bool,
    outcome: CmsOutcome,
    changes: Vec<Change>,
    allowed: Level,
    lang: report::Lang,
) -> SignatureReport {
    let modification = report::modification_summary(&changes, allowed);
    let mut failure = outcome.failure;
    let mut details = outcome.details;
    if modification == "illegal" {
        for c in changes.iter().filter(|c| c.level > allowed) {
            details.push(format!("not allowed after this signature: {}", c.what));
        }
        // An illegal change is a failure even if trust could not be established.
        if !matches!(failure, Some((Indication::TotalFailed, _))) {
            failure = Some((
                Indication::TotalFailed,
                SubIndication::SigConstraintsFailure,
            ));
        }
    }
    let (indication, sub_indication) = match failure {
        Some((i, s)) => (i, Some(s)),
        None => (Indication::TotalPassed, None),
    };
    let mut r = SignatureReport {
        field,
        kind,
        signer: outcome.signer.as_ref().and_then(|s| s.common_name.clone()),
        signer_subject: outcome.signer.as_ref().map(|s| s.display.clone()),
        claimed_time,
        timestamp_time: outcome.timestamp_time,
        covers_whole_document,
        integrity_error: outcome.integrity_error,
        chain: outcome.chain,
        revocation: outcome.revocation,
        timestamp_error: outcome.timestamp_error,
        has_timestamp: outcome.has_timestamp,
        changes,
        modification,
        indication,
        sub_indication,
        message: String::new(),
        details,
    };
    r.message = report::sentence(&r, lang);
    r
}

struct FieldFindings {
    kind: &'static str,
    claimed: Option<String>,
    whole: bool,
    changes: Vec<Change>,
    allowed: Level,
    outcome: CmsOutcome,
}

type Refusal = (SubIndication, String);

fn format_failure(why: impl Into<String>) -> Refusal {
    (SubIndication::FormatFailure, why.into())
}

fn check_field<S: Source>(
    pdf: &Pdf<S>,
    field: &SignatureField,
    shared: usize,
    dss_certs: &[Cert],
    evidence: &Evidence,
    opts: &Options<'_>,
) -> Result<FieldFindings, Refusal> {
    let sig_ref = field
        .value
        .ok_or_else(|| format_failure("the signature value (/V) is not an indirect object"))?;
    if let Some(num) = pdf.hybrid_conflicts().first() {
        return Err(format_failure(format!(
            "hybrid cross-reference: the table and its /XRefStm disagree about object {num}, so different readers show different documents"
        )));
    }
    if shared > 1 {
        return Err(format_failure(format!(
            "one signature dictionary ({sig_ref}) is shared by {shared} signature fields"
        )));
    }
    let sig = pdf
        .resolve_dict(&Object::Ref(sig_ref), "the signature dictionary")
        .map_err(|e| format_failure(e.to_string()))?;
    let kind = match sig.name("SubFilter") {
        Some(b"ETSI.RFC3161") => "document_timestamp",
        Some(b"ETSI.CAdES.detached" | b"adbe.pkcs7.detached") => "signature",
        Some(other) => {
            return Err((
                SubIndication::CryptoConstraintsFailure,
                format!(
                    "signature format /{} is not accepted (only PAdES/PKCS#7 detached)",
                    String::from_utf8_lossy(other)
                ),
            ));
        }
        None => return Err(format_failure("the signature dictionary has no /SubFilter")),
    };
    let claimed = sig
        .get("M")
        .and_then(Object::as_bytes)
        .map(kyso_pdf::decode_text);
    let contents = sig
        .get("Contents")
        .and_then(Object::as_bytes)
        .ok_or_else(|| format_failure("the signature has no /Contents string"))?
        .to_vec();
    let br: Vec<i64> = sig
        .get("ByteRange")
        .and_then(Object::as_array)
        .map(|a| a.iter().filter_map(Object::as_int).collect())
        .unwrap_or_default();
    let len = pdf.source().len();
    let [b0, b1, b2, b3] = br.as_slice() else {
        return Err(format_failure("/ByteRange must hold four integers"));
    };
    let (b0, b1, b2, b3) = (*b0, *b1, *b2, *b3);
    if b0 != 0 || b1 <= 0 || b2 <= b1 || b3 < 0 || (b2 + b3) as u64 > len {
        return Err(format_failure(format!(
            "/ByteRange [{b0} {b1} {b2} {b3}] does not start at 0, overlaps, or runs past the file ({len} bytes)"
        )));
    }
    let (b1, b2, b3) = (b1 as u64, b2 as u64, b3 as u64);
    // The gap must be exactly this dictionary's /Contents hex string.
    let gap = pdf
        .source()
        .read_range(b1, (b2 - b1) as usize)
        .map_err(|e| format_failure(e.to_string()))?;
    let hex_ok = gap.len() >= 2
        && gap[0] == b'<'
        && gap[gap.len() - 1] == b'>'
        && gap[1..gap.len() - 1].iter().all(u8::is_ascii_hexdigit);
    if !hex_ok || decode_hex(&gap[1..gap.len() - 1]) != contents {
        return Err(format_failure(
            "the /ByteRange does not exclude exactly this signature's /Contents",
        ));
    }
    let signed_len = b2 + b3;
    let whole = signed_len == len;
    if !whole {
        let tail = pdf
            .source()
            .read_range(signed_len.saturating_sub(16), 16)
            .map_err(|e| format_failure(e.to_string()))?;
        let trimmed: &[u8] = {
            let end = tail
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |p| p + 1);
            &tail[..end]
        };
        if !trimmed.ends_with(b"%%EOF") {
            return Err(format_failure(
                "the signature covers part of a revision, not a complete one (it must end at %%EOF)",
            ));
        }
    }
    let old = Pdf::open(Prefix::new(pdf.source(), signed_len)).map_err(|e| {
        format_failure(format!(
            "the signed revision cannot be read on its own: {e}"
        ))
    })?;
    // The signature dictionary must be in the signed revision, and the gap inside it.
    match old.xref().get(&sig_ref.num) {
        Some(XrefEntry::InFile { offset, .. }) if *offset < b1 && b1 - offset < (1 << 20) => {
            let between = old
                .source()
                .read_range(*offset, (b1 - offset) as usize)
                .map_err(|e| format_failure(e.to_string()))?;
            if between.windows(6).any(|w| w == b"endobj") {
                return Err(format_failure(
                    "the excluded /Contents is not inside this signature's dictionary",
                ));
            }
        }
        _ => {
            return Err(format_failure(
                "the signature dictionary is not a plain object of the signed revision",
            ));
        }
    }

    let parsed = cms::parse(&contents).map_err(|e| format_failure(format!("CMS: {e}")))?;
    let source = pdf.source();
    let ranges = [(0u64, b1), (b2, b3)];
    let mut digest_of = |alg: DigestAlgorithm| -> Result<Vec<u8>, String> {
        hash_ranges(source, alg, &ranges).map_err(|e| e.to_string())
    };
    let anchors: Vec<Cert> = opts
        .anchors
        .iter()
        .filter_map(|a| Cert::parse(a).ok())
        .collect();
    let outcome = if kind == "document_timestamp" {
        let mut outcome = CmsOutcome {
            has_timestamp: true,
            ..CmsOutcome::default()
        };
        match cms::tst_info(&parsed) {
            Ok(info) => {
                let alg = info.imprint_alg.unwrap_or(DigestAlgorithm::Sha256);
                let digest = digest_of(alg).map_err(format_failure)?;
                if digest != info.imprint {
                    return Err((
                        SubIndication::HashFailure,
                        "the document time-stamp does not match the document".into(),
                    ));
                }
                match signature::check_token_signature(&parsed, dss_certs, &anchors) {
                    Ok(tsa) => {
                        outcome.timestamp_time = Some(info.time);
                        let mut pool = dss_certs.to_vec();
                        pool.extend(
                            parsed
                                .certificates
                                .iter()
                                .filter_map(|c| Cert::parse(c).ok()),
                        );
                        signature::check_path(&mut outcome, &tsa, &pool, &anchors, evidence, opts);
                        outcome.signer = Some(tsa);
                    }
                    Err((sub, e)) => {
                        outcome.failure = Some((signature::token_indication(sub), sub));
                        outcome.details.push(e);
                    }
                }
            }
            Err(e) => return Err(format_failure(format!("time-stamp token: {e}"))),
        }
        outcome
    } else {
        signature::check_cms(&parsed, &mut digest_of, dss_certs, evidence, opts)
    };

    // What changed after this signature, and what its document allows.
    // Problems found after the signed revision are illegal changes, not a broken signature.
    let illegal = |what: String| Change {
        level: Level::Illegal,
        what,
        field: None,
    };
    let changes = if whole {
        Vec::new()
    } else if pdf.startxref() < signed_len {
        vec![illegal(
            "bytes were appended after the signed revision without being a PDF update".into(),
        )]
    } else {
        changes::analyse(&old, pdf).unwrap_or_else(|e: PdfError| {
            vec![illegal(format!(
                "the later revisions cannot be compared: {e}"
            ))]
        })
    };
    let mut changes = changes;
    let lock = field_lock(&old, field, &sig);
    for c in &mut changes {
        if let (Some(name), Level::FormFilling) = (&c.field, c.level)
            && lock.covers(name)
        {
            c.level = Level::Illegal;
            c.what = format!("{} — field {name} is locked by this signature", c.what);
        }
    }
    let allowed = match old
        .catalog()
        .ok()
        .and_then(|c| docmdp_level(&old, &c).ok().flatten())
    {
        Some(1) => Level::LongTermValidation,
        Some(3) => Level::Annotations,
        Some(_) => Level::FormFilling,
        None => Level::FormFilling,
    };
    Ok(FieldFindings {
        kind,
        claimed,
        whole,
        changes,
        allowed,
        outcome,
    })
}

fn decode_hex(h: &[u8]) -> Vec<u8> {
    let nib = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    };
    let mut out: Vec<u8> = h
        .chunks(2)
        .map(|p| nib(p[0]) << 4 | p.get(1).map_or(0, |&c| nib(c)))
        .collect();
    let _ = &mut out;
    out
}

/// Which fields a signature locks (FieldMDP, ISO 32000-1 §12.7.4.5 /Lock and §12.8.2.4).
#[derive(Debug, Default)]
struct FieldLock {
    all: bool,
    include: Vec<String>,
    exclude: Option<Vec<String>>,
}

impl FieldLock {
    fn covers(&self, name: &str) -> bool {
        self.all
            || self.include.iter().any(|f| f == name)
            || self
                .exclude
                .as_ref()
                .is_some_and(|ex| !ex.iter().any(|f| f == name))
    }
}

fn field_lock<S: Source>(old: &Pdf<S>, field: &SignatureField, sig: &kyso_pdf::Dict) -> FieldLock {
    let mut lock = FieldLock::default();
    let mut specs = Vec::new();
    if let Some(f) = field.field
        && let Ok(Object::Dict(d)) = old.get(f)
        && let Some(l) = d.get("Lock").and_then(|l| old.resolve(l).ok())
        && let Some(l) = l.as_dict()
    {
        specs.push(l.clone());
    }
    if let Some(Object::Array(refs)) = sig.get("Reference").and_then(|r| old.resolve(r).ok()) {
        for r in refs {
            if let Ok(Object::Dict(r)) = old.resolve(&r)
                && r.is_name("TransformMethod", "FieldMDP")
                && let Some(Ok(Object::Dict(p))) = r.get("TransformParams").map(|p| old.resolve(p))
            {
                specs.push(p);
            }
        }
    }
    for spec in specs {
        let names: Vec<String> = match spec.get("Fields").and_then(|f| old.resolve(f).ok()) {
            Some(Object::Array(a)) => a
                .iter()
                .filter_map(|n| n.as_bytes().map(kyso_pdf::decode_text))
                .collect(),
            _ => Vec::new(),
        };
        match spec.name("Action") {
            Some(b"All") => lock.all = true,
            Some(b"Include") => lock.include.extend(names),
            Some(b"Exclude") => lock.exclude = Some(names),
            _ => {}
        }
    }
    lock
}
