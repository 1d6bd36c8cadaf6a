//! Diagnoses: when a check fails, walk lesson 16's troubleshooting checklists and say what is
//! wrong and why, naming the objects and fields involved.

pub mod data;
pub mod network;
pub mod pod;
pub mod pvc;
