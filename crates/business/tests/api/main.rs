//! Every integration test of `business` in one binary: it links once.

mod autoreply;
mod counter;
mod login;
mod oa_validation;
mod openapi;
mod support;
mod with_admin;
