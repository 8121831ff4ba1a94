//! Message-forward rules (`wxcallback_rules`, wxcomponent's format): where a
//! rule sends ([`Target`], the `info` column, checked the same way when the
//! admin saves it and when the callback receiver reads it), which rule a push
//! matches ([`for_component`], [`for_biz`]), and the one sender ([`Forward`])
//! that both the receiver's real forwarding and the console's "test" button use.
//! With the `db` feature, [`store`] is the table's only reader and writer.
//!
//! `$APPID$` is replaced in the target's `path` only, as in wxcomponent
//! (`api/wxcallback/comm.go` and the console's rule form): our absolute `url`
//! is scheme, host and port only, so a target cannot carry it anywhere else.

mod matching;
mod send;
#[cfg(feature = "db")]
pub mod store;
mod target;

pub use matching::{for_biz, for_component, is_active, Rule, RULE_TYPE_HTTP, WILDCARD};
pub use send::{Forward, SendError};
pub use target::{Endpoint, Target, TargetError, APPID_PLACEHOLDER, MAX_URL_CHARS};
