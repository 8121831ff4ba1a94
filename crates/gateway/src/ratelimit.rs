//! Per-client-IP token buckets.
//!
//! Each client IP owns a bucket of `burst` tokens refilled at `rate` per
//! second; a request takes one token or is refused with the time until the
//! next token. Buckets live in sharded maps so threads rarely contend, and
//! [`RateLimiter::sweep`] (run by the gateway's background task) forgets the
//! ones that have refilled, so memory follows the number of recently active
//! clients. State is per gateway process: with several gateway replicas each
//! enforces its own share.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by client IP.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    shards: Vec<Mutex<HashMap<IpAddr, Bucket>>>,
}

impl RateLimiter {
    /// A limiter allowing `rate` requests per second with bursts of `burst`;
    /// `None` when `rate` is 0 (unlimited), so callers skip the lookup.
    pub fn new(rate: f64, burst: u32) -> Option<Self> {
        if rate <= 0.0 || !rate.is_finite() {
            return None;
        }
        Some(Self {
            rate,
            burst: f64::from(burst.max(1)),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        })
    }

    fn shard(&self, ip: &IpAddr) -> &Mutex<HashMap<IpAddr, Bucket>> {
        let mut h = DefaultHasher::new();
        ip.hash(&mut h);
        let i = usize::try_from(h.finish() % SHARDS as u64).unwrap_or(0);
        &self.shards[i]
    }

    /// Takes a token for `ip`, or says how long until one is available.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut map = self
            .shard(&ip)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = map.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }

    /// Forgets buckets that are full again (their clients went quiet).
    pub fn sweep(&self, now: Instant) {
        for shard in &self.shards {
            let mut map = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.retain(|_, b| {
                let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
                b.tokens + elapsed * self.rate < self.burst
            });
        }
    }

    /// How many clients currently have a bucket.
    pub fn tracked(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .len()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn bursts_then_refills_per_client() {
        let rl = RateLimiter::new(2.0, 3).expect("limited");
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(rl.check(ip("1.1.1.1"), t0).is_ok());
        }
        let wait = rl.check(ip("1.1.1.1"), t0).expect_err("limited");
        assert!(wait <= Duration::from_millis(500) && wait > Duration::ZERO);
        // Another client has its own bucket.
        assert!(rl.check(ip("2.2.2.2"), t0).is_ok());
        // Half a second later one token is back.
        let t1 = t0 + Duration::from_millis(500);
        assert!(rl.check(ip("1.1.1.1"), t1).is_ok());
        assert!(rl.check(ip("1.1.1.1"), t1).is_err());
    }

    #[test]
    fn zero_rate_means_unlimited_and_sweep_forgets_idle_clients() {
        assert!(RateLimiter::new(0.0, 10).is_none());
        let rl = RateLimiter::new(10.0, 5).expect("limited");
        let t0 = Instant::now();
        assert!(rl.check(ip("1.1.1.1"), t0).is_ok());
        assert_eq!(rl.tracked(), 1);
        rl.sweep(t0);
        assert_eq!(rl.tracked(), 1);
        rl.sweep(t0 + Duration::from_secs(1));
        assert_eq!(rl.tracked(), 0);
    }
}
