//! `kubedojo sandbox`: one standalone sandbox cluster (see `kubedojo_sandbox::run_standalone`).

use kubedojo_sandbox::{StandaloneOptions, run_standalone};

use crate::cli::SandboxArgs;

/// Serves one cluster until ctrl-c, after writing its kubeconfig.
///
/// # Errors
/// When the port cannot be bound or the kubeconfig cannot be written.
pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    run_standalone(StandaloneOptions {
        port: args.port,
        kubeconfig: args.write_kubeconfig,
        pace: args.pace,
        data_dir: args.data_dir,
    })
    .await?;
    Ok(())
}
