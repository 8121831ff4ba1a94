//! The WeChat call budget all replicas' campaign workers share:
//! `campaigns.calls_per_minute` calls in any 60 s, kept in the database
//! ([`store::take_rate_slot`]: one row per call allowed, each spent call
//! stamps the least recently used row, none is free while all were used
//! within the window). Calls outside campaigns (the console, the token
//! refresher) do not count against it.

use common::db::Db;
use common::db::DbError;

use super::store;

/// The shared budget as one replica sees it.
#[derive(Debug, Clone)]
pub struct RateBudget {
    db: Db,
    calls_per_minute: u32,
}

impl RateBudget {
    /// Makes sure the budget's rows exist.
    pub async fn open(db: Db, calls_per_minute: u32) -> Result<Self, DbError> {
        db.run(move |conn| store::ensure_rate_slots(conn, calls_per_minute))
            .await?;
        Ok(Self {
            db,
            calls_per_minute,
        })
    }

    /// Spends `calls` calls at `now_ms`: `Ok(())`, or `Err(at)` with the
    /// unix ms when the next call is free. Calls spent before the budget
    /// ran out stay spent, which only ever slows the campaigns down.
    pub async fn take(&self, calls: u32, now_ms: i64) -> Result<Result<(), i64>, DbError> {
        let budget = self.calls_per_minute;
        self.db
            .run(move |conn| {
                for _ in 0..calls {
                    if let Err(at) = store::take_rate_slot(conn, budget, now_ms)? {
                        return Ok(Err(at));
                    }
                }
                Ok(Ok(()))
            })
            .await
    }
}
