//! Storing pushes before they are acknowledged, and recognising WeChat's
//! retries: a push is claimed in one transaction that inserts its
//! de-duplication key, its record and its database effects (batched with the
//! pushes that arrived with it, [`crate::intake`]); a retry finds the key and
//! gets the first answer.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use common::db::schema::{wxcallback_biz, wxcallback_component, wxcallback_dedup};
use common::db::{now, stored_time, DbConnection, DbError};
use diesel::prelude::*;

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

/// One multi-row INSERT on either backend: diesel's `MultiConnection` has
/// no batch insert of its own, each backend's connection has.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConnection::Mysql(c) => diesel::insert_into($table).values($rows).execute(c),
            DbConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

/// A push to claim: its de-duplication key, the answer already known (stored
/// with the key, so a retry gets it), and its row.
#[derive(Debug, Clone, Copy)]
pub struct NewPush<'a> {
    /// The de-duplication key.
    pub key: &'a str,
    /// The answer, when it is known before the push is handled.
    pub answer: Option<&'a str>,
    /// The record.
    pub record: Row<'a>,
}

/// The record of a push, of either table.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    /// For `wxcallback_component`.
    Component(&'a ComponentRecord),
    /// For `wxcallback_biz`.
    Biz(&'a BizRecord),
}

/// Claims every push of a batch, in order: a key already stored (or met
/// earlier in the batch) is a retry; the others are inserted with their
/// records, one multi-row statement per table. Run it inside a transaction:
/// a key claimed concurrently by another replica fails the statement, and
/// the caller claims the pushes again one by one.
pub fn claim_all(conn: &mut DbConnection, pushes: &[NewPush<'_>]) -> Result<Vec<Claim>, DbError> {
    let keys: Vec<&str> = pushes.iter().map(|p| p.key).collect();
    let known: HashMap<String, Option<String>> = wxcallback_dedup::table
        .filter(wxcallback_dedup::dedupkey.eq_any(&keys))
        .select((wxcallback_dedup::dedupkey, wxcallback_dedup::response))
        .load::<(String, Option<String>)>(conn)?
        .into_iter()
        .collect();
    let received = now();
    let mut claimed: HashSet<&str> = HashSet::new();
    let mut claims = Vec::with_capacity(pushes.len());
    let mut new_keys = Vec::new();
    let mut component_rows = Vec::new();
    let mut biz_rows = Vec::new();
    for push in pushes {
        if let Some(answer) = known.get(push.key) {
            claims.push(Claim::Duplicate(answer.clone()));
            continue;
        }
        if !claimed.insert(push.key) {
            // The same push twice in one batch: the second is a retry.
            claims.push(Claim::Duplicate(None));
            continue;
        }
        new_keys.push((
            wxcallback_dedup::dedupkey.eq(push.key),
            wxcallback_dedup::response.eq(push.answer),
            wxcallback_dedup::createtime.eq(received),
        ));
        match push.record {
            Row::Component(record) => component_rows.push((
                wxcallback_component::receivetime.eq(received),
                wxcallback_component::createtime.eq(stored_time(record.create_time)),
                wxcallback_component::infotype.eq(record.info_type.as_str()),
                wxcallback_component::postbody.eq(record.body.as_str()),
            )),
            Row::Biz(record) => biz_rows.push((
                wxcallback_biz::receivetime.eq(received),
                wxcallback_biz::createtime.eq(stored_time(record.create_time)),
                wxcallback_biz::tousername.eq(record.to_user_name.as_str()),
                wxcallback_biz::appid.eq(record.appid.as_str()),
                wxcallback_biz::msgtype.eq(record.msg_type.as_str()),
                wxcallback_biz::event.eq(record.event.as_str()),
                wxcallback_biz::postbody.eq(record.body.as_str()),
            )),
        }
        claims.push(Claim::New);
    }
    if !new_keys.is_empty() {
        insert_all!(conn, wxcallback_dedup::table, &new_keys)?;
    }
    if !component_rows.is_empty() {
        insert_all!(conn, wxcallback_component::table, &component_rows)?;
    }
    if !biz_rows.is_empty() {
        insert_all!(conn, wxcallback_biz::table, &biz_rows)?;
    }
    Ok(claims)
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
