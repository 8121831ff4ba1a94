//! Domain state: the platform's own 小程序服务器域名 and 小程序业务域名 (each a
//! 测试版 and a 全网发布版 list), each mini program's server domains and
//! business (web-view) domains — the ones set through the platform
//! (`modify_domain`, `setwebviewdomain`) and the ones set directly
//! (`modify_domain_directly`, `setwebviewdomain_directly`) — the monthly
//! change counts, and the files the simulated web serves at domain roots
//! (the ownership check of business domains).
//!
//! Plain data plus the rules WeChat documents for it, so the handlers in
//! `api::domains` and the tests share one definition: the URL shapes and
//! limits are [`common::domains`]' (re-exported here), the monthly quotas
//! are here. Numbers come from WeChat's pages (第三方平台 → 小程序管理 →
//! 域名管理, and 代开发的小程序域名配置说明,
//! `Third-party_Platforms/2.0/product/domain.html`), named on each constant.

use std::collections::BTreeMap;

use serde::Serialize;

pub use common::domains::{
    is_host, parse_url, split_domains, within, DomainUrl, FORBIDDEN_HOST,
    PLATFORM_JUMP_DOMAIN_LIMIT, PLATFORM_SERVER_DOMAIN_LIMIT, SERVER_DOMAIN_LIMIT, SERVER_KINDS,
    WEBVIEW_DOMAIN_LIMIT,
};

/// Changes of the platform's server domains per month
/// (`modify_wxa_server_domain`: "每月只可修改申请50次").
pub const PLATFORM_SERVER_CHANGES_PER_MONTH: usize = 50;
/// Changes of a mini program's server domains per month (`modify_domain`:
/// "每月可提交修改申请50次"; 86102 "每个月只能修改50次" in the error table of
/// `modify_domain_directly`). wxsim counts both APIs against one quota: they
/// change the same account's server domains.
pub const SERVER_CHANGES_PER_MONTH: usize = 50;
/// What the simulator remembers about domains.
#[derive(Debug, Default, Serialize)]
pub struct DomainState {
    /// The platform's 小程序服务器域名 (`modify_wxa_server_domain`).
    pub server: PlatformDomains,
    /// The platform's 小程序业务域名 (`modify_wxa_jump_domain`).
    pub jump: PlatformDomains,
    /// Each mini program's domains, by appid.
    pub mini_programs: BTreeMap<String, MiniProgramDomains>,
    /// Files the simulated web serves: host → file name → content, as
    /// `POST /__sim/domain-file` put them (an operator uploading a confirm
    /// file to the root of a domain).
    pub served_files: BTreeMap<String, BTreeMap<String, String>>,
}

/// One of the platform's two domain registers.
#[derive(Debug, Default, Clone, Serialize)]
pub struct PlatformDomains {
    /// 测试版: what authorizers get before the platform's next 全网发布.
    pub testing: Vec<String>,
    /// 全网发布版: what released mini programs keep.
    pub published: Vec<String>,
    /// When accepted changes were made (for the monthly quota).
    #[serde(skip)]
    pub changes: Vec<i64>,
}

/// A mini program's six server-domain lists, in WeChat's field names.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ServerDomainLists {
    /// `requestdomain` (`https://`).
    pub requestdomain: Vec<String>,
    /// `wsrequestdomain` (`wss://`).
    pub wsrequestdomain: Vec<String>,
    /// `uploaddomain` (`https://`).
    pub uploaddomain: Vec<String>,
    /// `downloaddomain` (`https://`).
    pub downloaddomain: Vec<String>,
    /// `udpdomain` (`udp://`).
    pub udpdomain: Vec<String>,
    /// `tcpdomain` (`tcp://`).
    pub tcpdomain: Vec<String>,
}

impl ServerDomainLists {
    /// The list called `field` (one of [`SERVER_KINDS`]).
    pub fn list(&self, field: &str) -> &[String] {
        match field {
            "requestdomain" => &self.requestdomain,
            "wsrequestdomain" => &self.wsrequestdomain,
            "uploaddomain" => &self.uploaddomain,
            "downloaddomain" => &self.downloaddomain,
            "udpdomain" => &self.udpdomain,
            "tcpdomain" => &self.tcpdomain,
            _ => &[],
        }
    }

    /// The list called `field`, mutably; `None` for an unknown field.
    pub fn list_mut(&mut self, field: &str) -> Option<&mut Vec<String>> {
        Some(match field {
            "requestdomain" => &mut self.requestdomain,
            "wsrequestdomain" => &mut self.wsrequestdomain,
            "uploaddomain" => &mut self.uploaddomain,
            "downloaddomain" => &mut self.downloaddomain,
            "udpdomain" => &mut self.udpdomain,
            "tcpdomain" => &mut self.tcpdomain,
            _ => return None,
        })
    }

    /// Whether every list is empty.
    pub fn is_empty(&self) -> bool {
        SERVER_KINDS.iter().all(|(f, _)| self.list(f).is_empty())
    }

    /// The lists as WeChat's JSON fields, each name prefixed with `prefix`
    /// (`""` or `"invalid_"`).
    pub fn fields(&self, prefix: &str) -> serde_json::Map<String, serde_json::Value> {
        SERVER_KINDS
            .iter()
            .map(|(f, _)| (format!("{prefix}{f}"), serde_json::json!(self.list(f))))
            .collect()
    }
}

/// Everything about one mini program's domains.
#[derive(Debug, Default, Clone, Serialize)]
pub struct MiniProgramDomains {
    /// Set through the platform (`modify_domain`): `third_domain`.
    pub third: ServerDomainLists,
    /// Set directly (`modify_domain_directly`): `direct_domain`.
    pub direct: ServerDomainLists,
    /// Business domains set through the platform (`setwebviewdomain`).
    pub webview_third: Vec<String>,
    /// Business domains set directly (`setwebviewdomain_directly`).
    pub webview_direct: Vec<String>,
    /// When accepted server-domain changes were made (monthly quota).
    #[serde(skip)]
    pub server_changes: Vec<i64>,
}

impl DomainState {
    /// The domains of `appid`, created empty on first use.
    pub fn mini_program(&mut self, appid: &str) -> &mut MiniProgramDomains {
        self.mini_programs.entry(appid.to_string()).or_default()
    }

    /// Whether `https://host/file_name` answers `content` on the simulated web.
    pub fn serves(&self, host: &str, file_name: &str, content: &str) -> bool {
        self.served_files
            .get(&host.to_ascii_lowercase())
            .and_then(|files| files.get(file_name))
            .is_some_and(|served| served.trim() == content)
    }
}

/// The `action` of every domain API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `get`: read.
    Get,
    /// `add`: add to the list.
    Add,
    /// `delete`: remove from the list.
    Delete,
    /// `set`: replace the list.
    Set,
}

impl Action {
    /// `add`, `delete`, `set` or `get`.
    pub fn parse(action: &str) -> Option<Self> {
        Some(match action {
            "get" => Self::Get,
            "add" => Self::Add,
            "delete" => Self::Delete,
            "set" => Self::Set,
            _ => return None,
        })
    }
}

/// Applies `action` with `items` to `list` (duplicates kept out, order
/// kept); answers whether the list changed. `Get` changes nothing.
pub fn apply(list: &mut Vec<String>, action: Action, items: &[String]) -> bool {
    let before = list.clone();
    match action {
        Action::Get => {}
        Action::Add => {
            for item in items {
                if !list.iter().any(|d| d.eq_ignore_ascii_case(item)) {
                    list.push(item.clone());
                }
            }
        }
        Action::Delete => list.retain(|d| !items.iter().any(|i| i.eq_ignore_ascii_case(d))),
        Action::Set => {
            list.clear();
            apply(list, Action::Add, items);
        }
    }
    *list != before
}

/// Months since 1970-01 of a Unix time on Beijing's calendar (UTC+8): the
/// "每月" of WeChat's quotas.
pub fn beijing_month(t: i64) -> i64 {
    let days = t.saturating_add(8 * 3600).div_euclid(86_400);
    let (year, month) = civil_year_month(days);
    (year - 1970) * 12 + (month - 1)
}

/// Year and month (1-12) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_year_month(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// Whether another change fits the month's quota of `limit` (0 = no limit),
/// forgetting changes of earlier months.
pub fn quota_left(changes: &mut Vec<i64>, now: i64, limit: usize) -> bool {
    let month = beijing_month(now);
    changes.retain(|t| beijing_month(*t) == month);
    limit == 0 || changes.len() < limit
}

/// A deterministic confirm file for `owner` (a platform or a mini program):
/// `(file_name, file_content)`, a 10-character name with `.txt` and a
/// 32-character hex content, as WeChat's look.
pub fn confirm_file(owner: &str) -> (String, String) {
    let digest = common::crypto::sha1_signature(&["wxsim-domain-confirm-file", owner]);
    let name = format!("{}.txt", &digest[..10]);
    let content = digest[8..40].to_string();
    (name, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_follow_beijing_time() {
        // 2024-01-31 16:00 UTC is 2024-02-01 00:00 in Beijing.
        let jan_end_utc = 1_706_716_800; // 2024-01-31 16:00:00 UTC
        assert_eq!(beijing_month(jan_end_utc - 1), (2024 - 1970) * 12);
        assert_eq!(beijing_month(jan_end_utc), (2024 - 1970) * 12 + 1);
    }

    #[test]
    fn apply_keeps_order_and_reports_changes() {
        let mut list = vec!["a".to_string()];
        assert!(!apply(&mut list, Action::Add, &["A".into()]));
        assert!(apply(&mut list, Action::Add, &["b".into()]));
        assert_eq!(list, ["a", "b"]);
        assert!(!apply(&mut list, Action::Delete, &["c".into()]));
        assert!(apply(&mut list, Action::Set, &["c".into()]));
        assert_eq!(list, ["c"]);
    }
}
