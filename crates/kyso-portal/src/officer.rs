//! The agency's side: the queue per commune (or province), a dossier with the automatic
//! verification of the citizen's signature, and the officer's decisions.

use crate::citizen::{clean_note, file};
use crate::verify::SignatureCheck;
use crate::{Portal, PortalError};
use kyso_citizens::Staff;
use kyso_core::DossierState;
use kyso_store::citizens::{AccessRecord, StaffRole};
use kyso_store::dossiers::{
    DossierEvent, DossierFile, DossierRecord, Move, PaymentRecord, QueueFilter,
};
use kyso_verify::Lang;

/// What an officer decides.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfficerAction {
    /// Receive a new dossier.
    Receive,
    /// Start processing (after receiving, or after a supplement).
    Process,
    /// Ask the citizen for more documents or corrections.
    RequestSupplement {
        /// What is needed.
        note: String,
    },
    /// Ask for the fee before going on.
    RequestFee {
        /// Amount, in đồng.
        vnd: u64,
    },
    /// Approve: the result document is made and signed with the agency's seal; returned
    /// at once, or held until the fee (the procedure's, or this amount) is paid.
    Approve {
        /// The fee due, in đồng, if not the procedure's.
        fee_vnd: Option<u64>,
    },
    /// Refuse, with the reason the citizen will read.
    Reject {
        /// Why.
        reason: String,
    },
}

impl OfficerAction {
    /// Short name (`receive`, `process`, `supplement`, `fee`, `approve`, `reject`).
    pub fn name(&self) -> &'static str {
        match self {
            OfficerAction::Receive => "receive",
            OfficerAction::Process => "process",
            OfficerAction::RequestSupplement { .. } => "supplement",
            OfficerAction::RequestFee { .. } => "fee",
            OfficerAction::Approve { .. } => "approve",
            OfficerAction::Reject { .. } => "reject",
        }
    }
}

/// A dossier as the officer sees it.
#[derive(Debug, Clone)]
pub struct OfficerView {
    /// The dossier.
    pub dossier: DossierRecord,
    /// The procedure's name (vi, en).
    pub procedure_name: (String, String),
    /// The form: (section title, [(label, value)]), in the procedure's order (vi labels).
    pub form: Vec<(String, Vec<(String, String)>)>,
    /// Files: (role, file name, size).
    pub files: Vec<(String, String, usize)>,
    /// History.
    pub events: Vec<DossierEvent>,
    /// The verification of the citizen's signature.
    pub check: SignatureCheck,
    /// Payments.
    pub payments: Vec<PaymentRecord>,
}

impl Portal {
    /// Whether `staff` handles `dossier`: a commune officer the commune-level dossiers of
    /// their commune; a province administrator every dossier of their province. Provider
    /// staff handle none.
    fn may_handle(staff: &Staff, dossier: &DossierRecord) -> bool {
        match staff.role() {
            StaffRole::Commune => {
                dossier.commune_code == staff.scope() && dossier.agency_level == "commune"
            }
            StaffRole::Province => dossier.province_code == staff.scope(),
            _ => false,
        }
    }

    /// The dossiers waiting in `staff`'s queue (every submitted state if `states` is empty).
    pub async fn queue(
        &self,
        staff: &Staff,
        states: &[DossierState],
    ) -> Result<Vec<DossierRecord>, PortalError> {
        let mut filter = QueueFilter {
            states: states.to_vec(),
            limit: 500,
            ..Default::default()
        };
        match staff.role() {
            StaffRole::Commune => filter.commune = Some(staff.scope().to_owned()),
            StaffRole::Province => filter.province = Some(staff.scope().to_owned()),
            _ => {
                return Err(PortalError::Forbidden(
                    "provider staff do not handle dossiers".into(),
                ));
            }
        }
        let mut list = self.store().dossier_queue(&filter).await?;
        list.retain(|d| Self::may_handle(staff, d));
        Ok(list)
    }

    /// A dossier `staff` handles, the read logged (refusals too).
    async fn handled(
        &self,
        staff: &Staff,
        id: &str,
        what: &str,
    ) -> Result<DossierRecord, PortalError> {
        let dossier = self
            .store()
            .get_dossier(id)
            .await?
            .filter(|d| d.state.is_submitted());
        let allowed = dossier.as_ref().is_some_and(|d| Self::may_handle(staff, d));
        if let Some(d) = &dossier {
            self.store()
                .log_access(&AccessRecord {
                    at: self.now(),
                    staff: staff.id().to_owned(),
                    cccd: d.cccd.clone(),
                    reason: format!("hồ sơ {}", d.receipt),
                    what: what.to_owned(),
                    allowed,
                })
                .await?;
        }
        match dossier {
            Some(d) if allowed => Ok(d),
            // Out of scope and unknown read alike.
            _ => Err(PortalError::Forbidden(format!(
                "dossier {} is not in {}'s queue",
                id.chars().take(64).collect::<String>(),
                staff.id()
            ))),
        }
    }

    /// Opens a dossier: data, files, history and the verification of the signature.
    pub async fn open(
        &self,
        staff: &Staff,
        id: &str,
        lang: Lang,
    ) -> Result<OfficerView, PortalError> {
        let dossier = self.handled(staff, id, "dossier").await?;
        let check = self.check_application(&dossier, lang).await?;
        let procedure = self.catalogue.get(&dossier.procedure);
        let form = procedure
            .map(|p| crate::form_view::sections(p, &dossier.form))
            .unwrap_or_default();
        let files = self
            .store()
            .dossier_files(id)
            .await?
            .into_iter()
            .filter(|f| f.role != "application.staged")
            .map(|f| (f.role, f.file_name, f.size as usize))
            .collect();
        Ok(OfficerView {
            procedure_name: procedure
                .map(|p| (p.name().vi().to_owned(), p.name().en().to_owned()))
                .unwrap_or_else(|| (dossier.procedure.clone(), dossier.procedure.clone())),
            events: self.store().dossier_events(id).await?,
            payments: self.store().payments_of(id).await?,
            dossier,
            form,
            files,
            check,
        })
    }

    /// A file of a dossier `staff` handles.
    pub async fn officer_file(
        &self,
        staff: &Staff,
        id: &str,
        role: &str,
    ) -> Result<DossierFile, PortalError> {
        self.handled(staff, id, "dossier file").await?;
        if role == "application.staged" {
            return Err(PortalError::NotFound);
        }
        self.store()
            .dossier_file(id, role)
            .await?
            .ok_or(PortalError::NotFound)
    }

    /// Applies an officer's decision to a dossier they handle.
    pub async fn act(
        &self,
        staff: &Staff,
        id: &str,
        action: OfficerAction,
    ) -> Result<DossierRecord, PortalError> {
        let dossier = self.handled(staff, id, "dossier decision").await?;
        let now = self.now();
        let r = dossier.receipt.clone();
        // An approval or a fee request on a dossier not yet received receives it first.
        let receive_first = |then: DossierState| -> Vec<DossierState> {
            if dossier.state == DossierState::New {
                vec![DossierState::Received, then]
            } else {
                vec![then]
            }
        };
        let mut mv;
        let (vi, en);
        match &action {
            OfficerAction::Receive => {
                mv = Move::new(
                    id,
                    dossier.state,
                    &[DossierState::Received],
                    staff.id(),
                    "",
                    now,
                );
                vi = format!("Hồ sơ {r} đã được tiếp nhận.");
                en = format!("Dossier {r} received.");
            }
            OfficerAction::Process => {
                mv = Move::new(
                    id,
                    dossier.state,
                    &[DossierState::Processing],
                    staff.id(),
                    "",
                    now,
                );
                vi = format!("Hồ sơ {r} đang được xử lý.");
                en = format!("Dossier {r} is being processed.");
            }
            OfficerAction::RequestSupplement { note } => {
                let note = clean_note(note, 1000)?;
                if note.is_empty() {
                    return Err(PortalError::InvalidInput(
                        "say what the citizen must add / hãy ghi rõ nội dung cần bổ sung".into(),
                    ));
                }
                mv = Move::new(
                    id,
                    dossier.state,
                    &[DossierState::SupplementRequested],
                    staff.id(),
                    &note,
                    now,
                );
                vi = format!("Hồ sơ {r} cần bổ sung: {note}");
                en = format!("Dossier {r} needs a supplement: {note}");
            }
            OfficerAction::RequestFee { vnd } => {
                let fee = fee_amount(*vnd)?;
                if fee == 0 {
                    return Err(PortalError::InvalidInput(
                        "a fee request needs an amount / hãy nhập số tiền".into(),
                    ));
                }
                mv = Move::new(
                    id,
                    dossier.state,
                    &receive_first(DossierState::FeeRequested),
                    staff.id(),
                    "",
                    now,
                );
                mv.fee_vnd = Some(fee);
                vi = format!("Hồ sơ {r}: vui lòng nộp phí, lệ phí {} đồng.", group(fee));
                en = format!("Dossier {r}: please pay the fee of {} VND.", group(fee));
            }
            OfficerAction::Approve { fee_vnd } => {
                let check = self.check_application(&dossier, Lang::Vi).await?;
                if !check.valid {
                    return Err(PortalError::SignatureInvalid(check.summary));
                }
                let fee = match fee_vnd {
                    Some(v) => fee_amount(*v)?,
                    None => dossier.fee_vnd,
                };
                let result = self.result_document(&dossier, now).await?;
                let result_file = file(
                    "result",
                    &format!("ket-qua-{}.pdf", dossier.receipt),
                    "application/pdf",
                    result,
                    now,
                );
                if fee > 0 && dossier.fee_paid_at.is_none() {
                    mv = Move::new(
                        id,
                        dossier.state,
                        &receive_first(DossierState::FeeRequested),
                        staff.id(),
                        "approved",
                        now,
                    );
                    mv.fee_vnd = Some(fee);
                    vi = format!(
                        "Hồ sơ {r} đã được duyệt. Vui lòng nộp phí, lệ phí {} đồng để nhận kết quả.",
                        group(fee)
                    );
                    en = format!(
                        "Dossier {r} approved. Please pay the fee of {} VND to receive the result.",
                        group(fee)
                    );
                } else {
                    let mut path = receive_first(DossierState::Processed);
                    path.push(DossierState::ResultReturned);
                    mv = Move::new(id, dossier.state, &path, staff.id(), "approved", now);
                    vi = format!("Hồ sơ {r} đã có kết quả: mời tải về.");
                    en = format!("Dossier {r}: the result is ready to download.");
                }
                mv.files = vec![result_file];
            }
            OfficerAction::Reject { reason } => {
                let reason = clean_note(reason, 1000)?;
                if reason.is_empty() {
                    return Err(PortalError::InvalidInput(
                        "a rejection needs its reason / từ chối phải nêu lý do".into(),
                    ));
                }
                mv = Move::new(
                    id,
                    dossier.state,
                    &[DossierState::Rejected],
                    staff.id(),
                    &reason,
                    now,
                );
                vi = format!("Hồ sơ {r} bị từ chối: {reason}");
                en = format!("Dossier {r} rejected: {reason}");
            }
        }
        mv.notice = Some((vi.clone(), en));
        let d = self.store().move_dossier(&mv).await?;
        self.announce(&d, &vi).await;
        Ok(d)
    }
}

fn fee_amount(vnd: u64) -> Result<i64, PortalError> {
    if vnd > 100_000_000 {
        return Err(PortalError::InvalidInput(
            "a fee above 100,000,000 đồng is not plausible / số tiền không hợp lý".into(),
        ));
    }
    Ok(vnd as i64)
}

/// 180000 → "180.000" (Vietnamese digit grouping).
pub(crate) fn group(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}
