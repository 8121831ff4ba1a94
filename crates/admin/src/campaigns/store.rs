//! The campaign tables, `wxc_campaigns`, `wxc_campaign_accounts` and
//! `wxc_campaign_rate`: this module is their only reader and writer.
//!
//! Work is shared between replicas through the database only:
//! - an account is worked by whoever holds its lease (`leaseowner`,
//!   `leaseuntil` in unix ms), taken with a conditional `UPDATE` that only
//!   succeeds on a free or expired lease ([`claim`]); progress is written
//!   under the same lease ([`record`]), so a replica that lost its lease
//!   writes nothing;
//! - the shared call budget is one row per call allowed in any 60 s
//!   ([`take_rate_slot`]): a call takes the least recently used slot with a
//!   conditional `UPDATE`, which fails once every slot was used within the
//!   window.
//!
//! Every statement commits on its own (no transaction spans a read and a
//! write, so SQLite never upgrades a lock and MySQL takes no gap locks);
//! only [`create`] inserts a campaign and its accounts in one transaction.
//! All functions are blocking; call them through `Db::run`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use common::db::schema::{
    wxc_campaign_accounts as accounts, wxc_campaign_rate as rate, wxc_campaigns as campaigns,
};
use common::db::{now, DbConnection, DbError};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::BigInt;
use serde::Serialize;

use super::spec::CampaignSpec;
use super::steps::Step;

/// Width of `lasterror`.
const ERROR_WIDTH: usize = 1024;
/// Width of `nickname`.
const NAME_WIDTH: usize = 64;
/// The window of the shared call budget, in ms.
pub const RATE_WINDOW_MS: i64 = 60_000;

/// Where a campaign is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    /// Its accounts are being worked.
    Running,
    /// No account is claimed until it is resumed (steps in flight finish).
    Paused,
    /// Accounts not yet submitted were cancelled; submitted audits are
    /// still followed, never released.
    Cancelled,
    /// No account is pending, running or waiting for its audit.
    Finished,
}

impl CampaignState {
    /// The stored and answered spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
            Self::Finished => "finished",
        }
    }
}

/// Where one mini program of a campaign is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountState {
    /// Nothing done yet.
    Pending,
    /// Between steps, or retrying one after a transient error.
    Running,
    /// Submitted; its audit is polled.
    WaitingAudit,
    /// Approved and released by the campaign.
    Released,
    /// Approved and left for a manual release (`autoRelease` off, or the
    /// campaign was cancelled while it was under audit).
    Done,
    /// WeChat's reviewers rejected it; `lastError` says why.
    AuditRejected,
    /// A step failed for good; `lastErrcode`/`lastError` say why.
    Failed,
    /// Cancelled before it was submitted.
    Cancelled,
}

/// Every account state, in the console's order.
pub const ACCOUNT_STATES: [AccountState; 8] = [
    AccountState::Pending,
    AccountState::Running,
    AccountState::WaitingAudit,
    AccountState::Released,
    AccountState::Done,
    AccountState::AuditRejected,
    AccountState::Failed,
    AccountState::Cancelled,
];

/// The states the runner still works.
const ACTIVE: [&str; 3] = ["pending", "running", "waiting_audit"];

impl AccountState {
    /// The stored and answered spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::WaitingAudit => "waiting_audit",
            Self::Released => "released",
            Self::Done => "done",
            Self::AuditRejected => "audit_rejected",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The state spelt `text`, if any.
    pub fn parse(text: &str) -> Option<Self> {
        ACCOUNT_STATES.into_iter().find(|s| s.as_str() == text)
    }
}

/// How many accounts of a campaign are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// All accounts.
    pub total: i64,
    /// `pending`.
    pub pending: i64,
    /// `running`.
    pub running: i64,
    /// `waiting_audit`.
    pub waiting_audit: i64,
    /// `released`.
    pub released: i64,
    /// `done`.
    pub done: i64,
    /// `audit_rejected`.
    pub rejected: i64,
    /// `failed`.
    pub failed: i64,
    /// `cancelled`.
    pub cancelled: i64,
}

impl Counts {
    fn add(&mut self, state: &str, n: i64) {
        self.total += n;
        let slot = match AccountState::parse(state) {
            Some(AccountState::Pending) => &mut self.pending,
            Some(AccountState::Running) => &mut self.running,
            Some(AccountState::WaitingAudit) => &mut self.waiting_audit,
            Some(AccountState::Released) => &mut self.released,
            Some(AccountState::Done) => &mut self.done,
            Some(AccountState::AuditRejected) => &mut self.rejected,
            Some(AccountState::Failed) => &mut self.failed,
            Some(AccountState::Cancelled) => &mut self.cancelled,
            None => return,
        };
        *slot += n;
    }
}

/// A campaign as the API answers it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignView {
    /// Its id.
    pub id: i32,
    /// The template released.
    pub template_id: i64,
    /// Version string.
    pub user_version: String,
    /// Description.
    pub user_desc: String,
    /// `running`, `paused`, `cancelled` or `finished`.
    pub state: String,
    /// Accounts per state.
    pub counts: Counts,
    /// Unix seconds.
    pub create_time: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = campaigns)]
struct CampaignRow {
    id: i32,
    #[diesel(column_name = templateid)]
    template_id: i64,
    #[diesel(column_name = userversion)]
    user_version: String,
    #[diesel(column_name = userdesc)]
    user_desc: String,
    state: String,
    #[diesel(column_name = createtime)]
    create_time: NaiveDateTime,
}

impl CampaignRow {
    fn view(self, counts: Counts) -> CampaignView {
        CampaignView {
            id: self.id,
            template_id: self.template_id,
            user_version: self.user_version,
            user_desc: self.user_desc,
            state: self.state,
            counts,
            create_time: self.create_time.and_utc().timestamp(),
        }
    }
}

/// One mini program of a campaign as the API answers it.
#[derive(Debug, Clone, Serialize, Queryable)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Its appid.
    pub appid: String,
    /// Its name when the campaign was created.
    pub nick_name: String,
    /// See [`AccountState`].
    pub state: String,
    /// The step to do next, or the one that failed (see [`Step`]).
    pub step: String,
    /// Attempts of that step so far.
    pub attempts: i32,
    /// The audit submitted (0 before).
    pub audit_id: i64,
    /// WeChat's errcode of the last failure, if WeChat answered one.
    pub last_errcode: Option<i64>,
    /// What went wrong last (WeChat's errmsg, the rejection reason, ...).
    pub last_error: String,
    /// Unix seconds.
    #[serde(serialize_with = "unix_seconds")]
    pub update_time: NaiveDateTime,
}

fn unix_seconds<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(t.and_utc().timestamp())
}

/// An account a replica holds the lease of, with its campaign.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Row id.
    pub id: i32,
    /// The campaign.
    pub campaign_id: i32,
    /// The campaign's state when claimed.
    pub campaign_state: String,
    /// What the campaign does.
    pub spec: CampaignSpec,
    /// The mini program.
    pub appid: String,
    /// The step due.
    pub step: Step,
    /// Its attempts so far.
    pub attempts: i32,
    /// The audit submitted, 0 before.
    pub audit_id: i64,
}

/// What a worker learnt from one step, written under its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The account's state now.
    pub state: AccountState,
    /// The step due next (or the one that failed).
    pub step: Step,
    /// Attempts of that step.
    pub attempts: i32,
    /// The audit, 0 before submission.
    pub audit_id: i64,
    /// WeChat's errcode of the failure, if any.
    pub errcode: Option<i64>,
    /// What went wrong, empty after a success.
    pub error: String,
    /// Unix ms when it is due again.
    pub next_at: i64,
}

/// No replica holds the lease at `now_ms`: never taken, given back, or
/// expired (its holder crashed or lost it).
fn lease_free(
    now_ms: i64,
) -> diesel::dsl::Or<
    diesel::dsl::Eq<accounts::leaseowner, &'static str>,
    diesel::dsl::Lt<accounts::leaseuntil, i64>,
> {
    accounts::leaseowner
        .eq("")
        .or(accounts::leaseuntil.lt(now_ms))
}

/// Text cut to `width` characters, as MySQL counts them.
fn cut(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

fn last_insert_id(conn: &mut DbConnection) -> QueryResult<i64> {
    let function = match conn {
        DbConnection::Mysql(_) => "LAST_INSERT_ID()",
        DbConnection::Sqlite(_) => "last_insert_rowid()",
    };
    diesel::select(diesel::dsl::sql::<BigInt>(function)).get_result(conn)
}

/// Stores a running campaign and one pending account per `(appid,
/// nickname)`, due at once; answers the campaign's id.
pub fn create(
    conn: &mut DbConnection,
    spec: &CampaignSpec,
    targets: &[(String, String)],
    first_step: Step,
) -> Result<i32, DbError> {
    let spec_json = serde_json::to_string(spec)
        .map_err(|e| DbError::Task(format!("campaign spec not serializable: {e}")))?;
    let stamp = now();
    conn.transaction(|conn| {
        diesel::insert_into(campaigns::table)
            .values((
                campaigns::templateid.eq(spec.template_id),
                campaigns::userversion.eq(&spec.user_version),
                campaigns::userdesc.eq(&spec.user_desc),
                campaigns::spec.eq(&spec_json),
                campaigns::state.eq(CampaignState::Running.as_str()),
                campaigns::createtime.eq(stamp),
                campaigns::updatetime.eq(stamp),
            ))
            .execute(conn)?;
        let id = i32::try_from(last_insert_id(conn)?)
            .map_err(|_| DieselError::QueryBuilderError("campaign id out of range".into()))?;
        for (appid, nick_name) in targets {
            diesel::insert_into(accounts::table)
                .values((
                    accounts::campaignid.eq(id),
                    accounts::appid.eq(appid),
                    accounts::nickname.eq(cut(nick_name, NAME_WIDTH)),
                    accounts::state.eq(AccountState::Pending.as_str()),
                    accounts::step.eq(first_step.as_str()),
                    accounts::attempts.eq(0),
                    accounts::auditid.eq(0i64),
                    accounts::lasterror.eq(""),
                    accounts::leaseowner.eq(""),
                    accounts::leaseuntil.eq(0i64),
                    accounts::nextat.eq(0i64),
                    accounts::updatetime.eq(stamp),
                ))
                .execute(conn)?;
        }
        Ok(id)
    })
    .map_err(|e: DieselError| e.into())
}

fn counts_of(conn: &mut DbConnection, ids: &[i32]) -> Result<HashMap<i32, Counts>, DbError> {
    let rows: Vec<(i32, String, i64)> = accounts::table
        .filter(accounts::campaignid.eq_any(ids))
        .group_by((accounts::campaignid, accounts::state))
        .select((accounts::campaignid, accounts::state, count_star()))
        .load(conn)?;
    let mut out: HashMap<i32, Counts> = HashMap::new();
    for (id, state, n) in rows {
        out.entry(id).or_default().add(&state, n);
    }
    Ok(out)
}

/// A page of campaigns, newest first, with their counts, and how many
/// there are.
pub fn page(
    conn: &mut DbConnection,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<CampaignView>), DbError> {
    let total: i64 = campaigns::table.count().get_result(conn)?;
    let rows: Vec<CampaignRow> = campaigns::table
        .select(CampaignRow::as_select())
        .order(campaigns::id.desc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut counts = counts_of(conn, &ids)?;
    let views = rows
        .into_iter()
        .map(|row| {
            let c = counts.remove(&row.id).unwrap_or_default();
            row.view(c)
        })
        .collect();
    Ok((total, views))
}

/// One campaign with its counts.
pub fn find(conn: &mut DbConnection, id: i32) -> Result<Option<CampaignView>, DbError> {
    let Some(row) = campaigns::table
        .filter(campaigns::id.eq(id))
        .select(CampaignRow::as_select())
        .first::<CampaignRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let c = counts_of(conn, &[id])?.remove(&id).unwrap_or_default();
    Ok(Some(row.view(c)))
}

/// A page of a campaign's accounts (in one state, or all) in the order
/// they were added, and how many match.
pub fn accounts_page(
    conn: &mut DbConnection,
    campaign_id: i32,
    state: Option<AccountState>,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<AccountView>), DbError> {
    let matching = || {
        let mut q = accounts::table
            .filter(accounts::campaignid.eq(campaign_id))
            .into_boxed();
        if let Some(state) = state {
            q = q.filter(accounts::state.eq(state.as_str()));
        }
        q
    };
    let total: i64 = matching().count().get_result(conn)?;
    let rows = matching()
        .select((
            accounts::appid,
            accounts::nickname,
            accounts::state,
            accounts::step,
            accounts::attempts,
            accounts::auditid,
            accounts::lasterrcode,
            accounts::lasterror,
            accounts::updatetime,
        ))
        .order(accounts::id.asc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((total, rows))
}

/// Moves campaign `id` from one of `from` to `to`; answers whether it moved.
pub fn transition(
    conn: &mut DbConnection,
    id: i32,
    from: &[CampaignState],
    to: CampaignState,
) -> Result<bool, DbError> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let moved = diesel::update(
        campaigns::table
            .filter(campaigns::id.eq(id))
            .filter(campaigns::state.eq_any(from)),
    )
    .set((
        campaigns::state.eq(to.as_str()),
        campaigns::updatetime.eq(now()),
    ))
    .execute(conn)?;
    Ok(moved > 0)
}

/// Cancels the accounts of campaign `id` that were not submitted for audit
/// and that no replica is working on now (`now_ms`); answers how many. An
/// account in flight is cancelled by [`record`] when its step ends.
pub fn cancel_unsubmitted(conn: &mut DbConnection, id: i32, now_ms: i64) -> Result<usize, DbError> {
    let steps: Vec<&str> = Step::BEFORE_AUDIT.iter().map(|s| s.as_str()).collect();
    Ok(diesel::update(
        accounts::table
            .filter(accounts::campaignid.eq(id))
            .filter(accounts::state.eq_any(["pending", "running"]))
            .filter(accounts::step.eq_any(steps))
            .filter(lease_free(now_ms)),
    )
    .set((
        accounts::state.eq(AccountState::Cancelled.as_str()),
        accounts::updatetime.eq(now()),
    ))
    .execute(conn)?)
}

/// Puts the failed accounts of campaign `id` back to work at the step
/// that failed and the rejected ones at `submit_audit`, attempts reset;
/// answers how many.
pub fn requeue(conn: &mut DbConnection, id: i32) -> Result<usize, DbError> {
    let stamp = now();
    let reset = || {
        (
            accounts::state.eq(AccountState::Running.as_str()),
            accounts::attempts.eq(0),
            accounts::lasterrcode.eq(None::<i64>),
            accounts::lasterror.eq(""),
            accounts::nextat.eq(0i64),
            accounts::updatetime.eq(stamp),
        )
    };
    let failed = diesel::update(
        accounts::table
            .filter(accounts::campaignid.eq(id))
            .filter(accounts::state.eq(AccountState::Failed.as_str())),
    )
    .set(reset())
    .execute(conn)?;
    let rejected = diesel::update(
        accounts::table
            .filter(accounts::campaignid.eq(id))
            .filter(accounts::state.eq(AccountState::AuditRejected.as_str())),
    )
    .set((reset(), accounts::step.eq(Step::SubmitAudit.as_str())))
    .execute(conn)?;
    Ok(failed + rejected)
}

/// Takes the lease of one due account for `owner` until `now_ms +
/// lease_ms`: accounts of running campaigns, and of cancelled ones those
/// whose audit is followed. `None` when nothing is due or free.
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<Claimed>, DbError> {
    let running = campaigns::table
        .filter(campaigns::state.eq(CampaignState::Running.as_str()))
        .select(campaigns::id);
    let cancelled = campaigns::table
        .filter(campaigns::state.eq(CampaignState::Cancelled.as_str()))
        .select(campaigns::id);
    let followed: Vec<&str> = Step::AFTER_SUBMIT.iter().map(|s| s.as_str()).collect();
    let mut candidates: Vec<i32> = accounts::table
        .filter(accounts::state.eq_any(ACTIVE))
        .filter(accounts::nextat.le(now_ms))
        .filter(lease_free(now_ms))
        .filter(
            accounts::campaignid.eq_any(running).or(accounts::campaignid
                .eq_any(cancelled)
                .and(accounts::step.eq_any(followed))),
        )
        .order((accounts::nextat.asc(), accounts::id.asc()))
        .limit(32)
        .select(accounts::id)
        .load(conn)?;
    // Workers of every replica read the same first rows: start at a random
    // one so they rarely race for the same lease.
    if !candidates.is_empty() {
        let start = rand::random::<usize>() % candidates.len();
        candidates.rotate_left(start);
    }
    for id in candidates {
        let taken = diesel::update(
            accounts::table
                .filter(accounts::id.eq(id))
                .filter(accounts::state.eq_any(ACTIVE))
                .filter(accounts::nextat.le(now_ms))
                .filter(lease_free(now_ms)),
        )
        .set((
            accounts::leaseowner.eq(owner),
            accounts::leaseuntil.eq(now_ms + lease_ms),
        ))
        .execute(conn)?;
        if taken == 0 {
            continue;
        }
        let (campaign_id, appid, step, attempts, audit_id): (i32, String, String, i32, i64) =
            accounts::table
                .filter(accounts::id.eq(id))
                .select((
                    accounts::campaignid,
                    accounts::appid,
                    accounts::step,
                    accounts::attempts,
                    accounts::auditid,
                ))
                .first(conn)?;
        let (spec, campaign_state): (String, String) = campaigns::table
            .filter(campaigns::id.eq(campaign_id))
            .select((campaigns::spec, campaigns::state))
            .first(conn)?;
        let step = Step::parse(&step).ok_or_else(|| {
            DbError::Task(format!(
                "campaign account {id} has an unknown step {step:?}"
            ))
        })?;
        // Paused (or cancelled) between the read and the lease: not ours to work.
        let workable = campaign_state == CampaignState::Running.as_str()
            || (campaign_state == CampaignState::Cancelled.as_str()
                && Step::AFTER_SUBMIT.contains(&step));
        if !workable {
            release(conn, id, owner)?;
            continue;
        }
        let spec: CampaignSpec = serde_json::from_str(&spec).map_err(|e| {
            DbError::Task(format!(
                "campaign {campaign_id}: stored spec unreadable: {e}"
            ))
        })?;
        return Ok(Some(Claimed {
            id,
            campaign_id,
            campaign_state,
            spec,
            appid,
            step,
            attempts,
            audit_id,
        }));
    }
    Ok(None)
}

/// Gives up the lease of account `id` without progress (no budget left,
/// or its campaign stopped before the work began).
pub fn release(conn: &mut DbConnection, id: i32, owner: &str) -> Result<(), DbError> {
    diesel::update(
        accounts::table
            .filter(accounts::id.eq(id))
            .filter(accounts::leaseowner.eq(owner)),
    )
    .set((accounts::leaseowner.eq(""), accounts::leaseuntil.eq(0i64)))
    .execute(conn)?;
    Ok(())
}

/// Writes `progress` of account `id` and frees its lease, if `owner` still
/// holds it (answers whether it did). An account whose campaign was
/// cancelled meanwhile and that is still before its audit is cancelled;
/// a campaign left with no active account is finished.
pub fn record(
    conn: &mut DbConnection,
    id: i32,
    campaign_id: i32,
    owner: &str,
    progress: &Progress,
    now_ms: i64,
) -> Result<bool, DbError> {
    let written = diesel::update(
        accounts::table
            .filter(accounts::id.eq(id))
            .filter(accounts::leaseowner.eq(owner))
            .filter(accounts::state.eq_any(ACTIVE)),
    )
    .set((
        accounts::state.eq(progress.state.as_str()),
        accounts::step.eq(progress.step.as_str()),
        accounts::attempts.eq(progress.attempts),
        accounts::auditid.eq(progress.audit_id),
        accounts::lasterrcode.eq(progress.errcode),
        accounts::lasterror.eq(cut(&progress.error, ERROR_WIDTH)),
        accounts::nextat.eq(progress.next_at),
        accounts::leaseowner.eq(""),
        accounts::leaseuntil.eq(0i64),
        accounts::updatetime.eq(now()),
    ))
    .execute(conn)?;
    if written == 0 {
        release(conn, id, owner)?;
        return Ok(false);
    }
    let state: Option<String> = campaigns::table
        .filter(campaigns::id.eq(campaign_id))
        .select(campaigns::state)
        .first(conn)
        .optional()?;
    if state.as_deref() == Some(CampaignState::Cancelled.as_str()) {
        cancel_unsubmitted(conn, campaign_id, now_ms)?;
    }
    finish_if_done(conn, campaign_id)?;
    Ok(true)
}

/// Marks running campaign `id` finished when none of its accounts is
/// active any more.
pub fn finish_if_done(conn: &mut DbConnection, id: i32) -> Result<bool, DbError> {
    let active: i64 = accounts::table
        .filter(accounts::campaignid.eq(id))
        .filter(accounts::state.eq_any(ACTIVE))
        .count()
        .get_result(conn)?;
    if active > 0 {
        return Ok(false);
    }
    transition(conn, id, &[CampaignState::Running], CampaignState::Finished)
}

/// Makes sure the budget has `budget` slots (rows 0..budget), inserting
/// the missing ones 500 a statement.
pub fn ensure_rate_slots(conn: &mut DbConnection, budget: u32) -> Result<(), DbError> {
    let budget = i32::try_from(budget).unwrap_or(i32::MAX);
    let present: Vec<i32> = rate::table
        .filter(rate::slot.lt(budget))
        .select(rate::slot)
        .load(conn)?;
    let present: std::collections::HashSet<i32> = present.into_iter().collect();
    let missing: Vec<i32> = (0..budget).filter(|s| !present.contains(s)).collect();
    for chunk in missing.chunks(500) {
        // Numbers only: nothing from outside reaches this statement.
        let values: Vec<String> = chunk.iter().map(|slot| format!("({slot}, 0)")).collect();
        let sql = format!(
            "INSERT INTO wxc_campaign_rate (slot, usedat) VALUES {}",
            values.join(", ")
        );
        match diesel::sql_query(sql).execute(conn) {
            Ok(_) => {}
            // Another replica inserted some of them meanwhile: one by one.
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                for slot in chunk {
                    match diesel::insert_into(rate::table)
                        .values((rate::slot.eq(*slot), rate::usedat.eq(0i64)))
                        .execute(conn)
                    {
                        Ok(_)
                        | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Spends one call of the budget of `budget` calls per
/// [`RATE_WINDOW_MS`]: `Ok(())`, or `Err(at)` with the unix ms when a
/// call is free again.
pub fn take_rate_slot(
    conn: &mut DbConnection,
    budget: u32,
    now_ms: i64,
) -> Result<Result<(), i64>, DbError> {
    let budget = i32::try_from(budget).unwrap_or(i32::MAX);
    loop {
        let oldest: Option<(i32, i64)> = rate::table
            .filter(rate::slot.lt(budget))
            .order((rate::usedat.asc(), rate::slot.asc()))
            .select((rate::slot, rate::usedat))
            .first(conn)
            .optional()?;
        let Some((slot, used_at)) = oldest else {
            return Err(DbError::Task(
                "the campaign call budget has no slots".into(),
            ));
        };
        if used_at > now_ms - RATE_WINDOW_MS {
            return Ok(Err(used_at + RATE_WINDOW_MS));
        }
        let taken = diesel::update(
            rate::table
                .filter(rate::slot.eq(slot))
                .filter(rate::usedat.eq(used_at)),
        )
        .set(rate::usedat.eq(now_ms))
        .execute(conn)?;
        if taken > 0 {
            return Ok(Ok(()));
        }
    }
}
