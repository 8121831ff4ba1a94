//! The callback receiver's cache of message-forward rules; the table is
//! `common::forward::store`'s, targets and matching `common::forward`'s,
//! shared with the admin.
//!
//! Every batch of pushes ([`crate::intake`]) reads the whole table as it is
//! stored (one query; the console manages tens of rules) and reuses the
//! parsed rules only while the rows are equal to the ones they were parsed
//! from, so a rule changed by the admin service — in another process, in any
//! replica — takes effect on the next batch. Whole
//! rows, not a summary: the former fingerprint (row count, highest id,
//! latest `updatetime`) missed a second edit within the same second, as
//! `updatetime` has whole seconds, and served the first edit until the next
//! change.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use common::db::{DbConnection, DbError};
use common::forward::is_active;
use common::forward::store::{self, StoredRule};
use common::forward::Target;

pub use common::forward::{for_biz, for_component, Rule};

/// The rows read last and the open HTTP rules parsed from them.
type Cached = (Vec<StoredRule>, Arc<Vec<Rule>>);

/// Rules parsed once per table content.
#[derive(Debug, Default)]
pub struct RuleCache {
    cached: Mutex<Option<Cached>>,
}

impl RuleCache {
    /// The open HTTP rules, parsed again when any row changed.
    pub fn parsed(
        &self,
        conn: &mut DbConnection,
        forward_host: &str,
    ) -> Result<Arc<Vec<Rule>>, DbError> {
        let rows = store::all(conn)?;
        if let Some((seen, rules)) = self.lock().as_ref() {
            if *seen == rows {
                return Ok(Arc::clone(rules));
            }
        }
        let rules: Vec<Rule> = rows
            .iter()
            .filter(|row| is_active(row.rule_type, row.open))
            .filter_map(|row| {
                match Target::parse(&row.info).and_then(|t| t.endpoint(forward_host)) {
                    Ok(endpoint) => Some(Rule {
                        id: row.id,
                        info_type: row.info_type.clone(),
                        msg_type: row.msg_type.clone(),
                        event: row.event.clone(),
                        endpoint,
                    }),
                    Err(reason) => {
                        tracing::warn!(rule = row.id, %reason, "forward rule ignored");
                        None
                    }
                }
            })
            .collect();
        let rules = Arc::new(rules);
        *self.lock() = Some((rows, Arc::clone(&rules)));
        Ok(rules)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Cached>> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
