//! One module per CLI command.

pub mod lessons_check;
pub mod sandbox;
pub mod serve;
