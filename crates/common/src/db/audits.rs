//! The `weapp_audits` table: the latest code audit of each managed mini
//! program, so the console shows where it stands without asking WeChat.
//! The admin records a submission (status 2 with its audit id) and a
//! withdrawal (3); the callback receiver records WeChat's decision from the
//! `weapp_audit_success` / `_fail` / `_delay` pushes (0, 1, 4).
//!
//! This module is the only reader and writer of the table. All functions are
//! blocking; call them through `Db::run`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::weapp_audits;
use crate::db::{now, serialize_time, upsert, DbConnection, DbError};

/// `status` codes, WeChat's own (`get_auditstatus`).
pub mod status {
    /// 审核成功.
    pub const APPROVED: i32 = 0;
    /// 审核被拒绝.
    pub const REJECTED: i32 = 1;
    /// 审核中.
    pub const AUDITING: i32 = 2;
    /// 已撤回.
    pub const REVOKED: i32 = 3;
    /// 审核延后.
    pub const DELAYED: i32 = 4;
}

/// The stored audit state of one mini program, as the admin answers it
/// (camelCase, `updateTime` in RFC 3339, `submitAuditTime` unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = weapp_audits)]
#[serde(rename_all = "camelCase")]
pub struct AuditState {
    /// The mini program.
    pub appid: String,
    /// WeChat's id of the audit (0 when the admin did not submit it).
    #[diesel(column_name = auditid)]
    pub audit_id: i64,
    /// One of [`status`].
    pub status: i32,
    /// WeChat's reason of a rejection or delay.
    pub reason: String,
    /// Media ids of a rejection's screenshots, `|`-joined as WeChat sends them.
    #[diesel(column_name = screenshot)]
    pub screen_shot: String,
    /// The version submitted, when known.
    #[diesel(column_name = userversion)]
    pub user_version: String,
    /// When it was submitted (unix seconds, 0 when unknown).
    #[diesel(column_name = submitaudittime)]
    pub submit_audit_time: i64,
    /// When the state last changed (UTC).
    #[diesel(column_name = updatetime)]
    #[serde(serialize_with = "serialize_time")]
    pub update_time: NaiveDateTime,
}

/// WeChat's decision of an audit, from its push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// [`status::APPROVED`], [`status::REJECTED`] or [`status::DELAYED`].
    pub status: i32,
    /// `Reason` (empty for a success).
    pub reason: String,
    /// `ScreenShot` (rejections only).
    pub screen_shot: String,
}

/// Records a submission: status [`status::AUDITING`] with WeChat's audit id,
/// replacing whatever the previous audit left.
pub fn submitted(
    conn: &mut DbConnection,
    appid: &str,
    audit_id: i64,
    user_version: &str,
    submit_audit_time: i64,
) -> Result<(), DbError> {
    set_status(conn, appid, status::AUDITING, "", "")?;
    diesel::update(weapp_audits::table.filter(weapp_audits::appid.eq(appid)))
        .set((
            weapp_audits::auditid.eq(audit_id),
            weapp_audits::userversion.eq(user_version),
            weapp_audits::submitaudittime.eq(submit_audit_time),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a withdrawal of the pending audit: status [`status::REVOKED`].
pub fn revoked(conn: &mut DbConnection, appid: &str) -> Result<(), DbError> {
    set_status(conn, appid, status::REVOKED, "", "")
}

/// Records WeChat's decision of the latest audit.
pub fn decided(conn: &mut DbConnection, appid: &str, decision: &Decision) -> Result<(), DbError> {
    set_status(
        conn,
        appid,
        decision.status,
        &decision.reason,
        &decision.screen_shot,
    )
}

/// The stored state of `appid`, if any audit was recorded.
pub fn find(conn: &mut DbConnection, appid: &str) -> Result<Option<AuditState>, DbError> {
    Ok(weapp_audits::table
        .filter(weapp_audits::appid.eq(appid))
        .select(AuditState::as_select())
        .first(conn)
        .optional()?)
}

/// The stored states of those of `appids` that have one.
pub fn find_all(conn: &mut DbConnection, appids: &[String]) -> Result<Vec<AuditState>, DbError> {
    Ok(weapp_audits::table
        .filter(weapp_audits::appid.eq_any(appids))
        .select(AuditState::as_select())
        .load(conn)?)
}

/// Mini programs whose latest audit WeChat rejected: how many, and the
/// appids of up to `limit` of them, most recently decided first. For the
/// console's "needs attention" list.
pub fn rejected(conn: &mut DbConnection, limit: i64) -> Result<(i64, Vec<String>), DbError> {
    let rejected = || weapp_audits::table.filter(weapp_audits::status.eq(status::REJECTED));
    let total: i64 = rejected().count().get_result(conn)?;
    let appids = rejected()
        .order((weapp_audits::updatetime.desc(), weapp_audits::id.desc()))
        .select(weapp_audits::appid)
        .limit(limit)
        .load(conn)?;
    Ok((total, appids))
}

/// Changes status, reason and screenshot, keeping the audit id and version
/// (a row is made when none exists: an audit submitted elsewhere).
fn set_status(
    conn: &mut DbConnection,
    appid: &str,
    status: i32,
    reason: &str,
    screen_shot: &str,
) -> Result<(), DbError> {
    let values = (
        weapp_audits::status.eq(status),
        weapp_audits::reason.eq(reason),
        weapp_audits::screenshot.eq(screen_shot),
        weapp_audits::updatetime.eq(now()),
    );
    upsert(
        conn,
        |conn| {
            diesel::update(weapp_audits::table.filter(weapp_audits::appid.eq(appid)))
                .set(values)
                .execute(conn)
        },
        |conn| {
            diesel::insert_into(weapp_audits::table)
                .values((weapp_audits::appid.eq(appid), values))
                .execute(conn)
        },
    )?;
    Ok(())
}
