//! The nodes of a fresh cluster, shaped like a kind cluster's: one tainted control plane and
//! three workers, each with a pod CIDR, addresses, capacity and kubelet version.

use crate::bootstrap;
use crate::cluster::Cluster;
use crate::registry::ids;
use serde_json::json;
use std::net::Ipv4Addr;

/// The kubelet version nodes report (what `kubectl get nodes` shows).
pub const KUBELET_VERSION: &str = "v1.32.2";

/// One node of the simulated cluster.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub name: &'static str,
    pub control_plane: bool,
    /// The node's InternalIP on the (simulated) docker network.
    pub address: Ipv4Addr,
    /// Third octet of the node's pod CIDR 10.244.N.0/24.
    pub cidr_index: u8,
}

/// kind's default topology as kubedojo runs it.
pub const NODES: &[NodeSpec] = &[
    NodeSpec {
        name: "kind-control-plane",
        control_plane: true,
        address: Ipv4Addr::new(172, 18, 0, 2),
        cidr_index: 0,
    },
    NodeSpec {
        name: "kind-worker",
        control_plane: false,
        address: Ipv4Addr::new(172, 18, 0, 3),
        cidr_index: 1,
    },
    NodeSpec {
        name: "kind-worker2",
        control_plane: false,
        address: Ipv4Addr::new(172, 18, 0, 4),
        cidr_index: 2,
    },
    NodeSpec {
        name: "kind-worker3",
        control_plane: false,
        address: Ipv4Addr::new(172, 18, 0, 5),
        cidr_index: 3,
    },
];

/// The spec of a node by name.
pub fn node_spec(name: &str) -> Option<&'static NodeSpec> {
    NODES.iter().find(|n| n.name == name)
}

/// A node's Ready condition (and the pressure conditions the real kubelet reports).
pub fn conditions(ready: bool, now: &str) -> serde_json::Value {
    let (status, reason, message) = if ready {
        ("True", "KubeletReady", "kubelet is posting ready status")
    } else {
        (
            "Unknown",
            "NodeStatusUnknown",
            "Kubelet stopped posting node status.",
        )
    };
    let pressure = |ty: &str, reason: &str, msg: &str| {
        json!({"type": ty, "status": if ready {"False"} else {"Unknown"},
               "reason": if ready {reason} else {"NodeStatusUnknown"},
               "message": if ready {msg} else {"Kubelet stopped posting node status."},
               "lastHeartbeatTime": now, "lastTransitionTime": now})
    };
    json!([
        pressure(
            "MemoryPressure",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"
        ),
        pressure(
            "DiskPressure",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure"
        ),
        pressure(
            "PIDPressure",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"
        ),
        {"type": "Ready", "status": status, "reason": reason, "message": message,
         "lastHeartbeatTime": now, "lastTransitionTime": now}
    ])
}

/// Create the Node objects and their Leases.
pub(crate) fn populate(cluster: &Cluster) {
    let now = crate::admission::meta::now();
    for n in NODES {
        let mut labels = json!({
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": n.name,
            "kubernetes.io/os": "linux",
        });
        let mut taints = json!([]);
        if n.control_plane {
            labels["node-role.kubernetes.io/control-plane"] = json!("");
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = json!("");
            taints = json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]);
        }
        let cidr = format!("10.244.{}.0/24", n.cidr_index);
        bootstrap::insert(
            cluster,
            *ids::NODES,
            None,
            json!({
                "metadata": {
                    "name": n.name,
                    "labels": labels,
                    "annotations": {
                        "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                        "node.alpha.kubernetes.io/ttl": "0",
                        "volumes.kubernetes.io/controller-managed-attach-detach": "true"
                    }
                },
                "spec": {
                    "podCIDR": cidr,
                    "podCIDRs": [cidr],
                    "providerID": format!("kind://docker/kind/{}", n.name),
                    "taints": taints
                },
                "status": {
                    "addresses": [
                        {"type": "InternalIP", "address": n.address.to_string()},
                        {"type": "Hostname", "address": n.name}
                    ],
                    "allocatable": {"cpu": "2", "ephemeral-storage": "61202244Ki", "hugepages-2Mi": "0", "memory": "4015852Ki", "pods": "110"},
                    "capacity": {"cpu": "2", "ephemeral-storage": "61202244Ki", "hugepages-2Mi": "0", "memory": "4015852Ki", "pods": "110"},
                    "conditions": conditions(true, &now),
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                    "nodeInfo": {
                        "architecture": "amd64",
                        "bootID": crate::admission::meta::new_uid(),
                        "containerRuntimeVersion": "containerd://1.7.24",
                        "kernelVersion": "6.1.0-28-amd64",
                        "kubeProxyVersion": KUBELET_VERSION,
                        "kubeletVersion": KUBELET_VERSION,
                        "machineID": crate::cluster::random_secret(),
                        "operatingSystem": "linux",
                        "osImage": "Debian GNU/Linux 12 (bookworm)",
                        "systemUUID": crate::admission::meta::new_uid()
                    }
                }
            }),
        );
    }
}
