//! The kinds a lab may name, and how to reach them through the API.

use kube::discovery::ApiResource;

/// A kind the grader knows.
#[derive(Debug, Clone)]
pub struct Kind {
    pub resource: ApiResource,
    pub namespaced: bool,
}

const KNOWN: &[(&str, &str, &str, &str, bool)] = &[
    // kind, group, version, plural, namespaced
    ("Pod", "", "v1", "pods", true),
    ("Service", "", "v1", "services", true),
    ("Endpoints", "", "v1", "endpoints", true),
    ("ConfigMap", "", "v1", "configmaps", true),
    ("Secret", "", "v1", "secrets", true),
    ("Event", "", "v1", "events", true),
    (
        "PersistentVolumeClaim",
        "",
        "v1",
        "persistentvolumeclaims",
        true,
    ),
    ("PersistentVolume", "", "v1", "persistentvolumes", false),
    ("Namespace", "", "v1", "namespaces", false),
    ("Node", "", "v1", "nodes", false),
    ("Deployment", "apps", "v1", "deployments", true),
    ("StatefulSet", "apps", "v1", "statefulsets", true),
    ("ReplicaSet", "apps", "v1", "replicasets", true),
    ("DaemonSet", "apps", "v1", "daemonsets", true),
    (
        "StorageClass",
        "storage.k8s.io",
        "v1",
        "storageclasses",
        false,
    ),
    (
        "EndpointSlice",
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        true,
    ),
];

/// The kind named `name` (`Pod`, case-insensitive; `pvc`, `svc` and plurals accepted).
pub fn lookup(name: &str) -> Option<Kind> {
    let lower = name.to_ascii_lowercase();
    let canonical = match lower.as_str() {
        "pvc" => "persistentvolumeclaim",
        "pv" => "persistentvolume",
        "svc" => "service",
        "sts" => "statefulset",
        "deploy" => "deployment",
        "sc" => "storageclass",
        "cm" => "configmap",
        other => other,
    };
    KNOWN
        .iter()
        .find(|(kind, _, _, plural, _)| {
            kind.eq_ignore_ascii_case(canonical) || *plural == canonical
        })
        .map(|(kind, group, version, plural, namespaced)| Kind {
            resource: ApiResource {
                group: (*group).to_string(),
                version: (*version).to_string(),
                api_version: if group.is_empty() {
                    (*version).to_string()
                } else {
                    format!("{group}/{version}")
                },
                kind: (*kind).to_string(),
                plural: (*plural).to_string(),
            },
            namespaced: *namespaced,
        })
}

/// The kind for an object's `apiVersion` and `kind`.
pub fn for_object(api_version: &str, kind: &str) -> Option<Kind> {
    lookup(kind).filter(|k| k.resource.api_version == api_version)
}

/// Every kind name, for messages.
pub fn names() -> Vec<&'static str> {
    KNOWN.iter().map(|k| k.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_plurals_and_case_resolve() {
        for n in ["pvc", "PersistentVolumeClaim", "persistentvolumeclaims"] {
            assert_eq!(
                lookup(n).expect("known").resource.kind,
                "PersistentVolumeClaim"
            );
        }
        assert!(!lookup("StorageClass").expect("known").namespaced);
        assert_eq!(
            lookup("sts").expect("known").resource.api_version,
            "apps/v1"
        );
        assert!(lookup("Widget").is_none());
        assert!(for_object("v1", "Deployment").is_none());
    }
}
