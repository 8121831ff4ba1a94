//! The full-network-release check against in-test platforms: one that
//! implements it correctly (answering passively, and for `QUERY_AUTH_CODE`
//! calling the simulator's real `api_query_auth` and `custom/send`), and ones
//! that get a step wrong.

use std::sync::{Arc, Mutex};

use crate::support_component::{settings, start_receiver, start_sim, Received, Responder, Sim};
use common::crypto::WxCrypt;
use common::message::{
    ComponentEvent, ComponentEventKind, Message, MessageKind, PassiveReply, Reply,
};
use serde_json::{json, Value};
use wxsim::release_check::{self, ReleaseCheckRequest};
use wxsim::SimSettings;

/// How the in-test platform behaves.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    Correct,
    /// Wrong text reply, a passive reply to QUERY_AUTH_CODE, right event reply.
    WrongReplies,
    /// Right passive replies but never calls the API for QUERY_AUTH_CODE.
    NoApiCall,
    /// Plaintext (unencrypted) replies in safe mode.
    Unencrypted,
}

/// The platform under test: keeps the ticket WeChat pushes, answers the biz URL.
struct Platform {
    settings: SimSettings,
    crypt: WxCrypt,
    sim_url: Mutex<Option<String>>,
    ticket: Mutex<Option<String>>,
    behaviour: Behaviour,
}

impl Platform {
    fn new(settings: SimSettings, behaviour: Behaviour) -> Arc<Self> {
        let crypt = WxCrypt::new(
            &settings.token,
            &settings.encoding_aes_key,
            &settings.component_appid,
        )
        .expect("crypt");
        Arc::new(Self {
            settings,
            crypt,
            sim_url: Mutex::new(None),
            ticket: Mutex::new(None),
            behaviour,
        })
    }

    fn responder(self: &Arc<Self>) -> Responder {
        let platform = self.clone();
        Arc::new(move |received: Received| {
            let platform = platform.clone();
            Box::pin(async move { platform.handle(received) })
        })
    }

    fn handle(self: &Arc<Self>, received: Received) -> (u16, String) {
        let plain = crate::support_component::open_push(&self.crypt, &received);
        if received.path == "/wxcallback/component" {
            let event = ComponentEvent::parse(&plain).expect("component event");
            if let ComponentEventKind::VerifyTicket { ticket } = event.kind {
                *self.ticket.lock().expect("lock") = Some(ticket);
            }
            return (200, "success".into());
        }
        let message = Message::parse(&plain).expect("biz message");
        let text = |content: String| {
            let reply = PassiveReply::answering(&message, Reply::Text { content }, 1_700_000_000);
            if self.behaviour == Behaviour::Unencrypted {
                (200, reply.to_xml())
            } else {
                let sealed = self.crypt.seal(
                    &reply.to_xml(),
                    received.q("timestamp"),
                    received.q("nonce"),
                );
                (200, sealed.to_xml())
            }
        };
        match &message.kind {
            MessageKind::Text { content } if content == "TESTCOMPONENT_MSG_TYPE_TEXT" => {
                if self.behaviour == Behaviour::WrongReplies {
                    text("something else".into())
                } else {
                    text(format!("{content}_callback"))
                }
            }
            MessageKind::Text { content } if content.starts_with("QUERY_AUTH_CODE:") => {
                if self.behaviour == Behaviour::WrongReplies {
                    return text("please wait".into());
                }
                if self.behaviour != Behaviour::NoApiCall {
                    let code = content.trim_start_matches("QUERY_AUTH_CODE:").to_string();
                    let openid = message.from_user_name.clone();
                    let platform = self.clone();
                    tokio::spawn(async move { platform.answer_with_api(code, openid).await });
                }
                (200, String::new())
            }
            MessageKind::Event { event, .. } => text(format!("{event}from_callback")),
            _ => (200, "success".into()),
        }
    }

    /// What a real platform does for `QUERY_AUTH_CODE:<code>`: component
    /// token from the pushed ticket, `api_query_auth`, then `custom/send`.
    async fn answer_with_api(self: Arc<Self>, code: String, openid: String) {
        let sim = self.sim_url.lock().expect("lock").clone().expect("sim url");
        let ticket = self
            .ticket
            .lock()
            .expect("lock")
            .clone()
            .expect("ticket pushed");
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let post = |url: String, body: Value| {
            let client = client.clone();
            async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .expect("call the simulator")
                    .json::<Value>()
                    .await
                    .expect("JSON")
            }
        };
        let token = post(
            format!("{sim}/cgi-bin/component/api_component_token"),
            json!({
                "component_appid": self.settings.component_appid,
                "component_appsecret": self.settings.component_secret,
                "component_verify_ticket": ticket,
            }),
        )
        .await;
        let token = token["component_access_token"]
            .as_str()
            .expect("token")
            .to_string();
        let auth = post(
            format!("{sim}/cgi-bin/component/api_query_auth?component_access_token={token}"),
            json!({"component_appid": self.settings.component_appid, "authorization_code": code}),
        )
        .await;
        let access = auth["authorization_info"]["authorizer_access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("query_auth: {auth}"))
            .to_string();
        let sent = post(
            format!("{sim}/cgi-bin/message/custom/send?access_token={access}"),
            json!({"touser": openid, "msgtype": "text", "text": {"content": format!("{code}_from_api")}}),
        )
        .await;
        assert_eq!(sent["errcode"], 0, "custom/send: {sent}");
    }
}

/// A simulator pushing to a platform that behaves as told, with a ticket
/// already pushed.
async fn setup(behaviour: Behaviour) -> (Sim, Arc<Platform>) {
    let platform = Platform::new(settings("http://unused"), behaviour);
    let receiver = start_receiver(platform.responder()).await;
    let sim = start_sim(settings(&receiver.base_url)).await;
    *platform.sim_url.lock().expect("lock") = Some(sim.base_url.clone());
    sim.push_ticket().await;
    (sim, platform)
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("step {name} in {report}"))
}

#[tokio::test]
async fn release_check_passes_against_a_correct_platform() {
    let (sim, _platform) = setup(Behaviour::Correct).await;
    let report = sim.post("/__sim/release-check", json!({})).await;
    assert_eq!(report["passed"], true, "{report:#}");
    assert_eq!(report["appid"], "wx570bc396a51b8ff8");
    let names: Vec<&str> = report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["text", "query_auth_code", "event"]);
    assert!(report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .all(|s| s["passed"] == true));

    // The customer-service message really went through the fake API.
    let accounts = sim.state.accounts.lock().expect("lock");
    let sent = accounts.sent_messages.last().expect("sent message");
    assert_eq!(sent.appid, "wx570bc396a51b8ff8");
    assert!(sent.content.ends_with("_from_api"));
}

#[tokio::test]
async fn release_check_runs_as_a_library_function_too() {
    let (sim, _platform) = setup(Behaviour::Correct).await;
    let report = release_check::run(
        &sim.state,
        &ReleaseCheckRequest {
            appid: Some("wxreleasecheck01".into()),
            deadline_secs: Some(5.0),
        },
    )
    .await;
    assert!(report.passed, "{report:#?}");
    assert_eq!(report.steps.len(), 3);
    assert!(sim
        .state
        .component
        .lock()
        .expect("lock")
        .is_authorized("wxreleasecheck01"));
}

#[tokio::test]
async fn wrong_replies_fail_their_steps_with_a_detail() {
    let (sim, _platform) = setup(Behaviour::WrongReplies).await;
    let report = sim
        .post("/__sim/release-check", json!({"deadline_secs": 0.5}))
        .await;
    assert_eq!(report["passed"], false, "{report:#}");
    let text = step(&report, "text");
    assert_eq!(text["passed"], false);
    let detail = text["detail"].as_str().expect("detail");
    assert!(
        detail.contains("TESTCOMPONENT_MSG_TYPE_TEXT_callback"),
        "{detail}"
    );
    assert!(detail.contains("something else"), "{detail}");
    let query = step(&report, "query_auth_code");
    assert_eq!(query["passed"], false);
    assert!(
        query["detail"]
            .as_str()
            .expect("detail")
            .contains("empty reply"),
        "{query}"
    );
    assert_eq!(step(&report, "event")["passed"], true, "{report:#}");
}

#[tokio::test]
async fn a_platform_that_never_calls_the_api_fails_after_the_deadline() {
    let (sim, _platform) = setup(Behaviour::NoApiCall).await;
    let started = std::time::Instant::now();
    let report = sim
        .post("/__sim/release-check", json!({"deadline_secs": 0.5}))
        .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(500));
    assert_eq!(report["passed"], false);
    assert_eq!(step(&report, "text")["passed"], true, "{report:#}");
    let query = step(&report, "query_auth_code");
    assert_eq!(query["passed"], false);
    let detail = query["detail"].as_str().expect("detail");
    assert!(detail.contains("api_query_auth"), "{detail}");
    assert!(detail.contains("custom/send"), "{detail}");
    assert_eq!(step(&report, "event")["passed"], true);
}

#[tokio::test]
async fn unencrypted_replies_fail_in_safe_mode() {
    let (sim, _platform) = setup(Behaviour::Unencrypted).await;
    let report = sim.post("/__sim/release-check", json!({})).await;
    assert_eq!(report["passed"], false);
    let text = step(&report, "text");
    assert!(
        text["detail"]
            .as_str()
            .expect("detail")
            .contains("encrypted"),
        "{text}"
    );
    assert_eq!(
        step(&report, "query_auth_code")["passed"],
        true,
        "{report:#}"
    );
    assert_eq!(step(&report, "event")["passed"], false);
}

#[tokio::test]
async fn an_unreachable_platform_fails_every_step() {
    let sim = start_sim(settings("http://127.0.0.1:9")).await;
    let report = sim
        .post("/__sim/release-check", json!({"deadline_secs": 0.2}))
        .await;
    assert_eq!(report["passed"], false);
    for s in report["steps"].as_array().expect("steps") {
        assert_eq!(s["passed"], false);
        assert!(
            s["detail"]
                .as_str()
                .expect("detail")
                .contains("not delivered"),
            "{s}"
        );
    }
}
