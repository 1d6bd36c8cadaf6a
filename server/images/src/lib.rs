//! kubedojo-images: the programs inside the sandbox's simulated container images.
//!
//! The sandbox's kubelet resolves a container's `image` with [`Image::resolve`], prepares a
//! [`ContainerFs`] (the container's writable layer plus its volume mounts, all real directories
//! on the host), and starts the container's argv with [`spawn`]. `kubectl exec` uses [`spawn`]
//! too. What a process sees of the cluster network (DNS, other pods, Services) comes through the
//! [`Network`] trait, which the sandbox implements; the programs here never touch the host
//! network or any host path outside their mounts.
//!
//! How the kubelet drives it:
//! 1. `let fs = ContainerFs::new(layer_dir, mounts).with_quota(cluster_quota);`
//!    then `image.populate(&fs)?` once when the container is created (image files such as
//!    nginx's `index.html`; paths under a mount are left alone).
//! 2. `spawn(ProcessSpec { argv: entrypoint+cmd (or command/args), .. }, Stdio { .. })` inside
//!    a tokio runtime; `Process::wait` gives the exit code, `Process::signal(Term|Kill)` stops it.
//! 3. Servers register with [`Network::listen`]: mysqld on 3306 with [`Listener::Mysql`],
//!    nginx on 80 with [`Listener::Http`]; the sandbox hands the stored `Listener` to whoever
//!    connects to the pod IP or a Service ClusterIP.
//!
//! mysqld keeps its data under the container path `/var/lib/mysql` (`mysql.ibd` = users, one
//! directory per database holding `db.sqlite`), so rows live on whatever volume is mounted there.
//! Setting `KUBEDOJO_MYSQLD_STARTUP_MS` in the container env adds a lifelike start-up delay
//! (default none).

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
