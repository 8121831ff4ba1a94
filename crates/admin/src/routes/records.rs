//! `GET /admin/wx-component-records`, `/admin/wx-biz-records`,
//! `/admin/callback-config`, `/admin/release-check`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::ok;
use crate::auth::AuthUser;
use crate::error::AdminResult;
use crate::params::{self, Query};
use crate::records::{self, BizFilter, ComponentFilter, Window};
use crate::state::AppState;

/// Pushes to the component URL: `startTime`, `endTime`, `infoType`,
/// `appid` (an authorizer the push names), `offset`, `limit`.
pub async fn component_records(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let window = Window::from_query(&query)?;
    let filter = ComponentFilter {
        info_type: query.text("infoType").map(str::to_string),
        appid: params::optional_appid(&query)?,
    };
    let page = state
        .db
        .run(move |conn| records::component_records(conn, &window, &filter))
        .await?;
    Ok(ok(page))
}

/// Pushes to the biz URL: `startTime`, `endTime`, `appid`, `msgType`, `event`, `offset`, `limit`.
pub async fn biz_records(
    _: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let window = Window::from_query(&query)?;
    let filter = BizFilter {
        appid: query.text("appid").map(str::to_string),
        msg_type: query.text("msgType").map(str::to_string),
        event: query.text("event").map(str::to_string),
    };
    let page = state
        .db
        .run(move |conn| records::biz_records(conn, &window, &filter))
        .await?;
    Ok(ok(page))
}

/// `{testAppids, steps: [{name, count, lastSeen}]}`: which steps of WeChat's
/// full-network-release check have reached the callback (see
/// [`records::release_steps`]); `testAppids` are the accounts the check uses,
/// as `callback.release_test_appids` configures them.
pub async fn release_check(_: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let test_appids = state.settings.callback.release_test_appids();
    let appids = test_appids.clone();
    let steps = state
        .db
        .run(move |conn| records::release_steps(conn, &appids))
        .await?;
    Ok(ok(json!({ "testAppids": test_appids, "steps": steps })))
}

/// Where WeChat's pushes must be configured to go, as wxcomponent shows it
/// for Cloud Run's push settings: the environment (`CBR_ENV_ID`), the
/// service (from `HOSTNAME`), both through `callback.*` settings, and the
/// format (`json` in Cloud Run mode, which receives Cloud Run's plain JSON).
pub async fn callback_config(_: AuthUser, state: web::Data<AppState>) -> HttpResponse {
    let callback = &state.settings.callback;
    ok(json!({
        "envId": callback.cloudrun_env_id,
        "service": callback.cloudrun_service,
        "componentPath": "/wxcallback/component",
        "bizPath": "/wxcallback/biz/$APPID$",
        "textMode": if callback.cloudrun_mode { "json" } else { "xml" },
    }))
}
