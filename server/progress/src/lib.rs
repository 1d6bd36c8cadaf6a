//! Learner progress, kept in SQLite (WAL mode, so a crash loses nothing that was committed).
//!
//! Learners are anonymous: a random id in a cookie. This crate stores what they did; the server
//! decides who they are.

mod learner;
mod store;

pub use learner::{LearnerId, ParseLearnerIdError};
pub use store::{Error, ProgressStore};
