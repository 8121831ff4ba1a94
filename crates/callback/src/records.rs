//! Storing pushes before they are acknowledged, and recognising WeChat's
//! retries: a push is claimed in one transaction that inserts its
//! de-duplication key, its record and its database effects; a retry finds the
//! key and gets the first answer.

use chrono::NaiveDateTime;
use common::db::schema::{wxcallback_biz, wxcallback_component, wxcallback_dedup};
use common::db::{now, stored_time, DbConnection, DbError};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Whether this push is new.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// First delivery: stored now, handle it.
    New,
    /// A retry of a push already stored; carries the answer if it is known yet.
    Duplicate(Option<String>),
}

/// A row of `wxcallback_component`.
#[derive(Debug, Clone)]
pub struct ComponentRecord {
    /// `CreateTime` of the push.
    pub create_time: i64,
    /// `InfoType`.
    pub info_type: String,
    /// The decrypted body.
    pub body: String,
}

/// A row of `wxcallback_biz`.
#[derive(Debug, Clone)]
pub struct BizRecord {
    /// `CreateTime` of the push.
    pub create_time: i64,
    /// `ToUserName` (the account's original id).
    pub to_user_name: String,
    /// The authorizer appid from the URL.
    pub appid: String,
    /// `MsgType`.
    pub msg_type: String,
    /// `Event`, empty for messages.
    pub event: String,
    /// The decrypted body.
    pub body: String,
}

/// Claims `key` and runs `write` in the same transaction, or reports a retry.
pub fn claim<F>(conn: &mut DbConnection, key: &str, write: F) -> Result<Claim, DbError>
where
    F: FnOnce(&mut DbConnection) -> Result<(), DbError>,
{
    let result = conn.transaction::<_, DbError, _>(|conn| {
        diesel::insert_into(wxcallback_dedup::table)
            .values(wxcallback_dedup::dedupkey.eq(key))
            .execute(conn)?;
        write(conn)
    });
    match result {
        Ok(()) => Ok(Claim::New),
        Err(DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) => {
            Ok(Claim::Duplicate(load_response(conn, key)?.flatten()))
        }
        Err(e) => Err(e),
    }
}

/// Writes a component push record.
pub fn insert_component(conn: &mut DbConnection, record: &ComponentRecord) -> Result<(), DbError> {
    diesel::insert_into(wxcallback_component::table)
        .values((
            wxcallback_component::receivetime.eq(now()),
            wxcallback_component::createtime.eq(stored_time(record.create_time)),
            wxcallback_component::infotype.eq(&record.info_type),
            wxcallback_component::postbody.eq(&record.body),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes a biz push record.
pub fn insert_biz(conn: &mut DbConnection, record: &BizRecord) -> Result<(), DbError> {
    diesel::insert_into(wxcallback_biz::table)
        .values((
            wxcallback_biz::receivetime.eq(now()),
            wxcallback_biz::createtime.eq(stored_time(record.create_time)),
            wxcallback_biz::tousername.eq(&record.to_user_name),
            wxcallback_biz::appid.eq(&record.appid),
            wxcallback_biz::msgtype.eq(&record.msg_type),
            wxcallback_biz::event.eq(&record.event),
            wxcallback_biz::postbody.eq(&record.body),
        ))
        .execute(conn)?;
    Ok(())
}

/// Remembers the answer given to the push `key`.
pub fn save_response(conn: &mut DbConnection, key: &str, response: &str) -> Result<(), DbError> {
    diesel::update(wxcallback_dedup::table.find(key))
        .set(wxcallback_dedup::response.eq(Some(response)))
        .execute(conn)?;
    Ok(())
}

/// The answer recorded for `key`: `None` if the key is unknown,
/// `Some(None)` while the first delivery is still being handled.
pub fn load_response(
    conn: &mut DbConnection,
    key: &str,
) -> Result<Option<Option<String>>, DbError> {
    Ok(wxcallback_dedup::table
        .find(key)
        .select(wxcallback_dedup::response)
        .first(conn)
        .optional()?)
}

/// Forgets de-duplication keys older than `cutoff` (WeChat retries within seconds).
pub fn purge_dedup(conn: &mut DbConnection, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    Ok(
        diesel::delete(wxcallback_dedup::table.filter(wxcallback_dedup::createtime.lt(cutoff)))
            .execute(conn)?,
    )
}
