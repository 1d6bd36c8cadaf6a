//! The kubedojo server: application state, the HTTP router and the CLI commands. `main.rs` only
//! parses arguments and calls into here, so tests drive the same router the binary serves.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod cookies;
pub mod labs;
mod learner;
pub mod live;
mod router;
mod routes;
pub mod site;
mod state;
pub mod terminal;
pub mod workshops;

pub use router::router;
pub use state::{AppState, InstructorSettings};
