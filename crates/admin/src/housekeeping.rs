//! The admin's housekeeping, every `admin.housekeeping_interval_secs` (an
//! hour by default; 0 disables it), first right after start: deletes
//! login-failure counts whose lockout window has passed ([`lockout::purge`])
//! and, when `records.retention_days` is set, push records received longer
//! ago than that, `records.purge_batch_rows` rows per statement
//! ([`common::db::pushes::purge_batch`]). One replica does a round for all:
//! whoever takes the `comm` lock row [`LOCK_KEY`] (the token core's
//! `TLock_*` mechanism) keeps it for one interval; the others skip that round.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use common::config::Settings;
use common::db::{now, pushes, Db, DbError};
use common::tokens::store;

use crate::lockout;

/// The `comm` lock row that lets one replica per interval do the round.
pub const LOCK_KEY: &str = "TLock_housekeeping";

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Expired login-failure counts deleted.
    pub lockout_rows: usize,
    /// Push records deleted from `wxcallback_component`.
    pub component_records: usize,
    /// Push records deleted from `wxcallback_biz`.
    pub biz_records: usize,
}

/// The housekeeping of one admin process.
#[derive(Debug, Clone)]
pub struct Housekeeping {
    db: Db,
    settings: Arc<Settings>,
    owner: String,
}

impl Housekeeping {
    /// From the settings; `None` when `admin.housekeeping_interval_secs` is 0.
    pub fn from_settings(db: Db, settings: Arc<Settings>) -> Option<Self> {
        (settings.admin.housekeeping_interval_secs > 0).then(|| Self {
            db,
            settings,
            owner: hex::encode(rand::random::<[u8; 8]>()),
        })
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(self.settings.admin.housekeeping_interval_secs.max(1))
    }

    /// Runs a round now and then once per interval, until the task is aborted.
    pub async fn run(self) {
        loop {
            match self.round_if_due().await {
                Ok(Some(report)) if report != Report::default() => {
                    tracing::info!(
                        lockout_rows = report.lockout_rows,
                        component_records = report.component_records,
                        biz_records = report.biz_records,
                        "housekeeping deleted expired rows"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping round failed"),
            }
            tokio::time::sleep(self.interval()).await;
        }
    }

    /// A round, unless another replica did one within the interval (`None`).
    pub async fn round_if_due(&self) -> Result<Option<Report>, DbError> {
        let interval = TimeDelta::from_std(self.interval()).unwrap_or(TimeDelta::hours(1));
        let owner = self.owner.clone();
        // Held until it expires, never released: that is what makes it
        // one round per interval across replicas.
        let taken = self
            .db
            .run(move |conn| store::try_lock(conn, LOCK_KEY, &owner, now() + interval))
            .await?;
        if !taken {
            return Ok(None);
        }
        self.round().await.map(Some)
    }

    /// One round, whatever other replicas do.
    pub async fn round(&self) -> Result<Report, DbError> {
        let window = self.settings.admin.login_lockout_secs;
        let lockout_rows = self
            .db
            .run(move |conn| lockout::purge(conn, window))
            .await?;
        let mut report = Report {
            lockout_rows,
            ..Report::default()
        };
        let retention_days = self.settings.records.retention_days;
        if retention_days == 0 {
            return Ok(report);
        }
        let cutoff = now() - TimeDelta::days(i64::from(retention_days));
        let batch_rows = self.settings.records.purge_batch_rows;
        loop {
            let purged = self
                .db
                .run(move |conn| pushes::purge_batch(conn, cutoff, batch_rows))
                .await?;
            report.component_records += purged.component;
            report.biz_records += purged.biz;
            if !purged.more_left(batch_rows) {
                return Ok(report);
            }
        }
    }
}
