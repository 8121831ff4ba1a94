//! Forward rules: `GET /admin/callback-proxy-rule-list`, `PUT` (add),
//! `POST` (update), `DELETE /admin/callback-proxy-rule`, `POST /admin/callback-test`.
//!
//! Codes follow wxcomponent's console (`client/src/pages/forwardMessage`):
//! its add-rule form prints "该事件已存在转发规则" for every 1001 and nothing
//! for any other code, update and delete print `data` for 1002 and a fixed
//! text otherwise. So on add, update and delete 1001 means only "a rule for
//! this event exists"; every other invalid input is 1002 with the reason in
//! `data` (the add form itself stays silent on it: nothing the server
//! answers can make it print a reason; other clients read `data`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{ok, ok_empty};
use crate::auth::AuthUser;
use crate::error::{AdminError, AdminResult};
use crate::params::{self, Query};
use crate::rules::{self, RuleInput};
use crate::state::AppState;

/// `{total, rules}`: `type` 0 all / 1 component / 2 biz, `offset`, `limit`.
pub async fn list(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let kind = rules::kind_from_code(query.int("type", 0)?)?;
    let (offset, limit) = query.page(20, 1000)?;
    let (total, rules) = state
        .db
        .run(move |conn| rules::list(conn, kind, offset, limit))
        .await?;
    Ok(ok(json!({ "total": total, "rules": rules })))
}

/// Adds a rule.
pub async fn add(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let input: RuleInput = params::json(&body).map_err(AdminError::shown_as_refusal)?;
    state.db.query(move |conn| rules::add(conn, &input)).await?;
    Ok(ok_empty())
}

/// Updates the rule `id`.
pub async fn update(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let input: RuleInput = params::json(&body).map_err(AdminError::shown_as_refusal)?;
    state
        .db
        .query(move |conn| rules::update(conn, &input))
        .await?;
    Ok(ok_empty())
}

/// Deletes the rule `?id=`.
pub async fn delete(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string()).map_err(AdminError::shown_as_refusal)?;
    let id = query.int("id", 0).map_err(AdminError::shown_as_refusal)?;
    state.db.query(move |conn| rules::delete(conn, id)).await?;
    Ok(ok_empty())
}

/// `POST /admin/callback-test` body.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct TestBody {
    /// The rule.
    id: i64,
}

/// Sends a sample push to the rule's target; `data` is its answer.
pub async fn test(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: TestBody = params::json(&body)?;
    let answer = rules::test(&state, body.id).await?;
    Ok(ok(answer))
}
