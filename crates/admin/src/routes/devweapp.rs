//! Managed mini programs (代开发小程序管理), wxcomponent's routes: every
//! call names the mini program with `?appid=`.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::json;

use super::{ok, ok_empty};
use crate::auth::AuthUser;
use crate::devweapp::{self, CommitCode, SubmitAudit};
use crate::error::{AdminError, AdminResult};
use crate::params::{self, Query};
use crate::state::AppState;

/// Largest media file accepted: the console's limit for videos (10 MB,
/// counted as 10 × 1024 × 1024 bytes; images 5 MB) and WeChat's for images
/// and videos. WeChat judges each type's own limit.
const MAX_MEDIA_BYTES: usize = 10 * 1024 * 1024;
/// Most bytes read from all the form's fields together: the file plus what
/// else fits in the body the gateway lets through on this route (11 MiB).
const MAX_FORM_BYTES: usize = 11 * 1024 * 1024;

fn appid(req: &HttpRequest) -> Result<String, AdminError> {
    params::appid(&Query::parse(req.query_string())?)
}

/// `{total, records}` of managed mini programs: `offset`, `limit` (≤ 20), `appid`.
pub async fn list(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let (offset, limit) = query.page(10, 20)?;
    let appid = params::optional_appid(&query)?;
    let (total, records) = devweapp::list(&state, appid, offset, limit).await?;
    Ok(ok(json!({ "total": total, "records": records })))
}

/// Submits the experience version for audit: `{auditId}`.
pub async fn submit_audit(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    let body: SubmitAudit = params::json(&body)?;
    let audit_id = devweapp::submit_audit(&state, &appid, &body).await?;
    Ok(ok(json!({ "auditId": audit_id })))
}

/// `{auditInfo?, releaseInfo?, expInfo?}` with QR codes.
pub async fn versions(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    Ok(ok(devweapp::versions(&state, &appid).await?))
}

/// `{templateList}`: `templateType` 0 or 1, all when absent.
pub async fn templates(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let template_type = match query.text("templateType") {
        None => None,
        Some(_) => Some(query.int_in("templateType", 0, 0, 1)?),
    };
    Ok(ok(devweapp::templates(&state, template_type).await?))
}

/// `{draftList}`: the platform's 草稿箱.
pub async fn drafts(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(ok(devweapp::drafts(&state).await?))
}

/// Turns a draft into a template: `{draftId, templateType?}`.
pub async fn add_to_template(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: devweapp::AddToTemplate = params::json(&body)?;
    devweapp::add_to_template(&state, &body).await?;
    Ok(ok_empty())
}

/// Deletes a template: `{templateId}`.
pub async fn delete_template(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: devweapp::DeleteTemplate = params::json(&body)?;
    devweapp::delete_template(&state, &body).await?;
    Ok(ok_empty())
}

/// Withdraws the pending audit.
pub async fn revoke_audit(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    devweapp::revoke_audit(&state, &appid).await?;
    Ok(ok_empty())
}

/// Speeds up `?auditId=` (the latest audit when absent, as the console sends none).
pub async fn speed_up_audit(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let appid = params::appid(&query)?;
    let audit_id = match query.text("auditId") {
        None => None,
        Some(_) => Some(query.int_in("auditId", 0, 1, i64::MAX)?),
    };
    devweapp::speed_up_audit(&state, &appid, audit_id).await?;
    Ok(ok_empty())
}

/// Uploads code from a template: `{templateId, extJson, userVersion, userDesc}`.
pub async fn commit_code(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    let body: CommitCode = params::json(&body)?;
    devweapp::commit_code(&state, &appid, &body).await?;
    Ok(ok_empty())
}

/// Releases the approved version.
pub async fn release_code(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    devweapp::release(&state, &appid).await?;
    Ok(ok_empty())
}

/// Uploads the multipart field `media` as temporary media `?type=`. The
/// body is a stream (no `PayloadConfig` limit applies): the file is limited
/// to [`MAX_MEDIA_BYTES`], all fields together to [`MAX_FORM_BYTES`]; WeChat gets
/// [`crate::wxapi::MEDIA_UPLOAD_TIMEOUT`] to take it.
pub async fn upload_media(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let appid = params::appid(&query)?;
    let media_type = query.required("type")?.to_string();
    let file = read_file_field(&req, payload, "media", MAX_MEDIA_BYTES, MAX_FORM_BYTES).await?;
    let answer = devweapp::upload_media(
        &state,
        &appid,
        &media_type,
        &file.file_name,
        &file.content_type,
        file.data,
    )
    .await?;
    Ok(ok(answer))
}

/// A file read from a multipart form.
pub(super) struct FormFile {
    /// The part's file name (the field name when it has none).
    pub(super) file_name: String,
    /// The part's content type (`application/octet-stream` when it has none).
    pub(super) content_type: String,
    /// Its bytes.
    pub(super) data: Vec<u8>,
}

/// `n` bytes as the console words limits: "10 MB", "100 KB".
fn size_text(n: usize) -> String {
    if n % (1024 * 1024) == 0 {
        format!("{} MB", n / (1024 * 1024))
    } else {
        format!("{} KB", n / 1024)
    }
}

/// Reads the first multipart field `name` of the body stream: the file at
/// most `max_file` bytes, all fields read at most `max_form` bytes (no
/// `PayloadConfig` limit applies to a stream). 1001 naming the field when
/// the form is unreadable, too large or has no such field.
pub(super) async fn read_file_field(
    req: &HttpRequest,
    payload: web::Payload,
    name: &str,
    max_file: usize,
    max_form: usize,
) -> Result<FormFile, AdminError> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut form_bytes = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| AdminError::invalid(format!("{name}: {e}")))?;
        let is_file = field.name() == Some(name);
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AdminError::invalid(format!("{name}: {e}")))?;
            form_bytes = form_bytes.saturating_add(chunk.len());
            if form_bytes > max_form {
                return Err(AdminError::invalid(format!(
                    "{name}: the form is larger than {}",
                    size_text(max_form)
                )));
            }
            if is_file {
                if data.len() + chunk.len() > max_file {
                    return Err(AdminError::invalid(format!(
                        "{name}: larger than {}",
                        size_text(max_file)
                    )));
                }
                data.extend_from_slice(&chunk);
            }
        }
        if is_file {
            let file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or(name)
                .to_string();
            let content_type = field.content_type().map_or_else(
                || "application/octet-stream".to_string(),
                ToString::to_string,
            );
            return Ok(FormFile {
                file_name,
                content_type,
                data,
            });
        }
    }
    Err(AdminError::invalid(format!(
        "{name}: a multipart file field named {name} is required"
    )))
}

/// `POST /admin/change-visit-status` body.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct VisitBody {
    /// `open` or `close`.
    action: String,
}

/// Opens or closes the service: `{action: open|close}`.
pub async fn change_visit_status(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    let body: VisitBody = params::json(&body)?;
    devweapp::change_visit_status(&state, &appid, &body.action).await?;
    Ok(ok_empty())
}

/// Rolls back to the previous online version.
pub async fn rollback(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    devweapp::rollback(&state, &appid).await?;
    Ok(ok_empty())
}

/// `{pageList}`.
pub async fn pages(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    Ok(ok(devweapp::pages(&state, &appid).await?))
}

/// `{categoryList}`.
pub async fn categories(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    Ok(ok(devweapp::categories(&state, &appid).await?))
}

/// `{releaseQrCode}`: the mini-program code as base64.
pub async fn qrcode(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let appid = appid(&req)?;
    let image = devweapp::release_qr_code(&state, &appid).await?;
    Ok(ok(json!({ "releaseQrCode": image })))
}
