//! The counter of the Cloud Run templates: one row in `Counters`, changed
//! atomically so concurrent increments are never lost.

use std::str::FromStr;

use common::db::schema::counters::dsl::{count, counters, id};
use common::db::{Db, DbConnection, DbError};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::BusinessError;

/// The single row the templates use.
const COUNTER_ID: i32 = 1;

/// What `POST /api/count` may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Add one.
    Inc,
    /// Reset to zero.
    Clear,
}

impl FromStr for Action {
    type Err = BusinessError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "inc" => Ok(Self::Inc),
            "clear" => Ok(Self::Clear),
            other => Err(BusinessError::BadRequest(format!(
                "action参数错误: unknown action {other:?}, expected \"inc\" or \"clear\""
            ))),
        }
    }
}

/// Parses the body of `POST /api/count`: a JSON object with a string `action`.
pub fn parse_action(body: &[u8]) -> Result<Action, BusinessError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        BusinessError::BadRequest(format!(
            "请求体不是合法的JSON: {e}; send {{\"action\":\"inc\"}} or {{\"action\":\"clear\"}}"
        ))
    })?;
    match value.get("action") {
        Some(serde_json::Value::String(action)) => action.parse(),
        Some(_) => Err(BusinessError::BadRequest(
            "action参数错误: action must be a string".into(),
        )),
        None => Err(BusinessError::BadRequest(
            "缺少action参数: send {\"action\":\"inc\"} or {\"action\":\"clear\"}".into(),
        )),
    }
}

/// The current count (0 when the row is missing).
pub async fn current(db: &Db) -> Result<i32, BusinessError> {
    Ok(db.run(read).await?)
}

/// Applies `action` and returns the count after it: the change and the read
/// share a transaction, so every concurrent increment sees its own count.
pub async fn apply(db: &Db, action: Action) -> Result<i32, BusinessError> {
    Ok(db
        .run(move |conn| {
            if let Some(after) = change(conn, action)? {
                return Ok(after);
            }
            create_row(conn)?;
            change(conn, action)?.ok_or(DbError::Query(DieselError::NotFound))
        })
        .await?)
}

/// Changes the row and reads it back, or answers `None` when there is no row.
fn change(conn: &mut DbConnection, action: Action) -> Result<Option<i32>, DbError> {
    conn.transaction(|conn| {
        let row = counters.find(COUNTER_ID);
        let changed = match action {
            Action::Inc => diesel::update(row).set(count.eq(count + 1)).execute(conn)?,
            Action::Clear => diesel::update(row).set(count.eq(0)).execute(conn)?,
        };
        if changed == 0 {
            return Ok(None);
        }
        read(conn).map(Some)
    })
}

/// Creates the row at 0, outside any transaction: on InnoDB an insert after
/// an update that found nothing, in one transaction, deadlocks two first
/// requests. A row another request created meanwhile is just as good.
fn create_row(conn: &mut DbConnection) -> Result<(), DbError> {
    let inserted = diesel::insert_into(counters)
        .values((id.eq(COUNTER_ID), count.eq(0)))
        .execute(conn);
    match inserted {
        Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn read(conn: &mut DbConnection) -> Result<i32, DbError> {
    Ok(counters
        .find(COUNTER_ID)
        .select(count)
        .first::<i32>(conn)
        .optional()?
        .unwrap_or(0))
}
