//! Server-side `Table` conversion for `kubectl get`, with kube-apiserver's columns per kind.

use crate::registry::{Printer, ResourceDef};
use serde_json::{Value, json};
use std::sync::Arc;

fn col(name: &str, ty: &str, format: &str, desc: &str, priority: i64) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": desc, "priority": priority})
}

fn name_col() -> Value {
    col(
        "Name",
        "string",
        "name",
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
        0,
    )
}

fn age_col() -> Value {
    col(
        "Age",
        "string",
        "",
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        0,
    )
}

fn s(name: &str) -> Value {
    col(name, "string", "", "", 0)
}

fn wide(name: &str) -> Value {
    col(name, "string", "", "", 1)
}

fn int(name: &str) -> Value {
    col(name, "integer", "", "", 0)
}

/// Column definitions for a kind.
pub fn columns(def: &ResourceDef) -> Vec<Value> {
    match def.printer {
        Printer::Pod => vec![
            name_col(),
            s("Ready"),
            s("Status"),
            s("Restarts"),
            age_col(),
            wide("IP"),
            wide("Node"),
            wide("Nominated Node"),
            wide("Readiness Gates"),
        ],
        Printer::Service => vec![
            name_col(),
            s("Type"),
            s("Cluster-IP"),
            s("External-IP"),
            s("Port(s)"),
            age_col(),
            wide("Selector"),
        ],
        Printer::Endpoints => vec![name_col(), s("Endpoints"), age_col()],
        Printer::ConfigMap => vec![name_col(), int("Data"), age_col()],
        Printer::Secret => vec![name_col(), s("Type"), int("Data"), age_col()],
        Printer::ServiceAccount => vec![name_col(), int("Secrets"), age_col()],
        Printer::Event => vec![
            s("Last Seen"),
            s("Type"),
            s("Reason"),
            s("Object"),
            wide("Subobject"),
            wide("Source"),
            s("Message"),
            wide("First Seen"),
            wide("Count"),
            wide("Name"),
        ],
        Printer::EventsV1 => vec![
            s("Last Seen"),
            s("Type"),
            s("Reason"),
            s("Object"),
            s("Message"),
        ],
        Printer::Namespace => vec![name_col(), s("Status"), age_col()],
        Printer::Pvc => vec![
            name_col(),
            s("Status"),
            s("Volume"),
            s("Capacity"),
            s("Access Modes"),
            s("StorageClass"),
            s("VolumeAttributesClass"),
            age_col(),
            wide("VolumeMode"),
        ],
        Printer::Pv => vec![
            name_col(),
            s("Capacity"),
            s("Access Modes"),
            s("Reclaim Policy"),
            s("Status"),
            s("Claim"),
            s("StorageClass"),
            s("VolumeAttributesClass"),
            s("Reason"),
            age_col(),
            wide("VolumeMode"),
        ],
        Printer::Node => vec![
            name_col(),
            s("Status"),
            s("Roles"),
            age_col(),
            s("Version"),
            wide("Internal-IP"),
            wide("External-IP"),
            wide("OS-Image"),
            wide("Kernel-Version"),
            wide("Container-Runtime"),
        ],
        Printer::Deployment => vec![
            name_col(),
            s("Ready"),
            int("Up-to-date"),
            int("Available"),
            age_col(),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ],
        Printer::ReplicaSet => vec![
            name_col(),
            int("Desired"),
            int("Current"),
            int("Ready"),
            age_col(),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ],
        Printer::DaemonSet => vec![
            name_col(),
            int("Desired"),
            int("Current"),
            int("Ready"),
            int("Up-to-date"),
            int("Available"),
            s("Node Selector"),
            age_col(),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ],
        Printer::StatefulSet => vec![
            name_col(),
            s("Ready"),
            age_col(),
            wide("Containers"),
            wide("Images"),
        ],
        Printer::ControllerRevision => {
            vec![name_col(), s("Controller"), int("Revision"), age_col()]
        }
        Printer::StorageClass => vec![
            name_col(),
            s("Provisioner"),
            s("ReclaimPolicy"),
            s("VolumeBindingMode"),
            s("AllowVolumeExpansion"),
            age_col(),
        ],
        Printer::EndpointSlice => vec![
            name_col(),
            s("AddressType"),
            s("Ports"),
            s("Endpoints"),
            age_col(),
        ],
        Printer::Role => vec![name_col(), s("Created At")],
        Printer::RoleBinding => vec![
            name_col(),
            s("Role"),
            age_col(),
            wide("Users"),
            wide("Groups"),
            wide("ServiceAccounts"),
        ],
        Printer::ClusterRoleBinding => vec![
            name_col(),
            s("Role"),
            age_col(),
            wide("Users"),
            wide("Groups"),
            wide("ServiceAccounts"),
        ],
        Printer::Lease => vec![name_col(), s("Holder"), age_col()],
        Printer::ResourceQuota => vec![name_col(), age_col(), s("Request"), s("Limit")],
        Printer::LimitRange => vec![name_col(), s("Created At")],
        Printer::Default => vec![name_col(), s("Created At")],
    }
}

/// Human age like kubectl's `duration.HumanDuration`.
pub fn age(ts: &Value) -> String {
    let Some(t) = ts
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    else {
        return "<unknown>".into();
    };
    let secs = (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds();
    human_duration(secs)
}

/// kubectl's HumanDuration.
pub fn human_duration(secs: i64) -> String {
    if secs < 0 {
        return "0s".into();
    }
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        if secs % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", secs % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if h < 24 * 365 * 2 {
        format!("{d}d")
    } else if h < 24 * 365 * 8 {
        let y = d / 365;
        if d % 365 == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{}d", d % 365)
        }
    } else {
        format!("{}y", d / 365)
    }
}

/// `app=web,tier in (a,b)` from a LabelSelector object.
pub fn selector_string(sel: &Value) -> String {
    let mut parts: Vec<String> = sel["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let key = e["key"].as_str().unwrap_or_default();
        let vals: Vec<&str> = e["values"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        parts.push(match e["operator"].as_str().unwrap_or_default() {
            "In" => format!("{key} in ({})", vals.join(",")),
            "NotIn" => format!("{key} notin ({})", vals.join(",")),
            "Exists" => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    parts.join(",")
}

fn str_or<'a>(v: &'a Value, d: &'a str) -> &'a str {
    v.as_str().filter(|s| !s.is_empty()).unwrap_or(d)
}

fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn access_modes(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|m| match m {
                    "ReadWriteOnce" => "RWO",
                    "ReadOnlyMany" => "ROX",
                    "ReadWriteMany" => "RWX",
                    "ReadWriteOncePod" => "RWOP",
                    other => other,
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn containers_images(spec: &Value) -> (String, String) {
    let cs = spec["containers"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = cs.iter().filter_map(|c| c["name"].as_str()).collect();
    let images: Vec<&str> = cs.iter().filter_map(|c| c["image"].as_str()).collect();
    (names.join(","), images.join(","))
}

fn pod_status(obj: &Value) -> String {
    if !obj["metadata"]["deletionTimestamp"].is_null() {
        return "Terminating".into();
    }
    let st = &obj["status"];
    if let Some(r) = st["reason"].as_str() {
        return r.into();
    }
    let mut reason = str_or(&st["phase"], "Pending").to_string();
    for cs in st["containerStatuses"].as_array().into_iter().flatten() {
        if let Some(w) = cs["state"]["waiting"]["reason"].as_str() {
            reason = w.into();
        } else if let Some(t) = cs["state"]["terminated"]["reason"].as_str() {
            reason = t.into();
        }
    }
    reason
}

fn service_ports(spec: &Value) -> String {
    let ports: Vec<String> = spec["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let proto = str_or(&p["protocol"], "TCP");
            match p["nodePort"].as_i64() {
                Some(np) => format!("{}:{np}/{proto}", i(&p["port"])),
                None => format!("{}/{proto}", i(&p["port"])),
            }
        })
        .collect();
    if ports.is_empty() {
        "<none>".into()
    } else {
        ports.join(",")
    }
}

fn external_ip(obj: &Value) -> String {
    let spec = &obj["spec"];
    let ty = str_or(&spec["type"], "ClusterIP");
    let ext: Vec<String> = spec["externalIPs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    match ty {
        "ExternalName" => str_or(&spec["externalName"], "<none>").into(),
        "LoadBalancer" => {
            let ing: Vec<String> = obj["status"]["loadBalancer"]["ingress"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| {
                            v["ip"]
                                .as_str()
                                .or(v["hostname"].as_str())
                                .map(String::from)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let all: Vec<String> = ing.into_iter().chain(ext).collect();
            if all.is_empty() {
                "<pending>".into()
            } else {
                all.join(",")
            }
        }
        _ => {
            if ext.is_empty() {
                "<none>".into()
            } else {
                ext.join(",")
            }
        }
    }
}

fn subjects(obj: &Value, kind: &str) -> String {
    let v: Vec<String> = obj["subjects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["kind"] == kind)
        .map(|s| {
            if kind == "ServiceAccount" {
                format!(
                    "{}/{}",
                    s["namespace"].as_str().unwrap_or_default(),
                    s["name"].as_str().unwrap_or_default()
                )
            } else {
                s["name"].as_str().unwrap_or_default().to_string()
            }
        })
        .collect();
    v.join(", ")
}

fn event_object(obj: &Value, key: &str) -> String {
    let io = &obj[key];
    format!(
        "{}/{}",
        io["kind"].as_str().unwrap_or_default().to_lowercase(),
        io["name"].as_str().unwrap_or_default()
    )
}

/// Row cells for an object.
pub fn cells(def: &ResourceDef, obj: &Value) -> Vec<Value> {
    let md = &obj["metadata"];
    let name = json!(md["name"]);
    let age_v = json!(age(&md["creationTimestamp"]));
    let spec = &obj["spec"];
    let st = &obj["status"];
    match def.printer {
        Printer::Pod => {
            let total = spec["containers"].as_array().map(Vec::len).unwrap_or(0);
            let statuses = st["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let ready = statuses.iter().filter(|c| c["ready"] == true).count();
            let restarts: i64 = statuses.iter().map(|c| i(&c["restartCount"])).sum();
            let gates = spec["readinessGates"]
                .as_array()
                .map(|g| format!("0/{}", g.len()))
                .unwrap_or_else(|| "<none>".into());
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(pod_status(obj)),
                json!(restarts.to_string()),
                age_v,
                json!(str_or(&st["podIP"], "<none>")),
                json!(str_or(&spec["nodeName"], "<none>")),
                json!(str_or(&st["nominatedNodeName"], "<none>")),
                json!(gates),
            ]
        }
        Printer::Service => {
            let sel = spec["selector"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<none>".into());
            vec![
                name,
                json!(str_or(&spec["type"], "ClusterIP")),
                json!(str_or(&spec["clusterIP"], "<none>")),
                json!(external_ip(obj)),
                json!(service_ports(spec)),
                age_v,
                json!(sel),
            ]
        }
        Printer::Endpoints => {
            let mut eps = Vec::new();
            for sub in obj["subsets"].as_array().into_iter().flatten() {
                for a in sub["addresses"].as_array().into_iter().flatten() {
                    for p in sub["ports"].as_array().into_iter().flatten() {
                        eps.push(format!(
                            "{}:{}",
                            a["ip"].as_str().unwrap_or_default(),
                            i(&p["port"])
                        ));
                    }
                }
            }
            let shown = if eps.is_empty() {
                "<none>".to_string()
            } else if eps.len() > 3 {
                format!("{} + {} more...", eps[..3].join(","), eps.len() - 3)
            } else {
                eps.join(",")
            };
            vec![name, json!(shown), age_v]
        }
        Printer::ConfigMap => {
            let n = obj["data"].as_object().map(|m| m.len()).unwrap_or(0)
                + obj["binaryData"].as_object().map(|m| m.len()).unwrap_or(0);
            vec![name, json!(n), age_v]
        }
        Printer::Secret => {
            let n = obj["data"].as_object().map(|m| m.len()).unwrap_or(0);
            vec![name, json!(str_or(&obj["type"], "Opaque")), json!(n), age_v]
        }
        Printer::ServiceAccount => vec![
            name,
            json!(obj["secrets"].as_array().map(Vec::len).unwrap_or(0)),
            age_v,
        ],
        Printer::Event => {
            let last = if obj["lastTimestamp"].is_null() {
                &obj["eventTime"]
            } else {
                &obj["lastTimestamp"]
            };
            let first = if obj["firstTimestamp"].is_null() {
                &obj["eventTime"]
            } else {
                &obj["firstTimestamp"]
            };
            vec![
                json!(age(last)),
                json!(obj["type"].as_str().unwrap_or_default()),
                json!(obj["reason"].as_str().unwrap_or_default()),
                json!(event_object(obj, "involvedObject")),
                json!(
                    obj["involvedObject"]["fieldPath"]
                        .as_str()
                        .unwrap_or_default()
                ),
                json!(obj["source"]["component"].as_str().unwrap_or_default()),
                json!(obj["message"].as_str().unwrap_or_default()),
                json!(age(first)),
                json!(i(&obj["count"]).max(1)),
                name,
            ]
        }
        Printer::EventsV1 => vec![
            json!(age(&obj["eventTime"])),
            json!(obj["type"].as_str().unwrap_or_default()),
            json!(obj["reason"].as_str().unwrap_or_default()),
            json!(event_object(obj, "regarding")),
            json!(obj["note"].as_str().unwrap_or_default()),
        ],
        Printer::Namespace => vec![name, json!(str_or(&st["phase"], "Active")), age_v],
        Printer::Pvc => {
            let phase = if md["deletionTimestamp"].is_null() {
                str_or(&st["phase"], "Pending")
            } else {
                "Terminating"
            };
            vec![
                name,
                json!(phase),
                json!(spec["volumeName"].as_str().unwrap_or_default()),
                json!(st["capacity"]["storage"].as_str().unwrap_or_default()),
                json!(access_modes(&st["accessModes"])),
                json!(spec["storageClassName"].as_str().unwrap_or_default()),
                json!(str_or(&spec["volumeAttributesClassName"], "<unset>")),
                age_v,
                json!(str_or(&spec["volumeMode"], "Filesystem")),
            ]
        }
        Printer::Pv => {
            let claim = if spec["claimRef"].is_null() {
                String::new()
            } else {
                format!(
                    "{}/{}",
                    spec["claimRef"]["namespace"].as_str().unwrap_or_default(),
                    spec["claimRef"]["name"].as_str().unwrap_or_default()
                )
            };
            let phase = if md["deletionTimestamp"].is_null() {
                str_or(&st["phase"], "Pending")
            } else {
                "Terminating"
            };
            vec![
                name,
                json!(spec["capacity"]["storage"].as_str().unwrap_or_default()),
                json!(access_modes(&spec["accessModes"])),
                json!(str_or(&spec["persistentVolumeReclaimPolicy"], "Retain")),
                json!(phase),
                json!(claim),
                json!(spec["storageClassName"].as_str().unwrap_or_default()),
                json!(str_or(&spec["volumeAttributesClassName"], "<unset>")),
                json!(st["reason"].as_str().unwrap_or_default()),
                age_v,
                json!(str_or(&spec["volumeMode"], "Filesystem")),
            ]
        }
        Printer::Node => {
            let ready = st["conditions"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
                .map(|c| {
                    if c["status"] == "True" {
                        "Ready"
                    } else {
                        "NotReady"
                    }
                })
                .unwrap_or("Unknown");
            let mut status = ready.to_string();
            if spec["unschedulable"] == true {
                status.push_str(",SchedulingDisabled");
            }
            let roles: Vec<String> = md["labels"]
                .as_object()
                .map(|m| {
                    m.keys()
                        .filter_map(|k| {
                            k.strip_prefix("node-role.kubernetes.io/").map(String::from)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let addr = |t: &str| {
                st["addresses"]
                    .as_array()
                    .and_then(|a| a.iter().find(|x| x["type"] == t))
                    .and_then(|x| x["address"].as_str())
                    .unwrap_or("<none>")
                    .to_string()
            };
            let ni = &st["nodeInfo"];
            vec![
                name,
                json!(status),
                json!(if roles.is_empty() {
                    "<none>".to_string()
                } else {
                    roles.join(",")
                }),
                age_v,
                json!(ni["kubeletVersion"].as_str().unwrap_or_default()),
                json!(addr("InternalIP")),
                json!(addr("ExternalIP")),
                json!(ni["osImage"].as_str().unwrap_or_default()),
                json!(ni["kernelVersion"].as_str().unwrap_or_default()),
                json!(ni["containerRuntimeVersion"].as_str().unwrap_or_default()),
            ]
        }
        Printer::Deployment => {
            let (c, im) = containers_images(&spec["template"]["spec"]);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    i(&st["readyReplicas"]),
                    i(&spec["replicas"])
                )),
                json!(i(&st["updatedReplicas"])),
                json!(i(&st["availableReplicas"])),
                age_v,
                json!(c),
                json!(im),
                json!(selector_string(&spec["selector"])),
            ]
        }
        Printer::ReplicaSet => {
            let (c, im) = containers_images(&spec["template"]["spec"]);
            vec![
                name,
                json!(i(&spec["replicas"])),
                json!(i(&st["replicas"])),
                json!(i(&st["readyReplicas"])),
                age_v,
                json!(c),
                json!(im),
                json!(selector_string(&spec["selector"])),
            ]
        }
        Printer::DaemonSet => {
            let (c, im) = containers_images(&spec["template"]["spec"]);
            let node_selector = spec["template"]["spec"]["nodeSelector"]
                .as_object()
                .filter(|m| !m.is_empty())
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_else(|| "<none>".into());
            vec![
                name,
                json!(i(&st["desiredNumberScheduled"])),
                json!(i(&st["currentNumberScheduled"])),
                json!(i(&st["numberReady"])),
                json!(i(&st["updatedNumberScheduled"])),
                json!(i(&st["numberAvailable"])),
                json!(node_selector),
                age_v,
                json!(c),
                json!(im),
                json!(selector_string(&spec["selector"])),
            ]
        }
        Printer::StatefulSet => {
            let (c, im) = containers_images(&spec["template"]["spec"]);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    i(&st["readyReplicas"]),
                    i(&spec["replicas"])
                )),
                age_v,
                json!(c),
                json!(im),
            ]
        }
        Printer::ControllerRevision => {
            let controller = md["ownerReferences"]
                .as_array()
                .and_then(|refs| refs.iter().find(|r| r["controller"] == true))
                .map(|r| {
                    let api = r["apiVersion"].as_str().unwrap_or_default();
                    let group = api.split_once('/').map(|(g, _)| g).unwrap_or_default();
                    let kind = r["kind"].as_str().unwrap_or_default().to_lowercase();
                    let kind = if group.is_empty() {
                        kind
                    } else {
                        format!("{kind}.{group}")
                    };
                    format!("{kind}/{}", r["name"].as_str().unwrap_or_default())
                })
                .unwrap_or_else(|| "<none>".into());
            vec![name, json!(controller), json!(i(&obj["revision"])), age_v]
        }
        Printer::StorageClass => {
            let mut n = md["name"].as_str().unwrap_or_default().to_string();
            if md["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true" {
                n.push_str(" (default)");
            }
            vec![
                json!(n),
                json!(obj["provisioner"].as_str().unwrap_or_default()),
                json!(str_or(&obj["reclaimPolicy"], "Delete")),
                json!(str_or(&obj["volumeBindingMode"], "Immediate")),
                json!(
                    obj["allowVolumeExpansion"]
                        .as_bool()
                        .unwrap_or(false)
                        .to_string()
                ),
                age_v,
            ]
        }
        Printer::EndpointSlice => {
            let ports: Vec<String> = obj["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| i(&p["port"]).to_string())
                .collect();
            let eps: Vec<String> = obj["endpoints"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|e| e["addresses"].as_array().cloned().unwrap_or_default())
                .filter_map(|a| a.as_str().map(String::from))
                .collect();
            vec![
                name,
                json!(obj["addressType"].as_str().unwrap_or_default()),
                json!(if ports.is_empty() {
                    "<unset>".into()
                } else {
                    ports.join(",")
                }),
                json!(if eps.is_empty() {
                    "<unset>".into()
                } else {
                    eps.join(",")
                }),
                age_v,
            ]
        }
        Printer::Role | Printer::LimitRange | Printer::Default => {
            vec![
                name,
                json!(md["creationTimestamp"].as_str().unwrap_or_default()),
            ]
        }
        Printer::RoleBinding | Printer::ClusterRoleBinding => vec![
            name,
            json!(format!(
                "{}/{}",
                obj["roleRef"]["kind"].as_str().unwrap_or_default(),
                obj["roleRef"]["name"].as_str().unwrap_or_default()
            )),
            age_v,
            json!(subjects(obj, "User")),
            json!(subjects(obj, "Group")),
            json!(subjects(obj, "ServiceAccount")),
        ],
        Printer::Lease => vec![
            name,
            json!(spec["holderIdentity"].as_str().unwrap_or_default()),
            age_v,
        ],
        Printer::ResourceQuota => {
            let fmt = |prefix: bool| -> String {
                let hard = st["hard"].as_object().cloned().unwrap_or_default();
                let used = &st["used"];
                hard.iter()
                    .filter(|(k, _)| {
                        k.starts_with("limits.") != prefix || (!prefix && !k.starts_with("limits."))
                    })
                    .filter(|(k, _)| {
                        if prefix {
                            k.starts_with("limits.")
                        } else {
                            !k.starts_with("limits.")
                        }
                    })
                    .map(|(k, v)| {
                        format!(
                            "{k}: {}/{}",
                            used[k].as_str().unwrap_or("0"),
                            v.as_str().unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![name, age_v, json!(fmt(false)), json!(fmt(true))]
        }
    }
}

/// `PartialObjectMetadata` for a row's `object` (kubectl's default `includeObject=Metadata`).
/// What each row's `object` holds (`includeObject` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Include {
    None,
    /// `PartialObjectMetadata` (the default).
    #[default]
    Metadata,
    /// The whole object (kubectl asks for it with `--sort-by`).
    Object,
}

fn partial(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]})
}

/// A Table for objects; `headers` false omits column definitions (watch events after the first).
pub fn table(
    def: &ResourceDef,
    objs: &[Arc<Value>],
    headers: bool,
    rv: &str,
    include: Include,
) -> Value {
    let rows: Vec<Value> = objs
        .iter()
        .map(|o| {
            let object = match include {
                Include::None => Value::Null,
                Include::Metadata => partial(o),
                Include::Object => (**o).clone(),
            };
            json!({"cells": cells(def, o), "object": object})
        })
        .collect();
    let mut t = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": if headers { Value::Array(columns(def)) } else { Value::Null },
        "rows": rows,
    });
    if !headers {
        t["columnDefinitions"] = Value::Null;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(3 * 86400), "3d");
    }
}

#[cfg(test)]
mod row_tests {
    use super::*;
    use crate::registry::{def, ids};
    use serde_json::json;

    #[test]
    fn pod_and_service_rows_match_kubectl_columns() {
        let pod = json!({"metadata": {"name": "web-0", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "kind-worker"},
            "status": {"phase": "Running", "podIP": "10.244.1.5",
                "containerStatuses": [{"ready": true, "restartCount": 2}, {"ready": false, "restartCount": 1}]}});
        let row = cells(def(*ids::PODS), &pod);
        assert_eq!(
            row[..4],
            [json!("web-0"), json!("1/2"), json!("Running"), json!("3")]
        );
        assert_eq!(row[5..7], [json!("10.244.1.5"), json!("kind-worker")]);
        let names: Vec<String> = columns(def(*ids::PODS))
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_uppercase))
            .collect();
        assert_eq!(
            names,
            [
                "NAME",
                "READY",
                "STATUS",
                "RESTARTS",
                "AGE",
                "IP",
                "NODE",
                "NOMINATED NODE",
                "READINESS GATES"
            ]
        );
        let svc = json!({"metadata": {"name": "web"}, "spec": {"type": "NodePort", "clusterIP": "10.96.0.7",
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}});
        let row = cells(def(*ids::SERVICES), &svc);
        assert_eq!(
            row[1..5],
            [
                json!("NodePort"),
                json!("10.96.0.7"),
                json!("<none>"),
                json!("80:30080/TCP")
            ]
        );
        let terminating = json!({"metadata": {"name": "x", "deletionTimestamp": "2020-01-01T00:00:00Z"}, "spec": {}, "status": {"phase": "Running"}});
        assert_eq!(
            cells(def(*ids::PODS), &terminating)[2],
            json!("Terminating")
        );
    }
}
