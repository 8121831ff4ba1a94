//! A minimal, fast HTTP upstream for `bench/gateway.sh`: answers every
//! request with a small JSON body (and `/healthz`), keep-alive, on pingora so
//! the upstream is never the bottleneck being measured.
//!
//! `cargo run --release -p gateway --example bench_upstream -- 127.0.0.1:18083 [threads]`

mod support;

use async_trait::async_trait;
use http::Response;
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;
use pingora::services::listening::Service;

struct Upstream;

const BODY: &[u8] = br#"{"code":0,"errorMsg":"OK","data":42}"#;

#[async_trait]
impl ServeHttp for Upstream {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        // Drain a request body so the connection can be reused.
        while let Ok(Some(_)) = session.read_request_body().await {}
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("content-length", BODY.len())
            .body(BODY.to_vec())
            .unwrap_or_else(|_| Response::new(Vec::new()))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:18083".into());
    let threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(1);
    let mut server = support::server(threads);
    let mut service = Service::new("bench upstream".to_string(), Upstream);
    service.add_tcp(&listen);
    server.add_service(service);
    server.run_forever();
}
