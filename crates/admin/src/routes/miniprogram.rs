//! Managed mini programs beyond code and audit: the privacy guide,
//! experience members, audit status, quota and stored state, phased release.
//! Thin handlers over `privacy`, `testers`, `audit_quota`, `audit_state` and
//! `gray_release`; GET
//! routes name the mini program with `?appid=`, POST routes in the body.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::devweapp::read_file_field;
use super::ok;
use crate::audit_quota;
use crate::audit_state;
use crate::auth::AuthUser;
use crate::devweapp::whole_id;
use crate::error::{AdminError, AdminResult};
use crate::gray_release::{self, GrayRelease};
use crate::params::{self, Query};
use crate::privacy::{self, OwnerSetting, PrivacyItem, PrivacySetting, MAX_EXT_FILE_BYTES};
use crate::state::AppState;
use crate::testers::{self, MemberRef};

/// Most bytes read from the upload form: the file and its framing.
const MAX_PRIVACY_FORM_BYTES: usize = 1024 * 1024;

/// A change done: `data` is `{}`.
fn done() -> HttpResponse {
    ok(json!({}))
}

fn query_appid(req: &HttpRequest) -> Result<(Query, String), AdminError> {
    let query = Query::parse(req.query_string())?;
    let appid = params::appid(&query)?;
    Ok((query, appid))
}

fn body_appid(appid: &str) -> Result<String, AdminError> {
    let appid = appid.trim();
    if appid.is_empty() {
        return Err(AdminError::invalid("appid: required"));
    }
    params::check_appid(appid)?;
    Ok(appid.to_string())
}

/// `?appid=&privacyVer=2` → `{codeExist, privacyList, settingList,
/// updateTime, ownerSetting, privacyDesc}`.
pub async fn privacy_setting(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let (query, appid) = query_appid(&req)?;
    let ver = query.int("privacyVer", privacy::PRIVACY_VER_DEV)?;
    privacy::check_version(ver)?;
    Ok(ok(privacy::get_privacy_setting(&state, &appid, ver).await?))
}

/// `POST /admin/privacy-setting` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SetPrivacyBody {
    /// The mini program.
    #[serde(default)]
    appid: String,
    /// 1 live, 2 development (the default).
    privacy_ver: Option<i64>,
    /// What is collected and why.
    #[serde(default)]
    setting_list: Vec<PrivacyItem>,
    /// Who collects it.
    #[serde(default)]
    owner_setting: OwnerSetting,
}

/// `{appid, privacyVer?, settingList, ownerSetting}` → `{}`.
pub async fn set_privacy_setting(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: SetPrivacyBody = params::json(&body)?;
    let appid = body_appid(&body.appid)?;
    let setting = PrivacySetting {
        privacy_ver: body.privacy_ver.unwrap_or(privacy::PRIVACY_VER_DEV),
        setting_list: body.setting_list,
        owner_setting: body.owner_setting,
    };
    privacy::set_privacy_setting(&state, &appid, &setting).await?;
    Ok(done())
}

/// `?appid=` with the multipart field `file` (a `.txt` of at most 100 KB)
/// → `{extFileMediaId}`.
pub async fn upload_privacy_file(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let (_, appid) = query_appid(&req)?;
    let file = read_file_field(
        &req,
        payload,
        "file",
        MAX_EXT_FILE_BYTES,
        MAX_PRIVACY_FORM_BYTES,
    )
    .await?;
    let media_id = privacy::upload_privacy_file(
        &state,
        &appid,
        &file.file_name,
        &file.content_type,
        file.data,
    )
    .await?;
    Ok(ok(json!({ "extFileMediaId": media_id })))
}

/// `?appid=` → `{members: [{userstr}]}`.
pub async fn testers(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let (_, appid) = query_appid(&req)?;
    Ok(ok(testers::list(&state, &appid).await?))
}

/// `POST /admin/bind-tester` body.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct BindTesterBody {
    /// The mini program.
    #[serde(default)]
    appid: String,
    /// The member's WeChat id.
    #[serde(default)]
    wechatid: String,
}

/// `{appid, wechatid}` → `{userstr}`.
pub async fn bind_tester(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: BindTesterBody = params::json(&body)?;
    let appid = body_appid(&body.appid)?;
    let userstr = testers::bind(&state, &appid, &body.wechatid).await?;
    Ok(ok(json!({ "userstr": userstr })))
}

/// `POST /admin/unbind-tester` body: `wechatid` or `userstr`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct UnbindTesterBody {
    /// The mini program.
    #[serde(default)]
    appid: String,
    /// The member's WeChat id.
    wechatid: Option<String>,
    /// The member as WeChat lists it.
    userstr: Option<String>,
}

/// `{appid, wechatid? | userstr?}` (exactly one) → `{}`.
pub async fn unbind_tester(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: UnbindTesterBody = params::json(&body)?;
    let appid = body_appid(&body.appid)?;
    let member = MemberRef::from_fields(body.wechatid.as_deref(), body.userstr.as_deref())?;
    testers::unbind(&state, &appid, &member).await?;
    Ok(done())
}

/// `?appid=&auditId=` → `{auditId, status, reason, screenShot, userVersion,
/// userDesc, submitAuditTime}`.
pub async fn audit_status(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let (query, appid) = query_appid(&req)?;
    query.required("auditId")?;
    let audit_id = query.int_in("auditId", 0, 1, i64::MAX)?;
    Ok(ok(
        audit_quota::audit_status(&state, &appid, audit_id).await?
    ))
}

/// `?appid=` → `{rest, limit, speedupRest, speedupLimit}`.
pub async fn audit_quota(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let (_, appid) = query_appid(&req)?;
    Ok(ok(audit_quota::audit_quota(&state, &appid).await?))
}

/// `?appid=` → the stored state of its latest audit (`{appid, auditId,
/// status, reason, screenShot, userVersion, submitAuditTime, updateTime}`),
/// null when none was recorded; WeChat is not asked.
pub async fn audit_state(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let (_, appid) = query_appid(&req)?;
    Ok(ok(audit_state::of(&state, &appid).await?))
}

/// `POST /admin/gray-release` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct GrayBody {
    /// The mini program.
    #[serde(default)]
    appid: String,
    /// 1 to 100 (a number or a string of digits).
    #[serde(default)]
    gray_percentage: Value,
    /// Experience members first.
    #[serde(default)]
    support_experiencer_first: bool,
    /// Debuggers first.
    #[serde(default)]
    support_debuger_first: bool,
}

/// `{appid, grayPercentage, supportExperiencerFirst?, supportDebugerFirst?}`
/// → `{}`.
pub async fn gray_release(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: GrayBody = params::json(&body)?;
    let appid = body_appid(&body.appid)?;
    let plan = GrayRelease {
        gray_percentage: whole_id("grayPercentage", &body.gray_percentage)?,
        support_experiencer_first: body.support_experiencer_first,
        support_debuger_first: body.support_debuger_first,
    };
    gray_release::start(&state, &appid, &plan).await?;
    Ok(done())
}

/// `?appid=` → `{status, createTimestamp, grayPercentage,
/// supportExperiencerFirst, supportDebugerFirst}`.
pub async fn gray_release_plan(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let (_, appid) = query_appid(&req)?;
    Ok(ok(gray_release::plan(&state, &appid).await?))
}

/// `{appid}`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct AppidBody {
    /// The mini program.
    #[serde(default)]
    appid: String,
}

/// `{appid}` → `{}`: withdraws the running phased release.
pub async fn revert_gray_release(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: AppidBody = params::json(&body)?;
    let appid = body_appid(&body.appid)?;
    gray_release::revert(&state, &appid).await?;
    Ok(done())
}
