//! One module per CLI command.

pub mod cleanup;
pub mod kind;
pub mod lessons_check;
pub mod sandbox;
pub mod serve;
