//! The database layer on the backend this run targets (SQLite, or MySQL when
//! `WXC_TEST_MYSQL_URL` is set): migrations, every wxcomponent table, adoption
//! of an existing wxcomponent database.

use chrono::{NaiveDate, NaiveDateTime};
use common::db::schema::{
    authorizers, comm, counter, counters, user, wxcallback_biz, wxcallback_component,
    wxcallback_rules, wxtoken,
};
use common::db::testing::{TestDatabase, TEST_MYSQL_URL_ENV};
use common::db::{Backend, Db, DbConnection};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 24)
        .and_then(|d| d.and_hms_opt(h, m, s))
        .expect("valid time")
}

fn connect(database: &TestDatabase) -> Db {
    Db::connect(&database.settings()).expect("database connects and migrates")
}

#[test]
fn the_backend_follows_the_test_configuration() {
    let database = TestDatabase::new();
    let db = connect(&database);
    let expected = match std::env::var(TEST_MYSQL_URL_ENV) {
        Ok(url) if !url.is_empty() => Backend::Mysql,
        _ => Backend::Sqlite,
    };
    assert_eq!(db.backend(), expected);
}

#[test]
fn every_wxcomponent_table_exists_with_its_columns() {
    let database = TestDatabase::new();
    let db = connect(&database);
    let mut conn = db.get().expect("connection");
    let conn: &mut DbConnection = &mut conn;

    diesel::insert_into(wxcallback_component::table)
        .values((
            wxcallback_component::receivetime.eq(at(1, 0, 0)),
            wxcallback_component::createtime.eq(at(0, 59, 59)),
            wxcallback_component::infotype.eq("component_verify_ticket"),
            wxcallback_component::postbody.eq("{\"emoji\":\"票据 🎫\"}"),
        ))
        .execute(conn)
        .expect("insert wxcallback_component");
    let row: (i32, NaiveDateTime, String, String) = wxcallback_component::table
        .select((
            wxcallback_component::id,
            wxcallback_component::createtime,
            wxcallback_component::infotype,
            wxcallback_component::postbody,
        ))
        .first(conn)
        .expect("read wxcallback_component");
    assert_eq!(
        row,
        (
            1,
            at(0, 59, 59),
            "component_verify_ticket".into(),
            "{\"emoji\":\"票据 🎫\"}".into()
        )
    );

    diesel::insert_into(wxcallback_biz::table)
        .values((
            wxcallback_biz::tousername.eq("gh_123"),
            wxcallback_biz::appid.eq("wxauthorizer"),
            wxcallback_biz::msgtype.eq("event"),
            wxcallback_biz::event.eq("subscribe"),
            wxcallback_biz::postbody.eq("<xml/>"),
        ))
        .execute(conn)
        .expect("insert wxcallback_biz");
    let biz: (String, String, String) = wxcallback_biz::table
        .select((
            wxcallback_biz::appid,
            wxcallback_biz::msgtype,
            wxcallback_biz::event,
        ))
        .first(conn)
        .expect("read wxcallback_biz");
    assert_eq!(
        biz,
        ("wxauthorizer".into(), "event".into(), "subscribe".into())
    );

    diesel::insert_into(comm::table)
        .values((comm::key.eq("ticket"), comm::value.eq("ticket@@@1")))
        .execute(conn)
        .expect("insert comm");
    let value: String = comm::table
        .find("ticket")
        .select(comm::value)
        .first(conn)
        .expect("read comm");
    assert_eq!(value, "ticket@@@1");

    diesel::insert_into(user::table)
        .values((user::username.eq("admin"), user::password.eq("hash")))
        .execute(conn)
        .expect("insert user");
    let duplicate = diesel::insert_into(user::table)
        .values((user::username.eq("admin"), user::password.eq("other")))
        .execute(conn);
    assert!(duplicate.is_err(), "usernames are unique");

    diesel::insert_into(authorizers::table)
        .values((
            authorizers::appid.eq("wxauthorizer"),
            authorizers::apptype.eq(1),
            authorizers::nickname.eq("测试小程序"),
            authorizers::refreshtoken.eq("refresh@@@x"),
            authorizers::funcinfo.eq("1|2|3"),
            authorizers::authtime.eq(at(2, 0, 0)),
        ))
        .execute(conn)
        .expect("insert authorizers");
    let authorizer: (String, i32, i32, String, NaiveDateTime) = authorizers::table
        .select((
            authorizers::appid,
            authorizers::apptype,
            authorizers::verifyinfo,
            authorizers::nickname,
            authorizers::authtime,
        ))
        .first(conn)
        .expect("read authorizers");
    assert_eq!(
        authorizer,
        (
            "wxauthorizer".into(),
            1,
            -1,
            "测试小程序".into(),
            at(2, 0, 0)
        ),
        "verifyinfo defaults to -1 as in wxcomponent"
    );

    diesel::insert_into(wxcallback_rules::table)
        .values((
            wxcallback_rules::name.eq("forward text"),
            wxcallback_rules::msgtype.eq("text"),
            wxcallback_rules::rule_type.eq(1),
            wxcallback_rules::open.eq(1),
            wxcallback_rules::info.eq("{\"port\":8083,\"path\":\"/api/wx/message/$APPID$\"}"),
        ))
        .execute(conn)
        .expect("insert wxcallback_rules");
    let same_match = diesel::insert_into(wxcallback_rules::table)
        .values((
            wxcallback_rules::name.eq("again"),
            wxcallback_rules::msgtype.eq("text"),
            wxcallback_rules::info.eq("{}"),
        ))
        .execute(conn);
    assert!(same_match.is_err(), "(infotype, msgtype, event) is unique");

    diesel::insert_into(wxtoken::table)
        .values((
            wxtoken::token_type.eq(1),
            wxtoken::appid.eq("wxcomponent"),
            wxtoken::token.eq("token-1"),
            wxtoken::expiretime.eq(at(3, 0, 0)),
        ))
        .execute(conn)
        .expect("insert wxtoken");
    let token: (i32, String, NaiveDateTime) = wxtoken::table
        .select((wxtoken::token_type, wxtoken::token, wxtoken::expiretime))
        .first(conn)
        .expect("read wxtoken");
    assert_eq!(token, (1, "token-1".into(), at(3, 0, 0)));

    diesel::insert_into(counter::table)
        .values((
            counter::key.eq("login:127.0.0.1"),
            counter::value.eq(Some(3)),
        ))
        .execute(conn)
        .expect("insert counter");
    let failures: Option<i32> = counter::table
        .select(counter::value)
        .first(conn)
        .expect("read counter");
    assert_eq!(failures, Some(3));

    let business_count: i32 = counters::table
        .find(1)
        .select(counters::count)
        .first(conn)
        .expect("the business counter row is seeded");
    assert_eq!(business_count, 0);
}

#[test]
fn updatetime_moves_when_a_row_changes() {
    let database = TestDatabase::new();
    let db = connect(&database);
    let mut conn = db.get().expect("connection");
    let conn: &mut DbConnection = &mut conn;
    diesel::insert_into(comm::table)
        .values((
            comm::key.eq("k"),
            comm::value.eq("v1"),
            comm::createtime.eq(at(0, 0, 0)),
            comm::updatetime.eq(at(0, 0, 0)),
        ))
        .execute(conn)
        .expect("insert");
    diesel::update(comm::table.find("k"))
        .set(comm::value.eq("v2"))
        .execute(conn)
        .expect("update");
    let (created, updated): (NaiveDateTime, NaiveDateTime) = comm::table
        .find("k")
        .select((comm::createtime, comm::updatetime))
        .first(conn)
        .expect("read");
    assert_eq!(created, at(0, 0, 0));
    assert!(updated > at(0, 0, 0), "updatetime was touched: {updated}");
}

#[test]
fn migrations_revert_and_apply_again_cleanly() {
    let database = TestDatabase::new();
    let db = connect(&database);
    db.revert_all_migrations().expect("revert all");
    {
        let mut conn = db.get().expect("connection");
        let gone = comm::table.count().get_result::<i64>(&mut *conn);
        assert!(gone.is_err(), "tables are dropped by the down migrations");
    }
    db.run_migrations().expect("apply again");
    let mut conn = db.get().expect("connection");
    let rows: i64 = comm::table
        .count()
        .get_result(&mut *conn)
        .expect("comm exists again");
    assert_eq!(rows, 0);
}

#[test]
fn reconnecting_keeps_data_and_applies_nothing_twice() {
    let database = TestDatabase::new();
    {
        let db = connect(&database);
        let mut conn = db.get().expect("connection");
        diesel::insert_into(comm::table)
            .values((comm::key.eq("kept"), comm::value.eq("yes")))
            .execute(&mut *conn)
            .expect("insert");
    }
    let db = connect(&database);
    let mut conn = db.get().expect("connection");
    let value: String = comm::table
        .find("kept")
        .select(comm::value)
        .first(&mut *conn)
        .expect("row survived");
    assert_eq!(value, "yes");
}

/// wxcomponent's own `db/init.go` statements, run before our first start.
const WXCOMPONENT_INIT_GO_MYSQL: &str = "
CREATE TABLE IF NOT EXISTS `wxcallback_component` (`id` INT UNSIGNED AUTO_INCREMENT, `receivetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `infotype` VARCHAR(64) NOT NULL DEFAULT '', `postbody` TEXT NOT NULL, PRIMARY KEY (`id`), INDEX(`receivetime`)) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE IF NOT EXISTS `comm` (`key` VARCHAR(64) NOT NULL, `value` TEXT NOT NULL, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (`key`)) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE IF NOT EXISTS `authorizers` ( `id` INT NOT NULL AUTO_INCREMENT, `appid` VARCHAR(32) NOT NULL, `apptype` INT NOT NULL DEFAULT 0, `servicetype` INT NOT NULL DEFAULT 0, `nickname` VARCHAR(32) NOT NULL NOT NULL DEFAULT '', `username` VARCHAR(32) NOT NULL NOT NULL DEFAULT '', `headimg` VARCHAR(256) NOT NULL DEFAULT '', `qrcodeurl` VARCHAR(256) NOT NULL DEFAULT '',`principalname` VARCHAR(64) NOT NULL DEFAULT '', `refreshtoken` VARCHAR(128) NOT NULL DEFAULT '', `funcinfo` VARCHAR(128) NOT NULL DEFAULT '', `verifyinfo` INT NOT NULL DEFAULT -1, `authtime` TIMESTAMP NOT NULL, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (`id`), UNIQUE KEY(`appid`)) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO `comm` (`key`, `value`) VALUES ('ticket', 'ticket@@@existing');
INSERT INTO `authorizers` (`appid`, `nickname`, `refreshtoken`, `authtime`) VALUES ('wxexisting', 'old', 'refresh@@@old', '2024-01-01 00:00:00');
INSERT INTO `wxcallback_component` (`infotype`, `postbody`) VALUES ('authorized', '<xml/>');
";

/// The same pre-existing tables in SQLite (a database an earlier build created
/// without diesel's migration bookkeeping).
const PREEXISTING_SQLITE: &str = "
CREATE TABLE `comm` (`key` VARCHAR(64) NOT NULL PRIMARY KEY, `value` TEXT NOT NULL, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE `authorizers` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `appid` VARCHAR(32) NOT NULL UNIQUE, `apptype` INT NOT NULL DEFAULT 0, `servicetype` INT NOT NULL DEFAULT 0, `nickname` VARCHAR(32) NOT NULL DEFAULT '', `username` VARCHAR(32) NOT NULL DEFAULT '', `headimg` VARCHAR(256) NOT NULL DEFAULT '', `qrcodeurl` VARCHAR(256) NOT NULL DEFAULT '', `principalname` VARCHAR(64) NOT NULL DEFAULT '', `refreshtoken` VARCHAR(128) NOT NULL DEFAULT '', `funcinfo` VARCHAR(128) NOT NULL DEFAULT '', `verifyinfo` INT NOT NULL DEFAULT -1, `authtime` TIMESTAMP NOT NULL, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE `wxcallback_component` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `receivetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `infotype` VARCHAR(64) NOT NULL DEFAULT '', `postbody` TEXT NOT NULL);
INSERT INTO `comm` (`key`, `value`) VALUES ('ticket', 'ticket@@@existing');
INSERT INTO `authorizers` (`appid`, `nickname`, `refreshtoken`, `authtime`) VALUES ('wxexisting', 'old', 'refresh@@@old', '2024-01-01 00:00:00');
INSERT INTO `wxcallback_component` (`infotype`, `postbody`) VALUES ('authorized', '<xml/>');
";

#[test]
fn an_existing_wxcomponent_database_is_adopted_in_place() {
    let database = TestDatabase::new();
    {
        let manager = common::db::ConnectionManager::new(
            common::config::DatabaseUrl::parse(database.url()).expect("test url parses"),
            5_000,
        );
        let mut conn = diesel::r2d2::ManageConnection::connect(&manager).expect("raw connection");
        let script = match &conn {
            DbConnection::Mysql(_) => WXCOMPONENT_INIT_GO_MYSQL,
            DbConnection::Sqlite(_) => PREEXISTING_SQLITE,
        };
        conn.batch_execute(script)
            .expect("create the pre-existing tables");
    }
    let db = connect(&database);
    let mut conn = db.get().expect("connection");
    let ticket: String = comm::table
        .find("ticket")
        .select(comm::value)
        .first(&mut *conn)
        .expect("existing ticket kept");
    assert_eq!(ticket, "ticket@@@existing");
    let (appid, refresh): (String, String) = authorizers::table
        .select((authorizers::appid, authorizers::refreshtoken))
        .first(&mut *conn)
        .expect("existing authorizer kept");
    assert_eq!(
        (appid.as_str(), refresh.as_str()),
        ("wxexisting", "refresh@@@old")
    );
    let records: i64 = wxcallback_component::table
        .count()
        .get_result(&mut *conn)
        .expect("existing records kept");
    assert_eq!(records, 1);
    let tokens: i64 = wxtoken::table
        .count()
        .get_result(&mut *conn)
        .expect("missing tables were created");
    assert_eq!(tokens, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_queries_never_stall_the_async_executor() {
    let database = TestDatabase::new();
    let settings = database.settings();
    let db = tokio::task::spawn_blocking(move || Db::connect(&settings))
        .await
        .expect("join")
        .expect("connect");
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let ticker = {
        let ticks = std::sync::Arc::clone(&ticks);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
    };
    let count: i32 = db
        .run(|conn| {
            std::thread::sleep(std::time::Duration::from_millis(300));
            Ok(counters::table
                .find(1)
                .select(counters::count)
                .first(conn)?)
        })
        .await
        .expect("query through run");
    ticker.abort();
    assert_eq!(count, 0);
    assert!(
        ticks.load(std::sync::atomic::Ordering::Relaxed) >= 3,
        "the single-threaded executor kept running other tasks during the query"
    );
}

#[test]
fn services_starting_together_on_one_database_all_start() {
    let database = TestDatabase::new();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let settings = database.settings();
            std::thread::spawn(move || Db::connect(&settings).map(|_| ()))
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .expect("thread")
            .expect("every concurrent start migrates or finds the migrations applied");
    }
    let db = connect(&database);
    let mut conn = db.get().expect("connection");
    let seeded: i64 = counters::table
        .count()
        .get_result(&mut *conn)
        .expect("counter table");
    assert_eq!(seeded, 1, "seed rows inserted once");
}

#[test]
fn old_push_records_are_purged_in_bounded_batches_and_new_ones_stay() {
    use common::db::pushes::{purge_batch, Purged};
    let database = TestDatabase::new();
    let db = connect(&database);
    let mut conn = db.get().expect("connection");
    let conn: &mut DbConnection = &mut conn;
    // Old and new rows interleaved by id: receive time alone decides.
    let times = [
        at(1, 0, 0),
        at(23, 0, 0),
        at(1, 0, 1),
        at(1, 0, 2),
        at(23, 0, 1),
        at(1, 0, 3),
        at(1, 0, 4),
    ];
    for (i, t) in times.iter().enumerate() {
        diesel::insert_into(wxcallback_component::table)
            .values((
                wxcallback_component::receivetime.eq(*t),
                wxcallback_component::createtime.eq(*t),
                wxcallback_component::infotype.eq(format!("t{i}")),
                wxcallback_component::postbody.eq("{}"),
            ))
            .execute(conn)
            .expect("insert component push");
    }
    for t in &times[..3] {
        diesel::insert_into(wxcallback_biz::table)
            .values((
                wxcallback_biz::receivetime.eq(*t),
                wxcallback_biz::createtime.eq(*t),
                wxcallback_biz::appid.eq("wxbiz"),
                wxcallback_biz::postbody.eq("{}"),
            ))
            .execute(conn)
            .expect("insert biz push");
    }
    let cutoff = at(12, 0, 0);
    let first = purge_batch(conn, cutoff, 2).expect("purge");
    assert_eq!(
        first,
        Purged {
            component: 2,
            biz: 2
        }
    );
    assert!(first.more_left(2));
    let second = purge_batch(conn, cutoff, 2).expect("purge");
    assert_eq!(
        second,
        Purged {
            component: 2,
            biz: 0
        }
    );
    let third = purge_batch(conn, cutoff, 2).expect("purge");
    assert_eq!(
        third,
        Purged {
            component: 1,
            biz: 0
        }
    );
    assert!(!third.more_left(2));
    let left: Vec<NaiveDateTime> = wxcallback_component::table
        .order(wxcallback_component::id.asc())
        .select(wxcallback_component::receivetime)
        .load(conn)
        .expect("read");
    assert_eq!(left, vec![at(23, 0, 0), at(23, 0, 1)]);
    let biz_left: Vec<NaiveDateTime> = wxcallback_biz::table
        .select(wxcallback_biz::receivetime)
        .load(conn)
        .expect("read");
    assert_eq!(biz_left, vec![at(23, 0, 0)]);
    assert_eq!(
        purge_batch(conn, cutoff, 2).expect("purge"),
        Purged::default()
    );
}

#[cfg(feature = "tokens")]
#[test]
fn the_authorizers_table_keeps_grants_details_and_tokens_together() {
    use common::db::authorizers::{self, Details, Grant};
    use common::tokens::store::{self, StoredToken};

    let database = TestDatabase::new();
    let db = connect(&database);
    let mut conn = db.get().expect("connection");
    let conn: &mut DbConnection = &mut conn;
    let appid = "wxauthorizer";
    let details = Details {
        app_type: 1,
        service_type: 2,
        nick_name: "名".repeat(40),
        user_name: "gh_0123456789ab".into(),
        head_img: "http://wx.qlogo.cn/x".into(),
        qrcode_url: "http://mmbiz.qpic.cn/x".into(),
        principal_name: "主体".into(),
        func_info: String::new(),
        verify_info: 0,
    };
    assert!(
        !authorizers::store_details(conn, appid, &details).expect("details"),
        "details never make a row"
    );
    assert_eq!(authorizers::find(conn, appid).expect("find"), None);

    let grant = Grant {
        refresh_token: "refresh@@@one".into(),
        func_info: "1|2|3".into(),
        auth_time: at(2, 0, 0),
    };
    authorizers::grant(conn, appid, &grant).expect("first grant inserts");
    authorizers::grant(conn, appid, &grant).expect("a second grant updates");
    assert!(authorizers::store_details(conn, appid, &details).expect("details"));
    let stored = authorizers::find(conn, appid).expect("find").expect("row");
    assert_eq!(stored.nick_name, "名".repeat(32), "cut to the column");
    assert_eq!(stored.func_info, "1|2|3", "no sets named: the grant's stay");
    assert_eq!(stored.auth_time, at(2, 0, 0));

    authorizers::rotate_refresh_token(conn, appid, "refresh@@@two").expect("rotate");
    assert_eq!(
        authorizers::refresh_token(conn, appid)
            .expect("read")
            .as_deref(),
        Some("refresh@@@two")
    );

    let token = StoredToken {
        token: "access".into(),
        expires_at: at(4, 0, 0),
    };
    store::save_token(conn, store::TOKEN_TYPE_AUTHORIZER, appid, &token).expect("token");
    assert_eq!(
        authorizers::with_access_token(conn).expect("watched"),
        vec![appid.to_string()]
    );
    assert!(authorizers::remove(conn, appid).expect("remove"));
    assert!(!authorizers::exists(conn, appid).expect("exists"));
    assert_eq!(
        store::load_token(conn, store::TOKEN_TYPE_AUTHORIZER, appid).expect("load"),
        None,
        "its tokens go with it"
    );
}
