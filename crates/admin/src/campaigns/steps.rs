//! The steps of one mini program in a campaign, each a call of the same
//! typed function the console's route uses (no wire format of its own):
//! commit (`devweapp::commit_code`) → server domains
//! (`domains::modify_server_domains`, `set`) → business domains
//! (`domains::modify_webview_domains`, `set`) → privacy guide
//! (`privacy::set_privacy_setting`) → submit audit (`devweapp::submit_audit`)
//! → wait for the audit ([`audit_decision`]) → release
//! (`devweapp::release`). Steps the campaign does not configure are skipped.
//!
//! Each step is safe to repeat after an interruption (a replica that died
//! between WeChat's answer and the database write): WeChat's "nothing to
//! change" answers (85017 server domains, 89019 business domains) count
//! as success, a second submission finds the audit already pending (85009)
//! and takes its id from `get_latest_auditstatus`, a second release finds
//! the code released (85052).
//!
//! [`outcome`] turns a step's result into the account's next state:
//! transient failures (WeChat's -1 system busy, 45009 and 45011 call
//! limits, 85085 audit quota, an unreachable WeChat, our database or token
//! core failing) are retried with [`crate::worker::jittered_backoff`] up to
//! `campaigns.max_attempts`; any other refusal fails the account with
//! WeChat's errcode.

use std::time::Duration;

use serde_json::json;

use super::spec::CampaignSpec;
use super::store::{AccountState, Claimed, Progress};
use crate::audit_quota::fetch_audit_status;
use crate::devweapp::{self, CommitCode, SubmitAudit};
use crate::domains::{self, DomainAction, ServerDomainChange, WebviewDomainChange};
use crate::error::AdminError;
use crate::privacy;
use crate::state::AppState;
use crate::worker::jittered_backoff;

/// WeChat errcodes worth retrying later.
pub const TRANSIENT_ERRCODES: [i64; 4] = [-1, 45009, 45011, 85085];

/// One step of an account's release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `/wxa/commit` of the template with the account's ext_json.
    Commit,
    /// `/wxa/modify_domain` (`set`).
    ModifyDomain,
    /// `/wxa/setwebviewdomain` (`set`).
    SetWebviewDomain,
    /// `/cgi-bin/component/setprivacysetting`.
    SetPrivacySetting,
    /// `/wxa/submit_audit`.
    SubmitAudit,
    /// `/wxa/get_auditstatus` until WeChat decides.
    WaitAudit,
    /// `/wxa/release`.
    Release,
    /// Nothing left.
    Done,
}

impl Step {
    /// Every step, in order.
    const ORDER: [Self; 8] = [
        Self::Commit,
        Self::ModifyDomain,
        Self::SetWebviewDomain,
        Self::SetPrivacySetting,
        Self::SubmitAudit,
        Self::WaitAudit,
        Self::Release,
        Self::Done,
    ];

    /// The steps before the code is under audit: what a cancel stops.
    pub const BEFORE_AUDIT: [Self; 5] = [
        Self::Commit,
        Self::ModifyDomain,
        Self::SetWebviewDomain,
        Self::SetPrivacySetting,
        Self::SubmitAudit,
    ];

    /// The steps after submission: followed even in a cancelled campaign.
    pub const AFTER_SUBMIT: [Self; 2] = [Self::WaitAudit, Self::Release];

    /// The stored and answered spelling (WeChat's API names).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Commit => "commit",
            Self::ModifyDomain => "modify_domain",
            Self::SetWebviewDomain => "setwebviewdomain",
            Self::SetPrivacySetting => "setprivacysetting",
            Self::SubmitAudit => "submit_audit",
            Self::WaitAudit => "wait_audit",
            Self::Release => "release",
            Self::Done => "done",
        }
    }

    /// The step spelt `text`, if any.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ORDER.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether `spec` asks for this step.
    fn wanted(self, spec: &CampaignSpec) -> bool {
        match self {
            Self::ModifyDomain => spec.server_domain.is_some(),
            Self::SetWebviewDomain => spec.webview_domain.is_some(),
            Self::SetPrivacySetting => spec.privacy_setting.is_some(),
            Self::Release => spec.auto_release,
            _ => true,
        }
    }

    /// The first step `spec` asks for.
    pub fn first(spec: &CampaignSpec) -> Self {
        Self::Commit.or_next_wanted(spec)
    }

    /// This step if `spec` wants it, else the next one it wants.
    fn or_next_wanted(self, spec: &CampaignSpec) -> Self {
        Self::ORDER
            .into_iter()
            .skip_while(|s| *s != self)
            .find(|s| s.wanted(spec))
            .unwrap_or(Self::Done)
    }

    /// The step `spec` wants after this one.
    fn next(self, spec: &CampaignSpec) -> Self {
        Self::ORDER
            .into_iter()
            .skip_while(|s| *s != self)
            .skip(1)
            .find(|s| s.wanted(spec))
            .unwrap_or(Self::Done)
    }

    /// The most WeChat calls the step makes (what it takes of the shared
    /// budget): the domain steps read the lists back when WeChat's answer
    /// has none, and a submission reads the latest audit back to record
    /// its version (`audit_state::submitted`).
    pub fn calls(self) -> u32 {
        match self {
            Self::ModifyDomain | Self::SetWebviewDomain | Self::SubmitAudit => 2,
            Self::Done => 0,
            _ => 1,
        }
    }
}

/// What WeChat's reviewers said about an audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditDecision {
    /// Approved (status 0).
    Approved,
    /// Rejected (status 1), with the reason.
    Rejected(String),
    /// Not decided yet (2 pending, 4 delayed) or withdrawn (3).
    Waiting,
}

/// The audit decision on `audit_id` of `appid`: one `get_auditstatus` call.
pub async fn audit_decision(
    state: &AppState,
    appid: &str,
    audit_id: i64,
) -> Result<AuditDecision, AdminError> {
    let answer = fetch_audit_status(state, appid, audit_id).await?;
    Ok(match answer.status {
        0 => AuditDecision::Approved,
        1 => AuditDecision::Rejected(answer.reason),
        _ => AuditDecision::Waiting,
    })
}

/// What one step did.
#[derive(Debug)]
pub enum StepResult {
    /// It succeeded; the audit id when it was the submission.
    Succeeded {
        /// The audit submitted, if this step submitted one.
        audit_id: Option<i64>,
    },
    /// The audit is not decided yet.
    StillWaiting,
    /// The audit was rejected with this reason.
    Rejected(String),
    /// The approved code is left for a manual release.
    LeftForRelease,
    /// WeChat or we failed.
    Failed(AdminError),
}

/// A WeChat refusal that means the step's work is already done.
fn already_done(result: Result<(), AdminError>, errcode: i64) -> Result<(), AdminError> {
    match result {
        Err(e) if e.wechat_errcode() == Some(errcode) => Ok(()),
        other => other,
    }
}

/// Runs the due step of `account`.
pub async fn run(state: &AppState, account: &Claimed) -> StepResult {
    let spec = &account.spec;
    let appid = account.appid.as_str();
    let cancelled = account.campaign_state == "cancelled";
    let done = |r: Result<(), AdminError>| match r {
        Ok(()) => StepResult::Succeeded { audit_id: None },
        Err(e) => StepResult::Failed(e),
    };
    match account.step {
        Step::Commit => done(
            devweapp::commit_code(
                state,
                appid,
                &CommitCode {
                    template_id: json!(spec.template_id),
                    ext_json: spec.ext_json_for(appid),
                    user_version: spec.user_version.clone(),
                    user_desc: spec.user_desc.clone(),
                },
            )
            .await,
        ),
        Step::ModifyDomain => {
            let Some(domains) = spec.server_domain.clone() else {
                return done(Ok(()));
            };
            let change = ServerDomainChange {
                action: DomainAction::Set,
                domains,
                directly: false,
            };
            let result = domains::modify_server_domains(state, appid, &change)
                .await
                .map(drop);
            done(already_done(result, 85017))
        }
        Step::SetWebviewDomain => {
            let Some(webview_domain) = spec.webview_domain.clone() else {
                return done(Ok(()));
            };
            let change = WebviewDomainChange {
                action: DomainAction::Set,
                webview_domain,
                directly: false,
            };
            let result = domains::modify_webview_domains(state, appid, &change)
                .await
                .map(drop);
            done(already_done(result, 89019))
        }
        Step::SetPrivacySetting => match &spec.privacy_setting {
            Some(setting) => done(privacy::set_privacy_setting(state, appid, setting).await),
            None => done(Ok(())),
        },
        Step::SubmitAudit => submit(state, appid).await,
        Step::WaitAudit => match audit_decision(state, appid, account.audit_id).await {
            Ok(AuditDecision::Approved) if cancelled || !spec.auto_release => {
                StepResult::LeftForRelease
            }
            Ok(AuditDecision::Approved) => StepResult::Succeeded { audit_id: None },
            Ok(AuditDecision::Rejected(reason)) => StepResult::Rejected(reason),
            Ok(AuditDecision::Waiting) => StepResult::StillWaiting,
            Err(e) => StepResult::Failed(e),
        },
        Step::Release if cancelled => StepResult::LeftForRelease,
        Step::Release => done(already_done(devweapp::release(state, appid).await, 85052)),
        Step::Done => done(Ok(())),
    }
}

/// Submits the code; a submission already pending (85009: a replica died
/// after submitting) is that audit.
async fn submit(state: &AppState, appid: &str) -> StepResult {
    match devweapp::submit_audit(state, appid, &SubmitAudit::default()).await {
        Ok(audit_id) => StepResult::Succeeded {
            audit_id: Some(audit_id),
        },
        Err(e) if e.wechat_errcode() == Some(85009) => {
            match devweapp::latest_audit(state, appid).await {
                Ok(Some(audit)) => StepResult::Succeeded {
                    audit_id: Some(audit.audit_id),
                },
                Ok(None) => StepResult::Failed(e),
                Err(other) => StepResult::Failed(other),
            }
        }
        Err(e) => StepResult::Failed(e),
    }
}

/// Whether a failure is worth retrying later.
pub fn is_transient(e: &AdminError) -> bool {
    match e {
        AdminError::Wechat { errcode, .. } => TRANSIENT_ERRCODES.contains(errcode),
        AdminError::Upstream(_)
        | AdminError::Internal(_)
        | AdminError::EmptyTicket
        | AdminError::NoSecret => true,
        _ => false,
    }
}

/// Timing of retries and polls.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Between two polls of an audit.
    pub poll_interval: Duration,
    /// First retry delay.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Attempts of a step before the account fails.
    pub max_attempts: u32,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The account's progress after `result` of its step at `now_ms`.
pub fn outcome(account: &Claimed, result: StepResult, timing: &Timing, now_ms: i64) -> Progress {
    let spec = &account.spec;
    let step = account.step;
    let base = Progress {
        state: AccountState::Running,
        step,
        attempts: account.attempts,
        audit_id: account.audit_id,
        errcode: None,
        error: String::new(),
        next_at: now_ms,
    };
    match result {
        StepResult::Succeeded { audit_id } => {
            let next = step.next(spec);
            let state = match next {
                Step::WaitAudit => AccountState::WaitingAudit,
                Step::Done if step == Step::Release => AccountState::Released,
                Step::Done => AccountState::Done,
                _ => AccountState::Running,
            };
            let next_at = if next == Step::WaitAudit {
                now_ms.saturating_add(ms(timing.poll_interval))
            } else {
                now_ms
            };
            Progress {
                state,
                step: next,
                attempts: 0,
                audit_id: audit_id.unwrap_or(account.audit_id),
                next_at,
                ..base
            }
        }
        StepResult::StillWaiting => Progress {
            state: AccountState::WaitingAudit,
            attempts: 0,
            next_at: now_ms.saturating_add(ms(timing.poll_interval)),
            ..base
        },
        StepResult::Rejected(reason) => Progress {
            state: AccountState::AuditRejected,
            error: reason,
            ..base
        },
        StepResult::LeftForRelease => Progress {
            state: AccountState::Done,
            step: Step::Done,
            attempts: 0,
            ..base
        },
        StepResult::Failed(e) => {
            let attempts = account.attempts.saturating_add(1);
            let errcode = e.wechat_errcode();
            let error = match &e {
                AdminError::Wechat { errmsg, .. } => errmsg.clone(),
                other => other.detail().unwrap_or_else(|| other.to_string()),
            };
            let retry = is_transient(&e)
                && u32::try_from(attempts).unwrap_or(u32::MAX) < timing.max_attempts;
            let state = match (retry, step) {
                (false, _) => AccountState::Failed,
                (true, Step::WaitAudit) => AccountState::WaitingAudit,
                (true, _) => AccountState::Running,
            };
            let delay = jittered_backoff(
                timing.backoff_base,
                timing.backoff_max,
                u32::try_from(attempts).unwrap_or(u32::MAX),
            );
            Progress {
                state,
                attempts,
                errcode,
                error,
                next_at: if retry {
                    now_ms.saturating_add(ms(delay))
                } else {
                    now_ms
                },
                ..base
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn spec(auto_release: bool, domains: bool) -> CampaignSpec {
        CampaignSpec {
            template_id: 1,
            user_version: "1.0.0".into(),
            user_desc: String::new(),
            ext_json: Map::new(),
            auto_release,
            server_domain: domains.then(Default::default),
            webview_domain: None,
            privacy_setting: None,
        }
    }

    #[test]
    fn steps_the_campaign_does_not_ask_for_are_skipped() {
        let bare = spec(false, false);
        assert_eq!(Step::first(&bare), Step::Commit);
        assert_eq!(Step::Commit.next(&bare), Step::SubmitAudit);
        assert_eq!(Step::WaitAudit.next(&bare), Step::Done);
        let full = spec(true, true);
        assert_eq!(Step::Commit.next(&full), Step::ModifyDomain);
        assert_eq!(Step::ModifyDomain.next(&full), Step::SubmitAudit);
        assert_eq!(Step::WaitAudit.next(&full), Step::Release);
        assert_eq!(Step::Release.next(&full), Step::Done);
        for step in Step::ORDER {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
    }

    fn claimed(step: Step, attempts: i32) -> Claimed {
        Claimed {
            id: 1,
            campaign_id: 1,
            campaign_state: "running".into(),
            spec: spec(true, false),
            appid: "wxa".into(),
            step,
            attempts,
            audit_id: 7,
        }
    }

    const TIMING: Timing = Timing {
        poll_interval: Duration::from_millis(500),
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_millis(1000),
        max_attempts: 3,
    };

    fn wechat(errcode: i64) -> AdminError {
        AdminError::Wechat {
            path: "/wxa/commit".into(),
            errcode,
            errmsg: "refused".into(),
        }
    }

    #[test]
    fn transient_errors_back_off_until_the_attempts_run_out() {
        let p = outcome(
            &claimed(Step::Commit, 0),
            StepResult::Failed(wechat(45009)),
            &TIMING,
            1000,
        );
        assert_eq!(
            (p.state, p.step, p.attempts, p.errcode),
            (AccountState::Running, Step::Commit, 1, Some(45009))
        );
        assert!(p.next_at >= 1050 && p.next_at <= 1100, "{p:?}");
        let p = outcome(
            &claimed(Step::Commit, 2),
            StepResult::Failed(wechat(45009)),
            &TIMING,
            1000,
        );
        assert_eq!(p.state, AccountState::Failed);
        let p = outcome(
            &claimed(Step::Commit, 0),
            StepResult::Failed(wechat(85014)),
            &TIMING,
            1000,
        );
        assert_eq!(
            (p.state, p.errcode, p.error.as_str()),
            (AccountState::Failed, Some(85014), "refused")
        );
    }

    #[test]
    fn the_audit_is_polled_then_released() {
        let p = outcome(
            &claimed(Step::SubmitAudit, 0),
            StepResult::Succeeded { audit_id: Some(9) },
            &TIMING,
            1000,
        );
        assert_eq!(
            (p.state, p.step, p.audit_id, p.next_at),
            (AccountState::WaitingAudit, Step::WaitAudit, 9, 1500)
        );
        let p = outcome(
            &claimed(Step::WaitAudit, 0),
            StepResult::StillWaiting,
            &TIMING,
            1000,
        );
        assert_eq!(
            (p.state, p.step, p.next_at),
            (AccountState::WaitingAudit, Step::WaitAudit, 1500)
        );
        let p = outcome(
            &claimed(Step::WaitAudit, 0),
            StepResult::Rejected("logo".into()),
            &TIMING,
            1000,
        );
        assert_eq!(
            (p.state, p.error.as_str()),
            (AccountState::AuditRejected, "logo")
        );
        let p = outcome(
            &claimed(Step::Release, 0),
            StepResult::Succeeded { audit_id: None },
            &TIMING,
            1000,
        );
        assert_eq!((p.state, p.step), (AccountState::Released, Step::Done));
    }
}
