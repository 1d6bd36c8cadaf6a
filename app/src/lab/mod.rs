//! The lab beside a lesson: the learner's own cluster, its live picture, the task checklist and
//! a kubectl terminal. [`LabPanel`] composes the parts; each part is its own module.

mod panel;
pub mod picture;

pub(crate) use panel::LabPanel;
