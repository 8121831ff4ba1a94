//! Storing pushes before they are acknowledged, and recognising WeChat's
//! retries: a push is claimed in one transaction that inserts its
//! de-duplication key, its record and its database effects (batched with the
//! pushes that arrived with it, [`crate::intake`]); a retry finds the key and
//! gets the first answer.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use common::db::schema::{wxcallback_biz, wxcallback_component, wxcallback_dedup};
use common::db::{now, stored_time, DbConnection, DbError};
use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
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

/// SQLite: takes the database's write lock as the first statement of the
/// batch's transaction, waiting the busy timeout for it. A deferred
/// transaction that reads first (the rules, the stored keys) and writes
/// after fails at once with `SQLITE_BUSY_SNAPSHOT` when another connection
/// (the admin, another service) wrote in between; taken first, the lock
/// makes the batch's reads and writes one snapshot. Nothing on MySQL, whose
/// row locks need no such step.
pub fn lock_for_writing(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Sqlite(sqlite) = conn {
        // Any write statement takes the lock when it starts, even one that
        // changes no row.
        sqlite.batch_execute("UPDATE wxcallback_dedup SET response = response WHERE 0")?;
    }
    Ok(())
}

/// MySQL's fast path: claims a batch of pushes none of which is stored yet
/// in ONE round trip — `START TRANSACTION`, one multi-row INSERT per table,
/// `COMMIT`, sent as one multi-statement text query — instead of a prepared
/// statement (prepare, execute, close) per statement. Every value travels as
/// a hex literal (`X'…'`), which nothing in a push can break out of.
/// `Ok(false)`, with everything rolled back, when a key repeats within the
/// batch or the server refused a statement (a key already stored: a retry):
/// the caller then claims the batch the general way ([`claim_all`]).
pub fn claim_fresh_mysql(
    conn: &mut MysqlConnection,
    pushes: &[NewPush<'_>],
) -> Result<bool, DbError> {
    let mut keys = HashSet::with_capacity(pushes.len());
    if pushes.is_empty() || !pushes.iter().all(|p| keys.insert(p.key)) {
        return Ok(false);
    }
    let received = sql_time(now());
    let mut sql = String::with_capacity(
        256 + pushes
            .iter()
            .map(|p| 2 * p.record.body().len() + 256)
            .sum::<usize>(),
    );
    sql.push_str(
        "START TRANSACTION;INSERT INTO wxcallback_dedup (dedupkey,response,createtime) VALUES ",
    );
    for (i, push) in pushes.iter().enumerate() {
        sql.push_str(if i == 0 { "(" } else { ",(" });
        hex_literal(&mut sql, push.key);
        sql.push(',');
        match push.answer {
            Some(answer) => hex_literal(&mut sql, answer),
            None => sql.push_str("NULL"),
        }
        sql.push_str(",'");
        sql.push_str(&received);
        sql.push_str("')");
    }
    let component: Vec<(i64, [&str; 2])> = pushes
        .iter()
        .filter_map(|p| match p.record {
            Row::Component(r) => Some((r.create_time, [r.info_type.as_str(), r.body.as_str()])),
            Row::Biz(_) => None,
        })
        .collect();
    insert_rows(
        &mut sql,
        "wxcallback_component (receivetime,createtime,infotype,postbody)",
        &received,
        &component,
    );
    let biz: Vec<(i64, [&str; 5])> = pushes
        .iter()
        .filter_map(|p| match p.record {
            Row::Biz(r) => Some((
                r.create_time,
                [&r.to_user_name, &r.appid, &r.msg_type, &r.event, &r.body].map(String::as_str),
            )),
            Row::Component(_) => None,
        })
        .collect();
    insert_rows(
        &mut sql,
        "wxcallback_biz (receivetime,createtime,tousername,appid,msgtype,event,postbody)",
        &received,
        &biz,
    );
    sql.push_str(";COMMIT");
    match conn.batch_execute(&sql) {
        Ok(()) => Ok(true),
        Err(e) => {
            // A failed statement leaves the transaction open: end it. Text
            // queries report every server error as `Unknown` (a duplicate
            // key included), so any failure sends the batch to the general
            // path, which tells a retry from a real error; a connection that
            // cannot even roll back is reported as it is.
            match conn.batch_execute("ROLLBACK") {
                Ok(()) => {
                    tracing::debug!(error = %e, "fast batch refused; claiming it the general way");
                    Ok(false)
                }
                Err(_) => Err(e.into()),
            }
        }
    }
}

/// `;INSERT INTO <table> VALUES (...),...` of push records: the receive
/// time, the push's `CreateTime`, then its texts as hex literals. Nothing
/// when there are no rows.
fn insert_rows<const N: usize>(
    sql: &mut String,
    table: &str,
    received: &str,
    rows: &[(i64, [&str; N])],
) {
    if rows.is_empty() {
        return;
    }
    sql.push_str(";INSERT INTO ");
    sql.push_str(table);
    sql.push_str(" VALUES ");
    for (i, (create_time, texts)) in rows.iter().enumerate() {
        sql.push_str(if i == 0 { "('" } else { ",('" });
        sql.push_str(received);
        sql.push_str("','");
        sql.push_str(&sql_time(stored_time(*create_time)));
        sql.push('\'');
        for text in texts {
            sql.push(',');
            hex_literal(sql, text);
        }
        sql.push(')');
    }
}

impl Row<'_> {
    fn body(&self) -> &str {
        match self {
            Row::Component(r) => &r.body,
            Row::Biz(r) => &r.body,
        }
    }
}

/// `text` as a MySQL hex literal: only hex digits between the quotes.
fn hex_literal(sql: &mut String, text: &str) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    sql.push_str("X'");
    for byte in text.bytes() {
        sql.push(char::from(DIGITS[usize::from(byte >> 4)]));
        sql.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    sql.push('\'');
}

/// A time as MySQL's `DATETIME`/`TIMESTAMP` literal text (UTC session).
fn sql_time(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
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
