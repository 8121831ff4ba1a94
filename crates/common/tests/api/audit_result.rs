//! Audit-result pushes (代码审核结果推送) as WeChat documents them, in XML and
//! JSON, and every other message left alone.

use common::message::{AuditOutcome, AuditResult, Message};

fn result_of(body: &str) -> Option<AuditResult> {
    let message = Message::parse(body).expect("push parses");
    AuditResult::from_message(&message).expect("audit fields readable")
}

#[test]
fn a_rejection_carries_its_reason_screenshots_and_time() {
    let xml = "<xml><ToUserName><![CDATA[gh_fb9688c2a4b2]]></ToUserName>\
        <FromUserName><![CDATA[od1P50M-fNQI5Gcq-trm4a7apsU8]]></FromUserName>\
        <CreateTime>1488856591</CreateTime><MsgType><![CDATA[event]]></MsgType>\
        <Event><![CDATA[weapp_audit_fail]]></Event><Reason><![CDATA[1:账号信息不符合规范:<br>(1):包含色情因素<br>]]></Reason>\
        <FailTime>1488856590</FailTime><ScreenShot><![CDATA[xxx|yyy|zzz]]></ScreenShot></xml>";
    let result = result_of(xml).expect("an audit result");
    assert_eq!(result.outcome, AuditOutcome::Rejected);
    assert_eq!(result.outcome.status(), 1);
    assert_eq!(
        result.reason,
        "1:账号信息不符合规范:<br>(1):包含色情因素<br>"
    );
    assert_eq!(result.screen_shot, "xxx|yyy|zzz");
    assert_eq!(result.time, 1_488_856_590);
}

#[test]
fn a_success_and_a_delay_in_json() {
    let success = r#"{"ToUserName":"gh_fb9688c2a4b2","FromUserName":"od1P50M","CreateTime":1488856741,"MsgType":"event","Event":"weapp_audit_success","SuccTime":1488856740}"#;
    let result = result_of(success).expect("an audit result");
    assert_eq!((result.outcome.status(), result.time), (0, 1_488_856_740));
    assert_eq!(
        (result.reason.as_str(), result.screen_shot.as_str()),
        ("", "")
    );

    let delay = r#"{"ToUserName":"gh_fb9688c2a4b2","FromUserName":"od1P50M","CreateTime":1488856800,"MsgType":"event","Event":"weapp_audit_delay","Reason":"审核延后","DelayTime":1488856799}"#;
    let result = result_of(delay).expect("an audit result");
    assert_eq!(result.outcome, AuditOutcome::Delayed);
    assert_eq!(
        (result.outcome.status(), result.reason.as_str()),
        (4, "审核延后")
    );
    assert_eq!(result.time, 1_488_856_799);
}

#[test]
fn other_messages_are_no_audit_result() {
    let subscribe = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"event","Event":"subscribe"}"#;
    assert_eq!(result_of(subscribe), None);
    let text = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"text","Content":"weapp_audit_fail","MsgId":"1"}"#;
    assert_eq!(result_of(text), None);
}

#[test]
fn a_malformed_time_is_an_error_not_a_panic() {
    let body = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"event","Event":"weapp_audit_success","SuccTime":{"x":1}}"#;
    let message = Message::parse(body).expect("push parses");
    assert!(AuditResult::from_message(&message).is_err());
}
