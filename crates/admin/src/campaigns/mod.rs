//! Release campaigns (批量发版): one template committed, configured,
//! audited and released across many authorized mini programs as a
//! persistent job the admin works through on its own, watched, paused,
//! resumed, cancelled and retried from the console (issue 13, "beyond any
//! SDK").
//!
//! - [`spec`]: the request, checked up front (1001 naming the field).
//! - [`store`]: the tables (the only module touching them), leases and the
//!   shared call budget.
//! - [`steps`]: each step, through the console routes' own functions.
//! - [`rate`]: the calls-per-minute budget shared by all replicas.
//! - [`runner`]: the background workers.
//!
//! The functions here are what the routes call.

pub mod rate;
pub mod runner;
pub mod spec;
pub mod steps;
pub mod store;

use common::db::authorizers::{self, Authorizer, PageQuery};
use serde_json::Value;

use self::spec::{CampaignRequest, TargetSet};
use self::steps::Step;
use self::store::{AccountState, AccountView, CampaignState, CampaignView};
use crate::devweapp;
use crate::error::AdminError;
use crate::state::AppState;

/// Most managed mini programs a campaign for all of them takes.
const MAX_ALL: i64 = spec::MAX_TARGETS as i64;

/// The stored mini programs `targets` names, as `(appid, nickname)`; 1001
/// for an appid that did not authorize the platform or is no mini program,
/// or when nothing is left.
async fn resolve(
    state: &AppState,
    targets: TargetSet,
) -> Result<Vec<(String, String)>, AdminError> {
    let rows: Vec<Authorizer> = match &targets {
        TargetSet::All => {
            state
                .db
                .run(|conn| {
                    let query = PageQuery {
                        appid: None,
                        offset: 0,
                        limit: MAX_ALL,
                        managed_only: true,
                        ..PageQuery::default()
                    };
                    authorizers::page(conn, &query).map(|(_, rows)| rows)
                })
                .await?
        }
        TargetSet::Appids(appids) => {
            let wanted = appids.clone();
            let rows = state
                .db
                .run(move |conn| authorizers::find_all(conn, &wanted))
                .await?;
            for (i, appid) in appids.iter().enumerate() {
                match rows.iter().find(|r| &r.appid == appid) {
                    None => {
                        return Err(AdminError::invalid(format!(
                            "targets.appids[{i}]: {appid} has not authorized this platform"
                        )))
                    }
                    Some(row) if row.app_type != 0 => {
                        return Err(AdminError::invalid(format!(
                        "targets.appids[{i}]: {appid} is an official account, not a mini program"
                    )))
                    }
                    Some(_) => {}
                }
            }
            // In the order given.
            appids
                .iter()
                .filter_map(|a| rows.iter().find(|r| &r.appid == a).cloned())
                .collect()
        }
    };
    if rows.is_empty() {
        return Err(AdminError::invalid(
            "targets: no authorized managed mini program (permission set 18) to release to",
        ));
    }
    Ok(rows.into_iter().map(|r| (r.appid, r.nick_name)).collect())
}

/// Refuses (1001) a template the platform's library does not have.
async fn check_template(state: &AppState, template_id: i64) -> Result<(), AdminError> {
    let library = devweapp::templates(state, None).await?;
    let known = library
        .get("templateList")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter()
                .any(|t| t.get("templateId").and_then(Value::as_i64) == Some(template_id))
        });
    if known {
        Ok(())
    } else {
        Err(AdminError::invalid(format!(
            "templateId: {template_id} is not in the platform's template library"
        )))
    }
}

/// Checks `request` (fields, template, targets) and stores a running
/// campaign; answers its id. Nothing is stored when a check fails.
pub async fn create(state: &AppState, request: CampaignRequest) -> Result<i32, AdminError> {
    let (spec, targets) = request.check()?;
    let targets = resolve(state, targets).await?;
    check_template(state, spec.template_id).await?;
    let first = Step::first(&spec);
    let id = state
        .db
        .run(move |conn| store::create(conn, &spec, &targets, first))
        .await?;
    tracing::info!(campaign = id, "release campaign created");
    Ok(id)
}

/// A page of campaigns, newest first.
pub async fn list(
    state: &AppState,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<CampaignView>), AdminError> {
    Ok(state
        .db
        .run(move |conn| store::page(conn, offset, limit))
        .await?)
}

fn not_found(id: i32) -> AdminError {
    AdminError::invalid(format!("id: there is no campaign {id}"))
}

/// One campaign; 1001 when there is none.
pub async fn get(state: &AppState, id: i32) -> Result<CampaignView, AdminError> {
    state
        .db
        .run(move |conn| store::find(conn, id))
        .await?
        .ok_or_else(|| not_found(id))
}

/// A page of a campaign's mini programs, in one state or all.
pub async fn accounts(
    state: &AppState,
    id: i32,
    account_state: Option<AccountState>,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<AccountView>), AdminError> {
    get(state, id).await?;
    Ok(state
        .db
        .run(move |conn| store::accounts_page(conn, id, account_state, offset, limit))
        .await?)
}

/// Moves campaign `id` from one of `from` to `to`, or 1008 naming its state.
async fn transition(
    state: &AppState,
    id: i32,
    from: &'static [CampaignState],
    to: CampaignState,
) -> Result<(), AdminError> {
    let moved = state
        .db
        .run(move |conn| store::transition(conn, id, from, to))
        .await?;
    if moved {
        return Ok(());
    }
    let current = get(state, id).await?;
    Err(AdminError::InvalidStatus(format!(
        "campaign {id} is {}; it cannot become {}",
        current.state,
        to.as_str()
    )))
}

/// Stops claiming the campaign's accounts (steps in flight finish).
pub async fn pause(state: &AppState, id: i32) -> Result<(), AdminError> {
    transition(state, id, &[CampaignState::Running], CampaignState::Paused).await
}

/// Claims the campaign's accounts again.
pub async fn resume(state: &AppState, id: i32) -> Result<(), AdminError> {
    transition(state, id, &[CampaignState::Paused], CampaignState::Running).await?;
    state
        .db
        .run(move |conn| store::finish_if_done(conn, id))
        .await?;
    Ok(())
}

/// Cancels the campaign: its accounts not yet submitted are cancelled;
/// audits already submitted are followed to their decision, never released.
pub async fn cancel(state: &AppState, id: i32) -> Result<(), AdminError> {
    transition(
        state,
        id,
        &[CampaignState::Running, CampaignState::Paused],
        CampaignState::Cancelled,
    )
    .await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    state
        .db
        .run(move |conn| store::cancel_unsubmitted(conn, id, now_ms))
        .await?;
    Ok(())
}

/// Puts failed and rejected accounts back to work (a finished campaign
/// runs again); answers how many. A cancelled campaign is refused (1008).
pub async fn retry(state: &AppState, id: i32) -> Result<usize, AdminError> {
    let current = get(state, id).await?;
    if current.state == CampaignState::Cancelled.as_str() {
        return Err(AdminError::InvalidStatus(format!(
            "campaign {id} is cancelled; create a new one instead"
        )));
    }
    let requeued = state
        .db
        .run(move |conn| {
            let n = store::requeue(conn, id)?;
            if n > 0 {
                store::transition(conn, id, &[CampaignState::Finished], CampaignState::Running)?;
            }
            Ok(n)
        })
        .await?;
    Ok(requeued)
}
