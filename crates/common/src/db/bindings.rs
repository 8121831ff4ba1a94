//! The `authorizer_bindings` table: which account each business id (the
//! operator's own merchant id) bound through the authorization redirect's
//! `auth_code`, and whether that account still authorizes the platform.
//!
//! This module is the only reader and writer of the table: the admin binds
//! (its inner route) and lists or unbinds (its console), the authorization
//! exchange and the callback receiver move the state as WeChat's pushes say.
//! All functions are blocking; call them through `Db::run`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::authorizer_bindings;
use crate::db::{now, serialize_time, upsert, DbConnection, DbError};

/// `state` of an account that authorizes the platform.
pub const STATE_BOUND: &str = "bound";
/// `state` of an account that revoked its authorization (an `unauthorized`
/// push); a later authorization makes it [`STATE_BOUND`] again.
pub const STATE_UNAUTHORIZED: &str = "unauthorized";

/// Longest business id stored (the column's width).
pub const BIZ_ID_WIDTH: usize = 64;
/// Longest authorization code stored (the column's width).
pub const AUTH_CODE_WIDTH: usize = 255;

/// A stored binding, as the admin answers it (camelCase, times in RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = authorizer_bindings)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// The operator's business id.
    #[diesel(column_name = bizid)]
    pub biz_id: String,
    /// The account it bound.
    pub appid: String,
    /// The authorization code it was bound with (spent).
    #[diesel(column_name = authcode)]
    pub auth_code: String,
    /// [`STATE_BOUND`] or [`STATE_UNAUTHORIZED`].
    pub state: String,
    /// When the business id was first bound (UTC).
    #[diesel(column_name = createtime)]
    #[serde(serialize_with = "serialize_time")]
    pub create_time: NaiveDateTime,
    /// When the binding last changed (UTC).
    #[diesel(column_name = updatetime)]
    #[serde(serialize_with = "serialize_time")]
    pub update_time: NaiveDateTime,
}

/// Binds `biz_id` to `appid` (replacing an earlier account of that business
/// id), state [`STATE_BOUND`]; answers the stored binding.
pub fn bind(
    conn: &mut DbConnection,
    biz_id: &str,
    appid: &str,
    auth_code: &str,
) -> Result<Binding, DbError> {
    let at = now();
    upsert(
        conn,
        |conn| {
            diesel::update(authorizer_bindings::table.filter(authorizer_bindings::bizid.eq(biz_id)))
                .set((
                    authorizer_bindings::appid.eq(appid),
                    authorizer_bindings::authcode.eq(auth_code),
                    authorizer_bindings::state.eq(STATE_BOUND),
                    authorizer_bindings::updatetime.eq(at),
                ))
                .execute(conn)
        },
        |conn| {
            diesel::insert_into(authorizer_bindings::table)
                .values((
                    authorizer_bindings::bizid.eq(biz_id),
                    authorizer_bindings::appid.eq(appid),
                    authorizer_bindings::authcode.eq(auth_code),
                    authorizer_bindings::state.eq(STATE_BOUND),
                    authorizer_bindings::createtime.eq(at),
                    authorizer_bindings::updatetime.eq(at),
                ))
                .execute(conn)
        },
    )?;
    find(conn, biz_id)?.ok_or_else(|| DbError::Query(diesel::result::Error::NotFound))
}

/// The binding of `biz_id`, if any.
pub fn find(conn: &mut DbConnection, biz_id: &str) -> Result<Option<Binding>, DbError> {
    Ok(authorizer_bindings::table
        .filter(authorizer_bindings::bizid.eq(biz_id))
        .select(Binding::as_select())
        .first(conn)
        .optional()?)
}

/// Sets the state of every binding of `appid` (WeChat's pushes are about the
/// account, whichever business ids bound it); answers how many changed.
pub fn set_state_of(conn: &mut DbConnection, appid: &str, state: &str) -> Result<usize, DbError> {
    Ok(diesel::update(
        authorizer_bindings::table
            .filter(authorizer_bindings::appid.eq(appid))
            .filter(authorizer_bindings::state.ne(state)),
    )
    .set((
        authorizer_bindings::state.eq(state),
        authorizer_bindings::updatetime.eq(now()),
    ))
    .execute(conn)?)
}

/// Removes the binding of `biz_id`; answers whether there was one. The
/// account's authorization is WeChat's and stays as it is.
pub fn unbind(conn: &mut DbConnection, biz_id: &str) -> Result<bool, DbError> {
    let removed =
        diesel::delete(authorizer_bindings::table.filter(authorizer_bindings::bizid.eq(biz_id)))
            .execute(conn)?;
    Ok(removed > 0)
}

/// Which rows [`page`] answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageQuery<'a> {
    /// Only this business id, when set.
    pub biz_id: Option<&'a str>,
    /// Only bindings of this account, when set.
    pub appid: Option<&'a str>,
    /// Rows to skip (in id order).
    pub offset: i64,
    /// Rows to answer at most.
    pub limit: i64,
}

/// A page of bindings in the order they were made, and how many match in all.
pub fn page(
    conn: &mut DbConnection,
    query: &PageQuery<'_>,
) -> Result<(i64, Vec<Binding>), DbError> {
    let matching = || {
        let mut q = authorizer_bindings::table.into_boxed();
        if let Some(biz_id) = query.biz_id {
            q = q.filter(authorizer_bindings::bizid.eq(biz_id));
        }
        if let Some(appid) = query.appid {
            q = q.filter(authorizer_bindings::appid.eq(appid));
        }
        q
    };
    let total: i64 = matching().count().get_result(conn)?;
    let rows = matching()
        .select(Binding::as_select())
        .order(authorizer_bindings::id.asc())
        .offset(query.offset)
        .limit(query.limit)
        .load(conn)?;
    Ok((total, rows))
}
