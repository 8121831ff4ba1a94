//! Delivering a push as WeChat does: the body encrypted and signed with the
//! platform's token, key and component appid (safe mode) or sent plain
//! (Cloud Run style), POSTed to the component or biz URL, retried when no
//! HTTP 200 comes in time; a biz push's answer is decoded by [`super::reply`].

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::fields::{PushFields, PushFormat};
use super::reply::{decode_reply, BizReply};
use crate::calls::lock;
use crate::settings::SimSettings;
use crate::state::SimState;

/// Header WeChat Cloud Run adds to pushes it delivers over its internal network.
pub const CLOUDRUN_SOURCE_HEADER: &str = "x-wx-source";

/// How a push is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMode {
    /// Body encoding (forced to JSON in Cloud Run style).
    pub format: PushFormat,
    /// Safe mode: AES-encrypted envelope plus `msg_signature` (ignored in Cloud Run style).
    pub encrypted: bool,
    /// Cloud Run style: plain JSON with `x-wx-source`, no query parameters.
    pub cloudrun: bool,
}

impl PushMode {
    /// The mode the simulator is configured with (`push_format`,
    /// `push_cloudrun`), encrypted.
    pub fn from_settings(settings: &SimSettings) -> Self {
        Self {
            format: PushFormat::parse(&settings.push_format).unwrap_or(PushFormat::Xml),
            encrypted: true,
            cloudrun: settings.push_cloudrun,
        }
    }

    /// Whether the body on the wire is ciphertext.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted && !self.cloudrun
    }

    fn body_format(&self) -> PushFormat {
        if self.cloudrun {
            PushFormat::Json
        } else {
            self.format
        }
    }
}

/// Which of the platform's two URLs a push goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "url", rename_all = "snake_case")]
pub enum PushTarget {
    /// 授权事件URL: `/wxcallback/component`.
    Component,
    /// 消息与事件URL: `/wxcallback/biz/{appid}`.
    Biz {
        /// The authorizer the message is for.
        appid: String,
        /// The sender's openid (the `openid` query parameter).
        openid: String,
    },
}

/// One HTTP attempt of a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushAttempt {
    /// HTTP status, when an answer came in time.
    pub status: Option<u16>,
    /// Why there was no usable answer (timeout, connection refused, ...).
    pub error: Option<String>,
    /// How long the attempt took.
    pub elapsed_ms: u64,
}

/// What happened to one push, after every retry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushOutcome {
    /// The URL pushed to (with its query).
    pub url: String,
    /// Which URL it was.
    pub target: PushTarget,
    /// How it was sent.
    pub mode: PushMode,
    /// The message before encryption.
    pub plaintext: String,
    /// The body actually POSTed.
    pub body_sent: String,
    /// How many HTTP attempts were made (1 + retries used).
    pub attempts: u32,
    /// Each attempt.
    pub attempt_log: Vec<PushAttempt>,
    /// Whether the last attempt got HTTP 200.
    pub delivered: bool,
    /// HTTP status of the last attempt, if it got an answer.
    pub status: Option<u16>,
    /// Body of the last answer.
    pub body: Option<String>,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
    /// The decoded passive reply (biz pushes that were answered with 200).
    pub reply: Option<BizReply>,
    /// Time from the first attempt to the last answer.
    pub elapsed_ms: u64,
}

/// Pushes `fields` to `target` in `mode`, retrying (no answer within
/// `push_timeout_ms`, or not HTTP 200) up to `push_retries` more times.
/// Never fails: everything that went wrong is in the outcome.
pub async fn push(
    state: &SimState,
    target: &PushTarget,
    fields: &PushFields,
    mode: PushMode,
) -> PushOutcome {
    let settings = &state.settings;
    let format = mode.body_format();
    let plaintext = fields.render(format);
    let timestamp = unix_now().to_string();
    let nonce = rand::random::<u32>().to_string();

    let mut outcome = PushOutcome {
        url: String::new(),
        target: target.clone(),
        mode,
        plaintext: plaintext.clone(),
        body_sent: String::new(),
        attempts: 0,
        attempt_log: Vec::new(),
        delivered: false,
        status: None,
        body: None,
        error: None,
        reply: None,
        elapsed_ms: 0,
    };

    let path = match target {
        PushTarget::Component => "/wxcallback/component".to_string(),
        PushTarget::Biz { appid, .. } => format!("/wxcallback/biz/{appid}"),
    };
    let base = settings.callback_url.trim_end_matches('/');
    let mut url = match reqwest::Url::parse(&format!("{base}{path}")) {
        Ok(url) => url,
        Err(e) => {
            outcome.error = Some(format!("invalid callback_url {base:?}: {e}"));
            outcome.url = format!("{base}{path}");
            return outcome;
        }
    };

    let body = if mode.cloudrun {
        plaintext.clone()
    } else {
        let signature = state.crypt.url_signature(&timestamp, &nonce);
        let mut query = url.query_pairs_mut();
        query
            .append_pair("signature", &signature)
            .append_pair("timestamp", &timestamp)
            .append_pair("nonce", &nonce);
        if let PushTarget::Biz { openid, .. } = target {
            query.append_pair("openid", openid);
        }
        let body = if mode.encrypted {
            let encrypt = state.crypt.encrypt(&plaintext);
            let msg_signature = state.crypt.msg_signature(&timestamp, &nonce, &encrypt);
            query
                .append_pair("encrypt_type", "aes")
                .append_pair("msg_signature", &msg_signature);
            let envelope = match target {
                PushTarget::Component => PushFields::new()
                    .text("AppId", settings.component_appid.clone())
                    .text("Encrypt", encrypt),
                PushTarget::Biz { .. } => PushFields::new()
                    .text(
                        "ToUserName",
                        fields.get_text("ToUserName").unwrap_or_default(),
                    )
                    .text("Encrypt", encrypt),
            };
            envelope.render(format)
        } else {
            plaintext.clone()
        };
        drop(query);
        body
    };
    outcome.url = url.to_string();
    outcome.body_sent = body.clone();

    let client = match client() {
        Ok(client) => client,
        Err(e) => {
            outcome.error = Some(e);
            return outcome;
        }
    };
    let timeout = Duration::from_millis(settings.push_timeout_ms.max(1));
    let started = Instant::now();
    let max_attempts = settings.push_retries.saturating_add(1);
    for _ in 0..max_attempts {
        let attempt_started = Instant::now();
        let mut request = client
            .post(url.clone())
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, format.content_type())
            .body(body.clone());
        if mode.cloudrun {
            request = request.header(CLOUDRUN_SOURCE_HEADER, "wxsim");
        }
        let (status, answer, error) = match send(request).await {
            Ok((status, text)) => (Some(status), Some(text), None),
            Err(e) => (None, None, Some(e)),
        };
        outcome.attempts += 1;
        outcome.attempt_log.push(PushAttempt {
            status,
            error: error.clone(),
            elapsed_ms: millis(attempt_started.elapsed()),
        });
        outcome.status = status;
        outcome.body = answer;
        outcome.error = error;
        outcome.delivered = status == Some(200);
        if outcome.delivered {
            break;
        }
        if outcome.error.is_none() {
            outcome.error = status.map(|s| format!("HTTP {s}"));
        }
    }
    outcome.elapsed_ms = millis(started.elapsed());
    if outcome.delivered {
        if let PushTarget::Biz { .. } = target {
            let answer = outcome.body.as_deref().unwrap_or_default();
            outcome.reply = Some(decode_reply(state, answer));
        }
    }
    record(state, &outcome, fields);
    outcome
}

/// Sends one attempt; the answer must come (headers and body) within the
/// request's timeout.
async fn send(request: reqwest::RequestBuilder) -> Result<(u16, String), String> {
    let response = request.send().await.map_err(describe)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(describe)?;
    Ok((status, text))
}

/// A short reason for a failed attempt: the URL is already in the outcome,
/// so it is left out; the innermost cause (e.g. "Connection refused") is kept.
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let connect = e.is_connect();
    let e = e.without_url();
    let mut innermost: Option<&dyn std::error::Error> = None;
    let mut next = std::error::Error::source(&e);
    while let Some(inner) = next {
        innermost = Some(inner);
        next = inner.source();
    }
    match (connect, innermost) {
        (true, Some(cause)) => format!("cannot connect: {cause}"),
        (true, None) => format!("cannot connect: {e}"),
        (false, Some(cause)) => format!("{e}: {cause}"),
        (false, None) => e.to_string(),
    }
}

/// Keeps a short summary of the push for `/__sim/pushes`.
fn record(state: &SimState, outcome: &PushOutcome, fields: &PushFields) {
    let summary = serde_json::json!({
        "at": state.now(),
        "url": outcome.url,
        "target": outcome.target,
        "info_type": fields.get_text("InfoType"),
        "msg_type": fields.get_text("MsgType"),
        "event": fields.get_text("Event"),
        "attempts": outcome.attempts,
        "delivered": outcome.delivered,
        "status": outcome.status,
        "error": outcome.error,
    });
    if outcome.delivered {
        tracing::debug!(url = %outcome.url, attempts = outcome.attempts, "push delivered");
    } else {
        tracing::warn!(
            url = %outcome.url,
            attempts = outcome.attempts,
            error = outcome.error.as_deref().unwrap_or(""),
            "push not delivered"
        );
    }
    lock(&state.component).log_push(summary);
}

/// One HTTP client for every push: no proxy (callback URLs are local in
/// tests and dev), no redirects (WeChat does not follow them).
fn client() -> Result<reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent("Mozilla/4.0 (wxsim)")
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))
        })
        .clone()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
