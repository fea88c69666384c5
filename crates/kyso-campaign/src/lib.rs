//! Campaign operations: how far a province's campaign has got, commune by commune, and
//! the outreach work that moves it — lists of households with no registered adult,
//! assignments to community digital team members, door-to-door visits, revisits and
//! training sessions.
//!
//! The figures come from tallies the store keeps with every change of an adult's coverage
//! (see `kyso_store::campaign`): a page view adds up at most a few thousand tally rows,
//! whatever the size of the province. Who may see what is decided here, once:
//!
//! | role | coverage | households and names | assigns | records visits |
//! |---|---|---|---|---|
//! | province admin | whole province | no (village-level counts only) | no | no |
//! | commune officer | own commune | own commune | own commune | own commune |
//! | team member | own commune | own assignments | no | own assignments |
//! | provider staff | province, own provider's split | no | no | no |

pub mod charts;
pub mod coverage;
pub mod csv;
pub mod format;
pub mod outreach;
pub mod plan;

pub use coverage::{CommuneCoverage, CoverageFigures, CoverageReport, Projection};
pub use outreach::{HouseholdPage, ListKind};
pub use plan::{CampaignPlan, Phase};

use kyso_core::Clock;
use kyso_store::Store;
use kyso_store::citizens::StaffRole;
use std::sync::Arc;

/// Why a campaign operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CampaignError {
    /// The staff member's role or scope does not reach this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such commune, household, campaign or session.
    #[error("not found: {0}")]
    NotFound(String),
    /// Bad input, said in a sentence.
    #[error("{0}")]
    InvalidInput(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] kyso_store::StoreError),
}

/// Who is asking: a staff member's id, role and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// Staff id.
    pub id: String,
    /// Role.
    pub role: StaffRole,
    /// Commune code, provider id or province code, by role.
    pub scope: String,
}

impl Viewer {
    /// The province whose figures this viewer may see (provider staff: `province`, the one
    /// they asked for; their split is narrowed to their provider).
    fn province_of<'a>(&'a self, asked: Option<&'a str>) -> Option<&'a str> {
        let units = kyso_population::Units::embedded();
        match self.role {
            StaffRole::Province => Some(self.scope.as_str()),
            StaffRole::Commune | StaffRole::Team => {
                units.commune(&self.scope).map(|c| c.province_code.as_str())
            }
            StaffRole::Provider => asked,
        }
    }

    /// Whether the viewer may see the figures of `commune` (in `province`).
    fn may_see_commune(&self, province: &str, commune: &str) -> bool {
        match self.role {
            StaffRole::Province => province == self.scope,
            StaffRole::Commune | StaffRole::Team => commune == self.scope,
            StaffRole::Provider => true,
        }
    }

    /// Whether the viewer may see the households (names) of `commune`.
    fn may_list_households(&self, commune: &str) -> bool {
        matches!(self.role, StaffRole::Commune | StaffRole::Team) && commune == self.scope
    }
}

/// The campaign service.
#[derive(Clone)]
pub struct Campaigns {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Campaigns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Campaigns").finish_non_exhaustive()
    }
}

impl Campaigns {
    /// A service over `store`, telling time by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Campaigns { store, clock }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn now(&self) -> kyso_core::UnixTime {
        self.clock.now()
    }
}
