//! What the console's records, authorizers, links and settings pages ask
//! for beyond wxcomponent: component records by appid, authorizers by name
//! or kind, QR codes of the authorization links, the release check's pushes.

use crate::support::TestApp;
use chrono::{DateTime, NaiveDateTime};
use common::db::schema::{wxcallback_biz, wxcallback_component};
use diesel::prelude::*;
use serde_json::{json, Value};

fn at(unix: i64) -> NaiveDateTime {
    DateTime::from_timestamp(unix, 0)
        .expect("test set-up")
        .naive_utc()
}

/// `path` with `params` URL-encoded as its query.
fn with_query(path: &str, params: &[(&str, &str)]) -> String {
    let url = reqwest::Url::parse_with_params("http://x/", params).expect("test set-up");
    format!("{path}?{}", url.query().unwrap_or_default())
}

#[tokio::test]
async fn component_records_filter_by_the_authorizer_the_push_names() {
    let app = TestApp::spawn().await;
    app.db()
        .run(|conn| {
            let bodies = [
                (
                    "authorized",
                    "<xml><AuthorizerAppid><![CDATA[wx_one]]></AuthorizerAppid></xml>",
                ),
                (
                    "unauthorized",
                    r#"{"InfoType":"unauthorized","AuthorizerAppid":"wx_one"}"#,
                ),
                (
                    "authorized",
                    "<xml><AuthorizerAppid><![CDATA[wxAone]]></AuthorizerAppid></xml>",
                ),
                (
                    "component_verify_ticket",
                    "<xml><ComponentVerifyTicket>t</ComponentVerifyTicket></xml>",
                ),
            ];
            for (i, (info_type, body)) in bodies.iter().enumerate() {
                let t = at(1_700_000_000 + i64::try_from(i).expect("test set-up"));
                diesel::insert_into(wxcallback_component::table)
                    .values((
                        wxcallback_component::receivetime.eq(t),
                        wxcallback_component::createtime.eq(t),
                        wxcallback_component::infotype.eq(*info_type),
                        wxcallback_component::postbody.eq(*body),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .expect("test set-up");
    let jwt = app.login().await;
    // `_` is matched as itself, not as any character (`wxAone` stays out).
    let cases = [
        ("appid=wx_one", 2),
        ("appid=wx_one&infoType=unauthorized", 1),
        ("appid=wxAone", 1),
        ("appid=wxnobody", 0),
        ("appid=", 4),
    ];
    for (query, total) in cases {
        let answer = app
            .get(
                &format!("/wxcomponent/admin/wx-component-records?{query}"),
                &jwt,
            )
            .await;
        assert_eq!(answer["code"], 0, "{query}: {answer}");
        assert_eq!(answer["data"]["total"], total, "{query}: {answer}");
    }
    let bad = app
        .get("/wxcomponent/admin/wx-component-records?appid=a%25b", &jwt)
        .await;
    assert_eq!(bad["code"], 1001, "{bad}");
    assert!(bad["errorMsg"].as_str().unwrap().contains("appid"), "{bad}");
}

#[tokio::test]
async fn authorizers_are_found_by_part_of_appid_or_name_and_by_kind() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    app.seed_authorizer("wxsearchmini00001", true).await;
    app.seed_authorizer("wxsearchoffice001", false).await;
    app.seed_authorizer("wxsearchoffice002", false).await;
    let jwt = app.login().await;
    // The first listing stores WeChat's names ("wxsim 公众号 ice001", ...).
    let all = app.get("/wxcomponent/admin/authorizer-list", &jwt).await;
    assert_eq!(all["data"]["total"], 3, "{all}");

    let total = |answer: &Value| answer["data"]["total"].as_i64().unwrap_or(-1);
    let appids = |answer: &Value| -> Vec<String> {
        answer["data"]["records"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["appid"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let path = "/wxcomponent/admin/authorizer-list";
    let by_appid = app.get(&with_query(path, &[("q", "office")]), &jwt).await;
    assert_eq!(total(&by_appid), 2, "{by_appid}");
    let by_name = app.get(&with_query(path, &[("q", "小程序")]), &jwt).await;
    assert_eq!(appids(&by_name), ["wxsearchmini00001"], "{by_name}");
    let officials = app.get(&with_query(path, &[("appType", "1")]), &jwt).await;
    assert_eq!(
        appids(&officials),
        ["wxsearchoffice001", "wxsearchoffice002"],
        "{officials}"
    );
    let minis = app.get(&with_query(path, &[("appType", "0")]), &jwt).await;
    assert_eq!(appids(&minis), ["wxsearchmini00001"], "{minis}");
    let both = app
        .get(
            &with_query(path, &[("q", "002"), ("appType", "1"), ("limit", "1")]),
            &jwt,
        )
        .await;
    assert_eq!(appids(&both), ["wxsearchoffice002"], "{both}");
    let none = app
        .get(&with_query(path, &[("q", "%"), ("appType", "1")]), &jwt)
        .await;
    assert_eq!(total(&none), 0, "a literal % matches nothing: {none}");

    let long = "x".repeat(65);
    for (query, field) in [
        (vec![("appType", "2")], "appType"),
        (vec![("appType", "mini")], "appType"),
        (vec![("q", long.as_str())], "q"),
    ] {
        let answer = app.get(&with_query(path, &query), &jwt).await;
        assert_eq!(answer["code"], 1001, "{query:?}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains(field),
            "{query:?}: {answer}"
        );
    }
}

/// The modules of a QR code in the SVG the admin renders (one unit per
/// module, dark modules as `M{x} {y}h1v1H{x}V{y}` path steps), decoded as a
/// camera would after scaling each module to 4×4 pixels.
fn decode_qr(svg: &str) -> String {
    let view_box = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("a viewBox");
    let size: usize = view_box.parse().expect("a square viewBox");
    let path = svg
        .split(" d=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a path");
    let mut dark = vec![false; size * size];
    for step in path.split('M').filter(|s| !s.is_empty()) {
        let (x, rest) = step.split_once(' ').expect("M x y");
        let (y, rest) = rest.split_once('h').expect("M x yh");
        let (w, rest) = rest.split_once('v').expect("hwv");
        let (h, _) = rest.split_once('H').expect("vhH");
        let [x, y, w, h]: [usize; 4] = [x, y, w, h].map(|n| n.parse().expect("a number"));
        for row in y..y + h {
            for col in x..x + w {
                dark[row * size + col] = true;
            }
        }
    }
    const SCALE: usize = 4;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(size * SCALE, size * SCALE, |x, y| {
            if dark[(y / SCALE) * size + x / SCALE] {
                0
            } else {
                255
            }
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in {svg}");
    let (_, content) = grids[0].decode().expect("a readable QR code");
    content
}

#[tokio::test]
async fn authorization_links_come_with_qr_codes_that_read_as_the_links() {
    let app = TestApp::spawn().await;
    app.seed_ticket().await;
    let mut seen = Vec::new();
    for biz in ["wxqrmini000000001", "wxqrmini000000002"] {
        let path = with_query(
            "/wxcomponent/authpage/authorization-links",
            &[
                ("auth_type", "2"),
                ("biz_appid", biz),
                ("redirect_uri", "https://example.com/back?a=1"),
            ],
        );
        let (_, links) = app.call(reqwest::Method::GET, &path, None, None).await;
        assert_eq!(links["code"], 0, "{links}");
        for (url, svg) in [("pcUrl", "pcQrSvg"), ("h5Url", "h5QrSvg")] {
            let link = links["data"][url].as_str().expect("a link");
            let svg = links["data"][svg].as_str().expect("an SVG");
            assert!(
                svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
                "{svg}"
            );
            assert!(svg.ends_with("</svg>"), "{svg}");
            assert_eq!(decode_qr(svg), link);
            seen.push(svg.to_string());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "every link has its own code");
}

#[tokio::test]
async fn the_release_check_status_shows_the_test_pushes_the_callback_received() {
    let app = TestApp::spawn_with_callback().await;
    app.seed_ticket().await;
    let jwt = app.login().await;
    let steps = |answer: &Value| -> Vec<(String, i64, bool)> {
        answer["data"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap_or_default().to_string(),
                    s["count"].as_i64().unwrap_or(-1),
                    s["lastSeen"].is_i64(),
                )
            })
            .collect()
    };
    // The check's text sent to an account that is not one of WeChat's test
    // accounts is an ordinary message.
    app.db()
        .run(|conn| {
            diesel::insert_into(wxcallback_biz::table)
                .values((
                    wxcallback_biz::receivetime.eq(common::db::now()),
                    wxcallback_biz::createtime.eq(common::db::now()),
                    wxcallback_biz::tousername.eq("gh_other"),
                    wxcallback_biz::appid.eq("wxnotatestaccount"),
                    wxcallback_biz::msgtype.eq("text"),
                    wxcallback_biz::event.eq(""),
                    wxcallback_biz::postbody
                        .eq("<xml><Content>TESTCOMPONENT_MSG_TYPE_TEXT</Content></xml>"),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("test set-up");
    let before = app.get("/wxcomponent/admin/release-check", &jwt).await;
    assert_eq!(before["code"], 0, "{before}");
    assert_eq!(
        before["data"]["testAppids"],
        json!(["wx570bc396a51b8ff8", "wxd101a85aa106f53e"])
    );
    assert_eq!(
        steps(&before),
        [
            ("text".to_string(), 0, false),
            ("queryAuthCode".to_string(), 0, false),
            ("event".to_string(), 0, false),
        ]
    );

    let report = app
        .sim
        .control("/__sim/release-check", json!({"deadline_secs": 10}))
        .await;
    assert_eq!(report["passed"], true, "{report}");

    let after = app.get("/wxcomponent/admin/release-check", &jwt).await;
    assert_eq!(
        steps(&after),
        [
            ("text".to_string(), 1, true),
            ("queryAuthCode".to_string(), 1, true),
            ("event".to_string(), 1, true),
        ],
        "{after}"
    );

    let (_, unauthenticated) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/admin/release-check",
            None,
            None,
        )
        .await;
    assert_eq!(unauthenticated["code"], 1000);
}
