//! pingora's floor for `bench/gateway.sh`: a `ProxyHttp` that does nothing
//! but send every request to one fixed upstream over pingora's keep-alive
//! pool — no routing, headers, limits, metrics or logs. The gateway's row is
//! read against this one to tell pingora's own per-request cost from the
//! gateway's.
//!
//! `cargo run --release -p gateway --example bare_proxy -- 127.0.0.1:18082 127.0.0.1:18083 [threads]`
//!
//! It runs pingora the way the gateway binary does (pingora's default
//! work-stealing runtimes, the same allocator), so the two rows differ only by
//! what the gateway does per request.

mod support;

use std::net::SocketAddr;

use async_trait::async_trait;
use pingora::proxy::{ProxyHttp, Session};
use pingora::upstreams::peer::HttpPeer;

// The services' allocator, declared in `common::memory`: linking the crate is enough.
extern crate common;

struct Bare {
    upstream: SocketAddr,
}

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        _ctx: &mut (),
    ) -> pingora::Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.upstream, false, String::new())))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:18082".into());
    let upstream = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 18083)));
    let threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(1);
    let mut server = support::server(threads);
    let mut service = pingora::proxy::http_proxy_service_with_name(
        &server.configuration,
        Bare { upstream },
        "bare proxy",
    );
    service.add_tcp(&listen);
    server.add_service(service);
    server.run_forever();
}
