//! Coverage figures for a province and its communes, from the store's tallies.

use crate::plan::{CampaignPlan, DEFAULT_TARGET_PERMILLE};
use crate::{CampaignError, Campaigns, Viewer};
use kyso_core::CampaignDay;
use kyso_store::citizens::StaffRole;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The pace is measured over this many days.
pub const PACE_WINDOW_DAYS: i64 = 14;
/// "Free year ends soon" looks this far ahead.
pub const FREE_YEAR_NOTICE_DAYS: u32 = 30;

/// The figures of a territory (a commune or the whole province).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CoverageFigures {
    /// Adults in the register.
    pub adults: u64,
    /// Adults holding a valid campaign certificate.
    pub covered: u64,
    /// `covered / adults`, per mille (rounded down).
    pub share_permille: u32,
    /// People still to reach the target (0 once reached).
    pub gap_to_target: u64,
    /// Households in the register.
    pub households: u64,
    /// Households with at least one covered adult.
    pub households_covered: u64,
    /// Covered adults by enrolment channel.
    pub by_channel: BTreeMap<String, u64>,
    /// Covered adults by provider (provider staff see their own only).
    pub by_provider: BTreeMap<String, u64>,
    /// Covered adults who signed within 30 days of enrolment.
    pub first_use_30d: u64,
    /// Covered adults whose free year ends within 30 days.
    pub free_year_ending: u64,
}

impl CoverageFigures {
    fn finish(&mut self, target_permille: u32) {
        self.share_permille = permille(self.covered, self.adults);
        let needed = (self.adults * u64::from(target_permille)).div_ceil(1000);
        self.gap_to_target = needed.saturating_sub(self.covered);
    }
}

fn permille(part: u64, whole: u64) -> u32 {
    part.saturating_mul(1000)
        .checked_div(whole)
        .map_or(0, |p| u32::try_from(p).unwrap_or(1000))
}

/// One commune's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneCoverage {
    /// 5-digit code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Latitude of its centre.
    pub lat: f64,
    /// Longitude of its centre.
    pub lon: f64,
    /// Figures.
    #[serde(flatten)]
    pub figures: CoverageFigures,
}

/// Where the current pace leads by the end of the phase (or campaign).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    /// Adults newly covered per day, over the last 14 days.
    pub pace_per_day: f64,
    /// The day projected to (`YYYY-MM-DD`).
    pub until: String,
    /// Covered adults projected for that day.
    pub projected_covered: u64,
    /// Their share, per mille.
    pub projected_share_permille: u32,
    /// Whether that reaches the target.
    pub reaches_target: bool,
}

/// A day of the trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrendDay {
    /// `YYYY-MM-DD`.
    #[serde(serialize_with = "iso_day")]
    pub day: CampaignDay,
    /// Covered adults at the end of that day.
    pub covered: u64,
}

fn iso_day<S: serde::Serializer>(d: &CampaignDay, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.iso())
}

/// The coverage of a province (or one of its communes) as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageReport {
    /// 2-digit province code.
    pub province_code: String,
    /// Province name.
    pub province_name: String,
    /// The commune asked for, if any.
    pub commune_code: Option<String>,
    /// Day of the figures (`YYYY-MM-DD`).
    pub as_of: String,
    /// The campaign the target comes from.
    pub campaign: Option<CampaignPlan>,
    /// The current phase's name.
    pub phase: Option<String>,
    /// Target share, per mille.
    pub target_permille: u32,
    /// The territory's totals.
    pub total: CoverageFigures,
    /// Per commune (only the asked one when a commune is asked).
    pub communes: Vec<CommuneCoverage>,
    /// Covered adults day by day.
    pub trend: Vec<TrendDay>,
    /// Where the pace leads.
    pub projection: Option<Projection>,
}

impl Campaigns {
    /// Takes adults whose certificate has expired out of every province's coverage (the
    /// readers do this for their province too; `kyso serve` runs it every 10 minutes so the
    /// daily history stays exact with no reader). Returns how many left.
    pub async fn sweep_expired(&self) -> Result<u64, CampaignError> {
        let now = self.now();
        let mut swept = 0;
        for p in kyso_population::Units::embedded().provinces() {
            swept += self.store.sweep_expired_coverage(&p.code, now).await?;
        }
        Ok(swept)
    }

    /// The coverage of `province` (or of `commune` in it), for `viewer`.
    pub async fn coverage(
        &self,
        viewer: &Viewer,
        province: Option<&str>,
        commune: Option<&str>,
    ) -> Result<CoverageReport, CampaignError> {
        let units = kyso_population::Units::embedded();
        let province = match (viewer.province_of(province), province) {
            (Some(mine), Some(asked)) if mine != asked => {
                return Err(CampaignError::Forbidden(format!(
                    "{} cannot see province {asked}",
                    viewer.id
                )));
            }
            (Some(mine), _) => mine.to_owned(),
            (None, _) => {
                return Err(CampaignError::InvalidInput(
                    "say which province (?province=CODE)".into(),
                ));
            }
        };
        let province_unit = units
            .province(&province)
            .ok_or_else(|| CampaignError::NotFound(format!("province {province}")))?;
        let commune = match (viewer.role, commune) {
            // Commune officers and team members always see their own commune.
            (StaffRole::Commune | StaffRole::Team, None) => Some(viewer.scope.as_str()),
            (_, c) => c,
        };
        if let Some(c) = commune {
            if units.commune(c).map(|u| u.province_code.as_str()) != Some(province.as_str()) {
                return Err(CampaignError::NotFound(format!(
                    "commune {c} in province {province}"
                )));
            }
            if !viewer.may_see_commune(&province, c) {
                return Err(CampaignError::Forbidden(format!(
                    "{} cannot see commune {c}",
                    viewer.id
                )));
            }
        }
        let now = self.now();
        let today = CampaignDay::of(now);
        self.store.sweep_expired_coverage(&province, now).await?;
        let campaign = self.current_campaign(&province).await?;
        let target = campaign
            .as_ref()
            .map_or(DEFAULT_TARGET_PERMILLE, |c| c.target_permille);
        let in_territory = |code: &str| {
            commune.is_none_or(|c| c == code) && campaign.as_ref().is_none_or(|p| p.covers(code))
        };
        let own_provider = (viewer.role == StaffRole::Provider).then_some(viewer.scope.as_str());

        let mut lines: BTreeMap<String, CoverageFigures> = BTreeMap::new();
        for p in self.store.population_tallies(&province, commune).await? {
            if !in_territory(&p.commune_code) {
                continue;
            }
            let f = lines.entry(p.commune_code).or_default();
            f.adults = p.adults;
            f.households = p.households;
            f.households_covered = p.households_covered;
        }
        for t in self.store.coverage_tallies(&province, commune).await? {
            if !in_territory(&t.commune_code) {
                continue;
            }
            let f = lines.entry(t.commune_code).or_default();
            f.covered += t.covered;
            f.first_use_30d += t.first_use_30d;
            *f.by_channel.entry(t.channel).or_default() += t.covered;
            if own_provider.is_none_or(|p| p == t.provider) {
                *f.by_provider.entry(t.provider).or_default() += t.covered;
            }
        }
        for (c, n) in self
            .store
            .free_year_ending(
                &province,
                commune,
                now,
                now.plus_days(FREE_YEAR_NOTICE_DAYS),
            )
            .await?
        {
            if in_territory(&c) {
                lines.entry(c).or_default().free_year_ending = n;
            }
        }
        let mut total = CoverageFigures::default();
        let mut communes = Vec::with_capacity(lines.len());
        for (code, mut f) in lines {
            f.finish(target);
            total.adults += f.adults;
            total.covered += f.covered;
            total.households += f.households;
            total.households_covered += f.households_covered;
            total.first_use_30d += f.first_use_30d;
            total.free_year_ending += f.free_year_ending;
            for (k, v) in &f.by_channel {
                *total.by_channel.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &f.by_provider {
                *total.by_provider.entry(k.clone()).or_default() += v;
            }
            let unit = units.commune(&code);
            communes.push(CommuneCoverage {
                name: unit.map_or_else(|| code.clone(), |u| u.name.clone()),
                lat: unit.map_or(0.0, |u| u.lat),
                lon: unit.map_or(0.0, |u| u.lon),
                code,
                figures: f,
            });
        }
        total.finish(target);

        let trend = self
            .trend(&province, commune, campaign.as_ref(), today)
            .await?;
        let phase = campaign
            .as_ref()
            .and_then(|c| c.phase_on(today))
            .map(|p| p.name.clone());
        let projection = projection(&trend, &total, campaign.as_ref(), today, target);
        Ok(CoverageReport {
            province_code: province.clone(),
            province_name: province_unit.name.clone(),
            commune_code: commune.map(str::to_owned),
            as_of: today.iso(),
            campaign,
            phase,
            target_permille: target,
            total,
            communes,
            trend,
            projection,
        })
    }

    /// Covered adults at the end of each day, from the daily changes: the province's row
    /// when the territory is the whole province, the communes' rows otherwise.
    async fn trend(
        &self,
        province: &str,
        commune: Option<&str>,
        campaign: Option<&CampaignPlan>,
        today: CampaignDay,
    ) -> Result<Vec<TrendDay>, CampaignError> {
        let mut deltas: BTreeMap<CampaignDay, i64> = BTreeMap::new();
        let territory: Vec<&str> = match (commune, campaign) {
            (Some(c), _) => vec![c],
            (None, Some(p)) if !p.communes.is_empty() => {
                p.communes.iter().map(String::as_str).collect()
            }
            _ => Vec::new(),
        };
        if territory.is_empty() {
            for d in self.store.coverage_daily(province, None).await? {
                *deltas.entry(d.day).or_default() += d.covered_delta;
            }
        } else {
            for c in territory {
                for d in self.store.coverage_daily(province, Some(c)).await? {
                    *deltas.entry(d.day).or_default() += d.covered_delta;
                }
            }
        }
        let mut covered = 0i64;
        let mut out = Vec::with_capacity(deltas.len());
        for (day, delta) in deltas {
            if day > today {
                break;
            }
            covered += delta;
            out.push(TrendDay {
                day,
                covered: covered.max(0) as u64,
            });
        }
        Ok(out)
    }
}

/// The pace of the last 14 days, carried to the end of the current phase (or of the
/// campaign, or 90 days ahead without one).
fn projection(
    trend: &[TrendDay],
    total: &CoverageFigures,
    campaign: Option<&CampaignPlan>,
    today: CampaignDay,
    target: u32,
) -> Option<Projection> {
    let window_start = today.plus(-PACE_WINDOW_DAYS);
    let before = trend
        .iter()
        .rev()
        .find(|d| d.day <= window_start)
        .map_or(0, |d| d.covered);
    let last = trend.last()?.covered;
    let pace = (last as f64 - before as f64) / PACE_WINDOW_DAYS as f64;
    let until = match campaign {
        Some(c) => c.phase_on(today).map_or(c.end(), |p| p.end_day()),
        None => today.plus(90),
    };
    if until <= today {
        return None;
    }
    let days = (until.0 - today.0) as f64;
    let projected = (total.covered as f64 + pace.max(0.0) * days).round() as u64;
    let projected = projected.min(total.adults.max(total.covered));
    let share = permille(projected, total.adults);
    Some(Projection {
        pace_per_day: (pace * 10.0).round() / 10.0,
        until: until.iso(),
        projected_covered: projected,
        projected_share_permille: share,
        reaches_target: share >= target,
    })
}

/// Channel labels in Vietnamese.
pub fn channel_label(channel: &str) -> &str {
    match channel {
        "door_to_door" => "Tại nhà",
        "online" => "Trực tuyến",
        "provincial_app" => "Ứng dụng của tỉnh",
        "vneid" => "VNeID",
        other => other,
    }
}

/// Which commune names to show for codes (the embedded 2025 units).
pub fn commune_names(codes: &[String]) -> HashMap<String, String> {
    let units = kyso_population::Units::embedded();
    codes
        .iter()
        .map(|c| {
            (
                c.clone(),
                units
                    .commune(c)
                    .map_or_else(|| c.clone(), |u| u.name.clone()),
            )
        })
        .collect()
}
