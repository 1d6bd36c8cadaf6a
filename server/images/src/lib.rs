//! kubedojo-images: the programs inside the sandbox's simulated container images.
//!
//! The sandbox's kubelet resolves a container's `image` with [`Image::resolve`], prepares a
//! [`ContainerFs`] (the container's writable layer plus its volume mounts, all real directories
//! on the host), and starts the container's argv with [`spawn`]. `kubectl exec` uses [`spawn`]
//! too. What a process sees of the cluster network (DNS, other pods, Services) comes through the
//! [`Network`] trait, which the sandbox implements; the programs here never touch the host
//! network or any host path outside their mounts.

mod fs;
pub mod http;
mod image;
pub mod mysql;
mod net;
mod process;
mod programs;
mod shell;
pub mod stdio;
pub mod tty;

pub use fs::{ContainerFs, Entry, FsError, Mount, Quota, Resolved, normalize};
pub use image::Image;
pub use net::{
    ConnectError, DnsError, ListenError, ListenGuard, Listener, Lookup, Network, testing,
};
pub use process::{
    Control, ExitStatus, Process, ProcessSpec, Signal, SpawnError, Stdio, TermSize, spawn,
};
