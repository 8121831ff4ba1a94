//! The product as a platform developer walks it, on the real release
//! binaries: a ticket, tokens, an authorization, the business service
//! managing the account, a forwarded message and its reply, the release
//! check, an unauthorization; and a burst of pushes from one WeChat IP.

use serde_json::json;

use crate::support::{Stack, AES_KEY, API_TOKEN, APPID, COMPONENT_APPID, INNER_TOKEN, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_developer_walks_the_whole_product() {
    let stack = Stack::start().await;
    let http = &stack.http;

    // A ticket arrives through the gateway and the callback receiver.
    let ticket = stack.sim("/__sim/push/ticket", json!({})).await;
    assert_eq!(ticket["push"]["delivered"], true, "{ticket}");
    assert_eq!(ticket["push"]["body"], "success", "{ticket}");

    // The component token is obtainable through the gateway's internal listener.
    let token = stack
        .json(
            http.get(format!("{}/inner/component-access-token", stack.internal))
                .bearer_auth(INNER_TOKEN),
        )
        .await;
    assert_eq!(token["code"], 0, "{token}");
    assert!(token["data"]["token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    let public_inner = http
        .get(format!("{}/inner/component-access-token", stack.gateway))
        .bearer_auth(INNER_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(
        public_inner.status(),
        404,
        "/inner/* is not on the public listener"
    );

    // The operator logs in to the console API and generates an authorization link.
    let jwt = stack.login().await;
    let links = stack
        .json(http.get(format!(
            "{}/wxcomponent/authpage/authorization-links?redirect_uri=https://example.com/done&auth_type=3",
            stack.gateway
        )))
        .await;
    let pc_url = links["data"]["pcUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("links: {links}"))
        .to_string();

    // A simulated account administrator confirms the link.
    let authorized = stack
        .sim(
            "/__sim/authorize",
            json!({"url": pc_url, "authorizer_appid": APPID}),
        )
        .await;
    assert_eq!(authorized["push"]["delivered"], true, "{authorized}");
    assert!(
        authorized["redirect"]
            .as_str()
            .is_some_and(|r| r.contains("auth_code=")),
        "{authorized}"
    );
    stack
        .eventually("the authorizer is listed in the admin API", || async {
            stack.authorizers(&jwt).await.iter().any(|a| a == APPID)
        })
        .await;

    // The business service manages the account with a token from the inner API,
    // through the gateway.
    let menu = json!({"button": [{"type": "click", "name": "今日", "key": "TODAY"}]});
    let created = stack
        .json(
            http.post(format!(
                "{}/api/v0.1/cgi-bin/menu?appid={APPID}",
                stack.gateway
            ))
            .bearer_auth(API_TOKEN)
            .json(&menu),
        )
        .await;
    assert_eq!(created["errcode"], 0, "{created}");
    let fetched = stack
        .json(
            http.get(format!(
                "{}/api/v0.1/cgi-bin/menu?appid={APPID}",
                stack.gateway
            ))
            .bearer_auth(API_TOKEN),
        )
        .await;
    assert_eq!(fetched["menu"]["button"][0]["key"], "TODAY", "{fetched}");

    // A user message is forwarded by a rule to business; its reply comes back encrypted.
    let rule = stack
        .json(
            http.put(format!("{}/wxcomponent/admin/callback-proxy-rule", stack.gateway))
                .bearer_auth(&jwt)
                .json(&json!({
                    "name": "to business",
                    "infoType": "",
                    "msgType": "text",
                    "event": "",
                    "open": 1,
                    "data": {"port": stack.internal.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()), "path": "/api/wx/message/$APPID$"},
                })),
        )
        .await;
    assert_eq!(rule["code"], 0, "{rule}");
    let autoreply = stack
        .json(
            http.post(format!("{}/api/autoreply", stack.gateway))
                .bearer_auth(API_TOKEN)
                .json(&json!({"appid": APPID, "keyword": "你好", "match": "contains", "reply": {"type": "text", "content": "欢迎来到 e2e"}})),
        )
        .await;
    assert_eq!(autoreply["code"], 0, "{autoreply}");
    let message = stack
        .sim(
            "/__sim/message",
            json!({"appid": APPID, "msg_type": "text", "content": "你好呀"}),
        )
        .await;
    let reply = &message["push"]["reply"];
    assert_eq!(reply["kind"], "encrypted", "{message}");
    assert_eq!(reply["signature_valid"], true, "{message}");
    assert!(reply.to_string().contains("欢迎来到 e2e"), "{reply}");

    // The full-network-release check passes.
    let check = stack.sim("/__sim/release-check", json!({})).await;
    assert_eq!(check["passed"], true, "{check:#}");

    // Unauthorizing removes the account.
    let revoked = stack
        .sim("/__sim/unauthorize", json!({"authorizer_appid": APPID}))
        .await;
    assert_eq!(revoked["push"]["delivered"], true, "{revoked}");
    stack
        .eventually("the authorizer disappears from the admin API", || async {
            !stack.authorizers(&jwt).await.iter().any(|a| a == APPID)
        })
        .await;
}

/// WeChat pushes from a handful of server IPs, as fast as the platform's
/// accounts produce messages: a burst from one address far above any per-IP
/// budget must be admitted by the gateway, acknowledged and stored once,
/// WeChat's retries of the same pushes included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_pushes_from_one_wechat_ip_is_all_answered_and_stored_once() {
    const PUSHES: usize = 2000;
    const CONCURRENCY: usize = 32;
    const RETRIED: usize = 50;
    const BURST_APPID: &str = "wxe2eburst000001";
    let stack = Stack::start().await;
    let crypt = std::sync::Arc::new(
        common::crypto::WxCrypt::new(TOKEN, AES_KEY, COMPONENT_APPID).expect("crypt"),
    );
    let url = format!("{}/wxcallback/biz/{BURST_APPID}", stack.gateway);
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    // Each push sealed once, so a retry is the same bytes, as WeChat's are.
    let sealed: Vec<(String, String)> = (0..PUSHES)
        .map(|n| {
            let xml = format!(
                "<xml><ToUserName><![CDATA[gh_burst]]></ToUserName>\
                 <FromUserName><![CDATA[user{n}]]></FromUserName>\
                 <CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
                 <Content><![CDATA[burst {n}]]></Content><MsgId>{}</MsgId></xml>",
                7_000_000_000_000_u64 + n as u64
            );
            let encrypt = crypt.encrypt(&xml);
            let (timestamp, nonce) = (created.to_string(), format!("n{n}"));
            let signature = crypt.msg_signature(&timestamp, &nonce, &encrypt);
            (
                format!("{url}?timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={signature}"),
                format!("<xml><ToUserName><![CDATA[gh_burst]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"),
            )
        })
        .collect();
    let sealed = std::sync::Arc::new(sealed);
    let send = |indices: Vec<usize>| {
        let (http, sealed) = (stack.http.clone(), std::sync::Arc::clone(&sealed));
        tokio::spawn(async move {
            let mut refused = Vec::new();
            for i in indices {
                let (target, body) = &sealed[i];
                let response = http.post(target).body(body.clone()).send().await;
                match response {
                    Ok(r) if r.status() == 200 => {
                        let text = r.text().await.unwrap_or_default();
                        if text != "success" {
                            refused.push(format!("push {i}: answered {text:?}"));
                        }
                    }
                    Ok(r) => refused.push(format!("push {i}: HTTP {}", r.status())),
                    Err(e) => refused.push(format!("push {i}: {e}")),
                }
            }
            refused
        })
    };
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|w| send((w..PUSHES).step_by(CONCURRENCY).collect()))
        .collect();
    let mut refused = Vec::new();
    for worker in workers {
        refused.extend(worker.await.expect("worker"));
    }
    // WeChat retries pushes it got no timely answer for: the same bytes again.
    refused.extend(send((0..RETRIED).collect()).await.expect("retries"));
    assert!(
        refused.is_empty(),
        "{} of {} pushes were not acknowledged, e.g. {:?}",
        refused.len(),
        PUSHES + RETRIED,
        &refused[..refused.len().min(5)]
    );

    let jwt = stack.login().await;
    let records = stack
        .json(
            stack
                .http
                .get(format!(
                    "{}/wxcomponent/admin/wx-biz-records?appid={BURST_APPID}&offset=0&limit=1",
                    stack.gateway
                ))
                .bearer_auth(&jwt),
        )
        .await;
    assert_eq!(records["code"], 0, "{records}");
    assert_eq!(
        records["data"]["total"], PUSHES,
        "every push stored exactly once: {records}"
    );
}
