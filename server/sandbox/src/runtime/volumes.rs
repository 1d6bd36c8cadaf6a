//! Where a cluster's files live on the host. Everything is under the cluster's data directory:
//!
//! ```text
//! <cluster>/nodes/<node>/fs/...                   the node's own disk (hostPath volumes, static local PVs)
//! <cluster>/nodes/<node>/pods/<uid>/volumes/<v>   emptyDir, configMap, secret volumes (gone with the pod)
//! <cluster>/nodes/<node>/pods/<uid>/containers/<c>-<n>   a container's writable layer (gone with the container)
//! <cluster>/pvs/<pv>                              dynamically provisioned and network PVs (until reclaimed)
//! ```

use serde_json::Value;
use std::path::{Component, Path, PathBuf};

/// The directory layout of one cluster.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: PathBuf) -> Self {
        Layout { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path on a node's disk (for hostPath); `..` cannot leave the node's disk.
    pub fn host_path(&self, node: &str, path: &str) -> PathBuf {
        let mut p = self.root.join("nodes").join(node).join("fs");
        for c in Path::new(path).components() {
            match c {
                Component::Normal(n) => p.push(n),
                Component::ParentDir => {
                    // Lexical: stays inside the node disk (pop only what we pushed).
                    if p.ends_with("fs") {
                        continue;
                    }
                    p.pop();
                }
                _ => {}
            }
        }
        p
    }

    /// The directory of one pod on its node.
    pub fn pod_dir(&self, node: &str, uid: &str) -> PathBuf {
        self.root.join("nodes").join(node).join("pods").join(uid)
    }

    /// A pod-lifetime volume (emptyDir, configMap, secret, projected).
    pub fn pod_volume(&self, node: &str, uid: &str, volume: &str) -> PathBuf {
        self.pod_dir(node, uid).join("volumes").join(volume)
    }

    /// The writable layer of one container instance.
    pub fn container_layer(&self, node: &str, uid: &str, container: &str, instance: u32) -> PathBuf {
        self.pod_dir(node, uid)
            .join("containers")
            .join(format!("{container}-{instance}"))
    }

    /// Where a PV's data lives when mounted on `node`: static hostPath/local PVs on that node's
    /// disk; dynamically provisioned and network PVs in the cluster-wide PV area.
    pub fn pv_dir(&self, pv: &Value, node: &str) -> PathBuf {
        let provisioned = pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"].is_string();
        let spec = &pv["spec"];
        let local = spec["hostPath"]["path"]
            .as_str()
            .or_else(|| spec["local"]["path"].as_str());
        match local {
            Some(path) if !provisioned => self.host_path(node, path),
            _ => self.provisioned_pv(pv["metadata"]["name"].as_str().unwrap_or("unnamed")),
        }
    }

    /// The data directory of a provisioned or network PV.
    pub fn provisioned_pv(&self, name: &str) -> PathBuf {
        self.root.join("pvs").join(sanitize(name))
    }
}

/// Object names are DNS labels already; this only guards against path tricks.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// Bytes used under `dir` (best effort; missing files count as zero).
pub fn disk_usage(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0;
    for e in entries.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            total += disk_usage(&e.path());
        } else if let Ok(m) = e.metadata() {
            total += m.len();
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn host_paths_stay_on_the_node_disk() {
        let l = Layout::new(PathBuf::from("/d"));
        assert_eq!(
            l.host_path("n1", "/data/../../../etc"),
            PathBuf::from("/d/nodes/n1/fs/etc")
        );
        assert_eq!(l.host_path("n1", "/mnt/x"), PathBuf::from("/d/nodes/n1/fs/mnt/x"));
    }

    #[test]
    fn provisioned_pvs_live_in_the_pv_area_and_static_hostpaths_on_the_node() {
        let l = Layout::new(PathBuf::from("/d"));
        let dynamic = json!({"metadata": {"name": "pvc-1", "annotations": {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}},
                             "spec": {"hostPath": {"path": "/var/local-path-provisioner/x"}}});
        assert_eq!(l.pv_dir(&dynamic, "n1"), PathBuf::from("/d/pvs/pvc-1"));
        let fixed = json!({"metadata": {"name": "pv-a"}, "spec": {"hostPath": {"path": "/mnt/data"}}});
        assert_eq!(l.pv_dir(&fixed, "n2"), PathBuf::from("/d/nodes/n2/fs/mnt/data"));
    }
}
