//! Server and business domains through the console routes against wxsim: the
//! seed's order (the platform's register first, then the mini program), every
//! route's shape, input refused before WeChat is called, official accounts
//! refused.

use crate::support::TestApp;
use serde_json::{json, Value};

const APPID: &str = "wxdomainmini00001";
const OFFICIAL: &str = "wxdomainoffice001";

/// Every WeChat path the domain routes call.
const WECHAT_PATHS: [&str; 10] = [
    "/cgi-bin/component/modify_wxa_server_domain",
    "/cgi-bin/component/modify_wxa_jump_domain",
    "/cgi-bin/component/get_domain_confirmfile",
    "/wxa/modify_domain",
    "/wxa/modify_domain_directly",
    "/wxa/get_effective_domain",
    "/wxa/setwebviewdomain",
    "/wxa/setwebviewdomain_directly",
    "/wxa/get_webviewdomain_confirmfile",
    "/wxa/get_effective_webviewdomain",
];

async fn app() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    app.seed_authorizer(APPID, true).await;
    app.seed_authorizer(OFFICIAL, false).await;
    let jwt = app.login().await;
    (app, jwt)
}

fn admin(route: &str) -> String {
    format!("/wxcomponent/admin/{route}")
}

fn with_appid(route: &str) -> String {
    format!("/wxcomponent/admin/{route}?appid={APPID}")
}

#[track_caller]
fn assert_ok(answer: &Value) -> &Value {
    assert_eq!(answer["code"], 0, "{answer}");
    &answer["data"]
}

/// Serves `file` (`{fileName, fileContent}`) at the root of `domain` on
/// wxsim's simulated web.
async fn serve(app: &TestApp, domain: &str, file: &Value) {
    let answer = app
        .sim
        .control(
            "/__sim/domain-file",
            json!({"domain": domain, "file_name": file["fileName"], "file_content": file["fileContent"]}),
        )
        .await;
    assert_eq!(answer["errcode"], 0, "{answer}");
}

fn wechat_calls(app: &TestApp) -> u64 {
    WECHAT_PATHS.iter().map(|p| app.sim.count(p)).sum()
}

#[tokio::test]
async fn the_platform_registers_a_server_domain_before_a_mini_program_can_use_it() {
    let (app, jwt) = app().await;
    let body = json!({"appid": APPID, "action": "add",
                      "requestDomain": ["https://api.example.com"],
                      "wsRequestDomain": ["wss://api.example.com"]});

    // The other way round: WeChat refuses, and the console sees its errcode.
    let refused = app.post(&admin("server-domain"), &jwt, body.clone()).await;
    assert_eq!(refused["code"], 1002, "{refused}");
    assert!(
        refused["data"]
            .as_str()
            .is_some_and(|d| d.starts_with("85301 ")),
        "{refused}"
    );

    let registered = app
        .post(
            &admin("platform-server-domain"),
            &jwt,
            json!({"action": "add", "domains": ["API.example.com", "cdn.example.com"], "publishedTogether": true}),
        )
        .await;
    assert_eq!(
        assert_ok(&registered),
        &json!({"testing": ["api.example.com", "cdn.example.com"],
                "published": ["api.example.com", "cdn.example.com"],
                "invalid": []})
    );
    assert_eq!(
        app.get(&admin("platform-server-domain"), &jwt).await["data"],
        registered["data"]
    );

    let accepted = app.post(&admin("server-domain"), &jwt, body).await;
    assert_eq!(
        assert_ok(&accepted),
        &json!({"requestDomain": ["https://api.example.com"],
                "wsRequestDomain": ["wss://api.example.com"],
                "uploadDomain": [], "downloadDomain": [], "udpDomain": [], "tcpDomain": []})
    );
    let read = app.get(&with_appid("server-domain"), &jwt).await;
    assert_eq!(assert_ok(&read), &accepted["data"]);

    let effective = app.get(&with_appid("effective-domain"), &jwt).await;
    let effective = assert_ok(&effective);
    assert_eq!(
        effective["thirdDomain"]["requestDomain"],
        json!(["https://api.example.com"])
    );
    assert_eq!(
        effective["effectiveDomain"]["wsRequestDomain"],
        json!(["wss://api.example.com"])
    );
    assert_eq!(effective["mpDomain"]["requestDomain"], json!([]));
    assert_eq!(effective["directDomain"]["tcpDomain"], json!([]));
}

#[tokio::test]
async fn a_mini_program_learns_which_domains_wechat_left_out() {
    let (app, jwt) = app().await;
    assert_ok(
        &app.post(
            &admin("platform-server-domain"),
            &jwt,
            json!({"action": "set", "domains": ["api.example.com"]}),
        )
        .await,
    );
    let answer = app
        .post(
            &admin("server-domain"),
            &jwt,
            json!({"appid": APPID, "action": "set",
                   "requestDomain": ["https://api.example.com", "https://elsewhere.example.com"]}),
        )
        .await;
    let data = assert_ok(&answer);
    assert_eq!(data["requestDomain"], json!(["https://api.example.com"]));
    assert_eq!(
        data["invalidRequestDomain"],
        json!(["https://elsewhere.example.com"])
    );
    assert!(data.get("invalidUploadDomain").is_none(), "{data}");
}

#[tokio::test]
async fn domains_set_directly_need_no_platform_register() {
    let (app, jwt) = app().await;
    let answer = app
        .post(
            &admin("server-domain"),
            &jwt,
            json!({"appid": APPID, "action": "add", "directly": true,
                   "requestDomain": ["https://own.example.com:8443"],
                   "udpDomain": ["udp://own.example.com"], "tcpDomain": ["tcp://own.example.com"]}),
        )
        .await;
    let data = assert_ok(&answer);
    assert_eq!(
        data["requestDomain"],
        json!(["https://own.example.com:8443"])
    );
    assert_eq!(data["tcpDomain"], json!(["tcp://own.example.com"]));

    let direct = app
        .get(
            &format!("{}&directly=true", with_appid("server-domain")),
            &jwt,
        )
        .await;
    assert_eq!(
        assert_ok(&direct)["udpDomain"],
        json!(["udp://own.example.com"])
    );
    let through_platform = app.get(&with_appid("server-domain"), &jwt).await;
    assert_eq!(assert_ok(&through_platform)["requestDomain"], json!([]));

    let effective = app.get(&with_appid("effective-domain"), &jwt).await;
    let effective = assert_ok(&effective);
    assert_eq!(
        effective["directDomain"]["requestDomain"],
        json!(["https://own.example.com:8443"])
    );
    assert_eq!(
        effective["effectiveDomain"]["requestDomain"],
        json!(["https://own.example.com:8443"])
    );
}

#[tokio::test]
async fn business_domains_go_through_the_platforms_register_or_a_confirm_file() {
    let (app, jwt) = app().await;
    let file = app.get(&admin("domain-confirm-file"), &jwt).await;
    let file = assert_ok(&file).clone();
    assert!(
        file["fileName"]
            .as_str()
            .is_some_and(|n| n.ends_with(".txt")),
        "{file}"
    );
    assert!(
        file["fileContent"].as_str().is_some_and(|c| !c.is_empty()),
        "{file}"
    );

    // A domain that does not serve the file is left out.
    let unverified = app
        .post(
            &admin("platform-jump-domain"),
            &jwt,
            json!({"action": "add", "domains": ["h5.example.com"]}),
        )
        .await;
    assert_eq!(
        assert_ok(&unverified),
        &json!({"testing": [], "published": [], "invalid": ["h5.example.com"]})
    );

    // Before the platform has one, WeChat refuses a mini program's.
    let body =
        json!({"appid": APPID, "action": "add", "webviewDomain": ["https://m.h5.example.com"]});
    let refused = app.post(&admin("webview-domain"), &jwt, body.clone()).await;
    assert_eq!(refused["code"], 1002, "{refused}");
    assert!(
        refused["data"]
            .as_str()
            .is_some_and(|d| d.starts_with("89020 ")),
        "{refused}"
    );

    serve(&app, "h5.example.com", &file).await;
    let registered = app
        .post(
            &admin("platform-jump-domain"),
            &jwt,
            json!({"action": "add", "domains": ["h5.example.com"]}),
        )
        .await;
    assert_eq!(assert_ok(&registered)["testing"], json!(["h5.example.com"]));
    assert_eq!(
        app.get(&admin("platform-jump-domain"), &jwt).await["data"]["testing"],
        json!(["h5.example.com"])
    );

    let added = app.post(&admin("webview-domain"), &jwt, body).await;
    assert_eq!(
        assert_ok(&added),
        &json!({"webviewDomain": ["https://m.h5.example.com"]})
    );
    assert_eq!(
        app.get(&with_appid("webview-domain"), &jwt).await["data"],
        added["data"]
    );

    // Directly: the mini program's own confirm file at the domain's root.
    let direct = json!({"appid": APPID, "action": "add", "directly": true,
                        "webviewDomain": ["https://shop.example.com"]});
    let unconfirmed = app
        .post(&admin("webview-domain"), &jwt, direct.clone())
        .await;
    assert_eq!(unconfirmed["code"], 1002, "{unconfirmed}");
    assert!(
        unconfirmed["data"]
            .as_str()
            .is_some_and(|d| d.starts_with("86103 ")),
        "{unconfirmed}"
    );
    let own_file = app
        .get(&with_appid("webview-domain-confirm-file"), &jwt)
        .await;
    let own_file = assert_ok(&own_file).clone();
    assert_ne!(own_file, file, "each mini program has its own file");
    serve(&app, "shop.example.com", &own_file).await;
    let confirmed = app.post(&admin("webview-domain"), &jwt, direct).await;
    assert_eq!(
        assert_ok(&confirmed),
        &json!({"webviewDomain": ["https://shop.example.com"]})
    );
    assert_eq!(
        app.get(
            &format!("{}&directly=true", with_appid("webview-domain")),
            &jwt
        )
        .await["data"],
        confirmed["data"]
    );
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_wechat_is_not_called() {
    let (app, jwt) = app().await;
    let too_many_platform: Vec<String> = (0..1001).map(|i| format!("d{i}.example.com")).collect();
    let too_many_jump: Vec<String> = (0..301).map(|i| format!("d{i}.example.com")).collect();
    let too_many_requests: Vec<String> = (0..201)
        .map(|i| format!("https://d{i}.example.com"))
        .collect();
    let too_many_webviews: Vec<String> = (0..301)
        .map(|i| format!("https://d{i}.example.com"))
        .collect();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "platform-server-domain",
            json!({"action": "replace", "domains": ["a.example.com"]}),
            "action",
        ),
        (
            "platform-server-domain",
            json!({"domains": ["a.example.com"]}),
            "action",
        ),
        (
            "platform-server-domain",
            json!({"action": "add", "domains": ["https://a.example.com"]}),
            "domains[0]",
        ),
        (
            "platform-server-domain",
            json!({"action": "add", "domains": ["a.example.com/x"]}),
            "domains[0]",
        ),
        (
            "platform-server-domain",
            json!({"action": "add", "domains": ["10.0.0.1"]}),
            "domains[0]",
        ),
        (
            "platform-server-domain",
            json!({"action": "add", "domains": []}),
            "domains",
        ),
        (
            "platform-server-domain",
            json!({"action": "add", "domains": "a.example.com"}),
            "domains",
        ),
        (
            "platform-server-domain",
            json!({"action": "set", "domains": too_many_platform}),
            "domains",
        ),
        (
            "platform-server-domain",
            json!({"action": "add", "domains": ["a.example.com"], "publishedTogether": "yes"}),
            "publishedTogether",
        ),
        (
            "platform-jump-domain",
            json!({"action": "set", "domains": too_many_jump}),
            "domains",
        ),
        (
            "platform-jump-domain",
            json!({"action": "delete", "domains": ["a.example.com:8080"]}),
            "domains[0]",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add", "requestDomain": ["http://a.example.com"]}),
            "requestDomain[0]",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add", "requestDomain": ["a.example.com"]}),
            "requestDomain[0]",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add", "wsRequestDomain": ["https://a.example.com"]}),
            "wsRequestDomain[0]",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add", "uploadDomain": ["https://a.example.com/upload"]}),
            "uploadDomain[0]",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add", "udpDomain": ["tcp://a.example.com"]}),
            "udpDomain[0]",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add", "tcpDomain": ["tcp://api.weixin.qq.com"]}),
            "tcpDomain[0]",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add", "downloadDomain": "https://a.example.com"}),
            "downloadDomain",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "set", "requestDomain": too_many_requests}),
            "requestDomain",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add"}),
            "requestDomain",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "get", "requestDomain": ["https://a.example.com"]}),
            "action",
        ),
        (
            "server-domain",
            json!({"action": "add", "requestDomain": ["https://a.example.com"]}),
            "appid",
        ),
        (
            "server-domain",
            json!({"appid": "wx/../x", "action": "add", "requestDomain": ["https://a.example.com"]}),
            "appid",
        ),
        (
            "server-domain",
            json!({"appid": APPID, "action": "add", "requestDomain": ["https://a.example.com"], "directly": "no"}),
            "directly",
        ),
        (
            "webview-domain",
            json!({"appid": APPID, "action": "add", "webviewDomain": ["https://a.example.com:8443"]}),
            "webviewDomain[0]",
        ),
        (
            "webview-domain",
            json!({"appid": APPID, "action": "add", "webviewDomain": ["http://a.example.com"]}),
            "webviewDomain[0]",
        ),
        (
            "webview-domain",
            json!({"appid": APPID, "action": "set", "webviewDomain": []}),
            "webviewDomain",
        ),
        (
            "webview-domain",
            json!({"appid": APPID, "action": "add", "webviewDomain": too_many_webviews}),
            "webviewDomain",
        ),
        (
            "webview-domain",
            json!({"appid": APPID, "action": "clear", "webviewDomain": ["https://a.example.com"]}),
            "action",
        ),
    ];
    for (route, body, field) in cases {
        let answer = app.post(&admin(route), &jwt, body.clone()).await;
        assert_eq!(answer["code"], 1001, "{route} {body}: {answer}");
        let data = answer["data"].as_str().unwrap_or_default();
        assert!(
            data.contains(field),
            "{route} {body}: {field} not named in {data:?}"
        );
    }
    for route in [
        "server-domain",
        "effective-domain",
        "webview-domain",
        "webview-domain-confirm-file",
    ] {
        let answer = app.get(&admin(route), &jwt).await;
        assert_eq!(answer["code"], 1001, "{route} without appid: {answer}");
    }
    let answer = app
        .get(
            &format!("{}&directly=maybe", with_appid("server-domain")),
            &jwt,
        )
        .await;
    assert_eq!(answer["code"], 1001, "{answer}");

    assert_eq!(wechat_calls(&app), 0, "nothing reached WeChat");
    let calls: Value = reqwest::get(format!("{}/__sim/calls", app.sim.base_url))
        .await
        .expect("wxsim answers")
        .json()
        .await
        .expect("JSON");
    for path in WECHAT_PATHS {
        assert!(
            calls["paths"].get(path).is_none(),
            "{path} was called: {calls}"
        );
    }
}

#[tokio::test]
async fn an_official_account_has_no_domains_to_set() {
    let (app, jwt) = app().await;
    let post_cases = [
        (
            "server-domain",
            json!({"appid": OFFICIAL, "action": "add", "requestDomain": ["https://a.example.com"]}),
        ),
        (
            "webview-domain",
            json!({"appid": OFFICIAL, "action": "add", "webviewDomain": ["https://a.example.com"]}),
        ),
    ];
    for (route, body) in post_cases {
        let answer = app.post(&admin(route), &jwt, body).await;
        assert_eq!(answer["code"], 1001, "{route}: {answer}");
        assert!(
            answer["data"]
                .as_str()
                .is_some_and(|d| d.contains("official account")),
            "{answer}"
        );
    }
    for route in [
        "server-domain",
        "effective-domain",
        "webview-domain",
        "webview-domain-confirm-file",
    ] {
        let answer = app
            .get(
                &format!("/wxcomponent/admin/{route}?appid={OFFICIAL}"),
                &jwt,
            )
            .await;
        assert_eq!(answer["code"], 1001, "{route}: {answer}");
    }
    let unknown = app
        .get(
            "/wxcomponent/admin/server-domain?appid=wxnotauthorized01",
            &jwt,
        )
        .await;
    assert_eq!(unknown["code"], 1001, "{unknown}");
    assert_eq!(wechat_calls(&app), 0, "nothing reached WeChat");
}

#[tokio::test]
async fn the_domain_routes_need_a_login() {
    let (app, _) = app().await;
    for route in [
        "platform-server-domain",
        "platform-jump-domain",
        "domain-confirm-file",
    ] {
        let (status, answer) = app
            .call(reqwest::Method::GET, &admin(route), None, None)
            .await;
        assert_eq!(
            (status, answer["code"].as_i64()),
            (200, Some(1000)),
            "{route}: {answer}"
        );
    }
    assert_eq!(wechat_calls(&app), 0);
}
