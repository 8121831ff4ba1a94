//! Pushes refused as untrusted (bad signature, missing signature
//! parameters, stale timestamp, failed decryption), counted for the
//! console's overview.
//!
//! A request only bumps a per-minute counter in memory; a background task
//! adds the counts to `wxc_push_refusals` ([`common::db::refusals`]) every
//! [`FLUSH_EVERY`], so a flood of forged pushes costs at most one upsert
//! per minute touched per interval, never a write per request. Counts a
//! failed flush could not store are kept for the next one, at most
//! [`MAX_PENDING_MINUTES`] minutes of them.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use common::db::{now, refusals, Db, DbError};

use crate::error::CallbackError;

/// How often counted refusals are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// Minutes kept in memory while the database is unreachable; older ones
/// are dropped first.
pub const MAX_PENDING_MINUTES: usize = 120;
/// How long stored minutes are kept.
const RETENTION_SECS: i64 = 2 * 86_400;
/// Flushes between two purges of old minutes (about an hour).
const PURGE_EVERY_FLUSHES: u32 = 1_800;

/// Refusals counted since the last flush, by minute (Unix seconds).
#[derive(Debug, Default)]
pub struct RefusalCounter {
    pending: Mutex<BTreeMap<i64, i64>>,
}

impl RefusalCounter {
    /// Counts `error` if it refuses the push as untrusted.
    pub fn note(&self, error: &CallbackError) {
        if error.is_refusal() {
            self.add(refusals::minute_of(now().and_utc().timestamp()), 1);
        }
    }

    fn add(&self, minute: i64, count: i64) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *pending.entry(minute).or_default() += count;
        while pending.len() > MAX_PENDING_MINUTES {
            pending.pop_first();
        }
    }

    fn take(&self) -> BTreeMap<i64, i64> {
        std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Writes the counts taken so far; what could not be written is kept.
    pub async fn flush(&self, db: &Db) -> Result<(), DbError> {
        let taken = self.take();
        if taken.is_empty() {
            return Ok(());
        }
        let stored = taken.clone();
        let result = db
            .run(move |conn| {
                let mut written = Vec::new();
                for (minute, count) in stored {
                    if let Err(e) = refusals::add(conn, minute, count) {
                        return Ok(Err((written, e)));
                    }
                    written.push(minute);
                }
                Ok(Ok(()))
            })
            .await;
        let (written, error) = match result {
            Ok(Ok(())) => return Ok(()),
            Ok(Err((written, e))) => (written, e),
            Err(e) => (Vec::new(), e),
        };
        for (minute, count) in taken {
            if !written.contains(&minute) {
                self.add(minute, count);
            }
        }
        Err(error)
    }
}

/// Flushes every [`FLUSH_EVERY`] and forgets stored minutes older than two
/// days about once an hour; runs until aborted.
pub async fn run(db: Db, counter: std::sync::Arc<RefusalCounter>) {
    let mut every = tokio::time::interval(FLUSH_EVERY);
    let mut flushes: u32 = 0;
    loop {
        every.tick().await;
        if let Err(e) = counter.flush(&db).await {
            tracing::warn!(error = %e, "could not store counted push refusals; kept for the next try");
        }
        flushes = flushes.wrapping_add(1);
        if flushes % PURGE_EVERY_FLUSHES == 1 {
            let cutoff = refusals::minute_of(now().and_utc().timestamp() - RETENTION_SECS);
            if let Err(e) = db
                .run(move |conn| refusals::purge_before(conn, cutoff))
                .await
            {
                tracing::warn!(error = %e, "could not purge old push refusal counts");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_untrusted_pushes_are_counted() {
        let counter = RefusalCounter::default();
        counter.note(&CallbackError::BadSignature);
        counter.note(&CallbackError::StaleTimestamp("1".into()));
        counter.note(&CallbackError::BadRequest("bad query".into()));
        assert_eq!(counter.take().values().sum::<i64>(), 2);
        assert!(counter.take().is_empty(), "taking empties the counter");
    }

    #[test]
    fn pending_minutes_are_bounded_oldest_dropped_first() {
        let counter = RefusalCounter::default();
        let minutes = i64::try_from(MAX_PENDING_MINUTES).unwrap_or(i64::MAX) + 5;
        for m in 0..minutes {
            counter.add(m * 60, 1);
        }
        let pending = counter.take();
        assert_eq!(pending.len(), MAX_PENDING_MINUTES);
        assert_eq!(pending.keys().next(), Some(&(5 * 60)));
    }
}
