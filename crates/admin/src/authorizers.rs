//! Authorized accounts in wxcomponent's `authorizers` table.
//!
//! `pull` pages through `api_get_authorizer_list`, fetches each account's
//! details, and only when every page has been read writes the lot: storing
//! those listed and removing those gone (with their tokens), except where a
//! push that arrived meanwhile says otherwise. Each row is written on its
//! own, not in one transaction ([`common::db::upsert`] says why).
//! `page` answers a page of the table refreshed with WeChat's current
//! details, storing the details that changed (never the grant: the callback
//! receiver may have changed it meanwhile).

use std::collections::HashSet;

use chrono::SecondsFormat;
use common::db::authorizers::{self, Authorizer, Details, PageQuery};
use common::db::pushes::latest_authorizations;
use common::db::{authorization_failures, now, stored_time};
use common::message::ComponentEventKind;
use common::tokens::TokenKey;
use common::wechat::{with_token, AuthorizerInfo, AuthorizerListItem};
use futures_util::stream::{self, StreamExt as _};
use serde::Serialize;
use serde_json::Value;

use crate::error::AdminError;
use crate::state::AppState;

/// Page size of `api_get_authorizer_list` (WeChat allows up to 500).
pub const PULL_PAGE: u32 = 100;
/// Concurrent `api_get_authorizer_info` calls.
pub const INFO_CONCURRENCY: usize = 8;
/// Largest page of `GET /admin/authorizer-list` (wxcomponent's limit).
pub const MAX_LIST_LIMIT: i64 = 20;

/// `api_get_authorizer_info` with the component token (retried once after
/// a rejected token).
pub async fn fetch_info(state: &AppState, appid: &str) -> Result<AuthorizerInfo, AdminError> {
    let tokens = &state.tokens;
    Ok(
        with_token(&tokens.source(TokenKey::Component), |token| async move {
            tokens
                .client()
                .authorizer_info(&token, tokens.component_appid(), appid)
                .await
        })
        .await??,
    )
}

async fn fetch_list_page(
    state: &AppState,
    offset: u32,
) -> Result<(i64, Vec<AuthorizerListItem>), AdminError> {
    let tokens = &state.tokens;
    Ok(
        with_token(&tokens.source(TokenKey::Component), |token| async move {
            tokens
                .client()
                .authorizer_list(&token, tokens.component_appid(), offset, PULL_PAGE)
                .await
        })
        .await??,
    )
}

/// What a pull did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PullSummary {
    /// Accounts WeChat listed.
    pub total: i64,
    /// Rows written.
    pub stored: usize,
    /// Rows removed (no longer authorized).
    pub removed: usize,
    /// Accounts whose details could not be fetched (stored from the list only).
    pub incomplete: Vec<String>,
}

/// Re-reads every authorizer from WeChat (see the module doc).
pub async fn pull(state: &AppState) -> Result<PullSummary, AdminError> {
    let _running = state
        .pull_lock
        .try_lock()
        .map_err(|_| AdminError::InvalidStatus("an authorizer pull is already running".into()))?;
    let started = now();
    let mut listed: Vec<AuthorizerListItem> = Vec::new();
    let mut offset = 0u32;
    let total = loop {
        let (total, page) = fetch_list_page(state, offset).await?;
        let got = u32::try_from(page.len()).unwrap_or(u32::MAX);
        listed.extend(page);
        if got < PULL_PAGE || i64::from(offset + got) >= total {
            break total;
        }
        offset += got;
    };
    let existing: Vec<Authorizer> = {
        let appids: Vec<String> = listed.iter().map(|i| i.authorizer_appid.clone()).collect();
        state
            .db
            .run(move |conn| authorizers::find_all(conn, &appids))
            .await?
    };
    let details: Vec<(AuthorizerListItem, Option<AuthorizerInfo>)> = stream::iter(listed)
        .map(|item| async move {
            let info = match fetch_info(state, &item.authorizer_appid).await {
                Ok(info) => Some(info),
                Err(e) => {
                    tracing::warn!(appid = %item.authorizer_appid, error = %e, "authorizer details unavailable");
                    None
                }
            };
            (item, info)
        })
        .buffer_unordered(INFO_CONCURRENCY)
        .collect()
        .await;
    let mut summary = PullSummary {
        total,
        ..PullSummary::default()
    };
    let mut rows = Vec::with_capacity(details.len());
    for (item, info) in details {
        let mut row = existing
            .iter()
            .find(|r| r.appid == item.authorizer_appid)
            .cloned()
            .unwrap_or_else(|| {
                Authorizer::new(&item.authorizer_appid, stored_time(item.auth_time))
            });
        row.refresh_token = item.refresh_token.clone();
        // Never backwards: the callback stores the time of the latest push,
        // which for `updateauthorized` is later than WeChat's first grant.
        row.auth_time = row.auth_time.max(stored_time(item.auth_time));
        match &info {
            Some(info) => row.apply(&Details::from(info)),
            None => summary.incomplete.push(row.appid.clone()),
        }
        rows.push(row);
    }
    let keep: HashSet<String> = rows.iter().map(|r| r.appid.clone()).collect();
    let (stored, removed) = state
        .db
        .run(move |conn| {
            // Read before the pushes below: an account whose row appears
            // later was granted by a push that is either among them or
            // arrived after this pull began its writes; it is never removed.
            let present = authorizers::appids(conn)?;
            // Pushes that arrived while WeChat's list was read are newer
            // than it: an account revoked meanwhile is not stored again, one
            // authorized meanwhile keeps the grant its push brought and is
            // not removed.
            let meanwhile = latest_authorizations(conn, started)?;
            let revoked = |appid: &str| {
                meanwhile
                    .get(appid)
                    .is_some_and(|e| matches!(e.kind, ComponentEventKind::Unauthorized { .. }))
            };
            let mut stored = Vec::new();
            for row in rows.iter().filter(|r| !meanwhile.contains_key(&r.appid)) {
                authorizers::save(conn, row)?;
                stored.push(row.appid.as_str());
            }
            authorization_failures::clear(conn, &stored)?;
            let gone: Vec<String> = present
                .into_iter()
                .filter(|a| !keep.contains(a) && (revoked(a) || !meanwhile.contains_key(a)))
                .collect();
            for appid in &gone {
                authorizers::remove(conn, appid)?;
            }
            Ok((stored.len(), gone))
        })
        .await?;
    for appid in &removed {
        state.tokens.forget(&TokenKey::Authorizer(appid.clone()));
    }
    summary.stored = stored;
    summary.removed = removed.len();
    tracing::info!(
        total = summary.total,
        stored = summary.stored,
        removed = summary.removed,
        "authorizer list pulled"
    );
    Ok(summary)
}

/// `basic_config` of an account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicConfig {
    /// A phone number is bound.
    pub is_phone_configured: bool,
    /// An email is bound.
    pub is_email_configured: bool,
}

/// One account as `GET /admin/authorizer-list` answers it (wxcomponent's fields).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    /// Primary key.
    pub id: i32,
    /// Account appid.
    pub appid: String,
    /// What WeChat says about it (as stored, or fresh when WeChat answered).
    #[serde(flatten)]
    pub details: Details,
    /// Refresh token (the console offers to copy it).
    pub refresh_token: String,
    /// RFC 3339 (UTC).
    pub auth_time: String,
    /// `register_type` (fresh from WeChat).
    pub register_type: i64,
    /// `account_status` (fresh from WeChat).
    pub account_status: i64,
    /// `basic_config` (fresh from WeChat), null when unknown.
    pub basic_config: Option<BasicConfig>,
}

fn listed(row: &Authorizer, info: Option<&AuthorizerInfo>) -> Listed {
    let field = |name: &str| {
        info.and_then(|i| i.authorizer_info.get(name))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let basic_config = info
        .and_then(|i| i.authorizer_info.get("basic_config"))
        .filter(|v| v.is_object())
        .map(|v| BasicConfig {
            is_phone_configured: v
                .get("is_phone_configured")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            is_email_configured: v
                .get("is_email_configured")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    Listed {
        id: row.id,
        appid: row.appid.clone(),
        details: row.details(),
        refresh_token: row.refresh_token.clone(),
        auth_time: row
            .auth_time
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        register_type: field("register_type"),
        account_status: field("account_status"),
        basic_config,
    }
}

/// Which stored authorizers a console list shows (each filter when set).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this appid.
    pub appid: Option<String>,
    /// Only accounts whose appid or name contains this.
    pub search: Option<String>,
    /// Only this kind (0 mini program, 1 official account).
    pub app_type: Option<i32>,
}

/// A page of stored authorizers (`managed_only`: the managed mini programs
/// of permission set 18), with the total, for the console's list pages.
pub async fn stored_page(
    state: &AppState,
    filter: ListFilter,
    offset: i64,
    limit: i64,
    managed_only: bool,
) -> Result<(i64, Vec<Authorizer>), AdminError> {
    Ok(state
        .db
        .run(move |conn| {
            let query = PageQuery {
                appid: filter.appid.as_deref(),
                offset,
                limit,
                managed_only,
                search: filter.search.as_deref(),
                app_type: filter.app_type,
            };
            authorizers::page(conn, &query)
        })
        .await?)
}

/// A page of authorizers with WeChat's current details; rows whose details
/// changed are stored.
pub async fn page(
    state: &AppState,
    filter: ListFilter,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<Listed>), AdminError> {
    let (total, rows) = stored_page(state, filter, offset, limit, false).await?;
    let fresh: Vec<(Authorizer, Option<AuthorizerInfo>)> = stream::iter(rows)
        .map(|row| async move {
            let info = match fetch_info(state, &row.appid).await {
                Ok(info) => Some(info),
                Err(e) => {
                    tracing::warn!(appid = %row.appid, error = %e, "authorizer details unavailable");
                    None
                }
            };
            (row, info)
        })
        .buffered(INFO_CONCURRENCY)
        .collect()
        .await;
    let mut changed = Vec::new();
    let mut out = Vec::with_capacity(fresh.len());
    for (row, info) in &fresh {
        let mut updated = row.clone();
        if let Some(info) = info {
            let details = Details::from(info);
            updated.apply(&details);
            if &updated != row {
                changed.push((row.appid.clone(), details));
            }
        }
        out.push(listed(&updated, info.as_ref()));
    }
    if !changed.is_empty() {
        state
            .db
            .run(move |conn| {
                for (appid, details) in &changed {
                    authorizers::store_details(conn, appid, details)?;
                }
                Ok(())
            })
            .await?;
    }
    Ok((total, out))
}
