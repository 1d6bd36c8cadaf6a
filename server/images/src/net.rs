//! What a process sees of the cluster network; implemented by the sandbox.

use std::net::Ipv4Addr;
use std::sync::Arc;

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

/// A server a process listens with. Clients get a clone from [`Network::connect`] and talk to
/// it through its methods (no bytes on a wire: the protocol is the method call).
#[derive(Clone)]
pub enum Listener {
    /// A MySQL/MariaDB server: `connect(user, password, db)` then `session.query(sql)`.
    Mysql(Arc<crate::mysql::Server>),
    /// An HTTP server (nginx): `get(request)`.
    Http(Arc<crate::http::HttpServer>),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listener::Mysql(_) => f.write_str("Listener::Mysql"),
            Listener::Http(_) => f.write_str("Listener::Http"),
        }
    }
}

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

/// An in-memory network for tests (here and in the sandbox): a name → IP map and an
/// IP:port → listener map. Each [`LocalNet::pod`] view listens on its own pod IP and sees its
/// own listeners on 127.0.0.1.
pub mod testing {
    use super::{ConnectError, DnsError, ListenError, ListenGuard, Listener, Lookup, Network};
    use std::collections::HashMap;
    use std::net::Ipv4Addr;
    use std::sync::{Arc, Mutex, PoisonError};

    type Ports = Arc<Mutex<HashMap<(Ipv4Addr, u16), Listener>>>;

    /// The shared fake cluster network.
    #[derive(Clone, Default)]
    pub struct LocalNet {
        names: Arc<Mutex<HashMap<String, Vec<Ipv4Addr>>>>,
        ports: Ports,
    }

    /// One pod's view of a [`LocalNet`].
    #[derive(Clone)]
    pub struct PodNet {
        net: LocalNet,
        ip: Ipv4Addr,
    }

    struct Unlisten {
        ports: Ports,
        key: (Ipv4Addr, u16),
    }

    impl Drop for Unlisten {
        fn drop(&mut self) {
            self.ports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.key);
        }
    }

    impl LocalNet {
        /// An empty network.
        pub fn new() -> LocalNet {
            LocalNet::default()
        }

        /// Add a DNS record: `name` (a short name or FQDN) → `ip`. Names resolve through the
        /// `default` namespace search path like a pod's resolver.
        pub fn add_name(&self, name: &str, ip: Ipv4Addr) {
            self.names
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(name.to_string())
                .or_default()
                .push(ip);
        }

        /// A pod with IP `ip` on this network.
        pub fn pod(&self, ip: Ipv4Addr) -> Arc<PodNet> {
            Arc::new(PodNet {
                net: self.clone(),
                ip,
            })
        }

        /// Register `listener` on `ip:port` directly (a "Service" in tests).
        pub fn bind(&self, ip: Ipv4Addr, port: u16, listener: Listener) {
            self.ports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert((ip, port), listener);
        }
    }

    impl Network for PodNet {
        fn dns_server(&self) -> Ipv4Addr {
            Ipv4Addr::new(10, 96, 0, 10)
        }

        fn lookup(&self, name: &str) -> Result<Lookup, DnsError> {
            let names = self
                .net
                .names
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let name = name.trim_end_matches('.');
            let candidates = [
                format!("{name}.default.svc.cluster.local"),
                format!("{name}.svc.cluster.local"),
                format!("{name}.cluster.local"),
                name.to_string(),
            ];
            for fqdn in candidates {
                if let Some(addrs) = names.get(&fqdn) {
                    return Ok(Lookup {
                        fqdn,
                        addrs: addrs.clone(),
                    });
                }
            }
            Err(DnsError::NxDomain)
        }

        fn connect(&self, ip: Ipv4Addr, port: u16) -> Result<Listener, ConnectError> {
            let ip = if ip.is_loopback() { self.ip } else { ip };
            self.net
                .ports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&(ip, port))
                .cloned()
                .ok_or(ConnectError::Refused)
        }

        fn listen(&self, port: u16, listener: Listener) -> Result<ListenGuard, ListenError> {
            let mut ports = self
                .net
                .ports
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let key = (self.ip, port);
            if ports.contains_key(&key) {
                return Err(ListenError);
            }
            ports.insert(key, listener);
            Ok(ListenGuard(Box::new(Unlisten {
                ports: self.net.ports.clone(),
                key,
            })))
        }
    }

    /// An `AsyncWrite` that collects everything written, for reading a process's output in tests.
    #[derive(Clone, Default)]
    pub struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Capture {
        /// An empty capture.
        pub fn new() -> Capture {
            Capture::default()
        }

        /// Everything written so far, as text.
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned()
        }

        /// A boxed writer for [`crate::Stdio`].
        pub fn writer(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Unpin> {
            Box::new(self.clone())
        }
    }

    impl tokio::io::AsyncWrite for Capture {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            std::task::Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }
}
