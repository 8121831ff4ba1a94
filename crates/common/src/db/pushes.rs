//! Reading back stored component pushes. The callback receiver stores every
//! push before acting on it, so the `wxcallback_component` table is the
//! record of what WeChat said about each account and when; services that act
//! on authorizers later (finishing an interrupted exchange, reconciling with
//! WeChat's list) consult it so they never undo a newer push.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::wxcallback_component;
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
