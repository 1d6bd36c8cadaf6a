//! Validation of the fields we act on: names, required fields, selectors vs template labels,
//! and immutable fields on update. Produces field causes like kube-apiserver's.

use super::names::{self, rule_for};
use crate::api::error::Cause;
use serde_json::Value;

/// Validate an object about to be created or replaced. `old` is the stored object on update.
pub fn validate(plural: &str, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    if name.is_empty() {
        causes.push(Cause {
            reason: "FieldValueRequired",
            field: "metadata.name".into(),
            message: "Required value: name or generateName is required".into(),
        });
    } else if old.is_none() {
        for detail in names::check(rule_for(plural), name) {
            causes.push(Cause::invalid("metadata.name", name, &detail));
        }
    }
    labels(&obj["metadata"]["labels"], &mut causes);
    match plural {
        "pods" => {
            pod_spec(&obj["spec"], "spec", &mut causes);
            if let Some(old) = old {
                pod_update(obj, old, &mut causes);
            }
        }
        "deployments" | "replicasets" | "statefulsets" | "daemonsets" => {
            workload(plural, obj, &mut causes);
            if let Some(old) = old {
                workload_update(plural, obj, old, &mut causes);
            }
        }
        "services" => service(obj, old, &mut causes),
        "persistentvolumeclaims" => {
            let spec = &obj["spec"];
            if spec["accessModes"].as_array().is_none_or(|a| a.is_empty()) {
                causes.push(Cause::required("spec.accessModes"));
            }
            if spec["resources"]["requests"]["storage"].is_null() {
                causes.push(Cause::required("spec.resources[storage]"));
            }
            if let Some(old) = old {
                let strip = |v: &Value| {
                    let mut s = v["spec"].clone();
                    if let Some(m) = s.as_object_mut() {
                        m.remove("resources");
                        m.remove("volumeAttributesClassName");
                        if old["spec"]["volumeName"].is_null() {
                            m.remove("volumeName");
                        }
                    }
                    s
                };
                if strip(obj) != strip(old) {
                    causes.push(Cause::forbidden(
                        "spec",
                        "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                    ));
                }
            }
        }
        "persistentvolumes" => {
            let spec = &obj["spec"];
            if spec["capacity"]["storage"].is_null() {
                causes.push(Cause::required("spec.capacity"));
            }
            if spec["accessModes"].as_array().is_none_or(|a| a.is_empty()) {
                causes.push(Cause::required("spec.accessModes"));
            }
        }
        "configmaps" | "secrets" => {
            if let Some(old) = old
                && old["immutable"] == true
                && (obj["data"] != old["data"] || obj["binaryData"] != old["binaryData"])
            {
                causes.push(Cause::forbidden(
                    "data",
                    "field is immutable when `immutable` is set",
                ));
            }
        }
        "rolebindings" | "clusterrolebindings" => {
            if let Some(old) = old
                && obj["roleRef"] != old["roleRef"]
            {
                causes.push(Cause::invalid(
                    "roleRef",
                    &go_map(&obj["roleRef"]),
                    "cannot change roleRef",
                ));
            }
        }
        _ => {}
    }
    causes
}

fn labels(labels: &Value, causes: &mut Vec<Cause>) {
    if let Some(m) = labels.as_object() {
        for (k, v) in m {
            let value = v.as_str().unwrap_or_default();
            if !names::is_label_value(value) {
                causes.push(Cause::invalid(
                    "metadata.labels".to_string(),
                    value,
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ));
            }
            let key_name = k.rsplit('/').next().unwrap_or_default();
            if key_name.is_empty() || !names::is_label_value(key_name) {
                causes.push(Cause::invalid(
                    "metadata.labels",
                    k,
                    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                ));
            }
        }
    }
}

fn pod_spec(spec: &Value, path: &str, causes: &mut Vec<Cause>) {
    let containers = spec["containers"].as_array();
    if containers.is_none_or(|c| c.is_empty()) {
        causes.push(Cause::required(format!("{path}.containers")));
    }
    let mut seen = Vec::new();
    for (i, c) in containers.into_iter().flatten().enumerate() {
        let name = c["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            causes.push(Cause::required(format!("{path}.containers[{i}].name")));
        } else if !names::check(names::NameRule::Label, name).is_empty() {
            causes.push(Cause::invalid(
                format!("{path}.containers[{i}].name"),
                name,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ));
        } else if seen.contains(&name) {
            causes.push(Cause {
                reason: "FieldValueDuplicate",
                field: format!("{path}.containers[{i}].name"),
                message: format!("Duplicate value: \"{name}\""),
            });
        }
        seen.push(name);
        if c["image"].as_str().unwrap_or_default().is_empty() {
            causes.push(Cause::required(format!("{path}.containers[{i}].image")));
        }
    }
}

fn pod_update(obj: &Value, old: &Value, causes: &mut Vec<Cause>) {
    // Only images, activeDeadlineSeconds, tolerations (additions) and a few more may change.
    let strip = |v: &Value| {
        let mut s = v["spec"].clone();
        if let Some(m) = s.as_object_mut() {
            m.remove("activeDeadlineSeconds");
            m.remove("tolerations");
            m.remove("schedulingGates");
            if let Some(cs) = m.get_mut("containers").and_then(Value::as_array_mut) {
                for c in cs {
                    if let Some(c) = c.as_object_mut() {
                        c.remove("image");
                    }
                }
            }
            if v["spec"]["nodeName"].is_null() || old["spec"]["nodeName"].is_null() {
                m.remove("nodeName");
            }
        }
        s
    };
    if strip(obj) != strip(old) {
        causes.push(Cause::forbidden(
            "spec",
            "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
        ));
    }
}

fn workload(plural: &str, obj: &Value, causes: &mut Vec<Cause>) {
    let spec = &obj["spec"];
    let selector = &spec["selector"];
    let has_selector = selector["matchLabels"]
        .as_object()
        .is_some_and(|m| !m.is_empty())
        || selector["matchExpressions"]
            .as_array()
            .is_some_and(|m| !m.is_empty());
    if !has_selector {
        causes.push(Cause::required("spec.selector"));
    }
    if plural == "statefulsets" && spec["serviceName"].is_null() {
        // serviceName became optional in 1.32? It is still commonly set; accept missing.
    }
    let tlabels = &spec["template"]["metadata"]["labels"];
    if has_selector && !crate::api::selector::label_selector_matches(selector, tlabels) {
        causes.push(Cause::invalid(
            "spec.template.metadata.labels",
            &go_map(tlabels),
            "`selector` does not match template `labels`",
        ));
    }
    if spec["replicas"].as_i64().is_some_and(|r| r < 0) {
        causes.push(Cause::invalid(
            "spec.replicas",
            &spec["replicas"].to_string(),
            "must be greater than or equal to 0",
        ));
    }
    pod_spec(&spec["template"]["spec"], "spec.template.spec", causes);
    // NB: every workload controller's template must restart its containers (only Jobs may not).
    if matches!(
        plural,
        "deployments" | "replicasets" | "statefulsets" | "daemonsets"
    ) && let Some(p) = spec["template"]["spec"]["restartPolicy"].as_str()
        && p != "Always"
    {
        causes.push(Cause {
            reason: "FieldValueNotSupported",
            field: "spec.template.spec.restartPolicy".into(),
            message: format!("Unsupported value: \"{p}\": supported values: \"Always\""),
        });
    }
}

fn workload_update(plural: &str, obj: &Value, old: &Value, causes: &mut Vec<Cause>) {
    if obj["spec"]["selector"] != old["spec"]["selector"] {
        causes.push(Cause::immutable(
            "spec.selector",
            &go_selector(&obj["spec"]["selector"]),
        ));
    }
    if plural == "statefulsets" {
        let strip = |v: &Value| {
            let mut s = v["spec"].clone();
            if let Some(m) = s.as_object_mut() {
                for k in [
                    "replicas",
                    "ordinals",
                    "template",
                    "updateStrategy",
                    "persistentVolumeClaimRetentionPolicy",
                    "minReadySeconds",
                ] {
                    m.remove(k);
                }
            }
            s
        };
        if strip(obj) != strip(old) {
            // Replace the selector cause: the real server reports the whole-spec rule.
            causes.retain(|c| c.field != "spec.selector");
            causes.push(Cause::forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            ));
        }
    }
}

fn service(obj: &Value, old: Option<&Value>, causes: &mut Vec<Cause>) {
    let spec = &obj["spec"];
    let headless = spec["clusterIP"] == "None";
    let ty = spec["type"].as_str().unwrap_or("ClusterIP");
    if !headless && ty != "ExternalName" && spec["ports"].as_array().is_none_or(|p| p.is_empty()) {
        causes.push(Cause::required("spec.ports"));
    }
    for (i, p) in spec["ports"].as_array().into_iter().flatten().enumerate() {
        let port = p["port"].as_i64().unwrap_or(0);
        if !(1..=65535).contains(&port) {
            causes.push(Cause::invalid(
                format!("spec.ports[{i}].port"),
                &port.to_string(),
                "must be between 1 and 65535, inclusive",
            ));
        }
        if spec["ports"].as_array().is_some_and(|a| a.len() > 1)
            && p["name"].as_str().unwrap_or_default().is_empty()
        {
            causes.push(Cause::required(format!("spec.ports[{i}].name")));
        }
    }
    if let Some(old) = old {
        let (a, b) = (&spec["clusterIP"], &old["spec"]["clusterIP"]);
        if !a.is_null() && !b.is_null() && a != b {
            causes.push(Cause::invalid(
                "spec.clusterIPs[0]",
                &format!("[]string{{{a}}}"),
                "may not change once set",
            ));
        }
    }
}

/// Render a JSON object the way Go prints `map[string]string{...}` in validation messages.
pub fn go_map(v: &Value) -> String {
    match v.as_object() {
        Some(m) => {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("map[string]string{{{}}}", parts.join(", "))
        }
        None => "map[string]string(nil)".into(),
    }
}

fn go_selector(v: &Value) -> String {
    let ml: Vec<String> = v["matchLabels"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect())
        .unwrap_or_default();
    format!(
        "v1.LabelSelector{{MatchLabels:map[string]string{{{}}}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}",
        ml.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_without_containers_is_invalid() {
        let c = validate(
            "pods",
            &json!({"metadata": {"name": "p"}, "spec": {}}),
            None,
        );
        assert_eq!(c, vec![Cause::required("spec.containers")]);
    }

    #[test]
    fn statefulset_selector_change_is_forbidden() {
        let old = json!({"metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let mut new = old.clone();
        new["spec"]["selector"]["matchLabels"]["app"] = json!("b");
        new["spec"]["template"]["metadata"]["labels"]["app"] = json!("b");
        let c = validate("statefulsets", &new, Some(&old));
        assert!(
            c.iter()
                .any(|c| c.field == "spec" && c.reason == "FieldValueForbidden"),
            "{c:?}"
        );
    }
}
