//! The live cluster picture: watches a learner's cluster and streams a fresh
//! [`ClusterSnapshot`](kubedojo_app::lab::picture::model::ClusterSnapshot) on every change as
//! Server-Sent Events (`GET /api/cluster/watch`).
//!
//! Layers, one way: `snapshot` (objects → model, pure) ← `stream` (watchers → messages) ←
//! `route` (HTTP).

pub mod error;
pub mod route;
pub mod snapshot;
pub mod stream;

pub use error::WatchError;
