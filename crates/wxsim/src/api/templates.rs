//! The platform's template library, with the component_access_token:
//! `GET /wxa/gettemplatedraftlist` (the 草稿箱 its development mini programs
//! upload to), `POST /wxa/addtotemplate {draft_id, template_type}`,
//! `GET /wxa/gettemplatelist`, `POST /wxa/deletetemplate {template_id}`.
//! A draft stays in the 草稿箱 once added; the library holds at most
//! `template_library_limit` templates (then 85065).
//!
//! Uploading from WeChat DevTools is played by the control endpoint
//! `POST /__sim/wxa/draft {user_version, user_desc, pages?, privacy_keys?}`
//! (the privacy keys the uploaded code uses; see `privacy_state`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::{check_component_token, json_body, lenient_i64, param, query};
use crate::account_state::{CodeDraft, CodeTemplate};
use crate::calls::lock;
use crate::errors::{ok, ok_with, WxError, WxResult};
use crate::state::SimState;

/// Registers the template-library routes and `/__sim/wxa/draft`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/wxa/gettemplatedraftlist", web::get().to(drafts))
        .route("/wxa/addtotemplate", web::post().to(add_to_template))
        .route("/wxa/gettemplatelist", web::get().to(templates))
        .route("/wxa/deletetemplate", web::post().to(delete_template))
        .route("/__sim/wxa/draft", web::post().to(upload_draft));
}

/// The platform's token, from `access_token` (or wxcomponent's
/// `component_access_token`) in the query.
pub(super) fn component(state: &SimState, req: &HttpRequest) -> WxResult<String> {
    let query = query(req);
    let token = param(&query, "access_token").or_else(|| param(&query, "component_access_token"));
    check_component_token(state, token)
}

fn not_found(what: &str) -> WxError {
    WxError::new(85064, format!("template not found: no such {what}"))
}

async fn drafts(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    component(&state, &req)?;
    let list: Vec<Value> = lock(&state.accounts)
        .drafts
        .iter()
        .map(|d| {
            json!({
                "create_time": d.create_time,
                "user_version": d.user_version,
                "user_desc": d.user_desc,
                "draft_id": d.draft_id,
            })
        })
        .collect();
    Ok(ok_with(json!({"draft_list": list})))
}

#[derive(Deserialize)]
struct AddBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    draft_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    template_type: Option<i64>,
}

async fn add_to_template(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    component(&state, &req)?;
    let body: AddBody = json_body(&body)?;
    let template_type = body.template_type.unwrap_or(0);
    if !(0..=1).contains(&template_type) {
        return Err(WxError::new(
            40097,
            "invalid args: template_type must be 0 or 1",
        ));
    }
    let now = state.now();
    let mut accounts = lock(&state.accounts);
    let draft = body
        .draft_id
        .and_then(|id| accounts.drafts.iter().find(|d| d.draft_id == id))
        .cloned()
        .ok_or_else(|| not_found("draft"))?;
    if accounts.templates.len() >= state.settings.template_library_limit {
        return Err(WxError::new(85065, "template list is full"));
    }
    let template_id = accounts
        .templates
        .iter()
        .map(|t| t.template_id)
        .max()
        .unwrap_or(0)
        + 1;
    accounts.templates.push(CodeTemplate {
        template_id,
        user_version: draft.user_version,
        user_desc: draft.user_desc,
        create_time: now,
        template_type,
        source_miniprogram_appid: draft.source_miniprogram_appid,
        source_miniprogram: draft.source_miniprogram,
        pages: draft.pages,
        privacy_keys: draft.privacy_keys,
    });
    Ok(ok())
}

async fn templates(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    component(&state, &req)?;
    let query = query(&req);
    let wanted = match param(&query, "template_type") {
        None => None,
        Some(t) => Some(
            t.parse::<i64>()
                .map_err(|_| WxError::new(40097, "invalid args: template_type must be 0 or 1"))?,
        ),
    };
    let list: Vec<Value> = lock(&state.accounts)
        .templates
        .iter()
        .filter(|t| wanted.is_none_or(|w| w == t.template_type))
        .map(|t| {
            let mut item = json!({
                "create_time": t.create_time,
                "user_version": t.user_version,
                "user_desc": t.user_desc,
                "template_id": t.template_id,
                "template_type": t.template_type,
                "source_miniprogram_appid": t.source_miniprogram_appid,
                "source_miniprogram": t.source_miniprogram,
                "developer": "wxsim",
                "category_list": [],
            });
            if t.template_type == 1 {
                item["audit_scene"] = json!(0);
                item["audit_status"] = json!(3);
                item["reason"] = json!("");
            }
            item
        })
        .collect();
    Ok(ok_with(json!({"template_list": list})))
}

#[derive(Deserialize)]
struct DeleteBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    template_id: Option<i64>,
}

async fn delete_template(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    component(&state, &req)?;
    let body: DeleteBody = json_body(&body)?;
    let mut accounts = lock(&state.accounts);
    let before = accounts.templates.len();
    accounts
        .templates
        .retain(|t| Some(t.template_id) != body.template_id);
    if accounts.templates.len() == before {
        return Err(not_found("template"));
    }
    Ok(ok())
}

#[derive(Deserialize)]
struct DraftBody {
    user_version: String,
    #[serde(default)]
    user_desc: String,
    #[serde(default)]
    pages: Vec<String>,
    #[serde(default)]
    privacy_keys: Vec<String>,
}

/// A development mini program uploads code to the 草稿箱; answers its
/// `draft_id`.
async fn upload_draft(state: web::Data<SimState>, body: web::Bytes) -> WxResult<HttpResponse> {
    let body: DraftBody = json_body(&body)?;
    let now = state.now();
    let mut accounts = lock(&state.accounts);
    let draft_id = accounts
        .drafts
        .iter()
        .map(|d| d.draft_id + 1)
        .max()
        .unwrap_or(0);
    let pages = if body.pages.is_empty() {
        vec!["pages/index/index".to_string()]
    } else {
        body.pages
    };
    accounts.drafts.push(CodeDraft {
        draft_id,
        user_version: body.user_version,
        user_desc: body.user_desc,
        create_time: now,
        source_miniprogram_appid: "wxtemplatesource01".into(),
        source_miniprogram: "模板开发小程序".into(),
        pages,
        privacy_keys: body.privacy_keys,
    });
    Ok(ok_with(json!({"draft_id": draft_id})))
}
