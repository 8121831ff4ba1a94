//! The background refresher: every `tokens.refresh_interval_secs` it looks
//! at the component token and every stored authorizer token and renews each
//! one that expires within `tokens.refresh_margin_secs` (10 minutes by
//! default), through the token core's single-flight, so replicas running the
//! same refresher call WeChat once between them. A failed refresh leaves the
//! current token in place (still handed out while valid) and is retried
//! after a jittered, doubling backoff (`refresh_backoff_min_ms` ..
//! `refresh_backoff_max_ms`). An interval of 0 disables the refresher.

use std::collections::HashMap;
use std::time::Duration;

use common::db::authorizers;
use common::tokens::{store, TokenError, TokenKey, TokenManager};
use futures_util::stream::{self, StreamExt as _};
use tokio::time::Instant;

/// Tokens refreshed at the same time.
const CONCURRENCY: usize = 4;

/// Timing of the refresher.
#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    /// Time between rounds.
    pub interval: Duration,
    /// Renew tokens expiring within this.
    pub margin: Duration,
    /// First retry delay after a failure.
    pub backoff_min: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

impl RefreshPolicy {
    /// From `tokens.*`; `None` when the refresher is disabled.
    pub fn from_settings(settings: &common::config::TokenSettings) -> Option<Self> {
        (settings.refresh_interval_secs > 0).then(|| Self {
            interval: Duration::from_secs(settings.refresh_interval_secs),
            margin: Duration::from_secs(settings.refresh_margin_secs),
            backoff_min: Duration::from_millis(settings.refresh_backoff_min_ms.max(1)),
            backoff_max: Duration::from_millis(
                settings
                    .refresh_backoff_max_ms
                    .max(settings.refresh_backoff_min_ms.max(1)),
            ),
        })
    }

    /// The delay after `failures` consecutive failures ([`jittered_backoff`]).
    pub fn backoff(&self, failures: u32) -> Duration {
        jittered_backoff(self.backoff_min, self.backoff_max, failures)
    }
}

/// The delay after `failures` consecutive failures: min·2^(n-1), capped at
/// `max`, then jittered to 50-100 % so replicas do not retry in step. The
/// one retry schedule of the admin's background work (token refresher,
/// release campaigns).
pub fn jittered_backoff(min: Duration, max: Duration, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    let base = min.saturating_mul(1u32 << exp).min(max);
    let factor = 0.5 + rand::random::<f64>() * 0.5;
    base.mul_f64(factor)
}

#[derive(Debug, Clone, Copy)]
struct Backoff {
    failures: u32,
    next: Instant,
}

/// Runs until the task is aborted.
pub async fn run(tokens: TokenManager, policy: RefreshPolicy) {
    let mut backoff: HashMap<TokenKey, Backoff> = HashMap::new();
    loop {
        if let Err(e) = round(&tokens, &policy, &mut backoff).await {
            tracing::warn!(error = %e, "token refresh round failed");
        }
        tokio::time::sleep(policy.interval).await;
    }
}

/// The tokens to watch: the component token once a ticket exists, and every
/// authorizer that has a stored token.
async fn watched(tokens: &TokenManager) -> Result<Vec<TokenKey>, TokenError> {
    let keys = tokens
        .db()
        .run(|conn| {
            let has_ticket = store::load_ticket(conn)?.is_some_and(|(t, _)| !t.is_empty());
            let appids = authorizers::with_access_token(conn)?;
            Ok((has_ticket, appids))
        })
        .await?;
    let (has_ticket, appids) = keys;
    let mut out = Vec::with_capacity(appids.len() + 1);
    if has_ticket {
        out.push(TokenKey::Component);
    }
    out.extend(appids.into_iter().map(TokenKey::Authorizer));
    Ok(out)
}

/// One round: refresh what is due and not backing off.
async fn round(
    tokens: &TokenManager,
    policy: &RefreshPolicy,
    backoff: &mut HashMap<TokenKey, Backoff>,
) -> Result<(), TokenError> {
    let now = Instant::now();
    let keys = watched(tokens).await?;
    backoff.retain(|k, _| keys.contains(k));
    let due: Vec<TokenKey> = keys
        .into_iter()
        .filter(|k| backoff.get(k).is_none_or(|b| b.next <= now))
        .collect();
    // The component token first: authorizer refreshes need it.
    let (component, authorizers): (Vec<TokenKey>, Vec<TokenKey>) =
        due.into_iter().partition(|k| *k == TokenKey::Component);
    let mut results = Vec::new();
    for key in component {
        let result = tokens.refresh_expiring(&key, policy.margin).await;
        results.push((key, result));
    }
    let rest: Vec<(TokenKey, Result<_, TokenError>)> = stream::iter(authorizers)
        .map(|key| async move {
            let result = tokens.refresh_expiring(&key, policy.margin).await;
            (key, result)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    results.extend(rest);
    for (key, result) in results {
        match result {
            Ok(_) => {
                backoff.remove(&key);
            }
            Err(e) => {
                let failures = backoff.get(&key).map_or(1, |b| b.failures + 1);
                let delay = match e {
                    // Nothing will change until the account authorizes again.
                    TokenError::RefreshTokenInvalid(_) | TokenError::NotAuthorized(_) => {
                        policy.backoff_max
                    }
                    _ => policy.backoff(failures),
                };
                tracing::warn!(token = ?key, failures, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), error = %e, "background token refresh failed");
                backoff.insert(
                    key,
                    Backoff {
                        failures,
                        next: Instant::now() + delay,
                    },
                );
            }
        }
    }
    Ok(())
}
