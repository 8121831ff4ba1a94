//! Service start-up: the one error every service's `build` answers, and the
//! steps they all take (blocking work off the executor, binding the listener).

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
