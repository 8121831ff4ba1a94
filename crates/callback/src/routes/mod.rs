//! HTTP routes: thin handlers over `inbound` and `push`.

mod health;
mod wxcallback;

use actix_web::web;

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .service(
            web::resource("/wxcallback/component")
                .route(web::get().to(wxcallback::verify))
                .route(web::post().to(wxcallback::component)),
        )
        .service(
            web::resource("/wxcallback/biz/{appid}")
                .route(web::get().to(wxcallback::verify))
                .route(web::post().to(wxcallback::biz)),
        );
}
