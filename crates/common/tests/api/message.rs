//! The WeChat push / reply model: real-shaped XML and JSON pushes, passive replies in both
//! encodings, and the guarantee that malformed input is a typed error, never a panic.

use common::message::{
    Article, AuthorizationChange, ComponentEvent, ComponentEventKind, EncryptedEnvelope, Format,
    Message, MessageError, MessageKind, PassiveReply, RawFields, Reply, MAX_NEWS_ARTICLES,
    MAX_XML_DEPTH,
};
use proptest::prelude::*;
use serde_json::json;

fn missing(field: &str) -> MessageError {
    MessageError::MissingField(field.to_owned())
}

/// Parses the same message from XML and JSON, asserts the typed views agree, returns it.
fn same_message(xml: &str, json: &str) -> Message {
    let from_xml = Message::parse(xml).expect("xml parses");
    let from_json = Message::parse(json).expect("json parses");
    assert_eq!(from_xml.to_user_name, from_json.to_user_name);
    assert_eq!(from_xml.from_user_name, from_json.from_user_name);
    assert_eq!(from_xml.create_time, from_json.create_time);
    assert_eq!(from_xml.msg_id, from_json.msg_id);
    assert_eq!(from_xml.kind, from_json.kind);
    from_xml
}

/// Parses the same component push from XML and JSON, asserts the typed views agree.
fn same_component_event(xml: &str, json: &str) -> ComponentEvent {
    let from_xml = ComponentEvent::parse(xml).expect("xml parses");
    let from_json = ComponentEvent::parse(json).expect("json parses");
    assert_eq!(from_xml.app_id, from_json.app_id);
    assert_eq!(from_xml.create_time, from_json.create_time);
    assert_eq!(from_xml.kind, from_json.kind);
    from_xml
}

// ---------------------------------------------------------------- format and raw fields

#[test]
fn format_sniff_looks_at_the_first_non_whitespace_character() {
    assert_eq!(Format::sniff("<xml></xml>"), Some(Format::Xml));
    assert_eq!(Format::sniff(" \r\n\t<xml/>"), Some(Format::Xml));
    assert_eq!(Format::sniff("\u{feff}<xml/>"), Some(Format::Xml));
    assert_eq!(Format::sniff("{\"a\":1}"), Some(Format::Json));
    assert_eq!(Format::sniff("\n  {}"), Some(Format::Json));
    assert_eq!(Format::sniff(""), None);
    assert_eq!(Format::sniff("   "), None);
    assert_eq!(Format::sniff("success"), None);
    assert_eq!(Format::sniff("[1,2]"), None);
}

#[test]
fn raw_fields_keep_cdata_text_exactly_including_surrounding_whitespace() {
    let raw = RawFields::parse(
        "<xml><Content><![CDATA[  two  spaces\n and a newline ]]></Content><Empty></Empty><Self/></xml>",
    )
    .unwrap();
    assert_eq!(
        raw.get_str("Content").as_deref(),
        Some("  two  spaces\n and a newline ")
    );
    assert_eq!(raw.get_str("Empty").as_deref(), Some(""));
    assert_eq!(raw.get_str("Self").as_deref(), Some(""));
    assert_eq!(raw.get_str("Absent"), None);
}

#[test]
fn raw_fields_turn_nested_xml_into_objects_and_repeated_children_into_arrays() {
    let raw = RawFields::parse(
        "<xml>\n  <SendPicsInfo>\n    <Count>2</Count>\n    <PicList>\n      \
         <item><PicMd5Sum><![CDATA[aaa]]></PicMd5Sum></item>\n      \
         <item><PicMd5Sum><![CDATA[bbb]]></PicMd5Sum></item>\n    </PicList>\n  \
         </SendPicsInfo>\n</xml>",
    )
    .unwrap();
    assert_eq!(
        raw.get("SendPicsInfo"),
        Some(&json!({
            "Count": "2",
            "PicList": { "item": [ { "PicMd5Sum": "aaa" }, { "PicMd5Sum": "bbb" } ] }
        }))
    );
    let info = raw.nested("SendPicsInfo").unwrap();
    assert_eq!(info.get_i64("Count"), Some(2));
    assert!(raw.nested("Missing").is_none());
}

#[test]
fn raw_fields_keep_json_numbers_as_numbers_and_render_them_as_text_on_request() {
    let raw = RawFields::parse(r#"{"CreateTime":1348831860,"MsgId":1234567890123456,"Flag":true}"#)
        .unwrap();
    assert_eq!(raw.get("CreateTime"), Some(&json!(1348831860)));
    assert_eq!(raw.get_str("CreateTime").as_deref(), Some("1348831860"));
    assert_eq!(raw.get_i64("CreateTime"), Some(1348831860));
    assert_eq!(raw.get_str("MsgId").as_deref(), Some("1234567890123456"));
    assert_eq!(raw.get_str("Flag").as_deref(), Some("true"));
}

#[test]
fn raw_fields_get_i64_parses_numeric_text_and_refuses_the_rest() {
    let raw = RawFields::parse("<xml><A>42</A><B> -7 </B><C>4x2</C><D>1.5</D></xml>").unwrap();
    assert_eq!(raw.get_i64("A"), Some(42));
    assert_eq!(raw.get_i64("B"), Some(-7));
    assert_eq!(raw.get_i64("C"), None);
    assert_eq!(raw.get_i64("D"), None);
    assert_eq!(raw.get_f64("D"), Some(1.5));
    assert!(matches!(raw.require_i64("C"), Err(MessageError::BadField(f, _)) if f == "C"));
    assert_eq!(raw.require_i64("Z"), Err(missing("Z")));
}

#[test]
fn raw_fields_require_str_names_the_missing_field_and_treats_json_null_as_missing() {
    let raw = RawFields::parse(r#"{"A":"x","N":null,"O":{"k":"v"}}"#).unwrap();
    assert_eq!(raw.require_str("A"), Ok("x".to_owned()));
    assert_eq!(raw.require_str("B"), Err(missing("B")));
    assert_eq!(raw.require_str("N"), Err(missing("N")));
    assert!(matches!(raw.require_str("O"), Err(MessageError::BadField(f, _)) if f == "O"));
}

#[test]
fn raw_fields_parse_with_format_reports_the_encoding_used() {
    let (format, _) = RawFields::parse_with_format("<xml><A>1</A></xml>").unwrap();
    assert_eq!(format, Format::Xml);
    let (format, _) = RawFields::parse_with_format(" {\"A\":1}").unwrap();
    assert_eq!(format, Format::Json);
}

#[test]
fn raw_fields_serialize_as_a_plain_json_object() {
    let raw = RawFields::parse("<xml><A><![CDATA[x]]></A><B><C>1</C></B></xml>").unwrap();
    assert_eq!(
        serde_json::to_value(&raw).unwrap(),
        json!({"A": "x", "B": {"C": "1"}})
    );
}

#[test]
fn raw_fields_from_json_write_wechat_shaped_xml_that_reads_back_the_same() {
    let raw = RawFields::parse(
        r#"{"ToUserName":"gh_1","CreateTime":1700000000,"MsgType":"event","Flag":true,
            "ScanCodeInfo":{"ScanType":"qrcode"},"Item":["a","b"],"Empty":null}"#,
    )
    .unwrap();
    let xml = raw.to_xml();
    assert!(xml.starts_with("<xml><"), "{xml}");
    assert!(
        xml.contains("<ToUserName><![CDATA[gh_1]]></ToUserName>"),
        "{xml}"
    );
    assert!(xml.contains("<CreateTime>1700000000</CreateTime>"), "{xml}");
    assert!(
        xml.contains("<Item><![CDATA[a]]></Item><Item><![CDATA[b]]></Item>"),
        "{xml}"
    );
    let back = RawFields::parse(&xml).unwrap();
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        json!({"ToUserName": "gh_1", "CreateTime": "1700000000", "MsgType": "event",
               "Flag": "true", "ScanCodeInfo": {"ScanType": "qrcode"}, "Item": ["a", "b"],
               "Empty": ""})
    );
}

#[test]
fn raw_fields_to_xml_leaves_out_keys_that_are_not_xml_names_and_splits_cdata_ends() {
    let raw = RawFields::parse(
        r#"{"Content":"a]]>b","bad key":"x","<script>":"y","1st":"z","Ok_1.x-y":"w"}"#,
    )
    .unwrap();
    let xml = raw.to_xml();
    let back = RawFields::parse(&xml).unwrap();
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        json!({"Content": "a]]>b", "Ok_1.x-y": "w"})
    );
}

// ---------------------------------------------------------------- malformed input

#[test]
fn empty_or_blank_body_is_refused_by_every_parser() {
    for body in ["", "   ", "\n\t \r\n"] {
        assert_eq!(RawFields::parse(body), Err(MessageError::Empty));
        assert_eq!(Message::parse(body), Err(MessageError::Empty));
        assert_eq!(ComponentEvent::parse(body), Err(MessageError::Empty));
        assert_eq!(EncryptedEnvelope::parse(body), Err(MessageError::Empty));
        assert_eq!(PassiveReply::parse(body), Err(MessageError::Empty));
        assert_eq!(Format::Xml.parse(body), Err(MessageError::Empty));
        assert_eq!(Format::Json.parse(body), Err(MessageError::Empty));
    }
}

#[test]
fn body_that_is_neither_xml_nor_json_is_refused() {
    for body in [
        "success",
        "hello <xml>",
        "42",
        "\"text\"",
        "ToUserName=gh_1",
    ] {
        assert_eq!(
            RawFields::parse(body),
            Err(MessageError::UnknownFormat),
            "{body}"
        );
        assert_eq!(Message::parse(body), Err(MessageError::UnknownFormat));
    }
}

#[test]
fn xml_whose_root_is_not_xml_is_refused() {
    assert_eq!(
        Message::parse("<message><MsgType>text</MsgType></message>"),
        Err(MessageError::WrongRoot("message".to_owned()))
    );
}

#[test]
fn xml_with_a_doctype_is_refused_even_without_entities() {
    let simple = "<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>";
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
               <xml><Content>&xxe;</Content></xml>";
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">\
                  <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\
                  <xml><Content>&lol2;</Content></xml>";
    for body in [simple, xxe, laughs] {
        assert_eq!(RawFields::parse(body), Err(MessageError::DtdForbidden));
        assert_eq!(Message::parse(body), Err(MessageError::DtdForbidden));
        assert_eq!(
            EncryptedEnvelope::parse(body),
            Err(MessageError::DtdForbidden)
        );
    }
}

#[test]
fn truncated_or_malformed_xml_is_a_typed_error() {
    for body in [
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><MsgType>te",
        "<xml><ToUserName><![CDATA[gh_1",
        "<xml><A></B></xml>",
        "<xml>",
        "<",
        "<xml></xml><xml></xml>",
    ] {
        assert!(
            matches!(RawFields::parse(body), Err(MessageError::Xml(_))),
            "{body}"
        );
    }
}

#[test]
fn json_that_is_not_an_object_is_refused() {
    assert_eq!(
        Message::parse(r#"[{"MsgType":"text"}]"#),
        Err(MessageError::NotAnObject("an array"))
    );
    assert_eq!(
        Format::Json.parse("\"x\""),
        Err(MessageError::NotAnObject("text"))
    );
}

#[test]
fn truncated_json_is_a_typed_error() {
    assert!(matches!(
        Message::parse(r#"{"ToUserName":"gh_1","MsgType":"te"#),
        Err(MessageError::Json(_))
    ));
}

#[test]
fn absurdly_deep_xml_is_refused_before_it_can_overflow_the_stack() {
    let depth = 200_000;
    let body = format!("<xml>{}{}</xml>", "<a>".repeat(depth), "</a>".repeat(depth));
    assert_eq!(
        RawFields::parse(&body),
        Err(MessageError::TooDeep(MAX_XML_DEPTH))
    );
    let unclosed = format!("<xml>{}", "<a x='>'>".repeat(depth));
    assert_eq!(
        Message::parse(&unclosed),
        Err(MessageError::TooDeep(MAX_XML_DEPTH))
    );
}

#[test]
fn xml_nesting_up_to_the_limit_is_accepted_and_one_more_is_refused() {
    let nested = |levels: usize| {
        format!(
            "<xml>{}x{}</xml>",
            "<a>".repeat(levels),
            "</a>".repeat(levels)
        )
    };
    assert!(RawFields::parse(&nested(MAX_XML_DEPTH)).is_ok());
    assert_eq!(
        RawFields::parse(&nested(MAX_XML_DEPTH + 1)),
        Err(MessageError::TooDeep(MAX_XML_DEPTH))
    );
    let siblings = format!("<xml>{}</xml>", "<a/><b x=\"/>\"></b>".repeat(10_000));
    assert!(RawFields::parse(&siblings).is_ok());
}

#[test]
fn message_without_msg_type_is_missing_msg_type() {
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
               <CreateTime>1</CreateTime><Content>hi</Content></xml>";
    assert_eq!(Message::parse(xml), Err(missing("MsgType")));
    let json = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"Content":"hi"}"#;
    assert_eq!(Message::parse(json), Err(missing("MsgType")));
}

#[test]
fn message_without_create_time_is_missing_create_time() {
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
               <MsgType>text</MsgType><Content>hi</Content></xml>";
    assert_eq!(Message::parse(xml), Err(missing("CreateTime")));
}

#[test]
fn message_with_non_numeric_create_time_is_a_bad_field() {
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
               <CreateTime>yesterday</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>";
    let err = Message::parse(xml).unwrap_err();
    assert!(matches!(&err, MessageError::BadField(f, _) if f == "CreateTime"));
    assert!(err.to_string().contains("CreateTime"));
    assert!(err.to_string().contains("yesterday"));
    let json = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1.5,"MsgType":"text","Content":"x"}"#;
    assert!(matches!(Message::parse(json), Err(MessageError::BadField(f, _)) if f == "CreateTime"));
}

#[test]
fn message_with_a_repeated_required_field_is_a_bad_field() {
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
               <CreateTime>1</CreateTime><MsgType>text</MsgType><Content>a</Content>\
               <Content>b</Content></xml>";
    assert!(matches!(Message::parse(xml), Err(MessageError::BadField(f, _)) if f == "Content"));
}

#[test]
fn typed_message_missing_its_type_specific_field_names_it() {
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
               <CreateTime>1</CreateTime><MsgType>image</MsgType><PicUrl>http://p</PicUrl></xml>";
    assert_eq!(Message::parse(xml), Err(missing("MediaId")));
}

#[test]
fn component_event_without_info_type_is_missing_info_type() {
    let xml = "<xml><AppId>wx1</AppId><CreateTime>1</CreateTime>\
               <ComponentVerifyTicket>t</ComponentVerifyTicket></xml>";
    assert_eq!(ComponentEvent::parse(xml), Err(missing("InfoType")));
}

#[test]
fn component_event_without_create_time_is_missing_create_time() {
    let json =
        r#"{"AppId":"wx1","InfoType":"component_verify_ticket","ComponentVerifyTicket":"t"}"#;
    assert_eq!(ComponentEvent::parse(json), Err(missing("CreateTime")));
}

#[test]
fn component_event_with_non_numeric_create_time_is_a_bad_field() {
    let xml = "<xml><AppId>wx1</AppId><CreateTime>soon</CreateTime>\
               <InfoType>component_verify_ticket</InfoType>\
               <ComponentVerifyTicket>t</ComponentVerifyTicket></xml>";
    assert!(
        matches!(ComponentEvent::parse(xml), Err(MessageError::BadField(f, _)) if f == "CreateTime")
    );
}

#[test]
fn error_messages_name_the_field_at_fault() {
    assert_eq!(missing("Encrypt").to_string(), "missing field Encrypt");
    assert_eq!(
        MessageError::ArticleCount(9).to_string(),
        "news reply must carry 1 to 8 articles, got 9"
    );
    assert!(MessageError::DtdForbidden.to_string().contains("DTD"));
}

// ---------------------------------------------------------------- encrypted envelope

#[test]
fn encrypted_envelope_parses_a_biz_push_with_to_user_name() {
    let env = EncryptedEnvelope::parse(
        "<xml>\n    <ToUserName><![CDATA[gh_b4d2a0d8a6a1]]></ToUserName>\n    \
         <Encrypt><![CDATA[xYzAbC+/123==]]></Encrypt>\n</xml>",
    )
    .unwrap();
    assert_eq!(
        env,
        EncryptedEnvelope {
            to_user_name: Some("gh_b4d2a0d8a6a1".to_owned()),
            app_id: None,
            encrypt: "xYzAbC+/123==".to_owned(),
        }
    );
}

#[test]
fn encrypted_envelope_parses_a_component_push_with_app_id() {
    let env = EncryptedEnvelope::parse(
        "<xml><AppId><![CDATA[wx0123456789abcdef]]></AppId><Encrypt><![CDATA[QUJD]]></Encrypt></xml>",
    )
    .unwrap();
    assert_eq!(env.app_id.as_deref(), Some("wx0123456789abcdef"));
    assert_eq!(env.to_user_name, None);
    assert_eq!(env.encrypt, "QUJD");
}

#[test]
fn encrypted_envelope_parses_from_json_with_same_fields_as_xml() {
    let env = EncryptedEnvelope::parse(r#"{"ToUserName":"gh_1","Encrypt":"QUJD"}"#).unwrap();
    assert_eq!(env.to_user_name.as_deref(), Some("gh_1"));
    assert_eq!(env.encrypt, "QUJD");
}

#[test]
fn encrypted_envelope_without_encrypt_is_missing_encrypt() {
    assert_eq!(
        EncryptedEnvelope::parse("<xml><ToUserName>gh_1</ToUserName></xml>"),
        Err(missing("Encrypt"))
    );
    assert_eq!(
        EncryptedEnvelope::parse(r#"{"ToUserName":"gh_1"}"#),
        Err(missing("Encrypt"))
    );
}

#[test]
fn encrypted_envelope_with_empty_encrypt_is_a_bad_field() {
    assert!(matches!(
        EncryptedEnvelope::parse("<xml><Encrypt><![CDATA[]]></Encrypt></xml>"),
        Err(MessageError::BadField(f, _)) if f == "Encrypt"
    ));
}

// ---------------------------------------------------------------- component events

#[test]
fn verify_ticket_push_parses_from_xml_and_json() {
    let event = same_component_event(
        "<xml><AppId><![CDATA[wx123]]></AppId><CreateTime>1413192605</CreateTime>\
         <InfoType><![CDATA[component_verify_ticket]]></InfoType>\
         <ComponentVerifyTicket><![CDATA[ticket@@@xyz]]></ComponentVerifyTicket></xml>",
        r#"{"AppId":"wx123","CreateTime":1413192605,"InfoType":"component_verify_ticket",
            "ComponentVerifyTicket":"ticket@@@xyz"}"#,
    );
    assert_eq!(event.app_id, "wx123");
    assert_eq!(event.create_time, 1413192605);
    assert_eq!(
        event.kind,
        ComponentEventKind::VerifyTicket {
            ticket: "ticket@@@xyz".to_owned()
        }
    );
    assert_eq!(event.info_type(), "component_verify_ticket");
}

#[test]
fn verify_ticket_push_without_the_ticket_is_missing_component_verify_ticket() {
    assert_eq!(
        ComponentEvent::parse(
            "<xml><AppId>wx1</AppId><CreateTime>1</CreateTime>\
             <InfoType>component_verify_ticket</InfoType></xml>"
        ),
        Err(missing("ComponentVerifyTicket"))
    );
}

#[test]
fn authorized_push_parses_from_xml_and_json_with_pre_auth_code() {
    let event = same_component_event(
        "<xml><AppId>第三方平台appid</AppId><CreateTime>1413192760</CreateTime>\
         <InfoType>authorized</InfoType><AuthorizerAppid>公众号appid</AuthorizerAppid>\
         <AuthorizationCode>授权码</AuthorizationCode>\
         <AuthorizationCodeExpiredTime>1413196360</AuthorizationCodeExpiredTime>\
         <PreAuthCode>预授权码</PreAuthCode></xml>",
        r#"{"AppId":"第三方平台appid","CreateTime":1413192760,"InfoType":"authorized",
            "AuthorizerAppid":"公众号appid","AuthorizationCode":"授权码",
            "AuthorizationCodeExpiredTime":1413196360,"PreAuthCode":"预授权码"}"#,
    );
    assert_eq!(event.info_type(), "authorized");
    assert_eq!(
        event.kind,
        ComponentEventKind::Authorized(AuthorizationChange {
            authorizer_appid: "公众号appid".to_owned(),
            authorization_code: "授权码".to_owned(),
            authorization_code_expired_time: 1413196360,
            pre_auth_code: Some("预授权码".to_owned()),
        })
    );
}

#[test]
fn authorized_push_accepts_expiry_as_text_in_json_and_no_pre_auth_code() {
    let event = ComponentEvent::parse(
        r#"{"AppId":"wx1","CreateTime":"1413192760","InfoType":"authorized",
            "AuthorizerAppid":"wxa","AuthorizationCode":"code",
            "AuthorizationCodeExpiredTime":"1413196360"}"#,
    )
    .unwrap();
    let ComponentEventKind::Authorized(change) = event.kind else {
        panic!("expected Authorized, got {:?}", event.kind);
    };
    assert_eq!(change.authorization_code_expired_time, 1413196360);
    assert_eq!(change.pre_auth_code, None);
}

#[test]
fn authorized_push_without_authorization_code_is_missing_it() {
    assert_eq!(
        ComponentEvent::parse(
            "<xml><AppId>wx1</AppId><CreateTime>1</CreateTime><InfoType>authorized</InfoType>\
             <AuthorizerAppid>wxa</AuthorizerAppid>\
             <AuthorizationCodeExpiredTime>2</AuthorizationCodeExpiredTime></xml>"
        ),
        Err(missing("AuthorizationCode"))
    );
}

#[test]
fn authorized_push_with_non_numeric_expiry_is_a_bad_field() {
    assert!(matches!(
        ComponentEvent::parse(
            "<xml><AppId>wx1</AppId><CreateTime>1</CreateTime><InfoType>authorized</InfoType>\
             <AuthorizerAppid>wxa</AuthorizerAppid><AuthorizationCode>c</AuthorizationCode>\
             <AuthorizationCodeExpiredTime>later</AuthorizationCodeExpiredTime></xml>"
        ),
        Err(MessageError::BadField(f, _)) if f == "AuthorizationCodeExpiredTime"
    ));
}

#[test]
fn updateauthorized_push_parses_from_xml_and_json() {
    let event = same_component_event(
        "<xml><AppId>wx1</AppId><CreateTime>1413192760</CreateTime>\
         <InfoType>updateauthorized</InfoType><AuthorizerAppid>wxa</AuthorizerAppid>\
         <AuthorizationCode>code2</AuthorizationCode>\
         <AuthorizationCodeExpiredTime>1413196360</AuthorizationCodeExpiredTime>\
         <PreAuthCode>pre2</PreAuthCode></xml>",
        r#"{"AppId":"wx1","CreateTime":1413192760,"InfoType":"updateauthorized",
            "AuthorizerAppid":"wxa","AuthorizationCode":"code2",
            "AuthorizationCodeExpiredTime":1413196360,"PreAuthCode":"pre2"}"#,
    );
    assert_eq!(event.info_type(), "updateauthorized");
    assert_eq!(
        event.kind,
        ComponentEventKind::UpdateAuthorized(AuthorizationChange {
            authorizer_appid: "wxa".to_owned(),
            authorization_code: "code2".to_owned(),
            authorization_code_expired_time: 1413196360,
            pre_auth_code: Some("pre2".to_owned()),
        })
    );
}

#[test]
fn unauthorized_push_parses_from_xml_and_json() {
    let event = same_component_event(
        "<xml><AppId><![CDATA[wx1]]></AppId><CreateTime>1413192760</CreateTime>\
         <InfoType><![CDATA[unauthorized]]></InfoType>\
         <AuthorizerAppid><![CDATA[wxa]]></AuthorizerAppid></xml>",
        r#"{"AppId":"wx1","CreateTime":1413192760,"InfoType":"unauthorized","AuthorizerAppid":"wxa"}"#,
    );
    assert_eq!(event.info_type(), "unauthorized");
    assert_eq!(
        event.kind,
        ComponentEventKind::Unauthorized {
            authorizer_appid: "wxa".to_owned()
        }
    );
}

#[test]
fn unknown_info_type_is_kept_as_other_with_its_raw_fields() {
    let event = same_component_event(
        "<xml><AppId><![CDATA[wx1]]></AppId><CreateTime>1535442403</CreateTime>\
         <InfoType><![CDATA[notify_third_fasteregister]]></InfoType>\
         <appid><![CDATA[wxnew]]></appid><status>0</status><auth_code>xxx</auth_code>\
         <msg><![CDATA[OK]]></msg><info><name><![CDATA[公司名称]]></name>\
         <code><![CDATA[112]]></code><legal_persona_wechat><![CDATA[wxid]]></legal_persona_wechat>\
         </info></xml>",
        r#"{"AppId":"wx1","CreateTime":1535442403,"InfoType":"notify_third_fasteregister",
            "appid":"wxnew","status":0,"auth_code":"xxx","msg":"OK",
            "info":{"name":"公司名称","code":"112","legal_persona_wechat":"wxid"}}"#,
    );
    assert_eq!(
        event.kind,
        ComponentEventKind::Other {
            info_type: "notify_third_fasteregister".to_owned()
        }
    );
    assert_eq!(event.info_type(), "notify_third_fasteregister");
    assert_eq!(event.raw.get_str("appid").as_deref(), Some("wxnew"));
    assert_eq!(event.raw.get_i64("status"), Some(0));
    let info = event.raw.nested("info").unwrap();
    assert_eq!(info.get_str("name").as_deref(), Some("公司名称"));
}

#[test]
fn icp_filing_notification_is_other() {
    let event = ComponentEvent::parse(
        "<xml><AppId>wx1</AppId><CreateTime>1700000000</CreateTime>\
         <InfoType>notify_icpfiling_verify_result</InfoType><task_id>t1</task_id>\
         <verify_appid>wxa</verify_appid><result>2</result></xml>",
    )
    .unwrap();
    assert_eq!(event.info_type(), "notify_icpfiling_verify_result");
    assert_eq!(event.raw.get_str("task_id").as_deref(), Some("t1"));
}

// ---------------------------------------------------------------- messages

const TEXT_XML: &str = "<xml>\n  <ToUserName><![CDATA[gh_toUser]]></ToUserName>\n  \
    <FromUserName><![CDATA[oFromUser]]></FromUserName>\n  <CreateTime>1348831860</CreateTime>\n  \
    <MsgType><![CDATA[text]]></MsgType>\n  <Content><![CDATA[this is a test]]></Content>\n  \
    <MsgId>1234567890123456</MsgId>\n</xml>";

#[test]
fn text_message_parses_from_xml() {
    let msg = Message::parse(TEXT_XML).unwrap();
    assert_eq!(msg.to_user_name, "gh_toUser");
    assert_eq!(msg.from_user_name, "oFromUser");
    assert_eq!(msg.create_time, 1348831860);
    assert_eq!(msg.msg_id.as_deref(), Some("1234567890123456"));
    assert_eq!(
        msg.kind,
        MessageKind::Text {
            content: "this is a test".to_owned()
        }
    );
    assert_eq!(msg.msg_type(), "text");
    assert_eq!(msg.event(), None);
}

#[test]
fn text_message_parses_from_json_with_same_fields_as_xml() {
    let msg = same_message(
        TEXT_XML,
        r#"{"ToUserName":"gh_toUser","FromUserName":"oFromUser","CreateTime":1348831860,
            "MsgType":"text","Content":"this is a test","MsgId":1234567890123456}"#,
    );
    assert_eq!(msg.msg_id.as_deref(), Some("1234567890123456"));
}

#[test]
fn text_message_keeps_chinese_emoji_markup_and_split_cdata_exactly() {
    let content = "你好，世界 👋🏽 <b>&amp;</b> a]]>b";
    let xml =
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
               <CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType>\
               <Content><![CDATA[你好，世界 👋🏽 <b>&amp;</b> a]]]]><![CDATA[>b]]></Content></xml>";
    let json = json!({"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,
                      "MsgType":"text","Content":content})
    .to_string();
    let msg = same_message(xml, &json);
    assert_eq!(
        msg.kind,
        MessageKind::Text {
            content: content.to_owned()
        }
    );
}

#[test]
fn text_message_with_escaped_entities_outside_cdata_is_unescaped() {
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
               <CreateTime>1</CreateTime><MsgType>text</MsgType>\
               <Content>a &lt; b &amp;&amp; c &#x4F60;</Content></xml>";
    assert_eq!(
        Message::parse(xml).unwrap().kind,
        MessageKind::Text {
            content: "a < b && c 你".to_owned()
        }
    );
}

#[test]
fn image_message_parses_from_xml_and_json() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType>\
         <PicUrl><![CDATA[http://mmbiz.qpic.cn/x.jpg]]></PicUrl>\
         <MediaId><![CDATA[media_id]]></MediaId><MsgId>1234567890123456</MsgId></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1348831860,"MsgType":"image",
            "PicUrl":"http://mmbiz.qpic.cn/x.jpg","MediaId":"media_id","MsgId":1234567890123456}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::Image {
            pic_url: "http://mmbiz.qpic.cn/x.jpg".to_owned(),
            media_id: "media_id".to_owned()
        }
    );
    assert_eq!(msg.msg_type(), "image");
}

#[test]
fn voice_message_parses_from_xml_and_json_with_recognition() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1357290913</CreateTime><MsgType><![CDATA[voice]]></MsgType>\
         <MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[amr]]></Format>\
         <Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1234567890123456</MsgId></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1357290913,"MsgType":"voice",
            "MediaId":"media_id","Format":"amr","Recognition":"腾讯微信团队","MsgId":1234567890123456}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::Voice {
            media_id: "media_id".to_owned(),
            format: "amr".to_owned(),
            recognition: Some("腾讯微信团队".to_owned()),
        }
    );
}

#[test]
fn voice_message_without_recognition_has_none() {
    let msg = same_message(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
         <CreateTime>1357290913</CreateTime><MsgType>voice</MsgType>\
         <MediaId>m</MediaId><Format>speex</Format><MsgId>1</MsgId></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1357290913,"MsgType":"voice",
            "MediaId":"m","Format":"speex","MsgId":"1"}"#,
    );
    assert!(matches!(
        msg.kind,
        MessageKind::Voice {
            recognition: None,
            ..
        }
    ));
}

#[test]
fn video_message_parses_from_xml_and_json() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1357290913</CreateTime><MsgType><![CDATA[video]]></MsgType>\
         <MediaId><![CDATA[media_id]]></MediaId><ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>\
         <MsgId>1234567890123456</MsgId></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1357290913,"MsgType":"video",
            "MediaId":"media_id","ThumbMediaId":"thumb_media_id","MsgId":1234567890123456}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::Video {
            media_id: "media_id".to_owned(),
            thumb_media_id: "thumb_media_id".to_owned()
        }
    );
    assert_eq!(msg.msg_type(), "video");
}

#[test]
fn shortvideo_message_parses_from_xml_and_json() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1357290913</CreateTime><MsgType><![CDATA[shortvideo]]></MsgType>\
         <MediaId><![CDATA[media_id]]></MediaId><ThumbMediaId><![CDATA[thumb]]></ThumbMediaId>\
         <MsgId>1234567890123456</MsgId></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1357290913,"MsgType":"shortvideo",
            "MediaId":"media_id","ThumbMediaId":"thumb","MsgId":1234567890123456}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::ShortVideo {
            media_id: "media_id".to_owned(),
            thumb_media_id: "thumb".to_owned()
        }
    );
    assert_eq!(msg.msg_type(), "shortvideo");
}

#[test]
fn location_message_parses_coordinates_from_xml_text_and_json_numbers() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1351776360</CreateTime><MsgType><![CDATA[location]]></MsgType>\
         <Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>\
         <Scale>20</Scale><Label><![CDATA[广州市天河区]]></Label><MsgId>1234567890123456</MsgId></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1351776360,"MsgType":"location",
            "Location_X":23.134521,"Location_Y":113.358803,"Scale":20,"Label":"广州市天河区",
            "MsgId":1234567890123456}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::Location {
            latitude: 23.134521,
            longitude: 113.358803,
            scale: 20,
            label: "广州市天河区".to_owned(),
        }
    );
}

#[test]
fn location_message_with_bad_coordinates_is_a_bad_field() {
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
               <CreateTime>1</CreateTime><MsgType>location</MsgType>\
               <Location_X>north</Location_X><Location_Y>1</Location_Y><Scale>1</Scale>\
               <Label>x</Label></xml>";
    assert!(matches!(Message::parse(xml), Err(MessageError::BadField(f, _)) if f == "Location_X"));
    let nan = xml.replace("north", "NaN");
    assert!(matches!(Message::parse(&nan), Err(MessageError::BadField(f, _)) if f == "Location_X"));
}

#[test]
fn link_message_parses_from_xml_and_json() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1351776360</CreateTime><MsgType><![CDATA[link]]></MsgType>\
         <Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[公众平台官网链接]]></Description>\
         <Url><![CDATA[https://mp.weixin.qq.com/?a=1&b=2]]></Url><MsgId>1234567890123456</MsgId></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1351776360,"MsgType":"link",
            "Title":"公众平台官网链接","Description":"公众平台官网链接",
            "Url":"https://mp.weixin.qq.com/?a=1&b=2","MsgId":1234567890123456}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::Link {
            title: "公众平台官网链接".to_owned(),
            description: "公众平台官网链接".to_owned(),
            url: "https://mp.weixin.qq.com/?a=1&b=2".to_owned(),
        }
    );
}

#[test]
fn unknown_msg_type_is_kept_with_its_raw_fields() {
    let msg = same_message(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>\
         <CreateTime>1</CreateTime><MsgType>miniprogrampage</MsgType>\
         <Title>t</Title><AppId>wxa</AppId><PagePath>pages/index</PagePath><MsgId>9</MsgId></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"miniprogrampage",
            "Title":"t","AppId":"wxa","PagePath":"pages/index","MsgId":9}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::Unknown {
            msg_type: "miniprogrampage".to_owned()
        }
    );
    assert_eq!(msg.msg_type(), "miniprogrampage");
    assert_eq!(msg.raw.get_str("PagePath").as_deref(), Some("pages/index"));
}

// ---------------------------------------------------------------- events

#[test]
fn subscribe_event_parses_with_empty_event_key_kept() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":123456789,"MsgType":"event",
            "Event":"subscribe","EventKey":""}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::Event {
            event: "subscribe".to_owned(),
            event_key: Some(String::new())
        }
    );
    assert_eq!(msg.msg_type(), "event");
    assert_eq!(msg.event(), Some("subscribe"));
    assert_eq!(msg.msg_id, None);
}

#[test]
fn unsubscribe_event_without_event_key_has_none() {
    let msg = Message::parse(
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"event","Event":"unsubscribe"}"#,
    )
    .unwrap();
    assert_eq!(
        msg.kind,
        MessageKind::Event {
            event: "unsubscribe".to_owned(),
            event_key: None
        }
    );
}

#[test]
fn qrscene_subscribe_event_keeps_scene_and_ticket() {
    let msg = Message::parse(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123123]]></EventKey>\
         <Ticket><![CDATA[TICKET]]></Ticket></xml>",
    )
    .unwrap();
    assert_eq!(
        msg.kind,
        MessageKind::Event {
            event: "subscribe".to_owned(),
            event_key: Some("qrscene_123123".to_owned())
        }
    );
    assert_eq!(msg.raw.get_str("Ticket").as_deref(), Some("TICKET"));
}

#[test]
fn click_event_parses_with_event_key_from_xml_and_json() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey></xml>",
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":123456789,"MsgType":"event",
            "Event":"CLICK","EventKey":"V1001_TODAY_MUSIC"}"#,
    );
    assert_eq!(
        msg.kind,
        MessageKind::Event {
            event: "CLICK".to_owned(),
            event_key: Some("V1001_TODAY_MUSIC".to_owned())
        }
    );
    assert_eq!(msg.event(), Some("CLICK"));
}

#[test]
fn scancode_push_event_keeps_nested_scan_code_info_in_both_formats() {
    let msg = same_message(
        "<xml><ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>\
         <FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName>\
         <CreateTime>1408090502</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[scancode_push]]></Event><EventKey><![CDATA[6]]></EventKey>\
         <ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>\
         <ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo></xml>",
        r#"{"ToUserName":"gh_e136c6e50636","FromUserName":"oMgHVjngRipVsoxg6TuX3vz6glDg",
            "CreateTime":1408090502,"MsgType":"event","Event":"scancode_push","EventKey":"6",
            "ScanCodeInfo":{"ScanType":"qrcode","ScanResult":"1"}}"#,
    );
    assert_eq!(msg.event(), Some("scancode_push"));
    let info = msg.raw.nested("ScanCodeInfo").unwrap();
    assert_eq!(info.get_str("ScanType").as_deref(), Some("qrcode"));
    assert_eq!(info.get_str("ScanResult").as_deref(), Some("1"));
}

#[test]
fn location_select_event_keeps_nested_send_location_info() {
    let msg = Message::parse(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1408091189</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[location_select]]></Event><EventKey><![CDATA[6]]></EventKey>\
         <SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y><![CDATA[113]]></Location_Y>\
         <Scale><![CDATA[15]]></Scale><Label><![CDATA[ 广州市海珠区客村艺苑路 106号]]></Label>\
         <Poiname><![CDATA[]]></Poiname></SendLocationInfo></xml>",
    )
    .unwrap();
    let info = msg.raw.nested("SendLocationInfo").unwrap();
    assert_eq!(info.get_f64("Location_X"), Some(23.0));
    assert_eq!(info.get_i64("Scale"), Some(15));
    assert_eq!(
        info.get_str("Label").as_deref(),
        Some(" 广州市海珠区客村艺苑路 106号")
    );
}

#[test]
fn pic_sysphoto_event_keeps_a_single_pic_list_item_as_an_object() {
    let msg = Message::parse(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
         <CreateTime>1408090651</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[pic_sysphoto]]></Event><EventKey><![CDATA[6]]></EventKey>\
         <SendPicsInfo><Count>1</Count><PicList><item>\
         <PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum>\
         </item></PicList></SendPicsInfo></xml>",
    )
    .unwrap();
    assert_eq!(
        msg.raw.get("SendPicsInfo"),
        Some(
            &json!({"Count":"1","PicList":{"item":{"PicMd5Sum":"1b5f7c23b5bf75682a53e7b6d163e185"}}})
        )
    );
}

#[test]
fn event_without_event_name_is_missing_event() {
    assert_eq!(
        Message::parse(
            r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"event"}"#
        ),
        Err(missing("Event"))
    );
}

#[test]
fn dedup_key_is_msg_id_for_messages_and_sender_time_event_for_events() {
    let text = Message::parse(TEXT_XML).unwrap();
    assert_eq!(text.dedup_key(), "1234567890123456");
    let click = Message::parse(
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":123,"MsgType":"event","Event":"CLICK","EventKey":"K"}"#,
    )
    .unwrap();
    assert_eq!(click.dedup_key(), "o1#123#CLICK");
    let view = Message::parse(
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":123,"MsgType":"event","Event":"VIEW","EventKey":"K"}"#,
    )
    .unwrap();
    assert_ne!(click.dedup_key(), view.dedup_key());
    let no_id = Message::parse(
        r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":123,"MsgType":"text","Content":"x","MsgId":""}"#,
    )
    .unwrap();
    assert_eq!(no_id.msg_id, None);
    assert_eq!(no_id.dedup_key(), "o1#123#text");
}

// ---------------------------------------------------------------- passive replies

fn article(n: usize) -> Article {
    Article {
        title: format!("标题 {n}"),
        description: format!("描述 {n} 🎉"),
        pic_url: format!("https://example.com/{n}.jpg"),
        url: format!("https://example.com/{n}?a=1&b=2"),
    }
}

fn every_reply() -> Vec<Reply> {
    vec![
        Reply::Text {
            content: "你好 👋 <b>]]></b>".to_owned(),
        },
        Reply::Image {
            media_id: "img_media".to_owned(),
        },
        Reply::Voice {
            media_id: "voice_media".to_owned(),
        },
        Reply::Video {
            media_id: "video_media".to_owned(),
            title: Some("视频".to_owned()),
            description: Some("说明".to_owned()),
        },
        Reply::Video {
            media_id: "video_media".to_owned(),
            title: None,
            description: None,
        },
        Reply::Music {
            title: "歌".to_owned(),
            description: "desc".to_owned(),
            music_url: "http://m/1.mp3".to_owned(),
            hq_music_url: "http://m/1hq.mp3".to_owned(),
            thumb_media_id: "thumb".to_owned(),
        },
        Reply::news(vec![article(1)]).expect("one article is valid"),
        Reply::news((1..=MAX_NEWS_ARTICLES).map(article).collect())
            .expect("eight articles are valid"),
    ]
}

fn passive(reply: Reply) -> PassiveReply {
    PassiveReply {
        to_user_name: "oUser".to_owned(),
        from_user_name: "gh_account".to_owned(),
        create_time: 12345678,
        reply,
    }
}

#[test]
fn text_reply_serializes_to_the_xml_wechat_documents() {
    let reply = passive(Reply::Text {
        content: "你好".to_owned(),
    });
    assert_eq!(
        reply.to_xml(),
        "<xml><ToUserName><![CDATA[oUser]]></ToUserName><FromUserName><![CDATA[gh_account]]></FromUserName>\
         <CreateTime>12345678</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[你好]]></Content></xml>"
    );
    assert_eq!(reply.to(Format::Xml), reply.to_xml());
}

#[test]
fn text_reply_serializes_to_json_with_the_same_keys_in_document_order() {
    let reply = passive(Reply::Text {
        content: "你好".to_owned(),
    });
    assert_eq!(
        reply.to_json(),
        r#"{"ToUserName":"oUser","FromUserName":"gh_account","CreateTime":12345678,"MsgType":"text","Content":"你好"}"#
    );
    assert_eq!(reply.to(Format::Json), reply.to_json());
}

#[test]
fn media_replies_nest_media_id_in_xml_and_json() {
    let image = passive(Reply::Image {
        media_id: "m1".to_owned(),
    });
    assert!(image
        .to_xml()
        .contains("<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[m1]]></MediaId></Image></xml>"));
    let json: serde_json::Value = serde_json::from_str(&image.to_json()).unwrap();
    assert_eq!(json["Image"], json!({"MediaId": "m1"}));

    let voice = passive(Reply::Voice {
        media_id: "m2".to_owned(),
    });
    assert!(voice
        .to_xml()
        .contains("<Voice><MediaId><![CDATA[m2]]></MediaId></Voice>"));
}

#[test]
fn video_reply_omits_absent_title_and_description() {
    let bare = passive(Reply::Video {
        media_id: "v".to_owned(),
        title: None,
        description: None,
    });
    assert!(bare
        .to_xml()
        .contains("<Video><MediaId><![CDATA[v]]></MediaId></Video>"));
    assert!(bare.to_json().contains(r#""Video":{"MediaId":"v"}"#));
    let full = passive(Reply::Video {
        media_id: "v".to_owned(),
        title: Some("t".to_owned()),
        description: Some("d".to_owned()),
    });
    assert!(full.to_xml().contains(
        "<Video><MediaId><![CDATA[v]]></MediaId><Title><![CDATA[t]]></Title>\
         <Description><![CDATA[d]]></Description></Video>"
    ));
}

#[test]
fn music_reply_writes_every_music_field() {
    let music = passive(Reply::Music {
        title: "t".to_owned(),
        description: "d".to_owned(),
        music_url: "u".to_owned(),
        hq_music_url: "hq".to_owned(),
        thumb_media_id: "th".to_owned(),
    });
    assert!(music.to_xml().contains(
        "<Music><Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description>\
         <MusicUrl><![CDATA[u]]></MusicUrl><HQMusicUrl><![CDATA[hq]]></HQMusicUrl>\
         <ThumbMediaId><![CDATA[th]]></ThumbMediaId></Music>"
    ));
    let json: serde_json::Value = serde_json::from_str(&music.to_json()).unwrap();
    assert_eq!(
        json["Music"],
        json!({"Title":"t","Description":"d","MusicUrl":"u","HQMusicUrl":"hq","ThumbMediaId":"th"})
    );
}

#[test]
fn news_reply_writes_article_count_and_items() {
    let news = passive(Reply::news(vec![article(1), article(2)]).unwrap());
    let xml = news.to_xml();
    assert!(xml.contains("<MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles><item><Title><![CDATA[标题 1]]></Title>"));
    assert!(xml
        .contains("<Url><![CDATA[https://example.com/2?a=1&b=2]]></Url></item></Articles></xml>"));
    let json: serde_json::Value = serde_json::from_str(&news.to_json()).unwrap();
    assert_eq!(json["ArticleCount"], json!(2));
    assert_eq!(
        json["Articles"][0],
        json!({"Title":"标题 1","Description":"描述 1 🎉","PicUrl":"https://example.com/1.jpg",
               "Url":"https://example.com/1?a=1&b=2"})
    );
}

#[test]
fn news_reply_constructor_enforces_one_to_eight_articles() {
    assert_eq!(Reply::news(vec![]), Err(MessageError::ArticleCount(0)));
    assert_eq!(
        Reply::news((1..=9).map(article).collect()),
        Err(MessageError::ArticleCount(9))
    );
    assert!(Reply::news(vec![article(1)]).is_ok());
    assert!(Reply::news((1..=8).map(article).collect()).is_ok());
    let hand_built = Reply::News { articles: vec![] };
    assert_eq!(hand_built.validate(), Err(MessageError::ArticleCount(0)));
}

#[test]
fn cdata_terminator_in_reply_text_is_split_safely() {
    let reply = passive(Reply::Text {
        content: "a]]>b]]>".to_owned(),
    });
    let xml = reply.to_xml();
    assert!(xml.contains("<Content><![CDATA[a]]]]><![CDATA[>b]]]]><![CDATA[>]]></Content>"));
    assert_eq!(PassiveReply::parse(&xml).unwrap(), reply);
}

#[test]
fn characters_xml_cannot_carry_are_dropped_from_xml_but_kept_in_json() {
    let reply = passive(Reply::Text {
        content: "a\u{0}b\u{1b}c\u{fffe}d\te".to_owned(),
    });
    let back = PassiveReply::parse(&reply.to_xml()).unwrap();
    assert_eq!(
        back.reply,
        Reply::Text {
            content: "abcd\te".to_owned()
        }
    );
    assert_eq!(PassiveReply::parse(&reply.to_json()).unwrap(), reply);
}

#[test]
fn every_reply_type_round_trips_through_xml() {
    for reply in every_reply() {
        let original = passive(reply);
        let xml = original.to_xml();
        assert_eq!(PassiveReply::parse(&xml).as_ref(), Ok(&original), "{xml}");
    }
}

#[test]
fn every_reply_type_round_trips_through_json() {
    for reply in every_reply() {
        let original = passive(reply);
        let json = original.to_json();
        assert_eq!(PassiveReply::parse(&json).as_ref(), Ok(&original), "{json}");
        let _: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    }
}

#[test]
fn answering_a_message_swaps_sender_and_recipient() {
    let msg = Message::parse(TEXT_XML).unwrap();
    let reply = PassiveReply::answering(
        &msg,
        Reply::Text {
            content: "pong".to_owned(),
        },
        1700000000,
    );
    assert_eq!(reply.to_user_name, "oFromUser");
    assert_eq!(reply.from_user_name, "gh_toUser");
    assert_eq!(reply.create_time, 1700000000);
}

#[test]
fn reply_parses_go_style_indented_xml_with_capitalised_msg_type() {
    let xml = " <xml>\n   <ToUserName><![CDATA[oUser]]></ToUserName>\n   \
               <FromUserName><![CDATA[gh_1]]></FromUserName>\n   <CreateTime>1700000000</CreateTime>\n   \
               <MsgType><![CDATA[Video]]></MsgType>\n   <Video>\n     \
               <MediaId><![CDATA[v]]></MediaId>\n     <Title><![CDATA[t]]></Title>\n     \
               <Description><![CDATA[d]]></Description>\n   </Video>\n </xml>";
    assert_eq!(
        PassiveReply::parse(xml).unwrap().reply,
        Reply::Video {
            media_id: "v".to_owned(),
            title: Some("t".to_owned()),
            description: Some("d".to_owned()),
        }
    );
}

#[test]
fn reply_parse_accepts_json_articles_wrapped_in_item_and_ignores_article_count() {
    let json = r#"{"ToUserName":"o","FromUserName":"gh","CreateTime":1,"MsgType":"news",
                   "ArticleCount":5,"Articles":{"item":[{"Title":"a","Url":"u"}]}}"#;
    assert_eq!(
        PassiveReply::parse(json).unwrap().reply,
        Reply::News {
            articles: vec![Article {
                title: "a".to_owned(),
                url: "u".to_owned(),
                ..Article::default()
            }]
        }
    );
}

#[test]
fn reply_parse_refuses_empty_or_oversized_news() {
    let empty = "<xml><ToUserName>o</ToUserName><FromUserName>gh</FromUserName>\
                 <CreateTime>1</CreateTime><MsgType>news</MsgType><ArticleCount>0</ArticleCount>\
                 <Articles></Articles></xml>";
    assert_eq!(
        PassiveReply::parse(empty),
        Err(MessageError::ArticleCount(0))
    );
    let nine = passive(Reply::News {
        articles: (1..=9).map(article).collect(),
    });
    assert_eq!(
        PassiveReply::parse(&nine.to_xml()),
        Err(MessageError::ArticleCount(9))
    );
    assert_eq!(
        PassiveReply::parse(&nine.to_json()),
        Err(MessageError::ArticleCount(9))
    );
}

#[test]
fn reply_parse_names_nested_missing_fields() {
    let image =
        r#"{"ToUserName":"o","FromUserName":"gh","CreateTime":1,"MsgType":"image","Image":{}}"#;
    assert_eq!(PassiveReply::parse(image), Err(missing("Image.MediaId")));
    let no_image = r#"{"ToUserName":"o","FromUserName":"gh","CreateTime":1,"MsgType":"image"}"#;
    assert_eq!(PassiveReply::parse(no_image), Err(missing("Image")));
    let article = r#"{"ToUserName":"o","FromUserName":"gh","CreateTime":1,"MsgType":"news",
                      "Articles":[{"Title":"a"},{"Url":"u"}]}"#;
    assert_eq!(
        PassiveReply::parse(article),
        Err(missing("Articles[1].Title"))
    );
    let music = r#"{"ToUserName":"o","FromUserName":"gh","CreateTime":1,"MsgType":"music","Music":{"Title":"t"}}"#;
    assert_eq!(
        PassiveReply::parse(music),
        Err(missing("Music.ThumbMediaId"))
    );
}

#[test]
fn reply_parse_refuses_unknown_msg_type_and_bare_success() {
    let json = r#"{"ToUserName":"o","FromUserName":"gh","CreateTime":1,"MsgType":"transfer_customer_service"}"#;
    assert!(
        matches!(PassiveReply::parse(json), Err(MessageError::BadField(f, _)) if f == "MsgType")
    );
    assert_eq!(
        PassiveReply::parse("success"),
        Err(MessageError::UnknownFormat)
    );
}

// ---------------------------------------------------------------- robustness

fn parse_everything(body: &str) {
    let _ = Format::sniff(body);
    let _ = Format::Xml.parse(body);
    let _ = Format::Json.parse(body);
    let _ = RawFields::parse(body);
    let _ = EncryptedEnvelope::parse(body);
    let _ = ComponentEvent::parse(body);
    let _ = Message::parse(body);
    let _ = PassiveReply::parse(body);
}

proptest! {
    #[test]
    fn no_parser_panics_on_arbitrary_strings(body in any::<String>()) {
        parse_everything(&body);
    }

    #[test]
    fn no_parser_panics_on_arbitrary_bytes_read_as_lossy_utf8(
        bytes in proptest::collection::vec(any::<u8>(), 0..512)
    ) {
        parse_everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn no_parser_panics_on_xml_and_json_shaped_noise(
        inner in "(<[A-Za-z]{1,3}>|</[A-Za-z]{1,3}>|<!\\[CDATA\\[|\\]\\]>|[a-z0-9\"{}:,\\[\\] ]){0,40}"
    ) {
        parse_everything(&format!("<xml>{inner}</xml>"));
        parse_everything(&format!("{{{inner}}}"));
        parse_everything(&format!(
            "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>\
             <CreateTime>1</CreateTime><MsgType>news</MsgType>{inner}</xml>"
        ));
    }

    #[test]
    fn text_reply_content_round_trips_through_json_exactly(content in any::<String>()) {
        let reply = passive(Reply::Text { content });
        prop_assert_eq!(PassiveReply::parse(&reply.to_json()), Ok(reply));
    }

    #[test]
    fn text_reply_content_round_trips_through_xml_minus_unrepresentable_chars(
        content in any::<String>().prop_map(|s| s.replace('\r', ""))
    ) {
        let expected: String = content
            .chars()
            .filter(|&c| matches!(c, '\t' | '\n') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}'))
            .collect();
        let reply = passive(Reply::Text { content });
        let back = PassiveReply::parse(&reply.to_xml());
        prop_assert_eq!(back, Ok(passive(Reply::Text { content: expected })));
    }
}

#[test]
fn cdata_is_one_section_that_parses_back_to_the_text_xml_can_carry() {
    let wrapped = common::message::cdata("a]]>b\u{1}c");
    assert_eq!(wrapped, "<![CDATA[a]]]]><![CDATA[>bc]]>");
    let raw =
        RawFields::parse(&format!("<xml><Content>{wrapped}</Content></xml>")).expect("well-formed");
    assert_eq!(raw.get_str("Content").as_deref(), Some("a]]>bc"));
}
