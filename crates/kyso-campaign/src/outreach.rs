//! Outreach: households with no registered adult, assignments to team members, visits,
//! revisits, training sessions — each step checked against the viewer's role and commune.

use crate::{CampaignError, Campaigns, Viewer};
use kyso_core::{CampaignDay, Cccd, VisitOutcome};
use kyso_store::campaign::{
    AttendeeRecord, HouseholdFilter, OutreachAdult, OutreachHousehold, TrainingRecord,
    VillageTally, VisitRecord, VisitTally,
};
use kyso_store::citizens::StaffRole;

/// Households per page.
pub const PAGE: u32 = 50;
/// Longest note on a visit.
pub const MAX_NOTE_CHARS: usize = 500;

/// Which list of households.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListKind {
    /// Households with no covered adult.
    Unregistered,
    /// Unregistered households no one is assigned to.
    Unassigned,
    /// Unregistered households whose revisit day has come.
    Revisit,
    /// Every household.
    All,
}

impl ListKind {
    /// Parses the query-string form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unregistered" | "" => ListKind::Unregistered,
            "unassigned" => ListKind::Unassigned,
            "revisit" => ListKind::Revisit,
            "all" => ListKind::All,
            _ => return None,
        })
    }

    /// Query-string form.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Unregistered => "unregistered",
            ListKind::Unassigned => "unassigned",
            ListKind::Revisit => "revisit",
            ListKind::All => "all",
        }
    }
}

/// A page of households.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdPage {
    /// The households.
    pub households: Vec<OutreachHousehold>,
    /// How many match in all.
    pub total: u64,
    /// The id to continue after, if there are more.
    pub next: Option<String>,
}

impl Campaigns {
    fn require_commune_lists(&self, viewer: &Viewer, commune: &str) -> Result<(), CampaignError> {
        if viewer.may_list_households(commune) {
            Ok(())
        } else {
            Err(CampaignError::Forbidden(format!(
                "{} cannot see the households of commune {commune}",
                viewer.id
            )))
        }
    }

    fn require_officer(&self, viewer: &Viewer, commune: &str) -> Result<(), CampaignError> {
        if viewer.role == StaffRole::Commune && viewer.scope == commune {
            Ok(())
        } else {
            Err(CampaignError::Forbidden(format!(
                "only commune {commune}'s officers do this"
            )))
        }
    }

    /// A page of a commune's households. Team members see only their own assignments.
    pub async fn households(
        &self,
        viewer: &Viewer,
        commune: &str,
        kind: ListKind,
        village: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<HouseholdPage, CampaignError> {
        self.require_commune_lists(viewer, commune)?;
        let today = CampaignDay::of(self.now());
        let mut filter = HouseholdFilter {
            commune_code: commune.to_owned(),
            village: village.filter(|v| !v.is_empty()).map(str::to_owned),
            uncovered_only: kind != ListKind::All,
            unassigned_only: kind == ListKind::Unassigned,
            revisit_due_by: (kind == ListKind::Revisit).then_some(today),
            after: after.map(str::to_owned),
            limit: limit.clamp(1, 5_000),
            ..Default::default()
        };
        if viewer.role == StaffRole::Team {
            filter.assigned_to = Some(viewer.id.clone());
        }
        let total = self.store.count_outreach_households(&filter).await?;
        filter.limit += 1;
        let mut households = self.store.outreach_households(&filter).await?;
        let next = if households.len() as u32 > filter.limit - 1 {
            households.pop();
            households.last().map(|h| h.id.clone())
        } else {
            None
        };
        Ok(HouseholdPage {
            households,
            total,
            next,
        })
    }

    /// A team member's list for today: their unregistered households never visited, due
    /// for a revisit, or visited today.
    pub async fn todays_list(
        &self,
        viewer: &Viewer,
    ) -> Result<Vec<OutreachHousehold>, CampaignError> {
        if viewer.role != StaffRole::Team {
            return Err(CampaignError::Forbidden(
                "the day's list is a team member's".into(),
            ));
        }
        let filter = HouseholdFilter {
            commune_code: viewer.scope.clone(),
            assigned_to: Some(viewer.id.clone()),
            uncovered_only: true,
            due_on: Some(CampaignDay::of(self.now())),
            limit: 500,
            ..Default::default()
        };
        Ok(self.store.outreach_households(&filter).await?)
    }

    /// One household, for someone who may see it.
    pub async fn household(
        &self,
        viewer: &Viewer,
        commune: &str,
        id: &str,
    ) -> Result<(OutreachHousehold, Vec<VisitRecord>), CampaignError> {
        self.require_commune_lists(viewer, commune)?;
        let h = self
            .store
            .outreach_household(commune, id)
            .await?
            .ok_or_else(|| {
                CampaignError::NotFound(format!("household {id} in commune {commune}"))
            })?;
        if viewer.role == StaffRole::Team && h.assigned_to.as_deref() != Some(viewer.id.as_str()) {
            return Err(CampaignError::Forbidden(format!(
                "household {id} is not assigned to {}",
                viewer.id
            )));
        }
        let visits = self.store.visits_of(id).await?;
        Ok((h, visits))
    }

    /// Households per village of a commune (counts only: province administrators too).
    pub async fn villages(
        &self,
        viewer: &Viewer,
        commune: &str,
    ) -> Result<Vec<VillageTally>, CampaignError> {
        let units = kyso_population::Units::embedded();
        let province = units
            .commune(commune)
            .map(|c| c.province_code.clone())
            .ok_or_else(|| CampaignError::NotFound(format!("commune {commune}")))?;
        if !viewer.may_see_commune(&province, commune) || viewer.role == StaffRole::Provider {
            return Err(CampaignError::Forbidden(format!(
                "{} cannot see commune {commune}",
                viewer.id
            )));
        }
        Ok(self.store.village_tallies(commune).await?)
    }

    /// Adults of a commune with no valid certificate (for the CSV export).
    pub async fn unregistered_adults(
        &self,
        viewer: &Viewer,
        commune: &str,
        village: Option<&str>,
    ) -> Result<Vec<OutreachAdult>, CampaignError> {
        self.require_commune_lists(viewer, commune)?;
        if viewer.role == StaffRole::Team {
            return Err(CampaignError::Forbidden(
                "team members see their assigned households only".into(),
            ));
        }
        let mut out = Vec::new();
        let mut after: Option<(String, String)> = None;
        loop {
            let page = self
                .store
                .uncovered_adults(
                    commune,
                    village,
                    after.as_ref().map(|(h, c)| (h.as_str(), c.as_str())),
                    5_000,
                )
                .await?;
            let done = page.len() < 5_000;
            after = page
                .last()
                .map(|a| (a.household_id.clone(), a.cccd.clone()));
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }

    /// The team members of a commune (id, name).
    pub async fn team_members(
        &self,
        commune: &str,
    ) -> Result<Vec<(String, String)>, CampaignError> {
        Ok(self
            .store
            .list_staff()
            .await?
            .into_iter()
            .filter(|s| s.role == StaffRole::Team && s.scope == commune)
            .map(|s| (s.id, s.name))
            .collect())
    }

    /// Assigns households of the officer's commune to one of its team members (`None`
    /// unassigns). Returns how many changed.
    pub async fn assign(
        &self,
        viewer: &Viewer,
        commune: &str,
        household_ids: &[String],
        member: Option<&str>,
    ) -> Result<u64, CampaignError> {
        self.require_officer(viewer, commune)?;
        if household_ids.is_empty() {
            return Err(CampaignError::InvalidInput(
                "choose at least one household".into(),
            ));
        }
        if let Some(m) = member
            && !self
                .team_members(commune)
                .await?
                .iter()
                .any(|(id, _)| id == m)
        {
            return Err(CampaignError::InvalidInput(format!(
                "{m:?} is not a team member of commune {commune}"
            )));
        }
        Ok(self
            .store
            .assign_households(commune, household_ids, member, &viewer.id, self.now())
            .await?)
    }

    /// Records a visit. A team member records on their own assignments; the commune
    /// officer on any household of the commune. Without a revisit day, the outcome's
    /// default applies.
    pub async fn record_visit(
        &self,
        viewer: &Viewer,
        household_id: &str,
        outcome: VisitOutcome,
        revisit_on: Option<CampaignDay>,
        note: Option<&str>,
    ) -> Result<(), CampaignError> {
        let commune = match viewer.role {
            StaffRole::Team | StaffRole::Commune => viewer.scope.clone(),
            _ => {
                return Err(CampaignError::Forbidden(
                    "visits are recorded by the commune's officers and team members".into(),
                ));
            }
        };
        let now = self.now();
        let today = CampaignDay::of(now);
        if let Some(d) = revisit_on
            && (d < today || d > today.plus(366))
        {
            return Err(CampaignError::InvalidInput(
                "the revisit day is between today and a year from now".into(),
            ));
        }
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Some(
                kyso_core::TextField::parse("note", n, MAX_NOTE_CHARS)
                    .map_err(|e| CampaignError::InvalidInput(e.to_string()))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let province = kyso_population::Units::embedded()
            .commune(&commune)
            .map(|c| c.province_code.clone())
            .unwrap_or_default();
        let visit = VisitRecord {
            household_id: household_id.to_owned(),
            commune_code: commune.clone(),
            province_code: province,
            member: viewer.id.clone(),
            at: now,
            outcome,
            revisit_on: revisit_on
                .or_else(|| outcome.default_revisit_days().map(|d| today.plus(d))),
            note,
        };
        let assignee = (viewer.role == StaffRole::Team).then_some(viewer.id.as_str());
        if self.store.record_visit(&visit, assignee).await? {
            Ok(())
        } else {
            Err(CampaignError::Forbidden(format!(
                "household {household_id} is not {}",
                if assignee.is_some() {
                    "assigned to you"
                } else {
                    "in your commune"
                }
            )))
        }
    }

    /// Visits per member, day and outcome over the last `days` days, in a commune (its
    /// officer, the province) or the province (its administrators).
    pub async fn visit_tallies(
        &self,
        viewer: &Viewer,
        commune: Option<&str>,
        days: i64,
    ) -> Result<Vec<VisitTally>, CampaignError> {
        let units = kyso_population::Units::embedded();
        let (province, commune) = match (viewer.role, commune) {
            (StaffRole::Province, c) => (viewer.scope.clone(), c),
            (StaffRole::Commune, c) if c.is_none_or(|c| c == viewer.scope) => {
                let p = units
                    .commune(&viewer.scope)
                    .map(|c| c.province_code.clone())
                    .unwrap_or_default();
                (p, Some(viewer.scope.as_str()))
            }
            _ => {
                return Err(CampaignError::Forbidden(format!(
                    "{} cannot see these visits",
                    viewer.id
                )));
            }
        };
        if let Some(c) = commune
            && units.commune(c).map(|u| u.province_code.as_str()) != Some(province.as_str())
        {
            return Err(CampaignError::Forbidden(format!(
                "commune {c} is not in your province"
            )));
        }
        let today = CampaignDay::of(self.now());
        Ok(self
            .store
            .visit_tallies(&province, commune, today.plus(-(days.max(1) - 1)), today)
            .await?)
    }

    /// Plans a training session in the officer's commune.
    pub async fn create_training(
        &self,
        viewer: &Viewer,
        place: &str,
        starts_at: kyso_core::UnixTime,
        topic: &str,
    ) -> Result<TrainingRecord, CampaignError> {
        self.require_officer(viewer, &viewer.scope)?;
        let place = kyso_core::TextField::parse("place", place.trim(), 200)
            .map_err(|e| CampaignError::InvalidInput(e.to_string()))?;
        let topic = kyso_core::TextField::parse("topic", topic.trim(), 200)
            .map_err(|e| CampaignError::InvalidInput(e.to_string()))?;
        let now = self.now();
        if starts_at.seconds() < now.seconds() - 86_400 {
            return Err(CampaignError::InvalidInput(
                "the session is in the past".into(),
            ));
        }
        let mut id_bytes = [0u8; 8];
        aws_lc_rs::rand::fill(&mut id_bytes).expect("system random generator failed");
        let t = TrainingRecord {
            id: format!(
                "tr-{}",
                id_bytes
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            ),
            commune_code: viewer.scope.clone(),
            province_code: kyso_population::Units::embedded()
                .commune(&viewer.scope)
                .map(|c| c.province_code.clone())
                .unwrap_or_default(),
            place: place.as_str().to_owned(),
            starts_at,
            topic: topic.as_str().to_owned(),
            created_by: viewer.id.clone(),
            created_at: now,
        };
        self.store.insert_training(&t).await?;
        Ok(t)
    }

    /// The commune's sessions from yesterday on.
    pub async fn trainings(
        &self,
        viewer: &Viewer,
        commune: &str,
    ) -> Result<Vec<TrainingRecord>, CampaignError> {
        self.require_commune_lists(viewer, commune)?;
        Ok(self
            .store
            .training_sessions(commune, self.now().plus_seconds(-86_400))
            .await?)
    }

    /// A session and its attendees.
    pub async fn training(
        &self,
        viewer: &Viewer,
        id: &str,
    ) -> Result<(TrainingRecord, Vec<AttendeeRecord>), CampaignError> {
        let t = self
            .store
            .get_training(id)
            .await?
            .ok_or_else(|| CampaignError::NotFound(format!("training session {id}")))?;
        self.require_commune_lists(viewer, &t.commune_code)?;
        let a = self.store.attendees(id).await?;
        Ok((t, a))
    }

    /// Adds an adult of the commune to a session by CCCD number; `false` if already there.
    pub async fn add_attendee(
        &self,
        viewer: &Viewer,
        session: &str,
        cccd: &str,
    ) -> Result<bool, CampaignError> {
        let t = self
            .store
            .get_training(session)
            .await?
            .ok_or_else(|| CampaignError::NotFound(format!("training session {session}")))?;
        self.require_officer(viewer, &t.commune_code)?;
        let cccd =
            Cccd::parse(cccd.trim()).map_err(|e| CampaignError::InvalidInput(e.to_string()))?;
        let person = self.store.get_person(cccd.as_str()).await?;
        // The same answer whether the number is unknown or lives elsewhere.
        if person.is_none_or(|p| p.commune_code != t.commune_code) {
            return Err(CampaignError::NotFound(format!(
                "no adult with CCCD {} in commune {}",
                cccd.as_str(),
                t.commune_code
            )));
        }
        Ok(self
            .store
            .add_attendee(session, cccd.as_str(), self.now())
            .await?)
    }
}
