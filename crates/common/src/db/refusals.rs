//! The `wxc_push_refusals` table: how many pushes the callback receiver
//! refused (bad signature, stale timestamp, failed decryption) in each
//! minute, so the console can show forged or misconfigured traffic.
//!
//! The receiver counts refusals in memory and adds each minute's count here
//! every few seconds ([`add`]), so a flood of forged pushes costs one upsert
//! per interval, not one write per request. The admin reads the sums
//! ([`since`]). This module is the only reader and writer of the table. All
//! functions are blocking; call them through `Db::run`.

use diesel::prelude::*;

use crate::db::schema::wxc_push_refusals;
use crate::db::{upsert, DbConnection, DbError};

/// The start of the minute holding `unix` (Unix seconds), the table's key.
pub fn minute_of(unix: i64) -> i64 {
    unix.div_euclid(60) * 60
}

/// Adds `count` refusals to the minute starting at `minute` (see [`minute_of`]).
pub fn add(conn: &mut DbConnection, minute: i64, count: i64) -> Result<(), DbError> {
    upsert(
        conn,
        |c| {
            diesel::update(wxc_push_refusals::table.find(minute))
                .set(wxc_push_refusals::count.eq(wxc_push_refusals::count + count))
                .execute(c)
        },
        |c| {
            diesel::insert_into(wxc_push_refusals::table)
                .values((
                    wxc_push_refusals::minute.eq(minute),
                    wxc_push_refusals::count.eq(count),
                ))
                .execute(c)
        },
    )?;
    Ok(())
}

/// Refusals counted in minutes starting at or after `minute`.
pub fn since(conn: &mut DbConnection, minute: i64) -> Result<i64, DbError> {
    // Summed here, not with SUM(): MySQL answers SUM(BIGINT) as DECIMAL.
    // One row per minute keeps this small for the spans the console asks.
    let counts: Vec<i64> = wxc_push_refusals::table
        .filter(wxc_push_refusals::minute.ge(minute))
        .select(wxc_push_refusals::count)
        .load(conn)?;
    Ok(counts.into_iter().sum())
}

/// Deletes the minutes before `minute`; answers how many rows went.
pub fn purge_before(conn: &mut DbConnection, minute: i64) -> Result<usize, DbError> {
    Ok(
        diesel::delete(wxc_push_refusals::table.filter(wxc_push_refusals::minute.lt(minute)))
            .execute(conn)?,
    )
}

#[cfg(test)]
mod tests {
    use super::minute_of;

    #[test]
    fn a_time_falls_in_the_minute_that_starts_at_or_before_it() {
        assert_eq!(minute_of(120), 120);
        assert_eq!(minute_of(179), 120);
        assert_eq!(minute_of(-1), -60);
    }
}
