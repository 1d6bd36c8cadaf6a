//! The lab beside a lesson: the learner's own cluster, its live picture, the task checklist and
//! a kubectl terminal. [`LabPanel`] composes the parts; each part is its own module.

pub mod api;
mod disclosure;
#[cfg(feature = "hydrate")]
mod follow;
pub mod model;
mod panel;
pub mod picture;
#[cfg(feature = "ssr")]
pub mod service;
mod tasks;
mod terminal;

pub(crate) use panel::LabPanel;
