//! The kubedojo server: application state, the HTTP router and the CLI commands. `main.rs` only
//! parses arguments and calls into here, so tests drive the same router the binary serves.

// The router renders the app's pages, whose view types are deeply nested (the lesson page with
// its forms needs more than the default 128 levels to lay out its server-side rendering).
#![recursion_limit = "256"]

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
