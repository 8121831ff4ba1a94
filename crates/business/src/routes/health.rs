//! `GET /healthz` for the gateway, Docker and Kubernetes probes.

use actix_web::{web, HttpResponse};
use common::db::Db;
use serde_json::json;

/// 200 when the database answers, 503 otherwise.
pub async fn healthz(db: web::Data<Db>) -> HttpResponse {
    match db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "reason": "database" }))
        }
    }
}
