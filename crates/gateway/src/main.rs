//! The gateway binary: `gateway [--config <file>]`. Everything is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: a proxied request makes a few dozen
/// short-lived allocations (pingora's buffers and header maps, ours), and
/// glibc's spent about a quarter of the gateway's instructions on them
/// (callgrind), consolidating its free lists around pingora's large buffers.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut config: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" | "-c" => config = args.next().map(PathBuf::from),
            "--help" | "-h" => {
                println!("usage: gateway [--config <file.yaml|file.toml>]  (env: WXC__GATEWAY__*)");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument `{other}`; try --help");
                return ExitCode::FAILURE;
            }
        }
    }
    let settings = match gateway::settings::Settings::load(config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    common::telemetry::init(&settings.log);
    match gateway::build(settings) {
        Ok(gateway) => {
            gateway.run();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
