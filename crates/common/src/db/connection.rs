//! The connection type over both backends and the r2d2 manager that opens it.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::r2d2::{Error as R2d2Error, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use crate::config::DatabaseUrl;

/// A live connection to whichever backend the URL selected.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// MySQL / MariaDB, the production backend.
    Mysql(MysqlConnection),
    /// Embedded SQLite, the single-machine default.
    Sqlite(SqliteConnection),
}

/// Which backend a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// MySQL / MariaDB.
    Mysql,
    /// SQLite.
    Sqlite,
}

/// Opens connections of the backend chosen by the URL scheme and prepares
/// each one (UTC session time on MySQL; WAL, busy timeout and foreign keys on
/// SQLite, and temporary storage in memory: a multi-row insert inside a
/// transaction keeps a statement journal, which would otherwise be a file
/// created and deleted per statement).
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    sqlite_busy_timeout_ms: u32,
}

impl ConnectionManager {
    /// A manager for `url`.
    pub fn new(url: DatabaseUrl, sqlite_busy_timeout_ms: u32) -> Self {
        Self {
            url,
            sqlite_busy_timeout_ms,
        }
    }

    /// The backend the URL selects.
    pub fn backend(&self) -> Backend {
        match self.url {
            DatabaseUrl::Mysql(_) => Backend::Mysql,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = R2d2Error;

    fn connect(&self) -> Result<DbConnection, R2d2Error> {
        match &self.url {
            DatabaseUrl::Mysql(url) => {
                let mut conn =
                    MysqlConnection::establish(url).map_err(R2d2Error::ConnectionError)?;
                conn.batch_execute("SET time_zone = '+00:00'")
                    .map_err(R2d2Error::QueryError)?;
                Ok(DbConnection::Mysql(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                ensure_parent_dir(path)?;
                let path_str = path.to_str().ok_or_else(|| {
                    R2d2Error::ConnectionError(diesel::ConnectionError::BadConnection(format!(
                        "SQLite path is not UTF-8: {}",
                        path.display()
                    )))
                })?;
                let mut conn =
                    SqliteConnection::establish(path_str).map_err(R2d2Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA temp_store = MEMORY;",
                    self.sqlite_busy_timeout_ms
                ))
                .map_err(R2d2Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), R2d2Error> {
        conn.batch_execute("SELECT 1")
            .map_err(R2d2Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

fn ensure_parent_dir(path: &Path) -> Result<(), R2d2Error> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|e| {
                R2d2Error::ConnectionError(diesel::ConnectionError::BadConnection(format!(
                    "cannot create database directory {}: {e}",
                    dir.display()
                )))
            }),
        _ => Ok(()),
    }
}
