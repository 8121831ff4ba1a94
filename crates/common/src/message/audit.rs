//! A managed mini program's audit result (代码审核结果推送), pushed to the
//! biz URL as an event: `weapp_audit_success` (`SuccTime`), `weapp_audit_fail`
//! (`Reason`, `FailTime`, `ScreenShot`) and `weapp_audit_delay` (`Reason`,
//! `DelayTime`). The callback receiver stores the decision it carries.

use super::{Message, MessageError};

/// `Event` of an approved audit.
pub const EVENT_AUDIT_SUCCESS: &str = "weapp_audit_success";
/// `Event` of a rejected audit.
pub const EVENT_AUDIT_FAIL: &str = "weapp_audit_fail";
/// `Event` of a delayed audit.
pub const EVENT_AUDIT_DELAY: &str = "weapp_audit_delay";

/// What WeChat decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    /// `weapp_audit_success`.
    Approved,
    /// `weapp_audit_fail`.
    Rejected,
    /// `weapp_audit_delay`.
    Delayed,
}

impl AuditOutcome {
    /// The `get_auditstatus` status code of the outcome (0, 1, 4).
    pub fn status(self) -> i32 {
        match self {
            Self::Approved => 0,
            Self::Rejected => 1,
            Self::Delayed => 4,
        }
    }
}

/// A decoded audit-result push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditResult {
    /// What was decided.
    pub outcome: AuditOutcome,
    /// `Reason` (empty for a success).
    pub reason: String,
    /// `ScreenShot`: media ids of the rejection's screenshots, `|`-joined.
    pub screen_shot: String,
    /// `SuccTime`, `FailTime` or `DelayTime`: unix seconds.
    pub time: i64,
}

impl AuditResult {
    /// The audit result `message` carries; `None` for every other message.
    pub fn from_message(message: &Message) -> Result<Option<Self>, MessageError> {
        let fields = message.raw.fields();
        let (outcome, time_field) = match message.event() {
            Some(EVENT_AUDIT_SUCCESS) => (AuditOutcome::Approved, "SuccTime"),
            Some(EVENT_AUDIT_FAIL) => (AuditOutcome::Rejected, "FailTime"),
            Some(EVENT_AUDIT_DELAY) => (AuditOutcome::Delayed, "DelayTime"),
            _ => return Ok(None),
        };
        Ok(Some(Self {
            outcome,
            reason: fields.opt_str("Reason")?.unwrap_or_default(),
            screen_shot: fields.opt_str("ScreenShot")?.unwrap_or_default(),
            time: fields.opt_i64(time_field)?.unwrap_or(message.create_time),
        }))
    }
}
