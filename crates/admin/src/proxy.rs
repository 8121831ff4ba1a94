//! Proxy rules for the gateway.
//!
//! - wxcomponent's single rule (`GET/POST /wxcomponent/admin/proxy`,
//!   `comm` key `proxy`: `{open, port, path, url}`): when open, every request
//!   no other route takes goes to `http://{callback.forward_host}:{port}{path}`.
//! - The list form (`proxy_routes`): path prefix → upstream, where upstream
//!   is a service name the gateway knows (`business`, `business:8083`) or a
//!   URL (`http://10.0.0.5:8080`).
//!
//! The gateway polls `GET /inner/routes` with `If-None-Match`; the answer is
//! [`common::routing::RoutingDocument`], the type the gateway reads, and its
//! `ETag` a hash of it, so an unchanged set costs a 304. An upstream is
//! checked by the rule the gateway reads it with, so a saved route is one
//! the gateway can use.

use chrono::NaiveDateTime;
use common::db::schema::proxy_routes;
use common::db::{now, DbConnection, DbError};
use common::routing::{ProxyRoute, RoutingDocument, UpstreamAddress, UpstreamError};
use common::secrets;
use common::tokens::store;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};

use crate::error::AdminError;

/// `comm` key of wxcomponent's single proxy rule.
pub const PROXY_KEY: &str = "proxy";
/// Path prefixes the gateway reserves for the platform itself.
pub const RESERVED_PREFIXES: [&str; 5] =
    ["/wxcallback", "/wxcomponent", "/inner", "/healthz", "/__"];

/// wxcomponent's single proxy rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyConfig {
    /// Whether unmatched requests are forwarded.
    #[serde(default)]
    pub open: bool,
    /// Port on `callback.forward_host`.
    #[serde(default)]
    pub port: i64,
    /// Path prefix added in front of the request path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The resulting target.
    #[serde(default)]
    pub url: String,
}

/// The stored single rule (all off when none or unreadable).
pub fn load_config(conn: &mut DbConnection) -> Result<ProxyConfig, DbError> {
    let raw = secrets::load_raw(conn, PROXY_KEY)?;
    Ok(raw
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or_default())
}

/// Stores the single rule.
pub fn save_config(
    conn: &mut DbConnection,
    open: bool,
    port: i64,
    forward_host: &str,
) -> Result<ProxyConfig, AdminError> {
    if open && !(1..=65535).contains(&port) {
        return Err(AdminError::invalid("port: must be between 1 and 65535"));
    }
    if !(0..=65535).contains(&port) {
        return Err(AdminError::invalid("port: must be between 0 and 65535"));
    }
    let config = ProxyConfig {
        open,
        port,
        path: String::new(),
        url: if port > 0 {
            format!("http://{forward_host}:{port}")
        } else {
            String::new()
        },
    };
    let value = serde_json::to_string(&config).map_err(AdminError::internal)?;
    store::put_comm(conn, PROXY_KEY, &value)?;
    Ok(config)
}

/// A route of the list form, as the console sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteInput {
    /// Required for updates.
    #[serde(default)]
    pub id: Option<i64>,
    /// Path prefix, e.g. `/api/`.
    pub prefix: String,
    /// Service name or URL.
    pub upstream: String,
    /// Remove the prefix before forwarding.
    #[serde(default)]
    pub strip_prefix: bool,
    /// Whether the route is active (default on).
    #[serde(default = "yes")]
    pub open: bool,
}

fn yes() -> bool {
    true
}

/// A stored route.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// Row id.
    pub id: i32,
    /// Path prefix.
    pub prefix: String,
    /// Service name or URL.
    pub upstream: String,
    /// Remove the prefix before forwarding.
    pub strip_prefix: bool,
    /// Whether the route is active.
    pub open: bool,
    /// Unix seconds.
    pub create_time: i64,
    /// Unix seconds.
    pub update_time: i64,
}

fn check_prefix(prefix: &str) -> Result<(), AdminError> {
    if !prefix.starts_with('/')
        || prefix.len() > 191
        || prefix
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
    {
        return Err(AdminError::invalid(
            "prefix: must start with / and contain no spaces, ? or # (at most 191 characters)",
        ));
    }
    if prefix == "/" {
        return Ok(());
    }
    if let Some(reserved) = RESERVED_PREFIXES
        .iter()
        .find(|r| prefix.starts_with(*r) || r.starts_with(prefix.trim_end_matches('/')))
    {
        return Err(AdminError::invalid(format!(
            "prefix: {prefix} overlaps {reserved}, which the platform itself serves"
        )));
    }
    Ok(())
}

/// A route's upstream, read as the gateway reads it
/// ([`UpstreamAddress::parse`]): what it could not proxy to is refused
/// here, not skipped there. `https://` is 1002 with the reason in `data`
/// (the console prints it; the URL is well formed, the gateway just has no
/// TLS); anything else malformed is 1001 naming the field.
fn check_upstream(upstream: &str) -> Result<(), AdminError> {
    const EXPECTED: &str = "a service name (business, business:8083) or an http:// URL";
    if upstream.is_empty() || upstream.len() > 255 {
        return Err(AdminError::invalid(format!(
            "upstream: {EXPECTED}, at most 255 characters"
        )));
    }
    match UpstreamAddress::parse(upstream) {
        Ok(_) => Ok(()),
        Err(e @ UpstreamError::Https(_)) => Err(AdminError::Refused(format!("upstream: {e}"))),
        Err(e) => Err(AdminError::invalid(format!("upstream: {e}; {EXPECTED}"))),
    }
}

impl RouteInput {
    fn check(&self) -> Result<(String, String), AdminError> {
        let prefix = self.prefix.trim().to_string();
        let upstream = self.upstream.trim().to_string();
        check_prefix(&prefix)?;
        check_upstream(&upstream)?;
        Ok((prefix, upstream))
    }
}

type Row = (i32, String, String, i32, i32, NaiveDateTime, NaiveDateTime);

fn to_route((id, prefix, upstream, strip, open, created, updated): Row) -> Route {
    Route {
        id,
        prefix,
        upstream,
        strip_prefix: strip != 0,
        open: open != 0,
        create_time: created.and_utc().timestamp(),
        update_time: updated.and_utc().timestamp(),
    }
}

/// Every route, longest prefix first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Route>, DbError> {
    let rows: Vec<Row> = proxy_routes::table
        .select((
            proxy_routes::id,
            proxy_routes::prefix,
            proxy_routes::upstream,
            proxy_routes::stripprefix,
            proxy_routes::open,
            proxy_routes::createtime,
            proxy_routes::updatetime,
        ))
        .order(proxy_routes::id.asc())
        .load(conn)?;
    let mut routes: Vec<Route> = rows.into_iter().map(to_route).collect();
    routes.sort_by(|a, b| {
        b.prefix
            .len()
            .cmp(&a.prefix.len())
            .then_with(|| a.prefix.cmp(&b.prefix))
    });
    Ok(routes)
}

fn duplicate(prefix: &str) -> AdminError {
    AdminError::invalid(format!("prefix: a route for {prefix} already exists"))
}

/// Adds a route; a duplicate prefix is 1001.
pub fn add(conn: &mut DbConnection, input: &RouteInput) -> Result<(), AdminError> {
    let (prefix, upstream) = input.check()?;
    let now = now();
    let inserted = diesel::insert_into(proxy_routes::table)
        .values((
            proxy_routes::prefix.eq(&prefix),
            proxy_routes::upstream.eq(&upstream),
            proxy_routes::stripprefix.eq(i32::from(input.strip_prefix)),
            proxy_routes::open.eq(i32::from(input.open)),
            proxy_routes::createtime.eq(now),
            proxy_routes::updatetime.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(duplicate(&prefix))
        }
        Err(e) => Err(DbError::from(e).into()),
    }
}

fn route_id(id: Option<i64>) -> Result<i32, AdminError> {
    id.and_then(|i| i32::try_from(i).ok())
        .filter(|i| *i > 0)
        .ok_or_else(|| AdminError::invalid("id: a positive route id is required"))
}

/// Updates route `input.id`.
pub fn update(conn: &mut DbConnection, input: &RouteInput) -> Result<(), AdminError> {
    let id = route_id(input.id)?;
    let (prefix, upstream) = input.check()?;
    let updated = diesel::update(proxy_routes::table.find(id))
        .set((
            proxy_routes::prefix.eq(&prefix),
            proxy_routes::upstream.eq(&upstream),
            proxy_routes::stripprefix.eq(i32::from(input.strip_prefix)),
            proxy_routes::open.eq(i32::from(input.open)),
            proxy_routes::updatetime.eq(now()),
        ))
        .execute(conn);
    match updated {
        Ok(0) => Err(AdminError::invalid(format!("id: no route with id {id}"))),
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(duplicate(&prefix))
        }
        Err(e) => Err(DbError::from(e).into()),
    }
}

/// Deletes route `id` (deleting one that is gone is not an error).
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), AdminError> {
    let id = route_id(Some(id))?;
    diesel::delete(proxy_routes::table.find(id))
        .execute(conn)
        .map_err(DbError::from)?;
    Ok(())
}

/// The current routing document.
pub fn routing_document(conn: &mut DbConnection) -> Result<RoutingDocument, DbError> {
    let routes = list(conn)?
        .into_iter()
        .filter(|r| r.open)
        .map(|r| ProxyRoute {
            prefix: r.prefix,
            upstream: r.upstream,
            strip_prefix: r.strip_prefix,
        })
        .collect();
    let config = load_config(conn)?;
    let fallback = (config.open && !config.url.is_empty()).then_some(config.url);
    Ok(RoutingDocument { routes, fallback })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_malformed_prefixes_are_refused() {
        assert!(check_prefix("/api/").is_ok());
        assert!(check_prefix("/").is_ok());
        assert!(check_prefix("/wxcomponent/x").is_err());
        assert!(check_prefix("/inner").is_err());
        assert!(check_prefix("/wx").is_err());
        assert!(check_prefix("api").is_err());
        assert!(check_prefix("/a b").is_err());
    }

    #[test]
    fn upstreams_are_service_names_or_urls() {
        assert!(check_upstream("business").is_ok());
        assert!(check_upstream("business:8083").is_ok());
        assert!(check_upstream("http://10.0.0.5:8080/base").is_ok());
        assert!(check_upstream("business:0").is_err());
        assert!(check_upstream("http://").is_err());
        assert!(check_upstream("a b").is_err());
        assert!(matches!(
            check_upstream("https://10.0.0.5"),
            Err(AdminError::Refused(_))
        ));
    }
}
