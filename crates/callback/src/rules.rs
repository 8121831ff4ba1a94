//! Message-forward rules (`wxcallback_rules`, wxcomponent's format) and their
//! cache; targets and matching are `common::forward`'s, shared with the admin.
//! The cache is checked against a fingerprint of the table (row count,
//! highest id, latest update) on every push, so a rule changed by the admin
//! service — in another process — takes effect on the next push.

use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use common::db::schema::wxcallback_rules;
use common::db::{Db, DbError};
use common::forward::{is_active, Target};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;

pub use common::forward::{for_biz, for_component, Rule};

type Fingerprint = (i64, Option<i32>, Option<NaiveDateTime>);

/// id, infotype, msgtype, event, type, open, info.
type RuleRow = (i32, String, String, String, i32, i32, String);

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
            .filter(|row| is_active(row.4, row.5))
            .filter_map(|(id, info_type, msg_type, event, _, _, info)| {
                match Target::parse(&info).and_then(|t| t.endpoint(forward_host)) {
                    Ok(endpoint) => Some(Rule {
                        id,
                        info_type,
                        msg_type,
                        event,
                        endpoint,
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
