//! `kubedojo kind up|down`: drive the `kind` CLI to create or delete the cluster kubedojo is
//! meant to run learners on (config shipped as `server/kind/kind-config.yaml`).

use std::path::Path;
use std::process::Command;

/// The shipped kind cluster config.
pub const KIND_CONFIG: &str = include_str!("../../kind/kind-config.yaml");
/// Name of the kind cluster (matches `name:` in the config).
pub const CLUSTER_NAME: &str = "kubedojo";

/// Why `kind up|down` cannot run.
#[derive(Debug, thiserror::Error)]
pub enum KindError {
    #[error(
        "`kind` is not installed or not on PATH: install it from https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
    )]
    KindMissing,
    #[error(
        "Docker is not installed or not running (`docker info` failed): install Docker (https://docs.docker.com/get-docker/) and start it"
    )]
    DockerMissing,
    #[error("writing the kind config to {path}: {source}")]
    Config {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`kind {args}` failed with {status}")]
    Failed { args: String, status: String },
}

fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Check that `kind` and a running Docker are there.
///
/// # Errors
/// Which one is missing, with where to get it.
pub fn check_tools(kind: &str, docker: &str) -> Result<(), KindError> {
    if !works(kind, &["version"]) {
        return Err(KindError::KindMissing);
    }
    if !works(docker, &["info"]) {
        return Err(KindError::DockerMissing);
    }
    Ok(())
}

fn run_kind(kind: &str, args: &[&str]) -> Result<(), KindError> {
    let status = Command::new(kind)
        .args(args)
        .status()
        .map_err(|_| KindError::KindMissing)?;
    if status.success() {
        Ok(())
    } else {
        Err(KindError::Failed {
            args: args.join(" "),
            status: status.to_string(),
        })
    }
}

/// Create the kubedojo kind cluster, writing its kubeconfig to `kubeconfig`.
///
/// # Errors
/// Missing tools or a failing `kind create cluster`.
pub fn up(kind: &str, docker: &str, kubeconfig: &Path, workdir: &Path) -> Result<(), KindError> {
    check_tools(kind, docker)?;
    let config = workdir.join("kubedojo-kind-config.yaml");
    std::fs::write(&config, KIND_CONFIG).map_err(|source| KindError::Config {
        path: config.display().to_string(),
        source,
    })?;
    let config_s = config.display().to_string();
    let kubeconfig_s = kubeconfig.display().to_string();
    run_kind(
        kind,
        &[
            "create",
            "cluster",
            "--name",
            CLUSTER_NAME,
            "--config",
            &config_s,
            "--kubeconfig",
            &kubeconfig_s,
            "--wait",
            "120s",
        ],
    )
}

/// Delete the kubedojo kind cluster.
///
/// # Errors
/// Missing tools or a failing `kind delete cluster`.
pub fn down(kind: &str, docker: &str) -> Result<(), KindError> {
    check_tools(kind, docker)?;
    run_kind(kind, &["delete", "cluster", "--name", CLUSTER_NAME])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_config_has_workers_and_port_mappings() {
        let v: serde_yaml::Value = serde_yaml::from_str(KIND_CONFIG).expect("valid YAML");
        assert_eq!(v["name"].as_str(), Some(CLUSTER_NAME));
        let nodes = v["nodes"].as_sequence().expect("nodes");
        assert_eq!(nodes.iter().filter(|n| n["role"] == "worker").count(), 3);
        assert!(nodes[0]["extraPortMappings"].as_sequence().is_some());
    }

    #[test]
    fn missing_kind_is_named_with_where_to_get_it() {
        let err = check_tools("/nonexistent/kind", "/nonexistent/docker").expect_err("no kind");
        assert!(err.to_string().contains("kind.sigs.k8s.io"), "{err}");
        // `true` stands in for a working kind; docker is then the missing one.
        let err = check_tools("true", "/nonexistent/docker").expect_err("no docker");
        assert!(matches!(err, KindError::DockerMissing), "{err}");
    }
}
