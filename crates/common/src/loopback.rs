//! Loopback ports for tests that must tell one process another's port before
//! either starts (wxsim needs the callback receiver's URL; the end-to-end
//! stack is seven processes). A port found by binding port 0 and letting go
//! can be taken by any outgoing connection before its owner binds it, since
//! the kernel hands out one ephemeral range for both. These ports come from
//! below that range, where only explicit binds land, are never handed out
//! twice by one process, and are checked free while all of them are held.

use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Lowest port handed out.
const FIRST: u32 = 10_000;

/// `N` distinct ports on 127.0.0.1 that nothing listens on right now.
pub fn free_ports<const N: usize>() -> [u16; N] {
    let (start, span) = range();
    let mut held: Vec<TcpListener> = Vec::with_capacity(N);
    for _ in 0..span {
        if held.len() == N {
            break;
        }
        let port = start + next() % span;
        let Ok(port) = u16::try_from(port) else {
            continue;
        };
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(listener);
        }
    }
    assert_eq!(
        held.len(),
        N,
        "no {N} free loopback ports below {}",
        start + span
    );
    let ports: Vec<u16> = held
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .map(|a| a.port())
        .collect();
    ports
        .try_into()
        .unwrap_or_else(|p: Vec<u16>| panic!("bound {} ports, wanted {N}", p.len()))
}

/// One free port (see [`free_ports`]).
pub fn free_port() -> u16 {
    let [port] = free_ports::<1>();
    port
}

/// Successive offsets from a random start, shared by the whole process.
fn next() -> u32 {
    static NEXT: OnceLock<AtomicU32> = OnceLock::new();
    NEXT.get_or_init(|| {
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        AtomicU32::new(u32::try_from(random >> 32).unwrap_or_default())
    })
    .fetch_add(1, Ordering::Relaxed)
}

/// `(first port, how many)` below the ephemeral range.
fn range() -> (u32, u32) {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let end = if ephemeral_low > FIRST + 1_000 {
        ephemeral_low
    } else {
        65_536
    };
    (FIRST, end - FIRST)
}
