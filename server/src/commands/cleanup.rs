//! `kubedojo cleanup --kubeconfig PATH`: remove everything kubedojo made on a real cluster.

use anyhow::Context as _;

use crate::cli::CleanupArgs;
use crate::cluster::NamespaceBackend;

/// Connects like `serve` does and removes every labelled namespace and cluster-scoped object.
///
/// # Errors
/// An unusable kubeconfig, an unreachable server, missing permissions or failing deletes.
pub async fn run(args: CleanupArgs) -> anyhow::Result<()> {
    let backend = NamespaceBackend::connect(
        &args.kubeconfig,
        args.context.as_deref(),
        Default::default(),
    )
    .await
    .context("refusing to clean up")?;
    let n = backend.cleanup_all().await?;
    println!("removed {n} learner namespace(s) and everything kubedojo created cluster-wide");
    Ok(())
}
