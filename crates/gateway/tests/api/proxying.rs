//! The gateway end to end: a real pingora server on loopback ports in front
//! of std test upstreams (two replicas where it matters) and a fake admin.
//! Eventual states (health checks, route polls) are polled with a deadline;
//! nothing asserts timings.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crate::support::*;
use serde_json::json;

#[test]
fn requests_alternate_between_replicas() {
    let (a, b) = (TestUpstream::start("b1"), TestUpstream::start("b2"));
    let gw = spawn(settings(&[("business", vec![a.addr, b.addr])], &[]));
    let replicas: Vec<String> = (0..10)
        .map(|_| {
            let r = get(gw.public_addr, "/api/count");
            assert_eq!(r.status, 200);
            r.replica()
        })
        .collect();
    for pair in replicas.windows(2) {
        assert_ne!(pair[0], pair[1], "round-robin: {replicas:?}");
    }
    assert_eq!(replicas.iter().filter(|r| *r == "b1").count(), 5);
}

#[test]
fn a_killed_replica_gets_no_more_traffic_and_no_request_fails() {
    let mut a = TestUpstream::start("b1");
    let b = TestUpstream::start("b2");
    let gw = spawn(settings(&[("business", vec![a.addr, b.addr])], &[]));
    assert_eq!(get(gw.public_addr, "/x").status, 200);
    a.kill();
    // Before the health check notices, a refused connect is retried on the
    // other replica; after it, the dead one is never picked.
    for _ in 0..6 {
        let r = get(gw.public_addr, "/x");
        assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.replica(), "b2");
    }
    let dead = format!(
        "gateway_upstream_replica_healthy{{replica=\"{}\",upstream=\"business\"}} 0",
        a.addr
    );
    eventually("the health check marks b1 down", || {
        metrics(&gw).contains(&dead).then_some(())
    });
    let before = b.seen().len();
    for _ in 0..20 {
        let r = get(gw.public_addr, "/x");
        assert_eq!(r.status, 200);
        assert_eq!(r.replica(), "b2");
    }
    assert_eq!(b.seen().len(), before + 20);
    assert!(metrics(&gw).contains("gateway_upstream_connect_failures_total{upstream=\"business\"}"));
}

#[test]
fn operator_routes_change_without_restart_and_survive_an_admin_outage() {
    let admin = TestUpstream::start("admin");
    let business = TestUpstream::start("business");
    let shop = TestUpstream::start("shop");
    let adhoc = TestUpstream::start("adhoc");
    admin.set_routes(json!({"routes": [], "fallback": null}));
    let gw = spawn(settings(
        &[
            ("admin", vec![admin.addr]),
            ("business", vec![business.addr]),
            ("shop", vec![shop.addr]),
        ],
        &[("ADMIN_ROUTES__INNER_TOKEN", "t0ken")],
    ));
    assert_eq!(get(gw.public_addr, "/shop/items").replica(), "business");

    admin.set_routes(json!({"routes": [
        {"prefix": "/shop/", "upstream": "shop"},
        {"prefix": "/ext/", "upstream": format!("http://{}/base", adhoc.addr), "stripPrefix": true},
        // Saved before the admin refused https (no TLS here): skipped alone.
        {"prefix": "/off/", "upstream": "https://shop.example", "stripPrefix": false}
    ]}));
    eventually("the /shop/ rule applies", || {
        (get(gw.public_addr, "/shop/items").replica() == "shop").then_some(())
    });
    let ext = get(gw.public_addr, "/ext/a/b?q=1");
    assert_eq!(ext.replica(), "adhoc");
    assert_eq!(ext.json()["path"], "/base/a/b?q=1");
    assert_eq!(get(gw.public_addr, "/off/x").replica(), "business");

    // Polls carry the token and the ETag; unchanged tables cost a 304.
    let polls = admin.seen_on("/inner/routes");
    assert!(polls
        .iter()
        .all(|p| p.headers.get("authorization").map(String::as_str) == Some("Bearer t0ken")));
    eventually("a conditional poll", || {
        admin
            .seen_on("/inner/routes")
            .iter()
            .any(|p| p.headers.get("if-none-match").map(String::as_str) == Some("\"v2\""))
            .then_some(())
    });
    eventually("304s are counted", || {
        metrics(&gw)
            .contains("gateway_route_polls_total{result=\"unchanged\"}")
            .then_some(())
    });

    // The admin breaks: the last good table stays.
    admin.set_routes_status(500);
    admin.set_routes(json!({"routes": []}));
    eventually("a failed poll", || {
        metrics(&gw)
            .contains("gateway_route_polls_total{result=\"failed\"}")
            .then_some(())
    });
    assert_eq!(get(gw.public_addr, "/shop/items").replica(), "shop");

    // It recovers with a new table and a fallback for unmatched requests.
    admin.set_routes_status(200);
    admin.set_routes(json!({"routes": [], "fallback": format!("http://{}", adhoc.addr)}));
    eventually("the fallback applies", || {
        (get(gw.public_addr, "/shop/items").replica() == "adhoc").then_some(())
    });
}

#[test]
fn limits_and_failures_answer_json() {
    let business = TestUpstream::start("business");
    let sick = TestUpstream::start("sick");
    let slow = TestUpstream::start("slow");
    slow.set_delay(Duration::from_secs(3));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gw = spawn({
        let mut s = settings(
            &[
                ("business", vec![business.addr]),
                ("sick", vec![sick.addr]),
                ("down", vec![closed]),
                ("slow", vec![slow.addr]),
            ],
            &[
                ("MAX_BODY_BYTES", "1000"),
                ("UPSTREAM__READ_TIMEOUT_MS", "500"),
                ("SERVICES__DOWN__HEALTH_CHECK", "none"),
            ],
        );
        for (prefix, service) in [("/sick/", "sick"), ("/down/", "down"), ("/slow/", "slow")] {
            s.routes.push(gateway::settings::RouteSettings {
                name: service.into(),
                prefix: prefix.into(),
                service: service.into(),
                exact: false,
                strip_prefix: false,
                internal_only: false,
            });
        }
        s
    });
    let check = |r: &Resp, status: u16, code: i64| {
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.json()["code"],
            code,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(r.json()["errorMsg"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        assert!(r.header("x-request-id").is_some());
    };

    // 413: declared too large (refused before reading) and chunked too large.
    let r = request(
        gw.public_addr,
        "POST",
        "/api/x",
        &[("Content-Length", "5000")],
        b"",
    )
    .unwrap();
    check(&r, 413, 1001);
    let chunked = chunked_body(3, 600);
    let r = request(
        gw.public_addr,
        "POST",
        "/api/x",
        &[("Transfer-Encoding", "chunked")],
        &chunked,
    )
    .unwrap();
    check(&r, 413, 1001);
    let ok = request(gw.public_addr, "POST", "/api/x", &[], &[b'a'; 1000]).unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["bodyLen"], 1000);

    // 502: the only replica refuses connections.
    check(&get(gw.public_addr, "/down/x"), 502, 1002);
    // 503: the only replica fails its health check.
    sick.set_healthy(false);
    let r = eventually("sick is marked unhealthy", || {
        let r = get(gw.public_addr, "/sick/x");
        (r.status == 503).then_some(r)
    });
    check(&r, 503, 1002);
    // 504: the replica answers after the read timeout.
    check(&get(gw.public_addr, "/slow/x"), 504, 1002);
    // 400: a path that is not absolute.
    let r = request(gw.public_addr, "OPTIONS", "*", &[], b"").unwrap();
    assert_eq!(r.status, 400);
}

#[test]
fn rate_limits_answer_429_and_are_stricter_on_login() {
    let admin = TestUpstream::start("admin");
    let business = TestUpstream::start("business");
    let gw = spawn(settings(
        &[
            ("admin", vec![admin.addr]),
            ("business", vec![business.addr]),
        ],
        &[
            ("RATE_LIMIT__REQUESTS_PER_SEC", "0.01"),
            ("RATE_LIMIT__BURST", "5"),
            ("RATE_LIMIT__AUTH_REQUESTS_PER_MIN", "0.01"),
            ("RATE_LIMIT__AUTH_BURST", "2"),
            ("ADMIN_ROUTES__SERVICE", ""),
        ],
    ));
    let login =
        |body: &[u8]| request(gw.public_addr, "PUT", "/wxcomponent/auth", &[], body).unwrap();
    assert_eq!(login(b"{}").status, 200);
    assert_eq!(login(b"{}").status, 200);
    // The console's API: the refusal is an HTTP 200 envelope the console reads.
    let r = login(b"{}");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["code"], 1011);
    assert!(r.json()["data"].as_str().is_some_and(|d| d.contains("429")));
    assert!(r.header("retry-after").is_some());
    // The general budget (5) was charged by the two logins that passed.
    for _ in 0..3 {
        assert_eq!(get(gw.public_addr, "/api/x").status, 200);
    }
    let r = get(gw.public_addr, "/api/x");
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["code"], 1001);
    // The internal listener is not rate-limited.
    assert_eq!(get(gw.internal_addr.unwrap(), "/api/x").status, 200);
    assert!(
        metrics(&gw).contains("gateway_rate_limited_total{limit=\"auth\",listener=\"public\"} 1")
    );
}

#[test]
fn inner_is_404_on_the_public_listener_and_proxied_on_the_internal_one() {
    let admin = TestUpstream::start("admin");
    let business = TestUpstream::start("business");
    let gw = spawn(settings(
        &[
            ("admin", vec![admin.addr]),
            ("business", vec![business.addr]),
        ],
        &[("ADMIN_ROUTES__SERVICE", "")],
    ));
    for path in [
        "/inner/routes",
        "/inner",
        "/%69nner/ticket",
        "//inner/x",
        "/api/../inner/x",
    ] {
        let r = get(gw.public_addr, path);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["code"], 1001);
    }
    assert!(admin.seen().is_empty());
    let r = get(gw.internal_addr.unwrap(), "/inner/component-access-token");
    assert_eq!(r.status, 200);
    assert_eq!(r.replica(), "admin");
    // Static routes on both listeners; the console is exactly `/`.
    assert_eq!(
        get(gw.public_addr, "/wxcomponent/admin/ticket").replica(),
        "admin"
    );
    assert_eq!(get(gw.public_addr, "/").replica(), "admin");
    assert_eq!(get(gw.public_addr, "/index.css").replica(), "business");
    assert_eq!(
        get(gw.internal_addr.unwrap(), "/api/count").replica(),
        "business"
    );
    // The gateway's own health.
    let r = get(gw.public_addr, "/healthz");
    assert_eq!((r.status, r.json()["code"].clone()), (200, json!(0)));
}

#[test]
fn request_id_and_forwarded_headers_reach_the_upstream() {
    let business = TestUpstream::start("business");
    let gw = spawn(settings(&[("business", vec![business.addr])], &[]));

    let r = request(
        gw.public_addr,
        "GET",
        "/api/x?a=1",
        &[
            ("X-Request-Id", "abc-123"),
            ("X-Forwarded-For", "6.6.6.6"),
            ("Connection", "close, X-Drop"),
            ("X-Drop", "secret"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Authorization", "Basic x"),
        ],
        b"",
    )
    .unwrap();
    let seen = &r.json()["headers"];
    assert_eq!(seen["x-request-id"], "abc-123");
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    // The gateway is the edge: a client's X-Forwarded-For is not believed.
    assert_eq!(seen["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen["x-real-ip"], "127.0.0.1");
    assert_eq!(seen["x-forwarded-proto"], "http");
    assert_eq!(seen["x-forwarded-host"], "gateway.test");
    assert_eq!(seen["host"], "gateway.test");
    for hop in ["x-drop", "keep-alive", "proxy-authorization"] {
        assert!(seen.get(hop).is_none(), "{hop} was forwarded");
    }
    assert_eq!(r.json()["path"], "/api/x?a=1");
    // Hop-by-hop headers of the answer are stripped too.
    assert!(r.header("x-upstream-secret").is_none());
    assert!(r.header("keep-alive").is_none());

    // No id, or an unusable one: a fresh UUID, the same up- and downstream.
    for id in [None, Some("bad id with spaces")] {
        let headers: Vec<(&str, &str)> = id.map(|v| ("X-Request-Id", v)).into_iter().collect();
        let r = request(gw.public_addr, "GET", "/api/x", &headers, b"").unwrap();
        let sent = r.json()["headers"]["x-request-id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(sent.len(), 36, "{sent}");
        assert_eq!(r.header("x-request-id"), Some(sent.as_str()));
    }
    drop(gw);

    // Behind a trusted proxy the chain is kept and the client is its end.
    let gw = spawn(settings(
        &[("business", vec![business.addr])],
        &[("TRUSTED_PROXIES", "127.0.0.0/8")],
    ));
    let r = request(
        gw.public_addr,
        "GET",
        "/api",
        &[("X-Forwarded-For", "6.6.6.6")],
        b"",
    )
    .unwrap();
    let seen = &r.json()["headers"];
    assert_eq!(seen["x-forwarded-for"], "6.6.6.6, 127.0.0.1");
    assert_eq!(seen["x-real-ip"], "6.6.6.6");

    // Every line counts, as the admin counts it (common::client_ip): the
    // client wrote the first, a trusted proxy in front added the second, so
    // the client is 1.2.3.4, not the 6.6.6.6 it claims.
    let r = request(
        gw.public_addr,
        "GET",
        "/api",
        &[
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Forwarded-For", "1.2.3.4"),
        ],
        b"",
    )
    .unwrap();
    let seen = &r.json()["headers"];
    assert_eq!(seen["x-real-ip"], "1.2.3.4");
    assert_eq!(seen["x-forwarded-for"], "6.6.6.6, 1.2.3.4, 127.0.0.1");
}

#[test]
fn metrics_count_requests_by_route_and_status() {
    let business = TestUpstream::start("business");
    let gw = spawn(settings(&[("business", vec![business.addr])], &[]));
    for _ in 0..3 {
        assert_eq!(get(gw.public_addr, "/api/x").status, 200);
    }
    assert_eq!(get(gw.public_addr, "/inner/x").status, 404);
    // The access log and the counters are written once the answer is out:
    // wait for them rather than race them.
    let page = eventually("the requests are counted", || {
        let page = metrics(&gw);
        let counted = page.contains(
            "gateway_requests_total{listener=\"public\",route=\"default\",status=\"200\"} 3",
        ) && page.contains(
            "gateway_requests_total{listener=\"public\",route=\"inner-refused\",status=\"404\"} 1",
        );
        counted.then_some(page)
    });
    assert!(page
        .contains("gateway_request_duration_seconds_bucket{listener=\"public\",route=\"default\""));
    assert!(page.contains(&format!(
        "gateway_upstream_replica_healthy{{replica=\"{}\",upstream=\"business\"}} 1",
        business.addr
    )));
    assert!(page.contains("gateway_upstream_replicas{state=\"healthy\",upstream=\"business\"} 1"));
}

#[test]
fn the_metrics_page_is_only_on_the_metrics_listener() {
    let business = TestUpstream::start("business");
    let gw = spawn(settings(&[("business", vec![business.addr])], &[]));
    assert_eq!(get(gw.public_addr, "/api/x").status, 200);
    eventually("the request is counted", || {
        metrics(&gw)
            .contains("gateway_requests_total")
            .then_some(())
    });
    for listener in [Some(gw.public_addr), gw.internal_addr]
        .into_iter()
        .flatten()
    {
        for path in ["/metrics", "/metrics/", "/%6detrics", "//metrics"] {
            let r = get(listener, path);
            assert!(
                !String::from_utf8_lossy(&r.body).contains("gateway_requests_total"),
                "{path} on {listener} served the gateway's metrics"
            );
        }
    }
}

#[test]
fn shutdown_lets_the_request_in_flight_finish() {
    let business = TestUpstream::start("business");
    business.set_delay(Duration::from_millis(700));
    let gw = spawn(settings(
        &[("business", vec![business.addr])],
        &[("GRACE_PERIOD_SECS", "1"), ("SHUTDOWN_TIMEOUT_SECS", "5")],
    ));
    let addr = gw.public_addr;
    let in_flight = std::thread::spawn(move || request(addr, "GET", "/slow", &[], b""));
    eventually("the request reaches the upstream", || {
        (!business.seen_on("/slow").is_empty()).then_some(())
    });
    gw.shutdown();
    let r = in_flight.join().unwrap().unwrap();
    assert_eq!(r.status, 200);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still listening after shutdown"
    );
}

#[test]
fn websocket_handshakes_pass_through_and_the_tunnel_has_no_body_limit() {
    use std::io::{BufRead, BufReader, Read, Write};

    let business = TestUpstream::start("business");
    let gw = spawn(settings(
        &[("business", vec![business.addr])],
        &[
            ("MAX_BODY_BYTES", "1000"),
            ("UPSTREAM__READ_TIMEOUT_MS", "500"),
        ],
    ));
    let mut conn = std::net::TcpStream::connect(gw.public_addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(
        b"GET /ws HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
          Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 101"), "{status}");
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim_end().is_empty() {
            break;
        }
        head.push(line.trim_end().to_ascii_lowercase());
    }
    assert!(head.contains(&"upgrade: websocket".to_string()), "{head:?}");
    assert!(
        head.contains(&"connection: upgrade".to_string()),
        "{head:?}"
    );
    assert!(
        head.iter().any(|h| h.starts_with("x-request-id:")),
        "{head:?}"
    );

    let seen = business.seen_on("/ws");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].headers["upgrade"], "websocket");
    assert_eq!(
        seen[0].headers["connection"].to_ascii_lowercase(),
        "upgrade"
    );
    assert!(seen[0].headers.contains_key("sec-websocket-key"));

    // Far more than the 1000-byte body limit, and a pause longer than the
    // 500 ms upstream read timeout: the tunnel carries on.
    let sent: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    conn.write_all(&sent).unwrap();
    let mut echoed = vec![0u8; sent.len()];
    reader.read_exact(&mut echoed).unwrap();
    assert!(echoed == sent, "the tunnel changed the bytes");
    std::thread::sleep(Duration::from_millis(900));
    conn.write_all(b"still here").unwrap();
    let mut tail = [0u8; 10];
    reader.read_exact(&mut tail).unwrap();
    assert_eq!(&tail, b"still here");
}

#[test]
fn the_console_api_gets_every_refusal_as_http_200_with_the_envelope() {
    let admin = TestUpstream::start("admin");
    let gw = spawn({
        let mut s = settings(
            &[("admin", vec![admin.addr])],
            &[
                ("MAX_BODY_BYTES", "1000"),
                ("UPSTREAM__READ_TIMEOUT_MS", "500"),
                ("ADMIN_ROUTES__SERVICE", ""),
            ],
        );
        s.body_limits = vec![gateway::settings::BodyLimitSettings {
            path: "/wxcomponent/admin/upload-media".into(),
            method: "POST".into(),
            max_bytes: 4000,
        }];
        s
    });
    let refused = |r: &Resp, code: i64, status: &str| {
        let body = String::from_utf8_lossy(&r.body);
        assert_eq!(r.status, 200, "{body}");
        assert_eq!(r.json()["code"], code, "{body}");
        let data = r.json()["data"].as_str().map(str::to_string);
        assert!(
            data.is_some_and(|d| d.contains(status)),
            "the reason is in data: {body}"
        );
        assert!(r.header("x-request-id").is_some());
    };
    let post = |path: &str, headers: &[(&str, &str)], body: &[u8]| {
        request(gw.public_addr, "POST", path, headers, body).unwrap()
    };

    // Too large, declared or streamed: 1001.
    let r = post(
        "/wxcomponent/admin/callback-proxy-rule",
        &[("Content-Length", "5000")],
        b"",
    );
    refused(&r, 1001, "413");
    let chunked = chunked_body(3, 600);
    let r = post(
        "/wxcomponent/admin/callback-proxy-rule",
        &[("Transfer-Encoding", "chunked")],
        &chunked,
    );
    refused(&r, 1001, "413");

    // The media upload has its own, larger limit, on POST only.
    let r = post("/wxcomponent/admin/upload-media", &[], &[b'm'; 3000]);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["bodyLen"], 3000, "proxied to the admin");
    let r = post("/wxcomponent/admin/upload-media", &[], &[b'm'; 4001]);
    refused(&r, 1001, "4000 bytes");
    let r = request(
        gw.public_addr,
        "PUT",
        "/wxcomponent/admin/upload-media",
        &[],
        &[b'm'; 3000],
    )
    .unwrap();
    refused(&r, 1001, "1000 bytes");

    // The console's page and assets are loaded by the browser: real statuses.
    let r = post(
        "/wxcomponent/assets/app.js",
        &[("Content-Length", "5000")],
        b"",
    );
    assert_eq!(r.status, 413);

    // The admin times out, then has no healthy replica: 1002, reason readable.
    admin.set_delay(Duration::from_secs(3));
    let r = get(gw.public_addr, "/wxcomponent/admin/authorizer-list");
    refused(&r, 1002, "504");
    assert!(r.json()["data"].as_str().unwrap().contains("admin"));
    admin.set_delay(Duration::ZERO);
    admin.set_healthy(false);
    let r = eventually("the admin is marked unhealthy", || {
        let r = get(gw.public_addr, "/wxcomponent/admin/authorizer-list");
        (r.json()["code"] == 1002).then_some(r)
    });
    refused(&r, 1002, "503");
    assert!(r.json()["data"].as_str().unwrap().contains("admin"));

    // The log and the metrics keep the real statuses (counted once the
    // answer is out: wait for them rather than race them).
    for status in ["413", "503", "504"] {
        eventually(&format!("a {status} is counted"), || {
            metrics(&gw)
                .lines()
                .any(|l| {
                    l.starts_with("gateway_requests_total")
                        && l.contains(&format!("status=\"{status}\""))
                })
                .then_some(())
        });
    }
}

#[test]
fn the_console_api_rate_limit_answers_1011_as_http_200() {
    let admin = TestUpstream::start("admin");
    let gw = spawn(settings(
        &[("admin", vec![admin.addr])],
        &[
            ("RATE_LIMIT__REQUESTS_PER_SEC", "0.01"),
            ("RATE_LIMIT__BURST", "1"),
            ("ADMIN_ROUTES__SERVICE", ""),
        ],
    ));
    assert_eq!(get(gw.public_addr, "/wxcomponent/admin/x").status, 200);
    let r = get(gw.public_addr, "/wxcomponent/admin/x");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["code"], 1011);
    assert!(r.header("retry-after").is_some());
}

#[test]
fn wechat_pushes_meet_no_per_ip_limit_only_the_global_valve() {
    let callback = TestUpstream::start("callback");
    let business = TestUpstream::start("business");
    let per_ip = spawn(settings(
        &[
            ("callback", vec![callback.addr]),
            ("business", vec![business.addr]),
        ],
        &[
            ("RATE_LIMIT__REQUESTS_PER_SEC", "0.01"),
            ("RATE_LIMIT__BURST", "3"),
            ("RATE_LIMIT__CALLBACK_REQUESTS_PER_SEC", "0"),
        ],
    ));
    // Far more pushes from one address than its bucket holds: all through.
    for n in 0..300 {
        let path = if n % 2 == 0 {
            "/wxcallback/component".to_string()
        } else {
            format!("/wxcallback/biz/wx{n:015}")
        };
        let r = request(per_ip.public_addr, "POST", &path, &[], b"<xml/>").unwrap();
        assert_eq!(r.status, 200, "push {n} refused");
    }
    let proxied = callback
        .seen()
        .iter()
        .filter(|s| s.method == "POST")
        .count();
    assert_eq!(proxied, 300);
    // The same address's other requests still meet its bucket.
    for _ in 0..3 {
        assert_eq!(get(per_ip.public_addr, "/api/x").status, 200);
    }
    assert_eq!(get(per_ip.public_addr, "/api/x").status, 429);

    // The valve sheds what exceeds it with a 503 WeChat retries, and counts it.
    let valve = spawn(settings(
        &[("callback", vec![callback.addr])],
        &[
            ("RATE_LIMIT__REQUESTS_PER_SEC", "0"),
            ("RATE_LIMIT__CALLBACK_REQUESTS_PER_SEC", "0.01"),
            ("RATE_LIMIT__CALLBACK_BURST", "5"),
        ],
    ));
    for _ in 0..5 {
        let r = request(
            valve.public_addr,
            "POST",
            "/wxcallback/component",
            &[],
            b"<xml/>",
        )
        .unwrap();
        assert_eq!(r.status, 200);
    }
    let r = request(
        valve.public_addr,
        "POST",
        "/wxcallback/component",
        &[],
        b"<xml/>",
    )
    .unwrap();
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["code"], 1002);
    assert!(r.header("retry-after").is_some());
    assert!(metrics(&valve)
        .contains("gateway_rate_limited_total{limit=\"callback-global\",listener=\"public\"} 1"));
}
