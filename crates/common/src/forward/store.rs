//! wxcomponent's `wxcallback_rules` table: the forward rules as stored.
//!
//! This module is the only reader and writer of the table, as vaultwarden's
//! `db/models/*.rs` own theirs: the admin lists, adds, edits and deletes
//! rules for the console, the callback receiver loads them all for its
//! cache. What a rule's `info` means is [`super::Target`]'s; what the console
//! refuses and how it words it stays in the admin. All functions are
//! blocking; call them through `Db::run`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::RULE_TYPE_HTTP;
use crate::db::schema::wxcallback_rules;
use crate::db::{now, DbConnection, DbError};

/// A stored rule, every column: the console shows them all and the callback
/// receiver's cache compares whole rows to notice any edit.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = wxcallback_rules)]
pub struct StoredRule {
    /// Primary key.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Component event type; empty for message rules.
    #[diesel(column_name = infotype)]
    pub info_type: String,
    /// Message type, for message rules.
    #[diesel(column_name = msgtype)]
    pub msg_type: String,
    /// Event name for `msgType = event`.
    pub event: String,
    /// wxcomponent's rule type ([`RULE_TYPE_HTTP`] is the one we forward).
    pub rule_type: i32,
    /// 1 on, 0 off.
    pub open: i32,
    /// The target as JSON ([`super::Target`]).
    pub info: String,
    /// When it was added.
    #[diesel(column_name = createtime)]
    pub created: NaiveDateTime,
    /// When it was last saved.
    #[diesel(column_name = updatetime)]
    pub updated: NaiveDateTime,
}

/// The columns a save writes, already checked by the caller; the type is
/// always [`RULE_TYPE_HTTP`], the only one this project writes.
#[derive(Debug, Clone, Copy)]
pub struct RuleFields<'a> {
    /// Display name.
    pub name: &'a str,
    /// Component event type.
    pub info_type: &'a str,
    /// Message type.
    pub msg_type: &'a str,
    /// Event.
    pub event: &'a str,
    /// 1 on, 0 off.
    pub open: i32,
    /// The target as JSON.
    pub info: &'a str,
}

/// Why a save failed: the console words a duplicate differently (1001) from
/// every other failure, so it is told apart here where the diesel error is.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Another rule has the same (infoType, msgType, event).
    #[error("a rule for this event already exists")]
    Duplicate,
    /// Any other database failure.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<DieselError> for SaveError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::Duplicate,
            e => Self::Db(e.into()),
        }
    }
}

/// Which rules to list (wxcomponent's console tabs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every rule.
    All,
    /// Component-event rules (infoType set).
    Component,
    /// Message rules (infoType empty).
    Biz,
}

/// A page of `kind`'s rules by id, and the total of that kind.
pub fn list(
    conn: &mut DbConnection,
    kind: Kind,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<StoredRule>), DbError> {
    let query = || {
        let q = wxcallback_rules::table.into_boxed();
        match kind {
            Kind::All => q,
            Kind::Component => q.filter(wxcallback_rules::infotype.ne("")),
            Kind::Biz => q.filter(wxcallback_rules::infotype.eq("")),
        }
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .select(StoredRule::as_select())
        .order(wxcallback_rules::id.asc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((total, rows))
}

/// Every rule by id: the callback receiver's whole view of the table.
pub fn all(conn: &mut DbConnection) -> Result<Vec<StoredRule>, DbError> {
    Ok(wxcallback_rules::table
        .select(StoredRule::as_select())
        .order(wxcallback_rules::id.asc())
        .load(conn)?)
}

/// Rule `id`, if there is one.
pub fn find(conn: &mut DbConnection, id: i32) -> Result<Option<StoredRule>, DbError> {
    Ok(wxcallback_rules::table
        .find(id)
        .select(StoredRule::as_select())
        .first(conn)
        .optional()?)
}

/// Adds a rule, created and updated now.
pub fn insert(conn: &mut DbConnection, rule: RuleFields<'_>) -> Result<(), SaveError> {
    let now = now();
    diesel::insert_into(wxcallback_rules::table)
        .values((
            wxcallback_rules::name.eq(rule.name),
            wxcallback_rules::infotype.eq(rule.info_type),
            wxcallback_rules::msgtype.eq(rule.msg_type),
            wxcallback_rules::event.eq(rule.event),
            wxcallback_rules::rule_type.eq(RULE_TYPE_HTTP),
            wxcallback_rules::open.eq(rule.open),
            wxcallback_rules::info.eq(rule.info),
            wxcallback_rules::createtime.eq(now),
            wxcallback_rules::updatetime.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Saves rule `id`, updated now; answers whether there was such a rule.
pub fn update(conn: &mut DbConnection, id: i32, rule: RuleFields<'_>) -> Result<bool, SaveError> {
    let updated = diesel::update(wxcallback_rules::table.find(id))
        .set((
            wxcallback_rules::name.eq(rule.name),
            wxcallback_rules::infotype.eq(rule.info_type),
            wxcallback_rules::msgtype.eq(rule.msg_type),
            wxcallback_rules::event.eq(rule.event),
            wxcallback_rules::rule_type.eq(RULE_TYPE_HTTP),
            wxcallback_rules::open.eq(rule.open),
            wxcallback_rules::info.eq(rule.info),
            wxcallback_rules::updatetime.eq(now()),
        ))
        .execute(conn)?;
    Ok(updated > 0)
}

/// Deletes rule `id`; one that is gone already is not an error.
pub fn delete(conn: &mut DbConnection, id: i32) -> Result<(), DbError> {
    diesel::delete(wxcallback_rules::table.find(id)).execute(conn)?;
    Ok(())
}
