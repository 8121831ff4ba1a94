//! Domain management over HTTP: the platform's server and business domain
//! registers (semicolon strings, 测试版 / 全网发布版, limits, the monthly
//! quota, the confirm file), a mini program's server domains through the
//! platform (refused until the platform has them) and directly, the
//! effective lists, and business (web-view) domains.

use crate::support_account::{assert_errcode, errcode, Sim, MINI_PROGRAM, OFFICIAL_ACCOUNT};
use serde_json::{json, Value};
use wxsim::account_state::Release;
use wxsim::calls::lock;

const SERVER: &str = "/cgi-bin/component/modify_wxa_server_domain";
const JUMP: &str = "/cgi-bin/component/modify_wxa_jump_domain";

/// Days that take the simulated clock into the next calendar month.
const NEXT_MONTH_SECS: i64 = 32 * 86_400;

async fn platform(sim: &Sim, path: &str, body: Value) -> Value {
    let token = sim.component_token();
    sim.post(&format!("{path}?access_token={token}"), &body)
        .await
}

async fn mini(sim: &Sim, token: &str, path: &str, body: Value) -> Value {
    sim.post(&format!("{path}?access_token={token}"), &body)
        .await
}

/// The file the platform's business domains must serve, served at `domain`.
async fn serve_platform_file(sim: &Sim, domain: &str) {
    let file = platform(sim, "/cgi-bin/component/get_domain_confirmfile", json!({})).await;
    assert_errcode(&file, 0);
    let served = sim
        .post(
            "/__sim/domain-file",
            &json!({"domain": domain, "file_name": file["file_name"], "file_content": file["file_content"]}),
        )
        .await;
    assert_errcode(&served, 0);
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- the platform

#[tokio::test]
async fn the_platforms_server_domains_are_added_deleted_set_and_read_as_semicolon_strings() {
    let sim = Sim::start().await;
    let empty = platform(&sim, SERVER, json!({"action": "get"})).await;
    assert_errcode(&empty, 0);
    assert_eq!(empty["testing_wxa_server_domain"], "");
    assert_eq!(empty["published_wxa_server_domain"], "");

    let added = platform(
        &sim,
        SERVER,
        json!({"action": "add", "wxa_server_domain": "a.example.com;B.example.com"}),
    )
    .await;
    assert_errcode(&added, 0);
    assert_eq!(
        added["testing_wxa_server_domain"],
        "a.example.com;b.example.com"
    );
    assert_eq!(
        added["published_wxa_server_domain"], "",
        "is_modify_published_together defaults to false: only 测试版 changes"
    );
    assert!(added.get("invalid_wxa_server_domain").is_none(), "{added}");

    let together = platform(
        &sim,
        SERVER,
        json!({"action": "add", "is_modify_published_together": true,
               "wxa_server_domain": "c.example.com;https://d.example.com;not a host;10.0.0.1"}),
    )
    .await;
    assert_errcode(&together, 0);
    assert_eq!(
        together["testing_wxa_server_domain"],
        "a.example.com;b.example.com;c.example.com"
    );
    assert_eq!(together["published_wxa_server_domain"], "c.example.com");
    assert_eq!(
        together["invalid_wxa_server_domain"],
        "https://d.example.com;not a host;10.0.0.1"
    );

    // Deleting a domain that is not there is a success, as WeChat documents.
    let deleted = platform(
        &sim,
        SERVER,
        json!({"action": "delete", "wxa_server_domain": "a.example.com;absent.example.com"}),
    )
    .await;
    assert_errcode(&deleted, 0);
    assert_eq!(
        deleted["testing_wxa_server_domain"],
        "b.example.com;c.example.com"
    );

    let set = platform(
        &sim,
        SERVER,
        json!({"action": "set", "is_modify_published_together": true, "wxa_server_domain": "e.example.com"}),
    )
    .await;
    assert_eq!(set["testing_wxa_server_domain"], "e.example.com");
    assert_eq!(set["published_wxa_server_domain"], "e.example.com");
    let read = platform(&sim, SERVER, json!({"action": "get"})).await;
    assert_eq!(read["testing_wxa_server_domain"], "e.example.com");
}

#[tokio::test]
async fn the_platforms_domain_apis_check_the_token_the_action_and_the_body() {
    let sim = Sim::start().await;
    let mini_token = sim.mini_program();
    assert_errcode(
        &mini(&sim, &mini_token, SERVER, json!({"action": "get"})).await,
        40001,
    );
    assert_errcode(&sim.post(SERVER, &json!({"action": "get"})).await, 41001);
    assert_errcode(
        &platform(&sim, SERVER, json!({"action": "replace"})).await,
        40097,
    );
    assert_errcode(&platform(&sim, JUMP, json!({})).await, 40097);
    let token = sim.component_token();
    assert_errcode(
        &sim.post_raw(&format!("{SERVER}?access_token={token}"), "")
            .await,
        44002,
    );
}

#[tokio::test]
async fn the_platform_holds_at_most_1000_server_domains() {
    let sim = Sim::start().await;
    let many: Vec<String> = (0..1000).map(|i| format!("d{i}.example.com")).collect();
    let full = platform(
        &sim,
        SERVER,
        json!({"action": "set", "wxa_server_domain": many.join(";")}),
    )
    .await;
    assert_errcode(&full, 0);
    let over = platform(
        &sim,
        SERVER,
        json!({"action": "add", "wxa_server_domain": "one-more.example.com"}),
    )
    .await;
    assert_errcode(&over, 85016);
    let read = platform(&sim, SERVER, json!({"action": "get"})).await;
    assert!(!read["testing_wxa_server_domain"]
        .as_str()
        .unwrap_or_default()
        .contains("one-more"));
}

#[tokio::test]
async fn the_platform_changes_its_server_domains_50_times_a_month() {
    let sim = Sim::start().await;
    for i in 0..50 {
        let answer = platform(
            &sim,
            SERVER,
            json!({"action": "set", "wxa_server_domain": format!("v{i}.example.com")}),
        )
        .await;
        assert_errcode(&answer, 0);
    }
    let refused = platform(
        &sim,
        SERVER,
        json!({"action": "set", "wxa_server_domain": "late.example.com"}),
    )
    .await;
    assert_errcode(&refused, 86102);
    // Reading and a change that changes nothing cost nothing.
    assert_errcode(&platform(&sim, SERVER, json!({"action": "get"})).await, 0);
    assert_errcode(
        &platform(
            &sim,
            SERVER,
            json!({"action": "add", "wxa_server_domain": "v49.example.com"}),
        )
        .await,
        0,
    );

    sim.state.clock.advance(NEXT_MONTH_SECS);
    let next_month = platform(
        &sim,
        SERVER,
        json!({"action": "set", "wxa_server_domain": "late.example.com"}),
    )
    .await;
    assert_errcode(&next_month, 0);
    assert_eq!(next_month["testing_wxa_server_domain"], "late.example.com");
}

#[tokio::test]
async fn a_platform_business_domain_must_serve_the_platforms_confirm_file() {
    let sim = Sim::start().await;
    let file = platform(&sim, "/cgi-bin/component/get_domain_confirmfile", json!({})).await;
    assert_errcode(&file, 0);
    let name = file["file_name"].as_str().unwrap_or_default();
    assert!(name.ends_with(".txt") && name.len() == 14, "{file}");
    assert_eq!(file["file_content"].as_str().map(str::len), Some(32));
    assert_eq!(
        platform(&sim, "/cgi-bin/component/get_domain_confirmfile", json!({})).await["file_name"],
        file["file_name"],
        "the same file every time"
    );

    let refused = platform(
        &sim,
        JUMP,
        json!({"action": "add", "wxa_jump_h5_domain": "h5.example.com"}),
    )
    .await;
    assert_errcode(&refused, 0);
    assert_eq!(refused["invalid_wxa_jump_h5_domain"], "h5.example.com");
    assert_eq!(refused["testing_wxa_jump_h5_domain"], "");

    serve_platform_file(&sim, "h5.example.com").await;
    let added = platform(
        &sim,
        JUMP,
        json!({"action": "add", "wxa_jump_h5_domain": "h5.example.com"}),
    )
    .await;
    assert_errcode(&added, 0);
    assert_eq!(added["testing_wxa_jump_h5_domain"], "h5.example.com");
    assert!(added.get("invalid_wxa_jump_h5_domain").is_none(), "{added}");
}

// -------------------------------------------------- a mini program's server domains

#[tokio::test]
async fn a_mini_programs_server_domain_is_refused_until_the_platform_registers_it() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let body = json!({"action": "add", "requestdomain": ["https://api.example.com"],
                      "wsrequestdomain": ["wss://api.example.com"]});

    let refused = mini(&sim, &token, "/wxa/modify_domain", body.clone()).await;
    assert_errcode(&refused, 85301);
    assert_eq!(
        strings(&refused["invalid_requestdomain"]),
        ["https://api.example.com"]
    );
    assert_eq!(
        strings(&refused["invalid_wsrequestdomain"]),
        ["wss://api.example.com"]
    );
    assert_eq!(strings(&refused["requestdomain"]), Vec::<&str>::new());

    assert_errcode(
        &platform(
            &sim,
            SERVER,
            json!({"action": "add", "wxa_server_domain": "api.example.com"}),
        )
        .await,
        0,
    );
    let accepted = mini(&sim, &token, "/wxa/modify_domain", body).await;
    assert_errcode(&accepted, 0);
    assert_eq!(
        strings(&accepted["requestdomain"]),
        ["https://api.example.com"]
    );
    assert_eq!(
        strings(&accepted["wsrequestdomain"]),
        ["wss://api.example.com"]
    );
    assert_eq!(
        strings(&accepted["invalid_requestdomain"]),
        Vec::<&str>::new()
    );
    assert_eq!(accepted["no_icp_domain"], json!([]));

    let read = mini(&sim, &token, "/wxa/modify_domain", json!({"action": "get"})).await;
    assert_errcode(&read, 0);
    assert_eq!(strings(&read["requestdomain"]), ["https://api.example.com"]);
    assert_eq!(read["udpdomain"], json!([]));
}

#[tokio::test]
async fn a_mini_programs_server_domains_follow_each_kinds_scheme() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    platform(
        &sim,
        SERVER,
        json!({"action": "add", "wxa_server_domain": "api.example.com;api.weixin.qq.com"}),
    )
    .await;
    let answer = mini(
        &sim,
        &token,
        "/wxa/modify_domain",
        json!({"action": "set",
               "requestdomain": ["https://api.example.com:8443", "https://api.example.com/path"],
               "wsrequestdomain": ["https://api.example.com"],
               "uploaddomain": ["https://api.weixin.qq.com"],
               "udpdomain": ["udp://api.example.com"],
               "tcpdomain": ["tcp://api.example.com"]}),
    )
    .await;
    assert_errcode(&answer, 0);
    assert_eq!(
        strings(&answer["requestdomain"]),
        ["https://api.example.com:8443"]
    );
    assert_eq!(strings(&answer["udpdomain"]), ["udp://api.example.com"]);
    assert_eq!(strings(&answer["tcpdomain"]), ["tcp://api.example.com"]);
    assert_eq!(
        strings(&answer["invalid_requestdomain"]),
        ["https://api.example.com/path"]
    );
    assert_eq!(
        strings(&answer["invalid_wsrequestdomain"]),
        ["https://api.example.com"]
    );
    assert_eq!(
        strings(&answer["invalid_uploaddomain"]),
        ["https://api.weixin.qq.com"]
    );

    // The same again changes nothing: 85017.
    let again = mini(
        &sim,
        &token,
        "/wxa/modify_domain",
        json!({"action": "add", "requestdomain": ["https://api.example.com:8443"]}),
    )
    .await;
    assert_errcode(&again, 85017);
    assert_errcode(
        &mini(&sim, &token, "/wxa/modify_domain", json!({"action": "add"})).await,
        85017,
    );
    assert_errcode(
        &mini(
            &sim,
            &token,
            "/wxa/modify_domain",
            json!({"action": "add", "requestdomain": "https://api.example.com"}),
        )
        .await,
        47001,
    );
}

#[tokio::test]
async fn an_official_accounts_token_cannot_configure_domains() {
    let sim = Sim::start().await;
    let token = sim.official_account();
    for path in [
        "/wxa/modify_domain",
        "/wxa/modify_domain_directly",
        "/wxa/get_effective_domain",
        "/wxa/setwebviewdomain",
    ] {
        let answer = mini(&sim, &token, path, json!({"action": "get"})).await;
        assert_eq!(errcode(&answer), 85015, "{path}: {answer}");
    }
    assert!(!lock(&sim.state.domains)
        .mini_programs
        .contains_key(OFFICIAL_ACCOUNT));
}

#[tokio::test]
async fn a_mini_program_changes_its_server_domains_50_times_a_month() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    platform(
        &sim,
        SERVER,
        json!({"action": "add", "wxa_server_domain": "api.example.com"}),
    )
    .await;
    let through_platform = json!({"action": "add", "requestdomain": ["https://api.example.com"]});
    let removal = json!({"action": "delete", "requestdomain": ["https://api.example.com"]});
    for i in 0..50 {
        let (path, body) = match i % 3 {
            0 => ("/wxa/modify_domain", &through_platform),
            1 => ("/wxa/modify_domain", &removal),
            _ => (
                "/wxa/modify_domain_directly",
                &json!({"action": "set", "requestdomain": [format!("https://d{i}.example.com")]}),
            ),
        };
        let answer = mini(&sim, &token, path, body.clone()).await;
        assert_eq!(errcode(&answer), 0, "change {i}: {answer}");
    }
    let current = mini(&sim, &token, "/wxa/modify_domain", json!({"action": "get"})).await;
    let next = if strings(&current["requestdomain"]).is_empty() {
        &through_platform
    } else {
        &removal
    };
    assert_errcode(
        &mini(&sim, &token, "/wxa/modify_domain", next.clone()).await,
        86102,
    );
    assert_errcode(
        &mini(
            &sim,
            &token,
            "/wxa/modify_domain_directly",
            json!({"action": "add", "tcpdomain": ["tcp://late.example.com"]}),
        )
        .await,
        86102,
    );

    sim.state.clock.advance(NEXT_MONTH_SECS);
    let token = sim.mini_program();
    assert_errcode(
        &mini(&sim, &token, "/wxa/modify_domain", next.clone()).await,
        0,
    );
}

#[tokio::test]
async fn domains_set_directly_need_no_platform_but_wechats_url_rules() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let direct = "/wxa/modify_domain_directly";
    let wrong_scheme = mini(
        &sim,
        &token,
        direct,
        json!({"action": "add", "wsrequestdomain": ["https://ws.example.com"]}),
    )
    .await;
    assert_errcode(&wrong_scheme, 86100);
    assert_errcode(
        &mini(
            &sim,
            &token,
            direct,
            json!({"action": "add", "requestdomain": ["https://api.weixin.qq.com"]}),
        )
        .await,
        86101,
    );
    let too_many: Vec<String> = (0..201)
        .map(|i| format!("https://d{i}.example.com"))
        .collect();
    assert_errcode(
        &mini(
            &sim,
            &token,
            direct,
            json!({"action": "add", "downloaddomain": too_many}),
        )
        .await,
        85016,
    );

    let added = mini(
        &sim,
        &token,
        direct,
        json!({"action": "add", "requestdomain": ["https://own.example.com"],
               "wsrequestdomain": ["wss://own.example.com"]}),
    )
    .await;
    assert_errcode(&added, 0);
    assert_eq!(
        strings(&added["requestdomain"]),
        ["https://own.example.com"]
    );
    let read = mini(&sim, &token, direct, json!({"action": "get"})).await;
    assert_eq!(strings(&read["wsrequestdomain"]), ["wss://own.example.com"]);
    // The platform way does not see them.
    let third = mini(&sim, &token, "/wxa/modify_domain", json!({"action": "get"})).await;
    assert_eq!(strings(&third["requestdomain"]), Vec::<&str>::new());
}

#[tokio::test]
async fn the_effective_domains_join_both_ways_and_follow_the_platforms_published_list_after_release(
) {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    platform(
        &sim,
        SERVER,
        json!({"action": "add", "wxa_server_domain": "api.example.com"}),
    )
    .await;
    mini(
        &sim,
        &token,
        "/wxa/modify_domain",
        json!({"action": "add", "requestdomain": ["https://api.example.com"]}),
    )
    .await;
    mini(
        &sim,
        &token,
        "/wxa/modify_domain_directly",
        json!({"action": "add", "requestdomain": ["https://own.example.com"]}),
    )
    .await;
    let effective_path = "/wxa/get_effective_domain";
    assert_errcode(
        &sim.post_raw(&format!("{effective_path}?access_token={token}"), "")
            .await,
        44002,
    );

    let effective = mini(&sim, &token, effective_path, json!({})).await;
    assert_errcode(&effective, 0);
    assert_eq!(effective["mp_domain"]["requestdomain"], json!([]));
    assert_eq!(
        strings(&effective["third_domain"]["requestdomain"]),
        ["https://api.example.com"]
    );
    assert_eq!(
        strings(&effective["direct_domain"]["requestdomain"]),
        ["https://own.example.com"]
    );
    assert_eq!(
        strings(&effective["effective_domain"]["requestdomain"]),
        ["https://api.example.com", "https://own.example.com"]
    );
    assert_eq!(effective["effective_domain"]["tcpdomain"], json!([]));

    // Released: only what the platform's 全网发布版 holds stays.
    lock(&sim.state.accounts).account(MINI_PROGRAM).code.release = Some(Release {
        user_version: "1.0.0".into(),
        user_desc: "first".into(),
        release_time: sim.state.now(),
        auditid: 1,
        reverted: false,
    });
    let released = mini(&sim, &token, effective_path, json!({})).await;
    assert_eq!(
        strings(&released["effective_domain"]["requestdomain"]),
        ["https://own.example.com"]
    );
    platform(
        &sim,
        SERVER,
        json!({"action": "add", "is_modify_published_together": true, "wxa_server_domain": "api.example.com"}),
    )
    .await;
    let published = mini(&sim, &token, effective_path, json!({})).await;
    assert_eq!(
        strings(&published["effective_domain"]["requestdomain"]),
        ["https://api.example.com", "https://own.example.com"]
    );
}

// ------------------------------------------------ a mini program's business domains

#[tokio::test]
async fn a_business_domain_must_be_the_platforms_or_a_subdomain_of_one() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let path = "/wxa/setwebviewdomain";
    let body = json!({"action": "add", "webviewdomain": ["https://m.h5.example.com"]});
    assert_errcode(&mini(&sim, &token, path, body.clone()).await, 89020);

    serve_platform_file(&sim, "h5.example.com").await;
    platform(
        &sim,
        JUMP,
        json!({"action": "add", "wxa_jump_h5_domain": "h5.example.com"}),
    )
    .await;
    let added = mini(&sim, &token, path, body.clone()).await;
    assert_errcode(&added, 0);
    assert!(
        added.get("webviewdomain").is_none(),
        "only get answers the list: {added}"
    );
    assert_errcode(&mini(&sim, &token, path, body).await, 89019);
    for outside in [
        "https://other.example.com",
        "http://h5.example.com",
        "h5.example.com",
        "https://h5.example.com:8443",
    ] {
        let answer = mini(
            &sim,
            &token,
            path,
            json!({"action": "add", "webviewdomain": [outside]}),
        )
        .await;
        assert_eq!(errcode(&answer), 89021, "{outside}: {answer}");
    }

    // Without an action every platform business domain is added.
    assert_errcode(&mini(&sim, &token, path, json!({})).await, 0);
    let read = mini(&sim, &token, path, json!({"action": "get"})).await;
    assert_errcode(&read, 0);
    assert_eq!(
        strings(&read["webviewdomain"]),
        ["https://m.h5.example.com", "https://h5.example.com"]
    );
    let many: Vec<String> = (0..300)
        .map(|i| format!("https://p{i}.h5.example.com"))
        .collect();
    assert_errcode(
        &mini(
            &sim,
            &token,
            path,
            json!({"action": "add", "webviewdomain": many}),
        )
        .await,
        89029,
    );
}

#[tokio::test]
async fn a_business_domain_set_directly_must_serve_the_mini_programs_confirm_file() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let direct = "/wxa/setwebviewdomain_directly";
    let body = json!({"action": "add", "webviewdomain": ["https://shop.example.com"]});
    assert_errcode(&mini(&sim, &token, direct, body.clone()).await, 86103);

    let confirm = "/wxa/get_webviewdomain_confirmfile";
    assert_errcode(
        &sim.post_raw(&format!("{confirm}?access_token={token}"), "")
            .await,
        44002,
    );
    let file = mini(&sim, &token, confirm, json!({})).await;
    assert_errcode(&file, 0);
    let platform_file =
        platform(&sim, "/cgi-bin/component/get_domain_confirmfile", json!({})).await;
    assert_ne!(
        file["file_name"], platform_file["file_name"],
        "each owner has its own file"
    );
    sim.post(
        "/__sim/domain-file",
        &json!({"domain": "shop.example.com", "file_name": file["file_name"], "file_content": file["file_content"]}),
    )
    .await;

    let added = mini(&sim, &token, direct, body).await;
    assert_errcode(&added, 0);
    assert_eq!(
        strings(&added["webviewdomain"]),
        ["https://shop.example.com"]
    );
    assert_errcode(
        &mini(
            &sim,
            &token,
            direct,
            json!({"action": "add", "webviewdomain": ["http://shop.example.com"]}),
        )
        .await,
        86100,
    );

    let effective = mini(&sim, &token, "/wxa/get_effective_webviewdomain", json!({})).await;
    assert_errcode(&effective, 0);
    assert_eq!(effective["mp_webviewdomain"], json!([]));
    assert_eq!(effective["third_webviewdomain"], json!([]));
    assert_eq!(
        strings(&effective["direct_webviewdomain"]),
        ["https://shop.example.com"]
    );
    assert_eq!(
        strings(&effective["effective_webviewdomain"]),
        ["https://shop.example.com"]
    );
}

#[tokio::test]
async fn a_reset_forgets_every_domain() {
    let sim = Sim::start().await;
    platform(
        &sim,
        SERVER,
        json!({"action": "add", "wxa_server_domain": "api.example.com"}),
    )
    .await;
    let before = sim.get("/__sim/domains").await;
    assert_eq!(before["server"]["testing"], json!(["api.example.com"]));
    sim.post("/__sim/reset", &json!({})).await;
    let after = sim.get("/__sim/domains").await;
    assert_eq!(after["server"]["testing"], json!([]));
}
