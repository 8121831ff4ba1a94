//! Service start-up: the one error every service's `build` answers, and the
//! steps they all take (blocking work off the executor, binding the listener,
//! serving with the shared request log, answering health checks).

use std::net::{SocketAddr, TcpListener};

use crate::config::SettingsError;
use crate::db::DbError;
#[cfg(feature = "secrets")]
use crate::secrets::SecretError;

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is missing or unusable.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Database(#[from] DbError),
    /// The master key could not be loaded or created.
    #[cfg(feature = "secrets")]
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The service's own first-start set-up failed (the admin's JWT secret
    /// and first administrator).
    #[error("start-up set-up failed: {0}")]
    Setup(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An HTTP client could not be built.
    #[error("cannot build an HTTP client: {0}")]
    Http(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The configured `host:port`.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A start-up task was interrupted.
    #[error("start-up task failed: {0}")]
    Task(String),
}

impl StartError {
    /// [`StartError::Setup`] from the service's own error.
    pub fn setup(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Setup(Box::new(error))
    }

    /// [`StartError::Http`] from the client builder's error.
    pub fn http(error: impl std::fmt::Display) -> Self {
        Self::Http(error.to_string())
    }

    /// Maps an I/O error of listening on `address` to [`StartError::Bind`].
    pub fn bind(address: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let address = address.into();
        move |source| Self::Bind { address, source }
    }
}

/// Runs blocking start-up work (opening the database, reading key files) on
/// the blocking thread pool, never on the executor.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StartError> + Send + 'static,
) -> Result<T, StartError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StartError::Task(e.to_string()))?
}

/// Binds `host:port` (port 0 picks a free port); answers the listener and
/// the address actually bound, which the service reports.
pub fn listen(host: &str, port: u16) -> Result<(TcpListener, SocketAddr), StartError> {
    let address = format!("{host}:{port}");
    let listener = TcpListener::bind(&address).map_err(StartError::bind(address.as_str()))?;
    let local = listener
        .local_addr()
        .map_err(StartError::bind(address.as_str()))?;
    Ok((listener, local))
}

/// Serves an app on `listener` the way every service does: the gateway's
/// request id on every request's log lines, five seconds for the requests in
/// flight at shutdown. `configure` adds the service's state and routes.
#[cfg(feature = "web")]
pub fn serve<F>(
    listener: TcpListener,
    local: SocketAddr,
    configure: F,
) -> Result<actix_web::dev::Server, StartError>
where
    F: Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static,
{
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(crate::request_log::middleware())
            .configure(configure.clone())
    })
    .shutdown_timeout(5)
    .listen(listener)
    .map_err(StartError::bind(local.to_string()))?
    .run();
    Ok(server)
}

/// `GET /healthz` of every service, for the gateway, Docker and Kubernetes
/// probes: 200 when the database answers, 503 otherwise.
#[cfg(feature = "web")]
pub async fn healthz(db: &crate::db::Db) -> actix_web::HttpResponse {
    use actix_web::HttpResponse;
    use serde_json::json;
    match db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "reason": "database" }))
        }
    }
}
