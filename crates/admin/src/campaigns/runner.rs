//! The campaign runner: `campaigns.workers` tasks per admin replica, each
//! claiming one due account at a time ([`store::claim`], a lease in the
//! database, so two replicas never work one account at once and a crashed
//! replica's accounts are taken over when its lease expires), taking the
//! step's calls from the shared budget ([`RateBudget`]), running the step
//! ([`steps::run`]) and writing the outcome under the lease
//! ([`store::record`]) before the next claim. A paused campaign's accounts
//! are not claimed; steps in flight finish. On shutdown the workers finish
//! the step in hand and stop, leaving nothing leased.

use std::sync::Arc;
use std::time::Duration;

use common::config::CampaignSettings;
use common::db::DbError;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::rate::RateBudget;
use super::steps::{self, Timing};
use super::store;
use crate::state::AppState;

/// The runner of one replica, before it starts.
#[derive(Debug, Clone)]
pub struct Runner {
    state: AppState,
    settings: CampaignSettings,
    owner: Arc<str>,
}

/// A started runner; [`RunnerHandle::stop`] ends it.
pub struct RunnerHandle {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Runner {
    /// The runner of `state`'s settings; `None` with `campaigns.workers` 0.
    pub fn from_state(state: AppState) -> Option<Self> {
        let settings = state.settings.campaigns.clone();
        (settings.workers > 0).then(|| Self {
            state,
            settings,
            owner: Arc::from(format!("admin-{}", hex::encode(rand::random::<[u8; 8]>()))),
        })
    }

    /// Starts the workers.
    pub async fn start(self) -> Result<RunnerHandle, DbError> {
        let budget =
            RateBudget::open(self.state.db.clone(), self.settings.calls_per_minute).await?;
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for _ in 0..self.settings.workers {
            let worker = Worker {
                runner: self.clone(),
                budget: budget.clone(),
                stopped: stopped.clone(),
            };
            tasks.spawn(worker.run());
        }
        tracing::info!(workers = self.settings.workers, owner = %self.owner, "campaign runner started");
        Ok(RunnerHandle { stop, tasks })
    }
}

impl RunnerHandle {
    /// Lets every worker finish its step in hand, then ends them; after
    /// `grace` the rest are aborted (their leases expire).
    pub async fn stop(mut self, grace: Duration) {
        // Workers that already ended dropped their receivers: nothing to tell.
        let _ = self.stop.send(true);
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("campaign workers did not stop in time; aborted");
            self.tasks.abort_all();
        }
    }
}

struct Worker {
    runner: Runner,
    budget: RateBudget,
    stopped: watch::Receiver<bool>,
}

impl Worker {
    fn timing(&self) -> Timing {
        let s = &self.runner.settings;
        Timing {
            poll_interval: Duration::from_millis(s.poll_interval_ms),
            backoff_base: Duration::from_millis(s.backoff_base_ms.max(1)),
            backoff_max: Duration::from_millis(s.backoff_max_ms.max(s.backoff_base_ms.max(1))),
            max_attempts: s.max_attempts,
        }
    }

    /// Sleeps `delay` unless the runner stops first; answers whether to go on.
    async fn pause(&mut self, delay: Duration) -> bool {
        if *self.stopped.borrow() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => !*self.stopped.borrow(),
            _ = self.stopped.changed() => false,
        }
    }

    async fn run(mut self) {
        let idle = Duration::from_millis(self.runner.settings.scan_interval_ms.max(1));
        loop {
            let delay = match self.once().await {
                Ok(None) => Duration::ZERO,
                Ok(Some(delay)) => delay,
                Err(e) => {
                    tracing::warn!(error = %e, "campaign worker failed; retrying");
                    idle
                }
            };
            if !self.pause(delay).await {
                return;
            }
        }
    }

    /// Claims and works one account; answers how long to wait before the
    /// next claim (`None`: at once).
    async fn once(&mut self) -> Result<Option<Duration>, DbError> {
        let idle = Duration::from_millis(self.runner.settings.scan_interval_ms.max(1));
        let lease_ms =
            i64::try_from(self.runner.settings.lease_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let owner = Arc::clone(&self.runner.owner);
        let db = self.runner.state.db.clone();
        let claimed = db
            .run(move |conn| store::claim(conn, &owner, now_ms(), lease_ms))
            .await?;
        let Some(account) = claimed else {
            return Ok(Some(idle));
        };
        if let Err(free_at) = self.budget.take(account.step.calls(), now_ms()).await? {
            let (id, owner) = (account.id, Arc::clone(&self.runner.owner));
            db.run(move |conn| store::release(conn, id, &owner)).await?;
            let wait = u64::try_from(free_at.saturating_sub(now_ms())).unwrap_or(0);
            return Ok(Some(Duration::from_millis(wait).max(idle)));
        }
        let result = steps::run(&self.runner.state, &account).await;
        let now = now_ms();
        let progress = steps::outcome(&account, result, &self.timing(), now);
        if progress.errcode.is_some() || !progress.error.is_empty() {
            tracing::info!(appid = %account.appid, campaign = account.campaign_id, step = account.step.as_str(),
                errcode = ?progress.errcode, error = %progress.error, state = progress.state.as_str(), "campaign step did not succeed");
        }
        let (id, campaign_id, owner) = (
            account.id,
            account.campaign_id,
            Arc::clone(&self.runner.owner),
        );
        let written = db
            .run(move |conn| store::record(conn, id, campaign_id, &owner, &progress, now))
            .await?;
        if !written {
            tracing::warn!(appid = %account.appid, campaign = campaign_id, "lost the lease of a campaign account; its step may run again");
        }
        Ok(None)
    }
}
