//! The WeChat client's errors: they name the API path and never carry the
//! request URL, whose query holds access tokens, so logging them is safe.

use std::time::Duration;

use common::wechat::WechatClient;

#[tokio::test]
async fn a_transport_failure_names_the_path_but_not_the_token() {
    // Nothing listens on the discard port: the connection is refused.
    let client = WechatClient::new("http://127.0.0.1:9", Duration::from_secs(2)).expect("client");
    let secret = "ACCESS_TOKEN_THAT_MUST_NOT_LEAK";
    let error = client
        .get_raw("/cgi-bin/menu/get", &[("access_token", secret)])
        .await
        .expect_err("nothing listens there");
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(shown.contains("/cgi-bin/menu/get"), "{shown}");
        assert!(!shown.contains(secret), "{shown}");
    }
    let error = client
        .post_raw(
            "/cgi-bin/component/api_get_authorizer_info",
            &[("component_access_token", secret)],
            &serde_json::json!({}),
        )
        .await
        .expect_err("nothing listens there");
    assert!(!error.to_string().contains(secret), "{error}");
    assert!(!format!("{error:?}").contains(secret), "{error:?}");
}
