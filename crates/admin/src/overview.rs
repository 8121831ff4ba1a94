//! The console's home page (概览) in one answer: the platform's appid, how
//! old the ticket is, when the component token expires, how many accounts
//! authorized the platform, how many pushes came in (and how many were
//! refused as untrusted), each service's health as the gateways see it, and
//! what needs the operator's attention.
//!
//! Everything is read from its owner: tickets and tokens from the token
//! core, authorizers, pushes, refusals and audits from their `common::db`
//! modules, gateway reports from [`crate::gateway_reports`]. Failed
//! authorizations are not listed: nothing records them (a failed code
//! exchange is logged and retried by the callback receiver).

use chrono::{NaiveDateTime, TimeDelta};
use common::db::{
    audits, authorization_failures, authorizers, now, pushes, refusals, serialize_time,
};
use common::tokens::{store, TokenKey};
use common::upstream_health::UpstreamHealth;
use serde::Serialize;

use crate::error::AdminError;
use crate::state::AppState;

/// Hours in the push chart.
pub const CHART_HOURS: u32 = 24;
/// A ticket older than this is shown as a warning: WeChat pushes one every
/// 10 minutes, so a missing push means the callback URL is not reached.
pub const TICKET_WARN_SECS: i64 = 15 * 60;
/// Appids listed at most under each attention item.
pub const ATTENTION_APPIDS: usize = 10;

/// `GET /admin/overview`'s `data`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// The platform's appid.
    pub component_appid: String,
    /// The stored `component_verify_ticket`.
    pub ticket: Ticket,
    /// The stored `component_access_token`.
    pub component_token: ComponentToken,
    /// Stored authorizers by kind.
    pub authorizers: Authorizers,
    /// Pushes received.
    pub pushes: Pushes,
    /// Pushes refused as untrusted.
    pub refusals: Refusals,
    /// The latest report of each gateway, freshest first (empty: none yet).
    pub gateways: Vec<Gateway>,
    /// What needs the operator.
    pub attention: Attention,
}

/// The ticket's age.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// Whether a ticket is stored.
    pub present: bool,
    /// Seconds since it was stored.
    pub age_secs: Option<i64>,
    /// Older than [`TICKET_WARN_SECS`] (or absent).
    pub stale: bool,
}

/// The component token's expiry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentToken {
    /// Whether a token is stored.
    pub present: bool,
    /// When it expires (RFC 3339 UTC).
    #[serde(serialize_with = "serialize_optional_time")]
    pub expires_at: Option<NaiveDateTime>,
    /// Seconds until then (negative once expired).
    pub expires_in_secs: Option<i64>,
}

/// Stored authorizers by kind.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorizers {
    /// Official accounts (apptype 1).
    pub official_accounts: i64,
    /// Mini programs (apptype 0).
    pub mini_programs: i64,
}

/// Pushes of both kinds by receive time.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pushes {
    /// In the last hour.
    pub last_hour: i64,
    /// In the last 24 hours.
    pub last_day: i64,
    /// Per hour over the last 24, oldest first; the last ends now.
    pub hourly: Vec<i64>,
    /// When the first hour of `hourly` starts (Unix seconds).
    pub hourly_start: i64,
}

/// Pushes refused for a bad signature, stale timestamp or failed
/// decryption, by whole minutes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusals {
    /// In the last 60 minutes.
    pub last_hour: i64,
    /// In the last 24 hours.
    pub last_day: i64,
}

/// One gateway's view of the services.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    /// The gateway's id.
    pub gateway: String,
    /// Seconds since its report came (to this admin replica).
    pub age_secs: u64,
    /// Healthy and total replicas of each service.
    pub services: Vec<UpstreamHealth>,
}

/// A count and some of the appids it counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accounts {
    /// How many.
    pub count: i64,
    /// Up to [`ATTENTION_APPIDS`] of them.
    pub appids: Vec<String>,
}

/// What needs the operator.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attention {
    /// Authorizers whose refresh token WeChat refused (61023) as this admin
    /// process saw it, not authorized again since: they must authorize again.
    pub refresh_tokens_refused: Accounts,
    /// Mini programs whose latest code audit WeChat rejected.
    pub audits_rejected: Accounts,
    /// Accounts whose authorization the platform could not complete (the
    /// code exchange or the details failed for good), latest first, with
    /// WeChat's error: they must authorize again.
    pub authorizations_failed: FailedAuthorizations,
}

/// Failed authorizations: how many, and the latest few.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedAuthorizations {
    /// How many accounts.
    pub count: i64,
    /// Up to [`ATTENTION_APPIDS`] of them, latest first.
    pub latest: Vec<authorization_failures::Failure>,
}

fn serialize_optional_time<S: serde::Serializer>(
    time: &Option<NaiveDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(t) => serialize_time(t, serializer),
        None => serializer.serialize_none(),
    }
}

/// Everything the database holds for the overview, read in one borrow.
struct Stored {
    ticket_time: Option<NaiveDateTime>,
    authorizers: (i64, i64),
    hourly: Vec<i64>,
    refusals_hour: i64,
    refusals_day: i64,
    audits_rejected: (i64, Vec<String>),
    authorizations_failed: (i64, Vec<authorization_failures::Failure>),
}

/// Builds the overview at the current time.
pub async fn overview(state: &AppState) -> Result<Overview, AdminError> {
    let at = now();
    let at_unix = at.and_utc().timestamp();
    // The chart's last hour ends just after now, so pushes stored this
    // second are in it.
    let chart_end = at + TimeDelta::seconds(1);
    let limit = i64::try_from(ATTENTION_APPIDS).unwrap_or(i64::MAX);
    let stored = state
        .db
        .run(move |conn| {
            Ok(Stored {
                ticket_time: store::load_ticket(conn)?
                    .filter(|(ticket, _)| !ticket.is_empty())
                    .map(|(_, time)| time),
                authorizers: authorizers::count_by_type(conn)?,
                hourly: pushes::received_per_hour(conn, chart_end, CHART_HOURS)?,
                refusals_hour: refusals::since(conn, refusals::minute_of(at_unix - 3600))?,
                refusals_day: refusals::since(conn, refusals::minute_of(at_unix - 86_400))?,
                audits_rejected: audits::rejected(conn, limit)?,
                authorizations_failed: authorization_failures::latest(conn, limit)?,
            })
        })
        .await?;
    let token = state
        .tokens
        .load(&TokenKey::Component)
        .await?
        .filter(|t| !t.token.is_empty());
    let refused = state.tokens.refused_refresh_tokens().await?;

    let ticket_age = stored.ticket_time.map(|t| (at - t).num_seconds().max(0));
    let last_hour = stored.hourly.last().copied().unwrap_or(0);
    let last_day = stored.hourly.iter().sum();
    Ok(Overview {
        component_appid: state.tokens.component_appid().to_string(),
        ticket: Ticket {
            present: ticket_age.is_some(),
            age_secs: ticket_age,
            stale: ticket_age.is_none_or(|age| age > TICKET_WARN_SECS),
        },
        component_token: ComponentToken {
            present: token.is_some(),
            expires_at: token.as_ref().map(|t| t.expires_at),
            expires_in_secs: token.as_ref().map(|t| (t.expires_at - at).num_seconds()),
        },
        authorizers: Authorizers {
            official_accounts: stored.authorizers.0,
            mini_programs: stored.authorizers.1,
        },
        pushes: Pushes {
            last_hour,
            last_day,
            hourly: stored.hourly,
            hourly_start: (chart_end - TimeDelta::hours(i64::from(CHART_HOURS)))
                .and_utc()
                .timestamp(),
        },
        refusals: Refusals {
            last_hour: stored.refusals_hour,
            last_day: stored.refusals_day,
        },
        gateways: state
            .gateway_reports
            .snapshot()
            .into_iter()
            .map(|r| Gateway {
                gateway: r.gateway,
                age_secs: r.age.as_secs(),
                services: r.services,
            })
            .collect(),
        attention: Attention {
            refresh_tokens_refused: Accounts {
                count: i64::try_from(refused.len()).unwrap_or(i64::MAX),
                appids: refused
                    .into_iter()
                    .take(ATTENTION_APPIDS)
                    .map(|r| r.appid)
                    .collect(),
            },
            audits_rejected: Accounts {
                count: stored.audits_rejected.0,
                appids: stored.audits_rejected.1,
            },
            authorizations_failed: FailedAuthorizations {
                count: stored.authorizations_failed.0,
                latest: stored.authorizations_failed.1,
            },
        },
    })
}
