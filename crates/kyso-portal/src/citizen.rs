//! The citizen's side: submit (form → PDF → staged signature → approval on the phone →
//! signed application), follow, supplement, withdraw, download.

use crate::{Portal, PortalError, place_date};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kyso_core::DossierState;
use kyso_docs::render::{Application, render_application};
use kyso_dossiers::catalogue::Procedure;
use kyso_dossiers::form::{self, check_attachment, missing_attachments};
use kyso_population::Date;
use kyso_remote::StagedPdfSignature;
use kyso_remote::documents::{Level, PdfOptions};
use kyso_remote::transactions::Document;
use kyso_store::dossiers::{
    DossierEvent, DossierFile, DossierRecord, Move, NotificationRecord, PaymentRecord,
};

/// An uploaded file for one of the procedure's attachment slots.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The attachment's id in the procedure.
    pub slot: String,
    /// The file name the browser sent.
    pub file_name: String,
    /// The media type the browser declared (only words a refusal).
    pub content_type: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A dossier created and waiting for the citizen's approval on the phone.
#[derive(Debug, Clone)]
pub struct Started {
    /// The dossier (state `signing`).
    pub dossier: DossierRecord,
    /// The short code the phone page shows with the request.
    pub short_code: String,
    /// The signature request.
    pub request_id: String,
}

/// A dossier as its citizen sees it.
#[derive(Debug, Clone)]
pub struct CitizenDossier {
    /// The dossier.
    pub dossier: DossierRecord,
    /// The procedure's name (vi, en).
    pub procedure_name: (String, String),
    /// Its history.
    pub events: Vec<DossierEvent>,
    /// Files the citizen may download: (role, file name, size).
    pub files: Vec<(String, String, usize)>,
    /// The short code of the waiting signature request, while `signing`.
    pub short_code: Option<String>,
    /// Payments made.
    pub payments: Vec<PaymentRecord>,
    /// Whether the citizen may still withdraw it (the rule [`Portal::withdraw`] applies).
    pub may_withdraw: bool,
}

/// A citizen may withdraw until the agency has decided: not from a final state, and not
/// once approved with the result held for the fee.
fn withdrawable(state: DossierState, result_held: bool) -> bool {
    state.can_move_to(DossierState::Withdrawn)
        && !(state == DossierState::FeeRequested && result_held)
}

/// File roles a citizen may download in a given state.
fn citizen_may_download(role: &str, state: DossierState) -> bool {
    match role {
        "application" | "application.signed" => true,
        "result" => state == DossierState::ResultReturned,
        r => r.starts_with("attachment."),
    }
}

/// The text of the application's declaration.
const DECLARATION: &str = "Tôi cam đoan nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về lời cam đoan của mình.";

impl Portal {
    /// Checks the form and attachments, renders the application, stages its signature,
    /// asks the citizen to approve it on the phone and stores the dossier (`signing`).
    pub async fn start(
        &self,
        cccd: &str,
        procedure_code: &str,
        fields: &[(String, String)],
        uploads: Vec<Upload>,
    ) -> Result<Started, PortalError> {
        let procedure = self.catalogue.get(procedure_code).ok_or_else(|| {
            PortalError::UnknownProcedure(procedure_code.chars().take(32).collect())
        })?;
        let person = self
            .store()
            .get_person(cccd)
            .await?
            .ok_or(PortalError::NotEnrolled)?;
        let credential = self
            .remote()
            .citizen_credential(cccd)
            .await?
            .ok_or(PortalError::NotEnrolled)?;
        let now = self.now();
        let valid = form::validate(
            procedure,
            fields.iter().map(|(k, v)| (k, v)),
            Date::today_in_vietnam(now),
        )
        .map_err(PortalError::Form)?;
        let attachments = check_uploads(procedure, uploads, now)?;

        let seq = self.store().reserve_sequence("dossier.receipt", 1).await?;
        let (y, m, d, ..) = kyso_core::clock::civil_from_unix(now.seconds() + 7 * 3600);
        let receipt = format!(
            "H{}.{}-{:02}{m:02}{d:02}-{seq:06}",
            person.province_code,
            person.commune_code,
            y % 100
        );
        let form_json = crate::form_view::stored(&valid);
        let app = application(
            procedure,
            &form_json,
            &receipt,
            &person.full_name,
            &self.config.place,
            now,
        );
        let rendered = render_application(&app)?;
        let options = PdfOptions {
            level: Level::BT,
            reason: Some(format!("Nộp hồ sơ {receipt}")),
            location: Some(self.config.place.clone()),
            visible: Some(rendered.signature_box),
            certify: false,
        };
        let staged = self
            .remote()
            .stage_pdf_signature(&rendered.pdf, &credential, &options)
            .await?;
        let name = format!("{} — {receipt}", procedure.name().vi());
        let request = self
            .remote()
            .request_signature(
                "neac",
                crate::PORTAL_CLIENT,
                &credential,
                &[Document {
                    hash: STANDARD.encode(staged.to_be_signed()),
                    name: name.chars().take(200).collect(),
                }],
                &format!("Ký tờ khai để nộp hồ sơ {receipt}"),
            )
            .await?;

        let dossier = DossierRecord {
            id: format!("hs-{}", random_id()),
            receipt: receipt.clone(),
            procedure: procedure.code().to_owned(),
            cccd: cccd.to_owned(),
            applicant: person.full_name.clone(),
            commune_code: person.commune_code.clone(),
            province_code: person.province_code.clone(),
            agency_level: procedure.agency_level().as_str().to_owned(),
            state: DossierState::Signing,
            form: form_json,
            fee_vnd: i64::try_from(procedure.fee().vnd()).unwrap_or(i64::MAX),
            fee_paid_at: None,
            signing_request: Some(request.id.clone()),
            created_at: now,
            submitted_at: None,
            updated_at: now,
        };
        let mut files = vec![
            file(
                "application",
                &format!("to-khai-{receipt}.pdf"),
                "application/pdf",
                rendered.pdf,
                now,
            ),
            file(
                "application.staged",
                "staged.bin",
                "application/octet-stream",
                staged.to_bytes(),
                now,
            ),
        ];
        files.extend(attachments);
        self.store().create_dossier(&dossier, &files).await?;
        Ok(Started {
            dossier,
            short_code: request.short_code,
            request_id: request.id,
        })
    }

    /// A dossier of this citizen, or [`PortalError::NotFound`] (also for another's).
    pub(crate) async fn own_dossier(
        &self,
        cccd: &str,
        id: &str,
    ) -> Result<DossierRecord, PortalError> {
        self.store()
            .get_dossier(id)
            .await?
            .filter(|d| d.cccd == cccd)
            .ok_or(PortalError::NotFound)
    }

    /// Once the citizen has approved on the phone: checks and embeds the signature and
    /// submits the dossier (`new`). While the request waits: [`PortalError::AwaitingApproval`].
    /// Idempotent: a dossier already submitted is returned as it is.
    pub async fn complete_signature(
        &self,
        cccd: &str,
        id: &str,
    ) -> Result<DossierRecord, PortalError> {
        let dossier = self.own_dossier(cccd, id).await?;
        if dossier.state != DossierState::Signing {
            return Ok(dossier);
        }
        let request_id = dossier
            .signing_request
            .clone()
            .ok_or_else(|| PortalError::WrongState("no signature request".into()))?;
        let (t, status) = self
            .remote()
            .request_status(crate::PORTAL_CLIENT, &request_id)
            .await?;
        use kyso_remote::transactions::RequestStatus;
        match status {
            RequestStatus::Waiting => return Err(PortalError::AwaitingApproval(t.short_code)),
            RequestStatus::Rejected => return Err(PortalError::SignatureNotGiven("rejected")),
            RequestStatus::Expired => return Err(PortalError::SignatureNotGiven("expired")),
            RequestStatus::Approved => {}
        }
        let signature = t
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str::<Vec<String>>(r).ok())
            .and_then(|v| v.into_iter().next())
            .and_then(|b64| STANDARD.decode(b64).ok())
            .ok_or_else(|| {
                PortalError::WrongState("the approved request holds no signature".into())
            })?;
        let staged_file = self
            .store()
            .dossier_file(id, "application.staged")
            .await?
            .ok_or_else(|| PortalError::WrongState("the staged signature is missing".into()))?;
        let staged = StagedPdfSignature::from_bytes(&staged_file.bytes)?;
        let signed = self
            .remote()
            .finish_pdf_signature(&staged, &signature)
            .await?;
        let now = self.now();
        let mut mv = Move::new(
            id,
            DossierState::Signing,
            &[DossierState::New],
            "citizen",
            "",
            now,
        );
        mv.files = vec![file(
            "application.signed",
            &format!("to-khai-{}-da-ky.pdf", dossier.receipt),
            "application/pdf",
            signed,
            now,
        )];
        mv.signing_request = Some(None);
        let text = format!(
            "Hồ sơ {} đã được nộp, chờ cơ quan tiếp nhận.",
            dossier.receipt
        );
        mv.notice = Some((
            text.clone(),
            format!(
                "Dossier {} submitted; waiting for the agency to receive it.",
                dossier.receipt
            ),
        ));
        match self.store().move_dossier(&mv).await {
            Ok(d) => {
                self.announce(&d, &text).await;
                Ok(d)
            }
            // Two tabs finishing at once: the other one submitted it.
            Err(kyso_store::StoreError::Conflict(_)) => self.own_dossier(cccd, id).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the dossier holds its result document (made at approval, perhaps held for
    /// the fee).
    pub(crate) async fn result_held(&self, id: &str) -> Result<bool, PortalError> {
        Ok(self
            .store()
            .dossier_files(id)
            .await?
            .iter()
            .any(|f| f.role == "result"))
    }

    /// The citizen's dossiers, newest first.
    pub async fn dossiers_of(&self, cccd: &str) -> Result<Vec<DossierRecord>, PortalError> {
        Ok(self.store().dossiers_of(cccd, 200).await?)
    }

    /// One of the citizen's dossiers with its history and downloadable files.
    pub async fn citizen_dossier(
        &self,
        cccd: &str,
        id: &str,
    ) -> Result<CitizenDossier, PortalError> {
        let dossier = self.own_dossier(cccd, id).await?;
        let events = self.store().dossier_events(id).await?;
        let all = self.store().dossier_files(id).await?;
        let may_withdraw = withdrawable(dossier.state, all.iter().any(|f| f.role == "result"));
        let files = all
            .into_iter()
            .filter(|f| citizen_may_download(&f.role, dossier.state))
            .map(|f| (f.role, f.file_name, f.size as usize))
            .collect();
        let short_code = match (&dossier.signing_request, dossier.state) {
            (Some(r), DossierState::Signing) => self
                .remote()
                .request_status(crate::PORTAL_CLIENT, r)
                .await
                .ok()
                .map(|(t, _)| t.short_code),
            _ => None,
        };
        let procedure_name = self
            .catalogue
            .get(&dossier.procedure)
            .map(|p| (p.name().vi().to_owned(), p.name().en().to_owned()))
            .unwrap_or_else(|| (dossier.procedure.clone(), dossier.procedure.clone()));
        let payments = self.store().payments_of(id).await?;
        Ok(CitizenDossier {
            dossier,
            procedure_name,
            events,
            files,
            short_code,
            payments,
            may_withdraw,
        })
    }

    /// A file of the citizen's dossier; the result only once returned.
    pub async fn citizen_file(
        &self,
        cccd: &str,
        id: &str,
        role: &str,
    ) -> Result<DossierFile, PortalError> {
        let dossier = self.own_dossier(cccd, id).await?;
        if !citizen_may_download(role, dossier.state) {
            return Err(PortalError::NotFound);
        }
        self.store()
            .dossier_file(id, role)
            .await?
            .ok_or(PortalError::NotFound)
    }

    /// Sends the supplement the agency asked for (attachments replace those of the same
    /// slot).
    pub async fn resubmit(
        &self,
        cccd: &str,
        id: &str,
        uploads: Vec<Upload>,
        note: &str,
    ) -> Result<DossierRecord, PortalError> {
        let dossier = self.own_dossier(cccd, id).await?;
        if dossier.state != DossierState::SupplementRequested {
            return Err(PortalError::WrongState(format!(
                "dossier {} is {}, not waiting for a supplement",
                dossier.receipt,
                dossier.state.label_en()
            )));
        }
        let procedure = self
            .catalogue
            .get(&dossier.procedure)
            .ok_or_else(|| PortalError::UnknownProcedure(dossier.procedure.clone()))?;
        let now = self.now();
        let files = check_some_uploads(procedure, uploads, now)?;
        if files.is_empty() && note.trim().is_empty() {
            return Err(PortalError::InvalidInput(
                "attach a document or write what was corrected / hãy đính kèm giấy tờ hoặc ghi nội dung bổ sung".into(),
            ));
        }
        let note = clean_note(note, 1000)?;
        let mut mv = Move::new(
            id,
            dossier.state,
            &[DossierState::Resubmitted],
            "citizen",
            &note,
            now,
        );
        mv.files = files;
        let text = format!("Hồ sơ {}: đã gửi bổ sung.", dossier.receipt);
        mv.notice = Some((
            text.clone(),
            format!("Dossier {}: supplement sent.", dossier.receipt),
        ));
        let d = self.store().move_dossier(&mv).await?;
        self.announce(&d, &text).await;
        Ok(d)
    }

    /// The citizen withdraws a dossier the agency has not decided.
    pub async fn withdraw(&self, cccd: &str, id: &str) -> Result<DossierRecord, PortalError> {
        let dossier = self.own_dossier(cccd, id).await?;
        let held = self.result_held(id).await?;
        if dossier.state.can_move_to(DossierState::Withdrawn) && !withdrawable(dossier.state, held)
        {
            return Err(PortalError::WrongState(format!(
                "dossier {} is approved; its result waits for the fee",
                dossier.receipt
            )));
        }
        let mut mv = Move::new(
            id,
            dossier.state,
            &[DossierState::Withdrawn],
            "citizen",
            "",
            self.now(),
        );
        let text = format!("Hồ sơ {} đã được rút.", dossier.receipt);
        mv.notice = Some((
            text.clone(),
            format!("Dossier {} withdrawn.", dossier.receipt),
        ));
        mv.signing_request = Some(None);
        let d = self.store().move_dossier(&mv).await?;
        self.announce(&d, &text).await;
        Ok(d)
    }

    /// The citizen's notifications, newest first.
    pub async fn notifications(&self, cccd: &str) -> Result<Vec<NotificationRecord>, PortalError> {
        Ok(self.store().notifications(cccd, 50).await?)
    }

    /// Marks the citizen's notifications read up to `up_to`.
    pub async fn mark_read(&self, cccd: &str, up_to: i64) -> Result<u64, PortalError> {
        Ok(self
            .store()
            .mark_notifications_read(cccd, up_to, self.now())
            .await?)
    }
}

/// A note (supplement remark, reason): trimmed, at most `max` characters, no control
/// characters but line breaks.
pub(crate) fn clean_note(note: &str, max: usize) -> Result<String, PortalError> {
    let note = note.trim();
    if note.chars().count() > max {
        return Err(PortalError::InvalidInput(format!(
            "at most {max} characters / tối đa {max} ký tự"
        )));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(PortalError::InvalidInput(
            "control characters are not allowed / không được chứa ký tự điều khiển".into(),
        ));
    }
    Ok(note.to_owned())
}

pub(crate) fn file(
    role: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
    at: kyso_core::UnixTime,
) -> DossierFile {
    DossierFile {
        role: role.to_owned(),
        file_name: name.to_owned(),
        mime: mime.to_owned(),
        bytes,
        added_at: at,
    }
}

/// Every upload checked; every required slot present.
fn check_uploads(
    procedure: &Procedure,
    uploads: Vec<Upload>,
    now: kyso_core::UnixTime,
) -> Result<Vec<DossierFile>, PortalError> {
    let files = check_some_uploads(procedure, uploads, now)?;
    let missing: Vec<String> = missing_attachments(
        procedure,
        files
            .iter()
            .filter_map(|f| f.role.strip_prefix("attachment.")),
    )
    .into_iter()
    .map(|a| a.label().vi().to_owned())
    .collect();
    if !missing.is_empty() {
        return Err(PortalError::MissingAttachments(missing));
    }
    Ok(files)
}

/// The uploads given, checked (empty slots skipped).
fn check_some_uploads(
    procedure: &Procedure,
    uploads: Vec<Upload>,
    now: kyso_core::UnixTime,
) -> Result<Vec<DossierFile>, PortalError> {
    let mut files: Vec<DossierFile> = Vec::new();
    for u in uploads {
        if u.bytes.is_empty() && u.file_name.is_empty() {
            continue; // a file input left empty
        }
        let checked =
            check_attachment(procedure, &u.slot, &u.content_type, u.bytes).map_err(|error| {
                PortalError::Attachment {
                    slot: u.slot.chars().take(64).collect(),
                    error,
                }
            })?;
        let file_type = checked.file_type();
        let role = format!("attachment.{}", checked.id());
        let name = safe_file_name(&u.file_name, checked.id(), file_type.name());
        files.retain(|f| f.role != role);
        files.push(file(
            &role,
            &name,
            file_type.mime(),
            checked.into_bytes(),
            now,
        ));
    }
    Ok(files)
}

/// A file name safe to echo in a `Content-Disposition`: the browser's, stripped of paths
/// and anything but letters, digits, `.`, `-`, `_`; else the slot's id.
fn safe_file_name(given: &str, slot: &str, ext: &str) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(80)
        .collect();
    if clean.trim_matches('.').is_empty() {
        format!("{slot}.{}", ext.to_ascii_lowercase())
    } else {
        clean
    }
}

/// The application document for a valid form.
fn application(
    procedure: &Procedure,
    form: &str,
    receipt: &str,
    applicant: &str,
    place: &str,
    now: kyso_core::UnixTime,
) -> Application {
    let sections = crate::form_view::sections(procedure, form);
    Application {
        title: format!("TỜ KHAI {}", procedure.name().vi().to_uppercase()),
        procedure_code: procedure.code().to_owned(),
        agency: procedure.agency().vi().to_owned(),
        receipt: Some(receipt.to_owned()),
        sections,
        declaration: DECLARATION.into(),
        place_date: place_date(place, now),
        applicant: applicant.to_owned(),
    }
}

pub(crate) fn random_id() -> String {
    let mut b = [0u8; 12];
    aws_lc_rs::rand::fill(&mut b).expect("system random generator failed");
    hex::encode(b)
}
