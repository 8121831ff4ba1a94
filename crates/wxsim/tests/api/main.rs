//! Every integration test of `wxsim` in one binary: it links once.

mod account_api;
mod audit_api;
mod campaign_controls;
mod cli;
mod component_api;
mod domains_api;
mod media_api;
mod privacy_api;
mod pushes;
mod release_check;
mod support_account;
mod support_component;
mod testers_api;
mod wxa_api;
