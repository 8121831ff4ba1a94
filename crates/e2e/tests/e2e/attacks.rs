//! What an attacker or a careless operator could get out of the running
//! product: secrets in logs, error bodies or the console's pages; memory
//! spent on a huge body or an XML bomb.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use md5::{Digest, Md5};
use serde_json::{json, Value};

use crate::support::{
    sealed_biz_push, text_message, unix_now, Stack, ADMIN_PASSWORD, AES_KEY, API_TOKEN, APPID,
    AUTHORIZER_TOKEN_PATH, COMPONENT_SECRET, COMPONENT_TOKEN_PATH, INNER_TOKEN, TOKEN,
};

/// Collects the bodies of answers that are errors (HTTP ≥ 400 or an
/// envelope with a code other than 0), which must carry no secret.
#[derive(Default)]
struct Seen {
    error_bodies: Vec<String>,
}

impl Seen {
    async fn send(&mut self, request: reqwest::RequestBuilder) -> (u16, String) {
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        let failed_envelope = serde_json::from_str::<Value>(&body)
            .is_ok_and(|v| v.get("code").is_some_and(|c| c != 0));
        if status >= 400 || failed_envelope {
            self.error_bodies.push(body.clone());
        }
        (status, body)
    }

    /// Sends `request`, which must fail.
    async fn error(&mut self, request: reqwest::RequestBuilder) {
        let before = self.error_bodies.len();
        let (status, body) = self.send(request).await;
        assert_eq!(
            self.error_bodies.len(),
            before + 1,
            "not an error: HTTP {status} {body}"
        );
    }
}

/// Every string under a `refresh_token` key, and every issued token, in wxsim's state.
fn wechat_secrets(state: &Value, out: &mut Vec<String>) {
    match state {
        Value::Object(map) => {
            for (key, value) in map {
                if key.ends_with("refresh_token") {
                    if let Some(s) = value.as_str() {
                        out.push(s.to_string());
                    }
                }
                wechat_secrets(value, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| wechat_secrets(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_log_an_error_body_or_the_console_pages() {
    let stack = Stack::builder()
        .refreshing_soon()
        .env_all("RUST_LOG", "debug")
        // The AppSecret is set through the console, not pinned in the configuration.
        .env("admin", "WXC__WECHAT__COMPONENT_SECRET", "")
        .env("callback", "WXC__WECHAT__COMPONENT_SECRET", "")
        .env("business", "WXC__TOKENS__WECHAT_TIMEOUT_MS", "1000")
        .start()
        .await;
    let http = &stack.http;
    let gw = &stack.gateway;
    let mut seen = Seen::default();
    let md5_password = hex::encode(Md5::digest(ADMIN_PASSWORD.as_bytes()));

    // Logins that fail: a wrong password, the right one unhashed.
    for password in ["wrong-password", ADMIN_PASSWORD] {
        seen.error(
            http.put(format!("{gw}/wxcomponent/auth"))
                .json(&json!({"username": "admin", "password": password})),
        )
        .await;
    }
    let jwt = stack.login().await;
    let (_, set) = seen
        .send(
            http.post(format!("{gw}/wxcomponent/admin/secret"))
                .bearer_auth(&jwt)
                .json(&json!({"secret": COMPONENT_SECRET})),
        )
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(&set).expect("JSON")["code"],
        0,
        "{set}"
    );
    let (_, masked) = seen
        .send(
            http.get(format!("{gw}/wxcomponent/admin/secret"))
                .bearer_auth(&jwt),
        )
        .await;

    // The platform at work: ticket, authorization, tokens, the business
    // service managing the account, a user's message.
    stack.push_ticket().await;
    stack.authorize(&jwt, APPID).await;
    let (_, component) = stack.inner("/inner/component-access-token").await;
    let (_, authorizer) = stack
        .inner(&format!("/inner/authorizer-access-token?appid={APPID}"))
        .await;
    let menu_url = format!("{gw}/api/v0.1/cgi-bin/menu?appid={APPID}");
    let (status, created) = seen
        .send(
            http.post(&menu_url)
                .bearer_auth(API_TOKEN)
                .json(&json!({"button": [{"type": "click", "name": "今日", "key": "TODAY"}]})),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let message = stack
        .sim(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "你好"}),
        )
        .await;
    assert_eq!(message["push"]["delivered"], true, "{message}");

    // Errors: bad tokens, a forged JWT, a forged push, WeChat failing.
    seen.error(
        http.get(format!("{}/inner/component-access-token", stack.internal))
            .bearer_auth("not-the-inner-token"),
    )
    .await;
    seen.error(
        http.get(format!("{gw}/wxcomponent/admin/ticket"))
            .bearer_auth(format!("{jwt}x")),
    )
    .await;
    seen.error(
        http.get(format!(
            "{gw}/wxcomponent/admin/authorizer-access-token?appid=wxnotauthorized01"
        ))
        .bearer_auth(&jwt),
    )
    .await;
    seen.error(http.get(&menu_url).bearer_auth("not-the-api-token"))
        .await;
    seen.error(
        http.get(format!(
            "{gw}/api/v0.1/cgi-bin/menu?appid=wxnotauthorized01"
        ))
        .bearer_auth(API_TOKEN),
    )
    .await;
    let (url, body) = sealed_biz_push(gw, APPID, &text_message(APPID, 1, "forged"), "forged");
    seen.error(
        http.post(url.replace("msg_signature=", "msg_signature=0"))
            .body(body),
    )
    .await;
    for fault in [
        json!({"http_status": 500, "times": 1}),
        json!({"delay_ms": 3000, "times": 1}),
    ] {
        stack.wechat_fault("/cgi-bin/menu/get", &fault).await;
        seen.error(http.get(&menu_url).bearer_auth(API_TOKEN)).await;
    }
    // WeChat failing the token paths, whose requests carry the AppSecret,
    // the ticket, the component token and the refresh tokens: the
    // refresher's failures are logged, and nothing of those requests.
    for fault in [
        json!({"http_status": 503}),
        json!({"errcode": 45009, "errmsg": "reach max api daily quota limit"}),
    ] {
        let before = (
            stack.sim_calls(COMPONENT_TOKEN_PATH).await,
            stack.sim_calls(AUTHORIZER_TOKEN_PATH).await,
        );
        for path in [COMPONENT_TOKEN_PATH, AUTHORIZER_TOKEN_PATH] {
            stack.wechat_fault(path, &fault).await;
        }
        stack
            .eventually(
                &format!("a failed refresh on each token path under {fault}"),
                || async {
                    stack.sim_calls(COMPONENT_TOKEN_PATH).await > before.0
                        && stack.sim_calls(AUTHORIZER_TOKEN_PATH).await > before.1
                },
            )
            .await;
    }
    for path in [COMPONENT_TOKEN_PATH, AUTHORIZER_TOKEN_PATH] {
        stack.clear_wechat_fault(path).await;
    }

    // The console's pages, and what they load from the console's own paths.
    let mut pages = Vec::new();
    for path in ["/", "/wxcomponent/console"] {
        let (status, page) = seen.send(http.get(format!("{gw}{path}"))).await;
        assert_eq!(status, 200, "{path}");
        pages.push((path.to_string(), page));
    }
    let linked: Vec<String> = pages
        .iter()
        .flat_map(|(_, page)| {
            page.split('"')
                .filter(|s| s.starts_with("/wxcomponent/"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    for path in linked {
        let (_, page) = seen.send(http.get(format!("{gw}{path}"))).await;
        pages.push((path, page));
    }

    let mut secrets: Vec<(String, String)> = vec![
        ("the AppSecret".into(), COMPONENT_SECRET.into()),
        ("the EncodingAESKey".into(), AES_KEY.into()),
        ("the push token".into(), TOKEN.into()),
        ("the admin password".into(), ADMIN_PASSWORD.into()),
        ("the admin password's md5".into(), md5_password),
        ("the inner token".into(), INNER_TOKEN.into()),
        ("the business API token".into(), API_TOKEN.into()),
        ("the console JWT".into(), jwt.clone()),
        (
            "the console JWT's signature".into(),
            jwt.rsplit('.').next().expect("a JWT").to_string(),
        ),
        (
            "the component access token".into(),
            component["data"]["token"].as_str().expect("token").into(),
        ),
        (
            "the authorizer access token".into(),
            authorizer["data"]["token"].as_str().expect("token").into(),
        ),
    ];
    let state = stack
        .json(http.get(format!("{}/__sim/state", stack.sim)))
        .await;
    let mut issued = Vec::new();
    wechat_secrets(&state, &mut issued);
    for record in state["tokens"].as_array().expect("tokens") {
        issued.push(record["token"].as_str().expect("token").to_string());
    }
    assert!(
        issued.iter().any(|t| t.starts_with("refreshtoken")),
        "{state}"
    );
    secrets.extend(
        issued
            .into_iter()
            .map(|t| ("a token WeChat issued".into(), t)),
    );

    // wxsim plays WeChat, which holds these secrets: its log is not ours.
    let mut places: Vec<(String, String)> = stack
        .logs()
        .into_iter()
        .filter(|(name, _)| *name != "wxsim")
        .map(|(name, log)| (format!("the {name} log"), log))
        .collect();
    places.extend(
        seen.error_bodies
            .iter()
            .map(|b| ("an error body".to_string(), b.clone())),
    );
    places.push(("the masked secret answer".into(), masked));
    places.extend(
        pages
            .into_iter()
            .map(|(path, page)| (format!("the page {path}"), page)),
    );
    let mut leaks = Vec::new();
    for (what, secret) in &secrets {
        for (place, text) in &places {
            if let Some(at) = text.find(secret.as_str()) {
                let line = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                leaks.push(format!("{what} in {place}: {}", &text[line..end]));
            }
        }
    }
    let logged: usize = stack.logs().iter().map(|(_, l)| l.lines().count()).sum();
    eprintln!(
        "checked {} secrets in {logged} log lines, {} error bodies, {} pages",
        secrets.len(),
        seen.error_bodies.len(),
        places
            .iter()
            .filter(|(p, _)| p.starts_with("the page"))
            .count()
    );
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

/// 1 GiB: far above every body limit.
const HUGE: u64 = 1 << 30;

/// What became of a huge body.
#[derive(Debug)]
struct Outcome {
    sent: u64,
    status: Option<u16>,
}

/// Sends a 1 GiB POST body to `path` on `base` (`http://host:port`), framed
/// by Content-Length or chunked, stopping when the server answers or stops
/// taking it; the status it answered, if any.
fn send_huge(base: &str, path: &str, chunked: bool) -> Outcome {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {HUGE}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\n{framing}\r\n\r\n"
    );
    let chunk = vec![b'<'; 64 * 1024];
    let mut sent = 0;
    let mut failed = stream.write_all(head.as_bytes()).is_err();
    while !failed && sent < HUGE {
        let written = if chunked {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .and_then(|()| stream.write_all(&chunk))
                .and_then(|()| stream.write_all(b"\r\n"))
        } else {
            stream.write_all(&chunk)
        };
        match written {
            Ok(()) => sent += chunk.len() as u64,
            Err(_) => failed = true,
        }
        if !failed && answered(&stream) {
            break;
        }
    }
    if !failed && chunked {
        let _ = stream.write_all(b"0\r\n\r\n");
    }
    let mut answer = vec![0; 4096];
    let read = stream.read(&mut answer).unwrap_or(0);
    let status = std::str::from_utf8(&answer[..read])
        .ok()
        .and_then(|a| a.strip_prefix("HTTP/1.1 "))
        .and_then(|a| a.get(..3))
        .and_then(|s| s.parse().ok());
    Outcome { sent, status }
}

/// Whether the server has answered (or closed) already, without waiting.
fn answered(stream: &TcpStream) -> bool {
    let mut byte = [0; 1];
    stream.set_nonblocking(true).expect("nonblocking");
    let answered =
        !matches!(stream.peek(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    stream.set_nonblocking(false).expect("blocking");
    answered
}

/// A push's plaintext with a billion-laughs DTD: 10⁹ `lol`s if expanded.
fn billion_laughs(appid: &str) -> String {
    let mut dtd = String::from("<!ENTITY lol0 \"lol\">");
    for level in 1..10 {
        let refs = format!("&lol{};", level - 1).repeat(10);
        dtd.push_str(&format!("<!ENTITY lol{level} \"{refs}\">"));
    }
    format!(
        "<?xml version=\"1.0\"?><!DOCTYPE xml [{dtd}]><xml><ToUserName><![CDATA[gh_{appid}]]></ToUserName>\
         <FromUserName><![CDATA[attacker]]></FromUserName><CreateTime>{}</CreateTime>\
         <MsgType><![CDATA[text]]></MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>",
        unix_now()
    )
}

/// A push's plaintext nested `depth` elements deep.
fn deeply_nested(appid: &str, depth: usize) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_{appid}]]></ToUserName><FromUserName><![CDATA[attacker]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>{}{}</Content><MsgId>2</MsgId></xml>",
        unix_now(),
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_or_an_xml_bomb_costs_bounded_memory() {
    const BOMB_APPID: &str = "wxe2exmlbomb00001";
    const BOUND_KIB: u64 = 64 * 1024;
    let mut stack = Stack::start().await;
    let before = (
        stack.peak_rss_kib("callback"),
        stack.peak_rss_kib("gateway"),
    );
    let path = format!(
        "/wxcallback/biz/{BOMB_APPID}?timestamp=1&nonce=1&encrypt_type=aes&msg_signature=0"
    );

    for (base, chunked) in [
        (stack.callback.clone(), false),
        (stack.callback.clone(), true),
        (stack.gateway.clone(), false),
        (stack.gateway.clone(), true),
    ] {
        let path = path.clone();
        let target = base.clone();
        let outcome = tokio::task::spawn_blocking(move || send_huge(&target, &path, chunked))
            .await
            .expect("sender");
        eprintln!("1 GiB to {base} (chunked: {chunked}): {outcome:?}");
        assert!(
            matches!(outcome.status, Some(413) | None) && outcome.sent < HUGE,
            "refused with 413 (or cut off) before the body's end: {outcome:?}"
        );
    }

    let bombs = [
        billion_laughs(BOMB_APPID),
        deeply_nested(BOMB_APPID, 80_000),
    ];
    for (n, plaintext) in bombs.iter().enumerate() {
        let (url, body) =
            sealed_biz_push(&stack.gateway, BOMB_APPID, plaintext, &format!("bomb{n}"));
        let (status, answer) = stack.status_json(stack.http.post(url).body(body)).await;
        assert_eq!(status, 400, "bomb {n}: {answer}");
        assert_eq!(answer["code"], 1001, "bomb {n}: {answer}");
    }
    assert!(
        stack.stored_biz_bodies(BOMB_APPID).await.is_empty(),
        "nothing stored"
    );

    let after = (
        stack.peak_rss_kib("callback"),
        stack.peak_rss_kib("gateway"),
    );
    eprintln!("peak RSS KiB (callback, gateway): before {before:?}, after {after:?}");
    assert!(
        after.0 <= before.0 + BOUND_KIB && after.1 <= before.1 + BOUND_KIB,
        "peak RSS grew by more than {BOUND_KIB} KiB: before {before:?}, after {after:?}"
    );
    for name in ["callback", "gateway"] {
        stack.healthy(name).await;
    }
}
