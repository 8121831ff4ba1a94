//! Which rule a push is forwarded by.

use super::Endpoint;

/// `wxcallback_rules.type` of an HTTP forward rule (the only kind wxcomponent has).
pub const RULE_TYPE_HTTP: i32 = 1;
/// Matches any InfoType or message type (our extension to wxcomponent's exact matching).
pub const WILDCARD: &str = "*";

/// Whether a rule row is in use: switched on, and of the HTTP kind.
pub fn is_active(rule_type: i32, open: i32) -> bool {
    rule_type == RULE_TYPE_HTTP && open != 0
}

/// A usable forward rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Row id.
    pub id: i32,
    /// Component InfoType it matches (empty for biz rules).
    pub info_type: String,
    /// MsgType it matches, or `*`.
    pub msg_type: String,
    /// Event it matches; empty matches any event of the msg type.
    pub event: String,
    /// Where to send.
    pub endpoint: Endpoint,
}

/// The rule for a component push of `info_type`: exact, then `*`.
pub fn for_component<'a>(rules: &'a [Rule], info_type: &str) -> Option<&'a Rule> {
    rules
        .iter()
        .find(|r| r.info_type == info_type)
        .or_else(|| rules.iter().find(|r| r.info_type == WILDCARD))
}

/// The rule for a biz push: the exact (msg type, event) first, then the msg
/// type with any event, then `*`.
pub fn for_biz<'a>(rules: &'a [Rule], msg_type: &str, event: &str) -> Option<&'a Rule> {
    let biz = || rules.iter().filter(|r| r.info_type.is_empty());
    biz()
        .find(|r| r.msg_type == msg_type && r.event == event)
        .or_else(|| biz().find(|r| r.msg_type == msg_type && r.event.is_empty()))
        .or_else(|| biz().find(|r| r.msg_type == WILDCARD))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forward::Target;

    fn rule(id: i32, info_type: &str, msg_type: &str, event: &str) -> Rule {
        let target = Target {
            port: 8083,
            ..Target::default()
        };
        Rule {
            id,
            info_type: info_type.into(),
            msg_type: msg_type.into(),
            event: event.into(),
            endpoint: target.endpoint("gateway").expect("valid"),
        }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rules = [
            rule(1, "", WILDCARD, ""),
            rule(2, "", "event", ""),
            rule(3, "", "event", "subscribe"),
            rule(4, WILDCARD, "", ""),
            rule(5, "authorized", "", ""),
        ];
        let biz = |m, e| for_biz(&rules, m, e).map(|r| r.id);
        assert_eq!(biz("event", "subscribe"), Some(3));
        assert_eq!(biz("event", "CLICK"), Some(2));
        assert_eq!(biz("text", ""), Some(1));
        let component = |i| for_component(&rules, i).map(|r| r.id);
        assert_eq!(component("authorized"), Some(5));
        assert_eq!(component("unauthorized"), Some(4));
        assert!(for_biz(&rules[3..], "text", "").is_none());
    }

    #[test]
    fn only_open_http_rules_are_active() {
        assert!(is_active(RULE_TYPE_HTTP, 1));
        assert!(!is_active(RULE_TYPE_HTTP, 0));
        assert!(!is_active(2, 1));
    }
}
