//! Authorizations a stopped process left unfinished. A push is stored before
//! it is acknowledged and its code exchanged afterwards, in the background
//! ([`crate::authorization`]); a receiver that stops in between leaves a
//! stored `authorized`/`updateauthorized` push without the grant it carried,
//! or a grant without the account's details. At start the receiver finds
//! those whose code is still valid and finishes them. A lock row per account
//! keeps replicas that start together from spending one code twice; one that
//! starts while another is still exchanging the same code may try it too, and
//! WeChat accepting a code once makes that second try fail harmlessly (logged).

use chrono::{NaiveDateTime, TimeDelta};
use common::db::pushes::latest_authorizations;
use common::db::{authorizers, now, DbConnection, DbError};
use common::message::{AuthorizationChange, ComponentEventKind};
use common::tokens::store;
use common::tokens::TokenManager;

use crate::authorization;
use common::db::stored_time;

/// How far back to look: WeChat's authorization codes are valid for an hour.
const LOOKBACK: TimeDelta = TimeDelta::hours(2);

/// How long a resuming replica holds an account's lock at most.
const LOCK_FOR: TimeDelta = TimeDelta::minutes(5);

/// What is left to do for one account.
#[derive(Debug)]
enum Unfinished {
    /// The code was never exchanged.
    Exchange(AuthorizationChange, i64),
    /// The grant is stored, the account's details are not.
    Details(String),
}

impl Unfinished {
    fn appid(&self) -> &str {
        match self {
            Unfinished::Exchange(change, _) => &change.authorizer_appid,
            Unfinished::Details(appid) => appid,
        }
    }
}

/// Finds unfinished authorizations and completes each in the background.
pub async fn unfinished_authorizations(tokens: TokenManager) {
    let owner = format!(
        "resume-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    );
    let claimer = owner.clone();
    let found = tokens
        .db()
        .run(move |conn| claim_unfinished(conn, &claimer, now()))
        .await;
    let work = match found {
        Ok(work) => work,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for unfinished authorizations");
            return;
        }
    };
    for item in work {
        let tokens = tokens.clone();
        let owner = owner.clone();
        tokio::spawn(async move {
            let appid = item.appid().to_string();
            tracing::info!(%appid, "finishing an authorization a stopped process left unfinished");
            match item {
                Unfinished::Exchange(change, authorized_at) => {
                    authorization::complete(tokens.clone(), change, authorized_at).await;
                }
                Unfinished::Details(appid) => {
                    authorization::complete_details(&tokens, &appid).await;
                }
            }
            let key = lock_key(&appid);
            if let Err(e) = tokens
                .db()
                .run(move |conn| store::unlock(conn, &key, &owner))
                .await
            {
                tracing::warn!(%appid, error = %e, "cannot release the resume lock; it expires by itself");
            }
        });
    }
}

fn lock_key(appid: &str) -> String {
    format!("TLock_auth_{appid}")
}

/// The unfinished authorizations this process took the lock of.
fn claim_unfinished(
    conn: &mut DbConnection,
    owner: &str,
    now: NaiveDateTime,
) -> Result<Vec<Unfinished>, DbError> {
    let mut claimed = Vec::new();
    for item in unfinished(conn, now)? {
        if store::try_lock(conn, &lock_key(item.appid()), owner, now + LOCK_FOR)? {
            claimed.push(item);
        }
    }
    Ok(claimed)
}

/// The latest authorization push of every account received recently, when
/// its code is still valid and its grant or details are missing.
fn unfinished(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<Unfinished>, DbError> {
    let now_unix = now.and_utc().timestamp();
    let mut work = Vec::new();
    for event in latest_authorizations(conn, now - LOOKBACK)?.into_values() {
        let (ComponentEventKind::Authorized(change) | ComponentEventKind::UpdateAuthorized(change)) =
            event.kind
        else {
            continue;
        };
        match authorizers::find(conn, &change.authorizer_appid)? {
            Some(stored) if stored.auth_time >= stored_time(event.create_time) => {
                if stored.user_name.is_empty() {
                    work.push(Unfinished::Details(change.authorizer_appid));
                }
            }
            _ if code_valid(&change, event.create_time, now_unix) => {
                work.push(Unfinished::Exchange(change, event.create_time));
            }
            _ => tracing::warn!(
                appid = %change.authorizer_appid,
                "an authorization was left unfinished and its code has expired; the account must authorize again"
            ),
        }
    }
    Ok(work)
}

/// Whether the push's code can still be exchanged (an hour from the push
/// when WeChat did not say).
fn code_valid(change: &AuthorizationChange, created: i64, now: i64) -> bool {
    let expires = if change.authorization_code_expired_time > 0 {
        change.authorization_code_expired_time
    } else {
        created + 3600
    };
    expires > now
}
