//! Every integration test of `callback` in one binary: it links once.

mod bindings;
mod biz;
mod component;
mod refusals;
mod support;
