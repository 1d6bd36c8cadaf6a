//! How fast simulated time passes for controllers and the node runtime (used by a later issue).

use std::time::Duration;

/// Pace of the simulated cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pace {
    /// Everything happens as soon as possible (tests, grading).
    #[default]
    Instant,
    /// Delays roughly like a real cluster, so learners can watch things happen.
    Lifelike,
}

impl Pace {
    /// Scale a real-world delay to this pace.
    pub fn delay(self, lifelike: Duration) -> Duration {
        match self {
            Pace::Instant => Duration::ZERO,
            Pace::Lifelike => lifelike,
        }
    }
}

impl std::str::FromStr for Pace {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "instant" => Ok(Pace::Instant),
            "lifelike" => Ok(Pace::Lifelike),
            other => Err(format!(
                "unknown pace {other:?} (expected instant or lifelike)"
            )),
        }
    }
}

impl Pace {
    /// The kubelet's back-off before restarting a container that has crashed `restarts` times:
    /// 10 s doubling to 5 min like the real one; at instant pace 10 ms doubling to 1 s so a crash
    /// loop stays visible (CrashLoopBackOff) without spinning.
    pub fn crash_backoff(self, restarts: u32) -> Duration {
        let exp = restarts.saturating_sub(1).min(10);
        match self {
            Pace::Instant => Duration::from_millis(10 << exp).min(Duration::from_secs(1)),
            Pace::Lifelike => Duration::from_secs(10 << exp).min(Duration::from_secs(300)),
        }
    }

    /// How often probes run: the probe's period when lifelike; 100 ms at instant pace.
    pub fn probe_period(self, seconds: u64) -> Duration {
        match self {
            Pace::Instant => Duration::from_millis(100),
            Pace::Lifelike => Duration::from_secs(seconds.max(1)),
        }
    }
}

impl std::fmt::Display for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pace::Instant => "instant",
            Pace::Lifelike => "lifelike",
        })
    }
}
