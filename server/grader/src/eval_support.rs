//! Small readers over pod specs shared by checks and diagnoses.

use crate::path::lookup;
use serde_json::Value;

/// One volume mount of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub container: String,
    pub volume: String,
    pub path: String,
}

/// Every volume mount of every container of a pod (or a pod template's `spec` parent).
pub fn mounts(pod: &Value) -> Vec<Mount> {
    let mut out = Vec::new();
    for c in lookup(pod, "spec.containers[*]") {
        let container = c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for m in lookup(c, "volumeMounts[*]") {
            out.push(Mount {
                container: container.clone(),
                volume: m
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                path: m
                    .get("mountPath")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            });
        }
    }
    out
}

/// The type of a pod volume and its main parameter: (`persistentVolumeClaim`, claim name),
/// (`emptyDir`, ""), (`hostPath`, path), ...
pub fn volume_kind<'a>(pod: &'a Value, volume: &str) -> Option<(&'a str, &'a str)> {
    let v = lookup(pod, "spec.volumes[*]")
        .into_iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(volume))?;
    let obj = v.as_object()?;
    let (kind, body) = obj.iter().find(|(k, _)| k.as_str() != "name")?;
    let param = match kind.as_str() {
        "persistentVolumeClaim" => body.get("claimName").and_then(Value::as_str),
        "hostPath" => body.get("path").and_then(Value::as_str),
        _ => None,
    }
    .unwrap_or("");
    Some((kind.as_str(), param))
}
