//! The secret (sealed at rest, masked on read, adopted from wxcomponent),
//! component info, the authorization pages and links, proxy rules and the
//! gateway's routing document.

use std::sync::Arc;

use crate::support::{Sim, TestApp};
use common::db::testing::TestDatabase;
use common::db::Db;
use common::tokens::store;
use serde_json::{json, Value};

#[tokio::test]
async fn the_secret_is_sealed_at_rest_and_only_ever_shown_masked() {
    let app = TestApp::spawn_with(&[("WXC__WECHAT__COMPONENT_SECRET", "")]).await;
    let jwt = app.login().await;
    let secret = "0123456789abcdef0123456789abcdef";
    let answer = app
        .post("/wxcomponent/admin/secret", &jwt, json!({"secret": secret}))
        .await;
    assert_eq!(answer["code"], 0, "{answer}");

    let raw = app.comm("secret").await.unwrap();
    assert!(raw.starts_with("wxc1:"), "{raw}");
    assert!(!raw.contains(secret));
    assert!(!raw.contains("0123456789"));
    for part in [&secret[..8], &secret[8..16], &secret[16..24], &secret[24..]] {
        assert!(!raw.contains(part), "no fragment of the secret in {raw}");
    }

    let shown = app.get("/wxcomponent/admin/secret", &jwt).await;
    let masked = shown["data"]["secret"].as_str().unwrap();
    assert_eq!(masked, "012**************************def");
    assert!(!masked.contains("3456789abcdef0123456789abc"));

    // Sealed under the master key: another key cannot open it.
    let key = common::secrets::MasterKey::from_base64(crate::support::MASTER_KEY).unwrap();
    assert_eq!(key.open("secret", &raw).unwrap(), secret);
    assert!(common::secrets::MasterKey::generate()
        .open("secret", &raw)
        .is_err());
}

#[tokio::test]
async fn malformed_secrets_are_1001() {
    let app = TestApp::spawn_with(&[("WXC__WECHAT__COMPONENT_SECRET", "")]).await;
    let jwt = app.login().await;
    for body in [
        json!({}),
        json!({"secret": ""}),
        json!({"secret": "a b"}),
        json!({"secret": 5}),
    ] {
        let answer = app
            .post("/wxcomponent/admin/secret", &jwt, body.clone())
            .await;
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
        assert!(answer["errorMsg"].as_str().unwrap().contains("secret"));
    }
    assert_eq!(app.comm("secret").await, None, "nothing written");
}

#[tokio::test]
async fn a_secret_pinned_in_the_configuration_is_refused_with_the_reason_in_data() {
    // wxcomponent's console prints `data` for 1002 and only
    // "系统错误，请稍后重试 code：N" for 1008.
    let configured = TestApp::spawn().await;
    let jwt = configured.login().await;
    let shown = configured.get("/wxcomponent/admin/secret", &jwt).await;
    assert_eq!(shown["data"]["secret"], "wxs****************ret");
    for attempt in ["another-secret-value", "a b"] {
        let answer = configured
            .post(
                "/wxcomponent/admin/secret",
                &jwt,
                json!({"secret": attempt}),
            )
            .await;
        assert_eq!(answer["code"], 1002, "{attempt}: {answer}");
        let reason = answer["data"].as_str().expect("the reason in data");
        assert!(
            reason.contains("配置") && reason.contains("wechat.component_secret"),
            "{answer}"
        );
    }
    assert_eq!(configured.comm("secret").await, None, "nothing written");
}

/// What wxcomponent's console (`passwordManage/index.tsx`) displays for the
/// `secret` it gets: `${s.slice(0,5)}***********${s.slice(s.length - 4, s.length)}`,
/// with JavaScript's `slice` (a negative start counts from the end).
fn console_display(secret: &str) -> String {
    if secret.is_empty() {
        return String::new();
    }
    let chars: Vec<char> = secret.chars().collect();
    let len = chars.len();
    let slice = |start: isize, end: usize| -> String {
        let start = if start < 0 {
            (len as isize + start).max(0) as usize
        } else {
            (start as usize).min(len)
        };
        chars[start.min(end)..end.min(len)].iter().collect()
    };
    format!(
        "{}***********{}",
        slice(0, 5.min(len)),
        slice(len as isize - 4, len)
    )
}

#[tokio::test]
async fn the_masked_secret_stays_sane_after_the_consoles_own_masking() {
    let app = TestApp::spawn_with(&[("WXC__WECHAT__COMPONENT_SECRET", "")]).await;
    let jwt = app.login().await;
    // The console shows our 3 + 3 characters with only `*` between (2 of
    // ours, its 11, 1 of ours), and nothing of a short secret.
    let stars = |n: usize| "*".repeat(n);
    for (secret, shown) in [
        // WeChat's secrets are 32 hex characters.
        (
            "0123456789abcdef0123456789abcdef",
            format!("012{}def", stars(14)),
        ),
        ("twelve-chars", format!("twe{}ars", stars(14))),
        ("shortsecret", stars(20)),
    ] {
        let answer = app
            .post("/wxcomponent/admin/secret", &jwt, json!({"secret": secret}))
            .await;
        assert_eq!(answer["code"], 0, "{answer}");
        let answer = app.get("/wxcomponent/admin/secret", &jwt).await;
        let masked = answer["data"]["secret"].as_str().unwrap();
        assert_eq!(masked.chars().count(), secret.chars().count(), "{masked}");
        assert_eq!(console_display(masked), shown, "{secret} → {masked}");
    }
}

/// A database holding what wxcomponent left: its secret under md5(MYSQL_PASSWORD).
async fn wxcomponent_database(secret: &str, mysql_password: &str) -> Arc<TestDatabase> {
    let database = Arc::new(TestDatabase::new());
    let db = Db::connect(&database.settings()).expect("test set-up");
    let legacy = common::secrets::seal_wxcomponent(secret, mysql_password);
    db.run(move |conn| store::put_comm(conn, "secret", &legacy))
        .await
        .expect("test set-up");
    database
}

#[tokio::test]
async fn a_secret_stored_by_wxcomponent_is_adopted_and_resealed_at_start() {
    let sim = Sim::start(7200).await;
    let secret = sim.settings.component_secret.clone();
    let database = wxcomponent_database(&secret, "wxcomponent-db-pass").await;
    let app = TestApp::spawn_on(
        sim,
        database,
        &[
            ("WXC__WECHAT__COMPONENT_SECRET", ""),
            ("WXC__SECRETS__LEGACY_MYSQL_PASSWORD", "wxcomponent-db-pass"),
        ],
    )
    .await;
    let raw = app.comm("secret").await.unwrap();
    assert!(raw.starts_with("wxc1:"), "re-sealed: {raw}");
    assert!(!raw.contains(&secret));
    app.seed_ticket().await;
    let (_, answer) = app.inner_get("/inner/component-access-token").await;
    assert_eq!(answer["code"], 0, "the adopted secret works: {answer}");
}

#[tokio::test]
async fn a_wxcomponent_secret_under_another_password_is_left_alone() {
    let sim = Sim::start(7200).await;
    let database = wxcomponent_database("some-secret-value-123", "right-pass").await;
    let app = TestApp::spawn_on(
        sim,
        database,
        &[
            ("WXC__WECHAT__COMPONENT_SECRET", ""),
            ("WXC__SECRETS__LEGACY_MYSQL_PASSWORD", "wrong-pass"),
        ],
    )
    .await;
    let raw = app.comm("secret").await.unwrap();
    assert!(!raw.starts_with("wxc1:"), "untouched");
    let jwt = app.login().await;
    assert_eq!(
        app.get("/wxcomponent/admin/secret", &jwt).await["data"]["secret"],
        ""
    );
    app.seed_ticket().await;
    let answer = app
        .get("/wxcomponent/admin/component-access-token", &jwt)
        .await;
    assert_eq!(answer["code"], 41004, "{answer}");
}

#[tokio::test]
async fn component_info_is_stored_and_served_to_the_authorization_pages() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let (_, empty) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/authpage/componentinfo",
            None,
            None,
        )
        .await;
    assert_eq!(
        empty,
        json!({"code": 0, "errorMsg": "OK", "data": {"appid": app.sim.settings.component_appid}})
    );
    let info = json!({"name": "平台", "desc": "描述", "redirectUrl": "https://example.com/done"});
    assert_eq!(
        app.post("/wxcomponent/admin/componentinfo", &jwt, info)
            .await["code"],
        0
    );
    let (_, stored) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/authpage/componentinfo",
            None,
            None,
        )
        .await;
    assert_eq!(stored["data"]["name"], "平台");
    assert_eq!(stored["data"]["redirectUrl"], "https://example.com/done");
    assert_eq!(
        stored["data"]["appid"],
        app.sim.settings.component_appid.as_str()
    );

    let answer = app
        .post(
            "/wxcomponent/admin/componentinfo",
            &jwt,
            json!({"redirectUrl": "ftp://x"}),
        )
        .await;
    assert_eq!(answer["code"], 1001);
    assert!(answer["errorMsg"].as_str().unwrap().contains("redirectUrl"));
    let answer = app
        .post("/wxcomponent/admin/componentinfo", &jwt, json!({"name": 5}))
        .await;
    assert_eq!(answer["code"], 1001);
    assert!(answer["errorMsg"].as_str().unwrap().contains("name"));
}

#[tokio::test]
async fn the_preauthcode_and_authorization_links_work_with_wechat() {
    let app = TestApp::spawn().await;
    let (_, answer) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/authpage/preauthcode",
            None,
            None,
        )
        .await;
    assert_eq!(answer["code"], 1007, "no ticket yet: {answer}");
    app.seed_ticket().await;
    let (_, answer) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/authpage/preauthcode",
            None,
            None,
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert!(answer["data"]["preAuthCode"].as_str().unwrap().len() > 10);

    let (_, links) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/authpage/authorization-links?auth_type=2&biz_appid=wxlinkedmini00001&redirect_uri=https%3A%2F%2Fexample.com%2Fback%3Fa%3D1",
            None,
            None,
        )
        .await;
    assert_eq!(links["code"], 0, "{links}");
    let pc = links["data"]["pcUrl"].as_str().unwrap();
    let h5 = links["data"]["h5Url"].as_str().unwrap();
    assert!(
        pc.starts_with("https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid="),
        "{pc}"
    );
    assert!(pc.contains("auth_type=2") && pc.contains("biz_appid=wxlinkedmini00001"));
    assert!(
        pc.contains("redirect_uri=https%3A%2F%2Fexample.com%2Fback%3Fa%3D1"),
        "{pc}"
    );
    assert!(
        h5.starts_with(
            "https://open.weixin.qq.com/wxaopen/safe/bindcomponent?action=bindcomponent&no_scan=1&"
        ),
        "{h5}"
    );
    assert!(h5.ends_with("#wechat_redirect"), "{h5}");
    let code = links["data"]["preAuthCode"].as_str().unwrap();
    for link in [pc, h5] {
        let url = reqwest::Url::parse(link).unwrap();
        let pairs: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        assert_eq!(pairs["pre_auth_code"], code, "{link}");
        assert_eq!(pairs["redirect_uri"], "https://example.com/back?a=1");
        assert_eq!(pairs["component_appid"], app.sim.settings.component_appid);
    }

    // WeChat (wxsim) accepts the H5 link: the mini program authorizes and
    // the browser is redirected to our redirect_uri with an auth code.
    let outcome = app
        .sim
        .control(
            "/__sim/authorize",
            json!({"url": h5, "is_mini_program": true}),
        )
        .await;
    assert_eq!(
        outcome["authorizer_appid"], "wxlinkedmini00001",
        "{outcome}"
    );
    assert!(outcome["redirect"]
        .as_str()
        .unwrap()
        .starts_with("https://example.com/back?a=1&auth_code="));
}

#[tokio::test]
async fn malformed_link_requests_are_1001_naming_the_parameter() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let cases = [
        ("", "redirect_uri"),
        ("redirect_uri=ftp%3A%2F%2Fx", "redirect_uri"),
        ("redirect_uri=https%3A%2F%2Fx&auth_type=9", "auth_type"),
        ("redirect_uri=https%3A%2F%2Fx&auth_type=one", "auth_type"),
        ("redirect_uri=https%3A%2F%2Fx&biz_appid=a%20b", "biz_appid"),
    ];
    for (query, field) in cases {
        let (_, answer) = app
            .call(
                reqwest::Method::GET,
                &format!("/wxcomponent/authpage/authorization-links?{query}"),
                None,
                None,
            )
            .await;
        assert_eq!(answer["code"], 1001, "{query}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains(field),
            "{answer}"
        );
    }
    let (_, answer) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/authpage/authorization-links?redirectUri=https%3A%2F%2Fx&authType=1",
            None,
            None,
        )
        .await;
    assert_eq!(answer["code"], 0, "camelCase accepted: {answer}");
}

#[tokio::test]
async fn the_single_proxy_rule_round_trips_like_wxcomponent() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let answer = app.get("/wxcomponent/admin/proxy", &jwt).await;
    assert_eq!(answer["data"], json!({"open": false, "port": 0, "url": ""}));
    let answer = app
        .post(
            "/wxcomponent/admin/proxy",
            &jwt,
            json!({"open": true, "port": 8083}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let answer = app.get("/wxcomponent/admin/proxy", &jwt).await;
    assert_eq!(
        answer["data"],
        json!({"open": true, "port": 8083, "url": "http://127.0.0.1:8083"})
    );
    for body in [
        json!({"open": true, "port": 0}),
        json!({"open": "x", "port": 1}),
        json!({"port": 1}),
        json!({"open": false, "port": 99999}),
    ] {
        let answer = app
            .post("/wxcomponent/admin/proxy", &jwt, body.clone())
            .await;
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
    }
}

async fn inner_routes(app: &TestApp, etag: Option<&str>) -> (u16, Option<String>, Value) {
    let mut request = app
        .client
        .get(app.url("/inner/routes"))
        .bearer_auth(crate::support::INNER_TOKEN);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = request.send().await.expect("test set-up");
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().expect("test set-up").to_string());
    let text = response.text().await.expect("test set-up");
    (
        status,
        etag,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn proxy_routes_are_edited_and_served_to_the_gateway_with_an_etag() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let (status, etag, empty) = inner_routes(&app, None).await;
    assert_eq!(status, 200);
    assert_eq!(empty["data"], json!({"routes": [], "fallback": null}));
    let etag = etag.expect("an ETag");
    let (status, _, _) = inner_routes(&app, Some(&etag)).await;
    assert_eq!(status, 304, "unchanged");

    for body in [
        json!({"prefix": "/api/", "upstream": "business"}),
        json!({"prefix": "/api/orders/", "upstream": "http://10.0.0.5:8080", "stripPrefix": true}),
        json!({"prefix": "/off/", "upstream": "business:8083", "open": false}),
    ] {
        let answer = app.put("/wxcomponent/admin/proxy-route", &jwt, body).await;
        assert_eq!(answer["code"], 0, "{answer}");
    }
    let listed = app.get("/wxcomponent/admin/proxy-routes", &jwt).await;
    assert_eq!(listed["data"]["total"], 3);
    let (status, new_etag, document) = inner_routes(&app, Some(&etag)).await;
    assert_eq!(status, 200, "changed");
    assert_ne!(new_etag.as_deref(), Some(etag.as_str()));
    assert_eq!(
        document["data"]["routes"],
        json!([
            {"prefix": "/api/orders/", "upstream": "http://10.0.0.5:8080", "stripPrefix": true},
            {"prefix": "/api/", "upstream": "business", "stripPrefix": false},
        ])
    );

    app.post(
        "/wxcomponent/admin/proxy",
        &jwt,
        json!({"open": true, "port": 8090}),
    )
    .await;
    let (_, _, document) = inner_routes(&app, None).await;
    assert_eq!(document["data"]["fallback"], "http://127.0.0.1:8090");

    let orders = listed["data"]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["prefix"] == "/api/orders/")
        .unwrap()
        .clone();
    let answer = app
        .post(
            "/wxcomponent/admin/proxy-route",
            &jwt,
            json!({"id": orders["id"], "prefix": "/api/orders/", "upstream": "orders", "open": false}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let answer = app
        .delete(
            &format!(
                "/wxcomponent/admin/proxy-route?id={}",
                listed["data"]["routes"][2]["id"]
            ),
            &jwt,
        )
        .await;
    assert_eq!(answer["code"], 0);
    let (_, _, document) = inner_routes(&app, None).await;
    assert_eq!(
        document["data"]["routes"],
        json!([{"prefix": "/api/", "upstream": "business", "stripPrefix": false}])
    );

    let (status, _) = app
        .call(reqwest::Method::GET, "/inner/routes", None, None)
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_https_upstream_is_refused_at_save_time_with_the_reason_not_skipped_by_the_gateway() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let path = "/wxcomponent/admin/proxy-route";
    let route = |upstream: &str| json!({"prefix": "/pay/", "upstream": upstream});
    let answer = app.put(path, &jwt, route("https://pay.example.com")).await;
    // 1002: the console prints `data`, which says why.
    assert_eq!(answer["code"], 1002, "{answer}");
    let reason = answer["data"].as_str().unwrap_or_default();
    assert!(
        reason.contains("upstream") && reason.contains("https") && reason.contains("TLS"),
        "{answer}"
    );

    let http = route("http://pay.example.com");
    assert_eq!(app.put(path, &jwt, http.clone()).await["code"], 0);
    let listed = app.get("/wxcomponent/admin/proxy-routes", &jwt).await;
    let mut update = route("https://pay.example.com");
    update["id"] = listed["data"]["routes"][0]["id"].clone();
    assert_eq!(app.post(path, &jwt, update).await["code"], 1002);

    let (_, _, document) = inner_routes(&app, None).await;
    let mut published = http;
    published["stripPrefix"] = json!(false);
    assert_eq!(document["data"]["routes"], json!([published]));
}

#[tokio::test]
async fn malformed_proxy_routes_are_1001_naming_the_field() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    app.put(
        "/wxcomponent/admin/proxy-route",
        &jwt,
        json!({"prefix": "/api/", "upstream": "business"}),
    )
    .await;
    let cases = [
        (json!({"prefix": "api", "upstream": "business"}), "prefix"),
        (
            json!({"prefix": "/wxcomponent/x", "upstream": "business"}),
            "prefix",
        ),
        (
            json!({"prefix": "/inner/", "upstream": "business"}),
            "prefix",
        ),
        (json!({"prefix": "/api/", "upstream": "business"}), "prefix"),
        (json!({"prefix": "/b/", "upstream": "bad name"}), "upstream"),
        (json!({"prefix": "/b/", "upstream": "svc:0"}), "upstream"),
        (json!({"prefix": "/b/"}), "upstream"),
        (
            json!({"prefix": "/b/", "upstream": "svc", "stripPrefix": "yes"}),
            "stripPrefix",
        ),
    ];
    for (body, field) in cases {
        let answer = app
            .put("/wxcomponent/admin/proxy-route", &jwt, body.clone())
            .await;
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    let answer = app
        .post(
            "/wxcomponent/admin/proxy-route",
            &jwt,
            json!({"prefix": "/b/", "upstream": "svc"}),
        )
        .await;
    assert_eq!(answer["code"], 1001, "update needs an id");
    let listed = app.get("/wxcomponent/admin/proxy-routes", &jwt).await;
    assert_eq!(listed["data"]["total"], 1, "nothing half-written");
}

/// The built-in console's policy: scripts from its own origin only, never
/// framed, never sniffed, no referrer.
fn assert_console_security_headers(headers: &reqwest::header::HeaderMap, what: &str) {
    let csp = headers["content-security-policy"]
        .to_str()
        .expect("an ASCII policy");
    assert!(csp.contains("script-src 'self';"), "{what}: {csp}");
    assert!(!csp.contains("script-src 'self' 'unsafe"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(headers["x-frame-options"], "DENY", "{what}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
}

#[tokio::test]
async fn healthz_answers_and_the_console_is_served() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    for path in ["/", "/wxcomponent/console"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert!(response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_console_security_headers(response.headers(), path);
        let page = response.text().await.unwrap();
        assert!(
            page.contains(r#"src="/wxcomponent/console/app.js""#),
            "the page loads the console's entry module: {page}"
        );
        assert!(
            !page.contains("<script>") && !page.contains(" onclick="),
            "no inline script for the CSP to refuse: {page}"
        );
    }
    let lib = app
        .client
        .get(app.url("/wxcomponent/console/lib.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(lib.status().as_u16(), 200);
    assert_console_security_headers(lib.headers(), "lib.js");
    assert!(lib.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let etag = lib.headers()["etag"].to_str().unwrap().to_string();
    let lib = lib.text().await.unwrap();
    assert!(
        lib.contains(r#"export const API = "/wxcomponent""#),
        "the console calls the API: {lib}"
    );
    let app_js = app
        .client
        .get(app.url("/wxcomponent/console/app.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        app_js.contains(r#""PUT", "/auth""#),
        "the console logs in through the API"
    );
    let again = app
        .client
        .get(app.url("/wxcomponent/console/lib.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status().as_u16(),
        304,
        "an unchanged file is not sent again"
    );
    for missing in [
        "/wxcomponent/console/nope.js",
        "/wxcomponent/console/../Cargo.toml",
    ] {
        let response = app.client.get(app.url(missing)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404, "{missing}");
    }
    let response = app
        .client
        .get(app.url("/wxcomponent/assets/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn a_built_wxcomponent_console_is_served_from_console_dir() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().to_path_buf();
    std::fs::create_dir_all(dir.join("wxcomponent/assets")).unwrap();
    std::fs::write(dir.join("index.html"), "<html>wxcomponent console</html>").unwrap();
    std::fs::write(dir.join("wxcomponent/assets/app.js"), "console.log(1)").unwrap();
    let app = TestApp::spawn_with(&[("WXC__ADMIN__CONSOLE_DIR", dir.to_str().unwrap())]).await;
    let page = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, "<html>wxcomponent console</html>");
    let script = app
        .client
        .get(app.url("/wxcomponent/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status().as_u16(), 200);
    assert_eq!(script.text().await.unwrap(), "console.log(1)");
    let missing = app
        .client
        .get(app.url("/wxcomponent/assets/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

/// Sends `GET {raw_path}` byte for byte (an HTTP client would resolve the
/// dot segments first); the status and body.
async fn raw_get(app: &TestApp, raw_path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let authority = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    let request =
        format!("GET {raw_path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{raw_path}: no status line: {answer}"));
    (status, answer)
}

#[tokio::test]
async fn console_file_paths_cannot_reach_outside_the_console() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("dist");
    std::fs::create_dir_all(dir.join("wxcomponent/assets")).expect("assets dir");
    std::fs::write(dir.join("index.html"), "<html>console</html>").expect("index");
    std::fs::write(dir.join("wxcomponent/assets/app.js"), "console.log(1)").expect("asset");
    std::fs::write(temp.path().join("secret.txt"), "TOP-SECRET-OUTSIDE").expect("outside");
    std::fs::write(dir.join("secret.txt"), "TOP-SECRET-INSIDE-BUT-NOT-AN-ASSET").expect("inside");
    let app =
        TestApp::spawn_with(&[("WXC__ADMIN__CONSOLE_DIR", dir.to_str().expect("utf-8"))]).await;
    assert_eq!(raw_get(&app, "/wxcomponent/assets/app.js").await.0, 200);

    for prefix in ["/wxcomponent/assets/", "/wxcomponent/console/"] {
        for attempt in [
            "../../secret.txt",
            "../../../secret.txt",
            "..%2f..%2fsecret.txt",
            "..%2F..%2F..%2Fsecret.txt",
            "%2e%2e/%2e%2e/secret.txt",
            "%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt",
            "..%5c..%5csecret.txt",
            "..\\..\\secret.txt",
            "....//....//secret.txt",
            "%252e%252e%252f%252e%252e%252fsecret.txt",
            "/etc/passwd",
            "%2fetc%2fpasswd",
            "app.js%00.txt",
            "../../../../../../../../etc/passwd",
        ] {
            let path = format!("{prefix}{attempt}");
            let (status, answer) = raw_get(&app, &path).await;
            assert!(
                !answer.contains("TOP-SECRET") && !answer.contains("root:"),
                "{path} leaked a file outside the console: {answer}"
            );
            assert!(
                status == 404 || status == 400,
                "{path}: {status}, expected 404 or 400: {answer}"
            );
        }
    }
}

#[tokio::test]
async fn without_a_configured_master_key_one_is_generated_into_the_key_file_once() {
    let temp = tempfile::tempdir().unwrap();
    let key_file = temp.path().join("keys").join("master.key");
    let key_file = key_file.to_str().unwrap().to_string();
    let app = TestApp::spawn_with(&[
        ("WXC__SECRETS__MASTER_KEY", ""),
        ("WXC__SECRETS__KEY_PATH", &key_file),
        ("WXC__WECHAT__COMPONENT_SECRET", ""),
    ])
    .await;
    let written = std::fs::read_to_string(&key_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may read the key");
    }
    let jwt = app.login().await;
    app.post(
        "/wxcomponent/admin/secret",
        &jwt,
        json!({"secret": app.sim.settings.component_secret}),
    )
    .await;
    // A second instance reuses the file (not a new key) and opens the secret.
    let other = app.another_instance().await;
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), written);
    other.seed_ticket().await;
    let (_, answer) = other.inner_get("/inner/component-access-token").await;
    assert_eq!(answer["code"], 0, "{answer}");
}
