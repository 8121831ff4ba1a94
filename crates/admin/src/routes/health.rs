//! `GET /healthz` for the gateway, Docker and Kubernetes probes.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

/// 200 when the database answers, 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "reason": "database" }))
        }
    }
}
