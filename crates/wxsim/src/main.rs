//! `wxsim`: runs the WeChat simulator (`wxsim serve`, the default) or talks to
//! a running one (`wxsim push-ticket`, `authorize`, `message`, ...).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use wxsim::{SimSettings, WxSim};

use cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    match args.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(args.config.as_deref()).await,
        command => cli::run_client(&args.sim, command).await,
    }
}

async fn serve(config: Option<&str>) -> ExitCode {
    common::memory::purge_at_once();
    common::telemetry::init(&common::config::LogSettings {
        level: "info".into(),
        json: false,
    });
    let settings = match SimSettings::load(config, std::env::vars()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("wxsim: {e}");
            return ExitCode::from(2);
        }
    };
    let callback_url = settings.callback_url.clone();
    let interval = settings.ticket_interval_secs;
    let sim = match WxSim::start(settings).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("wxsim: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(
        address = %sim.base_url(),
        callback_url = %callback_url,
        ticket_interval_secs = interval,
        "wxsim listening"
    );
    match sim.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wxsim: {e}");
            ExitCode::FAILURE
        }
    }
}
