//! `kubedojo kind up|down`.

use crate::cli::KindCommand;
use crate::cluster::kind;

/// Runs `kind` with kubedojo's cluster config.
///
/// # Errors
/// `kind` or Docker missing (saying what to install) or a failing `kind` command.
pub fn run(command: &KindCommand) -> anyhow::Result<()> {
    match command {
        KindCommand::Up { kubeconfig } => {
            let dir = std::env::temp_dir();
            kind::up("kind", "docker", kubeconfig, &dir)?;
            println!(
                "kind cluster {} is up; serve learners on it with:\n\n  kubedojo serve --kubeconfig {}",
                kind::CLUSTER_NAME,
                kubeconfig.display()
            );
        }
        KindCommand::Down => {
            kind::down("kind", "docker")?;
            println!("kind cluster {} deleted", kind::CLUSTER_NAME);
        }
    }
    Ok(())
}
