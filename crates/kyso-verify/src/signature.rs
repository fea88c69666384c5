//! Checks shared by PDF signatures and detached `.p7s`: a CMS signature over a digest, its
//! signer's path and revocation, and its signature time-stamp.

use crate::Options;
use crate::cms::{self, SignedCms, SignerId};
use crate::path::{self, Cert, Evidence, Status};
use crate::report::{Indication, SubIndication};
use kyso_core::UnixTime;
use kyso_pki::cms::DigestAlgorithm;

/// The outcome of checking a CMS signature (everything but the document's changes).
#[derive(Debug, Default)]
pub(crate) struct CmsOutcome {
    pub signer: Option<Cert>,
    pub chain: Vec<String>,
    pub revocation: Vec<Status>,
    pub timestamp_time: Option<UnixTime>,
    pub has_timestamp: bool,
    pub timestamp_error: Option<String>,
    pub integrity_error: Option<String>,
    pub failure: Option<(Indication, SubIndication)>,
    pub details: Vec<String>,
}

impl CmsOutcome {
    fn fail(&mut self, ind: Indication, sub: SubIndication, why: impl Into<String>) {
        let why = why.into();
        self.details.push(why.clone());
        // The first failure decides; later checks only add detail.
        if self.failure.is_none() {
            self.failure = Some((ind, sub));
        }
        if matches!(
            sub,
            SubIndication::HashFailure
                | SubIndication::SigCryptoFailure
                | SubIndication::FormatFailure
        ) && self.integrity_error.is_none()
        {
            self.integrity_error = Some(why);
        }
    }
}

/// Finds the signer's certificate among `pool` by the SignerInfo's identifier.
pub(crate) fn find_signer(sid: &SignerId, pool: &[Cert]) -> Option<Cert> {
    pool.iter()
        .find(|c| match sid {
            SignerId::IssuerSerial(issuer, serial) => {
                c.issuer == *issuer && path::strip_zero(&c.serial) == path::strip_zero(serial)
            }
            SignerId::KeyId(ski) => {
                // Compare with the SKI extension would need it parsed; the SHA-1 of the key
                // is what every CA (kyso included) puts there.
                let key = spki_key_bits(&c.spki);
                key.is_some_and(|k| {
                    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &k)
                        .as_ref()
                        == ski.as_slice()
                })
            }
        })
        .cloned()
}

fn spki_key_bits(spki: &[u8]) -> Option<Vec<u8>> {
    let t = crate::tlv::read_all(spki).ok()?;
    let parts = t.expect(0x30, "SPKI").ok()?;
    let bits = parts.get(1).filter(|b| b.tag == 0x03)?;
    Some(bits.value.get(1..)?.to_vec())
}

/// Checks `sig` (already parsed) whose content digest the caller computed with each
/// algorithm on demand (`digest_of`), against the options' anchors.
pub(crate) fn check_cms(
    sig: &SignedCms,
    digest_of: &mut dyn FnMut(DigestAlgorithm) -> Result<Vec<u8>, String>,
    extra_certs: &[Cert],
    evidence: &Evidence,
    opts: &Options<'_>,
) -> CmsOutcome {
    let mut out = CmsOutcome::default();
    if sig.signer_count != 1 {
        out.fail(
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            format!(
                "the signature holds {} SignerInfos; exactly one is allowed",
                sig.signer_count
            ),
        );
        return out;
    }
    let Some(alg) = sig.digest else {
        out.fail(
            Indication::Indeterminate,
            SubIndication::CryptoConstraintsFailure,
            format!("digest algorithm {} is not accepted", sig.digest_oid),
        );
        return out;
    };
    let mut pool: Vec<Cert> = sig
        .certificates
        .iter()
        .filter_map(|c| Cert::parse(c).ok())
        .collect();
    pool.extend(extra_certs.iter().cloned());
    // Named before the hash is checked, so that a broken signature still says whose it was.
    let signer = find_signer(&sig.sid, &pool);
    out.signer = signer.clone();
    let digest = match digest_of(alg) {
        Ok(d) => d,
        Err(e) => {
            out.fail(Indication::TotalFailed, SubIndication::FormatFailure, e);
            return out;
        }
    };
    if let Err(e) = sig.check_message_digest(&digest) {
        let sub = if e.contains("does not match the signed content") {
            SubIndication::HashFailure
        } else {
            SubIndication::FormatFailure
        };
        out.fail(Indication::TotalFailed, sub, e);
        return out;
    }
    let Some(signer) = signer else {
        out.fail(
            Indication::Indeterminate,
            SubIndication::NoSigningCertificateFound,
            "the signer's certificate is not in the signature or the document",
        );
        return out;
    };
    if let Err(e) = sig.verify_signature(&signer.der, &signer.spki) {
        let sub = if e.contains("algorithm") || e.contains("unsupported") {
            SubIndication::CryptoConstraintsFailure
        } else {
            SubIndication::SigCryptoFailure
        };
        out.fail(Indication::TotalFailed, sub, e);
        return out;
    }

    // The signature time-stamp: over the signature value, by a trusted TSA.
    let anchors: Vec<Cert> = opts
        .anchors
        .iter()
        .filter_map(|a| Cert::parse(a).ok())
        .collect();
    if let Some(token_der) = sig.unsigned_attr(&cms::SIGNATURE_TIME_STAMP) {
        out.has_timestamp = true;
        match check_token(token_der, &sig.signature, &pool, &anchors) {
            Ok((time, tsa)) => {
                out.timestamp_time = Some(time);
                // The TSA's own certificates must not have been revoked at that time.
                let mut tsa_check = CmsOutcome {
                    timestamp_time: Some(time),
                    ..CmsOutcome::default()
                };
                let mut tsa_pool = pool.clone();
                if let Ok(token) = cms::parse(token_der) {
                    tsa_pool.extend(
                        token
                            .certificates
                            .iter()
                            .filter_map(|c| Cert::parse(c).ok()),
                    );
                }
                check_path(&mut tsa_check, &tsa, &tsa_pool, &anchors, evidence, opts);
                if let Some((ind, sub)) = tsa_check.failure {
                    out.timestamp_error = tsa_check.details.first().cloned();
                    for d in tsa_check.details {
                        out.fail(ind, sub, format!("signature time-stamp: {d}"));
                    }
                }
            }
            Err((sub, e)) => {
                out.timestamp_error = Some(e.clone());
                out.fail(
                    token_indication(sub),
                    sub,
                    format!("signature time-stamp: {e}"),
                );
            }
        }
    }

    check_path(&mut out, &signer, &pool, &anchors, evidence, opts);
    out
}

/// Path, validity and revocation of `signer` at the best signature time.
pub(crate) fn check_path(
    out: &mut CmsOutcome,
    signer: &Cert,
    pool: &[Cert],
    anchors: &[Cert],
    evidence: &Evidence,
    opts: &Options<'_>,
) {
    let Some(path) = path::build_path(signer, pool, anchors) else {
        out.fail(
            Indication::Indeterminate,
            SubIndication::NoCertificateChainFound,
            format!("no path from {} to a trust anchor", signer.display),
        );
        return;
    };
    out.chain = path.iter().map(|c| c.display.clone()).collect();
    let best_time = out.timestamp_time.unwrap_or(opts.now);
    for c in &path {
        if best_time < c.validity.0 || best_time > c.validity.1 {
            out.fail(
                Indication::Indeterminate,
                SubIndication::OutOfBoundsNoPoe,
                format!("{} is not valid at {}", c.display, best_time.to_rfc3339()),
            );
        }
    }
    // Embedded revocation data speaks for a time only a time-stamp can prove: without one
    // the signature is judged now, and data carried in the file (possibly replayed from an
    // older one) says nothing about now — the status must be fetched.
    let no_evidence = Evidence::default();
    let evidence = if out.timestamp_time.is_some() {
        evidence
    } else {
        &no_evidence
    };
    for pair in path.windows(2) {
        let status = path::status(&pair[0], &pair[1], evidence, pool, opts.fetcher, best_time);
        match &status {
            Status::Revoked { since, .. } => {
                if out.timestamp_time.is_some_and(|t| t < *since) {
                    out.details.push(format!(
                        "{} was revoked at {}, after the time-stamped signing time",
                        pair[0].display,
                        since.to_rfc3339()
                    ));
                } else if out.timestamp_time.is_some() {
                    out.fail(
                        Indication::TotalFailed,
                        SubIndication::Revoked,
                        format!("{} was revoked at {}", pair[0].display, since.to_rfc3339()),
                    );
                } else {
                    out.fail(
                        Indication::Indeterminate,
                        SubIndication::RevokedNoPoe,
                        format!(
                            "{} is revoked since {}",
                            pair[0].display,
                            since.to_rfc3339()
                        ),
                    );
                }
            }
            Status::Unknown { reason } => out.fail(
                Indication::Indeterminate,
                SubIndication::TryLater,
                format!("revocation status of {}: {reason}", pair[0].display),
            ),
            Status::Good { .. } | Status::NotApplicable => {}
        }
        out.revocation.push(status);
    }
}

/// Checks a time-stamp token over `data` (imprint = hash of `data`): the token's own
/// signature, and a path from the TSA to an anchor. Returns the time and the TSA.
pub(crate) fn check_token(
    token_der: &[u8],
    data: &[u8],
    pool: &[Cert],
    anchors: &[Cert],
) -> Result<(UnixTime, Cert), (SubIndication, String)> {
    let token = cms::parse(token_der).map_err(|e| (SubIndication::FormatFailure, e.to_string()))?;
    let info = cms::tst_info(&token).map_err(|e| (SubIndication::FormatFailure, e.to_string()))?;
    let alg = info.imprint_alg.ok_or((
        SubIndication::CryptoConstraintsFailure,
        "imprint hash not accepted".into(),
    ))?;
    if alg.digest(data) != info.imprint {
        return Err((
            SubIndication::HashFailure,
            "the time-stamp was made for other data (its imprint does not match)".into(),
        ));
    }
    check_token_signature(&token, pool, anchors).map(|tsa| (info.time, tsa))
}

/// How a refused time-stamp token weighs: an untrusted TSA leaves the verdict open, any
/// other refusal fails it.
pub(crate) fn token_indication(sub: SubIndication) -> Indication {
    if sub == SubIndication::NoCertificateChainFound {
        Indication::Indeterminate
    } else {
        Indication::TotalFailed
    }
}

/// The token's CMS signature over its TSTInfo, and its TSA's path.
pub(crate) fn check_token_signature(
    token: &SignedCms,
    pool: &[Cert],
    anchors: &[Cert],
) -> Result<Cert, (SubIndication, String)> {
    if token.signer_count != 1 {
        return Err((
            SubIndication::FormatFailure,
            "the token has several SignerInfos".into(),
        ));
    }
    let content = token.content.as_deref().unwrap_or_default();
    let alg = token.digest.ok_or((
        SubIndication::CryptoConstraintsFailure,
        "token digest not accepted".into(),
    ))?;
    token
        .check_message_digest(&alg.digest(content))
        .map_err(|e| (SubIndication::HashFailure, format!("time-stamp token: {e}")))?;
    let mut tsa_pool: Vec<Cert> = token
        .certificates
        .iter()
        .filter_map(|c| Cert::parse(c).ok())
        .collect();
    tsa_pool.extend(pool.iter().cloned());
    let tsa = find_signer(&token.sid, &tsa_pool).ok_or((
        SubIndication::NoSigningCertificateFound,
        "the TSA's certificate is missing".into(),
    ))?;
    token.verify_signature(&tsa.der, &tsa.spki).map_err(|e| {
        (
            SubIndication::SigCryptoFailure,
            format!("time-stamp token: {e}"),
        )
    })?;
    if path::build_path(&tsa, &tsa_pool, anchors).is_none() {
        return Err((
            SubIndication::NoCertificateChainFound,
            format!("the TSA {} is not trusted", tsa.display),
        ));
    }
    Ok(tsa)
}

/// Validates a detached CAdES signature over `data` (read through `source`).
pub fn verify_detached<S: kyso_pdf::Source>(
    name: &str,
    p7s: &[u8],
    data: &S,
    opts: &Options<'_>,
) -> crate::Report {
    let mut report = crate::pades::empty_report(name);
    let sig = match cms::parse(p7s) {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(format!("{name} is not a CMS signature: {e}"));
            return report;
        }
    };
    let mut digest_of = |alg: DigestAlgorithm| -> Result<Vec<u8>, String> {
        crate::pades::hash_ranges(data, alg, &[(0, data.len())]).map_err(|e| e.to_string())
    };
    let (certs, evidence) = embedded_values(&sig);
    let outcome = check_cms(&sig, &mut digest_of, &certs, &evidence, opts);
    let r = crate::pades::finish_report(
        name.to_owned(),
        "signature",
        None,
        true,
        outcome,
        Vec::new(),
        crate::changes::Level::Illegal,
        opts.lang,
    );
    report.all_passed = r.indication == Indication::TotalPassed;
    report.signatures.push(r);
    report
}

/// CAdES-B-LT validation data: certificate-values and revocation-values unsigned
/// attributes (EN 319 122-1 §5.5).
fn embedded_values(sig: &SignedCms) -> (Vec<Cert>, Evidence) {
    use crate::tlv;
    const CERT_VALUES: const_oid::ObjectIdentifier =
        const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.23");
    const REVOCATION_VALUES: const_oid::ObjectIdentifier =
        const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.24");
    let mut certs = Vec::new();
    let mut evidence = Evidence::default();
    if let Some(v) = sig.unsigned_attr(&CERT_VALUES)
        && let Ok(t) = tlv::read_all(v)
        && let Ok(items) = t.expect(0x30, "CertificateValues")
    {
        certs.extend(items.iter().filter_map(|c| Cert::parse(c.raw).ok()));
    }
    if let Some(v) = sig.unsigned_attr(&REVOCATION_VALUES)
        && let Ok(t) = tlv::read_all(v)
        && let Ok(fields) = t.expect(0x30, "RevocationValues")
    {
        for f in fields {
            let Some(list) = tlv::children(f.value)
                .ok()
                .and_then(|c| c.first().and_then(|l| l.expect(0x30, "values").ok()))
            else {
                continue;
            };
            match f.tag {
                0xa0 => evidence.crls.extend(list.iter().map(|c| c.raw.to_vec())),
                0xa1 => evidence
                    .ocsps
                    .extend(list.iter().map(|b| ocsp_response_around(b.raw))),
                _ => {}
            }
        }
    }
    (certs, evidence)
}

/// Wraps a BasicOCSPResponse as a successful OCSPResponse, the form the status reader takes.
fn ocsp_response_around(basic: &[u8]) -> Vec<u8> {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = body.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(body);
        out
    }
    // id-pkix-ocsp-basic 1.3.6.1.5.5.7.48.1.1
    let oid = [
        0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01,
    ];
    let mut rb = oid.to_vec();
    rb.extend(tlv(0x04, basic));
    let mut body = vec![0x0a, 0x01, 0x00];
    body.extend(tlv(0xa0, &tlv(0x30, &rb)));
    tlv(0x30, &body)
}
