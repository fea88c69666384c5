//! The result document: what the agency returns (a birth-registration extract, a
//! residence confirmation, …), rendered with the dossier's data and signed with the
//! agency's seal as a certification signature at B-LT, so that any validator can check it
//! years later without asking kyso.

use crate::{Portal, PortalError, place_date};
use kyso_core::UnixTime;
use kyso_docs::render::{Application, render_application};
use kyso_remote::documents::{Level, PdfOptions};
use kyso_store::dossiers::DossierRecord;

impl Portal {
    /// Renders and seals the result document of `dossier`.
    pub(crate) async fn result_document(
        &self,
        dossier: &DossierRecord,
        now: UnixTime,
    ) -> Result<Vec<u8>, PortalError> {
        let seal = self.config.seal_serial.clone().ok_or_else(|| {
            PortalError::NotConfigured(
                "no agency seal certificate (kyso portal configure --seal-serial SERIAL)".into(),
            )
        })?;
        let procedure = self
            .catalogue
            .get(&dossier.procedure)
            .ok_or_else(|| PortalError::UnknownProcedure(dossier.procedure.clone()))?;
        let mut sections = vec![(
            "Thông tin hồ sơ".to_owned(),
            vec![
                ("Số hồ sơ".to_owned(), dossier.receipt.clone()),
                (
                    "Thủ tục".to_owned(),
                    format!("{} ({})", procedure.name().vi(), procedure.code()),
                ),
                ("Người nộp hồ sơ".to_owned(), dossier.applicant.clone()),
                ("Số CCCD người nộp".to_owned(), dossier.cccd.clone()),
            ],
        )];
        sections.extend(crate::form_view::sections(procedure, &dossier.form));
        let agency = procedure.agency().vi().to_owned();
        let app = Application {
            title: procedure.result_title().vi().to_uppercase(),
            procedure_code: procedure.code().to_owned(),
            // "Kính gửi": the result is addressed to the applicant.
            agency: dossier.applicant.clone(),
            receipt: Some(dossier.receipt.clone()),
            sections,
            declaration: format!(
                "{agency} xác nhận kết quả giải quyết hồ sơ {} theo các thông tin trên. Văn bản điện tử này được ký số bằng con dấu của cơ quan và có giá trị như bản giấy.",
                dossier.receipt
            ),
            place_date: place_date(&self.config.place, now),
            applicant: agency,
        };
        let rendered = render_application(&app)?;
        let options = PdfOptions {
            level: Level::BLT,
            reason: Some(format!("Kết quả hồ sơ {}", dossier.receipt)),
            location: Some(self.config.place.clone()),
            visible: Some(rendered.signature_box),
            certify: true,
        };
        Ok(self
            .remote()
            .seal_pdf(&rendered.pdf, &seal, &options)
            .await?)
    }
}
