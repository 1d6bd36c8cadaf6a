//! The workloads a fresh kind cluster runs in `kube-system` and `local-path-storage`: the
//! control-plane static pods, the kube-proxy and kindnet DaemonSets, CoreDNS and the local-path
//! provisioner. Their images are system images: the kubelet runs them as processes that idle
//! until stopped, so `kubectl get pods -A` looks like kind's.

use super::nodes::{KUBELET_VERSION, NODES};
use crate::bootstrap;
use crate::cluster::Cluster;
use crate::registry::ids;
use serde_json::{Value, json};

const CONTROL_PLANE: &[(&str, &str, &str)] = &[
    ("etcd", "registry.k8s.io/etcd:3.5.16-0", "etcd"),
    ("kube-apiserver", "registry.k8s.io/kube-apiserver", "kube-apiserver"),
    (
        "kube-controller-manager",
        "registry.k8s.io/kube-controller-manager",
        "kube-controller-manager",
    ),
    ("kube-scheduler", "registry.k8s.io/kube-scheduler", "kube-scheduler"),
];

fn tolerate_all() -> Value {
    json!([{"operator": "Exists"}])
}

/// A pod pinned to a node (static or DaemonSet pods are not scheduled).
fn node_pod(name: &str, node: &str, labels: Value, image: &str, container: &str, priority: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "nodeName": node,
            "hostNetwork": name.starts_with("kube-") || name.starts_with("etcd") || name.starts_with("kindnet"),
            "priorityClassName": priority,
            "tolerations": tolerate_all(),
            "containers": [{"name": container, "image": image, "imagePullPolicy": "IfNotPresent"}]
        }
    })
}

/// Create the system workloads of a fresh cluster.
pub(crate) fn populate(cluster: &Cluster) {
    let cp = NODES.iter().find(|n| n.control_plane).map_or("kind-control-plane", |n| n.name);
    for (component, image, container) in CONTROL_PLANE {
        let image = if image.contains(':') {
            (*image).to_string()
        } else {
            format!("{image}:{KUBELET_VERSION}")
        };
        let mut pod = node_pod(
            &format!("{component}-{cp}"),
            cp,
            json!({"component": component, "tier": "control-plane"}),
            &image,
            container,
            "system-node-critical",
        );
        pod["metadata"]["annotations"] = json!({"kubernetes.io/config.source": "file"});
        insert_pod(cluster, pod);
    }
    daemonset(
        cluster,
        "kube-proxy",
        json!({"k8s-app": "kube-proxy"}),
        json!({
            "hostNetwork": true,
            "priorityClassName": "system-node-critical",
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": tolerate_all(),
            "containers": [{
                "name": "kube-proxy",
                "image": format!("registry.k8s.io/kube-proxy:{KUBELET_VERSION}"),
                "imagePullPolicy": "IfNotPresent",
                "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"]
            }]
        }),
    );
    daemonset(
        cluster,
        "kindnet",
        json!({"app": "kindnet", "k8s-app": "kindnet", "tier": "node"}),
        json!({
            "hostNetwork": true,
            "tolerations": tolerate_all(),
            "containers": [{
                "name": "kindnet-cni",
                "image": "docker.io/kindest/kindnetd:v20241212-9f82dd49",
                "imagePullPolicy": "IfNotPresent",
                "resources": {"limits": {"cpu": "100m", "memory": "50Mi"}, "requests": {"cpu": "100m", "memory": "50Mi"}}
            }]
        }),
    );
    bootstrap::insert(
        cluster,
        *ids::NAMESPACES,
        None,
        json!({
            "metadata": {"name": "local-path-storage", "labels": {"kubernetes.io/metadata.name": "local-path-storage"}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        }),
    );
    bootstrap::namespace_side_effects(cluster, "local-path-storage");
    deployment(
        cluster,
        "kube-system",
        "coredns",
        2,
        json!({"k8s-app": "kube-dns"}),
        json!({
            "priorityClassName": "system-cluster-critical",
            "tolerations": [
                {"key": "CriticalAddonsOnly", "operator": "Exists"},
                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
            ],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "containers": [{
                "name": "coredns",
                "image": "registry.k8s.io/coredns/coredns:v1.11.3",
                "imagePullPolicy": "IfNotPresent",
                "args": ["-conf", "/etc/coredns/Corefile"],
                "ports": [
                    {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                    {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                    {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}
                ],
                "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}}
            }]
        }),
    );
    deployment(
        cluster,
        "local-path-storage",
        "local-path-provisioner",
        1,
        json!({"app": "local-path-provisioner"}),
        json!({
            "tolerations": [
                {"key": "node-role.kubernetes.io/control-plane", "operator": "Equal", "effect": "NoSchedule"}
            ],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "containers": [{
                "name": "local-path-provisioner",
                "image": "docker.io/kindest/local-path-provisioner:v20241212-8ac705d0",
                "imagePullPolicy": "IfNotPresent",
                "command": ["local-path-provisioner", "--debug", "start", "--helper-image", "docker.io/kindest/local-path-helper:v20241212-8ac705d0", "--config", "/etc/config/config.json"]
            }]
        }),
    );
}

fn insert_pod(cluster: &Cluster, mut pod: Value) {
    crate::admission::defaults::apply("pods", &mut pod, None);
    bootstrap::insert(cluster, *ids::PODS, Some("kube-system"), pod);
}

fn daemonset(cluster: &Cluster, name: &str, labels: Value, spec: Value) {
    let mut d = json!({
        "metadata": {"name": name, "labels": labels.clone()},
        "spec": {
            "selector": {"matchLabels": labels.clone()},
            "template": {"metadata": {"labels": labels}, "spec": spec},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
        }
    });
    crate::admission::defaults::apply("daemonsets", &mut d, None);
    bootstrap::insert(cluster, *ids::DAEMONSETS, Some("kube-system"), d);
}

fn deployment(cluster: &Cluster, ns: &str, name: &str, replicas: u32, labels: Value, spec: Value) {
    let mut d = json!({
        "metadata": {"name": name, "labels": labels.clone(), "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels.clone()},
            "template": {"metadata": {"labels": labels}, "spec": spec}
        }
    });
    crate::admission::defaults::apply("deployments", &mut d, None);
    bootstrap::insert(cluster, *ids::DEPLOYMENTS, Some(ns), d);
}
