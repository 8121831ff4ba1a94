//! Login lockout: after `admin.login_max_failures` failed logins from one IP
//! within `admin.login_lockout_secs` (10 per hour by default), that IP gets
//! 1011 until the window that began with its first failure has passed. The
//! counts live in wxcomponent's `counter` table (key `AUTH_{ip}`), so every
//! replica sees the same count.

use chrono::{NaiveDateTime, TimeDelta};
use common::db::schema::counter;
use common::db::{now, upsert, DbConnection, DbError};
use diesel::prelude::*;

/// The `counter` key of failed logins from `ip`.
pub fn key(ip: &str) -> String {
    format!("AUTH_{ip}")
}

fn window_start(window_secs: i64) -> NaiveDateTime {
    now() - TimeDelta::seconds(window_secs.max(1))
}

/// Failed logins from `ip` in the current window.
pub fn failures(conn: &mut DbConnection, ip: &str, window_secs: i64) -> Result<u32, DbError> {
    let row: Option<(Option<i32>, NaiveDateTime)> = counter::table
        .filter(counter::key.eq(key(ip)))
        .select((counter::value, counter::createtime))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((value, started)) if started > window_start(window_secs) => {
            u32::try_from(value.unwrap_or(0)).unwrap_or(0)
        }
        _ => 0,
    })
}

/// Records one failed login from `ip`; answers the count in the window.
/// Statements commit one by one (see [`upsert`]): concurrent failures from one
/// IP each count, and none of them can deadlock another on InnoDB.
pub fn record_failure(conn: &mut DbConnection, ip: &str, window_secs: i64) -> Result<u32, DbError> {
    let key = key(ip);
    let now = now();
    // A window that has passed starts again at 1.
    let restarted = diesel::update(
        counter::table
            .filter(counter::key.eq(&key))
            .filter(counter::createtime.le(window_start(window_secs))),
    )
    .set((
        counter::value.eq(Some(1)),
        counter::createtime.eq(now),
        counter::updatetime.eq(now),
    ))
    .execute(conn)?;
    if restarted == 0 {
        upsert(
            conn,
            |conn| {
                diesel::update(counter::table.filter(counter::key.eq(&key)))
                    .set((
                        counter::value.eq(counter::value + 1),
                        counter::updatetime.eq(now),
                    ))
                    .execute(conn)
            },
            |conn| {
                diesel::insert_into(counter::table)
                    .values((
                        counter::key.eq(&key),
                        counter::value.eq(Some(1)),
                        counter::createtime.eq(now),
                        counter::updatetime.eq(now),
                    ))
                    .execute(conn)
            },
        )?;
    }
    failures(conn, ip, window_secs)
}

/// Deletes counts whose window has passed (housekeeping).
pub fn purge(conn: &mut DbConnection, window_secs: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(
        counter::table
            .filter(counter::key.like("AUTH_%"))
            .filter(counter::createtime.le(window_start(window_secs))),
    )
    .execute(conn)?)
}
