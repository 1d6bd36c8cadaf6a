//! "Data lost after restart": what is mounted where mysqld writes?

use crate::eval_support::{mounts, volume_kind};
use crate::path::lookup;
use crate::result::Diagnosis;
use serde_json::Value;

/// Explains where writes to `dir` in this pod end up, and how long they last.
pub fn where_data_goes(pod: &Value, dir: &str) -> Diagnosis {
    let pod_name = crate::cluster::name_of(pod);
    let owner = lookup(pod, "metadata.ownerReferences[*]")
        .into_iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|o| {
            Some(format!(
                "{}/{}",
                o.get("kind")?.as_str()?,
                o.get("name")?.as_str()?
            ))
        });
    let all = mounts(pod);
    let here = all.iter().find(|m| m.path.trim_end_matches('/') == dir.trim_end_matches('/'));
    let mut d = match here.map(|m| (m, volume_kind(pod, &m.volume))) {
        Some((m, Some(("persistentVolumeClaim", claim)))) => Diagnosis::new(format!(
            "{dir} in Pod/{pod_name} is on PersistentVolumeClaim/{claim} (volume `{}`): data there outlives the pod.",
            m.volume
        ))
        .object(format!("PersistentVolumeClaim/{claim}")),
        Some((m, Some(("emptyDir", _)))) => Diagnosis::new(format!(
            "{dir} in Pod/{pod_name} is an emptyDir (volume `{}`): it survives container restarts but is deleted with the pod, \
             so a replacement pod starts empty. Mount a PersistentVolumeClaim at {dir} instead.",
            m.volume
        )),
        Some((m, Some(("hostPath", path)))) => Diagnosis::new(format!(
            "{dir} in Pod/{pod_name} is a hostPath (`{path}`, volume `{}`): it lives on one node, and a replacement \
             scheduled on another node finds an empty directory. Use a PersistentVolumeClaim.",
            m.volume
        )),
        Some((m, other)) => Diagnosis::new(format!(
            "{dir} in Pod/{pod_name} is on volume `{}` ({}), which does not keep data across pods.",
            m.volume,
            other.map(|(k, _)| k).unwrap_or("unknown type")
        )),
        None => Diagnosis::new(format!(
            "Nothing is mounted at {dir} in Pod/{pod_name}: mysqld writes its data into the container's writable layer, \
             which is thrown away with the container, so a replacement starts from an empty data directory."
        )),
    };
    d = d.object(format!("Pod/{pod_name}"));
    if here.is_none() {
        // The classic: a claim mounted next to the data directory.
        for m in &all {
            if let Some(("persistentVolumeClaim", claim)) = volume_kind(pod, &m.volume) {
                d = d
                    .finding(format!(
                        "PersistentVolumeClaim/{claim} is mounted at {} (container `{}`, volumeMounts[].mountPath), not at {dir}: \
                         the claim is Bound and healthy, and nothing is written to it. Set mountPath to {dir}.",
                        m.path, m.container
                    ))
                    .object(format!("PersistentVolumeClaim/{claim}"));
            }
        }
        if !all.iter().any(|m| volume_kind(pod, &m.volume).is_some_and(|(k, _)| k == "persistentVolumeClaim")) {
            d = d.finding(format!(
                "Pod/{pod_name} mounts no PersistentVolumeClaim at all (spec.volumes has no persistentVolumeClaim)."
            ));
        }
    }
    match owner {
        Some(o) => {
            d = d
                .finding(format!("Pod/{pod_name} is managed by {o}: fix the pod template there, not the pod."))
                .object(o);
        }
        None => {
            d = d.finding(format!(
                "Pod/{pod_name} is a bare pod: nothing recreates it after a deletion or a node loss."
            ));
        }
    }
    d
}
