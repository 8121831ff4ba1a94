//! The `wxc_authorization_failures` table: accounts whose authorization the
//! platform could not complete (WeChat refused the code exchange, or the
//! account's details never arrived), so the console can name them instead
//! of the failure living only in a log line. One row per account, replaced
//! by a later failure and deleted once the account is stored
//! ([`clear`]). The callback writes failures; `common::authorization`
//! clears them; the admin reads them. All functions are blocking; call them
//! through `Db::run`.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::wxc_authorization_failures as failures;
use crate::db::{cut, upsert, DbConnection, DbError};

/// Longest error text kept (the column's width).
const ERROR_WIDTH: usize = 512;

/// One account's failed authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// The account.
    pub appid: String,
    /// What failed: `exchange` (the authorization code) or `details`.
    pub step: String,
    /// WeChat's or the platform's error, as logged.
    pub error: String,
    /// When it was given up (Unix seconds).
    pub fail_time: i64,
}

/// Records that `appid`'s authorization failed at `step` with `error`.
pub fn record(
    conn: &mut DbConnection,
    appid: &str,
    step: &str,
    error: &str,
    at: i64,
) -> Result<(), DbError> {
    let error = cut(error, ERROR_WIDTH);
    upsert(
        conn,
        |c| {
            diesel::update(failures::table.find(appid))
                .set((
                    failures::step.eq(step),
                    failures::error.eq(error),
                    failures::failtime.eq(at),
                ))
                .execute(c)
        },
        |c| {
            diesel::insert_into(failures::table)
                .values((
                    failures::appid.eq(appid),
                    failures::step.eq(step),
                    failures::error.eq(error),
                    failures::failtime.eq(at),
                ))
                .execute(c)
        },
    )?;
    Ok(())
}

/// Forgets the failures of `appids`: their authorizations have now been
/// completed (one statement for a whole pull of accounts).
pub fn clear(conn: &mut DbConnection, appids: &[&str]) -> Result<(), DbError> {
    if appids.is_empty() {
        return Ok(());
    }
    diesel::delete(failures::table.filter(failures::appid.eq_any(appids))).execute(conn)?;
    Ok(())
}

/// How many accounts have a failed authorization, and the latest `limit`.
pub fn latest(conn: &mut DbConnection, limit: i64) -> Result<(i64, Vec<Failure>), DbError> {
    let total = failures::table.count().get_result(conn)?;
    let rows = failures::table
        .order((failures::failtime.desc(), failures::appid))
        .limit(limit)
        .select((
            failures::appid,
            failures::step,
            failures::error,
            failures::failtime,
        ))
        .load(conn)?;
    Ok((total, rows))
}
