//! One module per CLI command.

pub mod lessons_check;
pub mod serve;
