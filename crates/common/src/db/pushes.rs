//! Reading back stored component pushes. The callback receiver stores every
//! push before acting on it, so the `wxcallback_component` table is the
//! record of what WeChat said about each account and when; services that act
//! on authorizers later (finishing an interrupted exchange, reconciling with
//! WeChat's list) consult it so they never undo a newer push.
//!
//! Old records are deleted here too ([`purge_batch`]), for the admin's
//! housekeeping under `records.retention_days`, and counted by the hour
//! ([`received_per_hour`]) for the console's overview.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{wxcallback_biz, wxcallback_component};
use super::{DbConnection, DbError};
use crate::message::{
    ComponentEvent, INFO_TYPE_AUTHORIZED, INFO_TYPE_UNAUTHORIZED, INFO_TYPE_UPDATE_AUTHORIZED,
};

/// The latest `authorized`/`updateauthorized`/`unauthorized` push of every
/// account received at or after `since`, keyed by authorizer appid. Latest
/// means the highest `CreateTime`; of two with the same, the one stored last.
/// Records that no longer parse are skipped.
pub fn latest_authorizations(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> Result<HashMap<String, ComponentEvent>, DbError> {
    let bodies: Vec<String> = wxcallback_component::table
        .filter(wxcallback_component::receivetime.ge(since))
        .filter(wxcallback_component::infotype.eq_any([
            INFO_TYPE_AUTHORIZED,
            INFO_TYPE_UPDATE_AUTHORIZED,
            INFO_TYPE_UNAUTHORIZED,
        ]))
        .order(wxcallback_component::id.asc())
        .select(wxcallback_component::postbody)
        .load(conn)?;
    let mut latest: HashMap<String, ComponentEvent> = HashMap::new();
    for body in bodies {
        let Ok(event) = ComponentEvent::parse(&body) else {
            continue;
        };
        let Some(appid) = event.authorizer_appid().map(str::to_string) else {
            continue;
        };
        let newer = latest
            .get(&appid)
            .is_none_or(|seen| event.create_time >= seen.create_time);
        if newer {
            latest.insert(appid, event);
        }
    }
    Ok(latest)
}

/// Pushes of both kinds (component and biz) received in each of `hours`
/// consecutive hours ending at `end` (exclusive), oldest hour first; for the
/// console's overview. Two indexed range counts per hour, the same SQL on
/// every backend.
pub fn received_per_hour(
    conn: &mut DbConnection,
    end: NaiveDateTime,
    hours: u32,
) -> Result<Vec<i64>, DbError> {
    let mut counts = Vec::with_capacity(usize::try_from(hours).unwrap_or(0));
    for back in (1..=i64::from(hours)).rev() {
        let from = end - chrono::TimeDelta::hours(back);
        let to = from + chrono::TimeDelta::hours(1);
        let component: i64 = wxcallback_component::table
            .filter(wxcallback_component::receivetime.ge(from))
            .filter(wxcallback_component::receivetime.lt(to))
            .count()
            .get_result(conn)?;
        let biz: i64 = wxcallback_biz::table
            .filter(wxcallback_biz::receivetime.ge(from))
            .filter(wxcallback_biz::receivetime.lt(to))
            .count()
            .get_result(conn)?;
        counts.push(component + biz);
    }
    Ok(counts)
}

/// Rows one [`purge_batch`] deleted from each table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// From `wxcallback_component`.
    pub component: usize,
    /// From `wxcallback_biz`.
    pub biz: usize,
}

impl Purged {
    /// Whether either table may still hold rows older than the cutoff
    /// (a full batch was deleted from it).
    pub fn more_left(&self, batch_rows: u32) -> bool {
        let full = usize::try_from(batch_rows).unwrap_or(usize::MAX);
        self.component >= full || self.biz >= full
    }
}

/// Deletes at most `batch_rows` rows received before `cutoff` from each push
/// table, oldest ids first; call it again while [`Purged::more_left`]. Each
/// statement commits on its own and touches one bounded id range, so a purge
/// never holds long locks against the callback receiver's inserts. The
/// boundary is the `batch_rows`-th old id: old rows are exactly those with a
/// smaller or equal id (new rows get larger ids and a recent receive time).
pub fn purge_batch(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    batch_rows: u32,
) -> Result<Purged, DbError> {
    let offset = i64::from(batch_rows.max(1)) - 1;
    let boundary: Option<i32> = wxcallback_component::table
        .filter(wxcallback_component::receivetime.lt(cutoff))
        .order(wxcallback_component::id.asc())
        .select(wxcallback_component::id)
        .offset(offset)
        .first(conn)
        .optional()?;
    let old = wxcallback_component::table.filter(wxcallback_component::receivetime.lt(cutoff));
    let component = match boundary {
        Some(last) => {
            diesel::delete(old.filter(wxcallback_component::id.le(last))).execute(conn)?
        }
        None => diesel::delete(old).execute(conn)?,
    };
    let boundary: Option<i32> = wxcallback_biz::table
        .filter(wxcallback_biz::receivetime.lt(cutoff))
        .order(wxcallback_biz::id.asc())
        .select(wxcallback_biz::id)
        .offset(offset)
        .first(conn)
        .optional()?;
    let old = wxcallback_biz::table.filter(wxcallback_biz::receivetime.lt(cutoff));
    let biz = match boundary {
        Some(last) => diesel::delete(old.filter(wxcallback_biz::id.le(last))).execute(conn)?,
        None => diesel::delete(old).execute(conn)?,
    };
    Ok(Purged { component, biz })
}
