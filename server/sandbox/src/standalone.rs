//! `kubedojo sandbox`: one standalone cluster on a loopback HTTPS port, with a kubeconfig.

use crate::kubeconfig::render_kubeconfig;
use crate::pace::Pace;
use crate::sandbox::{Sandbox, SandboxOptions};
use crate::tls::TlsError;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Options of [`run_standalone`].
#[derive(Debug, Clone, Default)]
pub struct StandaloneOptions {
    /// Port on 127.0.0.1 (None: a free port).
    pub port: Option<u16>,
    /// Where to write the kubeconfig (None: `./kubedojo-sandbox.kubeconfig`).
    pub kubeconfig: Option<PathBuf>,
    /// Pace of the simulated cluster.
    pub pace: Pace,
    /// Where the cluster keeps its files (None: a temporary directory removed at exit).
    pub data_dir: Option<PathBuf>,
}

/// Failures of the standalone server.
#[derive(Debug, thiserror::Error)]
pub enum StandaloneError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("writing kubeconfig {path}: {source}")]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("waiting for ctrl-c: {0}")]
    Signal(#[source] std::io::Error),
}

/// Default kubeconfig path.
pub const DEFAULT_KUBECONFIG: &str = "kubedojo-sandbox.kubeconfig";

/// Run one standalone cluster until ctrl-c: serve HTTPS on loopback, write the kubeconfig once
/// ready, and print how to use it.
///
/// # Errors
/// Bind/TLS failures, an unwritable kubeconfig path, or signal handling errors.
pub async fn run_standalone(opts: StandaloneOptions) -> Result<(), StandaloneError> {
    let sandbox = Sandbox::new(SandboxOptions {
        pace: opts.pace,
        data_dir: opts.data_dir.clone(),
        ..Default::default()
    });
    let cluster = sandbox.create_cluster();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, opts.port.unwrap_or(0)));
    let listener = sandbox.serve_tls(addr).await?;
    let path = opts
        .kubeconfig
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_KUBECONFIG));
    let yaml = render_kubeconfig(
        &listener.url(),
        listener.ca_pem(),
        cluster.id(),
        &cluster.admin_token(),
        Some("default"),
    );
    write_private(&path, &yaml).map_err(|source| StandaloneError::Kubeconfig {
        path: path.clone(),
        source,
    })?;
    let shown = std::fs::canonicalize(&path).unwrap_or(path);
    println!(
        "kubedojo sandbox cluster is ready at {} (pace: {:?})",
        listener.url(),
        opts.pace
    );
    println!("kubeconfig written to {}", shown.display());
    println!();
    println!("  export KUBECONFIG={}", shown.display());
    println!("  kubectl get namespaces");
    println!();
    println!("Press ctrl-c to stop.");
    tracing::info!(url = %listener.url(), "standalone sandbox serving");
    tokio::signal::ctrl_c()
        .await
        .map_err(StandaloneError::Signal)?;
    listener.shutdown();
    Ok(())
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The kubeconfig holds an admin token.
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents.as_bytes())
}
