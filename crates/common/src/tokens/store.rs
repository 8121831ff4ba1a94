//! Storage of tickets, tokens and refresh locks in wxcomponent's tables:
//! the ticket in `comm` (key `ticket`), tokens in `wxtoken` (type 1
//! authorizer, 2 component), locks as `comm` rows `TLock_{type}_{appid}`
//! holding `owner|expiry` — the same keys wxcomponent uses, so the two can
//! share a database. All functions are blocking; call them through `Db::run`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::schema::{comm, wxtoken};
use crate::db::{now, upsert, DbConnection, DbError};

/// `wxtoken.type` of an authorizer access token.
pub const TOKEN_TYPE_AUTHORIZER: i32 = 1;
/// `wxtoken.type` of the component access token.
pub const TOKEN_TYPE_COMPONENT: i32 = 2;
/// `comm` key of the latest `component_verify_ticket`.
pub const TICKET_KEY: &str = "ticket";

/// A token row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token.
    pub token: String,
    /// When WeChat said it expires (UTC).
    pub expires_at: NaiveDateTime,
}

/// Stores `ticket` as the latest ticket.
pub fn save_ticket(conn: &mut DbConnection, ticket: &str) -> Result<(), DbError> {
    put_comm(conn, TICKET_KEY, ticket)
}

/// The latest ticket and when it was stored.
pub fn load_ticket(conn: &mut DbConnection) -> Result<Option<(String, NaiveDateTime)>, DbError> {
    Ok(comm::table
        .find(TICKET_KEY)
        .select((comm::value, comm::updatetime))
        .first(conn)
        .optional()?)
}

/// Inserts or replaces a `comm` value.
pub fn put_comm(conn: &mut DbConnection, key: &str, value: &str) -> Result<(), DbError> {
    upsert(
        conn,
        |conn| {
            diesel::update(comm::table.find(key))
                .set((comm::value.eq(value), comm::updatetime.eq(now())))
                .execute(conn)
        },
        |conn| {
            diesel::insert_into(comm::table)
                .values((comm::key.eq(key), comm::value.eq(value)))
                .execute(conn)
        },
    )?;
    Ok(())
}

/// Deletes the `comm` rows whose key starts with `prefix` and that were
/// last written before `before` (results kept for a while, never forever).
pub fn purge_comm(
    conn: &mut DbConnection,
    prefix: &str,
    before: NaiveDateTime,
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        comm::table
            .filter(comm::key.like(format!("{prefix}%")))
            .filter(comm::updatetime.lt(before)),
    )
    .execute(conn)?)
}

/// The stored token of `(token_type, appid)`.
pub fn load_token(
    conn: &mut DbConnection,
    token_type: i32,
    appid: &str,
) -> Result<Option<StoredToken>, DbError> {
    let row: Option<(String, NaiveDateTime)> = wxtoken::table
        .filter(wxtoken::appid.eq(appid))
        .filter(wxtoken::token_type.eq(token_type))
        .select((wxtoken::token, wxtoken::expiretime))
        .first(conn)
        .optional()?;
    Ok(row.map(|(token, expires_at)| StoredToken { token, expires_at }))
}

/// Stores the token of `(token_type, appid)`, replacing the previous one.
pub fn save_token(
    conn: &mut DbConnection,
    token_type: i32,
    appid: &str,
    token: &StoredToken,
) -> Result<(), DbError> {
    upsert(
        conn,
        |conn| {
            diesel::update(wxtoken::table.filter(wxtoken::appid.eq(appid)))
                .set((
                    wxtoken::token_type.eq(token_type),
                    wxtoken::token.eq(&token.token),
                    wxtoken::expiretime.eq(token.expires_at),
                    wxtoken::updatetime.eq(now()),
                ))
                .execute(conn)
        },
        |conn| {
            diesel::insert_into(wxtoken::table)
                .values((
                    wxtoken::token_type.eq(token_type),
                    wxtoken::appid.eq(appid),
                    wxtoken::token.eq(&token.token),
                    wxtoken::expiretime.eq(token.expires_at),
                ))
                .execute(conn)
        },
    )?;
    Ok(())
}

/// Marks `token` expired, but only if it is still the stored one; answers
/// whether it was. A token reported bad after a refresh must not kill its successor.
pub fn expire_token_if_current(
    conn: &mut DbConnection,
    token_type: i32,
    appid: &str,
    token: &str,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        wxtoken::table
            .filter(wxtoken::appid.eq(appid))
            .filter(wxtoken::token_type.eq(token_type))
            .filter(wxtoken::token.eq(token)),
    )
    .set(wxtoken::expiretime.eq(now()))
    .execute(conn)?;
    Ok(updated > 0)
}

/// Deletes every token of `appid` (an authorizer that revoked us).
pub fn delete_tokens(conn: &mut DbConnection, appid: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(wxtoken::table.filter(wxtoken::appid.eq(appid))).execute(conn)?)
}

/// The lock row key for refreshing `(token_type, appid)`.
pub fn lock_key(token_type: i32, appid: &str) -> String {
    format!("TLock_{token_type}_{appid}")
}

/// Tries once to take the lock `key` for `owner` until `until`; a lock whose
/// holder let it expire is taken over. Answers whether it is now held.
pub fn try_lock(
    conn: &mut DbConnection,
    key: &str,
    owner: &str,
    until: NaiveDateTime,
) -> Result<bool, DbError> {
    let value = format!("{owner}|{}", until.and_utc().timestamp());
    let inserted = diesel::insert_into(comm::table)
        .values((comm::key.eq(key), comm::value.eq(&value)))
        .execute(conn);
    match inserted {
        Ok(_) => return Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        Err(e) => return Err(e.into()),
    }
    let current: Option<String> = comm::table
        .find(key)
        .select(comm::value)
        .first(conn)
        .optional()?;
    let Some(current) = current else {
        return Ok(false);
    };
    let expired = current
        .rsplit_once('|')
        .and_then(|(_, ts)| ts.parse::<i64>().ok())
        .is_none_or(|ts| ts <= now().and_utc().timestamp());
    if !expired {
        return Ok(false);
    }
    let taken = diesel::update(
        comm::table
            .filter(comm::key.eq(key))
            .filter(comm::value.eq(&current)),
    )
    .set((comm::value.eq(&value), comm::updatetime.eq(now())))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Releases the lock `key` if `owner` still holds it.
pub fn unlock(conn: &mut DbConnection, key: &str, owner: &str) -> Result<(), DbError> {
    let pattern = format!("{owner}|%");
    diesel::delete(
        comm::table
            .filter(comm::key.eq(key))
            .filter(comm::value.like(pattern)),
    )
    .execute(conn)?;
    Ok(())
}
