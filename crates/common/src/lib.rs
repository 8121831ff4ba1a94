//! Shared pieces of wxcomponent-rs. Every service depends on this crate; the ones
//! that store nothing (the gateway) leave the `db` feature off and never compile diesel.

#[cfg(feature = "tokens")]
pub mod authorization;
pub mod client_ip;
pub mod config;
pub mod crypto;
#[cfg(feature = "db")]
pub mod db;
pub mod domains;
pub mod envelope;
#[cfg(feature = "forward")]
pub mod forward;
#[cfg(feature = "testing")]
pub mod loopback;
pub mod memory;
pub mod message;
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(feature = "web")]
pub mod request_log;
pub mod routing;
#[cfg(feature = "secrets")]
pub mod secrets;
#[cfg(feature = "db")]
pub mod startup;
pub mod telemetry;
#[cfg(feature = "tokens")]
pub mod tokens;
pub mod upstream_health;
#[cfg(feature = "client")]
pub mod wechat;
