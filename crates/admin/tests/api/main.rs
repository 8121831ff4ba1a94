//! Every integration test of `admin` in one binary: it links once.

mod audit_state;
mod authorizers;
mod bindings;
mod campaigns;
mod console_pages;
mod devweapp;
mod domains;
mod hostile_input;
mod housekeeping;
mod miniprogram;
mod openapi;
mod overview;
mod platform;
mod records;
mod refresh;
mod rules;
mod seed_flow;
mod session;
mod support;
mod tokens;
