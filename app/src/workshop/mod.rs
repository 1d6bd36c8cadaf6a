//! Instructor-led workshops: an instructor creates a workshop (join code, link, QR code),
//! learners join with a display name, and the instructor watches a live grid of learners ×
//! tasks and broadcasts announcements, chaos and resets to the whole room.
//!
//! `model` and `api` are the contract with the server; `format` puts it into words; `banner`,
//! `grid` and `controls` are the components the pages (`pages::instructor*`, `pages::join`)
//! are made of; `follow` (browser only) keeps the instructor's grid live.

pub mod api;
mod banner;
#[cfg(feature = "instructor")]
mod controls;
#[cfg(all(feature = "hydrate", feature = "instructor"))]
mod follow;
pub mod format;
#[cfg(feature = "instructor")]
mod grid;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
mod time_left;

pub(crate) use banner::WorkshopBanner;
#[cfg(feature = "instructor")]
pub(crate) use controls::{Controls, WorkshopActions};
#[cfg(all(feature = "hydrate", feature = "instructor"))]
pub(crate) use follow::follow;
#[cfg(feature = "instructor")]
pub(crate) use grid::Grid;
pub(crate) use time_left::TimeLeft;
