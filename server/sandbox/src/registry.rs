//! The table of resource kinds the sandbox serves: one entry per kind drives routing, discovery,
//! OpenAPI, RBAC resource names, strict field validation and `Table` printing.

use serde_json::Value;

/// Which printer builds the `Table` rows for a kind (columns match kube-apiserver's printers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printer {
    Pod,
    Service,
    Endpoints,
    ConfigMap,
    Secret,
    ServiceAccount,
    Event,
    EventsV1,
    Namespace,
    Pvc,
    Pv,
    Node,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    ControllerRevision,
    StorageClass,
    EndpointSlice,
    Role,
    RoleBinding,
    ClusterRoleBinding,
    Lease,
    ResourceQuota,
    LimitRange,
    Default,
}

/// Deserialize into the typed k8s-openapi struct and serialize back; used for strict field
/// validation (a path in the input but missing from the round trip is an unknown field).
pub type RoundTrip = fn(&Value) -> Result<Value, RoundTripError>;

/// Why a value does not fit the typed schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundTripError {
    /// Dotted path of the offending field (`spec.containers[0]`), empty at the root.
    pub path: String,
    /// serde's message (`missing field `containers``, `invalid type: ...`).
    pub message: String,
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    v: &Value,
) -> Result<Value, RoundTripError> {
    let typed: T = serde_path_to_error::deserialize(v.clone()).map_err(|e| {
        let path = e.path().to_string();
        RoundTripError {
            path: if path == "." { String::new() } else { path },
            message: e.into_inner().to_string(),
        }
    })?;
    serde_json::to_value(typed).map_err(|e| RoundTripError {
        path: String::new(),
        message: e.to_string(),
    })
}

/// One served resource kind.
#[derive(Debug)]
pub struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Subresources besides the main resource (e.g. `status`, `scale`, `token`).
    pub subresources: &'static [&'static str],
    pub printer: Printer,
    pub round_trip: RoundTrip,
}

impl ResourceDef {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `statefulsets.apps`, as used in error messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Pod` or `StatefulSet.apps`, as used in Invalid messages.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// Verbs served on the main resource.
    pub fn verbs(&self) -> &'static [&'static str] {
        match self.plural {
            "tokenreviews"
            | "selfsubjectaccessreviews"
            | "selfsubjectrulesreviews"
            | "selfsubjectreviews" => &["create"],
            "namespaces"
            | "nodes"
            | "persistentvolumes"
            | "clusterroles"
            | "clusterrolebindings"
            | "storageclasses" => {
                if self.plural == "namespaces" {
                    &[
                        "create", "delete", "get", "list", "patch", "update", "watch",
                    ]
                } else {
                    &[
                        "create",
                        "delete",
                        "deletecollection",
                        "get",
                        "list",
                        "patch",
                        "update",
                        "watch",
                    ]
                }
            }
            _ => &[
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ],
        }
    }

    /// Whether this kind can be listed/watched (reviews are create-only).
    pub fn is_listable(&self) -> bool {
        self.verbs().contains(&"list")
    }

    /// Whether `metadata.generation` is maintained (bumped when spec changes).
    pub fn tracks_generation(&self) -> bool {
        // NB: pods only gained metadata.generation in 1.33; the sandbox mimics 1.32.
        matches!(self.group, "apps") && self.plural != "controllerrevisions"
    }
}

macro_rules! def {
    ($g:expr, $v:expr, $plural:expr, $singular:expr, $kind:expr, $ns:expr, $short:expr, $cat:expr, $sub:expr, $printer:ident, $ty:ty) => {
        ResourceDef {
            group: $g,
            version: $v,
            plural: $plural,
            singular: $singular,
            kind: $kind,
            namespaced: $ns,
            short_names: $short,
            categories: $cat,
            subresources: $sub,
            printer: Printer::$printer,
            round_trip: round_trip::<$ty>,
        }
    };
}

use k8s_openapi::api as k;

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];

/// Every served kind. Order = discovery order.
pub static RESOURCES: &[ResourceDef] = &[
    def!(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        NONE,
        &["status", "finalize"],
        Namespace,
        k::core::v1::Namespace
    ),
    def!(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        ALL,
        &[
            "status",
            "log",
            "exec",
            "attach",
            "portforward",
            "binding",
            "eviction",
            "ephemeralcontainers"
        ],
        Pod,
        k::core::v1::Pod
    ),
    def!(
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        ALL,
        &["status", "proxy"],
        Service,
        k::core::v1::Service
    ),
    def!(
        "",
        "v1",
        "endpoints",
        "endpoints",
        "Endpoints",
        true,
        &["ep"],
        NONE,
        NONE,
        Endpoints,
        k::core::v1::Endpoints
    ),
    def!(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        NONE,
        NONE,
        ConfigMap,
        k::core::v1::ConfigMap
    ),
    def!(
        "",
        "v1",
        "secrets",
        "secret",
        "Secret",
        true,
        NONE,
        NONE,
        NONE,
        Secret,
        k::core::v1::Secret
    ),
    def!(
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
        NONE,
        &["token"],
        ServiceAccount,
        k::core::v1::ServiceAccount
    ),
    def!(
        "",
        "v1",
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        NONE,
        NONE,
        Event,
        k::core::v1::Event
    ),
    def!(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        NONE,
        &["status"],
        Pvc,
        k::core::v1::PersistentVolumeClaim
    ),
    def!(
        "",
        "v1",
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        false,
        &["pv"],
        NONE,
        &["status"],
        Pv,
        k::core::v1::PersistentVolume
    ),
    def!(
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        false,
        &["no"],
        NONE,
        &["status", "proxy"],
        Node,
        k::core::v1::Node
    ),
    def!(
        "",
        "v1",
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        true,
        &["quota"],
        NONE,
        &["status"],
        ResourceQuota,
        k::core::v1::ResourceQuota
    ),
    def!(
        "",
        "v1",
        "limitranges",
        "limitrange",
        "LimitRange",
        true,
        &["limits"],
        NONE,
        NONE,
        LimitRange,
        k::core::v1::LimitRange
    ),
    def!(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        ALL,
        &["status", "scale"],
        Deployment,
        k::apps::v1::Deployment
    ),
    def!(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        &["rs"],
        ALL,
        &["status", "scale"],
        ReplicaSet,
        k::apps::v1::ReplicaSet
    ),
    def!(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
        ALL,
        &["status", "scale"],
        StatefulSet,
        k::apps::v1::StatefulSet
    ),
    def!(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        &["ds"],
        ALL,
        &["status"],
        DaemonSet,
        k::apps::v1::DaemonSet
    ),
    def!(
        "apps",
        "v1",
        "controllerrevisions",
        "controllerrevision",
        "ControllerRevision",
        true,
        NONE,
        NONE,
        NONE,
        ControllerRevision,
        k::apps::v1::ControllerRevision
    ),
    def!(
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "storageclass",
        "StorageClass",
        false,
        &["sc"],
        NONE,
        NONE,
        StorageClass,
        k::storage::v1::StorageClass
    ),
    def!(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        "EndpointSlice",
        true,
        NONE,
        NONE,
        NONE,
        EndpointSlice,
        k::discovery::v1::EndpointSlice
    ),
    def!(
        "events.k8s.io",
        "v1",
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        NONE,
        NONE,
        EventsV1,
        k::events::v1::Event
    ),
    def!(
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        true,
        NONE,
        NONE,
        NONE,
        Role,
        k::rbac::v1::Role
    ),
    def!(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        NONE,
        NONE,
        NONE,
        RoleBinding,
        k::rbac::v1::RoleBinding
    ),
    def!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
        NONE,
        NONE,
        NONE,
        Role,
        k::rbac::v1::ClusterRole
    ),
    def!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        NONE,
        NONE,
        NONE,
        ClusterRoleBinding,
        k::rbac::v1::ClusterRoleBinding
    ),
    def!(
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        "Lease",
        true,
        NONE,
        NONE,
        NONE,
        Lease,
        k::coordination::v1::Lease
    ),
    // Stored only (nothing enforces it in the simulated network); learner namespaces on the
    // kubeconfig backend carry one, and kubectl must be able to show it.
    def!(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        true,
        &["netpol"],
        NONE,
        NONE,
        Default,
        k::networking::v1::NetworkPolicy
    ),
    def!(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
        false,
        NONE,
        NONE,
        NONE,
        Default,
        k::authorization::v1::SelfSubjectAccessReview
    ),
    def!(
        "authorization.k8s.io",
        "v1",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        "SelfSubjectRulesReview",
        false,
        NONE,
        NONE,
        NONE,
        Default,
        k::authorization::v1::SelfSubjectRulesReview
    ),
    def!(
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "selfsubjectreview",
        "SelfSubjectReview",
        false,
        NONE,
        NONE,
        NONE,
        Default,
        k::authentication::v1::SelfSubjectReview
    ),
];

/// Index of a kind in [`RESOURCES`]; the store keys objects by it.
pub type ResourceId = usize;

/// Look a resource up by group, version and plural.
pub fn find(group: &str, version: &str, plural: &str) -> Option<ResourceId> {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Look a resource up by group and kind (any served version).
pub fn find_kind(group: &str, kind: &str) -> Option<ResourceId> {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.kind == kind)
}

/// The definition of a resource id.
pub fn def(id: ResourceId) -> &'static ResourceDef {
    &RESOURCES[id.min(RESOURCES.len() - 1)]
}

/// Served group-versions in discovery order (`""` is the core group).
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// Well-known ids used by side effects.
pub mod ids {
    use super::{ResourceId, find};
    use std::sync::LazyLock;
    macro_rules! id {
        ($name:ident, $g:expr, $p:expr) => {
            pub static $name: LazyLock<ResourceId> =
                LazyLock::new(|| find($g, "v1", $p).unwrap_or(0));
        };
    }
    id!(NAMESPACES, "", "namespaces");
    id!(PODS, "", "pods");
    id!(SERVICES, "", "services");
    id!(CONFIGMAPS, "", "configmaps");
    id!(SECRETS, "", "secrets");
    id!(SERVICEACCOUNTS, "", "serviceaccounts");
    id!(EVENTS, "", "events");
    pub static EVENTS_V1: LazyLock<ResourceId> =
        LazyLock::new(|| find("events.k8s.io", "v1", "events").unwrap_or(0));
    id!(PVCS, "", "persistentvolumeclaims");
    id!(PVS, "", "persistentvolumes");
    id!(NODES, "", "nodes");
    id!(RESOURCEQUOTAS, "", "resourcequotas");
    id!(LIMITRANGES, "", "limitranges");
    id!(STORAGECLASSES, "storage.k8s.io", "storageclasses");
    id!(ROLES, "rbac.authorization.k8s.io", "roles");
    id!(ROLEBINDINGS, "rbac.authorization.k8s.io", "rolebindings");
    id!(CLUSTERROLES, "rbac.authorization.k8s.io", "clusterroles");
    id!(
        CLUSTERROLEBINDINGS,
        "rbac.authorization.k8s.io",
        "clusterrolebindings"
    );
    id!(SSAR, "authorization.k8s.io", "selfsubjectaccessreviews");
    id!(SSRR, "authorization.k8s.io", "selfsubjectrulesreviews");
    id!(SSR, "authentication.k8s.io", "selfsubjectreviews");
    id!(STATEFULSETS, "apps", "statefulsets");
    id!(DAEMONSETS, "apps", "daemonsets");
    id!(DEPLOYMENTS, "apps", "deployments");
    id!(REPLICASETS, "apps", "replicasets");
    id!(CONTROLLERREVISIONS, "apps", "controllerrevisions");
    id!(ENDPOINTS, "", "endpoints");
    pub static ENDPOINTSLICES: LazyLock<ResourceId> =
        LazyLock::new(|| find("discovery.k8s.io", "v1", "endpointslices").unwrap_or(0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_core_and_group_kinds() {
        assert_eq!(
            def(find("", "v1", "pods").unwrap_or(usize::MAX)).kind,
            "Pod"
        );
        assert_eq!(def(*ids::STATEFULSETS).qualified(), "statefulsets.apps");
        assert!(find("apps", "v1", "pods").is_none());
        assert!(group_versions().contains(&("apps", "v1")));
    }
}
