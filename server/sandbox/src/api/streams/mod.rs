//! `pods/exec`, `pods/attach` and `pods/log`: the HTTP/WebSocket surface over a
//! [`crate::streams::PodStreams`] backend.
//!
//! Checks the apiserver makes itself (pod exists, container name, completed pod, node
//! assigned, option validation) answer plain HTTP `Status` errors before any upgrade. What
//! the runtime refuses after that arrives, like on a 1.32 cluster (whose apiserver upgrades the
//! client's WebSocket before dialling the kubelet), as a `Status` on the error channel.

mod channel;
mod log;
mod params;
mod refusal;
mod remote_command;
mod session;
mod target;

pub use log::pod_log;
pub use remote_command::{Kind, remote_command};
