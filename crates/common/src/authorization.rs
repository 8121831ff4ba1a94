//! Turning an authorization code into a stored authorizer: exchange it
//! (`api_query_auth`), store the grant and the first access token, and fetch
//! the account's details (`api_get_authorizer_info`). One owner for both
//! parties that hold a code: the callback receiver (the `authorized` /
//! `updateauthorized` push, in the background with retries) and the admin
//! (the operator's page binding a business id with the redirect's
//! `auth_code`, synchronously).
//!
//! WeChat accepts a code once, and the push and the redirect carry the same
//! code at about the same moment. So the exchange is claimed per code in the
//! database (a `comm` lock row `TLock_code_<sha1>`): whoever holds the claim
//! calls WeChat and, once the authorizer is stored, leaves the account's
//! appid under `authcode-result:<sha1>` before releasing it; the other party waits for
//! the claim and reuses that appid instead of spending the code again. A
//! claimer that fails for a reason worth retrying leaves nothing, so the next
//! attempt (either party's) calls WeChat again.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use sha1::{Digest, Sha1};

use crate::db::authorizers::{self, Details, Grant};
use crate::db::{authorization_failures, bindings, now, stored_time};
use crate::secrets::load_raw;
use crate::tokens::store::{self, StoredToken};
use crate::tokens::{TokenError, TokenKey, TokenManager};
use crate::wechat::{with_token, WechatError};

/// How long a claim holds when its holder dies mid-exchange.
const CLAIM_FOR: TimeDelta = TimeDelta::seconds(30);
/// How long the other party waits for the holder's result.
const WAIT_AT_MOST: Duration = Duration::from_secs(20);
/// How often a waiting party looks again.
const POLL_EVERY: Duration = Duration::from_millis(100);
/// How long a result is kept: codes are valid for an hour.
const KEEP_RESULTS: TimeDelta = TimeDelta::hours(2);
/// `comm` key prefix of the results.
const RESULT_PREFIX: &str = "authcode-result:";

/// An exchanged code: the account it authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchanged {
    /// The authorizer's appid.
    pub appid: String,
    /// Whether the other party had already exchanged the code and this call
    /// only reused its result.
    pub reused: bool,
}

/// Exchanges `code` once across every process (see the module doc) and
/// stores the authorizer's grant (authorized at unix time `authorized_at`)
/// and first access token; marks its business-id bindings bound again.
/// `expected_appid` (the push's `AuthorizerAppid`) must match the account
/// the code belongs to.
pub async fn exchange(
    tokens: &TokenManager,
    code: &str,
    authorized_at: i64,
    expected_appid: Option<&str>,
) -> Result<Exchanged, TokenError> {
    let hash = hex::encode(Sha1::digest(code.as_bytes()));
    let claim = format!("TLock_code_{hash}");
    let result_key = format!("{RESULT_PREFIX}{hash}");
    let owner = format!("code-{}-{:016x}", std::process::id(), rand::random::<u64>());
    let deadline = Instant::now() + WAIT_AT_MOST;
    let exchanged = loop {
        let (claim_c, owner_c, result_c) = (claim.clone(), owner.clone(), result_key.clone());
        let (result, claimed) = tokens
            .db()
            .run(move |conn| {
                if let Some(appid) = load_raw(conn, &result_c)? {
                    return Ok((Some(appid), false));
                }
                if !store::try_lock(conn, &claim_c, &owner_c, now() + CLAIM_FOR)? {
                    return Ok((None, false));
                }
                // The holder before us may have finished just now.
                Ok((load_raw(conn, &result_c)?, true))
            })
            .await?;
        match (result, claimed) {
            (Some(appid), claimed) => {
                if claimed {
                    release(tokens, &claim, &owner).await;
                }
                break Exchanged {
                    appid,
                    reused: true,
                };
            }
            (None, true) => {
                let stored = query_and_store(tokens, code, authorized_at, &result_key).await;
                release(tokens, &claim, &owner).await;
                break Exchanged {
                    appid: stored?,
                    reused: false,
                };
            }
            (None, false) if Instant::now() < deadline => tokio::time::sleep(POLL_EVERY).await,
            (None, false) => return Err(TokenError::LockTimeout),
        }
    };
    match expected_appid {
        Some(expected) if expected != exchanged.appid => {
            Err(TokenError::Wechat(WechatError::Decode {
                path: "/cgi-bin/component/api_query_auth".into(),
                detail: format!("code belongs to {}, push said {expected}", exchanged.appid),
            }))
        }
        _ => Ok(exchanged),
    }
}

async fn release(tokens: &TokenManager, claim: &str, owner: &str) {
    let (claim, owner) = (claim.to_string(), owner.to_string());
    if let Err(e) = tokens
        .db()
        .run(move |conn| store::unlock(conn, &claim, &owner))
        .await
    {
        tracing::warn!(error = %e, "cannot release an authorization-code claim; it expires by itself");
    }
}

/// Calls `api_query_auth` and stores what it granted; leaves the appid under
/// `result_key` for a party waiting on the same code.
async fn query_and_store(
    tokens: &TokenManager,
    code: &str,
    authorized_at: i64,
    result_key: &str,
) -> Result<String, TokenError> {
    let info = with_token(&tokens.source(TokenKey::Component), |token| async move {
        tokens
            .client()
            .query_auth(&token, tokens.component_appid(), code)
            .await
    })
    .await??;
    let appid = info.authorizer_appid.clone();
    let grant = Grant {
        refresh_token: info.authorizer_refresh_token.clone(),
        func_info: info.func_info_ids(),
        auth_time: stored_time(authorized_at),
    };
    let token = StoredToken {
        token: info.authorizer_access_token.clone(),
        expires_at: now() + TimeDelta::seconds(info.expires_in.max(0)),
    };
    let (appid_c, result_key) = (appid.clone(), result_key.to_string());
    tokens
        .db()
        .run(move |conn| {
            // The grant first: if the process dies before the token is saved,
            // the token core fetches one from the stored refresh token.
            authorizers::grant(conn, &appid_c, &grant)?;
            store::save_token(conn, store::TOKEN_TYPE_AUTHORIZER, &appid_c, &token)?;
            bindings::set_state_of(conn, &appid_c, bindings::STATE_BOUND)?;
            store::put_comm(conn, &result_key, &appid_c)?;
            store::purge_comm(conn, RESULT_PREFIX, now() - KEEP_RESULTS)?;
            Ok(())
        })
        .await?;
    tokens.forget(&TokenKey::Authorizer(appid.clone()));
    Ok(appid)
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
        .run(move |conn| {
            let stored = authorizers::store_details(conn, &lookup, &details)?;
            if stored {
                authorization_failures::clear(conn, &[lookup.as_str()])?;
            }
            Ok(stored)
        })
        .await?;
    if !stored {
        tracing::warn!(%appid, "authorizer gone before its details arrived");
    }
    Ok(())
}
