//! `GET/POST /admin/proxy` (wxcomponent's single rule) and the route list
//! `GET /admin/proxy-routes`, `PUT/POST/DELETE /admin/proxy-route`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ok, ok_empty};
use crate::auth::AuthUser;
use crate::error::{AdminError, AdminResult};
use crate::params::{self, Query};
use crate::proxy::{self, RouteInput};
use crate::state::AppState;

/// `{open, port, url}`.
pub async fn get_config(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let config = state.db.run(proxy::load_config).await?;
    Ok(ok(config))
}

/// `POST /admin/proxy` body.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct ConfigBody {
    /// true/false (or 1/0).
    open: Value,
    /// The port forwarded to.
    #[serde(default)]
    port: i64,
}

/// Sets `{open, port}`.
pub async fn set_config(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: ConfigBody = params::json(&body)?;
    let open = match body.open {
        Value::Bool(b) => b,
        Value::Number(n) if n.as_i64().is_some() => n.as_i64() != Some(0),
        _ => return Err(AdminError::invalid("open: must be true or false")),
    };
    let host = state.settings.callback.forward_host.clone();
    let config = state
        .db
        .query(move |conn| proxy::save_config(conn, open, body.port, &host))
        .await?;
    tracing::info!(open = config.open, port = config.port, "proxy rule updated");
    Ok(ok_empty())
}

/// `{total, routes}`.
pub async fn list(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let routes = state.db.run(proxy::list).await?;
    Ok(ok(json!({ "total": routes.len(), "routes": routes })))
}

/// Adds a route.
pub async fn add(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let input: RouteInput = params::json(&body)?;
    state.db.query(move |conn| proxy::add(conn, &input)).await?;
    Ok(ok_empty())
}

/// Updates the route `id`.
pub async fn update(
    _: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let input: RouteInput = params::json(&body)?;
    state
        .db
        .query(move |conn| proxy::update(conn, &input))
        .await?;
    Ok(ok_empty())
}

/// Deletes the route `?id=`.
pub async fn delete(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let id = query.int("id", 0)?;
    if id <= 0 {
        return Err(AdminError::invalid("id: a positive route id is required"));
    }
    state.db.query(move |conn| proxy::delete(conn, id)).await?;
    Ok(ok_empty())
}
