//! Audits beyond the latest one: the status of a given audit
//! (`/wxa/get_auditstatus`) and the platform's monthly audit and speed-up
//! quota (`/wxa/queryquota`, shared by all its mini programs; asked with any
//! of their tokens). A submission beyond the quota is WeChat's 85085, a
//! speed-up beyond it 89405 (1002 with errcode and errmsg).

use common::wechat::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::devweapp::{decode, latest_audit};
use crate::error::AdminError;
use crate::state::AppState;
use crate::wxapi;

/// `GET /admin/audit-status` as the console reads it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditStatusView {
    /// The audit asked about.
    pub audit_id: i64,
    /// 0 approved, 1 rejected, 2 pending, 3 withdrawn, 4 delayed.
    pub status: i64,
    /// Why it was rejected (1) or delayed (4).
    pub reason: String,
    /// Rejection screenshots: media ids separated by `|`.
    pub screen_shot: String,
    /// Version string of the code audited (empty when WeChat does not say).
    pub user_version: String,
    /// Its description.
    pub user_desc: String,
    /// When it was submitted, Unix seconds (0 when WeChat does not say).
    pub submit_audit_time: i64,
}

/// `get_auditstatus` documents `status`, `reason` and `screenshot`; the
/// version fields are read when present.
#[derive(Deserialize)]
pub(crate) struct WxAuditStatus {
    /// 0 approved, 1 rejected, 2 pending, 3 withdrawn, 4 delayed.
    #[serde(default)]
    pub(crate) status: i64,
    /// Why it was rejected or delayed.
    #[serde(default)]
    pub(crate) reason: String,
    #[serde(default, alias = "ScreenShot")]
    screenshot: String,
    user_version: Option<String>,
    user_desc: Option<String>,
    submit_audit_time: Option<i64>,
}

/// WeChat's answer about audit `audit_id` of `appid`: one `get_auditstatus`
/// call, what a release campaign polls.
pub(crate) async fn fetch_audit_status(
    state: &AppState,
    appid: &str,
    audit_id: i64,
) -> Result<WxAuditStatus, AdminError> {
    let path = "/wxa/get_auditstatus";
    let value = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        path,
        &[],
        &json!({ "auditid": audit_id }),
    )
    .await?;
    decode(path, value)
}

/// The status of audit `audit_id` of `appid`, an earlier one too (85012
/// for an id WeChat does not know for it). WeChat's answer has no version:
/// when `audit_id` is the latest audit, its version and submission time
/// come from `get_latest_auditstatus`.
pub async fn audit_status(
    state: &AppState,
    appid: &str,
    audit_id: i64,
) -> Result<AuditStatusView, AdminError> {
    let answer = fetch_audit_status(state, appid, audit_id).await?;
    let mut view = AuditStatusView {
        audit_id,
        status: answer.status,
        reason: answer.reason,
        screen_shot: answer.screenshot,
        user_version: answer.user_version.unwrap_or_default(),
        user_desc: answer.user_desc.unwrap_or_default(),
        submit_audit_time: answer.submit_audit_time.unwrap_or_default(),
    };
    if answer.submit_audit_time.is_none() {
        if let Some(latest) = latest_audit(state, appid)
            .await?
            .filter(|latest| latest.audit_id == audit_id)
        {
            view.user_version = latest.user_version;
            view.user_desc = latest.user_desc;
            view.submit_audit_time = latest.submit_audit_time;
        }
    }
    Ok(view)
}

/// `GET /admin/audit-quota`: this month's quota.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct AuditQuota {
    /// Audits the platform may still submit this month.
    #[serde(default)]
    pub rest: i64,
    /// Audits WeChat allotted this month.
    #[serde(default)]
    pub limit: i64,
    /// Speed-ups left this month.
    #[serde(default)]
    pub speedup_rest: i64,
    /// Speed-ups allotted this month.
    #[serde(default)]
    pub speedup_limit: i64,
}

/// The platform's quota, asked with `appid`'s token.
pub async fn audit_quota(state: &AppState, appid: &str) -> Result<AuditQuota, AdminError> {
    let path = "/wxa/queryquota";
    let value = wxapi::authorizer_call(state, appid, Method::Get, path, &[], &Value::Null).await?;
    decode(path, value)
}
