//! The admin's housekeeping: expired login-failure counts and push records
//! past `records.retention_days` are deleted in the background, once per
//! interval across replicas.

use std::sync::Arc;
use std::time::Duration;

use crate::support::{eventually, Sim, TestApp};
use admin::housekeeping::{Housekeeping, Report, LOCK_KEY};
use chrono::{NaiveDateTime, TimeDelta};
use common::config::Settings;
use common::db::schema::{counter, wxcallback_biz, wxcallback_component};
use common::db::testing::TestDatabase;
use common::db::{now, Db};
use diesel::prelude::*;

/// How long a background round may take to show, polled (never a pass/fail timing).
const PATIENCE: Duration = Duration::from_secs(60);

/// A service without its own housekeeping, for tests that run rounds themselves.
const QUIET: &[(&str, &str)] = &[("WXC__ADMIN__HOUSEKEEPING_INTERVAL_SECS", "0")];

fn ago(delta: TimeDelta) -> NaiveDateTime {
    now() - delta
}

async fn seed_failures(db: &Db, ip: &str, started: NaiveDateTime) {
    let key = admin::lockout::key(ip);
    db.run(move |conn| {
        diesel::insert_into(counter::table)
            .values((
                counter::key.eq(&key),
                counter::value.eq(Some(5)),
                counter::createtime.eq(started),
                counter::updatetime.eq(started),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await
    .expect("counter seeded");
}

async fn failure_keys(db: &Db) -> Vec<String> {
    db.run(|conn| {
        Ok(counter::table
            .filter(counter::key.like("AUTH_%"))
            .order(counter::key.asc())
            .select(counter::key)
            .load(conn)?)
    })
    .await
    .expect("counters read")
}

/// One push in each table per receive time; the component rows' InfoType
/// and the biz rows' MsgType name them.
async fn seed_pushes(db: &Db, pushes: &[(&str, NaiveDateTime)]) {
    let pushes: Vec<(String, NaiveDateTime)> =
        pushes.iter().map(|(n, t)| (n.to_string(), *t)).collect();
    db.run(move |conn| {
        for (name, at) in &pushes {
            diesel::insert_into(wxcallback_component::table)
                .values((
                    wxcallback_component::receivetime.eq(*at),
                    wxcallback_component::createtime.eq(*at),
                    wxcallback_component::infotype.eq(name),
                    wxcallback_component::postbody.eq("{}"),
                ))
                .execute(conn)?;
            diesel::insert_into(wxcallback_biz::table)
                .values((
                    wxcallback_biz::receivetime.eq(*at),
                    wxcallback_biz::createtime.eq(*at),
                    wxcallback_biz::appid.eq("wxbiz"),
                    wxcallback_biz::msgtype.eq(name),
                    wxcallback_biz::postbody.eq("{}"),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
    .await
    .expect("pushes seeded");
}

/// The names of the stored pushes: (component, biz), oldest id first.
async fn push_names(db: &Db) -> (Vec<String>, Vec<String>) {
    db.run(|conn| {
        let component = wxcallback_component::table
            .order(wxcallback_component::id.asc())
            .select(wxcallback_component::infotype)
            .load(conn)?;
        let biz = wxcallback_biz::table
            .order(wxcallback_biz::id.asc())
            .select(wxcallback_biz::msgtype)
            .load(conn)?;
        Ok((component, biz))
    })
    .await
    .expect("pushes read")
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A fresh migrated database, for arranging rows before a service starts.
fn fresh_database() -> (Arc<TestDatabase>, Db) {
    let database = Arc::new(TestDatabase::new());
    let db = Db::connect(&database.settings()).expect("test database connects");
    (database, db)
}

#[tokio::test]
async fn expired_login_failure_counts_are_purged_in_the_background() {
    let (database, db) = fresh_database();
    seed_failures(&db, "192.0.2.50", ago(TimeDelta::hours(2))).await;
    seed_failures(&db, "192.0.2.51", ago(TimeDelta::minutes(5))).await;
    let _app = TestApp::spawn_on(
        Sim::start(7200).await,
        database,
        &[("WXC__ADMIN__HOUSEKEEPING_INTERVAL_SECS", "1")],
    )
    .await;
    let purged = eventually(PATIENCE, || async {
        failure_keys(&db).await == vec![admin::lockout::key("192.0.2.51")]
    })
    .await;
    assert!(
        purged,
        "the count whose window has passed goes, the current one stays: {:?}",
        failure_keys(&db).await
    );
}

#[tokio::test]
async fn push_records_past_the_retention_are_purged_in_batches_in_the_background() {
    let (database, db) = fresh_database();
    seed_pushes(
        &db,
        &[
            ("old1", ago(TimeDelta::days(40))),
            ("new1", ago(TimeDelta::days(1))),
            ("old2", ago(TimeDelta::days(31))),
            ("old3", ago(TimeDelta::days(35))),
            ("old4", ago(TimeDelta::days(400))),
            ("new2", ago(TimeDelta::minutes(1))),
            ("old5", ago(TimeDelta::days(30) + TimeDelta::minutes(5))),
        ],
    )
    .await;
    let _app = TestApp::spawn_on(
        Sim::start(7200).await,
        database,
        &[
            ("WXC__ADMIN__HOUSEKEEPING_INTERVAL_SECS", "1"),
            ("WXC__RECORDS__RETENTION_DAYS", "30"),
            ("WXC__RECORDS__PURGE_BATCH_ROWS", "2"),
        ],
    )
    .await;
    let expected = (names(&["new1", "new2"]), names(&["new1", "new2"]));
    let purged = eventually(PATIENCE, || async { push_names(&db).await == expected }).await;
    assert!(
        purged,
        "only pushes within 30 days are left: {:?}",
        push_names(&db).await
    );
}

/// `app`'s settings with housekeeping enabled, plus `extra`.
fn settings_of(app: &TestApp, extra: &[(&str, &str)]) -> Arc<Settings> {
    let mut env = app.env.clone();
    env.insert(
        "WXC__ADMIN__HOUSEKEEPING_INTERVAL_SECS".into(),
        "3600".into(),
    );
    for (k, v) in extra {
        env.insert((*k).to_string(), (*v).to_string());
    }
    Arc::new(Settings::load_from(&env).expect("settings load"))
}

#[tokio::test]
async fn without_a_retention_push_records_are_kept_forever() {
    let app = TestApp::spawn_with(QUIET).await;
    let db = app.db();
    seed_pushes(&db, &[("ancient", ago(TimeDelta::days(3000)))]).await;
    let housekeeping =
        Housekeeping::from_settings(db.clone(), settings_of(&app, &[])).expect("enabled");
    let report = housekeeping.round().await.expect("round");
    assert_eq!(report.component_records, 0);
    assert_eq!(report.biz_records, 0);
    assert_eq!(
        push_names(&db).await,
        (names(&["ancient"]), names(&["ancient"]))
    );
}

#[tokio::test]
async fn a_round_reports_what_it_deleted() {
    let app = TestApp::spawn_with(QUIET).await;
    let db = app.db();
    seed_pushes(
        &db,
        &[
            ("old", ago(TimeDelta::days(8))),
            ("new", ago(TimeDelta::days(6))),
        ],
    )
    .await;
    seed_failures(&db, "192.0.2.60", ago(TimeDelta::hours(3))).await;
    let settings = settings_of(
        &app,
        &[
            ("WXC__RECORDS__RETENTION_DAYS", "7"),
            ("WXC__RECORDS__PURGE_BATCH_ROWS", "1"),
        ],
    );
    let housekeeping = Housekeeping::from_settings(db.clone(), settings).expect("enabled");
    let report = housekeeping.round().await.expect("round");
    assert_eq!(
        report,
        Report {
            lockout_rows: 1,
            component_records: 1,
            biz_records: 1
        }
    );
    assert_eq!(push_names(&db).await, (names(&["new"]), names(&["new"])));
}

#[tokio::test]
async fn one_replica_does_the_round_per_interval() {
    let app = TestApp::spawn_with(QUIET).await;
    let db = app.db();
    let settings = settings_of(&app, &[]);
    let first = Housekeeping::from_settings(db.clone(), Arc::clone(&settings)).expect("enabled");
    let second = Housekeeping::from_settings(db.clone(), settings).expect("enabled");
    assert!(first.round_if_due().await.expect("round").is_some());
    assert!(
        second.round_if_due().await.expect("round").is_none(),
        "the other replica skips this interval"
    );
    assert!(
        first.round_if_due().await.expect("round").is_none(),
        "and so does the first until the interval has passed"
    );
    assert!(app.comm(LOCK_KEY).await.is_some());
}

#[tokio::test]
async fn an_interval_of_zero_disables_housekeeping() {
    let app = TestApp::spawn().await;
    let settings = settings_of(&app, &[("WXC__ADMIN__HOUSEKEEPING_INTERVAL_SECS", "0")]);
    assert!(Housekeeping::from_settings(app.db(), settings).is_none());
}
