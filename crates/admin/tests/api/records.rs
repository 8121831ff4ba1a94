//! Stored pushes: filters, paging, validation, and the callback config.

use crate::support::TestApp;
use chrono::{DateTime, NaiveDateTime};
use common::db::schema::{wxcallback_biz, wxcallback_component};
use diesel::prelude::*;
use serde_json::json;

fn at(unix: i64) -> NaiveDateTime {
    DateTime::from_timestamp(unix, 0)
        .expect("test set-up")
        .naive_utc()
}

/// Four component and four message records, at known times.
pub async fn seed(app: &TestApp) {
    app.db()
        .run(|conn| {
            for (i, info_type) in [
                "component_verify_ticket",
                "authorized",
                "unauthorized",
                "authorized",
            ]
            .iter()
            .enumerate()
            {
                let t = at(1_700_000_000 + i64::try_from(i).expect("test set-up") * 100);
                diesel::insert_into(wxcallback_component::table)
                    .values((
                        wxcallback_component::receivetime.eq(t),
                        wxcallback_component::createtime.eq(t),
                        wxcallback_component::infotype.eq(*info_type),
                        wxcallback_component::postbody.eq(format!("<xml>{i}</xml>")),
                    ))
                    .execute(conn)?;
            }
            for (i, (appid, msg_type, event)) in [
                ("wxa", "text", ""),
                ("wxa", "event", "subscribe"),
                ("wxb", "event", "subscribe"),
                ("wxb", "image", ""),
            ]
            .iter()
            .enumerate()
            {
                let t = at(1_700_000_000 + i64::try_from(i).expect("test set-up") * 100);
                diesel::insert_into(wxcallback_biz::table)
                    .values((
                        wxcallback_biz::receivetime.eq(t),
                        wxcallback_biz::createtime.eq(t),
                        wxcallback_biz::tousername.eq("gh_test"),
                        wxcallback_biz::appid.eq(*appid),
                        wxcallback_biz::msgtype.eq(*msg_type),
                        wxcallback_biz::event.eq(*event),
                        wxcallback_biz::postbody.eq(format!("{{\"n\":{i}}}")),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .expect("test set-up");
}

#[tokio::test]
async fn component_records_filter_by_time_and_info_type_newest_first() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let jwt = app.login().await;
    let all = app
        .get("/wxcomponent/admin/wx-component-records", &jwt)
        .await;
    assert_eq!(all["code"], 0, "{all}");
    assert_eq!(all["data"]["total"], 4);
    let records = all["data"]["records"].as_array().unwrap();
    assert_eq!(records[0]["receiveTime"], 1_700_000_300);
    assert_eq!(records[0]["infoType"], "authorized");
    assert_eq!(records[0]["postBody"], "<xml>3</xml>");
    assert!(records[0].get("createTime").is_some());

    let authorized = app
        .get(
            "/wxcomponent/admin/wx-component-records?infoType=authorized&limit=1&offset=1",
            &jwt,
        )
        .await;
    assert_eq!(authorized["data"]["total"], 2);
    let page = authorized["data"]["records"].as_array().unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["receiveTime"], 1_700_000_100);

    // The console sends seconds with a fraction.
    let window = app
        .get(
            "/wxcomponent/admin/wx-component-records?startTime=1700000050.5&endTime=1700000250",
            &jwt,
        )
        .await;
    assert_eq!(window["data"]["total"], 2, "{window}");
}

#[tokio::test]
async fn biz_records_filter_by_appid_msg_type_and_event() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let jwt = app.login().await;
    let cases = [
        ("", 4),
        ("?appid=wxa", 2),
        ("?msgType=event", 2),
        ("?msgType=event&event=subscribe&appid=wxb", 1),
        ("?appid=wxa&msgType=image", 0),
        ("?startTime=1700000100&endTime=1700000200&appid=wxa", 1),
        ("?appid=&msgType=&event=", 4),
    ];
    for (query, total) in cases {
        let answer = app
            .get(&format!("/wxcomponent/admin/wx-biz-records{query}"), &jwt)
            .await;
        assert_eq!(answer["code"], 0, "{query}: {answer}");
        assert_eq!(answer["data"]["total"], total, "{query}: {answer}");
        assert_eq!(
            answer["data"]["records"].as_array().unwrap().len(),
            usize::try_from(total).unwrap()
        );
    }
    let one = app
        .get(
            "/wxcomponent/admin/wx-biz-records?appid=wxb&msgType=image",
            &jwt,
        )
        .await;
    let record = &one["data"]["records"][0];
    assert_eq!(record["appid"], "wxb");
    assert_eq!(record["toUserName"], "gh_test");
    assert_eq!(record["msgType"], "image");
    assert_eq!(record["event"], "");
}

#[tokio::test]
async fn malformed_record_filters_are_1001_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let cases = [
        ("startTime=yesterday", "startTime"),
        ("endTime=-5", "endTime"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("startTime=1700000200&endTime=1700000100", "endTime"),
    ];
    for (query, field) in cases {
        for route in ["wx-component-records", "wx-biz-records"] {
            let answer = app
                .get(&format!("/wxcomponent/admin/{route}?{query}"), &jwt)
                .await;
            assert_eq!(answer["code"], 1001, "{route}?{query}: {answer}");
            assert!(
                answer["errorMsg"].as_str().unwrap().contains(field),
                "{route}?{query}: {answer}"
            );
        }
    }
}

#[tokio::test]
async fn the_callback_config_names_the_push_paths() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let answer = app.get("/wxcomponent/admin/callback-config", &jwt).await;
    assert_eq!(answer["code"], 0);
    assert_eq!(answer["data"]["componentPath"], "/wxcallback/component");
    assert_eq!(answer["data"]["bizPath"], "/wxcallback/biz/$APPID$");
    assert!(answer["data"]["textMode"].is_string());
    let (_, unauthenticated) = app
        .call(
            reqwest::Method::GET,
            "/wxcomponent/admin/callback-config",
            None,
            None,
        )
        .await;
    assert_eq!(unauthenticated["code"], json!(1000));
}

#[tokio::test]
async fn the_callback_config_shows_the_cloud_run_environment_service_and_json_mode() {
    let app = TestApp::spawn_with(&[
        ("CBR_ENV_ID", "prod-9gabc123def45678"),
        ("HOSTNAME", "wxcomponent-007-6d9f8c7b5-x2x7k"),
        ("WXC__CALLBACK__CLOUDRUN_MODE", "true"),
    ])
    .await;
    let jwt = app.login().await;
    let answer = app.get("/wxcomponent/admin/callback-config", &jwt).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(answer["data"]["envId"], "prod-9gabc123def45678");
    assert_eq!(answer["data"]["service"], "wxcomponent");
    assert_eq!(answer["data"]["textMode"], "json");

    let standard = TestApp::spawn_with(&[("HOSTNAME", "admin-6d9f8c7b5-x2x7k")]).await;
    let jwt = standard.login().await;
    let answer = standard
        .get("/wxcomponent/admin/callback-config", &jwt)
        .await;
    assert_eq!(answer["data"]["envId"], "");
    assert_eq!(answer["data"]["service"], "", "not on Cloud Run");
    assert_eq!(answer["data"]["textMode"], "xml");
}
