//! Every integration test of `gateway` in one binary: it links once.

mod no_diesel;
mod proxying;
mod support;
