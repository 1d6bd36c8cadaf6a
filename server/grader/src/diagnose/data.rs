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
    let here = all
        .iter()
        .find(|m| m.path.trim_end_matches('/') == dir.trim_end_matches('/'));
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
        if !all
            .iter()
            .any(|m| volume_kind(pod, &m.volume).is_some_and(|(k, _)| k == "persistentVolumeClaim"))
        {
            d = d.finding(format!(
                "Pod/{pod_name} mounts no PersistentVolumeClaim at all (spec.volumes has no persistentVolumeClaim)."
            ));
        }
    }
    match owner {
        Some(o) => {
            d = d
                .finding(format!(
                    "Pod/{pod_name} is managed by {o}: fix the pod template there, not the pod."
                ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(mount: Option<&str>, volume: Value, owned: bool) -> Value {
        let mounts = mount
            .map(|m| json!([{"name": "data", "mountPath": m}]))
            .unwrap_or(json!([]));
        let owners = if owned {
            json!([{"kind": "StatefulSet", "name": "db", "controller": true, "uid": "u"}])
        } else {
            json!([])
        };
        json!({"metadata": {"name": "db-0", "ownerReferences": owners},
               "spec": {"containers": [{"name": "mysql", "volumeMounts": mounts}],
                        "volumes": [volume]}})
    }

    #[test]
    fn each_cause_of_data_loss_is_named() {
        let empty = pod(
            Some("/var/lib/mysql"),
            json!({"name": "data", "emptyDir": {}}),
            true,
        );
        assert!(
            where_data_goes(&empty, "/var/lib/mysql")
                .text()
                .contains("is an emptyDir")
        );
        let host = pod(
            Some("/var/lib/mysql"),
            json!({"name": "data", "hostPath": {"path": "/srv/db"}}),
            true,
        );
        assert!(
            where_data_goes(&host, "/var/lib/mysql")
                .text()
                .contains("hostPath (`/srv/db`")
        );
        let wrong = pod(
            Some("/data"),
            json!({"name": "data", "persistentVolumeClaim": {"claimName": "c"}}),
            true,
        );
        let text = where_data_goes(&wrong, "/var/lib/mysql").text();
        assert!(
            text.contains("Nothing is mounted at /var/lib/mysql"),
            "{text}"
        );
        assert!(
            text.contains("PersistentVolumeClaim/c is mounted at /data"),
            "{text}"
        );
        assert!(text.contains("managed by StatefulSet/db"), "{text}");
        let none = pod(
            None,
            json!({"name": "x", "configMap": {"name": "cm"}}),
            false,
        );
        let text = where_data_goes(&none, "/var/lib/mysql").text();
        assert!(text.contains("mounts no PersistentVolumeClaim"), "{text}");
        assert!(text.contains("bare pod"), "{text}");
        let good = pod(
            Some("/var/lib/mysql/"),
            json!({"name": "data", "persistentVolumeClaim": {"claimName": "c"}}),
            true,
        );
        assert!(
            where_data_goes(&good, "/var/lib/mysql")
                .text()
                .contains("outlives the pod")
        );
    }
}
