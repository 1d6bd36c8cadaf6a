//! What a process sees of the cluster network; implemented by the sandbox.

use std::net::Ipv4Addr;

/// A successful DNS lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The fully qualified name that answered (after search domains).
    pub fqdn: String,
    pub addrs: Vec<Ipv4Addr>,
}

/// A failed DNS lookup.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DnsError {
    #[error("NXDOMAIN")]
    NxDomain,
}

/// A failed connection.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum ConnectError {
    #[error("Connection refused")]
    Refused,
    #[error("Connection timed out")]
    TimedOut,
}

/// A port that is already taken in this pod.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
#[error("Address already in use")]
pub struct ListenError;

/// A server a process listens with.
#[derive(Clone)]
pub enum Listener {}

/// Keeps a listener registered; dropping it closes the port.
pub struct ListenGuard(pub Box<dyn Send + Sync>);

/// The cluster network as seen from one pod.
pub trait Network: Send + Sync {
    /// The cluster DNS server's address (what `/etc/resolv.conf` names).
    fn dns_server(&self) -> Ipv4Addr;
    /// Resolve `name` like the pod's resolver (search domains, ndots:5).
    ///
    /// # Errors
    /// [`DnsError::NxDomain`] when no record exists.
    fn lookup(&self, name: &str) -> Result<Lookup, DnsError>;
    /// Connect to `ip:port` (a pod IP, a ClusterIP — one ready endpoint picked at random — or
    /// 127.0.0.1 for this pod's own listeners).
    ///
    /// # Errors
    /// Refused when nothing listens; TimedOut for unreachable addresses.
    fn connect(&self, ip: Ipv4Addr, port: u16) -> Result<Listener, ConnectError>;
    /// Listen on `port` in this pod.
    ///
    /// # Errors
    /// [`ListenError`] when the port is taken.
    fn listen(&self, port: u16, listener: Listener) -> Result<ListenGuard, ListenError>;
}
