//! The objects a fresh kind cluster has: namespaces, default ServiceAccounts, the `standard`
//! StorageClass, the `kubernetes` Service and the default ClusterRoles.

use crate::admission::meta;
use crate::cluster::Cluster;
use crate::registry::{ResourceId, def, ids};
use crate::store::Change;
use serde_json::{Value, json};

/// Write one object straight into the store (no admission; used for bootstrap and side effects).
pub(crate) fn insert(cluster: &Cluster, res: ResourceId, ns: Option<&str>, mut obj: Value) {
    meta::stamp_create(&mut obj, def(res), ns);
    let name = meta::name_of(&obj).to_string();
    let _ = cluster
        .store()
        .write::<()>(res, ns.unwrap_or_default(), &name, |cur| {
            Ok(if cur.is_some() {
                Change::Keep
            } else {
                Change::Put(obj)
            })
        });
}

/// The ServiceAccount controller's work for a new namespace.
pub(crate) fn namespace_side_effects(cluster: &Cluster, ns: &str) {
    insert(
        cluster,
        *ids::SERVICEACCOUNTS,
        Some(ns),
        json!({"metadata": {"name": "default"}}),
    );
    if let Some(ca) = &cluster.state.ca_pem {
        insert(
            cluster,
            *ids::CONFIGMAPS,
            Some(ns),
            json!({
                "metadata": {
                    "name": "kube-root-ca.crt",
                    "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}
                },
                "data": {"ca.crt": &**ca}
            }),
        );
    }
}

/// Populate a fresh cluster.
pub(crate) fn populate(cluster: &Cluster) {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        insert(
            cluster,
            *ids::NAMESPACES,
            None,
            json!({
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"}
            }),
        );
        namespace_side_effects(cluster, ns);
    }
    insert(
        cluster,
        *ids::STORAGECLASSES,
        None,
        json!({
            "metadata": {
                "name": "standard",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}
            },
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer"
        }),
    );
    let ip = cluster.allocate_cluster_ip();
    insert(
        cluster,
        *ids::SERVICES,
        Some("default"),
        json!({
            "metadata": {
                "name": "kubernetes",
                "labels": {"component": "apiserver", "provider": "kubernetes"}
            },
            "spec": {
                "clusterIP": ip, "clusterIPs": [ip],
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                "sessionAffinity": "None", "type": "ClusterIP"
            },
            "status": {"loadBalancer": {}}
        }),
    );
    insert(
        cluster,
        *ids::SERVICES,
        Some("kube-system"),
        json!({
            "metadata": {
                "name": "kube-dns",
                "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
                "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}
            },
            "spec": {
                "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                    {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}
                ],
                "selector": {"k8s-app": "kube-dns"},
                "sessionAffinity": "None", "type": "ClusterIP"
            },
            "status": {"loadBalancer": {}}
        }),
    );
    for (name, rules) in default_cluster_roles() {
        let mut labels = json!({"kubernetes.io/bootstrapping": "rbac-defaults"});
        if name != "cluster-admin" {
            labels[format!(
                "rbac.authorization.k8s.io/aggregate-to-{}",
                aggregate_target(name)
            )] = json!("true");
        }
        insert(
            cluster,
            *ids::CLUSTERROLES,
            None,
            json!({
                "metadata": {
                    "name": name,
                    "labels": labels,
                    "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}
                },
                "rules": rules
            }),
        );
    }
    insert(
        cluster,
        *ids::CLUSTERROLEBINDINGS,
        None,
        json!({
            "metadata": {"name": "cluster-admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
        }),
    );
}

fn aggregate_target(name: &str) -> &str {
    match name {
        "admin" => "admin",
        "edit" => "admin",
        _ => "edit",
    }
}

fn default_cluster_roles() -> [(&'static str, Value); 4] {
    let read = json!(["get", "list", "watch"]);
    let write = json!(["create", "delete", "deletecollection", "patch", "update"]);
    let core_read = json!([
        "configmaps",
        "endpoints",
        "persistentvolumeclaims",
        "persistentvolumeclaims/status",
        "pods",
        "pods/log",
        "pods/status",
        "replicationcontrollers",
        "services",
        "services/status",
        "serviceaccounts",
        "events",
        "limitranges",
        "resourcequotas",
        "resourcequotas/status",
        "namespaces",
        "namespaces/status",
        "bindings"
    ]);
    let apps = json!([
        "deployments",
        "deployments/scale",
        "deployments/status",
        "replicasets",
        "replicasets/scale",
        "replicasets/status",
        "statefulsets",
        "statefulsets/scale",
        "statefulsets/status",
        "daemonsets",
        "daemonsets/status",
        "controllerrevisions"
    ]);
    let core_write = json!([
        "configmaps",
        "endpoints",
        "persistentvolumeclaims",
        "pods",
        "pods/attach",
        "pods/exec",
        "pods/portforward",
        "pods/proxy",
        "pods/eviction",
        "replicationcontrollers",
        "secrets",
        "services",
        "services/proxy",
        "serviceaccounts",
        "serviceaccounts/token",
        "events"
    ]);
    let view = json!([
        {"apiGroups": [""], "resources": core_read, "verbs": read},
        {"apiGroups": ["apps"], "resources": apps, "verbs": read},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": read},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": read}
    ]);
    let mut edit = view.as_array().cloned().unwrap_or_default();
    edit.extend([
        json!({"apiGroups": [""], "resources": ["secrets"], "verbs": read}),
        json!({"apiGroups": [""], "resources": core_write, "verbs": write}),
        json!({"apiGroups": ["apps"], "resources": apps, "verbs": write}),
        json!({"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": write}),
        json!({"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": write}),
    ]);
    let mut admin = edit.clone();
    admin.extend([
        json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]}),
        json!({"apiGroups": ["authorization.k8s.io"], "resources": ["localsubjectaccessreviews"], "verbs": ["create"]}),
    ]);
    [
        (
            "cluster-admin",
            json!([
                {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                {"nonResourceURLs": ["*"], "verbs": ["*"]}
            ]),
        ),
        ("admin", Value::Array(admin)),
        ("edit", Value::Array(edit)),
        ("view", view),
    ]
}
