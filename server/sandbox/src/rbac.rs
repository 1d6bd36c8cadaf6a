//! RBAC authorization: Roles/ClusterRoles bound by RoleBindings/ClusterRoleBindings to users,
//! groups and ServiceAccounts. `system:masters` bypasses it, like kube-apiserver.

use crate::cluster::{Cluster, UserInfo};
use crate::registry::ids;
use serde_json::Value;

/// What a request wants to do.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

fn subject_matches(s: &Value, user: &UserInfo, binding_ns: &str) -> bool {
    let name = s["name"].as_str().unwrap_or_default();
    match s["kind"].as_str().unwrap_or_default() {
        "User" => name == user.name,
        "Group" => user.groups.iter().any(|g| g == name),
        "ServiceAccount" => {
            let ns = s["namespace"]
                .as_str()
                .filter(|n| !n.is_empty())
                .unwrap_or(binding_ns);
            user.name == format!("system:serviceaccount:{ns}:{name}")
        }
        _ => false,
    }
}

fn has(list: &Value, want: &str) -> bool {
    list.as_array()
        .is_some_and(|a| a.iter().any(|v| v == "*" || v == want))
}

fn rule_allows(rule: &Value, a: &Attributes) -> bool {
    if !has(&rule["verbs"], &a.verb) || !has(&rule["apiGroups"], &a.group) {
        return false;
    }
    let res_ok = match &a.subresource {
        None => has(&rule["resources"], &a.resource),
        Some(sub) => rule["resources"].as_array().is_some_and(|rs| {
            rs.iter().any(|r| {
                r == "*" || *r == format!("{}/{sub}", a.resource) || *r == format!("*/{sub}")
            })
        }),
    };
    if !res_ok {
        return false;
    }
    match rule["resourceNames"].as_array() {
        Some(names) if !names.is_empty() => a
            .name
            .as_deref()
            .is_some_and(|n| names.iter().any(|x| x == n)),
        _ => true,
    }
}

fn role_rules(cluster: &Cluster, role_ref: &Value, binding_ns: &str) -> Vec<Value> {
    let name = role_ref["name"].as_str().unwrap_or_default();
    let obj = match role_ref["kind"].as_str().unwrap_or_default() {
        "ClusterRole" => cluster.store().get(*ids::CLUSTERROLES, "", name),
        "Role" => cluster.store().get(*ids::ROLES, binding_ns, name),
        _ => None,
    };
    obj.and_then(|o| o["rules"].as_array().cloned())
        .unwrap_or_default()
}

/// Whether `user` may do `a`.
pub fn allowed(cluster: &Cluster, user: &UserInfo, a: &Attributes) -> bool {
    if user.is_superuser() {
        return true;
    }
    // Every authenticated user may ask what it can do (system:basic-user).
    if a.verb == "create"
        && matches!(
            a.resource.as_str(),
            "selfsubjectaccessreviews" | "selfsubjectrulesreviews" | "selfsubjectreviews"
        )
    {
        return true;
    }
    let (crbs, _) = cluster.store().list(*ids::CLUSTERROLEBINDINGS, None);
    for b in crbs {
        if b["subjects"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| subject_matches(s, user, "")))
            && role_rules(cluster, &b["roleRef"], "")
                .iter()
                .any(|r| rule_allows(r, a))
        {
            return true;
        }
    }
    if let Some(ns) = &a.namespace {
        let (rbs, _) = cluster.store().list(*ids::ROLEBINDINGS, Some(ns));
        for b in rbs {
            if b["subjects"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| subject_matches(s, user, ns)))
                && role_rules(cluster, &b["roleRef"], ns)
                    .iter()
                    .any(|r| rule_allows(r, a))
            {
                return true;
            }
        }
    }
    false
}

/// Every rule that applies to `user` in `namespace` (cluster-wide bindings included), plus the
/// rules of `system:basic-user` that every authenticated user has.
pub fn rules_for(cluster: &Cluster, user: &UserInfo, namespace: &str) -> Vec<Value> {
    let mut rules = vec![serde_json::json!({
        "verbs": ["create"],
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]
    })];
    let (crbs, _) = cluster.store().list(*ids::CLUSTERROLEBINDINGS, None);
    for b in crbs {
        if b["subjects"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| subject_matches(s, user, "")))
        {
            rules.extend(role_rules(cluster, &b["roleRef"], ""));
        }
    }
    let (rbs, _) = cluster.store().list(*ids::ROLEBINDINGS, Some(namespace));
    for b in rbs {
        if b["subjects"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| subject_matches(s, user, namespace)))
        {
            rules.extend(role_rules(cluster, &b["roleRef"], namespace));
        }
    }
    rules
}

/// kube-apiserver's Forbidden wording.
pub fn forbidden_message(user: &UserInfo, a: &Attributes, qualified: &str) -> String {
    let res = match &a.subresource {
        Some(s) => format!("{}/{s}", a.resource),
        None => a.resource.clone(),
    };
    let head = match &a.name {
        Some(n) => format!("{qualified} \"{n}\" is forbidden"),
        None => format!("{qualified} is forbidden"),
    };
    let scope = match &a.namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".into(),
    };
    format!(
        "{head}: User \"{}\" cannot {} resource \"{res}\" in API group \"{}\" {scope}",
        user.name, a.verb, a.group
    )
}
