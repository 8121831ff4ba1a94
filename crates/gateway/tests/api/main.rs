//! Every integration test of `gateway` in one binary: it links once.

mod fuzz_regressions;
mod no_diesel;
mod proxying;
mod support;
