//! The stored audit state of managed mini programs (`common::db::audits`):
//! written when the admin submits (status 2) or withdraws (3) an audit,
//! decided by WeChat's pushes through the callback receiver, read by
//! `GET /admin/audit-state` and the rows of `dev-weapp-list`, so the console
//! shows an audit's outcome without asking WeChat.

use std::collections::HashMap;

use common::db::audits::{self, AuditState};
use common::db::now;

use crate::devweapp;
use crate::error::AdminError;
use crate::state::AppState;

/// Records a submission WeChat accepted as `audit_id`. The version comes
/// from `get_latest_auditstatus` when WeChat answers it; the state is
/// recorded either way.
pub async fn submitted(state: &AppState, appid: &str, audit_id: i64) -> Result<(), AdminError> {
    let (user_version, submitted_at) = match devweapp::latest_audit(state, appid).await {
        Ok(Some(latest)) if latest.audit_id == audit_id => {
            (latest.user_version, latest.submit_audit_time)
        }
        Ok(_) => (String::new(), now().and_utc().timestamp()),
        Err(e) => {
            tracing::warn!(%appid, error = %e, "submitted version unknown; audit state kept without it");
            (String::new(), now().and_utc().timestamp())
        }
    };
    let appid = appid.to_string();
    Ok(state
        .db
        .run(move |conn| audits::submitted(conn, &appid, audit_id, &user_version, submitted_at))
        .await?)
}

/// Records that the pending audit was withdrawn.
pub async fn revoked(state: &AppState, appid: &str) -> Result<(), AdminError> {
    let appid = appid.to_string();
    Ok(state
        .db
        .run(move |conn| audits::revoked(conn, &appid))
        .await?)
}

/// The stored state of `appid`, `None` when no audit was recorded.
pub async fn of(state: &AppState, appid: &str) -> Result<Option<AuditState>, AdminError> {
    let appid = appid.to_string();
    Ok(state.db.run(move |conn| audits::find(conn, &appid)).await?)
}

/// The stored states of `appids`, by appid.
pub async fn of_all(
    state: &AppState,
    appids: Vec<String>,
) -> Result<HashMap<String, AuditState>, AdminError> {
    let states = state
        .db
        .run(move |conn| audits::find_all(conn, &appids))
        .await?;
    Ok(states.into_iter().map(|s| (s.appid.clone(), s)).collect())
}
