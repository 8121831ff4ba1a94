//! The fake `api.weixin.qq.com` and the simulator's control endpoints.

mod access;
mod component;
mod control;
mod domains;
mod media;
mod menu;
mod message;
mod privacy;
mod sim;
mod sns;
mod tags;
mod templates;
mod testers;
mod user;
mod wxa;

use actix_web::web;

/// Registers every route of the simulator.
pub fn configure(cfg: &mut web::ServiceConfig) {
    sim::configure(cfg);
    component::configure(cfg);
    control::configure(cfg);
    message::configure(cfg);
    media::configure(cfg);
    menu::configure(cfg);
    tags::configure(cfg);
    user::configure(cfg);
    sns::configure(cfg);
    wxa::configure(cfg);
    templates::configure(cfg);
    privacy::configure(cfg);
    testers::configure(cfg);
    domains::configure(cfg);
}
