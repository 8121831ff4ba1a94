//! Turning an `authorized`/`updateauthorized` push into an authorizer row
//! with `common::authorization` (the exchange the admin's binding shares).
//! Runs in the background so the push is answered within WeChat's 5 s,
//! retrying with backoff while WeChat or the token core is briefly
//! unavailable.

use std::time::Duration;

use common::authorization;
use common::db::{authorization_failures, now};
use common::message::AuthorizationChange;
use common::tokens::{TokenError, TokenManager};

/// WeChat codes after which retrying cannot help (code invalid/expired/used,
/// account not authorized).
const PERMANENT: [i64; 4] = [61009, 61010, 61003, 40013];

/// How often to try before giving up.
const MAX_ATTEMPTS: u32 = 8;

/// Starts the exchange in the background (see [`complete`]).
pub fn spawn(tokens: TokenManager, change: AuthorizationChange, authorized_at: i64) {
    tokio::spawn(complete(tokens, change, authorized_at));
}

/// Exchanges the code once and stores the refresh token at once; fetching the
/// account's details is retried separately, so a retry never re-spends the
/// single-use code.
pub async fn complete(tokens: TokenManager, change: AuthorizationChange, authorized_at: i64) {
    let appid = change.authorizer_appid.clone();
    let exchanged = retrying(&appid, "exchange the authorization code", || {
        exchange_code(&tokens, &change, authorized_at)
    })
    .await;
    match exchanged {
        Ok(()) => complete_details(&tokens, &appid).await,
        Err(error) => record_failure(&tokens, &appid, "exchange", error).await,
    }
}

/// Fetches and stores the account's details, retrying while WeChat fails.
pub async fn complete_details(tokens: &TokenManager, appid: &str) {
    match retrying(appid, "fetch the authorizer's details", || {
        authorization::store_details(tokens, appid)
    })
    .await
    {
        Ok(()) => tracing::info!(%appid, "authorizer stored"),
        Err(error) => record_failure(tokens, appid, "details", error).await,
    }
}

/// Keeps a given-up authorization for the console (the log line alone is
/// easily missed); a failure to keep it is only logged.
async fn record_failure(tokens: &TokenManager, appid: &str, step: &'static str, error: String) {
    let (lookup, at) = (appid.to_string(), now().and_utc().timestamp());
    let kept = tokens
        .db()
        .run(move |conn| authorization_failures::record(conn, &lookup, step, &error, at))
        .await;
    if let Err(e) = kept {
        tracing::error!(%appid, error = %e, "cannot record the failed authorization");
    }
}

/// Runs `attempt` until it succeeds, fails permanently, or `MAX_ATTEMPTS`
/// pass; answers the last error when it gives up.
async fn retrying<F, Fut>(appid: &str, what: &str, mut attempt: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), TokenError>>,
{
    let mut delay = Duration::from_millis(250);
    let mut last = String::new();
    for n in 1..=MAX_ATTEMPTS {
        match attempt().await {
            Ok(()) => return Ok(()),
            Err(e) if is_permanent(&e) => {
                tracing::error!(%appid, error = %e, "cannot {what}");
                return Err(e.to_string());
            }
            Err(e) => {
                tracing::warn!(%appid, attempt = n, error = %e, "failed to {what}; retrying");
                last = e.to_string();
                if n < MAX_ATTEMPTS {
                    let jitter = Duration::from_millis(rand::random::<u64>() % 100);
                    tokio::time::sleep(delay + jitter).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
    tracing::error!(%appid, "gave up trying to {what}");
    Err(format!("gave up after {MAX_ATTEMPTS} attempts: {last}"))
}

fn is_permanent(e: &TokenError) -> bool {
    match e {
        TokenError::Wechat(w) => w.errcode().is_some_and(|c| PERMANENT.contains(&c)),
        TokenError::NoSecret => true,
        _ => false,
    }
}

/// Exchanges the push's code (once across processes: the admin may be
/// exchanging the same code for the operator's page) and stores the grant.
async fn exchange_code(
    tokens: &TokenManager,
    change: &AuthorizationChange,
    authorized_at: i64,
) -> Result<(), TokenError> {
    let exchanged = authorization::exchange(
        tokens,
        &change.authorization_code,
        authorized_at,
        Some(&change.authorizer_appid),
    )
    .await?;
    if exchanged.reused {
        tracing::info!(appid = %exchanged.appid, "the code was exchanged by the admin's binding");
    }
    Ok(())
}
