//! Building the picture's [`ClusterSnapshot`] from the Kubernetes objects the watchers hold.
//! Pure functions: no I/O, so every rule (what STATUS says, which pods a Service sends traffic
//! to, where a volume's data lives) is unit-tested here.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    Event, Node, PersistentVolume, PersistentVolumeClaim, Pod, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kubedojo_app::lab::picture::model::{
    ClaimInfo, ClusterSnapshot, EventInfo, NodeInfo, PodInfo, ServiceInfo, StorageClassInfo,
    VolumeInfo,
};

/// How many of the most recent Events the picture's timeline gets.
pub const MAX_EVENTS: usize = 20;

const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
const CONTROL_PLANE_LABEL: &str = "node-role.kubernetes.io/control-plane";
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// The objects a snapshot is built from (the watchers' stores, at one moment).
#[derive(Debug, Default)]
pub struct Objects {
    /// The learner's namespace: services, pods, claims, slices and events are from it.
    pub namespace: String,
    pub nodes: Vec<Arc<Node>>,
    pub services: Vec<Arc<Service>>,
    pub endpoint_slices: Vec<Arc<EndpointSlice>>,
    pub pods: Vec<Arc<Pod>>,
    pub claims: Vec<Arc<PersistentVolumeClaim>>,
    pub volumes: Vec<Arc<PersistentVolume>>,
    pub storage_classes: Vec<Arc<StorageClass>>,
    pub events: Vec<Arc<Event>>,
}

/// The snapshot number `seq` of `objects`, built at `now_ms`. Everything is sorted by name so
/// the same cluster always gives the same picture.
pub fn build(objects: &Objects, seq: u64, now_ms: i64) -> ClusterSnapshot {
    let ns = objects.namespace.as_str();
    let mut snapshot = ClusterSnapshot {
        seq,
        generated_at_ms: now_ms,
        namespace: ns.to_string(),
        nodes: objects.nodes.iter().map(|n| node(n)).collect(),
        services: objects
            .services
            .iter()
            .filter(|s| in_namespace(&s.metadata, ns))
            .map(|s| service(s, ns, &objects.endpoint_slices))
            .collect(),
        pods: objects
            .pods
            .iter()
            .filter(|p| in_namespace(&p.metadata, ns))
            .map(|p| pod(p, ns))
            .collect(),
        claims: objects
            .claims
            .iter()
            .filter(|c| in_namespace(&c.metadata, ns))
            .map(|c| claim(c))
            .collect(),
        volumes: objects.volumes.iter().map(|v| volume(v)).collect(),
        storage_classes: objects
            .storage_classes
            .iter()
            .map(|c| storage_class(c))
            .collect(),
        events: recent_events(&objects.events, ns),
    };
    snapshot.nodes.sort_by(|a, b| a.name.cmp(&b.name));
    snapshot.services.sort_by(|a, b| a.name.cmp(&b.name));
    snapshot.pods.sort_by(|a, b| a.name.cmp(&b.name));
    snapshot.claims.sort_by(|a, b| a.name.cmp(&b.name));
    snapshot.volumes.sort_by(|a, b| a.name.cmp(&b.name));
    snapshot.storage_classes.sort_by(|a, b| a.name.cmp(&b.name));
    snapshot
}

fn in_namespace(meta: &ObjectMeta, ns: &str) -> bool {
    meta.namespace.as_deref() == Some(ns)
}

fn name_of(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn millis(time: &Time) -> i64 {
    time.0.as_millisecond()
}

fn node(node: &Node) -> NodeInfo {
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True");
    NodeInfo {
        name: name_of(&node.metadata),
        ready,
        unschedulable: node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false),
        control_plane: node
            .metadata
            .labels
            .as_ref()
            .is_some_and(|l| l.contains_key(CONTROL_PLANE_LABEL)),
    }
}

fn service(service: &Service, ns: &str, slices: &[Arc<EndpointSlice>]) -> ServiceInfo {
    let name = name_of(&service.metadata);
    let spec = service.spec.clone().unwrap_or_default();
    let headless = spec.cluster_ip.as_deref() == Some("None");
    let ports = spec
        .ports
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            let target = p.target_port.as_ref().map(|t| match t {
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
            });
            match target {
                Some(t) if t != p.port.to_string() => format!("{}→{t}/{protocol}", p.port),
                _ => format!("{}/{protocol}", p.port),
            }
        })
        .collect();
    let selector = spec
        .selector
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let (mut ready_pods, mut not_ready_pods) = (Vec::new(), Vec::new());
    let endpoints = slices
        .iter()
        .filter(|s| in_namespace(&s.metadata, ns))
        .filter(|s| {
            s.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(SERVICE_NAME_LABEL))
                == Some(&name)
        })
        .flat_map(|s| s.endpoints.iter().flatten());
    for endpoint in endpoints {
        let Some(target) = endpoint.target_ref.as_ref() else {
            continue;
        };
        if target.kind.as_deref() != Some("Pod") {
            continue;
        }
        let Some(pod) = target.name.clone() else {
            continue;
        };
        // NB: a missing `ready` condition means ready (the EndpointSlice API's rule).
        let ready = endpoint
            .conditions
            .as_ref()
            .and_then(|c| c.ready)
            .unwrap_or(true);
        let list = if ready {
            &mut ready_pods
        } else {
            &mut not_ready_pods
        };
        if !list.contains(&pod) {
            list.push(pod);
        }
    }
    ready_pods.sort();
    not_ready_pods.sort();
    ServiceInfo {
        dns: format!("{name}.{ns}.svc.cluster.local"),
        name,
        service_type: spec.type_.unwrap_or_else(|| "ClusterIP".into()),
        headless,
        cluster_ip: spec.cluster_ip.filter(|ip| ip != "None" && !ip.is_empty()),
        ports,
        selector,
        ready_pods,
        not_ready_pods,
    }
}

fn pod(pod: &Pod, ns: &str) -> PodInfo {
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let statuses = status.container_statuses.clone().unwrap_or_default();
    let phase = status.phase.clone().unwrap_or_else(|| "Pending".into());
    let deleting = pod.metadata.deletion_timestamp.is_some();
    let claims = spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.clone())
        .collect();
    let owner = pod
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| format!("{}/{}", o.kind, o.name));
    let dns = match (&spec.hostname, &spec.subdomain) {
        (Some(host), Some(sub)) => Some(format!("{host}.{sub}.{ns}.svc.cluster.local")),
        _ => None,
    };
    PodInfo {
        uid: pod.metadata.uid.clone().unwrap_or_default(),
        name: name_of(&pod.metadata),
        node: spec.node_name.clone(),
        status: display_status(pod, &phase, deleting),
        phase,
        ready_containers: u32::try_from(statuses.iter().filter(|c| c.ready).count())
            .unwrap_or(u32::MAX),
        containers: u32::try_from(spec.containers.len()).unwrap_or(u32::MAX),
        restarts: statuses
            .iter()
            .map(|c| u32::try_from(c.restart_count).unwrap_or(0))
            .sum(),
        ip: status.pod_ip.clone(),
        created_at_ms: pod.metadata.creation_timestamp.as_ref().map(millis),
        owner,
        labels: pod
            .metadata
            .labels
            .iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        claims,
        deleting,
        dns,
    }
}

/// What `kubectl get pods` prints in STATUS: Terminating while deleting, else the reason a
/// container waits or ended with (last one wins, as kubectl does), else the pod's reason or phase.
fn display_status(pod: &Pod, phase: &str, deleting: bool) -> String {
    if deleting {
        return "Terminating".into();
    }
    let status = pod.status.as_ref();
    let init_waiting = status
        .and_then(|s| s.init_container_statuses.as_ref())
        .into_iter()
        .flatten()
        .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
    if let Some(reason) = init_waiting {
        return format!("Init:{reason}");
    }
    let container_reason = status
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .rev()
        .find_map(|c| {
            let state = c.state.as_ref()?;
            if let Some(w) = &state.waiting {
                return w.reason.clone();
            }
            state.terminated.as_ref().map(|t| {
                t.reason
                    .clone()
                    .unwrap_or_else(|| format!("ExitCode:{}", t.exit_code))
            })
        });
    container_reason
        .or_else(|| status.and_then(|s| s.reason.clone()))
        .unwrap_or_else(|| phase.to_string())
}

fn claim(claim: &PersistentVolumeClaim) -> ClaimInfo {
    let spec = claim.spec.clone().unwrap_or_default();
    let status = claim.status.clone().unwrap_or_default();
    let capacity = status
        .capacity
        .as_ref()
        .and_then(|c| c.get("storage"))
        .or_else(|| {
            spec.resources
                .as_ref()
                .and_then(|r| r.requests.as_ref())
                .and_then(|r| r.get("storage"))
        })
        .map(|q| q.0.clone());
    ClaimInfo {
        name: name_of(&claim.metadata),
        phase: status.phase.unwrap_or_else(|| "Pending".into()),
        storage_class: spec.storage_class_name,
        capacity,
        volume: spec.volume_name.filter(|v| !v.is_empty()),
        access_modes: spec.access_modes.unwrap_or_default(),
        deleting: claim.metadata.deletion_timestamp.is_some(),
    }
}

fn volume(volume: &PersistentVolume) -> VolumeInfo {
    let spec = volume.spec.clone().unwrap_or_default();
    let path = spec
        .host_path
        .as_ref()
        .map(|h| h.path.clone())
        .or_else(|| spec.local.as_ref().map(|l| l.path.clone()));
    let node = spec
        .node_affinity
        .as_ref()
        .and_then(|a| a.required.as_ref())
        .and_then(|r| {
            r.node_selector_terms.iter().find_map(|term| {
                term.match_expressions
                    .iter()
                    .flatten()
                    .find(|e| e.key == HOSTNAME_LABEL && e.operator == "In")
                    .and_then(|e| e.values.as_ref()?.first().cloned())
            })
        });
    let claim = spec.claim_ref.as_ref().and_then(|c| {
        let name = c.name.as_ref()?;
        Some(match &c.namespace {
            Some(ns) => format!("{ns}/{name}"),
            None => name.clone(),
        })
    });
    VolumeInfo {
        name: name_of(&volume.metadata),
        storage_class: spec.storage_class_name.filter(|c| !c.is_empty()),
        capacity: spec
            .capacity
            .as_ref()
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.clone()),
        reclaim_policy: spec.persistent_volume_reclaim_policy,
        phase: volume
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Pending".into()),
        claim,
        path,
        node,
        deleting: volume.metadata.deletion_timestamp.is_some(),
    }
}

fn storage_class(class: &StorageClass) -> StorageClassInfo {
    StorageClassInfo {
        name: name_of(&class.metadata),
        provisioner: class.provisioner.clone(),
        is_default: class
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION))
            .is_some_and(|v| v == "true"),
        binding_mode: class
            .volume_binding_mode
            .clone()
            .unwrap_or_else(|| "Immediate".into()),
        reclaim_policy: class
            .reclaim_policy
            .clone()
            .unwrap_or_else(|| "Delete".into()),
    }
}

/// The [`MAX_EVENTS`] most recent Events of the namespace, oldest first.
fn recent_events(events: &[Arc<Event>], ns: &str) -> Vec<EventInfo> {
    let mut recent: Vec<EventInfo> = events
        .iter()
        .filter(|e| in_namespace(&e.metadata, ns))
        .map(|e| {
            let at_ms = e
                .last_timestamp
                .as_ref()
                .map(millis)
                .or_else(|| e.event_time.as_ref().map(|t| t.0.as_millisecond()))
                .or_else(|| e.metadata.creation_timestamp.as_ref().map(millis));
            let object = &e.involved_object;
            EventInfo {
                event_type: e.type_.clone().unwrap_or_else(|| "Normal".into()),
                reason: e.reason.clone().unwrap_or_default(),
                message: e.message.clone().unwrap_or_default(),
                object: format!(
                    "{}/{}",
                    object.kind.as_deref().unwrap_or("Object"),
                    object.name.as_deref().unwrap_or("")
                ),
                count: e
                    .count
                    .and_then(|c| u32::try_from(c).ok())
                    .unwrap_or(1)
                    .max(1),
                at_ms,
            }
        })
        .collect();
    // NB: a stable sort keeps the store's order for events of the same millisecond.
    recent.sort_by_key(|e| e.at_ms);
    let skip = recent.len().saturating_sub(MAX_EVENTS);
    recent.drain(..skip);
    recent
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// 2026-11-26T10:00:00Z.
    const CREATED_MS: i64 = 1_795_687_200_000;

    fn from<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Arc<T> {
        Arc::new(serde_json::from_value(value).expect("a valid object"))
    }

    fn objects() -> Objects {
        Objects {
            namespace: "default".into(),
            ..Objects::default()
        }
    }

    #[test]
    fn a_running_statefulset_pod_has_its_status_owner_claim_and_dns_name() {
        let mut o = objects();
        o.pods.push(from(json!({
            "metadata": {"name": "mysql-0", "namespace": "default", "uid": "u1",
                "creationTimestamp": "2026-11-26T10:00:00Z",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                    "name": "mysql", "uid": "s1", "controller": true}]},
            "spec": {"nodeName": "kind-worker", "hostname": "mysql-0", "subdomain": "mysql",
                "containers": [{"name": "mysql", "image": "mysql:8"}],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-mysql-0"}}]},
            "status": {"phase": "Running", "podIP": "10.244.1.7",
                "containerStatuses": [{"name": "mysql", "image": "mysql:8", "imageID": "",
                    "ready": true, "restartCount": 2, "state": {"running": {}}}]}
        })));
        let s = build(&o, 1, 0);
        let p = &s.pods[0];
        assert_eq!(p.status, "Running");
        assert_eq!((p.ready_containers, p.containers, p.restarts), (1, 1, 2));
        assert_eq!(p.owner.as_deref(), Some("StatefulSet/mysql"));
        assert_eq!(p.claims, ["data-mysql-0"]);
        assert_eq!(
            p.dns.as_deref(),
            Some("mysql-0.mysql.default.svc.cluster.local")
        );
        assert_eq!(p.created_at_ms, Some(CREATED_MS));
        assert_eq!(p.ip.as_deref(), Some("10.244.1.7"));
        assert!(!p.deleting);
    }

    #[test]
    fn status_says_what_kubectl_says() {
        let mut o = objects();
        o.pods.push(from(json!({
            "metadata": {"name": "waiting", "namespace": "default"},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "c", "image": "", "imageID": "",
                "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}
        })));
        o.pods.push(from(json!({
            "metadata": {"name": "going", "namespace": "default",
                "deletionTimestamp": "2026-11-26T10:00:00Z"},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Running"}
        })));
        o.pods.push(from(json!({
            "metadata": {"name": "other-namespace", "namespace": "kube-system"},
            "spec": {"containers": [{"name": "c"}]}
        })));
        let s = build(&o, 1, 0);
        let names: Vec<_> = s
            .pods
            .iter()
            .map(|p| (p.name.as_str(), p.status.as_str()))
            .collect();
        assert_eq!(
            names,
            [("going", "Terminating"), ("waiting", "ImagePullBackOff")]
        );
        assert!(s.pods[0].deleting);
        assert_eq!(s.pods[1].node, None);
    }

    #[test]
    fn services_send_traffic_to_ready_endpoints_only() {
        let mut o = objects();
        o.services.push(from(json!({
            "metadata": {"name": "mysql", "namespace": "default"},
            "spec": {"clusterIP": "None", "selector": {"app": "mysql"},
                "ports": [{"port": 3306}]}
        })));
        o.services.push(from(json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"clusterIP": "10.96.0.20", "type": "ClusterIP",
                "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}
        })));
        o.endpoint_slices.push(from(json!({
            "metadata": {"name": "mysql-abcde", "namespace": "default",
                "labels": {"kubernetes.io/service-name": "mysql"}},
            "addressType": "IPv4",
            "endpoints": [
                {"addresses": ["10.244.1.7"], "conditions": {"ready": true},
                 "targetRef": {"kind": "Pod", "name": "mysql-0"}},
                {"addresses": ["10.244.2.3"], "conditions": {"ready": false},
                 "targetRef": {"kind": "Pod", "name": "mysql-1"}},
                {"addresses": ["10.244.3.3"],
                 "targetRef": {"kind": "Pod", "name": "mysql-2"}}
            ]
        })));
        let s = build(&o, 1, 0);
        let mysql = &s.services[0];
        assert!(mysql.headless);
        assert_eq!(mysql.cluster_ip, None);
        assert_eq!(mysql.ready_pods, ["mysql-0", "mysql-2"]);
        assert_eq!(mysql.not_ready_pods, ["mysql-1"]);
        assert_eq!(mysql.selector, ["app=mysql"]);
        assert_eq!(mysql.ports, ["3306/TCP"]);
        assert_eq!(mysql.dns, "mysql.default.svc.cluster.local");
        let web = &s.services[1];
        assert!(!web.headless);
        assert_eq!(web.cluster_ip.as_deref(), Some("10.96.0.20"));
        assert_eq!(web.ports, ["80→8080/TCP"]);
        assert!(web.ready_pods.is_empty());
    }

    #[test]
    fn claims_volumes_and_classes_carry_their_binding() {
        let mut o = objects();
        o.claims.push(from(json!({
            "metadata": {"name": "data-mysql-0", "namespace": "default"},
            "spec": {"storageClassName": "standard", "volumeName": "pvc-1",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}}},
            "status": {"phase": "Bound"}
        })));
        o.volumes.push(from(json!({
            "metadata": {"name": "pvc-1"},
            "spec": {"storageClassName": "standard", "capacity": {"storage": "1Gi"},
                "persistentVolumeReclaimPolicy": "Delete",
                "claimRef": {"namespace": "default", "name": "data-mysql-0"},
                "hostPath": {"path": "/var/local-path-provisioner/pvc-1"},
                "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "kubernetes.io/hostname", "operator": "In", "values": ["kind-worker2"]}]}]}}},
            "status": {"phase": "Bound"}
        })));
        o.storage_classes.push(from(json!({
            "metadata": {"name": "standard",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path",
            "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Delete"
        })));
        let s = build(&o, 7, 0);
        assert_eq!(s.seq, 7);
        let c = &s.claims[0];
        assert_eq!(
            (c.phase.as_str(), c.volume.as_deref(), c.capacity.as_deref()),
            ("Bound", Some("pvc-1"), Some("1Gi"))
        );
        let v = &s.volumes[0];
        assert_eq!(v.claim.as_deref(), Some("default/data-mysql-0"));
        assert_eq!(v.node.as_deref(), Some("kind-worker2"));
        assert_eq!(v.path.as_deref(), Some("/var/local-path-provisioner/pvc-1"));
        assert_eq!(v.reclaim_policy.as_deref(), Some("Delete"));
        let sc = &s.storage_classes[0];
        assert!(sc.is_default);
        assert_eq!(sc.binding_mode, "WaitForFirstConsumer");
    }

    #[test]
    fn nodes_show_not_ready_and_cordoned() {
        let mut o = objects();
        o.nodes.push(from(json!({
            "metadata": {"name": "kind-worker", "labels": {}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}
        })));
        o.nodes.push(from(json!({
            "metadata": {"name": "kind-control-plane",
                "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        })));
        let s = build(&o, 1, 0);
        assert_eq!(s.nodes[0].name, "kind-control-plane");
        assert!(s.nodes[0].ready && s.nodes[0].control_plane && !s.nodes[0].unschedulable);
        assert!(!s.nodes[1].ready && s.nodes[1].unschedulable);
    }

    #[test]
    fn the_timeline_keeps_the_most_recent_events_of_the_namespace_oldest_first() {
        let mut o = objects();
        for i in 0..(MAX_EVENTS + 5) {
            o.events.push(from(json!({
                "metadata": {"name": format!("e{i}"), "namespace": "default"},
                "involvedObject": {"kind": "Pod", "name": "mysql"},
                "reason": "Pulled", "message": format!("event {i}"), "type": "Normal",
                "lastTimestamp": format!("2026-11-26T10:00:{:02}Z", 59 - i)
            })));
        }
        o.events.push(from(json!({
            "metadata": {"name": "elsewhere", "namespace": "kube-system"},
            "involvedObject": {"kind": "Pod", "name": "coredns"},
            "lastTimestamp": "2026-11-26T11:00:00Z"
        })));
        let s = build(&o, 1, 0);
        assert_eq!(s.events.len(), MAX_EVENTS);
        assert_eq!(s.events[0].message, format!("event {}", MAX_EVENTS - 1));
        assert_eq!(s.events[MAX_EVENTS - 1].message, "event 0");
        assert_eq!(s.events[0].object, "Pod/mysql");
        assert!(s.events.iter().all(|e| e.count == 1));
    }
}
