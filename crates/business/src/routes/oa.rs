//! Official-account management for an authorized account (`?appid=`), the
//! seed's API under `/api/v0.1/cgi-bin/`: menus, tags, user tags, remarks.
//! Inputs are checked before WeChat is called; WeChat's answer is passed
//! through. Operators authenticate with `Authorization: Bearer <business.api_token>`.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use common::wechat::Method;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::BusinessError;
use crate::fields::Fields;
use crate::routes::login::bearer;
use crate::wechat;
use crate::{menu, AppState};

/// An operator authenticated with `Authorization: Bearer <business.api_token>`;
/// taking it as a handler argument protects the route.
pub struct Operator;

impl FromRequest for Operator {
    type Error = BusinessError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(check_operator(req))
    }
}

fn check_operator(req: &HttpRequest) -> Result<Operator, BusinessError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| BusinessError::Internal("application state missing".into()))?;
    let expected = state.settings.api_token.expose_secret();
    if expected.is_empty() {
        return Err(BusinessError::ManagementDisabled);
    }
    match bearer(req) {
        Some(token) if common::crypto::constant_time_eq(token, expected) => Ok(Operator),
        _ => Err(BusinessError::Unauthorized(
            "management routes need Authorization: Bearer <business.api_token>".into(),
        )),
    }
}

#[derive(Deserialize)]
pub struct AppidQuery {
    #[serde(default)]
    appid: String,
    tagid: Option<String>,
    openid: Option<String>,
}

impl AppidQuery {
    fn appid(&self) -> Result<&str, BusinessError> {
        let appid = self.appid.trim();
        if appid.is_empty() || appid.len() > 64 || !appid.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(BusinessError::InvalidWx(
                "参数缺失或参数错误: appid (the authorized account) is required".into(),
            ));
        }
        Ok(appid)
    }
}

async fn call(
    state: &AppState,
    appid: &str,
    method: Method,
    path: &str,
    body: Value,
) -> Result<HttpResponse, BusinessError> {
    let answer = wechat::call(&state.inner, &state.wechat, appid, method, path, &[], &body).await?;
    Ok(HttpResponse::Ok().json(answer))
}

fn invalid(message: impl std::fmt::Display) -> BusinessError {
    BusinessError::InvalidWx(format!("参数缺失或参数错误: {message}"))
}

fn tag_id(fields: &Fields, name: &str) -> Result<i64, BusinessError> {
    fields
        .require(name)?
        .parse::<i64>()
        .ok()
        .filter(|id| *id >= 0)
        .ok_or_else(|| invalid(format!("{name} must be a tag id")))
}

fn tag_name(fields: &Fields) -> Result<String, BusinessError> {
    let name = fields.require("name")?;
    if name.len() > 30 {
        return Err(invalid(format!("name is {} bytes, at most 30", name.len())));
    }
    Ok(name.to_string())
}

fn openid(value: &str, name: &str) -> Result<String, BusinessError> {
    if value.is_empty()
        || value.len() > 64
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(invalid(format!("{name} is not an openid")));
    }
    Ok(value.to_string())
}

pub(super) async fn menu_create(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, BusinessError> {
    let appid = query.appid()?;
    let menu: Value =
        serde_json::from_slice(&body).map_err(|e| invalid(format!("menu must be JSON: {e}")))?;
    menu::validate(&menu)?;
    call(&state, appid, Method::Post, "/cgi-bin/menu/create", menu).await
}

pub(super) async fn menu_get(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
) -> Result<HttpResponse, BusinessError> {
    call(
        &state,
        query.appid()?,
        Method::Get,
        "/cgi-bin/menu/get",
        Value::Null,
    )
    .await
}

pub(super) async fn menu_delete(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
) -> Result<HttpResponse, BusinessError> {
    call(
        &state,
        query.appid()?,
        Method::Get,
        "/cgi-bin/menu/delete",
        Value::Null,
    )
    .await
}

pub(super) async fn tags_create(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
    fields: Fields,
) -> Result<HttpResponse, BusinessError> {
    let appid = query.appid()?;
    let name = tag_name(&fields)?;
    call(
        &state,
        appid,
        Method::Post,
        "/cgi-bin/tags/create",
        json!({"tag": {"name": name}}),
    )
    .await
}

pub(super) async fn tags_get(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
) -> Result<HttpResponse, BusinessError> {
    call(
        &state,
        query.appid()?,
        Method::Get,
        "/cgi-bin/tags/get",
        Value::Null,
    )
    .await
}

pub(super) async fn tags_update(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
    fields: Fields,
) -> Result<HttpResponse, BusinessError> {
    let appid = query.appid()?;
    let id = tag_id(&fields, "id")?;
    let name = tag_name(&fields)?;
    call(
        &state,
        appid,
        Method::Post,
        "/cgi-bin/tags/update",
        json!({"tag": {"id": id, "name": name}}),
    )
    .await
}

pub(super) async fn tags_delete(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
    fields: Fields,
) -> Result<HttpResponse, BusinessError> {
    let appid = query.appid()?;
    let id = tag_id(&fields, "id")?;
    call(
        &state,
        appid,
        Method::Post,
        "/cgi-bin/tags/delete",
        json!({"tag": {"id": id}}),
    )
    .await
}

pub(super) async fn user_tags_get(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
) -> Result<HttpResponse, BusinessError> {
    let appid = query.appid()?;
    let openid_param = query
        .openid
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match query
        .tagid
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(tagid) => {
            let tagid: i64 = tagid
                .parse()
                .map_err(|_| invalid("tagid must be a tag id"))?;
            let next = match openid_param {
                Some(o) => openid(o, "openid")?,
                None => String::new(),
            };
            call(
                &state,
                appid,
                Method::Post,
                "/cgi-bin/user/tag/get",
                json!({"tagid": tagid, "next_openid": next}),
            )
            .await
        }
        None => match openid_param {
            Some(o) => {
                let o = openid(o, "openid")?;
                call(
                    &state,
                    appid,
                    Method::Post,
                    "/cgi-bin/tags/getidlist",
                    json!({"openid": o}),
                )
                .await
            }
            None => Err(BusinessError::InvalidWx("参数缺失或参数错误".into())),
        },
    }
}

fn batch(fields: &Fields) -> Result<Value, BusinessError> {
    let tagid = tag_id(fields, "tagid")?;
    let list = fields.list("openid_list");
    if list.is_empty() || list.len() > 50 {
        return Err(invalid(format!(
            "openid_list must have 1-50 openids, got {}",
            list.len()
        )));
    }
    let list = list
        .iter()
        .map(|o| openid(o, "openid_list"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({"openid_list": list, "tagid": tagid}))
}

pub(super) async fn user_tags_tag(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
    fields: Fields,
) -> Result<HttpResponse, BusinessError> {
    batch_call(
        &state,
        &query,
        &fields,
        "/cgi-bin/tags/members/batchtagging",
    )
    .await
}

pub(super) async fn user_tags_untag(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
    fields: Fields,
) -> Result<HttpResponse, BusinessError> {
    batch_call(
        &state,
        &query,
        &fields,
        "/cgi-bin/tags/members/batchuntagging",
    )
    .await
}

/// Tags or untags a batch of users (`openid_list` + `tagid`).
async fn batch_call(
    state: &AppState,
    query: &AppidQuery,
    fields: &Fields,
    path: &str,
) -> Result<HttpResponse, BusinessError> {
    let appid = query.appid()?;
    let body = batch(fields)?;
    call(state, appid, Method::Post, path, body).await
}

pub(super) async fn user_remark(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<AppidQuery>,
    fields: Fields,
) -> Result<HttpResponse, BusinessError> {
    let appid = query.appid()?;
    let user = openid(fields.require("openid")?, "openid")?;
    let remark = fields.get("remark").unwrap_or_default();
    if remark.len() > 30 {
        return Err(invalid(format!(
            "remark is {} bytes, at most 30",
            remark.len()
        )));
    }
    call(
        &state,
        appid,
        Method::Post,
        "/cgi-bin/user/info/updateremark",
        json!({"openid": user, "remark": remark}),
    )
    .await
}
