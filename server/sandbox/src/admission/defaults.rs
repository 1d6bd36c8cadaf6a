//! Defaulting of the fields the sandbox (and its future controllers) act on, as the real
//! apiserver's defaulters and admission plugins fill them.

use serde_json::{Value, json};

fn set_default(obj: &mut Value, key: &str, v: Value) {
    if let Some(m) = obj.as_object_mut() {
        let e = m.entry(key.to_string()).or_insert(Value::Null);
        if e.is_null() {
            *e = v;
        }
    }
}

fn obj_mut<'a>(obj: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    let m = obj.as_object_mut()?;
    let e = m.entry(key.to_string()).or_insert_with(|| json!({}));
    if e.is_null() {
        *e = json!({});
    }
    e.is_object().then_some(e)
}

/// The StorageObjectInUseProtection admission plugin: new PVCs and PVs get their protection
/// finalizer (only at creation, so a user may still remove it by hand).
pub fn storage_protection(plural: &str, obj: &mut Value) {
    match plural {
        "persistentvolumeclaims" => add_finalizer(obj, "kubernetes.io/pvc-protection"),
        "persistentvolumes" => add_finalizer(obj, "kubernetes.io/pv-protection"),
        _ => {}
    }
}

fn add_finalizer(obj: &mut Value, f: &str) {
    if let Some(md) = obj_mut(obj, "metadata") {
        let list = md
            .as_object_mut()
            .map(|m| m.entry("finalizers").or_insert_with(|| json!([])));
        if let Some(Value::Array(a)) = list
            && !a.iter().any(|x| x == f)
        {
            a.push(json!(f));
        }
    }
}

/// Default a PodSpec (also used inside templates).
pub fn pod_spec(spec: &mut Value) {
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    for key in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(key).and_then(Value::as_array_mut) {
            for c in cs {
                container(c);
            }
        }
    }
}

fn container(c: &mut Value) {
    let image = c["image"].as_str().unwrap_or_default().to_string();
    let last = image.rsplit('/').next().unwrap_or_default();
    let policy = if image.contains('@') {
        "IfNotPresent"
    } else if !last.contains(':') || last.ends_with(":latest") {
        "Always"
    } else {
        "IfNotPresent"
    };
    set_default(c, "imagePullPolicy", json!(policy));
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    set_default(c, "resources", json!({}));
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            set_default(p, "protocol", json!("TCP"));
        }
    }
}

fn pod_template(obj: &mut Value) {
    if let Some(t) = obj_mut(obj, "template") {
        if let Some(spec) = obj_mut(t, "spec") {
            pod_spec(spec);
        }
        if let Some(md) = obj_mut(t, "metadata") {
            set_default(md, "creationTimestamp", Value::Null);
        }
    }
}

/// Apply defaults for a newly created (or replaced) object of `plural`.
pub fn apply(plural: &str, obj: &mut Value, default_storage_class: Option<&str>) {
    match plural {
        "pods" => {
            if let Some(spec) = obj_mut(obj, "spec") {
                pod_spec(spec);
                let sa = spec["serviceAccountName"]
                    .as_str()
                    .or(spec["serviceAccount"].as_str())
                    .unwrap_or("default")
                    .to_string();
                set_default(spec, "serviceAccountName", json!(sa));
                set_default(spec, "serviceAccount", json!(sa));
                set_default(spec, "enableServiceLinks", json!(true));
                set_default(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
                set_default(spec, "priority", json!(0));
                if spec.get("tolerations").is_none_or(Value::is_null) {
                    spec["tolerations"] = json!([
                        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
                    ]);
                }
            }
            let qos = qos_class(&obj["spec"]);
            if let Some(st) = obj_mut(obj, "status") {
                set_default(st, "phase", json!("Pending"));
                set_default(st, "qosClass", json!(qos));
            }
        }
        "services" => {
            if let Some(spec) = obj_mut(obj, "spec") {
                set_default(spec, "type", json!("ClusterIP"));
                set_default(spec, "sessionAffinity", json!("None"));
                if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports {
                        set_default(p, "protocol", json!("TCP"));
                        let port = p["port"].clone();
                        set_default(p, "targetPort", port);
                    }
                }
                if spec["type"] != "ExternalName" {
                    set_default(spec, "internalTrafficPolicy", json!("Cluster"));
                    set_default(spec, "ipFamilies", json!(["IPv4"]));
                    set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
                }
                if matches!(spec["type"].as_str(), Some("NodePort" | "LoadBalancer")) {
                    set_default(spec, "externalTrafficPolicy", json!("Cluster"));
                }
                if spec["type"] == "LoadBalancer" {
                    set_default(spec, "allocateLoadBalancerNodePorts", json!(true));
                }
            }
            if let Some(st) = obj_mut(obj, "status") {
                set_default(st, "loadBalancer", json!({}));
            }
        }
        "deployments" => {
            if let Some(spec) = obj_mut(obj, "spec") {
                set_default(spec, "replicas", json!(1));
                set_default(spec, "revisionHistoryLimit", json!(10));
                set_default(spec, "progressDeadlineSeconds", json!(600));
                if let Some(st) = obj_mut(spec, "strategy") {
                    set_default(st, "type", json!("RollingUpdate"));
                    if st["type"] == "RollingUpdate"
                        && let Some(ru) = obj_mut(st, "rollingUpdate")
                    {
                        set_default(ru, "maxSurge", json!("25%"));
                        set_default(ru, "maxUnavailable", json!("25%"));
                    }
                }
                pod_template(spec);
            }
        }
        "replicasets" => {
            if let Some(spec) = obj_mut(obj, "spec") {
                set_default(spec, "replicas", json!(1));
                pod_template(spec);
            }
        }
        "daemonsets" => {
            if let Some(spec) = obj_mut(obj, "spec") {
                set_default(spec, "revisionHistoryLimit", json!(10));
                if let Some(st) = obj_mut(spec, "updateStrategy") {
                    set_default(st, "type", json!("RollingUpdate"));
                    if st["type"] == "RollingUpdate"
                        && let Some(ru) = obj_mut(st, "rollingUpdate")
                    {
                        set_default(ru, "maxUnavailable", json!(1));
                        set_default(ru, "maxSurge", json!(0));
                    }
                }
                pod_template(spec);
            }
        }
        "statefulsets" => {
            if let Some(spec) = obj_mut(obj, "spec") {
                set_default(spec, "replicas", json!(1));
                set_default(spec, "podManagementPolicy", json!("OrderedReady"));
                set_default(spec, "revisionHistoryLimit", json!(10));
                if let Some(st) = obj_mut(spec, "updateStrategy") {
                    set_default(st, "type", json!("RollingUpdate"));
                    // NB: like apps/v1 defaulting, partition is only filled in when the
                    // user wrote `rollingUpdate` (kubectl rollout status words it differently).
                    if st["type"] == "RollingUpdate"
                        && st.get("rollingUpdate").is_some_and(Value::is_object)
                        && let Some(ru) = obj_mut(st, "rollingUpdate")
                    {
                        set_default(ru, "partition", json!(0));
                    }
                }
                set_default(
                    spec,
                    "persistentVolumeClaimRetentionPolicy",
                    json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
                );
                if let Some(vcts) = spec
                    .get_mut("volumeClaimTemplates")
                    .and_then(Value::as_array_mut)
                {
                    for t in vcts {
                        set_default(t, "apiVersion", json!("v1"));
                        set_default(t, "kind", json!("PersistentVolumeClaim"));
                        if let Some(s) = obj_mut(t, "spec") {
                            set_default(s, "volumeMode", json!("Filesystem"));
                        }
                        if let Some(s) = obj_mut(t, "status") {
                            set_default(s, "phase", json!("Pending"));
                        }
                    }
                }
                pod_template(spec);
            }
            if let Some(st) = obj_mut(obj, "status") {
                set_default(st, "replicas", json!(0));
                set_default(st, "availableReplicas", json!(0));
            }
        }
        "persistentvolumeclaims" => {
            if let Some(spec) = obj_mut(obj, "spec") {
                set_default(spec, "volumeMode", json!("Filesystem"));
                if spec.get("storageClassName").is_none_or(Value::is_null)
                    && let Some(sc) = default_storage_class
                {
                    spec["storageClassName"] = json!(sc);
                }
            }
            if let Some(st) = obj_mut(obj, "status") {
                set_default(st, "phase", json!("Pending"));
            }
        }
        "persistentvolumes" => {
            if let Some(spec) = obj_mut(obj, "spec") {
                set_default(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
                set_default(spec, "volumeMode", json!("Filesystem"));
            }
            if let Some(st) = obj_mut(obj, "status") {
                set_default(st, "phase", json!("Pending"));
            }
        }
        "namespaces" => {
            let name = obj["metadata"]["name"].clone();
            if let Some(md) = obj_mut(obj, "metadata")
                && let Some(labels) = obj_mut(md, "labels")
            {
                labels["kubernetes.io/metadata.name"] = name;
            }
            if let Some(spec) = obj_mut(obj, "spec") {
                set_default(spec, "finalizers", json!(["kubernetes"]));
            }
            if let Some(st) = obj_mut(obj, "status") {
                set_default(st, "phase", json!("Active"));
            }
        }
        "secrets" => set_default(obj, "type", json!("Opaque")),
        "storageclasses" => {
            set_default(obj, "reclaimPolicy", json!("Delete"));
            set_default(obj, "volumeBindingMode", json!("Immediate"));
        }
        _ => {}
    }
}

/// QoS class from container resources (Guaranteed / Burstable / BestEffort).
pub fn qos_class(spec: &Value) -> &'static str {
    let containers = spec["containers"].as_array().cloned().unwrap_or_default();
    let mut any = false;
    let mut all_guaranteed = !containers.is_empty();
    for c in &containers {
        let req = &c["resources"]["requests"];
        let lim = &c["resources"]["limits"];
        if req.as_object().is_some_and(|m| !m.is_empty())
            || lim.as_object().is_some_and(|m| !m.is_empty())
        {
            any = true;
        }
        for r in ["cpu", "memory"] {
            let l = &lim[r];
            let q = if req[r].is_null() { l } else { &req[r] };
            if l.is_null() || q != l {
                all_guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if all_guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}
