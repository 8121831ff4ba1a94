//! Fresh, isolated databases for tests: a temporary SQLite file by default, or
//! a new MySQL database on the server named by `WXC_TEST_MYSQL_URL` (dropped
//! when the guard goes away). Each test gets its own, so suites run in parallel.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::Connection;
use secrecy::SecretString;

use crate::config::DatabaseSettings;

/// Environment variable selecting MySQL for the test suites.
pub const TEST_MYSQL_URL_ENV: &str = "WXC_TEST_MYSQL_URL";

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// A database that exists for the lifetime of the value.
pub struct TestDatabase {
    url: String,
    mysql_cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// Creates an empty database on the backend this test run targets.
    ///
    /// # Panics
    /// When the test database cannot be created: the test cannot run.
    pub fn new() -> Self {
        match std::env::var(TEST_MYSQL_URL_ENV) {
            Ok(url) if !url.is_empty() => Self::mysql(&url),
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create temp dir for SQLite test database");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Self {
            url,
            mysql_cleanup: None,
            _dir: Some(dir),
        }
    }

    fn mysql(server_url: &str) -> Self {
        let (server, _) = server_url
            .rsplit_once('/')
            .expect("WXC_TEST_MYSQL_URL must look like mysql://user@host:3306/dbname");
        let name = format!(
            "wxc_test_{}_{}_{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let admin_url = format!("{server}/mysql");
        let mut conn = MysqlConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("connect to MySQL test server {admin_url}: {e}"));
        conn.batch_execute(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .expect("create MySQL test database");
        Self {
            url: format!("{server}/{name}"),
            mysql_cleanup: Some((admin_url, name)),
            _dir: None,
        }
    }

    /// The URL to put in `database.url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Database settings pointing at this database.
    pub fn settings(&self) -> DatabaseSettings {
        DatabaseSettings {
            url: SecretString::from(self.url.clone()),
            pool_size: 10,
            sqlite_busy_timeout_ms: 10_000,
            connect_timeout_ms: 10_000,
        }
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.mysql_cleanup {
            match MysqlConnection::establish(admin_url) {
                Ok(mut conn) => {
                    if let Err(e) = conn.batch_execute(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                }
                Err(e) => eprintln!("could not connect to drop test database {name}: {e}"),
            }
        }
    }
}
