//! Every integration test of `callback` in one binary: it links once.

mod biz;
mod component;
mod support;
