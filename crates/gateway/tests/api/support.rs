//! Test doubles for the gateway suite: tiny std HTTP upstreams that say
//! which replica answered and echo what they received (and can play the
//! admin's `/inner/routes`), a raw HTTP client, and a gateway spawner.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gateway::settings::Settings;
use gateway::RunningGateway;
use serde_json::{json, Value};

/// How long eventual states may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// One request as an upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body_len: usize,
}

#[derive(Default)]
struct UpstreamState {
    healthy: bool,
    delay: Duration,
    routes: Option<(String, String)>,
    routes_status: u16,
    seen: Vec<Seen>,
}

/// A test upstream replica on 127.0.0.1, port 0.
pub struct TestUpstream {
    pub name: String,
    pub addr: SocketAddr,
    state: Arc<Mutex<UpstreamState>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestUpstream {
    pub fn start(name: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(UpstreamState {
            healthy: true,
            routes_status: 200,
            ..UpstreamState::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop, name) = (state.clone(), stop.clone(), name.to_string());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (state, name) = (state.clone(), name.clone());
                    std::thread::spawn(move || serve(conn, &name, &state));
                }
            })
        };
        Self {
            name: name.to_string(),
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops accepting and closes the port (connects are refused afterwards).
    pub fn kill(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    pub fn set_healthy(&self, healthy: bool) {
        self.state.lock().unwrap().healthy = healthy;
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// Serves `/inner/routes` with this `data` document and a new ETag.
    pub fn set_routes(&self, data: Value) {
        let mut s = self.state.lock().unwrap();
        let version = s.routes.as_ref().map_or(0, |(etag, _)| {
            etag.trim_matches('"')
                .trim_start_matches('v')
                .parse::<u32>()
                .unwrap_or(0)
        });
        let body = json!({"code": 0, "errorMsg": "OK", "data": data}).to_string();
        s.routes = Some((format!("\"v{}\"", version + 1), body));
    }

    /// Makes `/inner/routes` answer this status (500 = admin broken).
    pub fn set_routes_status(&self, status: u16) {
        self.state.lock().unwrap().routes_status = status;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn seen_on(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

impl Drop for TestUpstream {
    fn drop(&mut self) {
        self.kill();
    }
}

fn read_head(
    reader: &mut BufReader<TcpStream>,
) -> Option<(String, String, HashMap<String, String>)> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let key = k.trim().to_ascii_lowercase();
            let value = v.trim().to_string();
            headers
                .entry(key)
                .and_modify(|old: &mut String| {
                    old.push_str(", ");
                    old.push_str(&value);
                })
                .or_insert(value);
        }
    }
    Some((method, path, headers))
}

fn read_body(reader: &mut BufReader<TcpStream>, headers: &HashMap<String, String>) -> usize {
    if let Some(n) = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        let mut buf = vec![0; n];
        return reader.read_exact(&mut buf).map(|()| n).unwrap_or(0);
    }
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        let mut total = 0;
        loop {
            let mut size = String::new();
            if reader.read_line(&mut size).unwrap_or(0) == 0 {
                return total;
            }
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut buf = vec![0; n + 2];
            if reader.read_exact(&mut buf).is_err() {
                return total;
            }
            total += n;
            if n == 0 {
                return total;
            }
        }
    }
    0
}

fn serve(conn: TcpStream, name: &str, state: &Mutex<UpstreamState>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    let Some((method, path, headers)) = read_head(&mut reader) else {
        return;
    };
    if path == "/ws" && headers.get("upgrade").map(String::as_str) == Some("websocket") {
        state.lock().unwrap().seen.push(Seen {
            method,
            path,
            headers,
            body_len: 0,
        });
        tunnel_echo(reader, writer);
        return;
    }
    let body_len = read_body(&mut reader, &headers);
    let (status, extra, body) = {
        let mut s = state.lock().unwrap();
        if path == "/healthz" {
            let status = if s.healthy { 200 } else { 500 };
            (status, String::new(), json!({"replica": name}).to_string())
        } else if path == "/inner/routes" && s.routes.is_some() {
            s.seen.push(Seen {
                method,
                path,
                headers: headers.clone(),
                body_len,
            });
            let (etag, doc) = s.routes.clone().unwrap();
            if s.routes_status != 200 {
                (
                    s.routes_status,
                    String::new(),
                    "{\"broken\":true}".to_string(),
                )
            } else if headers.get("if-none-match") == Some(&etag) {
                (304, format!("ETag: {etag}\r\n"), String::new())
            } else {
                (200, format!("ETag: {etag}\r\n"), doc)
            }
        } else {
            let delay = s.delay;
            s.seen.push(Seen {
                method: method.clone(),
                path: path.clone(),
                headers: headers.clone(),
                body_len,
            });
            drop(s);
            std::thread::sleep(delay);
            let body = json!({
                "replica": name,
                "method": method,
                "path": path,
                "headers": headers,
                "bodyLen": body_len,
            })
            .to_string();
            (200, String::new(), body)
        }
    };
    let reason = match status {
        200 => "OK",
        304 => "Not Modified",
        _ => "Error",
    };
    let length = if status == 304 {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{length}{extra}Keep-Alive: timeout=5\r\nX-Upstream-Secret: hop\r\nConnection: close, X-Upstream-Secret\r\n\r\n{body}"
    );
    let _ = writer.write_all(response.as_bytes());
    let _ = writer.flush();
    let _ = writer.shutdown(Shutdown::Both);
}

/// Accepts a WebSocket handshake, then echoes every byte until the client
/// closes: the gateway must pass the tunnel through untouched.
fn tunnel_echo(mut reader: BufReader<TcpStream>, mut writer: TcpStream) {
    let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    if writer.write_all(head.as_bytes()).is_err() {
        return;
    }
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if writer.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The replica that answered (test upstreams only).
    pub fn replica(&self) -> String {
        self.json()["replica"].as_str().unwrap_or("?").to_string()
    }
}

/// Sends one request on a fresh connection (`Connection: close`).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut conn = TcpStream::connect(addr)?;
    conn.set_read_timeout(Some(Duration::from_secs(15)))?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        let framed = headers.iter().any(|(k, _)| {
            k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
        });
        if !framed {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes())?;
    conn.write_all(body)?;
    read_response(conn)
}

/// Reads a whole response from `conn`.
pub fn read_response(conn: TcpStream) -> std::io::Result<Resp> {
    let mut reader = BufReader::new(conn);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let mut body = Vec::new();
    if let Some(n) = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16).map_err(std::io::Error::other)?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if status != 304 && status != 204 {
        reader.read_to_end(&mut body)?;
    }
    Ok(Resp {
        status,
        headers,
        body,
    })
}

pub fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, &[], b"").unwrap()
}

/// Retries `probe` until it returns `Some` or the deadline passes.
pub fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

static LOG: Once = Once::new();

/// Settings for a test gateway: loopback listeners on port 0, fast health
/// checks and polls, one thread, short shutdown; `services` maps a service
/// name to its replicas, `extra` adds `WXC__GATEWAY__*` variables.
pub fn settings(services: &[(&str, Vec<SocketAddr>)], extra: &[(&str, &str)]) -> Settings {
    LOG.call_once(|| {
        common::telemetry::init(&common::config::LogSettings {
            level: std::env::var("GATEWAY_TEST_LOG").unwrap_or_else(|_| "error".into()),
            json: false,
        });
    });
    let mut env: HashMap<String, String> = [
        ("LISTEN", "127.0.0.1:0"),
        ("INTERNAL_LISTEN", "127.0.0.1:0"),
        ("METRICS_LISTEN", "127.0.0.1:0"),
        ("THREADS", "1"),
        ("GRACE_PERIOD_SECS", "0"),
        ("SHUTDOWN_TIMEOUT_SECS", "2"),
        ("UPSTREAM__HEALTH_CHECK_INTERVAL_MS", "100"),
        ("UPSTREAM__DISCOVERY_INTERVAL_MS", "200"),
        ("UPSTREAM__UNHEALTHY_AFTER", "1"),
        ("ADMIN_ROUTES__POLL_INTERVAL_MS", "100"),
        ("RATE_LIMIT__REQUESTS_PER_SEC", "0"),
        ("RATE_LIMIT__AUTH_REQUESTS_PER_MIN", "0"),
    ]
    .iter()
    .map(|(k, v)| (format!("WXC__GATEWAY__{k}"), v.to_string()))
    .collect();
    // Services a test does not give point at a closed port, never at a
    // real service another process may run on the default ports.
    for name in ["callback", "admin", "business"] {
        env.insert(
            format!(
                "WXC__GATEWAY__SERVICES__{}__ADDRESS",
                name.to_ascii_uppercase()
            ),
            "127.0.0.1:1".into(),
        );
    }
    if !services.iter().any(|(name, _)| *name == "admin") {
        env.insert("WXC__GATEWAY__ADMIN_ROUTES__SERVICE".into(), String::new());
    }
    for (name, addrs) in services {
        let list: Vec<String> = addrs.iter().map(SocketAddr::to_string).collect();
        env.insert(
            format!(
                "WXC__GATEWAY__SERVICES__{}__ADDRESS",
                name.to_ascii_uppercase()
            ),
            list.join(","),
        );
    }
    for (k, v) in extra {
        env.insert(format!("WXC__GATEWAY__{k}"), v.to_string());
    }
    Settings::load_from(None, &env).unwrap()
}

/// A chunked request body of `chunks` chunks of `size` bytes each.
pub fn chunked_body(chunks: usize, size: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for _ in 0..chunks {
        body.extend_from_slice(format!("{size:x}\r\n{}\r\n", "a".repeat(size)).as_bytes());
    }
    body.extend_from_slice(b"0\r\n\r\n");
    body
}

/// Builds and starts a gateway, waiting until it listens.
pub fn spawn(settings: Settings) -> RunningGateway {
    let gw = gateway::build(settings).unwrap().spawn();
    assert!(gw.wait_ready(DEADLINE), "gateway did not start listening");
    gw
}

/// The metrics page of a gateway.
pub fn metrics(gw: &RunningGateway) -> String {
    String::from_utf8(get(gw.metrics_addr.unwrap(), "/metrics").body).unwrap()
}
