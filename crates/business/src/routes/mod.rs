//! HTTP routes; thin handlers over the domain modules.

mod autoreply;
mod binding;
mod counter;
mod health;
mod login;
mod message;
mod oa;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;

/// `X-Served-By` on the counter's answers: the replica that answered (its
/// `HOSTNAME`, a container's id under Docker), so an operator or the compose
/// test can see requests spread over the replicas behind the gateway.
fn served_by() -> DefaultHeaders {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 64
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .unwrap_or_else(|| "-".to_string());
    DefaultHeaders::new().add(("x-served-by", host))
}

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .service(
            web::resource("/api/count")
                .wrap(served_by())
                .route(web::get().to(counter::get_count))
                .route(web::post().to(counter::update_count)),
        )
        .route("/api/login", web::get().to(login::login))
        .route("/api/me", web::get().to(login::me))
        .service(
            web::resource("/api/bind")
                .route(web::post().to(binding::bind))
                .route(web::get().to(binding::query)),
        )
        .route("/api/wx/message/{appid}", web::post().to(message::handle))
        .service(
            web::resource("/api/autoreply")
                .route(web::get().to(autoreply::list))
                .route(web::post().to(autoreply::create)),
        )
        .route("/api/autoreply/{id}", web::delete().to(autoreply::delete))
        .configure(oa::configure);
}
