//! Anonymous learner ids.

use std::fmt;
use std::str::FromStr;

/// A learner, identified by a random UUID (v4: 122 random bits, so ids cannot be guessed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LearnerId(uuid::Uuid);

impl LearnerId {
    /// A new random id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl fmt::Display for LearnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.as_hyphenated().fmt(f)
    }
}

/// The text is not a learner id (only v4 UUIDs are ever issued).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a learner id")]
pub struct ParseLearnerIdError;

impl FromStr for LearnerId {
    type Err = ParseLearnerIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = uuid::Uuid::parse_str(s).map_err(|_| ParseLearnerIdError)?;
        if id.get_version_num() == 4 {
            Ok(Self(id))
        } else {
            Err(ParseLearnerIdError)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let id = LearnerId::generate();
        assert_eq!(id.to_string().parse::<LearnerId>(), Ok(id));
        assert!("x".parse::<LearnerId>().is_err());
        assert!(
            "00000000-0000-0000-0000-000000000000"
                .parse::<LearnerId>()
                .is_err()
        );
    }
}
