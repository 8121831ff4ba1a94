//! The pingora `ProxyHttp` of both listeners: request checks, routing,
//! replica choice with retry, header rewriting, error answers, access log.
//!
//! Error policy (the `{code, errorMsg}` envelope of every service):
//! - 400 unreadable path, 404 `/inner/*` on the public listener, 413 body
//!   over the route's limit ([`limits`]): code 1001;
//! - 429 rate limited per client IP: code 1011 on the login route and on
//!   the console's API, else 1001, with `Retry-After`;
//! - 503 a WeChat push shed by the global safety valve (never a per-IP
//!   limit: WeChat pushes from a few server IPs and retries a 5xx): code
//!   1002, with `Retry-After`;
//! - 502 every tried replica refused or failed, 503 no healthy replica (or
//!   none resolved), 504 an upstream timed out: code 1002.
//!
//! On the console's API ([`limits::is_console_api`]) each of these answers
//! travels as HTTP 200 with the reason repeated in `data`: the official
//! console (`client/src/utils/axios.ts`) reads the envelope of 2xx answers
//! only, hangs silently on any other status, and shows `data` for 1002. The
//! access log and metrics keep the real status.
//!
//! Every answer, proxied or not, carries `X-Request-Id`.
//!
//! A WebSocket handshake keeps its `Upgrade` and `Connection: upgrade` both
//! ways; once the upstream answers `101` the connection is a tunnel, exempt
//! from the body limit and the upstream read timeout.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr as StdSocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::Bytes;
use common::client_ip::{self, Cidr};
use common::envelope::{Envelope, ErrorCode};
use http::header::{HeaderName, HeaderValue};
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::upstreams::peer::HttpPeer;
use pingora::{Error, ErrorSource, ErrorType};

use crate::limits::{self, BodyLimits};
use crate::metrics::Metrics;
use crate::net;
use crate::ratelimit::{GlobalLimiter, RateLimiter};
use crate::routes::{Route, RouteTable};
use crate::upstream::Upstreams;

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The public entry point: `/inner/*` refused, rate limits applied.
    Public,
    /// Service-to-service traffic: everything, including `/inner/*`.
    Internal,
}

impl Listener {
    /// The `listener` label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
        }
    }
}

/// Upstream timeouts applied to every peer.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP connect.
    pub connect: Duration,
    /// Each read of the upstream's response.
    pub read: Duration,
    /// Each write of the request.
    pub write: Duration,
    /// Pooled idle connections.
    pub idle: Duration,
}

/// State shared by both listeners and the background task.
pub struct Shared {
    /// The current route table.
    pub table: ArcSwap<RouteTable>,
    /// Where unmatched requests go when the admin publishes no fallback.
    pub default_route: Arc<Route>,
    /// Every upstream group.
    pub upstreams: Arc<Upstreams>,
    /// Metric families.
    pub metrics: Arc<Metrics>,
    /// General per-IP limit (public listener).
    pub limit: Option<RateLimiter>,
    /// Login limit (`PUT /wxcomponent/auth`).
    pub auth_limit: Option<RateLimiter>,
    /// The safety valve of WeChat's pushes, all clients together.
    pub push_limit: Option<GlobalLimiter>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted: Vec<Cidr>,
    /// Largest request body, per route.
    pub body_limits: BodyLimits,
    /// Upstream timeouts.
    pub timeouts: Timeouts,
    /// Further replicas tried after a failed connect.
    pub retries: usize,
}

/// One listener's proxy logic.
pub struct GatewayProxy {
    /// Shared state.
    pub shared: Arc<Shared>,
    /// Which listener this is.
    pub listener: Listener,
}

/// Per-request state.
pub struct Ctx {
    start: Instant,
    /// Kept as the header value it is sent as: copied into both directions
    /// without a `String` or a reparse.
    request_id: HeaderValue,
    peer: Option<IpAddr>,
    client_ip: Option<IpAddr>,
    label: &'static str,
    route: Option<Arc<Route>>,
    forward_uri: Option<http::Uri>,
    current: Option<StdSocketAddr>,
    failed: Vec<StdSocketAddr>,
    attempts: usize,
    last_connect_error: Option<ErrorType>,
    body_bytes: u64,
    /// The largest body this request may carry.
    max_body: u64,
    too_large: bool,
    /// The request is on the console's API: refusals go out as HTTP 200.
    console: bool,
    /// The status a refusal stood for when it went out as HTTP 200.
    refused: Option<u16>,
    /// The `Upgrade` value of a WebSocket handshake.
    websocket: Option<http::HeaderValue>,
}

const LOGIN_PATH: &str = "/wxcomponent/auth";

/// Header names the proxy looks up on every request, made once: a lookup by
/// `&str` parses and lowercases the name each time.
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Displays a value, or `-` for none, without allocating.
struct Dash<T>(Option<T>);

impl<T: std::fmt::Display> std::fmt::Display for Dash<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(v) => v.fmt(f),
            None => f.write_str("-"),
        }
    }
}

fn peer_ip(session: &Session) -> Option<IpAddr> {
    session
        .client_addr()
        .and_then(|a| a.as_inet())
        .map(|a| client_ip::canonical(a.ip()))
}

fn has_body(req: &RequestHeader, declared: Option<u64>) -> bool {
    req.headers.contains_key(http::header::TRANSFER_ENCODING) || declared.is_some_and(|n| n > 0)
}

/// Writes a gateway-made JSON answer. On the console's API a refusal goes
/// out as HTTP 200 with its reason in `data` as well (see the module doc);
/// `ctx.refused` keeps the status it stands for, for the log and metrics.
async fn respond(
    session: &mut Session,
    ctx: &mut Ctx,
    status: u16,
    code: i32,
    message: &str,
    extra: &[(&'static str, String)],
) -> pingora::Result<()> {
    let console = ctx.console && status != 200;
    let envelope = Envelope {
        code,
        error_msg: message.to_string(),
        data: console.then_some(message),
    };
    let sent = if console {
        ctx.refused = Some(status);
        200
    } else {
        status
    };
    let body = serde_json::to_vec(&envelope).unwrap_or_default();
    let mut header = ResponseHeader::build(sent, Some(4 + extra.len()))?;
    header.insert_header("content-type", "application/json; charset=utf-8")?;
    header.insert_header("content-length", body.len().to_string())?;
    header.insert_header("cache-control", "no-store")?;
    header.insert_header("x-request-id", ctx.request_id.clone())?;
    for (name, value) in extra {
        header.insert_header(*name, value.as_str())?;
    }
    session
        .write_response_header(Box::new(header), false)
        .await?;
    session
        .write_response_body(Some(Bytes::from(body)), true)
        .await?;
    Ok(())
}

fn is_timeout(etype: &ErrorType) -> bool {
    matches!(
        etype,
        ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout
    )
}

impl GatewayProxy {
    /// Status, code and message of a failed request (the error policy).
    fn classify(e: &Error, ctx: &Ctx) -> (u16, ErrorCode, String) {
        if ctx.too_large {
            return (
                413,
                ErrorCode::InvalidParam,
                too_large_message(ctx.max_body),
            );
        }
        let service = ctx
            .route
            .as_ref()
            .map_or("upstream", |r| r.upstream.name.as_str());
        match e.etype() {
            ErrorType::HTTPStatus(503) => (
                503,
                ErrorCode::SystemError,
                format!(
                    "系统错误: the {service} service has no healthy replica, retry shortly (503)"
                ),
            ),
            ErrorType::HTTPStatus(504) => (
                504,
                ErrorCode::SystemError,
                format!("系统错误: the {service} service timed out (504)"),
            ),
            ErrorType::HTTPStatus(code) if *code >= 500 => (
                *code,
                ErrorCode::SystemError,
                format!("系统错误: the {service} service is unavailable, retry shortly ({code})"),
            ),
            ErrorType::HTTPStatus(code) => (
                *code,
                ErrorCode::InvalidParam,
                format!("bad request ({code})"),
            ),
            etype if *e.esource() == ErrorSource::Upstream && is_timeout(etype) => (
                504,
                ErrorCode::SystemError,
                format!("系统错误: the {service} service timed out (504)"),
            ),
            _ if *e.esource() == ErrorSource::Upstream => (
                502,
                ErrorCode::SystemError,
                format!("系统错误: the {service} service is unavailable, retry shortly (502)"),
            ),
            ErrorType::ReadError | ErrorType::WriteError | ErrorType::ConnectionClosed
                if *e.esource() == ErrorSource::Downstream =>
            {
                (0, ErrorCode::InvalidParam, String::new())
            }
            ErrorType::ReadTimedout if *e.esource() == ErrorSource::Downstream => (
                408,
                ErrorCode::InvalidParam,
                "request timed out (408)".into(),
            ),
            _ if *e.esource() == ErrorSource::Downstream => {
                (400, ErrorCode::InvalidParam, "bad request (400)".into())
            }
            _ => (
                500,
                ErrorCode::SystemError,
                "系统错误 (internal gateway error)".into(),
            ),
        }
    }

    /// Rate limits of the public listener: WeChat's pushes meet the global
    /// valve only, everything else the client IP's buckets.
    fn rate_limited(
        &self,
        ip: Option<IpAddr>,
        method: &http::Method,
        path: &str,
        now: Instant,
    ) -> Option<Limited> {
        if limits::is_push(path) {
            let wait = self.shared.push_limit.as_ref()?.check(now).err()?;
            return Some(Limited {
                limit: Limit::Pushes,
                wait,
            });
        }
        let ip = ip?;
        if method == http::Method::PUT && path == LOGIN_PATH {
            if let Some(Err(wait)) = self.shared.auth_limit.as_ref().map(|l| l.check(ip, now)) {
                return Some(Limited {
                    limit: Limit::Login,
                    wait,
                });
            }
        }
        let wait = self.shared.limit.as_ref()?.check(ip, now).err()?;
        let limit = if limits::is_console_api(path) {
            Limit::Console
        } else {
            Limit::General
        };
        Some(Limited { limit, wait })
    }
}

impl GatewayProxy {
    /// Request id, peer, client IP and WebSocket handshake of the request.
    fn identify(&self, session: &Session, ctx: &mut Ctx) {
        let req = session.req_header();
        ctx.request_id = req
            .headers
            .get(&X_REQUEST_ID)
            .filter(|v| v.to_str().is_ok_and(net::valid_request_id))
            .cloned()
            .unwrap_or_else(net::new_request_id);
        ctx.peer = peer_ip(session);
        let forwarded_for = req.headers.get_all(&X_FORWARDED_FOR);
        ctx.client_ip = ctx.peer.map(|p| {
            client_ip::client_ip(
                p,
                forwarded_for.iter().map(|v| v.as_bytes()),
                &self.shared.trusted,
            )
        });
        if net::is_websocket_upgrade(&req.method, &req.headers) {
            ctx.websocket = req.headers.get(http::header::UPGRADE).cloned();
        }
    }

    /// The public listener's rate limits, counted when they refuse.
    fn rate_limit(&self, ctx: &Ctx, method: &http::Method, path: &str) -> Option<Early> {
        if self.listener != Listener::Public {
            return None;
        }
        let limited = self.rate_limited(ctx.client_ip, method, path, ctx.start)?;
        self.shared
            .metrics
            .rate_limited
            .with_label_values(&[self.listener.label(), limited.label()])
            .inc();
        Some(Early {
            label: "rate-limited",
            status: limited.status(),
            code: limited.code().code(),
            message: limited.message(),
            retry_after: Some(limited.retry_after().to_string()),
            close: false,
        })
    }
}

/// `/inner/*` exists on the internal listener only.
fn inner_refused(listener: Listener, path: &str) -> Option<Early> {
    (listener == Listener::Public && (path == "/inner" || path.starts_with("/inner/"))).then(|| {
        Early {
            label: "inner-refused",
            status: 404,
            code: ErrorCode::InvalidParam.code(),
            message: "not found (404)".into(),
            retry_after: None,
            close: false,
        }
    })
}

/// What the gateway decided about a request before proxying it.
pub struct Admission {
    /// The request is on the console's API: refusals go out as HTTP 200.
    pub console: bool,
    /// The largest body the request may carry.
    pub max_body: u64,
    /// Answered at once, or proxied; an unparsable forwarded URI is a 400
    /// error, answered as any failure (after `console` is known).
    pub verdict: pingora::Result<Verdict>,
}

/// The gateway answers a request itself, or proxies it.
pub enum Verdict {
    /// An answer of the gateway's own.
    Answer(Early),
    /// Proxied along `route`; `forward_uri`, when set, replaces the request's URI.
    Proxy {
        /// The route the normalised path takes.
        route: Arc<Route>,
        /// The rewritten path and query, when the path was normalised or the
        /// route rewrites it.
        forward_uri: Option<http::Uri>,
    },
}

/// The checks of a request that need only the request and the route table,
/// in `request_filter`'s order: path normalisation (400), `/healthz`,
/// `/inner/*` on the public listener (404), `rate_limit` (given, it keeps
/// state), a declared body over the route's limit (413); then the route and
/// the URI to forward. A plain function, so that it is tested and fuzzed
/// without a server.
pub fn admit(
    listener: Listener,
    table: &RouteTable,
    body_limits: &BodyLimits,
    method: &http::Method,
    uri: &http::Uri,
    declared: Option<u64>,
    rate_limit: impl FnOnce(&str) -> Option<Early>,
) -> Admission {
    let raw_path = uri.path();
    let normalized = net::needs_normalizing(raw_path);
    let path = if normalized {
        net::normalize_path(raw_path).map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(raw_path))
    };
    let Some(path) = path else {
        return Admission {
            console: false,
            max_body: 0,
            verdict: Ok(Verdict::Answer(bad_path())),
        };
    };
    let console = limits::is_console_api(&path);
    let max_body = body_limits.for_request(method, &path);
    let early = health_check(&path)
        .or_else(|| inner_refused(listener, &path))
        .or_else(|| rate_limit(&path))
        .or_else(|| too_large(declared, max_body));
    let verdict = match early {
        Some(early) => Ok(Verdict::Answer(early)),
        None => route(listener, table, &path, normalized, uri.query()),
    };
    Admission {
        console,
        max_body,
        verdict,
    }
}

/// The route `path` (normalised) takes and, where the path changes, the
/// URI to forward.
fn route(
    listener: Listener,
    table: &RouteTable,
    path: &str,
    normalized: bool,
    query: Option<&str>,
) -> pingora::Result<Verdict> {
    let route = Arc::clone(table.lookup(path, listener == Listener::Internal));
    let forward_uri = if normalized || route.rewrites() {
        let mut target = route.forward_path(path);
        if let Some(q) = query {
            target.push('?');
            target.push_str(q);
        }
        Some(target.parse::<http::Uri>().map_err(|e| {
            Error::because(ErrorType::HTTPStatus(400), "unparsable forwarded path", e)
        })?)
    } else {
        None
    };
    Ok(Verdict::Proxy { route, forward_uri })
}

/// An answer the gateway gives itself instead of proxying.
pub struct Early {
    /// The access log's route label.
    pub label: &'static str,
    /// HTTP status it stands for.
    pub status: u16,
    /// The envelope's code.
    pub code: i32,
    /// The envelope's `errorMsg`.
    pub message: String,
    /// `Retry-After` seconds of a rate-limit refusal.
    pub retry_after: Option<String>,
    /// The connection closes after the answer even without a body (an
    /// unreadable request).
    pub close: bool,
}

/// Writes an [`Early`] answer.
async fn answer(session: &mut Session, ctx: &mut Ctx, early: Early) -> pingora::Result<()> {
    ctx.label = early.label;
    let extra: Vec<(&'static str, String)> = early
        .retry_after
        .map(|secs| ("retry-after", secs))
        .into_iter()
        .collect();
    respond(
        session,
        ctx,
        early.status,
        early.code,
        &early.message,
        &extra,
    )
    .await
}

/// A path that does not normalise (`..` above the root, bad escapes).
fn bad_path() -> Early {
    Early {
        label: "invalid",
        status: 400,
        code: ErrorCode::InvalidParam.code(),
        message: "参数格式有误: bad request path (400)".into(),
        retry_after: None,
        close: true,
    }
}

/// Both listeners answer `GET /healthz` themselves.
fn health_check(path: &str) -> Option<Early> {
    (path == "/healthz").then(|| Early {
        label: "healthz",
        status: 200,
        code: 0,
        message: "OK".into(),
        retry_after: None,
        close: false,
    })
}

/// A declared body over the route's limit, refused before it is read.
fn too_large(declared: Option<u64>, max_body: u64) -> Option<Early> {
    declared.is_some_and(|n| n > max_body).then(|| Early {
        label: "too-large",
        status: 413,
        code: ErrorCode::InvalidParam.code(),
        message: too_large_message(max_body),
        retry_after: None,
        close: false,
    })
}

fn declared_length(req: &RequestHeader) -> Option<u64> {
    req.headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// The client IP's general bucket, outside the console's API.
    General,
    /// The client IP's general bucket, on the console's API.
    Console,
    /// The client IP's login bucket.
    Login,
    /// The global valve of WeChat's pushes.
    Pushes,
}

/// A request refused by a rate limit.
struct Limited {
    limit: Limit,
    /// Until a token is available again.
    wait: Duration,
}

impl Limited {
    /// The `limit` label of `gateway_rate_limited_total`.
    fn label(&self) -> &'static str {
        match self.limit {
            Limit::General | Limit::Console => "general",
            Limit::Login => "auth",
            Limit::Pushes => "callback-global",
        }
    }

    /// 503 for pushes (WeChat retries a 5xx), else 429.
    fn status(&self) -> u16 {
        if self.limit == Limit::Pushes {
            503
        } else {
            429
        }
    }

    /// 1011 wherever the console asks, 1002 for a shed push, else 1001.
    fn code(&self) -> ErrorCode {
        match self.limit {
            Limit::General => ErrorCode::InvalidParam,
            Limit::Console | Limit::Login => ErrorCode::AuthErrExceedLimit,
            Limit::Pushes => ErrorCode::SystemError,
        }
    }

    fn message(&self) -> String {
        let secs = self.retry_after();
        match self.limit {
            Limit::Login => format!(
                "{}: too many login attempts, retry in {secs} s (429)",
                self.code().message()
            ),
            Limit::Pushes => {
                format!("系统繁忙: more pushes than the gateway admits, retry in {secs} s (503)")
            }
            Limit::General | Limit::Console => {
                format!("请求过于频繁: too many requests, retry in {secs} s (429)")
            }
        }
    }

    /// Whole seconds for `Retry-After`, at least 1.
    fn retry_after(&self) -> f64 {
        self.wait.as_secs_f64().ceil().max(1.0)
    }
}

fn too_large_message(max_body: u64) -> String {
    format!("请求体过大: request body larger than {max_body} bytes (413)")
}

#[async_trait]
impl ProxyHttp for GatewayProxy {
    type CTX = Ctx;

    fn new_ctx(&self) -> Ctx {
        Ctx {
            start: Instant::now(),
            request_id: HeaderValue::from_static(""),
            peer: None,
            client_ip: None,
            label: "-",
            route: None,
            forward_uri: None,
            current: None,
            failed: Vec::new(),
            attempts: 0,
            last_connect_error: None,
            body_bytes: 0,
            max_body: 0,
            too_large: false,
            console: false,
            refused: None,
            websocket: None,
        }
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> pingora::Result<bool> {
        self.identify(session, ctx);
        let admission = {
            let req = session.req_header();
            let table = self.shared.table.load();
            admit(
                self.listener,
                &table,
                &self.shared.body_limits,
                &req.method,
                &req.uri,
                declared_length(req),
                |path| self.rate_limit(ctx, &req.method, path),
            )
        };
        ctx.console = admission.console;
        ctx.max_body = admission.max_body;
        let early = match admission.verdict? {
            Verdict::Proxy { route, forward_uri } => {
                ctx.route = Some(route);
                ctx.forward_uri = forward_uri;
                return Ok(false);
            }
            Verdict::Answer(early) => early,
        };
        // An early answer leaves the body unread: the connection closes.
        let req = session.req_header();
        if early.close || has_body(req, declared_length(req)) {
            session.set_keepalive(None);
        }
        answer(session, ctx, early).await?;
        Ok(true)
    }

    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut Ctx,
    ) -> pingora::Result<()> {
        if let Some(chunk) = body.as_ref().filter(|_| ctx.websocket.is_none()) {
            ctx.body_bytes += chunk.len() as u64;
            if ctx.body_bytes > ctx.max_body {
                ctx.too_large = true;
                return Error::e_explain(ErrorType::HTTPStatus(413), "request body too large");
            }
        }
        Ok(())
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut Ctx,
    ) -> pingora::Result<Box<HttpPeer>> {
        let route = ctx
            .route
            .clone()
            .ok_or_else(|| Error::explain(ErrorType::InternalError, "no route chosen"))?;
        let Some(replica) = route.upstream.select(&ctx.failed) else {
            return match &ctx.last_connect_error {
                None => Error::e_explain(ErrorType::HTTPStatus(503), "no healthy upstream replica"),
                Some(etype) if is_timeout(etype) => {
                    Error::e_explain(ErrorType::HTTPStatus(504), "every replica timed out")
                }
                Some(_) => Error::e_explain(ErrorType::HTTPStatus(502), "every replica failed"),
            };
        };
        ctx.attempts += 1;
        ctx.current = replica.addr.as_inet().copied();
        let mut peer = HttpPeer::new(replica, false, String::new());
        let t = self.shared.timeouts;
        peer.options.connection_timeout = Some(t.connect);
        // A WebSocket may rightly stay quiet for longer than any request.
        peer.options.read_timeout = ctx.websocket.is_none().then_some(t.read);
        peer.options.write_timeout = Some(t.write);
        peer.options.idle_timeout = Some(t.idle);
        Ok(Box::new(peer))
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut Ctx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        if let Some(route) = &ctx.route {
            self.shared
                .metrics
                .connect_failures
                .with_label_values(&[route.upstream.name.as_str()])
                .inc();
            if let Some(addr) = ctx.current {
                ctx.failed.push(addr);
            }
            ctx.last_connect_error = Some(e.etype().clone());
            if ctx.failed.len() <= self.shared.retries
                && route.upstream.has_untried_healthy(&ctx.failed)
            {
                e.set_retry(true);
            }
        }
        e
    }

    async fn upstream_request_filter(
        &self,
        _session: &mut Session,
        upstream: &mut RequestHeader,
        ctx: &mut Ctx,
    ) -> pingora::Result<()> {
        if let Some(uri) = ctx.forward_uri.clone() {
            upstream.set_uri(uri);
        }
        for name in net::hop_by_hop_headers(&upstream.headers) {
            upstream.remove_header(&name);
        }
        if let Some(protocol) = ctx.websocket.clone() {
            upstream.insert_header(http::header::UPGRADE, protocol)?;
            upstream.insert_header(http::header::CONNECTION, "upgrade")?;
        }
        let peer_trusted = ctx
            .peer
            .is_some_and(|p| client_ip::is_trusted(p, &self.shared.trusted));
        // Without a trusted proxy in front the client is the peer: its
        // address is written once for both headers.
        let peer_value = ctx.peer.map(net::ip_header_value);
        if let (Some(peer), Some(value)) = (ctx.peer, &peer_value) {
            let previous = peer_trusted
                .then(|| net::forwarded_for_list(&upstream.headers))
                .filter(|v| !v.trim().is_empty());
            match previous {
                Some(list) => {
                    upstream.insert_header("x-forwarded-for", format!("{list}, {peer}"))?
                }
                None => upstream.insert_header("x-forwarded-for", value.clone())?,
            }
        }
        if let Some(client) = ctx.client_ip {
            let value = match peer_value {
                Some(value) if ctx.peer == Some(client) => value,
                _ => net::ip_header_value(client),
            };
            upstream.insert_header("x-real-ip", value)?;
        }
        if !(peer_trusted && upstream.headers.contains_key(&X_FORWARDED_PROTO)) {
            upstream.insert_header("x-forwarded-proto", HeaderValue::from_static("http"))?;
        }
        if !upstream.headers.contains_key(&X_FORWARDED_HOST) {
            if let Some(host) = upstream.headers.get(http::header::HOST).cloned() {
                upstream.insert_header("x-forwarded-host", host)?;
            }
        }
        upstream.insert_header("x-request-id", ctx.request_id.clone())?;
        Ok(())
    }

    async fn response_filter(
        &self,
        _session: &mut Session,
        response: &mut ResponseHeader,
        ctx: &mut Ctx,
    ) -> pingora::Result<()> {
        let switched = (response.status == http::StatusCode::SWITCHING_PROTOCOLS)
            .then(|| response.headers.get(http::header::UPGRADE).cloned())
            .flatten()
            .filter(|_| ctx.websocket.is_some());
        for name in net::hop_by_hop_headers(&response.headers) {
            response.remove_header(&name);
        }
        if let Some(protocol) = switched {
            response.insert_header(http::header::UPGRADE, protocol)?;
            response.insert_header(http::header::CONNECTION, "upgrade")?;
        }
        response.insert_header("x-request-id", ctx.request_id.clone())?;
        Ok(())
    }

    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, ctx: &mut Ctx) -> FailToProxy {
        let (status, code, message) = Self::classify(e, ctx);
        if status > 0 && session.response_written().is_none() {
            session.set_keepalive(None);
            if let Err(write) = respond(session, ctx, status, code.code(), &message, &[]).await {
                tracing::debug!(error = %write, "could not send the error answer");
            }
        }
        FailToProxy {
            error_code: status,
            can_reuse_downstream: false,
        }
    }

    fn suppress_error_log(&self, _session: &Session, _ctx: &Ctx, _error: &Error) -> bool {
        // The access log below carries every failure with its request id.
        true
    }

    async fn logging(&self, session: &mut Session, e: Option<&Error>, ctx: &mut Ctx) {
        let status = ctx
            .refused
            .or_else(|| session.response_written().map(|r| r.status.as_u16()))
            .unwrap_or(0);
        let route = ctx.route.as_ref().map_or(ctx.label, |r| r.name.as_str());
        let upstream = ctx.route.as_ref().map_or("-", |r| r.upstream.name.as_str());
        let elapsed = ctx.start.elapsed();
        let metrics = &self.shared.metrics;
        let listener = self.listener.label();
        let seconds = elapsed.as_secs_f64();
        match &ctx.route {
            Some(r) => r
                .series(self.listener == Listener::Internal)
                .get_or_init(|| metrics.route_series(listener, &r.name))
                .observe(metrics, status, seconds),
            None => metrics.observe(listener, route, status, seconds),
        }
        let req = session.req_header();
        // Fields are only formatted when the access log is enabled.
        tracing::info!(
            target: "gateway::access",
            request_id = ctx.request_id.to_str().unwrap_or("-"),
            listener,
            client = %Dash(ctx.client_ip),
            method = %req.method,
            path = %req.uri.path(),
            route,
            upstream,
            replica = %Dash(ctx.current),
            attempts = ctx.attempts,
            status,
            duration_ms = %format_args!("{:.3}", elapsed.as_secs_f64() * 1000.0),
            error = %Dash(e),
            "request"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{HealthCheckKind, Settings};
    use crate::upstream::Upstream;
    use std::collections::HashMap;

    fn route(name: &str, prefix: &str, strip: bool, internal_only: bool) -> Arc<Route> {
        let settings = Settings::load_from(None, &HashMap::new()).expect("defaults");
        let upstream = Arc::new(Upstream::new(
            name,
            vec![("127.0.0.1".into(), 1)],
            HealthCheckKind::None,
            &settings.upstream,
        ));
        Arc::new(Route::new(
            name,
            prefix,
            false,
            strip,
            internal_only,
            "",
            upstream,
        ))
    }

    /// What `admit` did with `uri`, as text: the path the rate limit saw (`-`
    /// if it was not asked), then the answer's status (and `close`) or the
    /// route and the URI forwarded (`-` for the request's own).
    fn check(listener: Listener, uri: &str, declared: Option<u64>, limited: bool) -> String {
        let table = RouteTable::new(
            vec![
                route("inner", "/inner/", false, true),
                route("api", "/api/", true, false),
            ],
            Vec::new(),
            route("default", "/", false, false),
            None,
        );
        let limits = BodyLimits::new(5, &[]);
        let uri: http::Uri = uri.parse().expect("a request URI");
        let mut saw = None;
        let admission = admit(
            listener,
            &table,
            &limits,
            &http::Method::POST,
            &uri,
            declared,
            |path| {
                saw = Some(path.to_string());
                limited.then(|| Early {
                    label: "rate-limited",
                    status: 429,
                    code: 1001,
                    message: String::new(),
                    retry_after: None,
                    close: false,
                })
            },
        );
        let outcome = match admission.verdict.expect("no forwarding error") {
            Verdict::Answer(early) if early.close => format!("{} close", early.status),
            Verdict::Answer(early) => early.status.to_string(),
            Verdict::Proxy { route, forward_uri } => format!(
                "{} {}",
                route.name,
                forward_uri.map_or("-".to_string(), |u| u.to_string())
            ),
        };
        format!("{} → {outcome}", saw.as_deref().unwrap_or("-"))
    }

    #[test]
    fn admit_normalises_then_answers_or_routes_in_order() {
        use Listener::{Internal, Public};
        assert_eq!(check(Public, "*", None, false), "- → 400 close");
        assert_eq!(check(Public, "/healthz", Some(99), true), "- → 200");
        assert_eq!(check(Public, "/%69nner/x", None, true), "- → 404");
        assert_eq!(
            check(Internal, "/%69nner//x", None, false),
            "/inner/x → inner /inner/x"
        );
        assert_eq!(
            check(Public, "/api/count", Some(9), true),
            "/api/count → 429"
        );
        assert_eq!(
            check(Public, "/api/count", Some(9), false),
            "/api/count → 413"
        );
        assert_eq!(
            check(Public, "/api/./count?x=1", Some(5), false),
            "/api/count → api /count?x=1"
        );
        assert_eq!(
            check(Public, "/other?x=1", None, false),
            "/other → default -"
        );
    }
}
