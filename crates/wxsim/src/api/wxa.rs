//! Code management of managed mini programs (`/wxa/*`), as wxcomponent's
//! "开发小程序" pages call it, following WeChat's state machine:
//! commit (experience version) → submit_audit → audit decided → release →
//! revert. WeChat's reviewers are played by the control endpoint
//! `POST /__sim/wxa/audit {appid, status, reason?, screenshot?}`.
//!
//! Every route takes an authorizer_access_token of a mini program; the
//! template library the code comes from is `api::templates`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::{authorizer_appid, is_mini_program, json_body, lenient_i64};
use crate::account_state::{audit_status, Audit, CodeVersion, MiniProgramCode, Release};
use crate::calls::lock;
use crate::errors::{ok, ok_with, WxError, WxResult};
use crate::flows;
use crate::state::SimState;

/// Most characters of `user_version`.
pub const MAX_USER_VERSION_CHARS: usize = 64;
/// At most this many items in `submit_audit`'s `item_list`.
pub const MAX_AUDIT_ITEMS: usize = 5;
/// Audits an account may withdraw per (Beijing) day.
pub const UNDO_PER_DAY: usize = 5;
/// Audits an account may withdraw per 30 days.
pub const UNDO_PER_MONTH: usize = 10;
/// Most characters of a `getwxacodeunlimit` scene.
pub const MAX_SCENE_CHARS: usize = 32;

/// An 8×8 grey baseline JPEG: the body of every QR code answered, so clients
/// that check `Content-Type: image/jpeg` (as wxcomponent does) get an image.
pub const QR_JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08,
    0x00, 0x08, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xC4, 0x00, 0x14,
    0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x3F, 0xFF, 0xD9,
];

/// Registers the code-management routes and `/__sim/wxa/audit`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/wxa/commit", web::post().to(commit))
        .route("/wxa/submit_audit", web::post().to(submit_audit))
        .route(
            "/wxa/get_latest_auditstatus",
            web::get().to(latest_audit_status),
        )
        .route("/wxa/release", web::post().to(release))
        .route("/wxa/revertcoderelease", web::get().to(revert_release))
        .route("/wxa/undocodeaudit", web::get().to(undo_audit))
        .route("/wxa/speedupaudit", web::post().to(speedup_audit))
        .route("/wxa/get_page", web::get().to(pages))
        .route("/wxa/get_category", web::get().to(categories))
        .route("/wxa/getversioninfo", web::post().to(version_info))
        .route("/wxa/getvisitstatus", web::post().to(visit_status))
        .route(
            "/wxa/change_visitstatus",
            web::post().to(change_visit_status),
        )
        .route("/wxa/get_qrcode", web::get().to(exp_qrcode))
        .route("/wxa/get_qrcode", web::post().to(exp_qrcode))
        .route("/wxa/getwxacodeunlimit", web::post().to(unlimited_code))
        .route("/__sim/wxa/audit", web::post().to(decide_audit));
}

/// The appid of a mini program's authorizer_access_token. An official
/// account's token gets 85015, WeChat's "该账号不是小程序账号" (this account is
/// not a mini program); an appid no longer authorized gets 61003.
pub(super) fn mini_program(state: &SimState, req: &HttpRequest) -> WxResult<String> {
    let appid = authorizer_appid(state, req)?;
    match is_mini_program(state, &appid) {
        Some(true) => Ok(appid),
        Some(false) => Err(WxError::new(
            85015,
            "this account is not a mini program (该账号不是小程序账号)",
        )),
        None => Err(WxError::new(
            61003,
            "component is not authorized by this account",
        )),
    }
}

/// Runs `f` on the code of `appid` under the accounts lock.
fn with_code<T>(state: &SimState, appid: &str, f: impl FnOnce(&mut MiniProgramCode) -> T) -> T {
    f(&mut lock(&state.accounts).account(appid).code)
}

#[derive(Deserialize)]
struct CommitBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    template_id: Option<i64>,
    #[serde(default)]
    ext_json: String,
    #[serde(default)]
    user_version: String,
    #[serde(default)]
    user_desc: String,
}

async fn commit(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: CommitBody = json_body(&body)?;
    let now = state.now();
    let mut accounts = lock(&state.accounts);
    let template = body
        .template_id
        .and_then(|id| accounts.templates.iter().find(|t| t.template_id == id))
        .cloned()
        .ok_or_else(|| WxError::new(85014, "invalid template_id (无效的模板编号)"))?;
    if !body.ext_json.trim().is_empty()
        && !serde_json::from_str::<Value>(&body.ext_json).is_ok_and(|v| v.is_object())
    {
        return Err(WxError::new(
            85048,
            "ext_json parse failed: it must be a JSON object in a string",
        ));
    }
    let chars = body.user_version.chars().count();
    if chars == 0 || chars > MAX_USER_VERSION_CHARS {
        return Err(WxError::new(
            85015,
            format!("invalid user_version: 1 to {MAX_USER_VERSION_CHARS} characters"),
        ));
    }
    accounts.account(&appid).code.exp = Some(CodeVersion {
        template_id: template.template_id,
        ext_json: body.ext_json,
        user_version: body.user_version,
        user_desc: body.user_desc,
        pages: template.pages,
        committed_at: now,
    });
    Ok(ok())
}

#[derive(Deserialize)]
struct SubmitAuditBody {
    item_list: Option<Vec<Value>>,
}

async fn submit_audit(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: SubmitAuditBody = json_body(&body)?;
    if let Some(items) = &body.item_list {
        if items.is_empty() || items.len() > MAX_AUDIT_ITEMS {
            return Err(WxError::new(
                85023,
                format!("item_list must have 1 to {MAX_AUDIT_ITEMS} items"),
            ));
        }
        if items
            .iter()
            .any(|i| i.as_object().is_none_or(serde_json::Map::is_empty))
        {
            return Err(WxError::new(85010, "item_list has an empty item"));
        }
    }
    let now = state.now();
    let mut accounts = lock(&state.accounts);
    let code = &accounts.account(&appid).code;
    let version = code.exp.clone().ok_or_else(|| {
        WxError::new(
            85086,
            "commit code before submitting it for audit (提交代码审核之前需提前上传代码)",
        )
    })?;
    if code.audit.as_ref().is_some_and(is_pending) {
        return Err(WxError::new(
            85009,
            "an audit is already pending (已经有正在审核的版本)",
        ));
    }
    let auditid = accounts.take_auditid();
    accounts.account(&appid).code.audit = Some(Audit {
        auditid,
        status: audit_status::PENDING,
        reason: String::new(),
        screenshot: String::new(),
        version,
        submit_audit_time: now,
        speedup: false,
        released: false,
    });
    Ok(ok_with(json!({"auditid": auditid})))
}

fn is_pending(audit: &Audit) -> bool {
    matches!(audit.status, audit_status::PENDING | audit_status::DELAYED)
}

fn no_audit() -> WxError {
    WxError::new(85058, "no valid audit_id exist")
}

async fn latest_audit_status(
    state: web::Data<SimState>,
    req: HttpRequest,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let audit = with_code(&state, &appid, |code| code.audit.clone()).ok_or_else(no_audit)?;
    Ok(ok_with(json!({
        "auditid": audit.auditid,
        "status": audit.status,
        "reason": audit.reason,
        "ScreenShot": audit.screenshot,
        "user_version": audit.version.user_version,
        "user_desc": audit.version.user_desc,
        "submit_audit_time": audit.submit_audit_time,
    })))
}

async fn release(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    // WeChat wants `{}`: an empty body is 44002.
    let _: Value = json_body(&body)?;
    let now = state.now();
    with_code(&state, &appid, |code| {
        let audit = code
            .audit
            .as_mut()
            .ok_or_else(|| WxError::new(85019, "no audit version (没有审核版本)"))?;
        if audit.status != audit_status::APPROVED {
            return Err(WxError::new(
                85020,
                "the audit has not passed (审核状态未满足发布)",
            ));
        }
        if audit.released {
            return Err(WxError::new(85052, "app is already released"));
        }
        audit.released = true;
        let released = Release {
            user_version: audit.version.user_version.clone(),
            user_desc: audit.version.user_desc.clone(),
            release_time: now,
            auditid: audit.auditid,
            reverted: false,
        };
        code.previous_release = code.release.replace(released);
        Ok(ok())
    })
}

async fn revert_release(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    with_code(&state, &appid, |code| {
        let revertible = code.release.as_ref().is_some_and(|r| !r.reverted);
        match code.previous_release.take() {
            Some(mut previous) if revertible => {
                previous.reverted = true;
                code.release = Some(previous);
                Ok(ok())
            }
            previous => {
                code.previous_release = previous;
                Err(WxError::new(
                    87012,
                    "this version cannot be rolled back: no previous online version, \
                     or it is already a rolled-back version",
                ))
            }
        }
    })
}

/// Beijing calendar day of a Unix time.
fn beijing_day(t: i64) -> i64 {
    t.saturating_add(8 * 3600).div_euclid(86_400)
}

async fn undo_audit(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let now = state.now();
    with_code(&state, &appid, |code| {
        let audit = code.audit.as_mut().ok_or_else(no_audit)?;
        if !is_pending(audit) {
            return Err(WxError::new(
                85021,
                "status not allowed: only a pending audit can be withdrawn",
            ));
        }
        code.undo_times.retain(|t| now - *t < 30 * 86_400);
        let today = code
            .undo_times
            .iter()
            .filter(|t| beijing_day(**t) == beijing_day(now))
            .count();
        if today >= UNDO_PER_DAY || code.undo_times.len() >= UNDO_PER_MONTH {
            return Err(WxError::new(
                87013,
                "no quota to undo code: 5 a day, 10 a month (撤回次数达到上限)",
            ));
        }
        code.undo_times.push(now);
        audit.status = audit_status::WITHDRAWN;
        Ok(ok())
    })
}

#[derive(Deserialize)]
struct SpeedupBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    auditid: Option<i64>,
}

async fn speedup_audit(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: SpeedupBody = json_body(&body)?;
    with_code(&state, &appid, |code| {
        let audit = code
            .audit
            .as_mut()
            .filter(|a| Some(a.auditid) == body.auditid)
            .ok_or_else(|| WxError::new(85012, "invalid audit id"))?;
        if !is_pending(audit) {
            return Err(WxError::new(
                85021,
                "status not allowed: only a pending audit can be sped up",
            ));
        }
        audit.speedup = true;
        Ok(ok())
    })
}

fn no_code() -> WxError {
    WxError::new(86001, "no code committed (不存在第三方的已经提交的代码)")
}

async fn pages(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let exp = with_code(&state, &appid, |code| code.exp.clone()).ok_or_else(no_code)?;
    Ok(ok_with(json!({"page_list": exp.pages})))
}

async fn categories(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    mini_program(&state, &req)?;
    Ok(ok_with(json!({"category_list": [
        {"first_class": "工具", "second_class": "效率", "first_id": 287, "second_id": 616},
        {"first_class": "生活服务", "second_class": "家政", "first_id": 150, "second_id": 627},
    ]})))
}

async fn version_info(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let _: Value = json_body(&body)?;
    let (exp, release) = with_code(&state, &appid, |code| {
        (code.exp.clone(), code.release.clone())
    });
    let mut fields = serde_json::Map::new();
    if let Some(exp) = exp {
        fields.insert(
            "exp_info".into(),
            json!({
                "exp_time": exp.committed_at,
                "exp_version": exp.user_version,
                "exp_desc": exp.user_desc,
            }),
        );
    }
    if let Some(release) = release {
        fields.insert(
            "release_info".into(),
            json!({
                "release_time": release.release_time,
                "release_version": release.user_version,
                "release_desc": release.user_desc,
            }),
        );
    }
    Ok(ok_with(Value::Object(fields)))
}

async fn visit_status(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let _: Value = json_body(&body)?;
    let status = with_code(&state, &appid, |code| code.visit_status);
    Ok(ok_with(json!({"status": status})))
}

#[derive(Deserialize)]
struct VisitBody {
    #[serde(default)]
    action: String,
}

async fn change_visit_status(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let VisitBody { action } = json_body(&body)?;
    let status = match action.as_str() {
        "open" => 1,
        "close" => 0,
        _ => {
            return Err(WxError::new(
                85022,
                format!("invalid action {action:?}: open or close"),
            ))
        }
    };
    with_code(&state, &appid, |code| code.visit_status = status);
    Ok(ok())
}

fn jpeg() -> HttpResponse {
    HttpResponse::Ok().content_type("image/jpeg").body(QR_JPEG)
}

/// The experience version's QR code (`?path=` is accepted and ignored).
async fn exp_qrcode(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    with_code(&state, &appid, |code| code.exp.is_some())
        .then(jpeg)
        .ok_or_else(no_code)
}

#[derive(Deserialize)]
struct UnlimitedBody {
    #[serde(default)]
    scene: String,
}

/// An unlimited mini-program code; wxcomponent shows it for released versions.
async fn unlimited_code(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    mini_program(&state, &req)?;
    let UnlimitedBody { scene } = json_body(&body)?;
    let chars = scene.chars().count();
    if chars == 0 || chars > MAX_SCENE_CHARS {
        return Err(WxError::new(
            40169,
            format!("invalid length for scene: 1 to {MAX_SCENE_CHARS} characters"),
        ));
    }
    Ok(jpeg())
}

#[derive(Deserialize)]
struct DecideBody {
    #[serde(default)]
    appid: String,
    status: i64,
    reason: Option<String>,
    screenshot: Option<String>,
}

/// `POST /__sim/wxa/audit {appid, status: 0|1|2|4, reason?, screenshot?}`:
/// decides the pending audit of `appid` as WeChat's reviewers would, and
/// pushes the decision to the platform (`push` in the answer; none for 2).
async fn decide_audit(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let decision: DecideBody = json_body(&body)?;
    let status = decision.status;
    let default_reason = match status {
        audit_status::APPROVED | audit_status::PENDING => "",
        audit_status::REJECTED => "wxsim: rejected by the reviewer",
        audit_status::DELAYED => "wxsim: review delayed",
        _ => {
            return Err(WxError::bad_body(
                "status must be 0 (approved), 1 (rejected), 2 (pending) or 4 (delayed)",
            ))
        }
    };
    let (auditid, reason, screenshot) = {
        let mut accounts = lock(&state.accounts);
        let audit = accounts
            .accounts
            .get_mut(&decision.appid)
            .and_then(|account| account.code.audit.as_mut())
            .ok_or_else(no_audit)?;
        if !is_pending(audit) {
            return Err(WxError::new(
                85021,
                "status not allowed: only a pending audit can be decided",
            ));
        }
        audit.status = status;
        audit.reason = decision
            .reason
            .unwrap_or_else(|| default_reason.to_string());
        audit.screenshot = decision.screenshot.unwrap_or_default();
        (
            audit.auditid,
            audit.reason.clone(),
            audit.screenshot.clone(),
        )
    };
    let push =
        flows::push_audit_decision(&state, &decision.appid, status, &reason, &screenshot).await;
    Ok(ok_with(
        json!({"auditid": auditid, "status": status, "push": push}),
    ))
}
