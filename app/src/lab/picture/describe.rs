//! What each box of the picture says: its lines of text, its hover text (`<title>`, which is
//! also its accessible name), its CSS classes and the object a click selects. Pure.

use super::layout::{Layout, NodeGroup, Placed, Rect, age};
use super::model::{ClaimInfo, ObjectRef, PodInfo, ServiceInfo, StorageClassInfo, VolumeInfo};

/// A box as drawn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drawn {
    /// Stable across snapshots: `Pod/<uid>` (a replacement pod is a new box), `Service/<name>`...
    pub key: String,
    pub object: Option<ObjectRef>,
    pub rect: Rect,
    /// CSS classes, e.g. `box pod phase-running`.
    pub class: String,
    /// Up to three lines; the first is the name.
    pub lines: [String; 3],
    pub title: String,
    /// `data-status` for pods (what kubectl's STATUS says), empty otherwise.
    pub status: String,
}

impl Drawn {
    /// The box's `id` (diagnoses link to `#obj-<Kind>-<name>`). A box on its way out has none,
    /// so the link goes to its replacement when the two share a name.
    pub fn anchor(&self) -> Option<String> {
        let leaving = self.class.split(' ').any(|c| c == "deleting");
        self.object
            .as_ref()
            .filter(|_| !leaving)
            .map(ObjectRef::anchor)
    }
}

fn object(kind: &str, namespace: Option<&str>, name: &str) -> Option<ObjectRef> {
    Some(ObjectRef {
        kind: kind.into(),
        namespace: namespace.map(Into::into),
        name: name.into(),
    })
}

fn slug(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// Ages are counted from `now_ms` (the server's clock, estimated in the browser).
pub fn pod(p: &Placed<PodInfo>, ns: &str, now_ms: i64) -> Drawn {
    let pod = &p.item;
    let age = pod
        .created_at_ms
        .map(|created| age((now_ms - created) / 1000))
        .unwrap_or_default();
    let ip = pod.ip.clone().unwrap_or_else(|| "no IP".into());
    let mut class = format!("box pod phase-{}", slug(&pod.phase));
    if pod.deleting {
        class.push_str(" deleting");
    }
    if pod.ready_containers < pod.containers || pod.containers == 0 {
        class.push_str(" not-ready");
    }
    let mut title = format!(
        "Pod {}: {}, {}/{} ready, {} restarts, IP {ip}, age {age}",
        pod.name, pod.status, pod.ready_containers, pod.containers, pod.restarts
    );
    if let Some(node) = &pod.node {
        title.push_str(&format!(", on {node}"));
    }
    if let Some(owner) = &pod.owner {
        title.push_str(&format!(", owned by {owner}"));
    }
    if !pod.claims.is_empty() {
        title.push_str(&format!(", claims {}", pod.claims.join(", ")));
    }
    if let Some(dns) = &pod.dns {
        title.push_str(&format!(". DNS: {dns}"));
    }
    Drawn {
        key: format!("Pod/{}", pod.uid),
        object: object("Pod", Some(ns), &pod.name),
        rect: p.rect,
        class,
        lines: [
            pod.name.clone(),
            format!(
                "{} · {}/{} · ↻{}",
                pod.status, pod.ready_containers, pod.containers, pod.restarts
            ),
            format!("{ip} · {age}"),
        ],
        title,
        status: pod.status.clone(),
    }
}

pub fn service(p: &Placed<ServiceInfo>, ns: &str) -> Drawn {
    let s = &p.item;
    let (class, kind) = if s.headless {
        ("box service headless", "headless".to_string())
    } else {
        ("box service cluster-ip", s.service_type.clone())
    };
    let address = s
        .cluster_ip
        .clone()
        .unwrap_or_else(|| "no ClusterIP".into());
    let ports = s.ports.join(", ");
    let mut title = format!("Service {} ({kind}), {address}, ports {ports}", s.name);
    if s.selector.is_empty() {
        title.push_str(", no selector");
    } else {
        title.push_str(&format!(", selects {}", s.selector.join(",")));
    }
    title.push_str(&format!(
        ", ready endpoints: {}. DNS: {}",
        if s.ready_pods.is_empty() {
            "none".to_string()
        } else {
            s.ready_pods.join(", ")
        },
        s.dns
    ));
    Drawn {
        key: format!("Service/{}", s.name),
        object: object("Service", Some(ns), &s.name),
        rect: p.rect,
        class: class.into(),
        lines: [s.name.clone(), format!("{kind} · {address}"), ports],
        title,
        status: String::new(),
    }
}

pub fn claim(p: &Placed<ClaimInfo>, ns: &str) -> Drawn {
    let c = &p.item;
    let class_name = c.storage_class.clone().unwrap_or_else(|| "no class".into());
    let size = c.capacity.clone().unwrap_or_default();
    let mut class = format!("box claim phase-{}", slug(&c.phase));
    if c.deleting {
        class.push_str(" deleting");
    }
    Drawn {
        key: format!("PersistentVolumeClaim/{}", c.name),
        object: object("PersistentVolumeClaim", Some(ns), &c.name),
        rect: p.rect,
        class,
        lines: [
            c.name.clone(),
            format!("{} · {size}", c.phase),
            class_name.clone(),
        ],
        title: format!(
            "PersistentVolumeClaim {}: {}, {size} {}, class {class_name}{}",
            c.name,
            c.phase,
            c.access_modes.join(","),
            c.volume
                .as_ref()
                .map(|v| format!(", bound to {v}"))
                .unwrap_or_default()
        ),
        status: String::new(),
    }
}

pub fn volume(p: &Placed<VolumeInfo>) -> Drawn {
    let v = &p.item;
    let policy = v.reclaim_policy.clone().unwrap_or_default();
    let where_ = match (&v.node, &v.path) {
        (Some(node), _) => node.clone(),
        (None, Some(path)) => path.clone(),
        (None, None) => String::new(),
    };
    let mut class = format!("box volume phase-{}", slug(&v.phase));
    if v.deleting {
        class.push_str(" deleting");
    }
    Drawn {
        key: format!("PersistentVolume/{}", v.name),
        object: object("PersistentVolume", None, &v.name),
        rect: p.rect,
        class,
        lines: [
            v.name.clone(),
            format!(
                "{} · {} · {policy}",
                v.phase,
                v.capacity.clone().unwrap_or_default()
            ),
            where_,
        ],
        title: format!(
            "PersistentVolume {}: {}, reclaim policy {policy}, class {}{}{}{}",
            v.name,
            v.phase,
            v.storage_class.as_deref().unwrap_or("none"),
            v.claim
                .as_ref()
                .map(|c| format!(", claim {c}"))
                .unwrap_or_default(),
            v.path
                .as_ref()
                .map(|d| format!(", data in {d}"))
                .unwrap_or_default(),
            v.node
                .as_ref()
                .map(|n| format!(" on {n}"))
                .unwrap_or_default(),
        ),
        status: String::new(),
    }
}

pub fn storage_class(p: &Placed<StorageClassInfo>) -> Drawn {
    let c = &p.item;
    let name = if c.is_default {
        format!("{} (default)", c.name)
    } else {
        c.name.clone()
    };
    Drawn {
        key: format!("StorageClass/{}", c.name),
        object: object("StorageClass", None, &c.name),
        rect: p.rect,
        class: "box class".into(),
        lines: [name, c.provisioner.clone(), c.binding_mode.clone()],
        title: format!(
            "StorageClass {}{}: provisioner {}, binding {}, reclaim {}",
            c.name,
            if c.is_default { " (default)" } else { "" },
            c.provisioner,
            c.binding_mode,
            c.reclaim_policy
        ),
        status: String::new(),
    }
}

pub fn node(group: &NodeGroup) -> Drawn {
    let Some(name) = &group.name else {
        return Drawn {
            key: "Node/-".into(),
            object: None,
            rect: group.rect,
            class: "node unscheduled".into(),
            lines: ["not scheduled yet".into(), String::new(), String::new()],
            title: "Pods no node was chosen for yet".into(),
            status: String::new(),
        };
    };
    let state = match group.ready {
        Some(true) => "Ready",
        Some(false) => "NotReady",
        None => "",
    };
    let mut words: Vec<&str> = vec![name.as_str()];
    if !state.is_empty() {
        words.push(state);
    }
    if group.unschedulable {
        words.push("cordoned");
    }
    if group.control_plane {
        words.push("control plane");
    }
    let mut class = String::from("node");
    if group.ready == Some(false) {
        class.push_str(" not-ready");
    }
    if group.unschedulable {
        class.push_str(" cordoned");
    }
    Drawn {
        key: format!("Node/{name}"),
        object: object("Node", None, name),
        rect: group.rect,
        class,
        lines: [words.join(" · "), String::new(), String::new()],
        title: format!("Node {}", words.join(", ")),
        status: state.into(),
    }
}

/// Average glyph widths (SVG units) of the 12px bold first line and the 11px other lines.
const NAME_GLYPH: f64 = 7.2;
const LINE_GLYPH: f64 = 6.3;
/// Left and right padding inside a box.
const PADDING: f64 = 16.0;

/// `text` shortened with an ellipsis to fit `width` (the full text stays in the title).
pub fn fit(text: &str, width: f64, glyph: f64) -> String {
    let room = ((width - PADDING) / glyph).floor().max(1.0) as usize;
    if text.chars().count() <= room {
        return text.to_string();
    }
    let mut short: String = text.chars().take(room.saturating_sub(1)).collect();
    short.push('…');
    short
}

fn fitted(mut drawn: Drawn) -> Drawn {
    let w = drawn.rect.w;
    for (i, line) in drawn.lines.iter_mut().enumerate() {
        *line = fit(line, w, if i == 0 { NAME_GLYPH } else { LINE_GLYPH });
    }
    drawn
}

/// Every box of `layout` but the nodes, in drawing order, their lines fitted to their width.
pub fn boxes(layout: &Layout, ns: &str, now_ms: i64) -> Vec<Drawn> {
    layout
        .services
        .iter()
        .map(|s| service(s, ns))
        .chain(layout.pods.iter().map(|p| pod(p, ns, now_ms)))
        .chain(layout.claims.iter().map(|c| claim(c, ns)))
        .chain(layout.volumes.iter().map(volume))
        .chain(layout.classes.iter().map(storage_class))
        .map(fitted)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_box_says_status_readiness_restarts_ip_and_age() {
        let placed = Placed {
            rect: Rect::default(),
            item: PodInfo {
                uid: "u1".into(),
                name: "mysql".into(),
                node: Some("kind-worker".into()),
                phase: "Running".into(),
                status: "Running".into(),
                ready_containers: 1,
                containers: 1,
                restarts: 3,
                ip: Some("10.244.1.5".into()),
                created_at_ms: Some(1_000),
                dns: Some("mysql-0.mysql.default.svc.cluster.local".into()),
                ..PodInfo::default()
            },
        };
        let d = pod(&placed, "default", 1_000 + 75_000);
        assert_eq!(d.key, "Pod/u1");
        assert_eq!(d.class, "box pod phase-running");
        assert_eq!(d.lines[1], "Running · 1/1 · ↻3");
        assert_eq!(d.lines[2], "10.244.1.5 · 75s");
        assert!(d.title.contains("on kind-worker"));
        assert!(
            d.title
                .ends_with("DNS: mysql-0.mysql.default.svc.cluster.local")
        );
        assert_eq!(
            d.object.expect("a pod is selectable").namespace.as_deref(),
            Some("default")
        );
    }

    #[test]
    fn headless_and_cluster_ip_services_look_different() {
        let headless = service(
            &Placed {
                rect: Rect::default(),
                item: ServiceInfo {
                    name: "mysql".into(),
                    headless: true,
                    ..ServiceInfo::default()
                },
            },
            "default",
        );
        let virtual_ip = service(
            &Placed {
                rect: Rect::default(),
                item: ServiceInfo {
                    name: "web".into(),
                    service_type: "ClusterIP".into(),
                    cluster_ip: Some("10.96.0.9".into()),
                    ..ServiceInfo::default()
                },
            },
            "default",
        );
        assert_eq!(headless.class, "box service headless");
        assert_eq!(headless.lines[1], "headless · no ClusterIP");
        assert_eq!(virtual_ip.class, "box service cluster-ip");
        assert_eq!(virtual_ip.lines[1], "ClusterIP · 10.96.0.9");
    }

    #[test]
    fn long_lines_are_shortened_to_fit_their_box() {
        assert_eq!(fit("standard", 112.0, LINE_GLYPH), "standard");
        let name = "pvc-559b0b9b-5376-40cb-a7d4-0e3f2c1b9a77";
        let short = fit(name, 160.0, NAME_GLYPH);
        assert_eq!(short, "pvc-559b0b9b-5376-4…");
        assert!(short.chars().count() as f64 * NAME_GLYPH <= 160.0 - PADDING);
    }

    #[test]
    fn a_lost_node_says_not_ready() {
        let d = node(&NodeGroup {
            rect: Rect::default(),
            name: Some("kind-worker2".into()),
            ready: Some(false),
            unschedulable: true,
            control_plane: false,
        });
        assert_eq!(d.lines[0], "kind-worker2 · NotReady · cordoned");
        assert_eq!(d.class, "node not-ready cordoned");
    }
}
