//! Where everything goes in the picture: five columns (Services → Pods grouped by node → PVCs →
//! PVs → StorageClasses) and the lines between them. Pure: the component only draws this.

use super::model::{
    ClaimInfo, ClusterSnapshot, PodInfo, ServiceInfo, StorageClassInfo, VolumeInfo,
};

/// The drawing's width in SVG units (it scales to the panel).
pub const WIDTH: f64 = 900.0;
const TOP: f64 = 28.0;
const GAP: f64 = 10.0;

/// x and width of each column.
pub const SERVICES: (f64, f64) = (8.0, 150.0);
pub const NODES: (f64, f64) = (182.0, 220.0);
pub const CLAIMS: (f64, f64) = (430.0, 140.0);
pub const VOLUMES: (f64, f64) = (596.0, 160.0);
pub const CLASSES: (f64, f64) = (780.0, 112.0);

const SERVICE_H: f64 = 54.0;
const POD_H: f64 = 58.0;
const POD_PAD: f64 = 8.0;
const NODE_HEADER: f64 = 22.0;
const CLAIM_H: f64 = 48.0;
const VOLUME_H: f64 = 58.0;
const CLASS_H: f64 = 58.0;

/// A box in the drawing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    fn right_middle(&self) -> (f64, f64) {
        (self.x + self.w, self.y + self.h / 2.0)
    }
    fn left_middle(&self) -> (f64, f64) {
        (self.x, self.y + self.h / 2.0)
    }
}

/// An item of the snapshot and where it is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed<T> {
    pub rect: Rect,
    pub item: T,
}

/// A node and the pods on it (or the pods no node was assigned to yet).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeGroup {
    pub rect: Rect,
    /// `None` for the group of unscheduled pods.
    pub name: Option<String>,
    /// `None` when the learner may not see the node's status.
    pub ready: Option<bool>,
    pub unschedulable: bool,
    pub control_plane: bool,
}

/// What a line means (its CSS class).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Service → a pod that is a ready endpoint: traffic goes there.
    Traffic,
    /// Service → a selected pod that is not ready: no traffic.
    NoTraffic,
    /// Pod → the claim its volume uses.
    Mounts,
    /// Claim → the volume it is bound to.
    Bound,
    /// Volume → its StorageClass.
    Class,
}

impl EdgeKind {
    pub fn class(self) -> &'static str {
        match self {
            EdgeKind::Traffic => "edge traffic",
            EdgeKind::NoTraffic => "edge no-traffic",
            EdgeKind::Mounts => "edge mounts",
            EdgeKind::Bound => "edge bound",
            EdgeKind::Class => "edge class",
        }
    }
}

/// A line between two boxes, as an SVG path.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// Stable across snapshots (`from→to`), to key the drawing.
    pub key: String,
    pub kind: EdgeKind,
    pub path: String,
}

/// The whole drawing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    pub height: f64,
    pub services: Vec<Placed<ServiceInfo>>,
    pub nodes: Vec<NodeGroup>,
    pub pods: Vec<Placed<PodInfo>>,
    pub claims: Vec<Placed<ClaimInfo>>,
    pub volumes: Vec<Placed<VolumeInfo>>,
    pub classes: Vec<Placed<StorageClassInfo>>,
    pub edges: Vec<Edge>,
}

fn column<T: Clone>(items: &[T], (x, w): (f64, f64), h: f64) -> Vec<Placed<T>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| Placed {
            rect: Rect {
                x,
                y: TOP + i as f64 * (h + GAP),
                w,
                h,
            },
            item: item.clone(),
        })
        .collect()
}

fn bottom<T>(placed: &[Placed<T>]) -> f64 {
    placed
        .iter()
        .map(|p| p.rect.y + p.rect.h)
        .fold(TOP, f64::max)
}

fn curve(from: (f64, f64), to: (f64, f64)) -> String {
    let mid = (from.0 + to.0) / 2.0;
    format!(
        "M{:.1} {:.1} C{mid:.1} {:.1} {mid:.1} {:.1} {:.1} {:.1}",
        from.0, from.1, from.1, to.1, to.0, to.1
    )
}

/// Lays out `snapshot`.
pub fn compute(snapshot: &ClusterSnapshot) -> Layout {
    let services = column(&snapshot.services, SERVICES, SERVICE_H);
    let claims = column(&snapshot.claims, CLAIMS, CLAIM_H);
    let volumes = column(&snapshot.volumes, VOLUMES, VOLUME_H);
    let classes = column(&snapshot.storage_classes, CLASSES, CLASS_H);
    let (nodes, pods) = place_pods(snapshot);

    let mut edges = Vec::new();
    let mut edge = |kind: EdgeKind, from: (&str, Rect), to: (&str, Rect)| {
        edges.push(Edge {
            key: format!("{}:{}→{}", kind.class(), from.0, to.0),
            kind,
            path: curve(from.1.right_middle(), to.1.left_middle()),
        });
    };
    let pod_named = |name: &str| pods.iter().find(|p| p.item.name == name);
    for service in &services {
        let targets = service
            .item
            .ready_pods
            .iter()
            .map(|p| (EdgeKind::Traffic, p))
            .chain(
                service
                    .item
                    .not_ready_pods
                    .iter()
                    .map(|p| (EdgeKind::NoTraffic, p)),
            );
        for (kind, name) in targets {
            if let Some(pod) = pod_named(name) {
                edge(
                    kind,
                    (&service.item.name, service.rect),
                    (&pod.item.uid, pod.rect),
                );
            }
        }
    }
    for pod in &pods {
        for claim_name in &pod.item.claims {
            if let Some(claim) = claims.iter().find(|c| &c.item.name == claim_name) {
                edge(
                    EdgeKind::Mounts,
                    (&pod.item.uid, pod.rect),
                    (claim_name, claim.rect),
                );
            }
        }
    }
    for claim in &claims {
        let bound = claim
            .item
            .volume
            .as_ref()
            .and_then(|v| volumes.iter().find(|pv| &pv.item.name == v));
        if let Some(volume) = bound {
            edge(
                EdgeKind::Bound,
                (&claim.item.name, claim.rect),
                (&volume.item.name, volume.rect),
            );
        }
    }
    for volume in &volumes {
        let class = volume
            .item
            .storage_class
            .as_ref()
            .and_then(|c| classes.iter().find(|sc| &sc.item.name == c));
        if let Some(class) = class {
            edge(
                EdgeKind::Class,
                (&volume.item.name, volume.rect),
                (&class.item.name, class.rect),
            );
        }
    }

    let nodes_bottom = nodes
        .iter()
        .map(|n| n.rect.y + n.rect.h)
        .fold(TOP, f64::max);
    let height = [
        bottom(&services),
        nodes_bottom,
        bottom(&claims),
        bottom(&volumes),
        bottom(&classes),
    ]
    .into_iter()
    .fold(TOP, f64::max)
        + GAP;
    Layout {
        height,
        services,
        nodes,
        pods,
        claims,
        volumes,
        classes,
        edges,
    }
}

/// Node groups top to bottom: every node the learner can see, then nodes only known from a
/// pod's `spec.nodeName`, then the unscheduled pods.
fn place_pods(snapshot: &ClusterSnapshot) -> (Vec<NodeGroup>, Vec<Placed<PodInfo>>) {
    let mut groups: Vec<NodeGroup> = snapshot
        .nodes
        .iter()
        .map(|n| NodeGroup {
            rect: Rect::default(),
            name: Some(n.name.clone()),
            ready: Some(n.ready),
            unschedulable: n.unschedulable,
            control_plane: n.control_plane,
        })
        .collect();
    for pod in &snapshot.pods {
        if let Some(node) = &pod.node
            && !groups.iter().any(|g| g.name.as_ref() == Some(node))
        {
            groups.push(NodeGroup {
                rect: Rect::default(),
                name: Some(node.clone()),
                ready: None,
                unschedulable: false,
                control_plane: false,
            });
        }
    }
    if snapshot.pods.iter().any(|p| p.node.is_none()) {
        groups.push(NodeGroup {
            rect: Rect::default(),
            name: None,
            ready: None,
            unschedulable: false,
            control_plane: false,
        });
    }

    let (x, w) = NODES;
    let mut y = TOP;
    let mut pods = Vec::new();
    for group in &mut groups {
        let members = snapshot
            .pods
            .iter()
            .filter(|p| p.node.as_ref() == group.name.as_ref());
        let mut count = 0.0;
        for pod in members {
            pods.push(Placed {
                rect: Rect {
                    x: x + POD_PAD,
                    y: y + NODE_HEADER + count * (POD_H + POD_PAD),
                    w: w - 2.0 * POD_PAD,
                    h: POD_H,
                },
                item: pod.clone(),
            });
            count += 1.0;
        }
        let h = NODE_HEADER + count * (POD_H + POD_PAD) + if count > 0.0 { 0.0 } else { 4.0 };
        group.rect = Rect { x, y, w, h };
        y += h + GAP;
    }
    (groups, pods)
}

/// A duration the way `kubectl get` prints AGE: `45s`, `3m12s`, `47m`, `5h3m`, `26h`, `3d`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..120 => format!("{s}s"),
        120..600 => format!("{}m{}s", s / 60, s % 60),
        600..10_800 => format!("{}m", s / 60),
        10_800..28_800 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        28_800..172_800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::picture::model::NodeInfo;

    fn pod(uid: &str, name: &str, node: Option<&str>, claims: &[&str]) -> PodInfo {
        PodInfo {
            uid: uid.into(),
            name: name.into(),
            node: node.map(Into::into),
            claims: claims.iter().map(|c| (*c).to_string()).collect(),
            ..PodInfo::default()
        }
    }

    fn snapshot() -> ClusterSnapshot {
        ClusterSnapshot {
            nodes: vec![
                NodeInfo {
                    name: "kind-worker".into(),
                    ready: true,
                    ..NodeInfo::default()
                },
                NodeInfo {
                    name: "kind-worker2".into(),
                    ready: false,
                    ..NodeInfo::default()
                },
            ],
            services: vec![ServiceInfo {
                name: "mysql".into(),
                headless: true,
                ready_pods: vec!["mysql-0".into()],
                not_ready_pods: vec!["mysql-1".into()],
                ..ServiceInfo::default()
            }],
            pods: vec![
                pod("u0", "mysql-0", Some("kind-worker"), &["data-mysql-0"]),
                pod("u1", "mysql-1", Some("kind-worker2"), &["data-mysql-1"]),
                pod("u2", "pending", None, &[]),
                pod("u3", "elsewhere", Some("other-node"), &[]),
            ],
            claims: vec![
                ClaimInfo {
                    name: "data-mysql-0".into(),
                    volume: Some("pvc-a".into()),
                    ..ClaimInfo::default()
                },
                ClaimInfo {
                    name: "data-mysql-1".into(),
                    ..ClaimInfo::default()
                },
            ],
            volumes: vec![VolumeInfo {
                name: "pvc-a".into(),
                storage_class: Some("standard".into()),
                ..VolumeInfo::default()
            }],
            storage_classes: vec![StorageClassInfo {
                name: "standard".into(),
                ..StorageClassInfo::default()
            }],
            ..ClusterSnapshot::default()
        }
    }

    #[test]
    fn pods_are_grouped_by_node_with_unknown_nodes_and_unscheduled_pods_last() {
        let layout = compute(&snapshot());
        let names: Vec<_> = layout.nodes.iter().map(|n| n.name.as_deref()).collect();
        assert_eq!(
            names,
            [
                Some("kind-worker"),
                Some("kind-worker2"),
                Some("other-node"),
                None
            ]
        );
        assert_eq!(layout.nodes[1].ready, Some(false));
        assert_eq!(layout.nodes[2].ready, None);
        for pod in &layout.pods {
            let group = layout
                .nodes
                .iter()
                .find(|g| g.name == pod.item.node)
                .expect("every pod is in a group");
            assert!(
                pod.rect.y > group.rect.y && pod.rect.y + pod.rect.h <= group.rect.y + group.rect.h
            );
        }
        // Groups do not overlap.
        for pair in layout.nodes.windows(2) {
            assert!(pair[0].rect.y + pair[0].rect.h < pair[1].rect.y);
        }
        assert!(layout.height >= layout.nodes[3].rect.y + layout.nodes[3].rect.h);
    }

    #[test]
    fn lines_follow_the_chain_from_service_to_storage_class() {
        let layout = compute(&snapshot());
        let kinds: Vec<_> = layout
            .edges
            .iter()
            .map(|e| (e.kind, e.key.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (EdgeKind::Traffic, "edge traffic:mysql→u0"),
                (EdgeKind::NoTraffic, "edge no-traffic:mysql→u1"),
                (EdgeKind::Mounts, "edge mounts:u0→data-mysql-0"),
                (EdgeKind::Mounts, "edge mounts:u1→data-mysql-1"),
                (EdgeKind::Bound, "edge bound:data-mysql-0→pvc-a"),
                (EdgeKind::Class, "edge class:pvc-a→standard"),
            ]
        );
        assert!(layout.edges[0].path.starts_with("M158.0 "));
    }

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(age(-3), "0s");
        assert_eq!(age(45), "45s");
        assert_eq!(age(192), "3m12s");
        assert_eq!(age(47 * 60), "47m");
        assert_eq!(age(5 * 3600 + 180), "5h3m");
        assert_eq!(age(26 * 3600), "26h");
        assert_eq!(age(3 * 86_400 + 5), "3d");
    }
}
