//! The pingora `ProxyHttp` of both listeners: request checks, routing,
//! replica choice with retry, header rewriting, error answers, access log.
//!
//! Error policy (the `{code, errorMsg}` envelope of every service):
//! - 400 unreadable path, 404 `/inner/*` on the public listener, 413 body
//!   over `max_body_bytes`: code 1001;
//! - 429 rate limited: code 1011 on the login route, else 1001, with
//!   `Retry-After`;
//! - 502 every tried replica refused or failed, 503 no healthy replica (or
//!   none resolved), 504 an upstream timed out: code 1002.
//!
//! Every answer, proxied or not, carries `X-Request-Id`.
//!
//! A WebSocket handshake keeps its `Upgrade` and `Connection: upgrade` both
//! ways; once the upstream answers `101` the connection is a tunnel, exempt
//! from the body limit and the upstream read timeout.

use std::net::{IpAddr, SocketAddr as StdSocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::Bytes;
use common::envelope::{Envelope, ErrorCode};
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::upstreams::peer::HttpPeer;
use pingora::{Error, ErrorSource, ErrorType};

use crate::metrics::Metrics;
use crate::net::{self, Cidr};
use crate::ratelimit::RateLimiter;
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
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted: Vec<Cidr>,
    /// Largest request body.
    pub max_body: u64,
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
    request_id: String,
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
    too_large: bool,
    /// The `Upgrade` value of a WebSocket handshake.
    websocket: Option<http::HeaderValue>,
}

const LOGIN_PATH: &str = "/wxcomponent/auth";

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

/// A status code as label text without allocating (`0` when none was sent).
fn status_label(status: u16, buf: &mut [u8; 3]) -> &str {
    if status == 0 || status > 999 {
        return "0";
    }
    let digit = |n: u16| b'0' + u8::try_from(n % 10).unwrap_or(0);
    *buf = [digit(status / 100), digit(status / 10), digit(status)];
    std::str::from_utf8(buf).unwrap_or("0")
}

fn peer_ip(session: &Session) -> Option<IpAddr> {
    session
        .client_addr()
        .and_then(|a| a.as_inet())
        .map(|a| net::canonical(a.ip()))
}

fn has_body(req: &RequestHeader) -> bool {
    req.headers.contains_key(http::header::TRANSFER_ENCODING)
        || req
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}

/// Writes a gateway-made JSON answer.
async fn respond(
    session: &mut Session,
    request_id: &str,
    status: u16,
    code: i32,
    message: &str,
    extra: &[(&'static str, String)],
) -> pingora::Result<()> {
    let envelope = Envelope::<()> {
        code,
        error_msg: message.to_string(),
        data: None,
    };
    let body = serde_json::to_vec(&envelope).unwrap_or_default();
    let mut header = ResponseHeader::build(status, Some(4 + extra.len()))?;
    header.insert_header("content-type", "application/json; charset=utf-8")?;
    header.insert_header("content-length", body.len().to_string())?;
    header.insert_header("cache-control", "no-store")?;
    header.insert_header("x-request-id", request_id)?;
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
    fn classify(&self, e: &Error, ctx: &Ctx) -> (u16, ErrorCode, String) {
        if ctx.too_large {
            return (413, ErrorCode::InvalidParam, self.too_large_message());
        }
        match e.etype() {
            ErrorType::HTTPStatus(503) => (
                503,
                ErrorCode::SystemError,
                "系统错误: no healthy upstream replica (503)".into(),
            ),
            ErrorType::HTTPStatus(504) => (
                504,
                ErrorCode::SystemError,
                "系统错误: upstream timed out (504)".into(),
            ),
            ErrorType::HTTPStatus(code) if *code >= 500 => (
                *code,
                ErrorCode::SystemError,
                format!("系统错误: upstream unavailable ({code})"),
            ),
            ErrorType::HTTPStatus(code) => (
                *code,
                ErrorCode::InvalidParam,
                format!("bad request ({code})"),
            ),
            etype if *e.esource() == ErrorSource::Upstream && is_timeout(etype) => (
                504,
                ErrorCode::SystemError,
                "系统错误: upstream timed out (504)".into(),
            ),
            _ if *e.esource() == ErrorSource::Upstream => (
                502,
                ErrorCode::SystemError,
                "系统错误: upstream unavailable (502)".into(),
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

    fn too_large_message(&self) -> String {
        format!(
            "请求体过大: request body larger than {} bytes (413)",
            self.shared.max_body
        )
    }

    /// Rate limits of the public listener; `Some((code, wait))` when refused.
    fn rate_limited(
        &self,
        ip: IpAddr,
        method: &http::Method,
        path: &str,
        now: Instant,
    ) -> Option<(ErrorCode, &'static str, Duration)> {
        if method == http::Method::PUT && path == LOGIN_PATH {
            if let Some(Err(wait)) = self.shared.auth_limit.as_ref().map(|l| l.check(ip, now)) {
                return Some((ErrorCode::AuthErrExceedLimit, "auth", wait));
            }
        }
        if let Some(Err(wait)) = self.shared.limit.as_ref().map(|l| l.check(ip, now)) {
            return Some((ErrorCode::InvalidParam, "general", wait));
        }
        None
    }
}

#[async_trait]
impl ProxyHttp for GatewayProxy {
    type CTX = Ctx;

    fn new_ctx(&self) -> Ctx {
        Ctx {
            start: Instant::now(),
            request_id: String::new(),
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
            too_large: false,
            websocket: None,
        }
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> pingora::Result<bool> {
        let req = session.req_header();
        ctx.request_id = req
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| net::valid_request_id(v))
            .map_or_else(net::new_request_id, str::to_string);
        ctx.peer = peer_ip(session);
        let forwarded_for = session
            .req_header()
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        ctx.client_ip = ctx
            .peer
            .map(|p| net::client_ip(p, forwarded_for, &self.shared.trusted));

        let req = session.req_header();
        if net::is_websocket_upgrade(&req.method, &req.headers) {
            ctx.websocket = req.headers.get(http::header::UPGRADE).cloned();
        }
        let method = req.method.clone();
        let with_body = has_body(req);
        let query = req.uri.query().map(str::to_string);
        let raw_path = req.uri.path();
        let normalized = net::needs_normalizing(raw_path);
        let path = if normalized {
            net::normalize_path(raw_path)
        } else {
            Some(raw_path.to_string())
        };
        let Some(path) = path else {
            ctx.label = "invalid";
            session.set_keepalive(None);
            respond(
                session,
                &ctx.request_id,
                400,
                ErrorCode::InvalidParam.code(),
                "参数格式有误: bad request path (400)",
                &[],
            )
            .await?;
            return Ok(true);
        };
        // An early answer leaves the body unread: close the connection after it.
        let early = |session: &mut Session| {
            if with_body {
                session.set_keepalive(None);
            }
        };

        if path == "/healthz" {
            ctx.label = "healthz";
            early(session);
            respond(session, &ctx.request_id, 200, 0, "OK", &[]).await?;
            return Ok(true);
        }
        if self.listener == Listener::Public && (path == "/inner" || path.starts_with("/inner/")) {
            ctx.label = "inner-refused";
            early(session);
            respond(
                session,
                &ctx.request_id,
                404,
                ErrorCode::InvalidParam.code(),
                "not found (404)",
                &[],
            )
            .await?;
            return Ok(true);
        }
        if self.listener == Listener::Public {
            if let Some((code, limit, wait)) = ctx
                .client_ip
                .and_then(|ip| self.rate_limited(ip, &method, &path, ctx.start))
            {
                ctx.label = "rate-limited";
                early(session);
                self.shared
                    .metrics
                    .rate_limited
                    .with_label_values(&[self.listener.label(), limit])
                    .inc();
                let secs = wait.as_secs_f64().ceil().max(1.0);
                let message = if code == ErrorCode::AuthErrExceedLimit {
                    format!(
                        "{}: too many login attempts, retry in {secs} s (429)",
                        code.message()
                    )
                } else {
                    format!("请求过于频繁: too many requests, retry in {secs} s (429)")
                };
                respond(
                    session,
                    &ctx.request_id,
                    429,
                    code.code(),
                    &message,
                    &[("retry-after", format!("{secs}"))],
                )
                .await?;
                return Ok(true);
            }
        }
        let declared = session
            .req_header()
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.shared.max_body) {
            ctx.label = "too-large";
            early(session);
            ctx.too_large = true;
            let message = self.too_large_message();
            respond(
                session,
                &ctx.request_id,
                413,
                ErrorCode::InvalidParam.code(),
                &message,
                &[],
            )
            .await?;
            return Ok(true);
        }

        let table = self.shared.table.load();
        let route = Arc::clone(table.lookup(&path, self.listener == Listener::Internal));
        if normalized || route.rewrites() {
            let mut target = route.forward_path(&path);
            if let Some(q) = query {
                target.push('?');
                target.push_str(&q);
            }
            ctx.forward_uri = Some(target.parse::<http::Uri>().map_err(|e| {
                Error::because(ErrorType::HTTPStatus(400), "unparsable forwarded path", e)
            })?);
        }
        ctx.route = Some(route);
        Ok(false)
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
            if ctx.body_bytes > self.shared.max_body {
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
            .is_some_and(|p| self.shared.trusted.iter().any(|c| c.contains(p)));
        if let Some(peer) = ctx.peer {
            let previous = upstream
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .filter(|v| peer_trusted && !v.trim().is_empty())
                .map(str::to_string);
            let forwarded = match previous {
                Some(list) => format!("{list}, {peer}"),
                None => peer.to_string(),
            };
            upstream.insert_header("x-forwarded-for", forwarded)?;
        }
        if let Some(client) = ctx.client_ip {
            upstream.insert_header("x-real-ip", client.to_string())?;
        }
        if !(peer_trusted && upstream.headers.contains_key("x-forwarded-proto")) {
            upstream.insert_header("x-forwarded-proto", "http")?;
        }
        if !upstream.headers.contains_key("x-forwarded-host") {
            if let Some(host) = upstream.headers.get(http::header::HOST).cloned() {
                upstream.insert_header("x-forwarded-host", host)?;
            }
        }
        upstream.insert_header("x-request-id", ctx.request_id.as_str())?;
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
        response.insert_header("x-request-id", ctx.request_id.as_str())?;
        Ok(())
    }

    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, ctx: &mut Ctx) -> FailToProxy {
        let (status, code, message) = self.classify(e, ctx);
        if status > 0 && session.response_written().is_none() {
            session.set_keepalive(None);
            if let Err(write) =
                respond(session, &ctx.request_id, status, code.code(), &message, &[]).await
            {
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
        let status = session.response_written().map_or(0, |r| r.status.as_u16());
        let route = ctx.route.as_ref().map_or(ctx.label, |r| r.name.as_str());
        let upstream = ctx.route.as_ref().map_or("-", |r| r.upstream.name.as_str());
        let elapsed = ctx.start.elapsed();
        let metrics = &self.shared.metrics;
        let listener = self.listener.label();
        let mut buf = [0; 3];
        metrics
            .requests
            .with_label_values(&[listener, route, status_label(status, &mut buf)])
            .inc();
        metrics
            .latency
            .with_label_values(&[listener, route])
            .observe(elapsed.as_secs_f64());
        let req = session.req_header();
        // Fields are only formatted when the access log is enabled.
        tracing::info!(
            target: "gateway::access",
            request_id = %ctx.request_id,
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
