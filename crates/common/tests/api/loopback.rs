//! Ports for tests that start processes on ports chosen in advance.

use std::collections::HashSet;
use std::net::TcpListener;

use common::loopback::{free_port, free_ports};

fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

#[test]
fn ports_are_distinct_free_and_outside_the_ephemeral_range() {
    let ports = free_ports::<40>();
    let mut seen: HashSet<u16> = ports.iter().copied().collect();
    assert_eq!(seen.len(), 40, "{ports:?}");
    // One process never hands a port out twice.
    for _ in 0..40 {
        assert!(seen.insert(free_port()), "a port was handed out twice");
    }
    let low = ephemeral_low();
    for port in ports {
        if low > 11_000 {
            assert!((10_000..low).contains(&port), "{port} not below {low}");
        }
        TcpListener::bind(("127.0.0.1", port)).expect("the port is free to bind");
    }
}
