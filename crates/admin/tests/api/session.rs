//! Console login, JWTs, users and the login lockout.

use std::time::Duration;

use crate::support::{TestApp, PASSWORD};
use admin::users::md5_hex;
use common::db::schema::{counter, user};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_first_admin_logs_in_with_the_md5_the_console_sends_and_gets_a_jwt() {
    let app = TestApp::spawn().await;
    let answer = app.login_as("admin", PASSWORD).await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(answer["errorMsg"], "OK");
    let jwt = answer["data"]["jwt"].as_str().unwrap();
    assert_eq!(jwt.split('.').count(), 3, "a JWT");
    let header = app.get("/wxcomponent/admin/ticket", jwt).await;
    assert_ne!(header["code"], 1000);
    assert_ne!(header["code"], 1004);

    let stored: String = app
        .db()
        .run(|conn| Ok(user::table.select(user::password).first(conn)?))
        .await
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$"),
        "stored as argon2id: {stored}"
    );
    assert!(!stored.contains(&md5_hex(PASSWORD)));
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_1006() {
    let app = TestApp::spawn().await;
    for (user, password) in [("admin", "wrong"), ("nobody", PASSWORD), ("nobody", "x")] {
        let answer = app.login_as(user, password).await;
        assert_eq!(answer["code"], 1006, "{user}: {answer}");
        assert!(answer.get("data").is_none() || answer["data"].get("jwt").is_none());
    }
}

#[tokio::test]
async fn malformed_login_bodies_get_1001_naming_the_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({"password": "x"}), "username"),
        (json!({"username": "admin"}), "password"),
        (json!({"username": "", "password": "x"}), "username"),
        (json!({"username": "admin", "password": 5}), "password"),
    ];
    for (body, field) in cases {
        let (status, answer) = app
            .call(Method::PUT, "/wxcomponent/auth", None, Some(body.clone()))
            .await;
        assert_eq!(status, 200);
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    let response = app
        .client
        .put(app.url("/wxcomponent/auth"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["code"], 1001);
}

#[tokio::test]
async fn admin_routes_need_a_valid_jwt_and_answer_200_with_the_code() {
    let app = TestApp::spawn().await;
    let (status, answer) = app
        .call(Method::GET, "/wxcomponent/admin/ticket", None, None)
        .await;
    assert_eq!((status, answer["code"].clone()), (200, json!(1000)));

    let (status, answer) = app
        .call(
            Method::GET,
            "/wxcomponent/admin/ticket",
            Some("not.a.jwt"),
            None,
        )
        .await;
    assert_eq!((status, answer["code"].clone()), (200, json!(1004)));

    // Signed with another secret.
    let other = TestApp::spawn_with(&[("WXC__ADMIN__JWT_SECRET", "another-secret")]).await;
    let foreign = other.login().await;
    let (_, answer) = app
        .call(
            Method::GET,
            "/wxcomponent/admin/ticket",
            Some(&foreign),
            None,
        )
        .await;
    assert_eq!(answer["code"], 1004);

    let response = app
        .client
        .get(app.url("/wxcomponent/admin/ticket"))
        .header("authorization", "Token abc")
        .send()
        .await
        .unwrap();
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["code"], 1000);
}

/// The JWT with its header or payload replaced (base64url, no padding), the
/// signature kept or replaced: what an attacker can make from a token seen once.
fn forged_jwt(
    jwt: &str,
    header: Option<&str>,
    payload: Option<serde_json::Value>,
    signature: Option<&str>,
) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {jwt}");
    let header = header.map_or_else(|| parts[0].to_string(), |h| URL_SAFE_NO_PAD.encode(h));
    let payload = payload.map_or_else(
        || parts[1].to_string(),
        |p| URL_SAFE_NO_PAD.encode(p.to_string()),
    );
    let signature = signature.unwrap_or(parts[2]);
    format!("{header}.{payload}.{signature}")
}

#[tokio::test]
async fn tampered_and_alg_none_jwts_are_refused_with_1004() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let claims: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).expect("payload"))
            .expect("base64url payload"),
    )
    .expect("JSON claims");
    let mut longer = claims.clone();
    longer["exp"] = json!(claims["exp"].as_i64().expect("exp") + 365 * 24 * 3600);
    let mut other_user = claims.clone();
    other_user["jti"] = json!("2");
    other_user["UserName"] = json!("root");

    let forgeries = [
        (
            "expiry extended, signature kept",
            forged_jwt(&jwt, None, Some(longer.clone()), None),
        ),
        (
            "another user id, signature kept",
            forged_jwt(&jwt, None, Some(other_user), None),
        ),
        (
            "alg none, no signature",
            forged_jwt(
                &jwt,
                Some(r#"{"alg":"none","typ":"JWT"}"#),
                Some(longer.clone()),
                Some(""),
            ),
        ),
        (
            "alg none, signature kept",
            forged_jwt(&jwt, Some(r#"{"alg":"none","typ":"JWT"}"#), None, None),
        ),
        (
            "alg HS512 claimed",
            forged_jwt(&jwt, Some(r#"{"alg":"HS512","typ":"JWT"}"#), None, None),
        ),
        (
            "alg RS256 claimed",
            forged_jwt(&jwt, Some(r#"{"alg":"RS256","typ":"JWT"}"#), None, None),
        ),
        (
            "signature cut",
            forged_jwt(
                &jwt,
                None,
                None,
                Some(&jwt.split('.').nth(2).expect("sig")[..10]),
            ),
        ),
        (
            "two parts",
            jwt.rsplit_once('.').expect("dot").0.to_string(),
        ),
    ];
    for (what, forged) in forgeries {
        let (status, answer) = app
            .call(
                Method::GET,
                "/wxcomponent/admin/ticket",
                Some(&forged),
                None,
            )
            .await;
        assert_eq!(
            (status, answer["code"].clone()),
            (200, json!(1004)),
            "{what}: {answer}"
        );
        let (_, answer) = app
            .call(
                Method::POST,
                "/wxcomponent/admin/username",
                Some(&forged),
                Some(json!({"username": "attacker"})),
            )
            .await;
        assert_eq!(
            answer["code"], 1004,
            "{what} changing the username: {answer}"
        );
    }
    assert_eq!(
        app.login_as("admin", PASSWORD).await["code"],
        0,
        "the username is unchanged"
    );
    let (_, answer) = app
        .call(Method::GET, "/wxcomponent/admin/ticket", Some(&jwt), None)
        .await;
    assert_ne!(
        answer["code"], 1004,
        "the genuine token still works: {answer}"
    );
}

#[tokio::test]
async fn an_expired_jwt_gets_1003() {
    let app = TestApp::spawn_with(&[("WXC__ADMIN__JWT_EXPIRY_SECS", "1")]).await;
    let jwt = app.login().await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (_, answer) = app
        .call(Method::GET, "/wxcomponent/admin/ticket", Some(&jwt), None)
        .await;
    assert_eq!(answer["code"], 1003, "{answer}");
}

#[tokio::test]
async fn a_generated_jwt_secret_is_shared_by_replicas_on_one_database() {
    let app = TestApp::spawn().await;
    let second = app.another_instance().await;
    let jwt = app.login().await;
    let (_, answer) = second
        .call(
            Method::GET,
            "/wxcomponent/admin/refresh-auth",
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let raw = app.comm(admin::auth::JWT_SECRET_KEY).await.unwrap();
    assert!(raw.starts_with("wxc1:"), "the JWT secret is sealed at rest");
}

#[tokio::test]
async fn refresh_auth_issues_a_new_working_jwt() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let answer = app.get("/wxcomponent/admin/refresh-auth", &jwt).await;
    assert_eq!(answer["code"], 0);
    let fresh = answer["data"]["jwt"].as_str().unwrap();
    let answer = app.get("/wxcomponent/admin/refresh-auth", fresh).await;
    assert_eq!(answer["code"], 0);
}

#[tokio::test]
async fn the_username_can_be_changed_and_is_used_at_the_next_login() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let answer = app
        .post(
            "/wxcomponent/admin/username",
            &jwt,
            json!({"username": "operator"}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(app.login_as("admin", PASSWORD).await["code"], 1006);
    assert_eq!(app.login_as("operator", PASSWORD).await["code"], 0);

    // The session survives a rename.
    assert_eq!(
        app.get("/wxcomponent/admin/refresh-auth", &jwt).await["code"],
        0
    );

    for body in [
        json!({}),
        json!({"username": ""}),
        json!({"username": "x".repeat(33)}),
    ] {
        let answer = app
            .post("/wxcomponent/admin/username", &jwt, body.clone())
            .await;
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
        assert!(answer["errorMsg"].as_str().unwrap().contains("username"));
    }
}

#[tokio::test]
async fn the_password_changes_only_with_the_old_one_and_other_sessions_end() {
    let app = TestApp::spawn().await;
    let jwt = app.login().await;
    let other = app.login().await;
    let new_md5 = md5_hex("new-password-2");

    let answer = app
        .post(
            "/wxcomponent/admin/userpwd",
            &jwt,
            json!({"oldPassword": md5_hex("wrong"), "password": new_md5}),
        )
        .await;
    assert_eq!(answer["code"], 1005, "{answer}");

    let cases = [
        (json!({"password": new_md5}), "oldPassword"),
        (json!({"oldPassword": md5_hex(PASSWORD)}), "password"),
        (
            json!({"oldPassword": md5_hex(PASSWORD), "password": "plain"}),
            "password",
        ),
        (
            json!({"oldPassword": md5_hex(PASSWORD), "password": md5_hex(PASSWORD)}),
            "same",
        ),
    ];
    for (body, needle) in cases {
        let answer = app
            .post("/wxcomponent/admin/userpwd", &jwt, body.clone())
            .await;
        assert_eq!(answer["code"], 1001, "{body}: {answer}");
        assert!(
            answer["errorMsg"].as_str().unwrap().contains(needle),
            "{answer}"
        );
    }
    assert_eq!(
        app.login_as("admin", PASSWORD).await["code"],
        0,
        "unchanged so far"
    );

    let answer = app
        .post(
            "/wxcomponent/admin/userpwd",
            &jwt,
            json!({"oldPassword": md5_hex(PASSWORD), "password": new_md5}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(app.login_as("admin", PASSWORD).await["code"], 1006);
    assert_eq!(app.login_as("admin", "new-password-2").await["code"], 0);
    let (_, answer) = app
        .call(Method::GET, "/wxcomponent/admin/ticket", Some(&other), None)
        .await;
    assert_eq!(answer["code"], 1004, "another session ends: {answer}");
    let answer = app.get("/wxcomponent/admin/refresh-auth", &jwt).await;
    assert_eq!(
        answer["code"], 0,
        "the session that changed the password goes on with its token, as wxcomponent's console expects: {answer}"
    );
}

/// `GET /admin/refresh-auth` with `jwt`: the code (0 = the session is valid).
async fn session_code(app: &TestApp, jwt: &str) -> serde_json::Value {
    let (status, answer) = app
        .call(
            Method::GET,
            "/wxcomponent/admin/refresh-auth",
            Some(jwt),
            None,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["code"].clone()
}

#[tokio::test]
async fn a_password_change_keeps_the_changing_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let changer = app.login().await;
    let other = app.login().await;
    let answer = app
        .post(
            "/wxcomponent/admin/userpwd",
            &changer,
            json!({"oldPassword": md5_hex(PASSWORD), "password": md5_hex("second-pass")}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(session_code(&app, &changer).await, 0, "the changer goes on");
    assert_eq!(session_code(&app, &other).await, 1004, "the other ends");
    let fresh = answer["data"]["jwt"]
        .as_str()
        .expect("a fresh jwt")
        .to_string();
    assert_eq!(session_code(&app, &fresh).await, 0);
    let refreshed = app.get("/wxcomponent/admin/refresh-auth", &changer).await["data"]["jwt"]
        .as_str()
        .expect("refreshed jwt")
        .to_string();
    assert_eq!(session_code(&app, &refreshed).await, 0);
    assert_eq!(
        session_code(&app, &other).await,
        1004,
        "the changer's refresh revives no other session"
    );

    // A later change from another session ends the first changer's session.
    let third = app.login_as("admin", "second-pass").await["data"]["jwt"]
        .as_str()
        .expect("jwt")
        .to_string();
    let answer = app
        .post(
            "/wxcomponent/admin/userpwd",
            &third,
            json!({"oldPassword": md5_hex("second-pass"), "password": md5_hex("third-pass")}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(session_code(&app, &third).await, 0);
    for ended in [&changer, &fresh, &refreshed] {
        assert_eq!(session_code(&app, ended).await, 1004);
    }
}

#[tokio::test]
async fn the_kept_session_is_shared_by_replicas() {
    let app = TestApp::spawn().await;
    let replica = app.another_instance().await;
    let changer = app.login().await;
    let other = replica.login().await;
    let answer = app
        .post(
            "/wxcomponent/admin/userpwd",
            &changer,
            json!({"oldPassword": md5_hex(PASSWORD), "password": md5_hex("second-pass")}),
        )
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(session_code(&replica, &changer).await, 0);
    assert_eq!(session_code(&replica, &other).await, 1004);
}

#[tokio::test]
async fn ten_failures_from_one_ip_lock_it_out_with_1011_but_not_other_ips() {
    let app = TestApp::spawn().await;
    for attempt in 1..=10 {
        let answer = app.login_from("admin", "wrong", Some("203.0.113.7")).await;
        assert_eq!(answer["code"], 1006, "attempt {attempt}: {answer}");
    }
    // Locked: even the right password is refused, without being checked.
    let answer = app.login_from("admin", PASSWORD, Some("203.0.113.7")).await;
    assert_eq!(answer["code"], 1011, "{answer}");
    let answer = app.login_from("nobody", "wrong", Some("203.0.113.7")).await;
    assert_eq!(answer["code"], 1011);

    // Another address, and a replica on the same database sharing the count.
    let answer = app
        .login_from("admin", PASSWORD, Some("198.51.100.1"))
        .await;
    assert_eq!(answer["code"], 0, "{answer}");
    let replica = app.another_instance().await;
    let answer = replica
        .login_from("admin", PASSWORD, Some("203.0.113.7"))
        .await;
    assert_eq!(answer["code"], 1011);
}

#[tokio::test]
async fn concurrent_failures_on_two_replicas_each_count_once() {
    let settings = [("WXC__ADMIN__LOGIN_MAX_FAILURES", "100")];
    let app = TestApp::spawn_with(&settings).await;
    let replica = app.another_instance().await;
    let attempts = (0..16).map(|i| {
        let target = if i % 2 == 0 { &app } else { &replica };
        target.login_from("admin", "wrong", Some("203.0.113.50"))
    });
    for answer in futures::future::join_all(attempts).await {
        assert_eq!(answer["code"], 1006, "{answer}");
    }
    let key = admin::lockout::key("203.0.113.50");
    let count: Option<i32> = app
        .db()
        .run(move |conn| {
            Ok(counter::table
                .filter(counter::key.eq(key))
                .select(counter::value)
                .first(conn)?)
        })
        .await
        .expect("the counter row");
    assert_eq!(count, Some(16));
}

#[tokio::test]
async fn the_lockout_ends_when_its_window_has_passed() {
    let app = TestApp::spawn_with(&[
        ("WXC__ADMIN__LOGIN_MAX_FAILURES", "2"),
        ("WXC__ADMIN__LOGIN_LOCKOUT_SECS", "2"),
    ])
    .await;
    for _ in 0..2 {
        assert_eq!(
            app.login_from("admin", "wrong", Some("192.0.2.9")).await["code"],
            1006
        );
    }
    assert_eq!(
        app.login_from("admin", PASSWORD, Some("192.0.2.9")).await["code"],
        1011
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        app.login_from("admin", PASSWORD, Some("192.0.2.9")).await["code"],
        0
    );
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_untrusted_peers() {
    let app = TestApp::spawn_with(&[
        ("WXC__ADMIN__TRUSTED_PROXIES", "10.255.255.1"),
        ("WXC__ADMIN__LOGIN_MAX_FAILURES", "2"),
    ])
    .await;
    // The peer (127.0.0.1) is not trusted: rotating the header changes nothing.
    assert_eq!(
        app.login_from("admin", "x", Some("192.0.2.1")).await["code"],
        1006
    );
    assert_eq!(
        app.login_from("admin", "x", Some("192.0.2.2")).await["code"],
        1006
    );
    assert_eq!(
        app.login_from("admin", PASSWORD, Some("192.0.2.3")).await["code"],
        1011
    );
}

#[tokio::test]
async fn an_entry_that_is_not_an_address_ends_the_forwarded_chain_as_in_the_gateway() {
    // The peer (127.0.0.1) is trusted by default. The trusted hop wrote
    // `unknown`, so nothing left of it is believed (common::client_ip, the
    // gateway's rule too): every attempt is the peer's, whatever the client
    // puts in front.
    let app = TestApp::spawn_with(&[("WXC__ADMIN__LOGIN_MAX_FAILURES", "2")]).await;
    for ip in ["192.0.2.1, unknown", "192.0.2.2, unknown"] {
        assert_eq!(app.login_from("admin", "x", Some(ip)).await["code"], 1006);
    }
    assert_eq!(
        app.login_from("admin", PASSWORD, Some("192.0.2.3, unknown"))
            .await["code"],
        1011
    );
}

#[tokio::test]
async fn a_random_first_password_is_created_when_none_is_configured() {
    let app = TestApp::spawn_with(&[("WXC__ADMIN__PASSWORD", "")]).await;
    let (count, hash): (i64, String) = app
        .db()
        .run(|conn| {
            let count = user::table.count().get_result(conn)?;
            let hash = user::table.select(user::password).first(conn)?;
            Ok((count, hash))
        })
        .await
        .unwrap();
    assert_eq!(count, 1);
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(app.login_as("admin", PASSWORD).await["code"], 1006);
}

#[tokio::test]
async fn a_wxcomponent_md5_password_logs_in_and_is_upgraded_to_argon2id() {
    let app = TestApp::spawn().await;
    // wxcomponent stored md5(md5(typed)).
    let legacy = md5_hex(&md5_hex("legacy-pass"));
    app.db()
        .run(move |conn| {
            diesel::insert_into(user::table)
                .values((user::username.eq("old"), user::password.eq(&legacy)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(app.login_as("old", "wrong").await["code"], 1006);
    assert_eq!(app.login_as("old", "legacy-pass").await["code"], 0);
    let stored: String = app
        .db()
        .run(|conn| {
            Ok(user::table
                .filter(user::username.eq("old"))
                .select(user::password)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "upgraded: {stored}");
    assert_eq!(app.login_as("old", "legacy-pass").await["code"], 0);
}

#[tokio::test]
async fn the_login_hint_says_where_the_first_password_is_and_that_is_true() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .expect("console")
        .text()
        .await
        .expect("page");
    for needle in [
        "WXC__ADMIN__PASSWORD",
        "WXC__ADMIN__USERNAME",
        "日志",
        "./data/admin-password",
        "微管家",
    ] {
        assert!(page.contains(needle), "the login hint names {needle}");
    }
    let start = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../start.sh"),
    )
    .expect("start.sh");
    assert!(
        start.contains("WXC__ADMIN__PASSWORD:-$(persisted admin-password)"),
        "start.sh keeps the first password in ./data/admin-password, as the hint says"
    );
}

#[tokio::test]
async fn without_a_configured_password_the_printed_random_one_logs_in() {
    let database = std::sync::Arc::new(common::db::testing::TestDatabase::new());
    let db = common::db::Db::connect(&database.settings()).expect("database");
    let passwords = admin::users::Passwords::new().expect("passwords");
    let mut conn = db.get().expect("connection");
    let created =
        admin::users::ensure_first_admin(&mut conn, &passwords, "admin", "").expect("first admin");
    let admin::users::FirstAdmin::Generated { username, password } = created else {
        panic!("a random password is generated: {created:?}");
    };
    drop(conn);
    let app = TestApp::spawn_on(
        crate::support::Sim::start(7200).await,
        database,
        &[("WXC__ADMIN__PASSWORD", "")],
    )
    .await;
    assert_eq!(app.login_as(&username, &password).await["code"], 0);
}
