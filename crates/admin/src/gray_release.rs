//! Phased release (分阶段发布) of a managed mini program's approved code:
//! WeChat's `/wxa/grayrelease`, `/wxa/getgrayreleaseplan` and
//! `/wxa/revertgrayrelease` with its authorizer token. A plan moves a
//! percentage of users to the approved version; the percentage only grows
//! (85082 otherwise); `/admin/release-code` then releases it to everyone and
//! ends the plan; reverting withdraws it. WeChat refuses a plan without an
//! online version (85079) or an approved audit (85080).

use common::wechat::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::devweapp::decode;
use crate::error::AdminError;
use crate::state::AppState;
use crate::wxapi;

/// A phased release to start or widen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrayRelease {
    /// Percentage of users, 0 to 100 (0 only with one of the flags).
    pub gray_percentage: i64,
    /// Experience members get it first.
    pub support_experiencer_first: bool,
    /// Project members get it first.
    pub support_debuger_first: bool,
}

impl GrayRelease {
    /// The range WeChat documents ("0 ~ 100 的整数。如果gray_percentage=0，
    /// support_experiencer_first与support_debuger_first二选一必填"), as 1001.
    pub fn check(&self) -> Result<(), AdminError> {
        let members_only = self.support_experiencer_first || self.support_debuger_first;
        if (1..=100).contains(&self.gray_percentage) || (self.gray_percentage == 0 && members_only)
        {
            return Ok(());
        }
        Err(AdminError::invalid(format!(
            "grayPercentage: 1 to 100 (0 only with supportExperiencerFirst or \
             supportDebugerFirst), got {}",
            self.gray_percentage
        )))
    }
}

/// Starts or widens the phased release of `appid`'s approved code.
pub async fn start(state: &AppState, appid: &str, plan: &GrayRelease) -> Result<(), AdminError> {
    plan.check()?;
    wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        "/wxa/grayrelease",
        &[],
        &json!({
            "gray_percentage": plan.gray_percentage,
            "support_experiencer_first": plan.support_experiencer_first,
            "support_debuger_first": plan.support_debuger_first,
        }),
    )
    .await?;
    Ok(())
}

/// `GET /admin/gray-release-plan`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct GrayReleasePlan {
    /// 0 none yet, 1 running, 2 paused, 3 finished, 4 withdrawn.
    #[serde(default)]
    pub status: i64,
    /// When the plan was created, Unix seconds.
    #[serde(default)]
    pub create_timestamp: i64,
    /// Percentage of users on the new version.
    #[serde(default)]
    pub gray_percentage: i64,
    /// Experience members first.
    #[serde(default)]
    pub support_experiencer_first: bool,
    /// Project members first.
    #[serde(default)]
    pub support_debuger_first: bool,
}

#[derive(Deserialize)]
struct PlanAnswer {
    #[serde(default)]
    gray_release_plan: GrayReleasePlan,
}

/// The current plan of `appid`.
pub async fn plan(state: &AppState, appid: &str) -> Result<GrayReleasePlan, AdminError> {
    let path = "/wxa/getgrayreleaseplan";
    let value = wxapi::authorizer_call(state, appid, Method::Get, path, &[], &Value::Null).await?;
    let answer: PlanAnswer = decode(path, value)?;
    Ok(answer.gray_release_plan)
}

/// Withdraws the running plan of `appid`: its users go back to the
/// version online before it.
pub async fn revert(state: &AppState, appid: &str) -> Result<(), AdminError> {
    wxapi::authorizer_call(
        state,
        appid,
        Method::Get,
        "/wxa/revertgrayrelease",
        &[],
        &Value::Null,
    )
    .await?;
    Ok(())
}
