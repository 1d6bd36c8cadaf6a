//! Which of the lab's actions the picture offers for the selected object: the actions whose
//! target (from the lab definition) is that pod or node. Pure, so it is tested natively.

use super::model::{ClusterSnapshot, ObjectRef, PodInfo};
use crate::lab::model::{ActionTarget, ActionView, PodTarget};

/// The actions of `actions` that act on `selected`, in the lab's order.
pub fn offered<'a>(
    actions: &'a [ActionView],
    selected: &ObjectRef,
    snapshot: &ClusterSnapshot,
) -> Vec<&'a ActionView> {
    actions
        .iter()
        .filter(|a| {
            a.target
                .as_ref()
                .is_some_and(|t| acts_on(t, selected, snapshot))
        })
        .collect()
}

fn acts_on(target: &ActionTarget, selected: &ObjectRef, snapshot: &ClusterSnapshot) -> bool {
    match selected.kind.as_str() {
        "Pod" => {
            // A replacement may share the name of a pod on its way out; either will do.
            let Some(pod) = snapshot.pods.iter().find(|p| p.name == selected.name) else {
                return false;
            };
            match target {
                ActionTarget::Pod(t)
                | ActionTarget::Node {
                    of_pod: Some(t), ..
                } => selects(t, pod),
                ActionTarget::Node { .. } => false,
                ActionTarget::Workload { resource, name } => owned_by(pod, resource, name),
            }
        }
        "Node" => match target {
            ActionTarget::Node {
                name: Some(node), ..
            } => *node == selected.name,
            ActionTarget::Node {
                name: None,
                of_pod: Some(t),
            } => snapshot.pods_on(&selected.name).any(|p| selects(t, p)),
            // No target: the action acts on every (cordoned, lost) node.
            ActionTarget::Node {
                name: None,
                of_pod: None,
            } => true,
            ActionTarget::Pod(_) | ActionTarget::Workload { .. } => false,
        },
        _ => false,
    }
}

/// The pod has the target's name (if it names one) and every label of its selector.
fn selects(target: &PodTarget, pod: &PodInfo) -> bool {
    if target.name.is_none() && target.selector.is_none() {
        return false;
    }
    let name_matches = target.name.as_ref().is_none_or(|n| *n == pod.name);
    let labels_match = target.selector.as_ref().is_none_or(|selector| {
        selector
            .split(',')
            .map(str::trim)
            .filter(|term| !term.is_empty())
            .all(|term| pod.labels.iter().any(|l| l == term))
    });
    name_matches && labels_match
}

/// The pod belongs to the Deployment or StatefulSet (a Deployment's pods are owned by its
/// ReplicaSet, named `<deployment>-<hash>`).
fn owned_by(pod: &PodInfo, resource: &str, name: &str) -> bool {
    let Some((kind, owner)) = pod.owner.as_deref().and_then(|o| o.split_once('/')) else {
        return false;
    };
    match (resource, kind) {
        ("StatefulSet", "StatefulSet") => owner == name,
        ("Deployment", "ReplicaSet") => owner
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|hash| !hash.is_empty() && !hash.contains('-')),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(id: &str, target: ActionTarget) -> ActionView {
        ActionView {
            id: id.into(),
            label: id.into(),
            target: Some(target),
        }
    }

    fn pods(name: Option<&str>, selector: Option<&str>) -> PodTarget {
        PodTarget {
            name: name.map(Into::into),
            selector: selector.map(Into::into),
        }
    }

    fn selected(kind: &str, name: &str) -> ObjectRef {
        ObjectRef {
            kind: kind.into(),
            namespace: None,
            name: name.into(),
        }
    }

    fn snapshot() -> ClusterSnapshot {
        ClusterSnapshot {
            pods: vec![
                PodInfo {
                    name: "mysql".into(),
                    node: Some("worker-1".into()),
                    labels: vec!["app=mysql".into()],
                    ..PodInfo::default()
                },
                PodInfo {
                    name: "web-5d9c7f-abcde".into(),
                    node: Some("worker-2".into()),
                    owner: Some("ReplicaSet/web-5d9c7f".into()),
                    labels: vec!["app=web".into(), "tier=front".into()],
                    ..PodInfo::default()
                },
                PodInfo {
                    name: "db-0".into(),
                    node: Some("worker-2".into()),
                    owner: Some("StatefulSet/db".into()),
                    ..PodInfo::default()
                },
            ],
            ..ClusterSnapshot::default()
        }
    }

    fn ids(actions: &[ActionView], object: &ObjectRef) -> Vec<String> {
        offered(actions, object, &snapshot())
            .into_iter()
            .map(|a| a.id.clone())
            .collect()
    }

    #[test]
    fn pods_get_the_actions_that_name_or_select_them() {
        let actions = [
            action("by-name", ActionTarget::Pod(pods(Some("mysql"), None))),
            action("by-label", ActionTarget::Pod(pods(None, Some("app=web")))),
            action(
                "by-labels",
                ActionTarget::Pod(pods(None, Some("app=web, tier=front"))),
            ),
            action(
                "lose-its-node",
                ActionTarget::Node {
                    name: None,
                    of_pod: Some(pods(Some("mysql"), None)),
                },
            ),
            action(
                "scale-web",
                ActionTarget::Workload {
                    resource: "Deployment".into(),
                    name: "web".into(),
                },
            ),
            action(
                "scale-db",
                ActionTarget::Workload {
                    resource: "StatefulSet".into(),
                    name: "db".into(),
                },
            ),
        ];
        assert_eq!(
            ids(&actions, &selected("Pod", "mysql")),
            ["by-name", "lose-its-node"]
        );
        assert_eq!(
            ids(&actions, &selected("Pod", "web-5d9c7f-abcde")),
            ["by-label", "by-labels", "scale-web"]
        );
        assert_eq!(ids(&actions, &selected("Pod", "db-0")), ["scale-db"]);
        assert!(ids(&actions, &selected("Pod", "gone")).is_empty());
        assert!(ids(&actions, &selected("Service", "mysql")).is_empty());
    }

    #[test]
    fn nodes_get_their_own_actions_and_those_of_their_pods() {
        let actions = [
            action(
                "cordon-1",
                ActionTarget::Node {
                    name: Some("worker-1".into()),
                    of_pod: None,
                },
            ),
            action(
                "drain-mysql-node",
                ActionTarget::Node {
                    name: None,
                    of_pod: Some(pods(Some("mysql"), None)),
                },
            ),
            action(
                "restore-all",
                ActionTarget::Node {
                    name: None,
                    of_pod: None,
                },
            ),
            action("delete-mysql", ActionTarget::Pod(pods(Some("mysql"), None))),
        ];
        assert_eq!(
            ids(&actions, &selected("Node", "worker-1")),
            ["cordon-1", "drain-mysql-node", "restore-all"]
        );
        assert_eq!(
            ids(&actions, &selected("Node", "worker-2")),
            ["restore-all"]
        );
    }

    #[test]
    fn a_deployment_owns_only_its_own_replica_sets_pods() {
        let pod = |owner: &str| PodInfo {
            owner: Some(owner.into()),
            ..PodInfo::default()
        };
        assert!(owned_by(&pod("ReplicaSet/web-5d9c7f"), "Deployment", "web"));
        assert!(!owned_by(
            &pod("ReplicaSet/web-api-5d9c7f"),
            "Deployment",
            "web"
        ));
        assert!(!owned_by(&pod("StatefulSet/web"), "Deployment", "web"));
        assert!(!owned_by(
            &pod("ReplicaSet/web-5d9c7f"),
            "StatefulSet",
            "web"
        ));
    }
}
