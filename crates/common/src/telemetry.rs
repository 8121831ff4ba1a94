//! Logging set-up shared by every binary.
//!
//! Secrets never reach a log line: our own code logs none, and the library
//! that dumps whole messages when verbose — pingora, the gateway's proxy:
//! request headers with `Authorization: Bearer ...`, response bodies with
//! tokens and JWTs at DEBUG and TRACE — is held at INFO whatever `RUST_LOG`
//! or `log.level` ask (the e2e suite's secrets test checks it).

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{filter_fn, FilterFn};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogSettings;

/// Target prefix of the libraries that log raw HTTP messages below INFO.
const RAW_HTTP_TARGETS: [&str; 1] = ["pingora"];

/// Installs the global subscriber once per process. `RUST_LOG` wins over the
/// configured level so an operator can raise verbosity without a new file;
/// [`RAW_HTTP_TARGETS`] never log below INFO.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_target(true);
    let result = if settings.json {
        builder.json().finish().with(no_raw_http()).try_init()
    } else {
        builder.finish().with(no_raw_http()).try_init()
    };
    if let Err(e) = result {
        eprintln!("logging already initialised: {e}");
    }
}

/// Drops DEBUG and TRACE events of [`RAW_HTTP_TARGETS`].
fn no_raw_http() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    filter_fn(|meta| {
        *meta.level() <= Level::INFO
            || !RAW_HTTP_TARGETS
                .iter()
                .any(|target| meta.target().starts_with(target))
    })
}
