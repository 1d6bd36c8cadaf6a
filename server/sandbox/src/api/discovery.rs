//! Discovery documents: `/version`, `/api`, `/apis`, `/apis/<g>`, per-group-version resource
//! lists (legacy format, which kubectl and kube-rs both accept).

use crate::registry::{RESOURCES, group_versions};
use serde_json::{Value, json};

/// `/version`, like Kubernetes 1.32.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.4-kubedojo",
        "gitCommit": "kubedojo",
        "gitTreeState": "clean",
        "buildDate": "2025-04-22T00:00:00Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// `/api`.
pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]
    })
}

fn group_entry(g: &str) -> Value {
    let versions: Vec<Value> = group_versions()
        .into_iter()
        .filter(|(gg, _)| *gg == g)
        .map(|(g, v)| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"name": g, "versions": versions, "preferredVersion": preferred})
}

/// `/apis`.
pub fn groups() -> Value {
    let mut names: Vec<&str> = Vec::new();
    for (g, _) in group_versions() {
        if !g.is_empty() && !names.contains(&g) {
            names.push(g);
        }
    }
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": names.into_iter().map(group_entry).collect::<Vec<_>>()
    })
}

/// `/apis/<g>`.
pub fn group(g: &str) -> Value {
    let mut e = group_entry(g);
    e["kind"] = json!("APIGroup");
    e["apiVersion"] = json!("v1");
    e
}

/// `/api/v1` or `/apis/<g>/<v>`.
pub fn resource_list(group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        let mut e = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs(),
            "storageVersionHash": "",
        });
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            e["categories"] = json!(r.categories);
        }
        resources.push(e);
        for sub in r.subresources {
            let (kind, g, v, verbs): (&str, Option<&str>, Option<&str>, Vec<&str>) = match *sub {
                "status" => (r.kind, None, None, vec!["get", "patch", "update"]),
                "scale" => (
                    "Scale",
                    Some("autoscaling"),
                    Some("v1"),
                    vec!["get", "patch", "update"],
                ),
                "token" => (
                    "TokenRequest",
                    Some("authentication.k8s.io"),
                    Some("v1"),
                    vec!["create"],
                ),
                "log" => ("Pod", None, None, vec!["get"]),
                "exec" | "attach" | "portforward" => {
                    ("PodExecOptions", None, None, vec!["create", "get"])
                }
                "proxy" => (
                    r.kind,
                    None,
                    None,
                    vec!["create", "delete", "get", "patch", "update"],
                ),
                "binding" => ("Binding", None, None, vec!["create"]),
                "eviction" => ("Eviction", Some("policy"), Some("v1"), vec!["create"]),
                "ephemeralcontainers" => ("Pod", None, None, vec!["get", "patch", "update"]),
                "finalize" => ("Namespace", None, None, vec!["update"]),
                _ => (r.kind, None, None, vec!["get"]),
            };
            let mut s = json!({
                "name": format!("{}/{sub}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": kind,
                "verbs": verbs,
            });
            if let Some(g) = g {
                s["group"] = json!(g);
            }
            if let Some(v) = v {
                s["version"] = json!(v);
            }
            resources.push(s);
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

/// Content type of aggregated discovery responses.
pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether an Accept header asks for aggregated discovery (v2).
pub fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let p = part.replace(' ', "");
        p.contains("as=APIGroupDiscoveryList") && p.contains("v=v2") && !p.contains("v=v2beta1")
    })
}

/// Aggregated discovery (`apidiscovery.k8s.io/v2`) for `/api` (core) or `/apis` (groups).
pub fn aggregated(core: bool) -> Value {
    let mut items = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    for (g, _) in group_versions() {
        if (g.is_empty() == core) && !groups.contains(&g) {
            groups.push(g);
        }
    }
    for g in groups {
        let versions: Vec<Value> = group_versions()
            .into_iter()
            .filter(|(gg, _)| *gg == g)
            .map(|(_, v)| {
                let resources: Vec<Value> = RESOURCES
                    .iter()
                    .filter(|r| r.group == g && r.version == v)
                    .map(|r| {
                        let subresources: Vec<Value> = r
                            .subresources
                            .iter()
                            .map(|sub| {
                                let (kind, sg, sv, verbs): (&str, &str, &str, Vec<&str>) = match *sub {
                                    "scale" => ("Scale", "autoscaling", "v1", vec!["get", "patch", "update"]),
                                    "token" => ("TokenRequest", "authentication.k8s.io", "v1", vec!["create"]),
                                    "eviction" => ("Eviction", "policy", "v1", vec!["create"]),
                                    "status" => (r.kind, r.group, r.version, vec!["get", "patch", "update"]),
                                    "log" => (r.kind, r.group, r.version, vec!["get"]),
                                    "binding" => ("Binding", "", "v1", vec!["create"]),
                                    "finalize" => (r.kind, r.group, r.version, vec!["update"]),
                                    _ => ("PodExecOptions", "", "v1", vec!["create", "get"]),
                                };
                                json!({
                                    "subresource": sub,
                                    "responseKind": {"group": sg, "version": sv, "kind": kind},
                                    "verbs": verbs,
                                })
                            })
                            .collect();
                        let mut e = json!({
                            "resource": r.plural,
                            "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                            "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                            "singularResource": r.singular,
                            "verbs": r.verbs(),
                        });
                        if !r.short_names.is_empty() {
                            e["shortNames"] = json!(r.short_names);
                        }
                        if !r.categories.is_empty() {
                            e["categories"] = json!(r.categories);
                        }
                        if !subresources.is_empty() {
                            e["subresources"] = json!(subresources);
                        }
                        e
                    })
                    .collect();
                json!({"version": v, "resources": resources, "freshness": "Current"})
            })
            .collect();
        items.push(
            json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions}),
        );
    }
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}
