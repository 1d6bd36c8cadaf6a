//! Small helpers the workload and storage controllers share: owner references, pod state,
//! names and hashes like the real controllers produce.

use crate::admission::meta;
use crate::api::selector::label_selector_matches;
use serde_json::{Value, json};

/// The field manager (and Event source host) controllers write as.
pub const MANAGER: &str = "kube-controller-manager";

/// Alphabet of `rand.String` / `SafeEncodeString` in apimachinery (no vowels, no confusables).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `n` random characters from apimachinery's safe alphabet (pod and slice name suffixes).
pub fn random_suffix(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(ALPHANUMS[rng.random_range(0..ALPHANUMS.len())]))
        .collect()
}

/// `rand.SafeEncodeString(fmt.Sprint(fnv32a(v)))`: how pod-template-hash and controller
/// revision hashes look (e.g. `7d9c6b8f5`).
pub fn template_hash(v: &Value) -> String {
    // NB: serde_json maps are sorted, so the serialisation is canonical.
    let text = v.to_string();
    let mut h: u32 = 0x811c_9dc5;
    for b in text.as_bytes() {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string()
        .bytes()
        .map(|b| char::from(ALPHANUMS[usize::from(b) % ALPHANUMS.len()]))
        .collect()
}

/// A controller ownerReference to `owner`.
pub fn controller_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta::name_of(owner),
        "uid": meta::uid_of(owner),
        "controller": true,
        "blockOwnerDeletion": true
    })
}

/// The uid of the object's controller (the ownerReference with `controller: true`).
pub fn controller_uid(obj: &Value) -> Option<&str> {
    obj["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
        .and_then(|r| r["uid"].as_str())
}

/// The name of the object's controller if it is of `kind`.
pub fn controller_name<'a>(obj: &'a Value, kind: &str) -> Option<&'a str> {
    obj["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true && r["kind"] == kind)
        .and_then(|r| r["name"].as_str())
}

/// Whether the object is being deleted.
pub fn is_terminating(obj: &Value) -> bool {
    !obj["metadata"]["deletionTimestamp"].is_null()
}

/// Pod phase is Succeeded or Failed.
pub fn is_pod_finished(pod: &Value) -> bool {
    matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    )
}

/// Pod has the `Ready` condition True.
pub fn is_pod_ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// `Phase == Running && Ready`, the StatefulSet controller's health check.
pub fn is_running_and_ready(pod: &Value) -> bool {
    pod["status"]["phase"] == "Running" && is_pod_ready(pod) && !is_terminating(pod)
}

/// Ready for at least `min_ready_seconds` (the Ready condition's lastTransitionTime).
pub fn is_pod_available(pod: &Value, min_ready_seconds: i64) -> bool {
    if !is_pod_ready(pod) || is_terminating(pod) {
        return false;
    }
    if min_ready_seconds <= 0 {
        return true;
    }
    let since = pod["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .and_then(|c| c["lastTransitionTime"].as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    since.is_some_and(|t| {
        (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds() >= min_ready_seconds
    })
}

/// Whether a `metav1.LabelSelector` matches the object's labels. An empty selector matches
/// nothing here: workload controllers never select every pod.
pub fn selects(selector: &Value, obj: &Value) -> bool {
    let empty = selector["matchLabels"]
        .as_object()
        .is_none_or(|m| m.is_empty())
        && selector["matchExpressions"]
            .as_array()
            .is_none_or(|e| e.is_empty());
    !empty && label_selector_matches(selector, &obj["metadata"]["labels"])
}

/// Integer or percentage (`25%`) of `total`, rounded up or down (intstr.GetScaledValueFromIntOrPercent).
pub fn scaled_value(v: &Value, total: i64, round_up: bool) -> i64 {
    if let Some(n) = v.as_i64() {
        return n;
    }
    let Some(p) = v
        .as_str()
        .and_then(|s| s.strip_suffix('%'))
        .and_then(|s| s.trim().parse::<i64>().ok())
    else {
        return 0;
    };
    let x = p * total;
    if round_up { (x + 99) / 100 } else { x / 100 }
}

/// Pod names a volume list refers to through `persistentVolumeClaim.claimName`.
pub fn pod_claim_names(pod: &Value) -> Vec<&str> {
    pod["spec"]["volumes"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// Set (or replace) one condition in `status.conditions`, keeping `lastTransitionTime` when the
/// status did not change, and returning whether anything changed.
pub fn set_condition(status: &mut Value, cond: Value, with_update_time: bool) {
    let now = meta::now();
    let ty = cond["type"].clone();
    if !status["conditions"].is_array() {
        status["conditions"] = json!([]);
    }
    let Some(list) = status["conditions"].as_array_mut() else {
        return;
    };
    let mut new = cond;
    if let Some(old) = list.iter().find(|c| c["type"] == ty) {
        let same_status = old["status"] == new["status"];
        let same_text =
            same_status && old["reason"] == new["reason"] && old["message"] == new["message"];
        new["lastTransitionTime"] = if same_status {
            old["lastTransitionTime"].clone()
        } else {
            json!(now)
        };
        if with_update_time {
            new["lastUpdateTime"] = if same_text {
                old["lastUpdateTime"].clone()
            } else {
                json!(now)
            };
        }
    } else {
        new["lastTransitionTime"] = json!(now);
        if with_update_time {
            new["lastUpdateTime"] = json!(now);
        }
    }
    if let Some(slot) = list.iter_mut().find(|c| c["type"] == ty) {
        *slot = new;
    } else {
        list.push(new);
    }
}

/// Adopt an orphan: add a controller ownerReference to `owner` unless the object got a
/// controller meanwhile. Returns the object when `owner` controls it afterwards.
pub fn adopt(
    cx: &super::Cx,
    res: crate::registry::ResourceId,
    obj: &Value,
    owner: &Value,
) -> Option<std::sync::Arc<Value>> {
    let owner_ref = controller_ref(owner);
    let uid = meta::uid_of(owner);
    let out = cx.update(res, meta::namespace_of(obj), meta::name_of(obj), |v| {
        if controller_uid(v).is_some() {
            return;
        }
        let md = meta::metadata(v);
        let refs = md.entry("ownerReferences").or_insert_with(|| json!([]));
        if let Some(a) = refs.as_array_mut() {
            a.push(owner_ref);
        }
    })?;
    (controller_uid(&out) == Some(uid)).then_some(out)
}

/// Owners of `kind` in the namespace whose selector matches an orphan `obj` (for keys_for).
pub fn adopters(
    cx: &super::Cx,
    res: crate::registry::ResourceId,
    ns: &str,
    obj: &Value,
) -> Vec<String> {
    if controller_uid(obj).is_some() || is_terminating(obj) {
        return Vec::new();
    }
    cx.list(res, Some(ns))
        .iter()
        .filter(|o| selects(&o["spec"]["selector"], obj))
        .map(|o| meta::name_of(o).to_string())
        .collect()
}

/// A pod object from a pod template (labels, annotations and spec), without name or owner.
pub fn pod_from_template(template: &Value) -> Value {
    let mut md = json!({});
    for k in ["labels", "annotations"] {
        if let Some(m) = template["metadata"][k].as_object()
            && !m.is_empty()
        {
            md[k] = Value::Object(m.clone());
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": md,
        "spec": template["spec"].clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_use_the_safe_alphabet_and_are_stable() {
        let a = template_hash(&json!({"spec": {"containers": [{"image": "nginx"}]}}));
        let b = template_hash(&json!({"spec": {"containers": [{"image": "nginx"}]}}));
        let c = template_hash(&json!({"spec": {"containers": [{"image": "nginx:2"}]}}));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.bytes().all(|x| ALPHANUMS.contains(&x)));
        assert_eq!(random_suffix(5).len(), 5);
    }

    #[test]
    fn percentages_round_like_intstr() {
        assert_eq!(scaled_value(&json!("25%"), 3, true), 1);
        assert_eq!(scaled_value(&json!("25%"), 3, false), 0);
        assert_eq!(scaled_value(&json!(2), 3, false), 2);
    }
}
