//! What both benchmark examples share: a pingora server with `threads`
//! worker threads that stops at once on a signal (the benchmark kills it).

use pingora::server::configuration::ServerConf;
use pingora::server::Server;

/// A bootstrapped server with `threads` worker threads and no grace period.
pub fn server(threads: usize) -> Server {
    let conf = ServerConf {
        threads,
        grace_period_seconds: Some(0),
        graceful_shutdown_timeout_seconds: Some(1),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    server
}
