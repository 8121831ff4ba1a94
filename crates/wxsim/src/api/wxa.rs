//! Code management of managed mini programs (`/wxa/*`), as wxcomponent's
//! "开发小程序" pages call it, following WeChat's state machine:
//! commit (experience version) → submit_audit → audit decided → release →
//! revert, with the platform's monthly audit quota (`queryquota`), the
//! status of any earlier audit (`get_auditstatus`) and phased releases
//! (`grayrelease`, `getgrayreleaseplan`, `revertgrayrelease`). Code that uses
//! privacy information its guide does not cover is refused at submission
//! (`privacy_state`). WeChat's reviewers are played by the control endpoint
//! `POST /__sim/wxa/audit {appid, status, reason?, screenshot?}`, or decide
//! each submission at once by the rules of `POST /__sim/wxa/reviewer`
//! (`crate::reviewer`).
//!
//! Every route takes an authorizer_access_token of a mini program; the
//! template library the code comes from is `api::templates`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::{authorizer_appid, is_mini_program, json_body, lenient_i64};
use crate::account_state::{
    audit_status, AccountState, Audit, CodeVersion, MiniProgramCode, Release,
};
use crate::calls::lock;
use crate::errors::{ok, ok_with, WxError, WxResult};
use crate::flows;
use crate::privacy_state::{check_audit_privacy, gray_status, GrayReleasePlan};
use crate::reviewer::Rule;
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
        .route("/wxa/get_auditstatus", web::post().to(audit_status_of))
        .route("/wxa/queryquota", web::get().to(query_quota))
        .route("/wxa/grayrelease", web::post().to(gray_release))
        .route("/wxa/getgrayreleaseplan", web::get().to(gray_release_plan))
        .route("/wxa/revertgrayrelease", web::get().to(revert_gray_release))
        .route("/__sim/wxa/audit", web::post().to(decide_audit))
        .route("/__sim/wxa/reviewer", web::post().to(set_reviewer))
        .route("/__sim/wxa/reviewer", web::get().to(reviewer));
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
        privacy_keys: template.privacy_keys,
        committed_at: now,
    });
    Ok(ok())
}

#[derive(Deserialize)]
struct SubmitAuditBody {
    item_list: Option<Vec<Value>>,
    #[serde(default)]
    privacy_api_not_use: bool,
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
    admit_audit(
        &state,
        &mut accounts,
        &appid,
        &version,
        body.privacy_api_not_use,
    )?;
    let auditid = accounts.take_auditid();
    let verdict = lock(&state.reviewer).verdict(&appid);
    accounts.account(&appid).code.start_audit(Audit {
        auditid,
        status: verdict.status,
        reason: verdict.reason.clone(),
        screenshot: String::new(),
        version,
        submit_audit_time: now,
        speedup: false,
        released: false,
    });
    drop(accounts);
    if verdict.status != audit_status::PENDING {
        // The reviewers' push, as after `/__sim/wxa/audit`; not awaited,
        // like WeChat's, which arrives after the submission's answer.
        let state = state.clone();
        actix_web::rt::spawn(async move {
            flows::push_audit_decision(&state, &appid, verdict.status, &verdict.reason, "").await;
        });
    }
    Ok(ok_with(json!({"auditid": auditid})))
}

/// What WeChat checks of a submission beyond the code's own state: the
/// privacy guide covers what the code uses (61040), and the platform has
/// audit quota left this month (85085), which the submission spends.
fn admit_audit(
    state: &SimState,
    accounts: &mut AccountState,
    appid: &str,
    version: &CodeVersion,
    privacy_api_not_use: bool,
) -> WxResult<()> {
    let guides = &accounts.account(appid).privacy;
    check_audit_privacy(guides, &version.privacy_keys, privacy_api_not_use)?;
    accounts
        .audit_quota
        .spend_audit(state.now(), state.settings.audit_quota_limit)
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
        Ok(())
    })?;
    finish_release(&state, &appid);
    Ok(ok())
}

/// What a release takes along: the privacy guide set for the code goes
/// live ("审核通过且需要重新发布上线后才会在小程序端生效"), and a phased
/// release of it is finished.
fn finish_release(state: &SimState, appid: &str) {
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(appid);
    account.privacy.publish();
    if let Some(plan) = account
        .code
        .gray_release
        .as_mut()
        .filter(|p| p.is_running())
    {
        plan.status = gray_status::DONE;
    }
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

/// Speeds up a pending audit, spending the platform's speed-up quota:
/// 85012 for another audit id, then speedupCodeAudit.html's codes: 89402
/// not waiting for review, 89404 already sped up, 89405 no quota left.
async fn speedup_audit(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: SpeedupBody = json_body(&body)?;
    let now = state.now();
    let mut guard = lock(&state.accounts);
    let accounts = &mut *guard;
    let audit = accounts
        .accounts
        .entry(appid)
        .or_default()
        .code
        .audit
        .as_mut()
        .filter(|a| Some(a.auditid) == body.auditid)
        .ok_or_else(|| WxError::new(85012, "invalid audit id"))?;
    if !is_pending(audit) {
        return Err(WxError::new(
            89402,
            "该审核单不在待审核队列，请检查是否已提交审核或已审完",
        ));
    }
    if audit.speedup {
        return Err(WxError::new(89404, "本单已加速成功，请勿重复提交"));
    }
    accounts
        .audit_quota
        .spend_speedup(now, state.settings.speedup_quota_limit)?;
    audit.speedup = true;
    Ok(ok())
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
struct AuditIdBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    auditid: Option<i64>,
}

/// `POST /wxa/get_auditstatus {auditid}`: the status of any audit of this
/// mini program, the latest or an earlier one, with get_auditstatus.html's
/// fields `status`, `reason`, `screenshot` and codes 86001 (no code
/// committed) and 85012 (invalid audit id).
async fn audit_status_of(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: AuditIdBody = json_body(&body)?;
    let audit = with_code(&state, &appid, |code| {
        if code.exp.is_none() {
            return Err(no_code());
        }
        body.auditid
            .and_then(|id| code.find_audit(id))
            .cloned()
            .ok_or_else(|| WxError::new(85012, "invalid audit id"))
    })?;
    Ok(ok_with(json!({
        "status": audit.status,
        "reason": audit.reason,
        "screenshot": audit.screenshot,
    })))
}

/// `GET /wxa/queryquota`: the platform's audit and speed-up quota of this
/// month, shared by all its mini programs (any of their tokens asks).
async fn query_quota(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    mini_program(&state, &req)?;
    let settings = &state.settings;
    let (rest, speedup_rest) = lock(&state.accounts).audit_quota.rest(
        state.now(),
        settings.audit_quota_limit,
        settings.speedup_quota_limit,
    );
    Ok(ok_with(json!({
        "rest": rest,
        "limit": settings.audit_quota_limit,
        "speedup_rest": speedup_rest,
        "speedup_limit": settings.speedup_quota_limit,
    })))
}

#[derive(Deserialize)]
struct GrayBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    gray_percentage: Option<i64>,
    #[serde(default)]
    support_experiencer_first: bool,
    #[serde(default)]
    support_debuger_first: bool,
}

/// `POST /wxa/grayrelease`: starts or widens the phased release of the
/// approved, unreleased audit, with grayrelease.html's codes: 85081 a
/// percentage outside 0..=100 (0 only with one of the `support_*_first`
/// flags), 85079 no online version yet, 85080 no approved audit to release,
/// 85082 a percentage not above the running plan's. `/wxa/release` finishes
/// the plan.
async fn gray_release(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: GrayBody = json_body(&body)?;
    let invalid = || {
        WxError::new(
            85081,
            "invalid gray_percentage: 0 to 100, 0 only with support_experiencer_first \
             or support_debuger_first (无效的发布比例)",
        )
    };
    let percentage = body
        .gray_percentage
        .filter(|p| (0..=100).contains(p))
        .ok_or_else(invalid)?;
    if percentage == 0 && !body.support_experiencer_first && !body.support_debuger_first {
        return Err(invalid());
    }
    let now = state.now();
    with_code(&state, &appid, |code| {
        if code.release.is_none() {
            return Err(WxError::new(85079, "小程序没有线上版本，不能进行灰度"));
        }
        let auditid = code
            .audit
            .as_ref()
            .filter(|a| a.status == audit_status::APPROVED && !a.released)
            .map(|a| a.auditid)
            .ok_or_else(|| WxError::new(85080, "小程序提交的审核未审核通过"))?;
        let running = code
            .gray_release
            .as_ref()
            .filter(|plan| plan.is_running() && plan.auditid == auditid);
        let create_timestamp = match running {
            Some(plan) if percentage <= plan.gray_percentage => {
                return Err(WxError::new(
                    85082,
                    format!(
                        "当前的发布比例需要比之前设置的高 (now {}%)",
                        plan.gray_percentage
                    ),
                ))
            }
            Some(plan) => plan.create_timestamp,
            None => now,
        };
        code.gray_release = Some(GrayReleasePlan {
            status: gray_status::RUNNING,
            create_timestamp,
            gray_percentage: percentage,
            support_experiencer_first: body.support_experiencer_first,
            support_debuger_first: body.support_debuger_first,
            auditid,
        });
        Ok(ok())
    })
}

/// `GET /wxa/getgrayreleaseplan`: `gray_release_plan`, status 0 (初始状态)
/// with zero values before any plan.
async fn gray_release_plan(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let plan = with_code(&state, &appid, |code| code.gray_release.clone());
    let plan = match plan {
        Some(plan) => json!({
            "status": plan.status,
            "create_timestamp": plan.create_timestamp,
            "gray_percentage": plan.gray_percentage,
            "support_experiencer_first": plan.support_experiencer_first,
            "support_debuger_first": plan.support_debuger_first,
        }),
        None => json!({
            "status": gray_status::INITIAL,
            "create_timestamp": 0,
            "gray_percentage": 0,
            "support_experiencer_first": false,
            "support_debuger_first": false,
        }),
    };
    Ok(ok_with(json!({ "gray_release_plan": plan })))
}

/// `GET /wxa/revertgrayrelease`: withdraws the running phased release (its
/// plan then reads status 4, 被删除). WeChat documents no code for "no plan
/// is running": wxsim answers 85021 (status not allowed), as for the other
/// wrong-state calls of code management.
async fn revert_gray_release(
    state: web::Data<SimState>,
    req: HttpRequest,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    with_code(&state, &appid, |code| {
        match code.gray_release.as_mut().filter(|p| p.is_running()) {
            Some(plan) => {
                plan.status = gray_status::DELETED;
                Ok(ok())
            }
            None => Err(WxError::new(
                85021,
                "status not allowed: no phased release is running",
            )),
        }
    })
}

#[derive(Deserialize)]
struct DecideBody {
    #[serde(default)]
    appid: String,
    status: i64,
    reason: Option<String>,
    screenshot: Option<String>,
}

#[derive(Deserialize)]
struct ReviewerBody {
    #[serde(flatten)]
    rule: Rule,
    #[serde(default)]
    appids: Vec<String>,
}

/// `POST /__sim/wxa/reviewer {policy: manual|approve|reject|delay, reason?,
/// appids?}`: how audits submitted from now on are decided, for `appids`
/// or (none) every other mini program; answers the rules.
async fn set_reviewer(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let ReviewerBody { rule, appids } = json_body(&body)?;
    let mut reviewer = lock(&state.reviewer);
    reviewer.set(rule, &appids);
    Ok(HttpResponse::Ok().json(&*reviewer))
}

/// `GET /__sim/wxa/reviewer`: the rules.
async fn reviewer(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(&*lock(&state.reviewer))
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
