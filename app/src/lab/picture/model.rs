//! The live cluster picture's data: what the server sends (`GET /api/cluster/watch`, one JSON
//! message per Server-Sent Event) and the component draws. Plain serde types, no Kubernetes
//! dependencies, so the wasm bundle stays small and the server builds them from k8s-openapi.

use serde::{Deserialize, Serialize};

use crate::tag_first;

/// One message of the watch stream: `{"state": "no-cluster"}` or `{"state": "snapshot", …}`
/// with the snapshot's fields (read without buffering, see [`crate::tag_first`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum PictureMessage {
    /// The learner has no cluster yet (the stream keeps waiting for one).
    NoCluster,
    /// The whole picture as it is now (boxed: it is far larger than the other variant).
    Snapshot(Box<ClusterSnapshot>),
}

impl<'de> Deserialize<'de> for PictureMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PictureMessageVisitor)
    }
}

struct PictureMessageVisitor;

impl<'de> serde::de::Visitor<'de> for PictureMessageVisitor {
    type Value = PictureMessage;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a picture message whose first field is `state`")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<PictureMessage, A::Error> {
        match tag_first::read_tag(&mut map, "state")?.as_str() {
            "no-cluster" => tag_first::skip_rest(map).map(|()| PictureMessage::NoCluster),
            "snapshot" => tag_first::rest(map).map(|s| PictureMessage::Snapshot(Box::new(s))),
            other => Err(serde::de::Error::unknown_variant(
                other,
                &["no-cluster", "snapshot"],
            )),
        }
    }
}

/// A Kubernetes object the learner can select in the picture.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// `Pod`, `Service`, `PersistentVolumeClaim`, `PersistentVolume`, `StorageClass` or `Node`.
    pub kind: String,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// The `id` of the object's box in the picture (what diagnoses link to).
    pub fn anchor(&self) -> String {
        anchor_id(&self.kind, &self.name)
    }
}

/// `obj-<Kind>-<name>`, with anything but ASCII letters, digits, `-` and `_` made a `-`, so
/// the id is a plain URL fragment and a valid CSS identifier.
pub fn anchor_id(kind: &str, name: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("obj-{}-{}", clean(kind), clean(name))
}

/// Everything the picture shows, built from a fresh list plus watch updates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterSnapshot {
    /// Increases by one with every snapshot of a connection (starts at 1).
    pub seq: u64,
    /// When the server built it (milliseconds since the Unix epoch), for ages.
    pub generated_at_ms: i64,
    /// The namespace the learner works in (services, pods, claims and events are from it).
    pub namespace: String,
    /// Empty when the learner may not list nodes (a namespace on a shared cluster).
    pub nodes: Vec<NodeInfo>,
    pub services: Vec<ServiceInfo>,
    pub pods: Vec<PodInfo>,
    pub claims: Vec<ClaimInfo>,
    /// Empty when the learner may not list PersistentVolumes.
    pub volumes: Vec<VolumeInfo>,
    /// Empty when the learner may not list StorageClasses.
    pub storage_classes: Vec<StorageClassInfo>,
    /// The most recent Events of the namespace, oldest first.
    pub events: Vec<EventInfo>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    /// The `Ready` condition is `True`.
    pub ready: bool,
    /// Cordoned (`spec.unschedulable`).
    pub unschedulable: bool,
    pub control_plane: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceInfo {
    pub name: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`.
    pub service_type: String,
    /// `clusterIP: None`: DNS answers with the ready pods' IPs instead of one virtual IP.
    pub headless: bool,
    /// The virtual IP (`None` for a headless Service).
    pub cluster_ip: Option<String>,
    /// `3306/TCP`, `80→8080/TCP`.
    pub ports: Vec<String>,
    /// `app=mysql`; empty when the Service has no selector.
    pub selector: Vec<String>,
    /// Pods that are ready endpoints (traffic goes to them).
    pub ready_pods: Vec<String>,
    /// Pods selected but not ready (no traffic).
    pub not_ready_pods: Vec<String>,
    /// `<service>.<namespace>.svc.cluster.local`.
    pub dns: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodInfo {
    /// Stable per pod object: a replacement with the same name has a new uid.
    pub uid: String,
    pub name: String,
    pub node: Option<String>,
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    pub phase: String,
    /// What `kubectl get pods` shows in STATUS: `ContainerCreating`, `CrashLoopBackOff`,
    /// `Terminating`... or the phase.
    pub status: String,
    pub ready_containers: u32,
    pub containers: u32,
    pub restarts: u32,
    pub ip: Option<String>,
    pub created_at_ms: Option<i64>,
    /// `StatefulSet/mysql`, `ReplicaSet/web-5d9c7`; `None` for a bare pod.
    pub owner: Option<String>,
    /// Its labels as `key=value` (the lab's actions select pods by them).
    pub labels: Vec<String>,
    /// The PersistentVolumeClaims its volumes use.
    pub claims: Vec<String>,
    /// A deletion is in progress (`deletionTimestamp` is set).
    pub deleting: bool,
    /// `<hostname>.<subdomain>.<namespace>.svc.cluster.local` for pods with a subdomain
    /// (StatefulSet pods behind their headless Service).
    pub dns: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimInfo {
    pub name: String,
    /// `Pending`, `Bound` or `Lost`.
    pub phase: String,
    pub storage_class: Option<String>,
    /// The bound capacity, else the requested size.
    pub capacity: Option<String>,
    /// The PersistentVolume it is bound to.
    pub volume: Option<String>,
    pub access_modes: Vec<String>,
    pub deleting: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeInfo {
    pub name: String,
    pub storage_class: Option<String>,
    pub capacity: Option<String>,
    /// `Delete` or `Retain`.
    pub reclaim_policy: Option<String>,
    /// `Available`, `Bound`, `Released` or `Failed`.
    pub phase: String,
    /// `namespace/name` of the claim it is bound to (or was, when Released).
    pub claim: Option<String>,
    /// The directory holding the data (hostPath or local volume).
    pub path: Option<String>,
    /// The node the data lives on (from the volume's node affinity).
    pub node: Option<String>,
    pub deleting: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StorageClassInfo {
    pub name: String,
    pub provisioner: String,
    /// Marked as the default class: claims without a class get it.
    pub is_default: bool,
    /// `Immediate` or `WaitForFirstConsumer`.
    pub binding_mode: String,
    pub reclaim_policy: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    /// `Normal` or `Warning`.
    pub event_type: String,
    pub reason: String,
    pub message: String,
    /// `Pod/mysql`.
    pub object: String,
    pub count: u32,
    /// When it last happened (milliseconds since the Unix epoch).
    pub at_ms: Option<i64>,
}

impl ClusterSnapshot {
    /// The pods running on (or assigned to) `node`.
    pub fn pods_on<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a PodInfo> + 'a {
        self.pods
            .iter()
            .filter(move |p| p.node.as_deref() == Some(node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_plain_fragments() {
        assert_eq!(anchor_id("Pod", "mysql-0"), "obj-Pod-mysql-0");
        assert_eq!(
            anchor_id("PersistentVolumeClaim", "data.mysql 0/x#y"),
            "obj-PersistentVolumeClaim-data-mysql-0-x-y"
        );
    }

    #[test]
    fn messages_are_tagged_with_their_state() {
        let json = serde_json::to_string(&PictureMessage::NoCluster).expect("encodes");
        assert_eq!(json, r#"{"state":"no-cluster"}"#);
        let snapshot = ClusterSnapshot {
            seq: 3,
            namespace: "default".into(),
            ..ClusterSnapshot::default()
        };
        let json = serde_json::to_string(&PictureMessage::Snapshot(Box::new(snapshot.clone())))
            .expect("encodes");
        assert!(
            json.starts_with(r#"{"state":"snapshot","seq":3,"#),
            "{json}"
        );
        let back: PictureMessage = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back, PictureMessage::Snapshot(Box::new(snapshot)));
        let back: PictureMessage =
            serde_json::from_str(r#"{"state":"no-cluster"}"#).expect("decodes");
        assert_eq!(back, PictureMessage::NoCluster);
        let err = serde_json::from_str::<PictureMessage>(r#"{"seq":1,"state":"snapshot"}"#)
            .expect_err("the tag comes first");
        assert!(err.to_string().contains("first field"), "{err}");
    }
}
