//! `GET /healthz` for the gateway, Docker and Kubernetes probes.

use actix_web::{web, HttpResponse};
use common::db::Db;

/// 200 when the database answers, 503 otherwise.
pub async fn healthz(db: web::Data<Db>) -> HttpResponse {
    common::startup::healthz(&db).await
}
