//! Request logging for the actix services: the root span of every request
//! carries the gateway's `X-Request-Id`, so one id follows a request from the
//! gateway through every service it touches.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::Error;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder, TracingLogger};

/// Root spans with `x_request_id` from the incoming header ("-" when absent).
pub struct GatewayRequestId;

impl RootSpanBuilder for GatewayRequestId {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 128)
            .unwrap_or("-")
            .to_string();
        tracing_actix_web::root_span!(request, x_request_id = %id)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The request-logging middleware every service wraps its app in.
pub fn middleware() -> TracingLogger<GatewayRequestId> {
    TracingLogger::<GatewayRequestId>::new()
}
