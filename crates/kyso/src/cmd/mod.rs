//! One module per command group.

mod audit;
mod bench;
mod bench_campaign;
mod bench_csc;
mod bench_pades;
mod bench_portal;
mod ca;
mod campaign;
mod cert;
mod citizens;
mod demo_campaign;
mod population;
mod portal;
mod provider;
mod remote;
mod serve;
mod verify;
mod vietqr;

use crate::cli::{Cli, Command};
use crate::context::Context;
use std::process::ExitCode;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::from_cli(&cli);
    match cli.command {
        Command::Ca(c) => ca::run(&ctx, c).await,
        Command::Cert(c) => cert::run(&ctx, c).await,
        Command::Check(f) => ca::check(&ctx, f.json).await,
        Command::Audit(a) => audit::run(&ctx, a).await,
        Command::Crl(crate::cli::CrlCommand::Publish { out }) => {
            let ca = ctx.load_ca().await?;
            let files = ca.publish_crls(&out).await?;
            println!("wrote {} CRLs under {}", files.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(b) => bench::run(&ctx, b).await,
        Command::Client(c) => remote::client(&ctx, c).await,
        Command::Credential(c) => remote::credential(&ctx, c).await,
        Command::Log(c) => remote::log(&ctx, c).await,
        Command::Sign(a) => remote::sign(&ctx, a).await,
        Command::Verify(a) => verify::run(&ctx, a).await,
        Command::Population(c) => population::run(&ctx, c).await,
        Command::Provider(c) => provider::run(&ctx, c).await,
        Command::Enrol(a) => citizens::enrol(&ctx, a).await,
        Command::Citizen(c) => citizens::citizen(&ctx, c).await,
        Command::Staff(c) => citizens::staff(&ctx, c).await,
        Command::Usage(c) => citizens::usage(&ctx, c).await,
        Command::Sms(c) => citizens::sms(&ctx, c).await,
        Command::Campaign(a) => citizens::campaign(&ctx, a).await,
        Command::Serve(a) => serve::serve(&ctx, a, false).await,
        Command::Demo(a) => serve::serve(&ctx, a, true).await,
        Command::Vietqr(a) => vietqr::run(a),
        Command::Portal(c) => portal::run(&ctx, c).await,
    }
}
