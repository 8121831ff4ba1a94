//! WeChat's side of the pushes: builds a push body (XML or JSON), encrypts and
//! signs it with the platform's token, key and component appid, POSTs it to
//! the platform's callback URLs and retries like WeChat does; for biz pushes it
//! also reads the passive reply back (decrypted and signature-checked when
//! encrypted). The background `component_verify_ticket` pusher lives here too.
//!
//! Wire shapes:
//! - component URL: `POST {callback_url}/wxcallback/component?timestamp=&nonce=&encrypt_type=aes&msg_signature=&signature=`
//!   with `<xml><AppId/><Encrypt/></xml>` (or `{"AppId","Encrypt"}`);
//! - biz URL: `POST {callback_url}/wxcallback/biz/{appid}?...&openid=` with
//!   `<xml><ToUserName/><Encrypt/></xml>` (or JSON);
//! - Cloud Run style: the plaintext JSON itself, no query, header `x-wx-source`.
//!
//! The `timestamp` query parameter is real Unix time (it is a transport value
//! receivers may check for freshness); `CreateTime` inside a push is the
//! simulated time, consistent with code expiry times.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::web;
use common::message::{Format, RawFields};
use serde::{Deserialize, Serialize};

use crate::calls::lock;
use crate::settings::SimSettings;
use crate::state::SimState;

/// Header WeChat Cloud Run adds to pushes it delivers over its internal network.
pub const CLOUDRUN_SOURCE_HEADER: &str = "x-wx-source";

/// One value of a push field: text (CDATA in XML, a JSON string) or a number
/// (bare in XML, a JSON number).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PushValue {
    /// Text.
    Text(String),
    /// An integer (`CreateTime`, `MsgId`, ...).
    Int(i64),
    /// A decimal (`Location_X`, `Latitude`, ...).
    Float(f64),
}

/// The fields of a push in the order WeChat writes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushFields(Vec<(String, PushValue)>);

impl PushFields {
    /// No fields yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a text field.
    pub fn text(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set(name, PushValue::Text(value.into()));
        self
    }

    /// Adds (or replaces) an integer field.
    pub fn int(mut self, name: &str, value: i64) -> Self {
        self.set(name, PushValue::Int(value));
        self
    }

    /// Adds (or replaces) a decimal field.
    pub fn float(mut self, name: &str, value: f64) -> Self {
        self.set(name, PushValue::Float(value));
        self
    }

    /// Sets `name`, keeping its position when it already exists.
    pub fn set(&mut self, name: &str, value: PushValue) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&PushValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// `name` as text (numbers rendered), if set.
    pub fn get_text(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| match v {
            PushValue::Text(s) => s.clone(),
            PushValue::Int(n) => n.to_string(),
            PushValue::Float(x) => x.to_string(),
        })
    }

    /// `<xml>...</xml>` with text in CDATA and numbers bare, as WeChat sends.
    pub fn to_xml(&self) -> String {
        let mut out = String::from("<xml>");
        for (name, value) in &self.0 {
            out.push_str(&format!("<{name}>"));
            match value {
                PushValue::Text(s) => out.push_str(&common::message::cdata(s)),
                PushValue::Int(n) => out.push_str(&n.to_string()),
                PushValue::Float(x) => out.push_str(&x.to_string()),
            }
            out.push_str(&format!("</{name}>"));
        }
        out.push_str("</xml>");
        out
    }

    /// A JSON object with the same PascalCase keys, in order.
    pub fn to_json(&self) -> String {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    PushValue::Text(s) => serde_json::Value::from(s.as_str()),
                    PushValue::Int(n) => serde_json::Value::from(*n),
                    PushValue::Float(x) => serde_json::Value::from(*x),
                };
                format!("{}:{}", serde_json::Value::from(name.as_str()), value)
            })
            .collect();
        format!("{{{}}}", items.join(","))
    }

    /// The body in `format`.
    pub fn render(&self, format: PushFormat) -> String {
        match format {
            PushFormat::Xml => self.to_xml(),
            PushFormat::Json => self.to_json(),
        }
    }
}

/// Body encoding of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushFormat {
    /// `<xml>...</xml>`.
    Xml,
    /// A JSON object.
    Json,
}

impl PushFormat {
    /// `xml` or `json` (anything else is `None`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "xml" => Some(Self::Xml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Xml => "text/xml; charset=utf-8",
            Self::Json => "application/json",
        }
    }
}

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

/// What the platform answered to a biz push, decoded as WeChat would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// An empty body: "no reply".
    Empty,
    /// The literal `success`: "no reply".
    Success,
    /// An encrypted passive reply (`Encrypt`, `MsgSignature`, `TimeStamp`, `Nonce`).
    Encrypted,
    /// A plaintext passive reply.
    Plain,
    /// Something WeChat could not use.
    Invalid,
}

/// The passive reply to a biz push.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BizReply {
    /// What kind of answer it was.
    pub kind: ReplyKind,
    /// For encrypted replies: whether `MsgSignature` matched.
    pub signature_valid: Option<bool>,
    /// The reply message (decrypted when it was encrypted).
    pub plaintext: Option<String>,
    /// `MsgType` of the reply.
    pub msg_type: Option<String>,
    /// `Content` of a text reply.
    pub content: Option<String>,
    /// `ToUserName` of the reply (should be the user's openid).
    pub to_user_name: Option<String>,
    /// `FromUserName` of the reply (should be the account's original id).
    pub from_user_name: Option<String>,
    /// Every field of the reply message.
    pub fields: Option<serde_json::Value>,
    /// Why the reply could not be read, when it could not.
    pub error: Option<String>,
}

impl BizReply {
    fn new(kind: ReplyKind) -> Self {
        Self {
            kind,
            signature_valid: None,
            plaintext: None,
            msg_type: None,
            content: None,
            to_user_name: None,
            from_user_name: None,
            fields: None,
            error: None,
        }
    }

    fn invalid(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::new(ReplyKind::Invalid)
        }
    }

    /// Whether the platform chose not to reply (empty body or `success`).
    pub fn is_no_reply(&self) -> bool {
        matches!(self.kind, ReplyKind::Empty | ReplyKind::Success)
    }

    /// The text content, if this is a readable (and, when encrypted, correctly
    /// signed) text reply.
    pub fn text(&self) -> Option<&str> {
        let readable = match self.kind {
            ReplyKind::Encrypted => self.signature_valid == Some(true),
            ReplyKind::Plain => true,
            _ => false,
        };
        if readable && self.msg_type.as_deref() == Some("text") {
            self.content.as_deref()
        } else {
            None
        }
    }
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

/// Reads a passive reply as WeChat does: empty or `success` means no reply;
/// an `Encrypt` field means a safe-mode reply, whose `MsgSignature` is checked
/// over `TimeStamp`, `Nonce` and `Encrypt` before it is decrypted; anything
/// else must be a plaintext reply message.
pub fn decode_reply(state: &SimState, body: &str) -> BizReply {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return BizReply::new(ReplyKind::Empty);
    }
    if trimmed == "success" {
        return BizReply::new(ReplyKind::Success);
    }
    let raw = match RawFields::parse(trimmed) {
        Ok(raw) => raw,
        Err(e) => return BizReply::invalid(format!("reply is not a message: {e}")),
    };
    let Some(encrypt) = raw.get_str("Encrypt") else {
        let mut reply = BizReply::new(ReplyKind::Plain);
        fill(&mut reply, trimmed.to_string(), raw);
        return reply;
    };
    let mut reply = BizReply::new(ReplyKind::Encrypted);
    let signature = raw.get_str("MsgSignature").unwrap_or_default();
    let timestamp = raw.get_str("TimeStamp").unwrap_or_default();
    let nonce = raw.get_str("Nonce").unwrap_or_default();
    let valid = state
        .crypt
        .verify_msg_signature(&signature, &timestamp, &nonce, &encrypt)
        .is_ok();
    reply.signature_valid = Some(valid);
    if !valid {
        reply.error = Some("MsgSignature does not match TimeStamp, Nonce and Encrypt".into());
    }
    match state.crypt.decrypt(&encrypt) {
        Ok(plain) => match Format::sniff(&plain).map(|f| f.parse(&plain)) {
            Some(Ok(inner)) => fill(&mut reply, plain, inner),
            Some(Err(e)) => {
                reply.error = Some(format!("decrypted reply is not a message: {e}"));
                reply.plaintext = Some(plain);
            }
            None => {
                reply.error = Some("decrypted reply is neither XML nor JSON".into());
                reply.plaintext = Some(plain);
            }
        },
        Err(e) => reply.error = Some(format!("cannot decrypt the reply: {e}")),
    }
    reply
}

fn fill(reply: &mut BizReply, plaintext: String, raw: RawFields) {
    reply.plaintext = Some(plaintext);
    reply.msg_type = raw.get_str("MsgType");
    reply.content = raw.get_str("Content");
    reply.to_user_name = raw.get_str("ToUserName");
    reply.from_user_name = raw.get_str("FromUserName");
    if reply.msg_type.is_none() && reply.error.is_none() {
        reply.error = Some("reply has no MsgType".into());
    }
    reply.fields = Some(serde_json::Value::Object(raw.into_map()));
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

/// Stops the background ticket pusher when dropped.
#[derive(Debug)]
pub struct TicketPusher(Option<tokio::task::JoinHandle<()>>);

impl TicketPusher {
    /// A pusher that does nothing (interval 0, or no runtime to run on).
    pub fn off() -> Self {
        Self(None)
    }

    /// Whether a background task is running.
    pub fn is_running(&self) -> bool {
        self.0.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Stops the task now.
    pub fn stop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}

impl Drop for TicketPusher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts pushing a fresh `component_verify_ticket` at once and then every
/// `ticket_interval_secs` (0 = never), as WeChat does every ten minutes. A
/// push that fails is logged; the next one comes on schedule.
pub fn spawn_ticket_pusher(state: web::Data<SimState>) -> TicketPusher {
    let interval = state.settings.ticket_interval_secs;
    if interval == 0 {
        return TicketPusher::off();
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no tokio runtime: the ticket pusher is not started");
        return TicketPusher::off();
    };
    let handle = runtime.spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(interval));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let pushed = crate::flows::push_ticket(&state).await;
            if pushed.push.delivered {
                tracing::info!(
                    attempts = pushed.push.attempts,
                    "component_verify_ticket pushed"
                );
            } else {
                tracing::warn!(
                    url = %pushed.push.url,
                    error = pushed.push.error.as_deref().unwrap_or(""),
                    "component_verify_ticket push failed"
                );
            }
        }
    });
    TicketPusher(Some(handle))
}
