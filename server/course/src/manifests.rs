//! Checks that a lesson's YAML blocks are real Kubernetes objects.
//!
//! Each document is parsed into its k8s-openapi type (so wrong types and missing required
//! fields fail like they would on a server), then serialised back: a field present in the YAML
//! but absent after the round trip is one the type does not have — a typo such as
//! `volumeClaimTemplate` that a real API server rejects under strict field validation.

use serde_json::Value;

/// Problems in one YAML block: (1-based line within the block, message).
pub(crate) fn check_yaml_block(text: &str) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    for (first_line, doc) in documents(text) {
        if doc
            .trim()
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let value: Value = match serde_yaml::from_str(&doc) {
            Ok(v) => v,
            Err(e) => {
                let line = e.location().map(|l| l.line()).unwrap_or(1);
                problems.push((first_line + line - 1, format!("invalid YAML: {e}")));
                continue;
            }
        };
        if let Err(message) = check_object(&value) {
            let line = message
                .field
                .as_deref()
                .and_then(|field| line_of_key(&doc, field))
                .unwrap_or(1);
            problems.push((first_line + line - 1, message.text));
        }
    }
    problems
}

/// Splits a multi-document YAML text at `---` lines: (1-based first line, document text).
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" {
            docs.push((i + 2, String::new()));
        } else if let Some((_, doc)) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs
}

struct Message {
    text: String,
    /// The offending key, to find its line.
    field: Option<String>,
}

fn message(text: impl Into<String>) -> Message {
    Message {
        text: text.into(),
        field: None,
    }
}

fn check_object(value: &Value) -> Result<(), Message> {
    let Some(object) = value.as_object() else {
        return Err(message(
            "a YAML block must hold Kubernetes objects (a mapping with apiVersion and kind)",
        ));
    };
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| message("missing `apiVersion`"))?;
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| message("missing `kind`"))?;
    let name_ok = object
        .get("metadata")
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    if !name_ok {
        return Err(message(format!("{kind} has no `metadata.name`")));
    }
    let round_trip = round_trip(api_version, kind, value)?;
    let mut unknown = Vec::new();
    unknown_fields(value, &round_trip, String::new(), &mut unknown);
    match unknown.first() {
        None => Ok(()),
        Some(path) => Err(Message {
            text: format!("{kind}: unknown field \"{path}\""),
            field: path
                .rsplit('.')
                .next()
                .map(|f| f.split('[').next().unwrap_or(f).to_owned()),
        }),
    }
}

macro_rules! kinds {
    ($api_version:expr, $kind:expr, $value:expr; $($ty:ty),+ $(,)?) => {{
        use k8s_openapi::Resource as _;
        $(
            if $api_version == <$ty>::API_VERSION && $kind == <$ty>::KIND {
                let typed: $ty = serde_json::from_value($value.clone())
                    .map_err(|e| message(format!("{} {}: {e}", $api_version, $kind)))?;
                return serde_json::to_value(&typed).map_err(|e| message(e.to_string()));
            }
        )+
    }};
}

fn round_trip(api_version: &str, kind: &str, value: &Value) -> Result<Value, Message> {
    use k8s_openapi::api::{
        apps::v1 as apps, batch::v1 as batch, core::v1 as core, discovery::v1 as discovery,
        networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
        storage::v1 as storage,
    };
    kinds!(api_version, kind, value;
        core::Pod, core::Service, core::ConfigMap, core::Secret, core::PersistentVolumeClaim,
        core::PersistentVolume, core::Namespace, core::ServiceAccount, core::Endpoints,
        core::ResourceQuota, core::LimitRange, core::Node, core::Event,
        apps::Deployment, apps::StatefulSet, apps::ReplicaSet, apps::DaemonSet,
        storage::StorageClass,
        rbac::Role, rbac::RoleBinding, rbac::ClusterRole, rbac::ClusterRoleBinding,
        networking::NetworkPolicy, networking::Ingress,
        batch::Job, batch::CronJob,
        policy::PodDisruptionBudget,
        discovery::EndpointSlice,
    );
    Err(message(format!(
        "unknown kind `{kind}` in `{api_version}` (is the apiVersion right?)"
    )))
}

fn unknown_fields(original: &Value, round_trip: &Value, path: String, out: &mut Vec<String>) {
    match (original, round_trip) {
        (Value::Object(original), Value::Object(round_trip)) => {
            for (key, value) in original {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match round_trip.get(key) {
                    _ if value.is_null() => {}
                    None => out.push(child),
                    Some(kept) => unknown_fields(value, kept, child, out),
                }
            }
        }
        (Value::Array(original), Value::Array(round_trip)) => {
            for (i, (value, kept)) in original.iter().zip(round_trip).enumerate() {
                unknown_fields(value, kept, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The 1-based line where `key:` first appears as a mapping key.
fn line_of_key(doc: &str, key: &str) -> Option<usize> {
    doc.lines()
        .position(|line| {
            let t = line.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STS: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mysql
spec:
  serviceName: mysql
  selector:
    matchLabels: {app: mysql}
  template:
    metadata:
      labels: {app: mysql}
    spec:
      containers:
      - name: mysql
        image: mysql:8.0
        volumeMounts:
        - name: data
          mountPath: /var/lib/mysql
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
";

    #[test]
    fn accepts_valid_objects_and_multiple_documents() {
        let text = format!(
            "{STS}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: mysql\nspec:\n  clusterIP: None\n  selector: {{app: mysql}}\n  ports:\n  - port: 3306\n"
        );
        assert_eq!(check_yaml_block(&text), vec![]);
    }

    #[test]
    fn reports_misspelt_fields_on_their_line() {
        let text = STS.replace("volumeClaimTemplates", "volumeClaimTemplate");
        let problems = check_yaml_block(&text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 19);
        assert!(
            problems[0]
                .1
                .contains("unknown field \"spec.volumeClaimTemplate\""),
            "{problems:?}"
        );

        let text = STS.replace(
            "mountPath: /var/lib/mysql\n",
            "mountPath: /var/lib/mysql\n          readonly: true\n",
        );
        let problems = check_yaml_block(&text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 19);
        assert!(
            problems[0].1.contains("volumeMounts[0].readonly"),
            "{problems:?}"
        );
    }

    #[test]
    fn reports_wrong_types_unknown_kinds_and_bad_yaml() {
        let problems = check_yaml_block(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: 3\n",
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.starts_with("v1 Pod:"), "{problems:?}");

        let problems = check_yaml_block("apiVersion: v1\nkind: Deployment\nmetadata:\n  name: d\n");
        assert!(problems[0].1.contains("unknown kind `Deployment` in `v1`"));

        // An unclosed flow sequence is noticed at the end of its document (line 3 here).
        let problems = check_yaml_block("---\nkind: [\n");
        assert_eq!(problems[0].0, 3);
        assert!(problems[0].1.starts_with("invalid YAML"));

        let problems = check_yaml_block("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
        assert!(problems[0].1.contains("metadata.name"));
    }
}
