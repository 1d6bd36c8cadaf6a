//! Instructor-led workshops: an instructor creates a workshop (join code, link, QR code),
//! learners join with a display name, and the instructor watches a live grid of learners ×
//! tasks and broadcasts announcements, chaos and resets to the whole room.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
