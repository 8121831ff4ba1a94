//! Authorized accounts in wxcomponent's `authorizers` table.
//!
//! `pull` pages through `api_get_authorizer_list`, fetches each account's
//! details, and only when every page has been read writes the lot in one
//! transaction: upserting those listed and removing those gone (with their
//! tokens), except where a push that arrived meanwhile says otherwise.
//! `page` answers a page of the table refreshed with WeChat's current
//! details, storing the details that changed (never the grant: the callback
//! receiver may have changed it meanwhile).

use std::collections::HashSet;

use chrono::{NaiveDateTime, SecondsFormat};
use common::db::pushes::latest_authorizations;
use common::db::schema::authorizers;
use common::db::{stored_time, DbConnection, DbError};
use common::message::ComponentEventKind;
use common::tokens::{store, TokenKey};
use common::wechat::{AuthorizerInfo, AuthorizerListItem, WechatError};
use diesel::prelude::*;
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

/// A stored authorizer.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = authorizers)]
pub struct Row {
    /// Primary key.
    pub id: i32,
    /// Account appid.
    pub appid: String,
    /// 0 mini program, 1 official account.
    #[diesel(column_name = apptype)]
    pub app_type: i32,
    /// `service_type_info.id`.
    #[diesel(column_name = servicetype)]
    pub service_type: i32,
    /// Display name.
    #[diesel(column_name = nickname)]
    pub nick_name: String,
    /// Original id.
    #[diesel(column_name = username)]
    pub user_name: String,
    /// Avatar.
    #[diesel(column_name = headimg)]
    pub head_img: String,
    /// QR code.
    #[diesel(column_name = qrcodeurl)]
    pub qrcode_url: String,
    /// Owner.
    #[diesel(column_name = principalname)]
    pub principal_name: String,
    /// Refresh token.
    #[diesel(column_name = refreshtoken)]
    pub refresh_token: String,
    /// Granted permission-set ids, `|`-joined.
    #[diesel(column_name = funcinfo)]
    pub func_info: String,
    /// `verify_type_info.id`.
    #[diesel(column_name = verifyinfo)]
    pub verify_info: i32,
    /// When it authorized.
    #[diesel(column_name = authtime)]
    pub auth_time: NaiveDateTime,
}

/// Cuts `text` to the width of its column (MySQL counts characters).
fn fit(text: String, chars: usize) -> String {
    if text.chars().count() <= chars {
        text
    } else {
        text.chars().take(chars).collect()
    }
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(-1)
}

impl Row {
    /// Overwrites the details with WeChat's current ones.
    pub fn apply(&mut self, info: &AuthorizerInfo) {
        self.app_type = info.app_type();
        self.service_type = clamp_i32(info.service_type());
        self.nick_name = fit(info.nick_name(), 32);
        self.user_name = fit(info.user_name(), 32);
        self.head_img = fit(info.head_img(), 256);
        self.qrcode_url = fit(info.qrcode_url(), 256);
        self.principal_name = fit(info.principal_name(), 64);
        self.func_info = fit(info.func_info_ids(), 128);
        self.verify_info = clamp_i32(info.verify_type());
    }

    fn upsert(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        let values = (
            authorizers::apptype.eq(self.app_type),
            authorizers::servicetype.eq(self.service_type),
            authorizers::nickname.eq(&self.nick_name),
            authorizers::username.eq(&self.user_name),
            authorizers::headimg.eq(&self.head_img),
            authorizers::qrcodeurl.eq(&self.qrcode_url),
            authorizers::principalname.eq(&self.principal_name),
            authorizers::refreshtoken.eq(&self.refresh_token),
            authorizers::funcinfo.eq(&self.func_info),
            authorizers::verifyinfo.eq(self.verify_info),
            authorizers::authtime.eq(self.auth_time),
        );
        let updated = diesel::update(authorizers::table.filter(authorizers::appid.eq(&self.appid)))
            .set((values, authorizers::updatetime.eq(store::now())))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(authorizers::table)
                .values((
                    authorizers::appid.eq(&self.appid),
                    values,
                    authorizers::updatetime.eq(store::now()),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Stores the account's details on its row, if the row still exists.
    /// Never inserts and leaves the grant alone: an account removed, or
    /// authorized again, while its details were being fetched stays as that
    /// change left it.
    fn update_details(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        diesel::update(authorizers::table.filter(authorizers::appid.eq(&self.appid)))
            .set((
                authorizers::apptype.eq(self.app_type),
                authorizers::servicetype.eq(self.service_type),
                authorizers::nickname.eq(&self.nick_name),
                authorizers::username.eq(&self.user_name),
                authorizers::headimg.eq(&self.head_img),
                authorizers::qrcodeurl.eq(&self.qrcode_url),
                authorizers::principalname.eq(&self.principal_name),
                authorizers::funcinfo.eq(&self.func_info),
                authorizers::verifyinfo.eq(self.verify_info),
                authorizers::updatetime.eq(store::now()),
            ))
            .execute(conn)?;
        Ok(())
    }
}

/// One stored authorizer by appid.
pub fn find(conn: &mut DbConnection, appid: &str) -> Result<Option<Row>, DbError> {
    Ok(authorizers::table
        .filter(authorizers::appid.eq(appid))
        .select(Row::as_select())
        .first(conn)
        .optional()?)
}

/// A page of stored authorizers (optionally one appid) and the total.
pub fn stored_page(
    conn: &mut DbConnection,
    appid: Option<&str>,
    offset: i64,
    limit: i64,
    managed_only: bool,
) -> Result<(i64, Vec<Row>), DbError> {
    let query = || {
        let mut q = authorizers::table.into_boxed();
        if let Some(appid) = appid {
            q = q.filter(authorizers::appid.eq(appid.to_string()));
        }
        if managed_only {
            // Mini programs with permission set 18 (代开发小程序), whichever
            // way the ids are joined ("18", "1|18|2", wxcomponent's "|1|18").
            q = q.filter(authorizers::apptype.eq(0)).filter(
                authorizers::funcinfo
                    .eq("18")
                    .or(authorizers::funcinfo.like("18|%"))
                    .or(authorizers::funcinfo.like("%|18"))
                    .or(authorizers::funcinfo.like("%|18|%")),
            );
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<Row> = query()
        .select(Row::as_select())
        .order(authorizers::id.asc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((total, rows))
}

/// `api_get_authorizer_info` with the component token (retried once after
/// a rejected token).
pub async fn fetch_info(state: &AppState, appid: &str) -> Result<AuthorizerInfo, AdminError> {
    let mut retried = false;
    loop {
        let token = state.tokens.component_token().await?;
        let answer = state
            .tokens
            .client()
            .authorizer_info(&token, state.tokens.component_appid(), appid)
            .await;
        match answer {
            Err(e) if e.is_token_rejected() && !retried => {
                state
                    .tokens
                    .report_rejected(&TokenKey::Component, &token)
                    .await?;
                retried = true;
            }
            other => return Ok(other?),
        }
    }
}

async fn fetch_list_page(
    state: &AppState,
    offset: u32,
) -> Result<(i64, Vec<AuthorizerListItem>), AdminError> {
    let mut retried = false;
    loop {
        let token = state.tokens.component_token().await?;
        let answer: Result<_, WechatError> = state
            .tokens
            .client()
            .authorizer_list(&token, state.tokens.component_appid(), offset, PULL_PAGE)
            .await;
        match answer {
            Err(e) if e.is_token_rejected() && !retried => {
                state
                    .tokens
                    .report_rejected(&TokenKey::Component, &token)
                    .await?;
                retried = true;
            }
            other => return Ok(other?),
        }
    }
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
    let started = store::now();
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
    let existing: Vec<Row> = {
        let appids: Vec<String> = listed.iter().map(|i| i.authorizer_appid.clone()).collect();
        state
            .db
            .run(move |conn| {
                Ok(authorizers::table
                    .filter(authorizers::appid.eq_any(appids))
                    .select(Row::as_select())
                    .load(conn)?)
            })
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
            .unwrap_or_else(|| Row {
                id: 0,
                appid: item.authorizer_appid.clone(),
                app_type: 0,
                service_type: 0,
                nick_name: String::new(),
                user_name: String::new(),
                head_img: String::new(),
                qrcode_url: String::new(),
                principal_name: String::new(),
                refresh_token: String::new(),
                func_info: String::new(),
                verify_info: -1,
                auth_time: stored_time(item.auth_time),
            });
        row.refresh_token = item.refresh_token.clone();
        // Never backwards: the callback stores the time of the latest push,
        // which for `updateauthorized` is later than WeChat's first grant.
        row.auth_time = row.auth_time.max(stored_time(item.auth_time));
        match &info {
            Some(info) => row.apply(info),
            None => summary.incomplete.push(row.appid.clone()),
        }
        rows.push(row);
    }
    let keep: HashSet<String> = rows.iter().map(|r| r.appid.clone()).collect();
    let (stored, removed) = state
        .db
        .run(move |conn| {
            conn.transaction::<_, DbError, _>(|conn| {
                // Pushes that arrived while WeChat's list was read are newer
                // than it: an account revoked meanwhile is not stored again,
                // one authorized meanwhile keeps the grant its push brought
                // and is not removed.
                let meanwhile = latest_authorizations(conn, started)?;
                let revoked = |appid: &str| {
                    meanwhile
                        .get(appid)
                        .is_some_and(|e| matches!(e.kind, ComponentEventKind::Unauthorized { .. }))
                };
                let mut stored = 0;
                for row in rows.iter().filter(|r| !meanwhile.contains_key(&r.appid)) {
                    row.upsert(conn)?;
                    stored += 1;
                }
                let present: Vec<String> =
                    authorizers::table.select(authorizers::appid).load(conn)?;
                let gone: Vec<String> = present
                    .into_iter()
                    .filter(|a| !keep.contains(a) && (revoked(a) || !meanwhile.contains_key(a)))
                    .collect();
                for appid in &gone {
                    diesel::delete(authorizers::table.filter(authorizers::appid.eq(appid)))
                        .execute(conn)?;
                    store::delete_tokens(conn, appid)?;
                }
                Ok((stored, gone))
            })
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
    /// 0 mini program, 1 official account.
    pub app_type: i32,
    /// `service_type_info.id`.
    pub service_type: i32,
    /// Display name.
    pub nick_name: String,
    /// Original id.
    pub user_name: String,
    /// Avatar.
    pub head_img: String,
    /// QR code.
    pub qrcode_url: String,
    /// Owner.
    pub principal_name: String,
    /// Refresh token (the console offers to copy it).
    pub refresh_token: String,
    /// Granted permission-set ids.
    pub func_info: String,
    /// `verify_type_info.id`.
    pub verify_info: i32,
    /// RFC 3339 (UTC).
    pub auth_time: String,
    /// `register_type` (fresh from WeChat).
    pub register_type: i64,
    /// `account_status` (fresh from WeChat).
    pub account_status: i64,
    /// `basic_config` (fresh from WeChat), null when unknown.
    pub basic_config: Option<BasicConfig>,
}

fn listed(row: &Row, info: Option<&AuthorizerInfo>) -> Listed {
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
        app_type: row.app_type,
        service_type: row.service_type,
        nick_name: row.nick_name.clone(),
        user_name: row.user_name.clone(),
        head_img: row.head_img.clone(),
        qrcode_url: row.qrcode_url.clone(),
        principal_name: row.principal_name.clone(),
        refresh_token: row.refresh_token.clone(),
        func_info: row.func_info.clone(),
        verify_info: row.verify_info,
        auth_time: row
            .auth_time
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        register_type: field("register_type"),
        account_status: field("account_status"),
        basic_config,
    }
}

/// A page of authorizers with WeChat's current details; rows whose details
/// changed are stored.
pub async fn page(
    state: &AppState,
    appid: Option<String>,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<Listed>), AdminError> {
    let (total, rows) = state
        .db
        .run(move |conn| stored_page(conn, appid.as_deref(), offset, limit, false))
        .await?;
    let fresh: Vec<(Row, Option<AuthorizerInfo>)> = stream::iter(rows)
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
            updated.apply(info);
            if &updated != row {
                changed.push(updated.clone());
            }
        }
        out.push(listed(&updated, info.as_ref()));
    }
    if !changed.is_empty() {
        state
            .db
            .run(move |conn| {
                for row in &changed {
                    row.update_details(conn)?;
                }
                Ok(())
            })
            .await?;
    }
    Ok((total, out))
}
