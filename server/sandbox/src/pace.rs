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
