//! Per-address rate limit for guessing join codes: a token bucket per IP address. Only wrong
//! codes take a token, so a whole room behind one NAT joins at once, while guessing from one
//! address slows to `per_minute` after a burst.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// A bucket per address.
#[derive(Debug)]
pub struct RateLimit {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimit {
    /// `burst` attempts at once, refilled at `per_minute`.
    pub fn new(burst: u32, per_minute: u32) -> Self {
        Self {
            burst: f64::from(burst),
            per_second: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `addr` may try now (takes nothing); `Err(wait)` when it has no attempt left.
    pub fn check(&self, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        let buckets = self.buckets.lock();
        let Some((tokens, at)) = buckets.get(&addr) else {
            return Ok(());
        };
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        if refilled >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - refilled) / self.per_second))
        }
    }

    /// Takes one attempt for `addr` at `now`; `Err(wait)` when there is none left.
    pub fn take(&self, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock();
        // Forget full buckets now and then so the map does not grow with every address seen.
        if buckets.len() > 10_000 {
            let (burst, rate) = (self.burst, self.per_second);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(addr).or_insert((self.burst, now));
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(Duration::from_secs_f64((1.0 - refilled) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_attempts_wait_for_the_refill() {
        let limit = RateLimit::new(3, 60);
        let (a, b) = (
            "10.0.0.1".parse().expect("ip"),
            "10.0.0.2".parse().expect("ip"),
        );
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limit.take(a, t0).is_ok());
        }
        let wait = limit.take(a, t0).expect_err("the fourth waits");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(
            limit.take(b, t0).is_ok(),
            "another address has its own bucket"
        );
        assert!(
            limit.take(a, t0 + Duration::from_millis(1100)).is_ok(),
            "refilled"
        );
    }
}
