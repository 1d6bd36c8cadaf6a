//! "PVC Pending": does the StorageClass exist? is there a default? does any PV match?

use crate::cluster::{ClusterView, name_of};
use crate::error::GraderError;
use crate::path::{lookup, str_at};
use crate::result::Diagnosis;
use serde_json::Value;

const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";

/// Explains why a claim is not Bound.
///
/// # Errors
/// When the cluster cannot be asked.
pub async fn pending(view: &ClusterView, pvc: &Value) -> Result<Diagnosis, GraderError> {
    let name = name_of(pvc);
    let ns = str_at(pvc, "metadata.namespace");
    let classes = view.list("StorageClass", None, None).await?;
    let class_names: Vec<String> = classes
        .iter()
        .map(|c| {
            let n = name_of(c);
            if is_default(c) {
                format!("{n} (default)")
            } else {
                n.to_string()
            }
        })
        .collect();
    let listed = if class_names.is_empty() {
        "none".to_string()
    } else {
        class_names.join(", ")
    };
    let requested = str_at(pvc, "spec.storageClassName");
    let mut d = match requested {
        Some(class) if !class.is_empty() => match classes.iter().find(|c| name_of(c) == class) {
            None => Diagnosis::new(format!(
                "PersistentVolumeClaim/{name} asks for StorageClass `{class}` (spec.storageClassName), which does not exist, \
                 so no provisioner will ever make its volume. Existing classes: {listed}."
            ))
            .finding(
                "spec.storageClassName of a claim is immutable: delete the Pending claim (nothing was ever written to it) \
                 and create it again with an existing class, or create the missing StorageClass.",
            )
            .object(format!("StorageClass/{class}")),
            Some(sc)
                if str_at(sc, "volumeBindingMode") == Some("WaitForFirstConsumer")
                    && !has_selected_node(pvc) =>
            {
                Diagnosis::new(format!(
                "PersistentVolumeClaim/{name} uses StorageClass `{class}` with volumeBindingMode WaitForFirstConsumer: \
                 it stays Pending by design until a pod that uses it is scheduled."
            ))
            .finding(format!(
                "Check that a pod mounts claim `{name}` and that the pod itself can be scheduled."
            ))
            .object(format!("StorageClass/{class}"))
            }
            Some(sc) => {
                let provisioner = str_at(sc, "provisioner").unwrap_or("?");
                Diagnosis::new(format!(
                    "PersistentVolumeClaim/{name} uses StorageClass `{class}` (provisioner {provisioner}), which has not provisioned a volume yet."
                ))
                .finding(format!(
                    "A class only names a provisioner: something in the cluster must run it. If nothing answers for `{provisioner}` \
                     (a cloud driver on a kind cluster, say), the claim waits forever; use a class whose provisioner runs here."
                ))
                .object(format!("StorageClass/{class}"))
            }
        },
        Some(_) => static_match(view, pvc, "").await?,
        None => {
            if classes.iter().any(is_default) {
                Diagnosis::new(format!(
                    "PersistentVolumeClaim/{name} has no storageClassName; the default class should have been applied. Classes: {listed}."
                ))
            } else {
                let mut d = static_match(view, pvc, "").await?;
                d.summary = format!(
                    "PersistentVolumeClaim/{name} has no storageClassName and there is no default StorageClass (none is annotated \
                     {DEFAULT_CLASS}=true), so only a pre-made PersistentVolume can satisfy it. {}",
                    d.summary
                );
                d
            }
        }
    };
    d = d.object(format!("PersistentVolumeClaim/{name}"));
    for e in view.list("Event", ns, None).await? {
        if str_at(&e, "involvedObject.kind") == Some("PersistentVolumeClaim")
            && str_at(&e, "involvedObject.name") == Some(name)
        {
            let line = format!(
                "event {}: {}",
                str_at(&e, "reason").unwrap_or(""),
                str_at(&e, "message").unwrap_or("")
            );
            if !d.findings.contains(&line) {
                d = d.finding(line);
            }
        }
    }
    Ok(d)
}

/// The scheduler has placed a pod using this WaitForFirstConsumer claim on a node.
fn has_selected_node(pvc: &Value) -> bool {
    pvc.pointer("/metadata/annotations")
        .and_then(|a| a.get("volume.kubernetes.io/selected-node"))
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty())
}

fn is_default(sc: &Value) -> bool {
    sc.pointer("/metadata/annotations")
        .and_then(|a| a.get(DEFAULT_CLASS))
        .and_then(Value::as_str)
        == Some("true")
}

/// For static binding: why no PersistentVolume fits (class, size, access modes, phase).
async fn static_match(
    view: &ClusterView,
    pvc: &Value,
    class: &str,
) -> Result<Diagnosis, GraderError> {
    let name = name_of(pvc);
    let want_size = str_at(pvc, "spec.resources.requests.storage").unwrap_or("0");
    let want_modes: Vec<&str> = lookup(pvc, "spec.accessModes[*]")
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    let pvs = view.list("PersistentVolume", None, None).await?;
    let mut d = Diagnosis::new(format!(
        "No PersistentVolume matches PersistentVolumeClaim/{name} (class `{class}`, {want_size}, {}).",
        want_modes.join(",")
    ));
    if pvs.is_empty() {
        return Ok(d.finding("There are no PersistentVolumes at all."));
    }
    for pv in &pvs {
        let pv_name = name_of(pv);
        let mut why = Vec::new();
        let pv_class = str_at(pv, "spec.storageClassName").unwrap_or("");
        if pv_class != class {
            why.push(format!("class `{pv_class}`"));
        }
        let size = str_at(pv, "spec.capacity.storage").unwrap_or("0");
        if quantity(size) < quantity(want_size) {
            why.push(format!("capacity {size} < {want_size}"));
        }
        let modes: Vec<&str> = lookup(pv, "spec.accessModes[*]")
            .into_iter()
            .filter_map(Value::as_str)
            .collect();
        if let Some(m) = want_modes.iter().find(|m| !modes.contains(m)) {
            why.push(format!("no {m} access mode"));
        }
        let phase = str_at(pv, "status.phase").unwrap_or("");
        if phase != "Available" {
            why.push(format!("phase {phase}"));
        }
        if !why.is_empty() {
            d = d
                .finding(format!(
                    "PersistentVolume/{pv_name} does not fit: {}",
                    why.join(", ")
                ))
                .object(format!("PersistentVolume/{pv_name}"));
        }
    }
    Ok(d)
}

/// A storage quantity in bytes (`1Gi`, `500Mi`, `10G`); unknown suffixes count as 0.
pub fn quantity(q: &str) -> f64 {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let n: f64 = num.parse().unwrap_or(0.0);
    let mult = match suffix {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0_f64.powi(4),
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        _ => 0.0,
    };
    n * mult
}

#[cfg(test)]
mod tests {
    use super::quantity;

    #[test]
    fn quantities_compare_across_suffixes() {
        assert!(quantity("1Gi") > quantity("500Mi"));
        assert_eq!(quantity("2Gi"), 2.0 * quantity("1Gi"));
        assert!(quantity("1G") < quantity("1Gi"));
        assert_eq!(quantity("10"), 10.0);
    }
}
