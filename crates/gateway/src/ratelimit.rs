//! Token buckets: per client IP ([`RateLimiter`]) and one for a whole class
//! of traffic ([`GlobalLimiter`]).
//!
//! Each client IP owns a bucket of `burst` tokens refilled at `rate` per
//! second; a request takes one token or is refused with the time until the
//! next token. Buckets live in sharded maps so threads rarely contend, and
//! [`RateLimiter::sweep`] (run by the gateway's background task) forgets the
//! ones that have refilled, so memory follows the number of recently active
//! clients. State is per gateway process: with several gateway replicas each
//! enforces its own share.
//!
//! WeChat's pushes come from a handful of server IPs at whatever rate the
//! platform's accounts produce, so a per-IP bucket would refuse them; they
//! only meet a [`GlobalLimiter`], a safety valve set far above what the
//! callback receiver ingests.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Self {
        Self {
            tokens: burst,
            last: now,
        }
    }

    /// Refills for the time since the last call, then takes a token or says
    /// how long until one is available.
    fn take(&mut self, rate: f64, burst: f64, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

fn limited(rate: f64) -> bool {
    rate > 0.0 && rate.is_finite()
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
        if !limited(rate) {
            return None;
        }
        Some(Self {
            rate,
            burst: f64::from(burst.max(1)),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        })
    }

    /// The shard of `ip`: the low bits of its last bytes, where addresses
    /// differ most. Only spreads the locks; the map inside hashes with its
    /// own random keys, so picking addresses cannot make a client's lookups
    /// slow.
    fn shard(&self, ip: &IpAddr) -> &Mutex<HashMap<IpAddr, Bucket>> {
        let low = match ip {
            IpAddr::V4(v4) => u32::from(*v4),
            IpAddr::V6(v6) => (v6.to_bits() ^ (v6.to_bits() >> 64)) as u32,
        };
        &self.shards[(low ^ (low >> 8)) as usize % SHARDS]
    }

    /// Takes a token for `ip`, or says how long until one is available.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut map = self
            .shard(&ip)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(ip)
            .or_insert(Bucket::full(self.burst, now))
            .take(self.rate, self.burst, now)
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

/// One token bucket shared by every client of a class of traffic.
#[derive(Debug)]
pub struct GlobalLimiter {
    rate: f64,
    burst: f64,
    bucket: Mutex<Bucket>,
}

impl GlobalLimiter {
    /// A limiter allowing `rate` requests per second in all with bursts of
    /// `burst`; `None` when `rate` is 0 (unlimited).
    pub fn new(rate: f64, burst: u32) -> Option<Self> {
        if !limited(rate) {
            return None;
        }
        let burst = f64::from(burst.max(1));
        Some(Self {
            rate,
            burst,
            bucket: Mutex::new(Bucket::full(burst, Instant::now())),
        })
    }

    /// Takes a token, or says how long until one is available.
    pub fn check(&self, now: Instant) -> Result<(), Duration> {
        self.bucket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(self.rate, self.burst, now)
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
    fn the_global_bucket_is_shared_by_every_client() {
        assert!(GlobalLimiter::new(0.0, 10).is_none());
        let gl = GlobalLimiter::new(4.0, 2).expect("limited");
        let t0 = Instant::now();
        assert!(gl.check(t0).is_ok());
        assert!(gl.check(t0).is_ok());
        let wait = gl.check(t0).expect_err("limited");
        assert!(wait <= Duration::from_millis(250) && wait > Duration::ZERO);
        assert!(gl.check(t0 + Duration::from_millis(250)).is_ok());
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
