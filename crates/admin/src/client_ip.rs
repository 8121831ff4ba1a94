//! Which address a request comes from, for the login lockout and the inner
//! API's loopback rule: the request's side of [`common::client_ip`], whose
//! module doc has the rule the gateway follows too.

use std::net::IpAddr;

use actix_web::HttpRequest;

pub use common::client_ip::Cidr;

/// The direct peer's address, if the connection has one.
pub fn peer_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr()
        .map(|a| common::client_ip::canonical(a.ip()))
}

/// The client's address as [`common::client_ip::client_ip`] finds it.
pub fn client_ip(req: &HttpRequest, trusted: &[Cidr]) -> Option<IpAddr> {
    let forwarded_for = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| v.as_bytes());
    Some(common::client_ip::client_ip(
        peer_ip(req)?,
        forwarded_for,
        trusted,
    ))
}
