//! The shared database: one diesel `MultiConnection` over MySQL and SQLite.
//!
//! The backend comes from the URL scheme (`sqlite://` or `mysql://`), never
//! from trial connection. Migrations exist once per backend under the same
//! names and are embedded in the binary; [`Db::connect`] applies the pending
//! ones before the service takes traffic (serialised across replicas on MySQL
//! with a named lock). Diesel is synchronous, so [`Db::run`] moves every query
//! to tokio's blocking pool: no database call ever blocks the async executor.

pub mod audits;
pub mod authorization_failures;
#[cfg(feature = "tokens")]
pub mod authorizers;
pub mod bindings;
mod connection;
pub mod pushes;
pub mod refusals;
pub mod schema;
#[cfg(feature = "testing")]
pub mod testing;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::ExposeSecret;

pub use connection::{Backend, ConnectionManager, DbConnection};

use crate::config::{DatabaseSettings, DatabaseUrl, SettingsError};

const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Name of the MySQL advisory lock that serialises migrations across replicas.
const MIGRATION_LOCK: &str = "wxcomponent_migrations";

/// Why a database operation failed. Every variant is an internal failure from
/// the client's point of view; services map it to 1002 / HTTP 500 or 503.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `database.url` is not usable.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// No connection could be made or borrowed in time.
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::PoolError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The blocking task was cancelled or panicked.
    #[error("database task did not complete: {0}")]
    Task(String),
}

/// A pooled handle to the shared database, cheap to clone into handlers.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    backend: Backend,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("state", &self.pool.state())
            .finish()
    }
}

impl Db {
    /// Opens the pool and applies pending migrations. Blocking: call it at
    /// start-up (or through `spawn_blocking`), before serving requests.
    pub fn connect(settings: &DatabaseSettings) -> Result<Self, DbError> {
        let url = DatabaseUrl::parse(settings.url.expose_secret())?;
        let manager = ConnectionManager::new(url, settings.sqlite_busy_timeout_ms);
        let backend = manager.backend();
        let pool = Pool::builder()
            .max_size(settings.pool_size)
            .connection_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .build(manager)?;
        let db = Self { pool, backend };
        db.migrate()?;
        tracing::info!(backend = ?backend, "database ready");
        Ok(db)
    }

    /// Which backend the URL selected.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Borrows a connection for blocking code that is already off the executor.
    pub fn get(&self) -> Result<PooledConnection<ConnectionManager>, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<F, T>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Like [`Db::run`] for work that answers the caller's own error (a
    /// service error that a [`DbError`] converts into): one `?` at the call
    /// site, whether the database or the work itself refused.
    pub async fn query<F, T, E>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.run(move |conn| Ok(f(conn))).await?
    }

    /// Checks that a connection can be borrowed and answers a query; for `/healthz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| Ok(conn.batch_execute("SELECT 1")?)).await
    }

    /// Applies the pending migrations of this backend.
    fn migrate(&self) -> Result<(), DbError> {
        let mut conn = self.get()?;
        match &mut *conn {
            DbConnection::Mysql(mysql) => {
                mysql.batch_execute(&format!("DO GET_LOCK('{MIGRATION_LOCK}', 60)"))?;
                let applied = mysql
                    .run_pending_migrations(MYSQL_MIGRATIONS)
                    .map(|versions| versions.len())
                    .map_err(|e| DbError::Migration(e.to_string()));
                mysql.batch_execute(&format!("DO RELEASE_LOCK('{MIGRATION_LOCK}')"))?;
                log_applied(applied?);
            }
            DbConnection::Sqlite(sqlite) => {
                // An exclusive transaction serialises services starting together
                // on one file; each migration runs in a savepoint inside it.
                let applied = sqlite.exclusive_transaction(|c| {
                    c.run_pending_migrations(SQLITE_MIGRATIONS)
                        .map(|versions| versions.len())
                        .map_err(|e| DbError::Migration(e.to_string()))
                })?;
                log_applied(applied);
            }
        }
        Ok(())
    }

    /// Reverts every migration of this backend; for the migration tests.
    pub fn revert_all_migrations(&self) -> Result<(), DbError> {
        let mut conn = self.get()?;
        let result = match &mut *conn {
            DbConnection::Mysql(mysql) => mysql.revert_all_migrations(MYSQL_MIGRATIONS).map(drop),
            DbConnection::Sqlite(sqlite) => {
                sqlite.revert_all_migrations(SQLITE_MIGRATIONS).map(drop)
            }
        };
        result.map_err(|e| DbError::Migration(e.to_string()))
    }

    /// Applies pending migrations again (after a revert, in tests).
    pub fn run_migrations(&self) -> Result<(), DbError> {
        self.migrate()
    }
}

/// A WeChat unix time (`CreateTime`, `auth_time`) as every backend stores it:
/// clamped to MySQL TIMESTAMP's range (1970-01-01 00:00:01 .. 2038-01-19).
/// One conversion for every service, so times they compare agree.
pub fn stored_time(unix: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp(unix.clamp(1, 2_147_483_647), 0)
        .map(|t| t.naive_utc())
        .unwrap_or_default()
}

/// Serializes a stored time as RFC 3339 UTC, as every JSON answer shows
/// times.
pub fn serialize_time<S: serde::Serializer>(
    time: &chrono::NaiveDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(
        &time
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// The current time as stored in the database: UTC, whole seconds.
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::Timelike::with_nanosecond(&now, 0).unwrap_or(now)
}

/// The escape character of [`like_contains`] patterns: `!` reads the same
/// in MySQL's and SQLite's string literals, unlike a backslash.
pub const LIKE_ESCAPE: char = '!';

/// A LIKE pattern matching `text` anywhere, its `%`, `_` and `!` escaped
/// with [`LIKE_ESCAPE`] (appids may contain `_`); use it as
/// `column.like(like_contains(text)).escape(LIKE_ESCAPE)`.
pub fn like_contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            pattern.push(LIKE_ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The first `chars` characters of `text`: what fits a VARCHAR(`chars`)
/// column (MySQL counts characters, not bytes).
pub(crate) fn cut(text: &str, chars: usize) -> &str {
    match text.char_indices().nth(chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Updates a row, inserting it when there is none; an insert that loses a
/// race to another writer turns into the update. Answers whether the row was
/// inserted. Deliberately not one transaction, and not to be called inside
/// one on MySQL: on InnoDB, "update nothing, then insert" in a transaction
/// takes gap locks that deadlock two writers of neighbouring keys (two
/// authorizers' tokens refreshed at once, two first logins). Each statement
/// here commits on its own, so a crash between them leaves the row either
/// absent or whole.
pub fn upsert<U, I>(conn: &mut DbConnection, update: U, insert: I) -> Result<bool, DbError>
where
    U: Fn(&mut DbConnection) -> diesel::QueryResult<usize>,
    I: FnOnce(&mut DbConnection) -> diesel::QueryResult<usize>,
{
    if update(conn)? > 0 {
        return Ok(false);
    }
    match insert(conn) {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            update(conn)?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

fn log_applied(count: usize) {
    if count > 0 {
        tracing::info!(count, "applied database migrations");
    }
}
