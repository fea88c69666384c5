//! `kyso campaign create|list|coverage|rebuild`: plan campaigns and read their coverage
//! from the operator's shell.

use crate::cli::CampaignCommand;
use crate::context::Context;
use anyhow::{Context as _, bail};
use kyso_campaign::format;
use kyso_campaign::{CampaignPlan, Campaigns, Phase, Viewer};
use kyso_core::SystemClock;
use kyso_store::citizens::StaffRole;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(ctx: &Context, c: CampaignCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    let campaigns = Campaigns::new(store.clone(), Arc::new(SystemClock));
    match c {
        CampaignCommand::Create {
            id,
            name,
            province,
            communes,
            target_percent,
            phases,
            providers,
        } => {
            let plan = CampaignPlan {
                id,
                name,
                province_code: province,
                communes,
                target_permille: parse_percent(&target_percent)?,
                phases: phases
                    .iter()
                    .map(|p| parse_phase(p))
                    .collect::<anyhow::Result<_>>()?,
                providers,
            };
            campaigns.create_campaign(None, &plan).await?;
            println!(
                "campaign {} planned for province {}: target {}, {} phase(s) from {} to {}",
                plan.id,
                plan.province_code,
                format::permille_percent(plan.target_permille),
                plan.phases.len(),
                format::date_vi(plan.start().0),
                format::date_vi(plan.end().0),
            );
        }
        CampaignCommand::List { province, json } => {
            let list = campaigns.campaigns(&province).await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else if list.is_empty() {
                println!("no campaign in province {province}");
            } else {
                for c in list {
                    println!(
                        "{}\t{}\ttarget {}\t{} – {}",
                        c.id,
                        c.name,
                        format::permille_percent(c.target_permille),
                        format::date_vi(c.start().0),
                        format::date_vi(c.end().0)
                    );
                }
            }
        }
        CampaignCommand::Coverage {
            province,
            commune,
            json,
        } => {
            // The operator sees what the province's administrators see.
            let viewer = Viewer {
                id: "operator".into(),
                role: StaffRole::Province,
                scope: province.clone(),
            };
            let r = campaigns
                .coverage(&viewer, Some(&province), commune.as_deref())
                .await?;
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                let t = &r.total;
                println!(
                    "{} — {}: {} of {} adults ({}), target {}, {} to go",
                    r.province_name,
                    r.as_of,
                    format::int(t.covered),
                    format::int(t.adults),
                    format::percent(t.covered, t.adults),
                    format::permille_percent(r.target_permille),
                    format::int(t.gap_to_target)
                );
                for c in &r.communes {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        c.code,
                        c.name,
                        format::int(c.figures.covered),
                        format::int(c.figures.adults),
                        format::percent(c.figures.covered, c.figures.adults)
                    );
                }
            }
        }
        CampaignCommand::Rebuild => {
            let started = std::time::Instant::now();
            store
                .rebuild_coverage(kyso_core::UnixTime::from_system_time(
                    std::time::SystemTime::now(),
                ))
                .await?;
            println!(
                "coverage tallies rebuilt in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `50` or `45.5` / `45,5` percent → per mille.
fn parse_percent(s: &str) -> anyhow::Result<u32> {
    let s = s.trim().trim_end_matches('%').trim().replace(',', ".");
    let v: f64 = s
        .parse()
        .with_context(|| format!("target {s:?} is not a number of percent"))?;
    if !(0.1..=100.0).contains(&v) {
        bail!("the target is between 0.1 and 100 percent");
    }
    Ok((v * 10.0).round() as u32)
}

/// `NAME|START|END|CHANNELS`.
fn parse_phase(s: &str) -> anyhow::Result<Phase> {
    let parts: Vec<&str> = s.split('|').collect();
    let [name, starts, ends, channels] = parts.as_slice() else {
        bail!("phase {s:?}: expected NAME|YYYY-MM-DD|YYYY-MM-DD|channel,channel");
    };
    Ok(Phase {
        name: name.trim().to_owned(),
        starts: starts.trim().to_owned(),
        ends: ends.trim().to_owned(),
        channels: channels
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect(),
    })
}
