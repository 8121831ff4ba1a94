//! Turning an `authorized`/`updateauthorized` push into an authorizer row:
//! exchange the code (`api_query_auth`), fetch the account
//! (`api_get_authorizer_info`), store both and the first access token. Runs
//! in the background so the push is answered within WeChat's 5 s, retrying
//! with backoff while WeChat or the token core is briefly unavailable.

use std::time::Duration;

use chrono::TimeDelta;
use common::db::authorizers::{self, Details, Grant};
use common::db::now;
use common::message::AuthorizationChange;
use common::tokens::store::{self, StoredToken};
use common::tokens::{TokenError, TokenKey, TokenManager};
use common::wechat::{with_token, WechatError};

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
    if exchanged.is_some() {
        complete_details(&tokens, &appid).await;
    }
}

/// Fetches and stores the account's details, retrying while WeChat fails.
pub async fn complete_details(tokens: &TokenManager, appid: &str) {
    if retrying(appid, "fetch the authorizer's details", || {
        store_details(tokens, appid)
    })
    .await
    .is_some()
    {
        tracing::info!(%appid, "authorizer stored");
    }
}

/// Runs `attempt` until it succeeds, fails permanently, or `MAX_ATTEMPTS` pass.
async fn retrying<F, Fut>(appid: &str, what: &str, mut attempt: F) -> Option<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), TokenError>>,
{
    let mut delay = Duration::from_millis(250);
    for n in 1..=MAX_ATTEMPTS {
        match attempt().await {
            Ok(()) => return Some(()),
            Err(e) if is_permanent(&e) => {
                tracing::error!(%appid, error = %e, "cannot {what}");
                return None;
            }
            Err(e) => {
                tracing::warn!(%appid, attempt = n, error = %e, "failed to {what}; retrying");
                let jitter = Duration::from_millis(rand::random::<u64>() % 100);
                tokio::time::sleep(delay + jitter).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
    tracing::error!(%appid, "gave up trying to {what}");
    None
}

fn is_permanent(e: &TokenError) -> bool {
    match e {
        TokenError::Wechat(w) => w.errcode().is_some_and(|c| PERMANENT.contains(&c)),
        TokenError::NoSecret => true,
        _ => false,
    }
}

/// Exchanges the code and stores the authorizer's refresh token and first
/// access token.
pub async fn exchange_code(
    tokens: &TokenManager,
    change: &AuthorizationChange,
    authorized_at: i64,
) -> Result<(), TokenError> {
    let info = with_token(&tokens.source(TokenKey::Component), |token| async move {
        tokens
            .client()
            .query_auth(&token, tokens.component_appid(), &change.authorization_code)
            .await
    })
    .await??;
    if info.authorizer_appid != change.authorizer_appid {
        return Err(TokenError::Wechat(WechatError::Decode {
            path: "/cgi-bin/component/api_query_auth".into(),
            detail: format!(
                "code belongs to {}, push said {}",
                info.authorizer_appid, change.authorizer_appid
            ),
        }));
    }
    let appid = change.authorizer_appid.clone();
    let grant = Grant {
        refresh_token: info.authorizer_refresh_token.clone(),
        func_info: info.func_info_ids(),
        auth_time: common::db::stored_time(authorized_at),
    };
    let token = StoredToken {
        token: info.authorizer_access_token.clone(),
        expires_at: now() + TimeDelta::seconds(info.expires_in.max(0)),
    };
    tokens
        .db()
        .run(move |conn| {
            // The grant first: if the process dies before the token is saved,
            // the token core fetches one from the stored refresh token.
            authorizers::grant(conn, &appid, &grant)?;
            store::save_token(conn, store::TOKEN_TYPE_AUTHORIZER, &appid, &token)
        })
        .await?;
    tokens.forget(&TokenKey::Authorizer(change.authorizer_appid.clone()));
    Ok(())
}

/// Fetches `api_get_authorizer_info` and stores the account's details.
pub async fn store_details(tokens: &TokenManager, appid: &str) -> Result<(), TokenError> {
    let info = with_token(&tokens.source(TokenKey::Component), |token| async move {
        tokens
            .client()
            .authorizer_info(&token, tokens.component_appid(), appid)
            .await
    })
    .await??;
    let details = Details::from(&info);
    let lookup = appid.to_string();
    let stored = tokens
        .db()
        .run(move |conn| authorizers::store_details(conn, &lookup, &details))
        .await?;
    if !stored {
        tracing::warn!(%appid, "authorizer gone before its details arrived");
    }
    Ok(())
}
