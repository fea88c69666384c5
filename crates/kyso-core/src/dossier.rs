//! The states of an online public-service dossier (hồ sơ) and the moves between them.
//!
//! The states are those Vietnamese portals show (new, received, processing, supplement
//! requested, fee payment requested, processed, result returned, rejected, withdrawn),
//! plus `signing`: the citizen has filled in the form and kyso waits for them to approve
//! the signature on their phone. A dossier in `signing` has not been submitted — no
//! officer sees it — and becomes `new` when the signed application is stored.
//!
//! Which move is allowed from which state is decided here, once; the store applies a move
//! only if the dossier is still in the state the caller read (compare and set), so two
//! officers acting at once cannot both succeed.

use std::fmt;

/// Where a dossier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DossierState {
    /// Filled in; waiting for the citizen to approve the signature (not yet submitted).
    Signing,
    /// Submitted with a signed application; waiting for the agency to receive it.
    New,
    /// Received by the agency.
    Received,
    /// Being processed.
    Processing,
    /// The agency asked the citizen for more documents or corrections.
    SupplementRequested,
    /// The citizen sent the supplement.
    Resubmitted,
    /// The agency asked for the fee.
    FeeRequested,
    /// Processed: the result document exists.
    Processed,
    /// The result document was returned to the citizen.
    ResultReturned,
    /// Refused by the agency, with a reason.
    Rejected,
    /// Withdrawn by the citizen.
    Withdrawn,
}

impl DossierState {
    /// Every state, in the order of a dossier's life.
    pub const ALL: [DossierState; 11] = [
        DossierState::Signing,
        DossierState::New,
        DossierState::Received,
        DossierState::Processing,
        DossierState::SupplementRequested,
        DossierState::Resubmitted,
        DossierState::FeeRequested,
        DossierState::Processed,
        DossierState::ResultReturned,
        DossierState::Rejected,
        DossierState::Withdrawn,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DossierState::Signing => "signing",
            DossierState::New => "new",
            DossierState::Received => "received",
            DossierState::Processing => "processing",
            DossierState::SupplementRequested => "supplement_requested",
            DossierState::Resubmitted => "resubmitted",
            DossierState::FeeRequested => "fee_requested",
            DossierState::Processed => "processed",
            DossierState::ResultReturned => "result_returned",
            DossierState::Rejected => "rejected",
            DossierState::Withdrawn => "withdrawn",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The state's name as portals show it, in Vietnamese.
    pub fn label_vi(self) -> &'static str {
        match self {
            DossierState::Signing => "Chờ ký số",
            DossierState::New => "Mới nộp",
            DossierState::Received => "Đã tiếp nhận",
            DossierState::Processing => "Đang xử lý",
            DossierState::SupplementRequested => "Yêu cầu bổ sung",
            DossierState::Resubmitted => "Đã bổ sung",
            DossierState::FeeRequested => "Chờ nộp phí",
            DossierState::Processed => "Đã xử lý xong",
            DossierState::ResultReturned => "Đã trả kết quả",
            DossierState::Rejected => "Từ chối",
            DossierState::Withdrawn => "Đã rút hồ sơ",
        }
    }

    /// The state's name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            DossierState::Signing => "Awaiting signature",
            DossierState::New => "Submitted",
            DossierState::Received => "Received",
            DossierState::Processing => "Processing",
            DossierState::SupplementRequested => "Supplement requested",
            DossierState::Resubmitted => "Supplement sent",
            DossierState::FeeRequested => "Fee payment requested",
            DossierState::Processed => "Processed",
            DossierState::ResultReturned => "Result returned",
            DossierState::Rejected => "Rejected",
            DossierState::Withdrawn => "Withdrawn",
        }
    }

    /// Whether the dossier's life is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DossierState::ResultReturned | DossierState::Rejected | DossierState::Withdrawn
        )
    }

    /// Whether the agency sees the dossier (it has been submitted).
    pub fn is_submitted(self) -> bool {
        self != DossierState::Signing
    }

    /// Whether a move from `self` to `to` is allowed.
    pub fn can_move_to(self, to: DossierState) -> bool {
        use DossierState::*;
        match (self, to) {
            (Signing, New) => true,
            (New, Received) => true,
            (Received | Resubmitted, Processing) => true,
            (Received | Processing | Resubmitted, SupplementRequested) => true,
            (SupplementRequested, Resubmitted) => true,
            (Received | Processing | Resubmitted, FeeRequested) => true,
            // Paid: back to processing, or on to the result held for the payment.
            (FeeRequested, Processing | Processed) => true,
            (Received | Processing | Resubmitted, Processed) => true,
            (Processed, ResultReturned) => true,
            (New | Received | Processing | SupplementRequested | Resubmitted, Rejected) => true,
            // The citizen may withdraw until the agency has decided.
            (
                Signing | New | Received | Processing | SupplementRequested | Resubmitted
                | FeeRequested,
                Withdrawn,
            ) => true,
            _ => false,
        }
    }
}

impl fmt::Display for DossierState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_round_trip() {
        for s in DossierState::ALL {
            assert_eq!(DossierState::parse(s.as_str()), Some(s));
        }
        assert_eq!(DossierState::parse("done"), None);
    }

    #[test]
    fn final_states_go_nowhere() {
        for from in DossierState::ALL.into_iter().filter(|s| s.is_final()) {
            for to in DossierState::ALL {
                assert!(!from.can_move_to(to), "{from} → {to}");
            }
        }
    }

    #[test]
    fn the_usual_life_is_allowed() {
        use DossierState::*;
        let life = [
            Signing,
            New,
            Received,
            Processing,
            SupplementRequested,
            Resubmitted,
            FeeRequested,
            Processed,
            ResultReturned,
        ];
        for w in life.windows(2) {
            assert!(w[0].can_move_to(w[1]), "{} → {}", w[0], w[1]);
        }
        assert!(!New.can_move_to(Processed), "an agency must receive first");
        assert!(
            !Signing.can_move_to(Received),
            "an unsigned dossier is not submitted"
        );
        assert!(!Processed.can_move_to(Rejected));
    }
}
