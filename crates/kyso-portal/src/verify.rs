//! The automatic check of a submitted application's signature, as the officer sees it.

use crate::{Portal, PortalError};
use kyso_store::dossiers::DossierRecord;
use kyso_verify::{Indication, Lang, Report};
use std::sync::Arc;

/// The verdict on the citizen's signature of the application.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// Valid: the signature verifies to kyso's root, its certificate was good when it was
    /// time-stamped, it covers the whole file, and it is the applicant's own.
    pub valid: bool,
    /// Why not, or what was checked, in the requested language.
    pub summary: String,
    /// The full report (signer, time, integrity, status, changes after signing).
    pub report: Report,
}

impl Portal {
    /// Verifies the signed application of `dossier` now.
    pub(crate) async fn check_application(
        &self,
        dossier: &DossierRecord,
        lang: Lang,
    ) -> Result<SignatureCheck, PortalError> {
        let file = self
            .store()
            .dossier_file(&dossier.id, "application.signed")
            .await?
            .ok_or_else(|| {
                PortalError::WrongState("the dossier has no signed application".into())
            })?;
        let anchors = self
            .ca
            .issuer("root")
            .map(|r| vec![r.cert_der.clone()])
            .unwrap_or_default();
        let fetcher = kyso_ca::local::LocalFetcher::new(self.ca.clone(), self.responder.clone());
        let now = self.now();
        let name = file.file_name.clone();
        let report = tokio::task::spawn_blocking(move || {
            let opts = kyso_verify::Options {
                anchors,
                fetcher: Some(&fetcher),
                now,
                lang,
            };
            kyso_verify::verify_pdf(&name, Arc::new(file.bytes), &opts)
        })
        .await
        .map_err(|e| PortalError::WrongState(format!("verification failed: {e}")))?;
        Ok(judge(dossier, report, lang))
    }
}

/// The application must carry exactly one signature, valid, over the whole file, by the
/// applicant (the certificate's subject names their CCCD).
fn judge(dossier: &DossierRecord, report: Report, lang: Lang) -> SignatureCheck {
    let t = |vi: &str, en: &str| match lang {
        Lang::En => en.to_owned(),
        _ => vi.to_owned(),
    };
    let signatures: Vec<_> = report
        .signatures
        .iter()
        .filter(|s| s.kind == "signature")
        .collect();
    let (valid, summary) = if let Some(e) = &report.error {
        (false, e.clone())
    } else if signatures.len() != 1 {
        (
            false,
            t(
                "Tờ khai phải có đúng một chữ ký của người nộp.",
                "The application must carry exactly one signature, the applicant's.",
            ),
        )
    } else {
        let s = signatures[0];
        let own = s
            .signer_subject
            .as_deref()
            .is_some_and(|subj| subj.contains(&format!("CCCD:{}", dossier.cccd)));
        if s.indication != Indication::TotalPassed || !report.all_passed {
            (false, s.message.clone())
        } else if !s.covers_whole_document || s.modification != "none" {
            (
                false,
                t(
                    "Tệp đã bị thay đổi sau khi ký.",
                    "The file was changed after it was signed.",
                ),
            )
        } else if !own {
            (
                false,
                t(
                    "Chữ ký không phải của người nộp hồ sơ.",
                    "The signature is not the applicant's.",
                ),
            )
        } else {
            (true, s.message.clone())
        }
    };
    SignatureCheck {
        valid,
        summary,
        report,
    }
}
