//! 消息与事件URL: verification, storage before acknowledgement, retries,
//! refusals, forward rules and their encrypted replies.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{Options, Stack};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::db::schema::{wxcallback_biz, wxcallback_rules};
use diesel::prelude::*;
use serde_json::{json, Value};

const APPID: &str = "wxbizaccount000001";

async fn biz_records(stack: &Stack) -> i64 {
    stack
        .db
        .run(|conn| Ok(wxcallback_biz::table.count().get_result(conn)?))
        .await
        .expect("query")
}

/// The first stored message: its `ToUserName` and body.
async fn first_record(stack: &Stack) -> (String, String) {
    stack
        .db
        .run(|conn| {
            Ok(wxcallback_biz::table
                .select((wxcallback_biz::tousername, wxcallback_biz::postbody))
                .first(conn)?)
        })
        .await
        .expect("the first record")
}

fn text_message(to: &str, from: &str, content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>",
        crate::support::now()
    )
}

async fn add_rule(stack: &Stack, msg_type: &str, event: &str, info: Value) {
    let (msg_type, event, info) = (msg_type.to_string(), event.to_string(), info.to_string());
    stack
        .db
        .run(move |conn| {
            diesel::insert_into(wxcallback_rules::table)
                .values((
                    wxcallback_rules::name.eq("test rule"),
                    wxcallback_rules::msgtype.eq(&msg_type),
                    wxcallback_rules::event.eq(&event),
                    wxcallback_rules::rule_type.eq(1),
                    wxcallback_rules::open.eq(1),
                    wxcallback_rules::info.eq(&info),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("insert rule");
}

/// A rule forwarding text messages to `business` at `/api/wx/message/$APPID$`.
async fn forward_text_to(stack: &Stack, business: &Business) {
    add_rule(
        stack,
        "text",
        "",
        json!({"url": business.url, "path": "/api/wx/message/$APPID$"}),
    )
    .await;
}

/// A business endpoint that records what it gets and answers `reply` after `delay`.
struct Business {
    url: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

async fn start_business(reply: &'static str, delay: Duration) -> Business {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&seen);
    let server = HttpServer::new(move || {
        let recorder = Arc::clone(&recorder);
        App::new().default_service(web::to(move |req: HttpRequest, body: String| {
            let recorder = Arc::clone(&recorder);
            async move {
                recorder
                    .lock()
                    .expect("lock")
                    .push((req.uri().to_string(), body));
                tokio::time::sleep(delay).await;
                HttpResponse::Ok().body(reply)
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind business");
    let url = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    Business { url, seen }
}

#[tokio::test]
async fn a_message_is_stored_and_answered_success() {
    let stack = Stack::start().await;
    stack.authorize(APPID).await;
    let outcome = stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "你好 🎉"}),
        )
        .await;
    assert_eq!(outcome["push"]["delivered"], true, "{outcome}");
    assert_eq!(outcome["push"]["body"], "success");
    assert_eq!(biz_records(&stack).await, 1);
    let (appid, msg_type, body): (String, String, String) = stack
        .db
        .run(|conn| {
            Ok(wxcallback_biz::table
                .select((
                    wxcallback_biz::appid,
                    wxcallback_biz::msgtype,
                    wxcallback_biz::postbody,
                ))
                .first(conn)?)
        })
        .await
        .expect("record");
    assert_eq!((appid.as_str(), msg_type.as_str()), (APPID, "text"));
    assert!(
        body.contains("你好 🎉"),
        "decrypted body stored intact: {body}"
    );
}

#[tokio::test]
async fn url_verification_echoes_plain_and_decrypts_encrypted_echostr() {
    let stack = Stack::start().await;
    let ts = crate::support::now().to_string();
    let signature = stack.crypt.url_signature(&ts, "123");
    let url = format!(
        "{}/wxcallback/biz/{APPID}?signature={signature}&timestamp={ts}&nonce=123&echostr=hello123",
        stack.callback_url
    );
    let answer = stack.client.get(url).send().await.expect("get");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.expect("body"), "hello123");

    let encrypted = stack.crypt.encrypt("challenge-456");
    let msg_signature = stack.crypt.msg_signature(&ts, "9", &encrypted);
    let url = reqwest::Url::parse_with_params(
        &format!("{}/wxcallback/component", stack.callback_url),
        &[
            ("msg_signature", msg_signature.as_str()),
            ("timestamp", ts.as_str()),
            ("nonce", "9"),
            ("echostr", encrypted.as_str()),
        ],
    )
    .expect("url");
    let answer = stack.client.get(url).send().await.expect("get");
    assert_eq!(answer.text().await.expect("body"), "challenge-456");

    let bad = format!(
        "{}/wxcallback/component?signature=0000&timestamp={ts}&nonce=123&echostr=x",
        stack.callback_url
    );
    assert_eq!(
        stack.client.get(bad).send().await.expect("get").status(),
        401
    );
}

#[tokio::test]
async fn a_bad_signature_is_refused_with_401_and_nothing_is_stored() {
    let stack = Stack::start().await;
    let (query, body) = stack.seal_push(&text_message("gh_1", "user1", "hi", 1), "gh_1");
    let forged = query.replace("msg_signature=", "msg_signature=0");
    let (status, answer) = stack
        .post(&format!("/wxcallback/biz/{APPID}{forged}"), body.clone())
        .await;
    assert_eq!(status, 401);
    let answer: Value = serde_json::from_str(&answer).expect("JSON error");
    assert_eq!(answer["code"], 1000);
    let no_params = stack.post(&format!("/wxcallback/biz/{APPID}"), body).await;
    assert_eq!(no_params.0, 401);
    assert_eq!(biz_records(&stack).await, 0);
}

#[tokio::test]
async fn undecryptable_or_malformed_pushes_are_400_with_a_clear_message() {
    let stack = Stack::start().await;
    let ts = crate::support::now().to_string();
    let post_encrypt = |encrypt: String| {
        let sig = stack.crypt.msg_signature(&ts, "1", &encrypt);
        let query = format!("?timestamp={ts}&nonce=1&encrypt_type=aes&msg_signature={sig}");
        let body = format!(
            "<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        );
        (query, body)
    };
    let other_platform = common::crypto::WxCrypt::new(
        &stack.sim_settings.token,
        &stack.sim_settings.encoding_aes_key,
        "wxsomeoneelse",
    )
    .expect("crypt");
    let cases = [
        ("not base64 !!!".to_string(), "decrypt"),
        (
            other_platform.encrypt(&text_message("gh", "u", "x", 2)),
            "receive",
        ),
        (
            stack
                .crypt
                .encrypt("<xml><ToUserName>gh</ToUserName></xml>"),
            "MsgType",
        ),
        (stack.crypt.encrypt("<xml><unclosed>"), "malformed"),
    ];
    for (encrypt, expected) in cases {
        let (query, body) = post_encrypt(encrypt);
        let (status, answer) = stack
            .post(&format!("/wxcallback/biz/{APPID}{query}"), body)
            .await;
        assert_eq!(status, 400, "{answer}");
        let answer: Value = serde_json::from_str(&answer).expect("JSON error");
        assert_eq!(answer["code"], 1001);
        let message = answer["errorMsg"].as_str().expect("message");
        assert!(
            message.to_lowercase().contains(&expected.to_lowercase()),
            "{message:?} should mention {expected:?}"
        );
    }
    let (status, _) = stack
        .post(
            &format!("/wxcallback/biz/{APPID}?timestamp={ts}&nonce=1"),
            "plain text",
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(biz_records(&stack).await, 0);
}

#[tokio::test]
async fn a_stale_timestamp_is_refused() {
    let stack = Stack::start().await;
    let ts = (crate::support::now() - 3600).to_string();
    let encrypt = stack.crypt.encrypt(&text_message("gh", "u", "late", 3));
    let sig = stack.crypt.msg_signature(&ts, "1", &encrypt);
    let query = format!("?timestamp={ts}&nonce=1&encrypt_type=aes&msg_signature={sig}");
    let body = format!("<xml><ToUserName>gh</ToUserName><Encrypt>{encrypt}</Encrypt></xml>");
    let (status, _) = stack
        .post(&format!("/wxcallback/biz/{APPID}{query}"), body)
        .await;
    assert_eq!(status, 401);
    assert_eq!(biz_records(&stack).await, 0);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let stack = Stack::start_with(Options {
        max_body_bytes: Some(4096),
        ..Default::default()
    })
    .await;
    let (query, body) = stack.seal_push(&text_message("gh", "u", &"长".repeat(3000), 4), "gh");
    let (status, answer) = stack
        .post(&format!("/wxcallback/biz/{APPID}{query}"), body)
        .await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(biz_records(&stack).await, 0);
}

/// Sends `head` and `first` of a body that claims to go on, then reads the
/// answer to the end of the connection; `None` if the connection stays open.
fn answer_to_an_unfinished_body(addr: &str, head: &str, first: &[u8]) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    // A guard against a receiver that keeps waiting for the rest, not a timing.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("head");
    // The receiver may answer and close before taking all of this.
    let _ = stream.write_all(first);
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_body_over_the_limit_is_not_read_to_its_end() {
    let stack = Stack::start_with(Options {
        max_body_bytes: Some(4096),
        ..Default::default()
    })
    .await;
    let path =
        format!("/wxcallback/biz/{APPID}?timestamp=1&nonce=1&encrypt_type=aes&msg_signature=0");
    let host = stack.callback_url.trim_start_matches("http://");
    // Declared too long: refused before any of the body is read.
    let declared = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml\r\nContent-Length: 1073741824\r\n\r\n"
    );
    // Chunked: refused once 4 KiB have come, and the rest is not waited for.
    let chunked = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let chunk = [
        format!("{:x}\r\n", 8192).into_bytes(),
        vec![b'<'; 8192],
        b"\r\n".to_vec(),
    ]
    .concat();
    for (name, head, first) in [
        ("declared", declared, b"<xml>".to_vec()),
        ("chunked", chunked, chunk),
    ] {
        let addr = host.to_string();
        let answer =
            tokio::task::spawn_blocking(move || answer_to_an_unfinished_body(&addr, &head, &first))
                .await
                .expect("sender")
                .unwrap_or_else(|| panic!("{name}: the connection was kept open for the rest"));
        assert!(answer.starts_with("HTTP/1.1 413"), "{name}: {answer}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{name}: {answer}"
        );
    }
    assert_eq!(biz_records(&stack).await, 0);
}

#[tokio::test]
async fn retries_are_stored_once_and_get_the_first_answer() {
    let stack = Stack::start().await;
    let (query, body) = stack.seal_push(&text_message("gh", "user9", "again", 77), "gh");
    let path = format!("/wxcallback/biz/{APPID}{query}");
    let first = stack.post(&path, body.clone()).await;
    let retries = futures::future::join_all((0..3).map(|_| stack.post(&path, body.clone()))).await;
    assert_eq!(first, (200, "success".to_string()));
    for retry in retries {
        assert_eq!(retry, first);
    }
    assert_eq!(biz_records(&stack).await, 1);
}

#[tokio::test]
async fn concurrent_deliveries_of_one_push_are_stored_once() {
    let stack = Stack::start().await;
    let (query, body) = stack.seal_push(&text_message("gh", "user8", "race", 78), "gh");
    let path = format!("/wxcallback/biz/{APPID}{query}");
    let answers = futures::future::join_all((0..4).map(|_| stack.post(&path, body.clone()))).await;
    for answer in answers {
        assert_eq!(answer, (200, "success".to_string()));
    }
    assert_eq!(biz_records(&stack).await, 1);
}

#[tokio::test]
async fn a_forward_rule_sends_the_message_and_its_reply_comes_back_encrypted() {
    let stack = Stack::start().await;
    stack.authorize(APPID).await;
    let business = start_business(
        "<xml><ToUserName><![CDATA[user]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[回复: ok]]></Content></xml>",
        Duration::ZERO,
    )
    .await;
    forward_text_to(&stack, &business).await;
    let outcome = stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "ping"}),
        )
        .await;
    let reply = &outcome["push"]["reply"];
    assert_eq!(reply["kind"], "encrypted", "{outcome}");
    assert_eq!(reply["signature_valid"], true, "{outcome}");
    assert!(reply.to_string().contains("回复: ok"), "{reply}");
    let seen = business.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, format!("/api/wx/message/{APPID}"));
    let forwarded: Value = serde_json::from_str(&seen[0].1).expect("forwarded as JSON");
    assert_eq!(forwarded["Content"], "ping");
    assert_eq!(forwarded["MsgType"], "text");
}

#[tokio::test]
async fn a_rule_added_later_applies_to_the_next_push() {
    let stack = Stack::start().await;
    stack.authorize(APPID).await;
    let business = start_business("success", Duration::ZERO).await;
    stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "before"}),
        )
        .await;
    add_rule(
        &stack,
        "text",
        "",
        json!({"url": business.url, "path": "/hook", "format": "xml"}),
    )
    .await;
    stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "after"}),
        )
        .await;
    let seen = business.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1, "only the push after the rule was forwarded");
    assert!(
        seen[0].1.starts_with("<xml>") && seen[0].1.contains("after"),
        "{}",
        seen[0].1
    );
}

#[tokio::test]
async fn a_failing_or_slow_target_still_gets_the_push_stored_and_success() {
    let stack = Stack::start_with(Options {
        forward_timeout_ms: 300,
        ..Default::default()
    })
    .await;
    stack.authorize(APPID).await;
    let slow = start_business("<xml><MsgType>text</MsgType></xml>", Duration::from_secs(2)).await;
    add_rule(
        &stack,
        "text",
        "",
        json!({"url": slow.url, "path": "/slow"}),
    )
    .await;
    add_rule(
        &stack,
        "image",
        "",
        json!({"port": 1, "path": "/nothing-listens"}),
    )
    .await;
    let text = stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "t"}),
        )
        .await;
    assert_eq!(text["push"]["body"], "success", "{text}");
    let image = stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "image"}),
        )
        .await;
    assert_eq!(image["push"]["body"], "success", "{image}");
    assert_eq!(biz_records(&stack).await, 2);
}

#[tokio::test]
async fn the_full_network_release_check_passes() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let report = stack.sim_post("/__sim/release-check", json!({})).await;
    assert_eq!(report["passed"], true, "{report:#}");
    for step in report["steps"].as_array().expect("steps") {
        assert_eq!(step["passed"], true, "{step:#}");
    }
}

#[tokio::test]
async fn release_answers_are_only_for_the_test_accounts() {
    let stack = Stack::start().await;
    stack.authorize(APPID).await;
    let outcome = stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "event", "event": "LOCATION"}),
        )
        .await;
    assert_eq!(outcome["push"]["body"], "success", "{outcome}");
}

#[tokio::test]
async fn cloud_run_pushes_are_refused_unless_enabled() {
    let stack = Stack::start().await;
    let body = json!({"ToUserName": "gh", "FromUserName": "u", "CreateTime": crate::support::now(), "MsgType": "text", "Content": "cr", "MsgId": 5});
    let refused = stack
        .client
        .post(format!("{}/wxcallback/biz/{APPID}", stack.callback_url))
        .header("x-wx-source", "wechat")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 401);
    assert_eq!(biz_records(&stack).await, 0);

    let cloudrun = Stack::start_with(Options {
        cloudrun_mode: true,
        ..Default::default()
    })
    .await;
    let accepted = cloudrun
        .client
        .post(format!("{}/wxcallback/biz/{APPID}", cloudrun.callback_url))
        .header("x-wx-source", "wechat")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(accepted.status(), 200);
    assert_eq!(accepted.text().await.expect("body"), "success");
    assert_eq!(biz_records(&cloudrun).await, 1);
    let probe = cloudrun
        .client
        .post(format!("{}/wxcallback/component", cloudrun.callback_url))
        .header("x-wx-source", "wechat")
        .json(&json!({"action": "CheckContainerPath"}))
        .send()
        .await
        .expect("post");
    assert_eq!(probe.text().await.expect("body"), "success");
}

#[tokio::test]
async fn storage_failure_answers_5xx_so_wechat_retries() {
    let stack = Stack::start().await;
    stack
        .db
        .run(|conn| {
            diesel::sql_query("DROP TABLE wxcallback_biz").execute(conn)?;
            Ok(())
        })
        .await
        .expect("drop table");
    let (query, body) = stack.seal_push(&text_message("gh", "u", "lost?", 99), "gh");
    let (status, answer) = stack
        .post(&format!("/wxcallback/biz/{APPID}{query}"), body)
        .await;
    assert_eq!(status, 503, "{answer}");
    assert_ne!(answer, "success");
}

#[tokio::test]
async fn healthz_answers_ok() {
    let stack = Stack::start().await;
    let answer = stack
        .client
        .get(format!("{}/healthz", stack.callback_url))
        .send()
        .await
        .expect("get");
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn plain_mode_pushes_are_verified_with_signature() {
    let stack = Stack::start().await;
    stack.authorize(APPID).await;
    let outcome = stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "plain", "encrypted": false}),
        )
        .await;
    assert_eq!(outcome["push"]["body"], "success", "{outcome}");
    let ts = crate::support::now().to_string();
    let (status, _) = stack
        .post(
            &format!("/wxcallback/biz/{APPID}?signature=bad&timestamp={ts}&nonce=1"),
            text_message("gh", "u", "forged", 11),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(biz_records(&stack).await, 1);
}

#[tokio::test]
async fn json_pushes_get_json_replies() {
    let stack = Stack::start_with(Options {
        push_format: "json",
        ..Default::default()
    })
    .await;
    stack.authorize(APPID).await;
    let business = start_business(
        r#"{"ToUserName":"u","FromUserName":"gh","CreateTime":1,"MsgType":"text","Content":"json ok"}"#,
        Duration::ZERO,
    )
    .await;
    add_rule(
        &stack,
        "text",
        "",
        json!({"url": business.url, "path": "/j"}),
    )
    .await;
    let outcome = stack
        .sim_post(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "hi"}),
        )
        .await;
    let reply = &outcome["push"]["reply"];
    assert_eq!(reply["kind"], "encrypted", "{outcome}");
    assert_eq!(reply["signature_valid"], true, "{outcome}");
    assert!(reply.to_string().contains("json ok"), "{reply}");
    assert!(
        outcome["push"]["body"]
            .as_str()
            .is_some_and(|b| b.starts_with('{')),
        "the envelope is JSON too: {outcome}"
    );
}

#[tokio::test]
async fn a_burst_is_stored_once_per_push_and_every_push_gets_its_own_answer() {
    let stack = Stack::start().await;
    let business = start_business(
        "<xml><ToUserName><![CDATA[user]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[clicked]]></Content></xml>",
        Duration::ZERO,
    )
    .await;
    add_rule(
        &stack,
        "event",
        "CLICK",
        json!({"url": business.url, "path": "/hook", "format": "xml"}),
    )
    .await;
    let click = |n: u64| {
        format!(
            "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[clicker{n}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[k{n}]]></EventKey></xml>",
            crate::support::now()
        )
    };
    // 150 texts no rule forwards, 30 forwarded clicks, and every push twice,
    // all at once: the writers batch whatever arrives together.
    let mut pushes: Vec<(String, String, bool)> = (0..150)
        .map(|n| {
            let (query, body) =
                stack.seal_push(&text_message("gh", &format!("u{n}"), "hi", 1000 + n), "gh");
            (format!("/wxcallback/biz/{APPID}{query}"), body, false)
        })
        .collect();
    pushes.extend((0..30).map(|n| {
        let (query, body) = stack.seal_push(&click(n), "gh");
        (format!("/wxcallback/biz/{APPID}{query}"), body, true)
    }));
    let sends = pushes
        .iter()
        .chain(pushes.iter())
        .map(|(path, body, _)| stack.post(path, body.clone()));
    let answers = futures::future::join_all(sends).await;
    let (first, again) = answers.split_at(pushes.len());
    for ((answer, retry), (_, _, forwarded)) in first.iter().zip(again).zip(&pushes) {
        assert_eq!(answer.0, 200, "{answer:?}");
        if *forwarded {
            assert!(
                answer.1.contains("<Encrypt>"),
                "a forwarded click gets the sealed reply: {answer:?}"
            );
        } else {
            assert_eq!(answer.1, "success");
        }
        // A delivery and its retry: one of them is the first; both answer alike.
        assert_eq!(retry.0, 200, "{retry:?}");
        assert_eq!(
            retry.1.contains("<Encrypt>"),
            answer.1.contains("<Encrypt>"),
            "{answer:?} vs {retry:?}"
        );
    }
    assert_eq!(biz_records(&stack).await, 180);
    assert_eq!(
        business.seen.lock().expect("lock").len(),
        30,
        "each click forwarded once"
    );
    let remembered: i64 = stack
        .db
        .run(|conn| {
            use common::db::schema::wxcallback_dedup;
            Ok(wxcallback_dedup::table
                .filter(wxcallback_dedup::response.is_not_null())
                .count()
                .get_result(conn)?)
        })
        .await
        .expect("count");
    assert_eq!(
        remembered, 180,
        "every answer is remembered for later retries"
    );
}

#[tokio::test]
async fn a_push_the_database_refuses_fails_alone_in_its_batch() {
    let stack = Stack::start().await;
    // A trigger makes the database refuse one row, as a constraint or a full
    // disk would; the others of the burst are stored.
    let backend = stack.db.backend();
    stack
        .db
        .run(move |conn| {
            let trigger = match backend {
                common::db::Backend::Mysql => {
                    "CREATE TRIGGER refuse_marked BEFORE INSERT ON wxcallback_biz FOR EACH ROW \
                     IF NEW.postbody LIKE '%REFUSE-ME%' THEN \
                     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF"
                }
                common::db::Backend::Sqlite => {
                    "CREATE TRIGGER refuse_marked BEFORE INSERT ON wxcallback_biz \
                     WHEN NEW.postbody LIKE '%REFUSE-ME%' \
                     BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                }
            };
            diesel::sql_query(trigger).execute(conn)?;
            Ok(())
        })
        .await
        .expect("create the trigger");
    let (bad_query, bad_body) = stack.seal_push(&text_message("gh", "bad", "REFUSE-ME", 1), "gh");
    let bad_path = format!("/wxcallback/biz/{APPID}{bad_query}");
    let good: Vec<(String, String)> = (0..60)
        .map(|n| {
            let (query, body) =
                stack.seal_push(&text_message("gh", &format!("g{n}"), "ok", 2000 + n), "gh");
            (format!("/wxcallback/biz/{APPID}{query}"), body)
        })
        .collect();
    let sends = good
        .iter()
        .map(|(path, body)| stack.post(path, body.clone()))
        .chain(std::iter::once(stack.post(&bad_path, bad_body.clone())));
    let answers = futures::future::join_all(sends).await;
    let (bad, good_answers) = answers.split_last().expect("answers");
    for answer in good_answers {
        assert_eq!(answer, &(200, "success".to_string()));
    }
    assert_eq!(bad.0, 503, "the refused push is not acknowledged: {bad:?}");
    assert_eq!(biz_records(&stack).await, 60);
}

#[tokio::test]
async fn quotes_backslashes_and_emoji_are_stored_byte_for_byte() {
    let stack = Stack::start().await;
    let content = r#"it's a \ "quote" \' 🎉 '); DROP TABLE wxcallback_biz; -- 你好"#;
    let plaintext = text_message("gh_quote", "o'quote\\", content, 4242);
    let (query, body) = stack.seal_push(&plaintext, "gh_quote");
    let answer = stack
        .post(&format!("/wxcallback/biz/{APPID}{query}"), body)
        .await;
    assert_eq!(answer, (200, "success".to_string()));
    let (to, stored) = first_record(&stack).await;
    assert_eq!(to, "gh_quote");
    assert_eq!(stored, plaintext, "the decrypted body is stored exactly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_are_stored_while_another_service_writes_the_same_database() {
    let stack = Stack::start().await;
    // The admin's kind of traffic: short write transactions on another
    // connection, all the time the burst lasts.
    let writing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (db, writing) = (stack.db.clone(), Arc::clone(&writing));
        tokio::spawn(async move {
            let mut n = 0;
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                db.run(move |conn| {
                    diesel::insert_into(common::db::schema::comm::table)
                        .values((
                            common::db::schema::comm::key.eq(format!("busy-{n}")),
                            common::db::schema::comm::value.eq("x"),
                        ))
                        .execute(conn)?;
                    Ok(())
                })
                .await
                .expect("the other writer's insert");
            }
        })
    };
    let pushes: Vec<(String, String)> = (0..300)
        .map(|n| {
            let (query, body) =
                stack.seal_push(&text_message("gh", &format!("w{n}"), "hi", 5000 + n), "gh");
            (format!("/wxcallback/biz/{APPID}{query}"), body)
        })
        .collect();
    let answers = futures::future::join_all(
        pushes
            .iter()
            .map(|(path, body)| stack.post(path, body.clone())),
    )
    .await;
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    writer.await.expect("the other writer");
    for answer in &answers {
        assert_eq!(answer, &(200, "success".to_string()));
    }
    assert_eq!(biz_records(&stack).await, 300);
}

#[tokio::test]
async fn forged_stale_and_replayed_pushes_are_never_forwarded_twice_or_at_all() {
    let stack = Stack::start().await;
    stack.authorize(APPID).await;
    let business = start_business("success", Duration::ZERO).await;
    forward_text_to(&stack, &business).await;

    // Forged: a valid envelope under a signature made with another token.
    let (query, body) = stack.seal_push(&text_message("gh", "u", "forged", 501), "gh");
    let forged_query = query.replace("msg_signature=", "msg_signature=0");
    let forged = stack
        .post(&format!("/wxcallback/biz/{APPID}{forged_query}"), body)
        .await;
    assert_eq!(forged.0, 401, "{forged:?}");

    // Stale: correctly signed, but an hour old.
    let ts = (crate::support::now() - 3600).to_string();
    let encrypt = stack.crypt.encrypt(&text_message("gh", "u", "stale", 502));
    let sig = stack.crypt.msg_signature(&ts, "7", &encrypt);
    let stale = stack
        .post(
            &format!("/wxcallback/biz/{APPID}?timestamp={ts}&nonce=7&encrypt_type=aes&msg_signature={sig}"),
            format!("<xml><ToUserName>gh</ToUserName><Encrypt>{encrypt}</Encrypt></xml>"),
        )
        .await;
    assert_eq!(stale.0, 401, "{stale:?}");
    assert_eq!(biz_records(&stack).await, 0, "nothing refused is stored");

    // Replayed: the same nonce, timestamp and signature over the same body, five times.
    let (query, body) = stack.seal_push(&text_message("gh", "u", "once", 503), "gh");
    let path = format!("/wxcallback/biz/{APPID}{query}");
    let first = stack.post(&path, body.clone()).await;
    assert_eq!(first, (200, "success".to_string()));
    for _ in 0..5 {
        assert_eq!(stack.post(&path, body.clone()).await, first);
    }
    assert_eq!(biz_records(&stack).await, 1, "a replay is stored once");
    let seen = business.seen.lock().expect("lock").clone();
    assert_eq!(
        seen.len(),
        1,
        "forwarded once, never for the forgeries: {seen:?}"
    );
    let forwarded: Value = serde_json::from_str(&seen[0].1).expect("forwarded as JSON");
    assert_eq!(forwarded["Content"], "once");
}

#[tokio::test]
async fn over_long_identifiers_are_400_and_long_bodies_are_stored_whole() {
    let stack = Stack::start().await;
    let long = "x".repeat(common::message::MAX_IDENTIFIER_CHARS + 1);
    let at_limit = "y".repeat(common::message::MAX_IDENTIFIER_CHARS);
    let now = crate::support::now();
    let refused = [
        ("ToUserName", text_message(&long, "u", "hi", 601)),
        (
            "MsgType",
            format!("<xml><ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>{now}</CreateTime><MsgType>{long}</MsgType><MsgId>602</MsgId></xml>"),
        ),
        (
            "Event",
            format!("<xml><ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>{now}</CreateTime><MsgType>event</MsgType><Event>{long}</Event></xml>"),
        ),
        (
            "ToUserName",
            text_message(&"长".repeat(common::message::MAX_IDENTIFIER_CHARS + 1), "u", "hi", 603),
        ),
    ];
    for (field, plaintext) in refused {
        let (query, body) = stack.seal_push(&plaintext, "gh");
        let (status, answer) = stack
            .post(&format!("/wxcallback/biz/{APPID}{query}"), body)
            .await;
        assert_eq!(status, 400, "{field}: {answer}");
        assert!(answer.contains(field), "{answer} should name {field}");
    }
    assert_eq!(biz_records(&stack).await, 0, "nothing refused is stored");

    // At the limit, and a body far over 64 KiB (MySQL's TEXT): stored whole.
    let content = "长".repeat(100_000);
    let (query, body) = stack.seal_push(&text_message(&at_limit, "u", &content, 604), "gh");
    let (status, answer) = stack
        .post(&format!("/wxcallback/biz/{APPID}{query}"), body)
        .await;
    assert_eq!((status, answer.as_str()), (200, "success"));
    let stored = first_record(&stack).await;
    assert_eq!(stored.0, at_limit);
    assert!(
        stored.1.contains(&content),
        "the body is stored whole ({} bytes)",
        stored.1.len()
    );
}
