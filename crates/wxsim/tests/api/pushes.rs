//! WeChat's pushes, received by a real HTTP receiver: encryption and
//! signatures, XML / JSON / Cloud Run styles, retries, the authorization flow,
//! user messages with passive replies, and the background ticket pusher.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support_component::{
    answer, errcode, open_push, push_fields, settings, start_pair, start_receiver, start_sim,
    Received, Responder,
};
use common::message::{
    ComponentEvent, ComponentEventKind, Message, MessageKind, PassiveReply, Reply,
};
use serde_json::{json, Value};
use wxsim::{SimSettings, WxSim};

#[tokio::test]
async fn ticket_push_is_encrypted_signed_xml_the_receiver_can_open() {
    let (sim, receiver) = start_pair().await;
    let answer = sim.post("/__sim/push/ticket", json!({})).await;
    assert_eq!(answer["push"]["delivered"], true, "{answer}");
    assert_eq!(answer["push"]["attempts"], 1);
    assert_eq!(answer["push"]["status"], 200);
    let ticket = answer["ticket"]["ticket"].as_str().expect("ticket");

    let pushes = receiver.all();
    assert_eq!(pushes.len(), 1);
    let push = &pushes[0];
    assert_eq!(push.path, "/wxcallback/component");
    assert!(push.headers["content-type"].starts_with("text/xml"));
    assert!(push.body.starts_with("<xml><AppId>"), "{}", push.body);
    let envelope = common::message::EncryptedEnvelope::parse(&push.body).expect("envelope");
    assert_eq!(
        envelope.app_id.as_deref(),
        Some(sim.settings.component_appid.as_str())
    );

    let plain = open_push(&sim.crypt(), push);
    assert!(plain.starts_with("<xml>"), "{plain}");
    let event = ComponentEvent::parse(&plain).expect("component event");
    assert_eq!(event.app_id, sim.settings.component_appid);
    assert_eq!(
        event.kind,
        ComponentEventKind::VerifyTicket {
            ticket: ticket.to_string()
        }
    );
    assert!((event.create_time - sim.state.now()).abs() < 5);

    // A tampered signature does not verify.
    let crypt = sim.crypt();
    assert!(crypt
        .open(
            "0000",
            push.q("timestamp"),
            push.q("nonce"),
            &envelope.encrypt
        )
        .is_err());
}

#[tokio::test]
async fn json_format_pushes_are_json_envelopes_of_json_messages() {
    let receiver = start_receiver(answer(200, "success")).await;
    let mut s = settings(&receiver.base_url);
    s.push_format = "json".into();
    let sim = start_sim(s).await;
    sim.push_ticket().await;
    let push = &receiver.all()[0];
    assert_eq!(push.headers["content-type"], "application/json");
    let envelope: Value = serde_json::from_str(&push.body).expect("JSON envelope");
    assert_eq!(envelope["AppId"], sim.settings.component_appid.as_str());
    assert!(envelope["Encrypt"].is_string());
    let plain = open_push(&sim.crypt(), push);
    let message: Value = serde_json::from_str(&plain).expect("JSON message");
    assert_eq!(message["InfoType"], "component_verify_ticket");
    assert!(message["CreateTime"].is_i64());
}

#[tokio::test]
async fn cloudrun_pushes_are_plain_json_with_x_wx_source() {
    let receiver = start_receiver(answer(200, "success")).await;
    let mut s = settings(&receiver.base_url);
    s.push_cloudrun = true;
    let sim = start_sim(s).await;
    let ticket = sim.push_ticket().await;
    let push = &receiver.all()[0];
    assert!(
        push.headers.contains_key("x-wx-source"),
        "{:?}",
        push.headers
    );
    assert!(!push.query.contains_key("msg_signature"));
    let message: Value = serde_json::from_str(&push.body).expect("plain JSON");
    assert_eq!(message["InfoType"], "component_verify_ticket");
    assert_eq!(message["ComponentVerifyTicket"], ticket.as_str());
    assert_eq!(message["AppId"], sim.settings.component_appid.as_str());
}

#[tokio::test]
async fn a_push_answered_500_twice_is_retried_until_200() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let responder: Responder = Arc::new(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if n < 2 {
                (500, "busy".to_string())
            } else {
                (200, "success".to_string())
            }
        })
    });
    let receiver = start_receiver(responder).await;
    let mut s = settings(&receiver.base_url);
    s.push_retries = 3;
    let sim = start_sim(s).await;
    let answer = sim.post("/__sim/push/ticket", json!({})).await;
    assert_eq!(answer["push"]["attempts"], 3, "{answer}");
    assert_eq!(answer["push"]["delivered"], true);
    assert_eq!(answer["push"]["attempt_log"][0]["status"], 500);
    let pushes = receiver.all();
    assert_eq!(pushes.len(), 3);
    assert!(
        pushes.iter().all(|p| p.body == pushes[0].body),
        "same push each time"
    );
}

#[tokio::test]
async fn an_unanswered_push_is_sent_one_plus_retries_times() {
    let responder: Responder = Arc::new(|_| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (200, "success".to_string())
        })
    });
    let receiver = start_receiver(responder).await;
    let mut s = settings(&receiver.base_url);
    s.push_timeout_ms = 300;
    s.push_retries = 2;
    let sim = start_sim(s).await;
    let answer = sim.post("/__sim/push/ticket", json!({})).await;
    let push = &answer["push"];
    assert_eq!(push["attempts"], 3, "{answer}");
    assert_eq!(push["delivered"], false);
    assert_eq!(push["error"], "timed out");
    assert!(push["elapsed_ms"].as_u64().unwrap_or(0) >= 900);
    receiver.wait_for(3, 5).await;

    // Nobody listening at all: the push fails, the simulator carries on.
    let mut s = settings("http://127.0.0.1:9");
    s.push_retries = 1;
    let lonely = start_sim(s).await;
    let answer = lonely.post("/__sim/push/ticket", json!({})).await;
    assert_eq!(answer["push"]["delivered"], false);
    assert_eq!(answer["push"]["attempts"], 2);
    // The ticket minted still counts, as WeChat's would.
    let ticket = answer["ticket"]["ticket"].as_str().expect("ticket");
    assert_eq!(errcode(&lonely.component_token_with(ticket).await), 0);
}

#[tokio::test]
async fn authorized_push_carries_a_code_api_query_auth_accepts() {
    let (sim, receiver) = start_pair().await;
    let token = sim.component_token().await;
    let pre_auth_code = sim.preauthcode(&token).await;
    let appid = "wxflowaccount01";
    let link = format!(
        "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid={}&pre_auth_code={}&redirect_uri={}&auth_type=3",
        sim.settings.component_appid,
        pre_auth_code,
        "https%3A%2F%2Fplatform.example.com%2Fauthorized%3Fbiz%3D42",
    );
    let outcome = sim
        .post(
            "/__sim/authorize",
            json!({"url": link, "authorizer_appid": appid}),
        )
        .await;
    assert_eq!(errcode(&outcome), 0, "{outcome}");
    assert_eq!(outcome["info_type"], "authorized");
    assert_eq!(outcome["push"]["delivered"], true);

    // The redirect keeps the URI's own query and adds auth_code and expires_in.
    let redirect =
        reqwest::Url::parse(outcome["redirect"].as_str().expect("redirect")).expect("url");
    assert_eq!(redirect.host_str(), Some("platform.example.com"));
    assert_eq!(redirect.path(), "/authorized");
    let query: std::collections::HashMap<String, String> =
        redirect.query_pairs().into_owned().collect();
    assert_eq!(query["biz"], "42");
    assert_eq!(
        query["auth_code"],
        outcome["auth_code"].as_str().expect("code")
    );
    assert_eq!(query["expires_in"], "3600");

    // The push (the second one: the first was the ticket).
    let pushes = receiver.all();
    let event = ComponentEvent::parse(&open_push(&sim.crypt(), pushes.last().expect("push")))
        .expect("event");
    let ComponentEventKind::Authorized(change) = event.kind else {
        panic!("expected authorized, got {:?}", event.kind);
    };
    assert_eq!(change.authorizer_appid, appid);
    assert_eq!(
        change.authorization_code,
        outcome["auth_code"].as_str().expect("code")
    );
    assert_eq!(
        change.pre_auth_code.as_deref(),
        Some(pre_auth_code.as_str())
    );
    assert!(change.authorization_code_expired_time > sim.state.now());

    let answer = sim.query_auth(&token, &change.authorization_code).await;
    assert_eq!(
        answer["authorization_info"]["authorizer_appid"], appid,
        "{answer}"
    );

    // The H5 link, for a mini program (auth_type 2), and a second
    // authorization of the same account is `updateauthorized`.
    for (expected, round) in [("authorized", 0), ("updateauthorized", 1)] {
        let code = sim.preauthcode(&token).await;
        let h5 = format!(
            "https://open.weixin.qq.com/wxaopen/safe/bindcomponent?action=bindcomponent&no_scan=1&component_appid={}&pre_auth_code={}&redirect_uri=https%3A%2F%2Fexample.com%2Fback&auth_type=2&biz_appid=wxflowminiprog1#wechat_redirect",
            sim.settings.component_appid, code
        );
        let outcome = sim.post("/__sim/authorize", json!({"url": h5})).await;
        assert_eq!(outcome["info_type"], expected, "round {round}: {outcome}");
        assert_eq!(outcome["authorizer_appid"], "wxflowminiprog1");
        assert_eq!(outcome["is_mini_program"], true);
        let event = ComponentEvent::parse(&open_push(
            &sim.crypt(),
            receiver.all().last().expect("push"),
        ))
        .expect("event");
        assert_eq!(event.info_type(), expected);
    }

    // A link for another platform, or for the wrong kind of account, is refused.
    let code = sim.preauthcode(&token).await;
    let foreign = format!(
        "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid=wxother&pre_auth_code={code}&redirect_uri=x"
    );
    let refused = sim
        .post(
            "/__sim/authorize",
            json!({"url": foreign, "authorizer_appid": "wxa"}),
        )
        .await;
    assert_eq!(errcode(&refused), 40013, "{refused}");
    let refused = sim
        .post(
            "/__sim/authorize",
            json!({"pre_auth_code": code, "authorizer_appid": "wxa", "is_mini_program": true, "auth_type": 1}),
        )
        .await;
    assert_ne!(errcode(&refused), 0, "{refused}");
}

#[tokio::test]
async fn unauthorized_push_after_the_account_revokes() {
    let (sim, receiver) = start_pair().await;
    let token = sim.component_token().await;
    let appid = "wxrevoking0001";
    sim.authorize(&token, appid, false).await;
    let outcome = sim
        .post("/__sim/unauthorize", json!({"authorizer_appid": appid}))
        .await;
    assert_eq!(outcome["push"]["delivered"], true, "{outcome}");
    let fields = push_fields(&sim.crypt(), receiver.all().last().expect("push"));
    assert_eq!(fields.get_str("InfoType").as_deref(), Some("unauthorized"));
    assert_eq!(fields.get_str("AuthorizerAppid").as_deref(), Some(appid));
    assert!(!sim
        .state
        .component
        .lock()
        .expect("lock")
        .is_authorized(appid));

    let again = sim
        .post("/__sim/unauthorize", json!({"authorizer_appid": appid}))
        .await;
    assert_eq!(errcode(&again), 61003, "{again}");
}

/// A platform that opens every biz push and answers a text reply echoing it,
/// encrypted.
fn echo_platform(settings: &SimSettings) -> Responder {
    let crypt = common::crypto::WxCrypt::new(
        &settings.token,
        &settings.encoding_aes_key,
        &settings.component_appid,
    )
    .expect("crypt");
    Arc::new(move |received: Received| {
        let crypt = crypt.clone();
        Box::pin(async move {
            if !received.path.starts_with("/wxcallback/biz/") {
                return (200, "success".to_string());
            }
            let plain = open_push(&crypt, &received);
            let message = Message::parse(&plain).expect("message");
            let content = match &message.kind {
                MessageKind::Text { content } => format!("echo: {content}"),
                MessageKind::Event { event, .. } => format!("event: {event}"),
                other => format!("got {other:?}"),
            };
            let reply = PassiveReply::answering(&message, Reply::Text { content }, 1);
            let sealed = crypt.seal(&reply.to_xml(), "1700000000", "12345");
            (200, sealed.to_xml())
        })
    })
}

#[tokio::test]
async fn message_pushes_go_to_the_biz_url_and_read_the_reply_back() {
    let defaults = settings("http://unused");
    let receiver = start_receiver(echo_platform(&defaults)).await;
    let sim = start_sim(settings(&receiver.base_url)).await;
    let appid = "wxmessages0001";

    // Only authorized accounts get messages.
    let refused = sim
        .post("/__sim/message", json!({"appid": appid, "content": "hi"}))
        .await;
    assert_eq!(errcode(&refused), 61003, "{refused}");

    let token = sim.component_token().await;
    sim.authorize(&token, appid, false).await;
    let outcome = sim
        .post(
            "/__sim/message",
            json!({"appid": appid, "msg_type": "text", "content": "hi", "from": "oUserOpenid123"}),
        )
        .await;
    assert_eq!(outcome["push"]["delivered"], true, "{outcome}");
    let reply = &outcome["push"]["reply"];
    assert_eq!(reply["kind"], "encrypted", "{outcome}");
    assert_eq!(reply["signature_valid"], true);
    assert_eq!(reply["msg_type"], "text");
    assert_eq!(reply["content"], "echo: hi");
    assert_eq!(reply["to_user_name"], "oUserOpenid123");

    let push = receiver.all().into_iter().last().expect("push");
    assert_eq!(push.path, format!("/wxcallback/biz/{appid}"));
    assert_eq!(push.q("openid"), "oUserOpenid123");
    let envelope = common::message::EncryptedEnvelope::parse(&push.body).expect("envelope");
    let original = wxsim::component_state::original_id(appid);
    assert_eq!(envelope.to_user_name.as_deref(), Some(original.as_str()));
    assert_eq!(reply["from_user_name"], original.as_str());

    // Every message type builds a message the common model accepts.
    for (msg_type, extra) in [
        ("image", json!({})),
        ("voice", json!({})),
        ("video", json!({})),
        ("location", json!({})),
        ("link", json!({})),
        ("event", json!({"event": "subscribe"})),
        ("event", json!({"event": "CLICK", "event_key": "MENU_1"})),
        ("event", json!({"event": "LOCATION"})),
    ] {
        let mut body = json!({"appid": appid, "msg_type": msg_type});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        let outcome = sim.post("/__sim/message", body).await;
        assert_eq!(outcome["push"]["delivered"], true, "{msg_type}: {outcome}");
        let plain = outcome["push"]["plaintext"].as_str().expect("plaintext");
        let message = Message::parse(plain).expect("message parses");
        assert_eq!(message.msg_type(), msg_type);
        assert!(
            outcome["push"]["reply"]["content"]
                .as_str()
                .is_some_and(|c| !c.starts_with("got Unknown")),
            "{outcome}"
        );
    }
}

#[tokio::test]
async fn plain_json_and_success_replies_are_read_too() {
    let platform: Responder = Arc::new(|received: Received| {
        Box::pin(async move {
            if received.path.starts_with("/wxcallback/biz/")
                && !received.query.contains_key("encrypt_type")
            {
                let message: Value = serde_json::from_str(&received.body).expect("plain JSON push");
                let reply = json!({
                    "ToUserName": message["FromUserName"],
                    "FromUserName": message["ToUserName"],
                    "CreateTime": 1,
                    "MsgType": "text",
                    "Content": "plain",
                });
                (200, reply.to_string())
            } else {
                (200, "success".to_string())
            }
        })
    });
    let receiver = start_receiver(platform).await;
    let sim = start_sim(settings(&receiver.base_url)).await;
    let appid = "wxplainjson001";
    sim.post("/__sim/auth-code", json!({"authorizer_appid": appid}))
        .await;

    let outcome = sim
        .post(
            "/__sim/message",
            json!({"appid": appid, "content": "x", "encrypted": false, "format": "json"}),
        )
        .await;
    let push = receiver.all().into_iter().last().expect("push");
    assert!(push.query.contains_key("signature"));
    assert_eq!(outcome["push"]["reply"]["kind"], "plain", "{outcome}");
    assert_eq!(outcome["push"]["reply"]["content"], "plain");

    let outcome = sim
        .post("/__sim/message", json!({"appid": appid, "content": "x"}))
        .await;
    assert_eq!(outcome["push"]["reply"]["kind"], "success", "{outcome}");

    let bad = sim
        .post(
            "/__sim/message",
            json!({"appid": appid, "msg_type": "hologram"}),
        )
        .await;
    assert_ne!(errcode(&bad), 0);

    // Extra fields override or extend the message; names must be plain.
    let outcome = sim
        .post(
            "/__sim/message",
            json!({"appid": appid, "format": "json", "fields": {"Content": "overridden", "Extra": 5}}),
        )
        .await;
    let push = receiver.all().into_iter().last().expect("push");
    let envelope: Value = serde_json::from_str(&push.body).expect("JSON envelope");
    assert_eq!(
        envelope["ToUserName"],
        wxsim::component_state::original_id(appid).as_str()
    );
    let message: Value = serde_json::from_str(&open_push(&sim.crypt(), &push)).expect("JSON");
    assert_eq!(message["Content"], "overridden", "{outcome}");
    assert_eq!(message["Extra"], 5);
    let bad = sim
        .post(
            "/__sim/message",
            json!({"appid": appid, "fields": {"a><b": 1}}),
        )
        .await;
    assert_eq!(errcode(&bad), 40097, "{bad}");

    let pushes = sim.get("/__sim/pushes").await;
    assert_eq!(pushes.as_array().map(Vec::len), Some(3), "{pushes}");
}

#[tokio::test]
async fn the_background_pusher_pushes_on_schedule_and_stops_with_the_server() {
    let receiver = start_receiver(answer(200, "success")).await;
    let mut s = settings(&receiver.base_url);
    s.ticket_interval_secs = 1;
    let sim = WxSim::start(s.clone()).await.expect("start");
    assert!(sim.ticket_pusher_running());
    let state = sim.state();
    let handle = sim.handle();
    let running = tokio::spawn(sim.run_until_stopped());

    // One at once, one a second later.
    let pushes = receiver.wait_for(2, 5).await;
    let crypt = common::crypto::WxCrypt::new(&s.token, &s.encoding_aes_key, &s.component_appid)
        .expect("crypt");
    let last = push_fields(&crypt, &pushes[1]);
    let ticket = last.get_str("ComponentVerifyTicket").expect("ticket");
    let now = state.now();
    assert!(state
        .component
        .lock()
        .expect("lock")
        .check_ticket(&ticket, now)
        .is_ok());

    handle.stop(true).await;
    running.await.expect("join").expect("server ran");
    let after_stop = receiver.count();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.count(),
        after_stop,
        "no pushes after the server stopped"
    );
}

#[tokio::test]
async fn the_redirect_appends_the_code_to_the_very_end_of_the_uri_as_given() {
    let (sim, _receiver) = start_pair().await;
    let token = sim.component_token().await;
    let cases = [
        // The official console's hash-routed page: its router reads the query
        // after `#/redirectPage`.
        ("https://host.example.com/#/redirectPage", "?"),
        ("https://host.example.com/cb", "?"),
        ("https://host.example.com/cb?biz=42", "&"),
        // A query before the fragment belongs to the page, not to the route.
        ("https://host.example.com/app?v=2#/redirectPage", "?"),
        ("https://host.example.com/#/redirectPage?from=console", "&"),
        ("https://host.example.com/cb?", ""),
        // Kept as given: no trailing slash added, nothing re-encoded.
        ("https://host.example.com", "?"),
    ];
    for (uri, separator) in cases {
        let code = sim.preauthcode(&token).await;
        let outcome = sim
            .post(
                "/__sim/authorize",
                json!({"pre_auth_code": code, "authorizer_appid": "wxredirect000001", "redirect_uri": uri}),
            )
            .await;
        assert_eq!(errcode(&outcome), 0, "{outcome}");
        let auth_code = outcome["auth_code"].as_str().expect("auth_code");
        assert!(auth_code.starts_with("queryauthcode@@@"), "{outcome}");
        assert_eq!(
            outcome["redirect"],
            format!("{uri}{separator}auth_code={auth_code}&expires_in=3600"),
            "{uri}"
        );
    }

    // Through a PC link whose redirect_uri is the console's page, percent-encoded.
    let code = sim.preauthcode(&token).await;
    let link = format!(
        "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid={}&pre_auth_code={code}&auth_type=6&redirect_uri=https%3A%2F%2Fhost.example.com%2F%23%2FredirectPage",
        sim.settings.component_appid
    );
    let outcome = sim
        .post(
            "/__sim/authorize",
            json!({"url": link, "authorizer_appid": "wxredirect000002"}),
        )
        .await;
    let redirect = outcome["redirect"].as_str().expect("redirect");
    let fragment = redirect
        .strip_prefix("https://host.example.com/#")
        .unwrap_or_else(|| panic!("the fragment is kept: {redirect}"));
    let (route, query) = fragment.split_once('?').expect("a query after the route");
    assert_eq!(route, "/redirectPage");
    let pairs: std::collections::HashMap<String, String> =
        reqwest::Url::parse(&format!("https://x/?{query}"))
            .expect("query")
            .query_pairs()
            .into_owned()
            .collect();
    assert_eq!(
        pairs["auth_code"],
        outcome["auth_code"].as_str().expect("code")
    );
    assert_eq!(pairs["expires_in"], "3600");
}
