//! Call counting and fault injection for the fake API.
//!
//! Every request to a fake WeChat path is counted per path and per appid
//! (the appid from the query, or the owner of the access token it carries)
//! and logged with its wall-clock time in ms (the last [`LOG_LIMIT`] calls,
//! so a test can check how many calls any 60 s saw) before anything else
//! happens. A fault registered for the path is then
//! applied: a delay, an HTTP status, or a WeChat errcode, for a number of
//! calls or until cleared.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::state::SimState;

/// Counts of calls per path and per appid and path.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct CallCounts {
    /// Calls per path.
    pub paths: BTreeMap<String, u64>,
    /// Calls per appid, then per path.
    pub by_appid: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Calls kept in the time-stamped log.
pub const LOG_LIMIT: usize = 100_000;

/// One call in the log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CallRecord {
    /// The path called.
    pub path: String,
    /// The appid it was for, if known.
    pub appid: Option<String>,
    /// Wall-clock unix ms when it arrived.
    pub at_ms: i64,
}

/// A fault to apply to calls of one path.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fault {
    /// Answer `{"errcode": N, "errmsg": ...}` instead of calling the handler.
    pub errcode: Option<i64>,
    /// The errmsg to go with `errcode`.
    pub errmsg: Option<String>,
    /// Answer with this HTTP status (e.g. 502) instead of calling the handler.
    pub http_status: Option<u16>,
    /// Wait this long before answering (also combined with the others).
    pub delay_ms: Option<u64>,
    /// Apply to this many calls, then remove itself; none = until cleared.
    pub times: Option<u32>,
}

/// Call counts and registered faults.
#[derive(Debug, Default)]
pub struct CallLog {
    counts: Mutex<CallCounts>,
    log: Mutex<VecDeque<CallRecord>>,
    faults: Mutex<HashMap<String, Fault>>,
}

impl CallLog {
    /// Records one call of `path` for `appid`.
    pub fn record(&self, path: &str, appid: Option<&str>) {
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        {
            let mut log = lock(&self.log);
            if log.len() >= LOG_LIMIT {
                log.pop_front();
            }
            log.push_back(CallRecord {
                path: path.to_string(),
                appid: appid.filter(|a| !a.is_empty()).map(str::to_string),
                at_ms,
            });
        }
        let mut counts = lock(&self.counts);
        *counts.paths.entry(path.to_string()).or_default() += 1;
        if let Some(appid) = appid.filter(|a| !a.is_empty()) {
            *counts
                .by_appid
                .entry(appid.to_string())
                .or_default()
                .entry(path.to_string())
                .or_default() += 1;
        }
    }

    /// A snapshot of the counts.
    pub fn counts(&self) -> CallCounts {
        lock(&self.counts).clone()
    }

    /// The time-stamped log, oldest first.
    pub fn log(&self) -> Vec<CallRecord> {
        lock(&self.log).iter().cloned().collect()
    }

    /// Calls of `path` so far.
    pub fn count(&self, path: &str) -> u64 {
        lock(&self.counts).paths.get(path).copied().unwrap_or(0)
    }

    /// Calls of `path` attributed to `appid` so far.
    pub fn count_for(&self, appid: &str, path: &str) -> u64 {
        lock(&self.counts)
            .by_appid
            .get(appid)
            .and_then(|paths| paths.get(path))
            .copied()
            .unwrap_or(0)
    }

    /// Registers (or replaces) the fault of `path`.
    pub fn set_fault(&self, path: &str, fault: Fault) {
        lock(&self.faults).insert(path.to_string(), fault);
    }

    /// Removes the fault of `path`.
    pub fn clear_fault(&self, path: &str) {
        lock(&self.faults).remove(path);
    }

    /// Every registered fault.
    pub fn faults(&self) -> HashMap<String, Fault> {
        lock(&self.faults).clone()
    }

    /// Forgets counts and faults.
    pub fn reset(&self) {
        *lock(&self.counts) = CallCounts::default();
        lock(&self.log).clear();
        lock(&self.faults).clear();
    }

    /// The fault to apply to this call of `path`, consuming one of its `times`.
    fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let fault = faults.get_mut(path)?;
        let applied = fault.clone();
        if let Some(times) = fault.times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                faults.remove(path);
            }
        }
        Some(applied)
    }
}

/// Locks a mutex, recovering the data if a panicking holder poisoned it: the
/// simulator's state stays usable for the rest of a test run.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// actix middleware: counts the call, then applies the path's fault if any.
pub async fn count_and_inject(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path().to_string();
    if path.starts_with("/__sim") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let Some(state) = req.app_data::<web::Data<SimState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let appid = attribute(&state, req.query_string());
    state.calls.record(&path, appid.as_deref());
    let Some(fault) = state.calls.take_fault(&path) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(status) = fault.http_status {
        let status = actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        let response = HttpResponse::build(status).body("wxsim injected fault");
        return Ok(req.into_response(response));
    }
    if let Some(errcode) = fault.errcode {
        let errmsg = fault
            .errmsg
            .unwrap_or_else(|| "wxsim injected fault".into());
        let response =
            HttpResponse::Ok().json(serde_json::json!({"errcode": errcode, "errmsg": errmsg}));
        return Ok(req.into_response(response));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// The appid a call is for: an explicit appid parameter, else the owner of the
/// token it carries.
fn attribute(state: &SimState, query: &str) -> Option<String> {
    let params: HashMap<String, String> = serde_urlencoded_pairs(query).into_iter().collect();
    for key in ["appid", "component_appid", "authorizer_appid"] {
        if let Some(v) = params.get(key).filter(|v| !v.is_empty()) {
            return Some(v.clone());
        }
    }
    let tokens = lock(&state.tokens);
    ["access_token", "component_access_token"]
        .iter()
        .filter_map(|k| params.get(*k))
        .find_map(|t| tokens.owner_of(t).map(|o| o.appid().to_string()))
}

fn serde_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(query)
        .map(web::Query::into_inner)
        .unwrap_or_default()
}
