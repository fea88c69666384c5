//! A campaign's plan: territory, target, phases with their channels, providers — parsed
//! and checked before anything is stored.

use crate::{CampaignError, Campaigns, Viewer};
use kyso_core::CampaignDay;
use kyso_store::campaign::CampaignRecord;
use kyso_store::citizens::StaffRole;
use kyso_store::enrolment::Channel;
use serde::{Deserialize, Serialize};

/// The default target: half of the adults (the 2025 national plan's first milestone).
pub const DEFAULT_TARGET_PERMILLE: u32 = 500;

/// A phase of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// Name, e.g. "Giai đoạn 1: đến từng hộ".
    pub name: String,
    /// First day (`YYYY-MM-DD`).
    pub starts: String,
    /// Last day (`YYYY-MM-DD`).
    pub ends: String,
    /// Channels open in this phase (`door_to_door`, `online`, `provincial_app`, `vneid`).
    pub channels: Vec<String>,
}

impl Phase {
    /// First day.
    pub fn start_day(&self) -> CampaignDay {
        CampaignDay::parse_iso(&self.starts).unwrap_or(CampaignDay(0))
    }
    /// Last day.
    pub fn end_day(&self) -> CampaignDay {
        CampaignDay::parse_iso(&self.ends).unwrap_or(CampaignDay(0))
    }
}

/// A campaign as planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignPlan {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Province.
    pub province_code: String,
    /// Communes (empty: the whole province).
    pub communes: Vec<String>,
    /// Target share, per mille.
    pub target_permille: u32,
    /// Phases in order.
    pub phases: Vec<Phase>,
    /// Participating providers.
    pub providers: Vec<String>,
}

impl CampaignPlan {
    /// Checks every field; the first problem is reported in a sentence.
    pub fn check(&self) -> Result<(), CampaignError> {
        let bad = |s: String| Err(CampaignError::InvalidInput(s));
        let units = kyso_population::Units::embedded();
        if self.id.is_empty()
            || self.id.len() > 40
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return bad(format!(
                "campaign id {:?}: 1–40 characters a–z, 0–9 and '-'",
                self.id
            ));
        }
        kyso_core::TextField::parse("name", &self.name, 200)
            .map_err(|e| CampaignError::InvalidInput(e.to_string()))?;
        if units.province(&self.province_code).is_none() {
            return bad(format!("no province {:?}", self.province_code));
        }
        for c in &self.communes {
            if units.commune(c).map(|c| c.province_code.as_str()) != Some(&self.province_code) {
                return bad(format!(
                    "commune {c:?} is not in province {}",
                    self.province_code
                ));
            }
        }
        if self.target_permille == 0 || self.target_permille > 1000 {
            return bad("the target is a share of adults between 0,1 % and 100 %".into());
        }
        if self.phases.is_empty() {
            return bad("a campaign has at least one phase".into());
        }
        let mut previous_end: Option<CampaignDay> = None;
        for p in &self.phases {
            kyso_core::TextField::parse("phase name", &p.name, 200)
                .map_err(|e| CampaignError::InvalidInput(e.to_string()))?;
            let (Some(start), Some(end)) = (
                CampaignDay::parse_iso(&p.starts),
                CampaignDay::parse_iso(&p.ends),
            ) else {
                return bad(format!(
                    "phase {:?}: dates are YYYY-MM-DD ({:?}, {:?})",
                    p.name, p.starts, p.ends
                ));
            };
            if end < start {
                return bad(format!("phase {:?} ends before it starts", p.name));
            }
            if previous_end.is_some_and(|e| start <= e) {
                return bad(format!(
                    "phase {:?} starts before the previous one ends",
                    p.name
                ));
            }
            previous_end = Some(end);
            if p.channels.is_empty() {
                return bad(format!("phase {:?} opens no channel", p.name));
            }
            for c in &p.channels {
                if Channel::parse(c).is_none() {
                    return bad(format!(
                        "phase {:?}: unknown channel {c:?} (door_to_door, online, provincial_app, vneid)",
                        p.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// First day of the first phase.
    pub fn start(&self) -> CampaignDay {
        self.phases
            .first()
            .map(Phase::start_day)
            .unwrap_or(CampaignDay(0))
    }

    /// Last day of the last phase.
    pub fn end(&self) -> CampaignDay {
        self.phases
            .last()
            .map(Phase::end_day)
            .unwrap_or(CampaignDay(0))
    }

    /// The phase running on `day`, if any.
    pub fn phase_on(&self, day: CampaignDay) -> Option<&Phase> {
        self.phases
            .iter()
            .find(|p| p.start_day() <= day && day <= p.end_day())
    }

    /// Whether `commune` is in the territory.
    pub fn covers(&self, commune: &str) -> bool {
        self.communes.is_empty() || self.communes.iter().any(|c| c == commune)
    }

    fn from_record(r: CampaignRecord) -> Result<Self, CampaignError> {
        let phases: Vec<Phase> = serde_json::from_str(&r.phases).map_err(|e| {
            CampaignError::Store(kyso_store::StoreError::Corrupt(format!(
                "campaign {} phases: {e}",
                r.id
            )))
        })?;
        Ok(CampaignPlan {
            id: r.id,
            name: r.name,
            province_code: r.province_code,
            communes: r.communes,
            target_permille: r.target_permille,
            phases,
            providers: r.providers,
        })
    }
}

impl Campaigns {
    /// Stores a new campaign (operators and province administrators of that province).
    pub async fn create_campaign(
        &self,
        by: Option<&Viewer>,
        plan: &CampaignPlan,
    ) -> Result<(), CampaignError> {
        if let Some(v) = by
            && !(v.role == StaffRole::Province && v.scope == plan.province_code)
        {
            return Err(CampaignError::Forbidden(
                "only the province's administrators plan its campaigns".into(),
            ));
        }
        plan.check()?;
        let known = self.store.list_providers().await?;
        for p in &plan.providers {
            if !known.iter().any(|k| &k.id == p) {
                return Err(CampaignError::InvalidInput(format!("no provider {p:?}")));
            }
        }
        let record = CampaignRecord {
            id: plan.id.clone(),
            name: plan.name.clone(),
            province_code: plan.province_code.clone(),
            communes: plan.communes.clone(),
            target_permille: plan.target_permille,
            phases: serde_json::to_string(&plan.phases).unwrap_or_else(|_| "[]".into()),
            providers: plan.providers.clone(),
            created_at: self.now(),
            created_by: by.map_or("operator".into(), |v| v.id.clone()),
        };
        self.store.insert_campaign(&record).await?;
        Ok(())
    }

    /// The province's campaigns, newest first.
    pub async fn campaigns(&self, province: &str) -> Result<Vec<CampaignPlan>, CampaignError> {
        self.store
            .campaigns(province)
            .await?
            .into_iter()
            .map(CampaignPlan::from_record)
            .collect()
    }

    /// The campaign that matters today: the newest one running, else the newest.
    pub async fn current_campaign(
        &self,
        province: &str,
    ) -> Result<Option<CampaignPlan>, CampaignError> {
        let today = CampaignDay::of(self.now());
        let all = self.campaigns(province).await?;
        let running = all
            .iter()
            .position(|c| c.start() <= today && today <= c.end());
        Ok(match running {
            Some(i) => all.into_iter().nth(i),
            None => all.into_iter().next(),
        })
    }
}
