//! Message-forward rules (`wxcallback_rules`, wxcomponent's format) and their
//! cache. The cache is checked against a fingerprint of the table (row count,
//! highest id, latest update) on every push, so a rule changed by the admin
//! service — in another process — takes effect on the next push.

use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use common::db::schema::wxcallback_rules;
use common::db::{Db, DbError};
use common::message::Format;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use serde::Deserialize;

/// `wxcallback_rules.type` of an HTTP forward rule.
pub const RULE_TYPE_HTTP: i32 = 1;
/// Matches any message type (our extension to wxcomponent's exact matching).
pub const WILDCARD: &str = "*";

/// Where a rule sends pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Absolute URL, `$APPID$` already substituted later.
    pub url_template: String,
    /// Body encoding sent to the target.
    pub format: Format,
}

/// A usable forward rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Row id.
    pub id: i32,
    /// Operator's name for it.
    pub name: String,
    /// Component InfoType it matches (empty for biz rules).
    pub info_type: String,
    /// MsgType it matches, or `*`.
    pub msg_type: String,
    /// Event it matches; empty matches any event of the msg type.
    pub event: String,
    /// Where to send.
    pub target: Target,
}

/// The `info` column: wxcomponent's `{port, path}`, plus an absolute `url`
/// and a body `format` of our own.
#[derive(Debug, Deserialize)]
struct Info {
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    path: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

type Fingerprint = (i64, Option<i32>, Option<NaiveDateTime>);

/// id, name, infotype, msgtype, event, type, open, info.
type RuleRow = (i32, String, String, String, String, i32, i32, String);

/// Rules cached per table fingerprint.
#[derive(Debug, Default)]
pub struct RuleCache {
    cached: Mutex<Option<(Fingerprint, Arc<Vec<Rule>>)>>,
}

impl RuleCache {
    /// The open HTTP rules, reloaded when the table changed.
    pub async fn rules(&self, db: &Db, forward_host: &str) -> Result<Arc<Vec<Rule>>, DbError> {
        let fingerprint: Fingerprint = db
            .run(|conn| {
                Ok(wxcallback_rules::table
                    .select((
                        count_star(),
                        max(wxcallback_rules::id),
                        max(wxcallback_rules::updatetime),
                    ))
                    .first(conn)?)
            })
            .await?;
        if let Some((seen, rules)) = self.lock().as_ref() {
            if *seen == fingerprint {
                return Ok(Arc::clone(rules));
            }
        }
        let rows: Vec<RuleRow> = db
            .run(|conn| {
                Ok(wxcallback_rules::table
                    .select((
                        wxcallback_rules::id,
                        wxcallback_rules::name,
                        wxcallback_rules::infotype,
                        wxcallback_rules::msgtype,
                        wxcallback_rules::event,
                        wxcallback_rules::rule_type,
                        wxcallback_rules::open,
                        wxcallback_rules::info,
                    ))
                    .load(conn)?)
            })
            .await?;
        let rules: Vec<Rule> = rows
            .into_iter()
            .filter(|row| row.5 == RULE_TYPE_HTTP && row.6 != 0)
            .filter_map(|(id, name, info_type, msg_type, event, _, _, info)| {
                match parse_target(&info, forward_host) {
                    Ok(target) => Some(Rule {
                        id,
                        name,
                        info_type,
                        msg_type,
                        event,
                        target,
                    }),
                    Err(reason) => {
                        tracing::warn!(rule = id, %reason, "forward rule ignored");
                        None
                    }
                }
            })
            .collect();
        let rules = Arc::new(rules);
        *self.lock() = Some((fingerprint, Arc::clone(&rules)));
        Ok(rules)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Fingerprint, Arc<Vec<Rule>>)>> {
        self.cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn parse_target(info: &str, forward_host: &str) -> Result<Target, String> {
    let info: Info = serde_json::from_str(info).map_err(|e| format!("bad info JSON: {e}"))?;
    let format = match info.format.as_deref() {
        None | Some("json") | Some("") => Format::Json,
        Some("xml") => Format::Xml,
        Some(other) => return Err(format!("unknown format {other:?}")),
    };
    let url_template = match (info.url, info.port) {
        (Some(url), _) if url.starts_with("http://") || url.starts_with("https://") => {
            format!("{}{}", url.trim_end_matches('/'), info.path)
        }
        (Some(url), _) => return Err(format!("url {url:?} is not http(s)")),
        (None, Some(port)) => format!("http://{forward_host}:{port}{}", info.path),
        (None, None) => return Err("neither port nor url".into()),
    };
    if !info.path.is_empty() && !info.path.starts_with('/') {
        return Err(format!("path {:?} must start with /", info.path));
    }
    Ok(Target {
        url_template,
        format,
    })
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
