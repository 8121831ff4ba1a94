//! The envelope and error codes match wxcomponent's `comm/errno`.

use common::envelope::{ApiError, Envelope, ErrorCode};
use serde_json::json;

#[test]
fn success_envelope_has_code_zero_and_ok() {
    let body = serde_json::to_value(Envelope::ok(json!({"jwt": "x"}))).expect("serialize");
    assert_eq!(
        body,
        json!({"code": 0, "errorMsg": "OK", "data": {"jwt": "x"}})
    );
    let empty = serde_json::to_value(Envelope::ok_empty()).expect("serialize");
    assert_eq!(empty, json!({"code": 0, "errorMsg": "OK"}));
}

#[test]
fn error_codes_and_messages_are_wxcomponents() {
    let table: Vec<(i32, &str)> = ErrorCode::ALL
        .iter()
        .map(|c| (c.code(), c.message()))
        .collect();
    assert_eq!(
        table,
        vec![
            (1000, "访问未授权"),
            (1001, "参数格式有误"),
            (1002, "系统错误"),
            (1003, "登录超时"),
            (1004, "Token错误"),
            (1005, "用户更新错误"),
            (1006, "登录失败"),
            (1007, "Ticket为空"),
            (1008, "状态异常"),
            (1009, "类型错误"),
            (1010, "请求错误"),
            (1011, "登录失败次数超过限制"),
        ]
    );
}

#[test]
fn client_mistakes_are_4xx_and_internal_failures_5xx() {
    for code in ErrorCode::ALL {
        let status = code.http_status();
        match code {
            ErrorCode::SystemError | ErrorCode::RequestErr | ErrorCode::EmptyTicket => {
                assert!(status >= 500, "{code:?} → {status}")
            }
            _ => assert!((400..500).contains(&status), "{code:?} → {status}"),
        }
    }
}

#[test]
fn internal_errors_never_send_their_cause() {
    let err = ApiError::internal("connection refused to 10.0.0.5:3306 as root");
    let body = serde_json::to_string(&err.envelope()).expect("serialize");
    assert_eq!(body, r#"{"code":1002,"errorMsg":"系统错误"}"#);
    assert_eq!(err.status(), 500);
    assert!(
        err.to_string().contains("10.0.0.5"),
        "the log line keeps the cause"
    );
}

#[test]
fn invalid_param_carries_a_message_saying_what_to_fix() {
    let err = ApiError::invalid_param("limit must be between 1 and 100");
    assert_eq!(err.code(), 1001);
    assert_eq!(err.status(), 400);
    assert_eq!(
        serde_json::to_value(err.envelope()).expect("serialize"),
        json!({"code": 1001, "errorMsg": "limit must be between 1 and 100"})
    );
}
