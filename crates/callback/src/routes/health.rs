//! `GET /healthz` for the gateway, Docker and Kubernetes probes.

use actix_web::{web, HttpResponse};

use crate::CallbackState;

/// 200 when the database answers, 503 otherwise.
pub async fn healthz(state: web::Data<CallbackState>) -> HttpResponse {
    common::startup::healthz(&state.db).await
}
