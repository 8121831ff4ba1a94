//! WeChat's reviewers, played automatically: a policy decides each audit
//! the moment it is submitted, so a release across hundreds of simulated
//! mini programs gets its decisions without a control call per account.
//! `manual` (the default) leaves audits pending for
//! `POST /__sim/wxa/audit`; `approve`, `reject` (with a reason) and
//! `delay` (status 4, still to be decided manually) decide at once. A
//! policy for one appid wins over the default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::account_state::audit_status;

/// How submitted audits are decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Pending until `POST /__sim/wxa/audit` decides.
    #[default]
    Manual,
    /// Approved at once.
    Approve,
    /// Rejected at once with the reason.
    Reject,
    /// Delayed (status 4) at once, then pending a manual decision.
    Delay,
}

/// A policy and the reason it gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// What happens.
    pub policy: Policy,
    /// The reason of a rejection or delay (a default one when empty).
    #[serde(default)]
    pub reason: String,
}

/// The reviewers' rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reviewer {
    /// For every mini program without its own rule.
    pub default: Rule,
    /// Per appid.
    pub per_appid: BTreeMap<String, Rule>,
}

/// The status and reason a new audit of `appid` gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// See [`audit_status`].
    pub status: i64,
    /// Why, for a rejection or delay.
    pub reason: String,
}

impl Reviewer {
    /// The verdict on a submission of `appid`.
    pub fn verdict(&self, appid: &str) -> Verdict {
        let rule = self.per_appid.get(appid).unwrap_or(&self.default);
        let reason = |fallback: &str| {
            if rule.reason.is_empty() {
                fallback.to_string()
            } else {
                rule.reason.clone()
            }
        };
        match rule.policy {
            Policy::Manual => Verdict {
                status: audit_status::PENDING,
                reason: String::new(),
            },
            Policy::Approve => Verdict {
                status: audit_status::APPROVED,
                reason: String::new(),
            },
            Policy::Reject => Verdict {
                status: audit_status::REJECTED,
                reason: reason("wxsim: rejected by the reviewer"),
            },
            Policy::Delay => Verdict {
                status: audit_status::DELAYED,
                reason: reason("wxsim: review delayed"),
            },
        }
    }

    /// Sets `rule` for `appids`, or as the default when there are none.
    pub fn set(&mut self, rule: Rule, appids: &[String]) {
        if appids.is_empty() {
            self.default = rule;
        } else {
            for appid in appids {
                self.per_appid.insert(appid.clone(), rule.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_for_an_appid_wins_over_the_default() {
        let mut reviewer = Reviewer::default();
        assert_eq!(reviewer.verdict("wxa").status, audit_status::PENDING);
        reviewer.set(
            Rule {
                policy: Policy::Approve,
                reason: String::new(),
            },
            &[],
        );
        reviewer.set(
            Rule {
                policy: Policy::Reject,
                reason: "logo".into(),
            },
            &["wxb".into()],
        );
        assert_eq!(reviewer.verdict("wxa").status, audit_status::APPROVED);
        assert_eq!(
            reviewer.verdict("wxb"),
            Verdict {
                status: audit_status::REJECTED,
                reason: "logo".into()
            }
        );
    }
}
