//! Every integration test of `common` in one binary: it links once.
//! `db` and `loopback` need the `testing` feature, `wechat` the `client`
//! feature; the workspace's test run turns both on.

mod audit_result;
mod config;
mod crypto;
#[cfg(feature = "testing")]
mod db;
mod envelope;
mod fuzz_regressions;
#[cfg(feature = "testing")]
mod loopback;
mod message;
#[cfg(feature = "client")]
mod wechat;
