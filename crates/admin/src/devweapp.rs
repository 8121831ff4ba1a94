//! Managed mini programs (代开发小程序): wxcomponent's "代开发小程序管理"
//! routes, each a WeChat `/wxa/*` call with the mini program's authorizer
//! token (templates with the platform's token). WeChat's snake_case fields
//! are translated to the console's camelCase both ways: one `rename_all` per
//! struct says which side is read and which written; the few names spelt
//! otherwise (`auditid`, `ScreenShot`, the QR codes the admin adds itself)
//! are renamed on their field.

use common::tokens::TokenKey;
use common::wechat::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit_state;
use crate::error::AdminError;
use crate::state::AppState;
use crate::wxapi;
use common::db::audits::AuditState;

/// Permission set of managed mini programs.
pub const FUNC_MANAGED: i64 = 18;

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(
    path: &str,
    value: Value,
) -> Result<T, AdminError> {
    serde_json::from_value(value)
        .map_err(|e| AdminError::Upstream(format!("unexpected answer from WeChat for {path}: {e}")))
}

/// `release_info` of `getversioninfo`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct ReleaseInfo {
    /// Unix seconds.
    #[serde(default)]
    pub release_time: i64,
    /// Version string.
    #[serde(default)]
    pub release_version: String,
    /// Description.
    #[serde(default)]
    pub release_desc: String,
    /// Base64 QR code, when fetched (added by the admin, so read back in
    /// the console's spelling).
    #[serde(
        default,
        rename(deserialize = "releaseQrCode"),
        skip_serializing_if = "String::is_empty"
    )]
    pub release_qr_code: String,
}

/// `exp_info` of `getversioninfo`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct ExpInfo {
    /// Unix seconds.
    #[serde(default)]
    pub exp_time: i64,
    /// Version string.
    #[serde(default)]
    pub exp_version: String,
    /// Description.
    #[serde(default)]
    pub exp_desc: String,
    /// Base64 QR code, when fetched (added by the admin, so read back in
    /// the console's spelling).
    #[serde(
        default,
        rename(deserialize = "expQrCode"),
        skip_serializing_if = "String::is_empty"
    )]
    pub exp_qr_code: String,
}

/// `getversioninfo`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct VersionInfo {
    /// The online version, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_info: Option<ReleaseInfo>,
    /// The experience version, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp_info: Option<ExpInfo>,
}

/// `get_latest_auditstatus`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct AuditStatus {
    /// Audit id.
    #[serde(default, rename(deserialize = "auditid"))]
    pub audit_id: i64,
    /// 0 approved, 1 rejected, 2 pending, 3 withdrawn, 4 delayed.
    #[serde(default)]
    pub status: i64,
    /// Rejection reason.
    #[serde(default)]
    pub reason: String,
    /// Rejection screenshots (media ids).
    #[serde(default, rename(deserialize = "ScreenShot"))]
    pub screen_shot: String,
    /// Version string.
    #[serde(default)]
    pub user_version: String,
    /// Description.
    #[serde(default)]
    pub user_desc: String,
    /// Unix seconds.
    #[serde(default)]
    pub submit_audit_time: i64,
}

/// One managed mini program as `GET /admin/dev-weapp-list` answers it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevWeApp {
    /// Appid.
    pub appid: String,
    /// Display name.
    pub nick_name: String,
    /// Granted permission-set ids.
    pub func_info: Vec<i64>,
    /// QR code URL.
    pub qr_code_url: String,
    /// `getvisitstatus` (0 when unknown).
    pub service_status: i64,
    /// Versions.
    #[serde(flatten)]
    pub versions: VersionInfo,
    /// The stored state of its latest audit, null when none was recorded.
    pub audit_state: Option<AuditState>,
}

async fn version_info(state: &AppState, appid: &str) -> Result<VersionInfo, AdminError> {
    let path = "/wxa/getversioninfo";
    let value = wxapi::authorizer_call(state, appid, Method::Post, path, &[], &json!({})).await?;
    decode(path, value)
}

async fn visit_status(state: &AppState, appid: &str) -> Result<i64, AdminError> {
    let value = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        "/wxa/getvisitstatus",
        &[],
        &json!({}),
    )
    .await?;
    Ok(value.get("status").and_then(Value::as_i64).unwrap_or(0))
}

/// Managed mini programs (permission set 18), with status and versions.
pub async fn list(
    state: &AppState,
    appid: Option<String>,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<DevWeApp>), AdminError> {
    let filter = crate::authorizers::ListFilter {
        appid,
        ..Default::default()
    };
    let (total, rows) = crate::authorizers::stored_page(state, filter, offset, limit, true).await?;
    let mut audit_states =
        audit_state::of_all(state, rows.iter().map(|r| r.appid.clone()).collect()).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let audit = audit_states.remove(&row.appid);
            (row, audit)
        })
        .collect();
    let records =
        futures_util::future::join_all(rows.into_iter().map(|(row, audit_state)| async move {
            let (status, versions) = futures_util::join!(
                visit_status(state, &row.appid),
                version_info(state, &row.appid)
            );
            DevWeApp {
            func_info: row
                .func_info
                .split('|')
                .filter_map(|id| id.trim().parse().ok())
                .collect(),
            service_status: status
                .inspect_err(
                    |e| tracing::warn!(appid = %row.appid, error = %e, "visit status unavailable"),
                )
                .unwrap_or(0),
            versions: versions
                .inspect_err(
                    |e| tracing::warn!(appid = %row.appid, error = %e, "version info unavailable"),
                )
                .unwrap_or_default(),
            appid: row.appid,
            nick_name: row.nick_name,
            qr_code_url: row.qrcode_url,
            audit_state,
        }
        }))
        .await;
    Ok((total, records))
}

/// The latest audit, or `None` when there never was one (WeChat's 85058).
pub(crate) async fn latest_audit(
    state: &AppState,
    appid: &str,
) -> Result<Option<AuditStatus>, AdminError> {
    let path = "/wxa/get_latest_auditstatus";
    match wxapi::authorizer_call(state, appid, Method::Get, path, &[], &Value::Null).await {
        Ok(value) => decode(path, value).map(Some),
        Err(e) if e.wechat_errcode() == Some(85058) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Versions of a mini program: the latest audit, the online and the
/// experience version with their QR codes as base64.
pub async fn versions(state: &AppState, appid: &str) -> Result<Value, AdminError> {
    let (audit, info) = futures_util::join!(latest_audit(state, appid), version_info(state, appid));
    let audit = audit?;
    let mut info = info?;
    if let Some(exp) = info.exp_info.as_mut() {
        match wxapi::authorizer_image(state, appid, Method::Get, "/wxa/get_qrcode", &Value::Null)
            .await
        {
            Ok(image) => exp.exp_qr_code = image,
            Err(e) => tracing::warn!(appid, error = %e, "experience QR code unavailable"),
        }
    }
    if let Some(release) = info.release_info.as_mut() {
        match release_qr_code(state, appid).await {
            Ok(image) => release.release_qr_code = image,
            Err(e) => tracing::warn!(appid, error = %e, "release QR code unavailable"),
        }
    }
    let mut out = serde_json::to_value(&info).map_err(AdminError::internal)?;
    if let (Some(audit), Some(map)) = (audit, out.as_object_mut()) {
        map.insert(
            "auditInfo".into(),
            serde_json::to_value(audit).map_err(AdminError::internal)?,
        );
    }
    Ok(out)
}

/// The unlimited mini-program code of the online version, as base64.
pub async fn release_qr_code(state: &AppState, appid: &str) -> Result<String, AdminError> {
    wxapi::authorizer_image(
        state,
        appid,
        Method::Post,
        "/wxa/getwxacodeunlimit",
        &json!({"scene": "wxcomponent"}),
    )
    .await
}

/// A category of `gettemplatelist` / `get_category`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct Category {
    /// First-level name.
    #[serde(default)]
    pub first_class: String,
    /// Second-level name.
    #[serde(default)]
    pub second_class: String,
    /// Third-level name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub third_class: String,
    /// First-level id.
    #[serde(default)]
    pub first_id: i64,
    /// Second-level id.
    #[serde(default)]
    pub second_id: i64,
    /// Third-level id.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub third_id: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// One code template.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct Template {
    /// Unix seconds.
    #[serde(default)]
    pub create_time: i64,
    /// Version string.
    #[serde(default)]
    pub user_version: String,
    /// Description.
    #[serde(default)]
    pub user_desc: String,
    /// Template id.
    #[serde(default)]
    pub template_id: i64,
    /// 0 ordinary, 1 standard.
    #[serde(default)]
    pub template_type: i64,
    /// Appid of the developing mini program.
    #[serde(default)]
    pub source_miniprogram_appid: String,
    /// Name of the developing mini program.
    #[serde(default)]
    pub source_miniprogram: String,
    /// Categories of a standard template.
    #[serde(default)]
    pub category_list: Vec<Category>,
    /// Scene label of a standard template.
    #[serde(default)]
    pub audit_scene: i64,
    /// Audit status of a standard template.
    #[serde(default)]
    pub audit_status: i64,
    /// Rejection reason of a standard template.
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize)]
struct TemplateList {
    #[serde(default)]
    template_list: Vec<Template>,
}

/// The platform's code templates (`templateType` 0 or 1, or all).
pub async fn templates(state: &AppState, template_type: Option<i64>) -> Result<Value, AdminError> {
    let path = "/wxa/gettemplatelist";
    let kind = template_type.map(|t| t.to_string());
    let query: Vec<(&str, &str)> = kind
        .as_deref()
        .map(|k| vec![("template_type", k)])
        .unwrap_or_default();
    let value = wxapi::call(
        state,
        &TokenKey::Component,
        Method::Get,
        path,
        &query,
        &Value::Null,
    )
    .await?;
    let list: TemplateList = decode(path, value)?;
    Ok(json!({"templateList": list.template_list}))
}

/// A draft in the platform's 草稿箱 (code a development mini program
/// uploaded from WeChat DevTools), the source of a template.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct Draft {
    /// Draft id, what `add-to-template` takes.
    #[serde(default)]
    pub draft_id: i64,
    /// Version string.
    #[serde(default)]
    pub user_version: String,
    /// Description.
    #[serde(default)]
    pub user_desc: String,
    /// Unix seconds of the upload.
    #[serde(default)]
    pub create_time: i64,
}

#[derive(Deserialize)]
struct DraftList {
    #[serde(default)]
    draft_list: Vec<Draft>,
}

/// The platform's 草稿箱 (`/wxa/gettemplatedraftlist`).
pub async fn drafts(state: &AppState) -> Result<Value, AdminError> {
    let path = "/wxa/gettemplatedraftlist";
    let value = wxapi::call(
        state,
        &TokenKey::Component,
        Method::Get,
        path,
        &[],
        &Value::Null,
    )
    .await?;
    let list: DraftList = decode(path, value)?;
    Ok(json!({"draftList": list.draft_list}))
}

/// `POST /admin/add-to-template` body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddToTemplate {
    /// The draft (a number, or a string of digits as the console sends ids).
    #[serde(default)]
    pub draft_id: Value,
    /// 0 the ordinary library (the default), 1 the standard library.
    #[serde(default)]
    pub template_type: Option<i64>,
}

/// Turns a draft into a template of the library (`/wxa/addtotemplate`).
pub async fn add_to_template(state: &AppState, body: &AddToTemplate) -> Result<(), AdminError> {
    let draft_id = whole_id("draftId", &body.draft_id)?;
    let template_type = body.template_type.unwrap_or(0);
    if !(0..=1).contains(&template_type) {
        return Err(AdminError::invalid(
            "templateType: 0 (ordinary) or 1 (standard)",
        ));
    }
    wxapi::call(
        state,
        &TokenKey::Component,
        Method::Post,
        "/wxa/addtotemplate",
        &[],
        &json!({"draft_id": draft_id, "template_type": template_type}),
    )
    .await?;
    Ok(())
}

/// `POST /admin/delete-template` body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteTemplate {
    /// The template (a number, or a string of digits).
    #[serde(default)]
    pub template_id: Value,
}

/// Deletes a template of the library (`/wxa/deletetemplate`).
pub async fn delete_template(state: &AppState, body: &DeleteTemplate) -> Result<(), AdminError> {
    let template_id = whole_id("templateId", &body.template_id)?;
    wxapi::call(
        state,
        &TokenKey::Component,
        Method::Post,
        "/wxa/deletetemplate",
        &[],
        &json!({"template_id": template_id}),
    )
    .await?;
    Ok(())
}

/// An id the console may send as a number or as a string of digits.
pub(crate) fn whole_id(field: &str, value: &Value) -> Result<i64, AdminError> {
    let id = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    id.filter(|id| *id >= 0)
        .ok_or_else(|| AdminError::invalid(format!("{field}: a whole number, 0 or more")))
}

/// One item of an audit submission.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "snake_case", deserialize = "camelCase"))]
pub struct AuditItem {
    /// Page path.
    #[serde(default)]
    pub address: String,
    /// Tags.
    #[serde(default)]
    pub tag: String,
    /// First-level category.
    #[serde(default)]
    pub first_class: String,
    /// Second-level category.
    #[serde(default)]
    pub second_class: String,
    /// Third-level category.
    #[serde(default)]
    pub third_class: String,
    /// First-level id.
    #[serde(default)]
    pub first_id: i64,
    /// Second-level id.
    #[serde(default)]
    pub second_id: i64,
    /// Third-level id.
    #[serde(default)]
    pub third_id: i64,
    /// Page title.
    #[serde(default)]
    pub title: String,
}

/// Preview media of an audit submission.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "snake_case", deserialize = "camelCase"))]
pub struct PreviewInfo {
    /// Video media ids.
    #[serde(default)]
    pub video_id_list: Vec<String>,
    /// Picture media ids.
    #[serde(default)]
    pub pic_id_list: Vec<String>,
}

/// User-generated-content declaration of an audit submission.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "snake_case", deserialize = "camelCase"))]
pub struct UgcDeclare {
    /// Scenes.
    #[serde(default)]
    pub scene: Vec<i64>,
    /// Other scenes.
    #[serde(default)]
    pub other_scene_desc: String,
    /// Moderation methods.
    #[serde(default)]
    pub method: Vec<i64>,
    /// Has a moderation team.
    #[serde(default)]
    pub has_audit_team: i64,
    /// Moderation description.
    #[serde(default)]
    pub audit_desc: String,
}

/// `POST /admin/submit-audit` body (console camelCase in, WeChat snake_case out).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "snake_case", deserialize = "camelCase"))]
pub struct SubmitAudit {
    /// Pages to review; optional at WeChat (it then reviews the whole code),
    /// so none is left out rather than sent as an empty list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_list: Vec<AuditItem>,
    /// Preview media.
    #[serde(default)]
    pub preview_info: PreviewInfo,
    /// Version description.
    #[serde(default)]
    pub version_desc: String,
    /// Feedback text.
    #[serde(default)]
    pub feedback_info: String,
    /// Feedback media ids.
    #[serde(default)]
    pub feedback_stuff: String,
    /// UGC declaration.
    #[serde(default)]
    pub ugc_declare: UgcDeclare,
    /// The developer's promise that the code calls none of the privacy
    /// interfaces WeChat found in it; without it (or a privacy guide covering
    /// them) WeChat refuses the submission with 61040.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privacy_api_not_use: bool,
}

/// Submits the experience version for audit; answers the audit id.
pub async fn submit_audit(
    state: &AppState,
    appid: &str,
    body: &SubmitAudit,
) -> Result<i64, AdminError> {
    if body.item_list.len() > 5 {
        return Err(AdminError::invalid("itemList: at most 5 items"));
    }
    let body = serde_json::to_value(body).map_err(AdminError::internal)?;
    let value =
        wxapi::authorizer_call(state, appid, Method::Post, "/wxa/submit_audit", &[], &body).await?;
    let audit_id = value.get("auditid").and_then(Value::as_i64).unwrap_or(0);
    // WeChat has the audit: a failure to record it is logged, not answered.
    if let Err(e) = audit_state::submitted(state, appid, audit_id).await {
        tracing::error!(%appid, audit_id, error = %e, "audit submitted but its state not recorded");
    }
    Ok(audit_id)
}

/// Withdraws the pending audit.
pub async fn revoke_audit(state: &AppState, appid: &str) -> Result<(), AdminError> {
    wxapi::authorizer_call(
        state,
        appid,
        Method::Get,
        "/wxa/undocodeaudit",
        &[],
        &Value::Null,
    )
    .await?;
    if let Err(e) = audit_state::revoked(state, appid).await {
        tracing::error!(%appid, error = %e, "audit withdrawn but its state not recorded");
    }
    Ok(())
}

/// Speeds up audit `audit_id`, or the latest audit when none is given (the
/// console sends none).
pub async fn speed_up_audit(
    state: &AppState,
    appid: &str,
    audit_id: Option<i64>,
) -> Result<(), AdminError> {
    let audit_id = match audit_id {
        Some(id) => id,
        None => latest_audit(state, appid)
            .await?
            .map(|a| a.audit_id)
            .ok_or_else(|| AdminError::InvalidStatus("there is no audit to speed up".into()))?,
    };
    wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        "/wxa/speedupaudit",
        &[],
        &json!({"auditid": audit_id}),
    )
    .await?;
    Ok(())
}

/// `POST /admin/commit-code` body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitCode {
    /// Template id (the console sends it as a string).
    pub template_id: Value,
    /// ext.json as a string.
    #[serde(default)]
    pub ext_json: String,
    /// Version string.
    pub user_version: String,
    /// Description.
    #[serde(default)]
    pub user_desc: String,
}

/// Uploads code from a template as the experience version.
pub async fn commit_code(
    state: &AppState,
    appid: &str,
    body: &CommitCode,
) -> Result<(), AdminError> {
    let template_id = match &body.template_id {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Err(AdminError::invalid("templateId: required")),
    };
    if body.user_version.trim().is_empty() {
        return Err(AdminError::invalid("userVersion: required"));
    }
    if !body.ext_json.trim().is_empty() && serde_json::from_str::<Value>(&body.ext_json).is_err() {
        return Err(AdminError::invalid("extJson: must be JSON text"));
    }
    let wx_body = json!({
        "template_id": template_id,
        "ext_json": body.ext_json,
        "user_version": body.user_version,
        "user_desc": body.user_desc,
    });
    wxapi::authorizer_call(state, appid, Method::Post, "/wxa/commit", &[], &wx_body).await?;
    Ok(())
}

/// Releases the approved version.
pub async fn release(state: &AppState, appid: &str) -> Result<(), AdminError> {
    wxapi::authorizer_call(state, appid, Method::Post, "/wxa/release", &[], &json!({})).await?;
    Ok(())
}

/// Opens or closes the service (`open` / `close`).
pub async fn change_visit_status(
    state: &AppState,
    appid: &str,
    action: &str,
) -> Result<(), AdminError> {
    if !matches!(action, "open" | "close") {
        return Err(AdminError::invalid("action: must be open or close"));
    }
    wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        "/wxa/change_visitstatus",
        &[],
        &json!({"action": action}),
    )
    .await?;
    Ok(())
}

/// Rolls the online version back to the previous one.
pub async fn rollback(state: &AppState, appid: &str) -> Result<(), AdminError> {
    wxapi::authorizer_call(
        state,
        appid,
        Method::Get,
        "/wxa/revertcoderelease",
        &[],
        &Value::Null,
    )
    .await?;
    Ok(())
}

/// Pages of the experience version.
pub async fn pages(state: &AppState, appid: &str) -> Result<Value, AdminError> {
    let value = wxapi::authorizer_call(
        state,
        appid,
        Method::Get,
        "/wxa/get_page",
        &[],
        &Value::Null,
    )
    .await?;
    let pages = value.get("page_list").cloned().unwrap_or_else(|| json!([]));
    Ok(json!({"pageList": pages}))
}

#[derive(Deserialize)]
struct CategoryList {
    #[serde(default)]
    category_list: Vec<Category>,
}

/// Categories the mini program may use.
pub async fn categories(state: &AppState, appid: &str) -> Result<Value, AdminError> {
    let path = "/wxa/get_category";
    let value = wxapi::authorizer_call(state, appid, Method::Get, path, &[], &Value::Null).await?;
    let list: CategoryList = decode(path, value)?;
    Ok(json!({"categoryList": list.category_list}))
}

/// Uploads temporary media; answers `{type, mediaId, createdAt}`.
pub async fn upload_media(
    state: &AppState,
    appid: &str,
    media_type: &str,
    file_name: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Result<Value, AdminError> {
    if !matches!(media_type, "image" | "voice" | "video" | "thumb") {
        return Err(AdminError::invalid(
            "type: must be image, voice, video or thumb",
        ));
    }
    let value =
        wxapi::upload_media(state, appid, media_type, file_name, content_type, data).await?;
    Ok(json!({
        "type": value.get("type").cloned().unwrap_or_else(|| json!(media_type)),
        "mediaId": value.get("media_id").cloned().unwrap_or(Value::Null),
        "createdAt": value.get("created_at").cloned().unwrap_or(Value::Null),
    }))
}
