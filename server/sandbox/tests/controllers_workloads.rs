//! Deployment, ReplicaSet and StatefulSet controllers driven through kube-rs in-process, with
//! the real runtime: the scheduler and the simulated kubelets run the pods, and readiness comes
//! from the containers and their readiness probes.

mod controllers_support;

use controllers_support::{
    T, events_for, eventually, has_event, is_ready, never_ready_probe, phase,
};
use k8s_openapi::api::apps::v1::{ControllerRevision, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kubedojo_sandbox::Sandbox;
use serde_json::{Value, json};
use tokio::time::timeout;

/// A container of the simulated mysql image that initialises and runs (it needs a root password).
fn mysql(name: &str, image: &str) -> Value {
    json!({"name": name, "image": image,
        "env": [{"name": "MYSQL_ROOT_PASSWORD", "value": "change-me"}]})
}

fn deployment(name: &str, replicas: i32, container: Value, strategy: Value) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "strategy": strategy,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]}
            }
        }
    }))
    .expect("deployment")
}

fn statefulset(name: &str, replicas: i32, policy: &str, retention: Value) -> StatefulSet {
    let pod_spec = json!({"containers": [mysql("db", "mysql:8.0")]});
    statefulset_with(name, replicas, policy, retention, pod_spec)
}

fn statefulset_with(
    name: &str,
    replicas: i32,
    policy: &str,
    retention: Value,
    pod_spec: Value,
) -> StatefulSet {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "podManagementPolicy": policy,
            "persistentVolumeClaimRetentionPolicy": retention,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": pod_spec
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
            }]
        }
    }))
    .expect("statefulset")
}

fn retain() -> Value {
    json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
}

async fn pods_owned_by(pods: &Api<Pod>, owner_uid: &str) -> Vec<Pod> {
    let list = timeout(T, pods.list(&ListParams::default()))
        .await
        .expect("t")
        .expect("list pods");
    list.items
        .into_iter()
        .filter(|p| {
            p.metadata.deletion_timestamp.is_none()
                && p.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|r| r.uid == owner_uid && r.controller == Some(true))
        })
        .collect()
}

async fn owned_replica_sets(rss: &Api<ReplicaSet>, deploy_uid: &str) -> Vec<ReplicaSet> {
    let list = timeout(T, rss.list(&ListParams::default()))
        .await
        .expect("t")
        .expect("list rs");
    list.items
        .into_iter()
        .filter(|r| {
            r.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == deploy_uid)
        })
        .collect()
}

fn name(o: &impl kube::Resource) -> String {
    o.meta().name.clone().unwrap_or_default()
}

#[tokio::test]
async fn deployment_creates_replicaset_and_pods_with_names_labels_owners() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let deploys: Api<Deployment> = Api::default_namespaced(client.clone());
    let rss: Api<ReplicaSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    let d = timeout(
        T,
        deploys.create(
            &PostParams::default(),
            &deployment(
                "web",
                3,
                // Running but never Ready: the Deployment must count the pods unavailable.
                json!({"name": "web", "image": "nginx:1.27", "readinessProbe": never_ready_probe()}),
                json!({}),
            ),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    let uid = d.metadata.uid.clone().expect("uid");
    let rs = eventually("one ReplicaSet", || {
        let (rss, uid) = (&rss, &uid);
        async move {
            let v = owned_replica_sets(rss, uid).await;
            (v.len() == 1).then(|| v[0].clone())
        }
    })
    .await;
    let rs_name = name(&rs);
    let hash = rs
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("pod-template-hash"))
        .cloned()
        .expect("pod-template-hash label");
    assert_eq!(rs_name, format!("web-{hash}"));
    assert!(hash.len() >= 8, "{hash}");
    let ann = rs.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        ann.get("deployment.kubernetes.io/revision")
            .map(String::as_str),
        Some("1")
    );
    let spec = rs.spec.clone();
    assert_eq!(spec.replicas, Some(3));
    assert_eq!(
        spec.selector
            .match_labels
            .as_ref()
            .and_then(|m| m.get("pod-template-hash")),
        Some(&hash)
    );
    let rs_uid = rs.metadata.uid.clone().expect("rs uid");
    let owned = eventually("3 pods", || {
        let (pods, rs_uid) = (&pods, &rs_uid);
        async move {
            let v = pods_owned_by(pods, rs_uid).await;
            (v.len() == 3).then_some(v)
        }
    })
    .await;
    for p in &owned {
        let n = name(p);
        let suffix = n
            .strip_prefix(&format!("{rs_name}-"))
            .expect("pod name prefix");
        assert_eq!(suffix.len(), 5, "{n}");
        assert!(
            suffix
                .chars()
                .all(|ch| "bcdfghjklmnpqrstvwxz2456789".contains(ch)),
            "{n}"
        );
        let labels = p.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(labels.get("pod-template-hash"), Some(&hash));
        assert!(
            has_event(
                &events,
                &rs_name,
                "SuccessfulCreate",
                &format!("Created pod: {n}")
            )
            .await
        );
    }
    assert!(
        has_event(
            &events,
            "web",
            "ScalingReplicaSet",
            &format!("Scaled up replica set {rs_name} from 0 to 3")
        )
        .await
    );
    // The pods run but never turn ready: the Deployment reports them unavailable.
    for p in &owned {
        let n = name(p);
        eventually(&format!("{n} running"), || {
            let (pods, n) = (&pods, &n);
            async move {
                let p = pods.get(n).await.ok()?;
                (phase(&p) == Some("Running") && !is_ready(&p)).then_some(())
            }
        })
        .await;
    }
    let d = eventually("status", || {
        let deploys = &deploys;
        async move {
            let d = deploys.get("web").await.ok()?;
            let st = d.status.clone()?;
            (st.replicas == Some(3) && st.updated_replicas == Some(3)).then_some(d)
        }
    })
    .await;
    let st = d.status.expect("status");
    assert_eq!(st.unavailable_replicas, Some(3));
    assert_eq!(st.available_replicas, None);
    assert_eq!(st.observed_generation, Some(1));
}

#[tokio::test]
async fn deployment_scales_and_rolls_out_a_new_revision() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let deploys: Api<Deployment> = Api::default_namespaced(client.clone());
    let rss: Api<ReplicaSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let d = timeout(
        T,
        deploys.create(
            &PostParams::default(),
            &deployment(
                "web",
                3,
                json!({"name": "web", "image": "nginx:1.27"}),
                json!({}),
            ),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    let uid = d.metadata.uid.clone().expect("uid");
    eventually("3 available", || {
        let deploys = &deploys;
        async move {
            let st = deploys.get("web").await.ok()?.status?;
            (st.available_replicas == Some(3)).then_some(())
        }
    })
    .await;
    timeout(
        T,
        deploys.patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        ),
    )
    .await
    .expect("t")
    .expect("scale");
    eventually("5 available", || {
        let deploys = &deploys;
        async move {
            let st = deploys.get("web").await.ok()?.status?;
            (st.available_replicas == Some(5)).then_some(())
        }
    })
    .await;
    timeout(
        T,
        deploys.patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}})),
        ),
    )
    .await
    .expect("t")
    .expect("new image");
    let d = eventually("rollout complete", || {
        let deploys = &deploys;
        async move {
            let d = deploys.get("web").await.ok()?;
            let st = d.status.clone()?;
            let done = st.observed_generation == d.metadata.generation
                && st.updated_replicas == Some(5)
                && st.replicas == Some(5)
                && st.available_replicas == Some(5);
            done.then_some(d)
        }
    })
    .await;
    let all = owned_replica_sets(&rss, &uid).await;
    assert_eq!(all.len(), 2, "two ReplicaSets");
    let rev = |r: &ReplicaSet| {
        r.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("deployment.kubernetes.io/revision"))
            .cloned()
            .unwrap_or_default()
    };
    let new = all.iter().find(|r| rev(r) == "2").expect("revision 2");
    let old = all.iter().find(|r| rev(r) == "1").expect("revision 1");
    assert_eq!(new.spec.replicas, Some(5));
    assert_eq!(old.spec.replicas, Some(0));
    assert_eq!(
        d.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("deployment.kubernetes.io/revision"))
            .map(String::as_str),
        Some("2")
    );
    let conds = d.status.and_then(|s| s.conditions).unwrap_or_default();
    let progressing = conds
        .iter()
        .find(|c| c.type_.as_deref() == Some("Progressing"))
        .expect("Progressing");
    assert_eq!(
        progressing.reason.as_deref(),
        Some("NewReplicaSetAvailable")
    );
    assert_eq!(
        progressing.message.as_deref(),
        Some(format!("ReplicaSet \"{}\" has successfully progressed.", name(new)).as_str())
    );
    let available = conds
        .iter()
        .find(|c| c.type_.as_deref() == Some("Available"))
        .expect("Available");
    assert_eq!(available.status.as_deref(), Some("True"));
    // Old pods are all gone, the new ones are owned by the new ReplicaSet.
    let new_uid = new.metadata.uid.clone().expect("uid");
    assert_eq!(pods_owned_by(&pods, &new_uid).await.len(), 5);
    let old_uid = old.metadata.uid.clone().expect("uid");
    assert!(pods_owned_by(&pods, &old_uid).await.is_empty());
}

#[tokio::test]
async fn recreate_scales_old_to_zero_before_the_new_replicaset() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let deploys: Api<Deployment> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    timeout(
        T,
        deploys.create(
            &PostParams::default(),
            &deployment(
                "db",
                2,
                mysql("web", "mysql:8.0"),
                json!({"type": "Recreate"}),
            ),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    eventually("2 available", || {
        let deploys = &deploys;
        async move {
            let st = deploys.get("db").await.ok()?.status?;
            (st.available_replicas == Some(2)).then_some(())
        }
    })
    .await;
    timeout(
        T,
        deploys.patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"template": {"spec": {"containers": [mysql("web", "mysql:8.4")]}}}}),
            ),
        ),
    )
    .await
    .expect("t")
    .expect("new image");
    eventually("rollout complete", || {
        let deploys = &deploys;
        async move {
            let d = deploys.get("db").await.ok()?;
            let st = d.status.clone()?;
            (st.observed_generation == d.metadata.generation
                && st.updated_replicas == Some(2)
                && st.replicas == Some(2)
                && st.available_replicas == Some(2))
            .then_some(())
        }
    })
    .await;
    let scaling: Vec<String> = events_for(&events, "db")
        .await
        .into_iter()
        .filter(|(r, _)| r == "ScalingReplicaSet")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(scaling.len(), 3, "{scaling:?}");
    assert!(
        scaling[0].starts_with("Scaled up replica set db-") && scaling[0].ends_with("from 0 to 2")
    );
    assert!(
        scaling[1].starts_with("Scaled down replica set db-")
            && scaling[1].ends_with("from 2 to 0")
    );
    assert!(
        scaling[2].starts_with("Scaled up replica set db-") && scaling[2].ends_with("from 0 to 2")
    );
    assert_ne!(scaling[0], scaling[2], "a different ReplicaSet");
}

#[tokio::test]
async fn statefulset_creates_in_order_with_claims_first() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    timeout(
        T,
        sets.create(
            &PostParams::default(),
            &statefulset_with(
                "mysql",
                3,
                "OrderedReady",
                retain(),
                json!({"containers": [{
                    "name": "db", "image": "busybox:1.36",
                    "command": ["sh", "-c", "sleep 1; touch /tmp/ready; sleep 3600"],
                    "readinessProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 1}
                }]}),
            ),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    let p0 = eventually("mysql-0", || {
        let pods = &pods;
        async move { pods.get_opt("mysql-0").await.ok().flatten() }
    })
    .await;
    let c0 = timeout(T, pvcs.get("data-mysql-0"))
        .await
        .expect("t")
        .expect("claim before pod");
    // The claim existed when the pod first appeared.
    assert!(c0.metadata.uid.is_some() && p0.metadata.uid.is_some());
    let spec = p0.spec.clone().expect("spec");
    assert_eq!(spec.hostname.as_deref(), Some("mysql-0"));
    assert_eq!(spec.subdomain.as_deref(), Some("mysql"));
    let vol = spec
        .volumes
        .unwrap_or_default()
        .into_iter()
        .find(|v| v.name == "data")
        .expect("data volume");
    assert_eq!(
        vol.persistent_volume_claim.map(|c| c.claim_name).as_deref(),
        Some("data-mysql-0")
    );
    let labels = p0.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels
            .get("statefulset.kubernetes.io/pod-name")
            .map(String::as_str),
        Some("mysql-0")
    );
    assert_eq!(
        labels
            .get("apps.kubernetes.io/pod-index")
            .map(String::as_str),
        Some("0")
    );
    let rev = labels
        .get("controller-revision-hash")
        .cloned()
        .expect("revision label");
    let crs: Api<ControllerRevision> = Api::default_namespaced(client.clone());
    let cr = timeout(T, crs.get(&rev))
        .await
        .expect("t")
        .expect("ControllerRevision");
    assert_eq!(cr.revision, Some(1));
    // OrderedReady: mysql-N+1 is created only once mysql-N is Running and Ready. Each
    // container turns itself ready (its readiness probe passes) about a second after it starts.
    for (prev, next) in [("mysql-0", "mysql-1"), ("mysql-1", "mysql-2")] {
        let (created, ready_since) = eventually(next, || {
            let pods = &pods;
            async move {
                // Read the successor first: readiness only ever goes from false to true here,
                // so a successor seen before a not-ready predecessor was created too early.
                let n = pods.get_opt(next).await.ok()?;
                let p = pods.get_opt(prev).await.ok()??;
                let n = n?;
                assert!(
                    phase(&p) == Some("Running") && is_ready(&p),
                    "{next} created before {prev} was Running and Ready"
                );
                let ready_since = p
                    .status?
                    .conditions?
                    .into_iter()
                    .find(|c| c.type_ == "Ready")?
                    .last_transition_time?;
                Some((n.metadata.creation_timestamp?, ready_since))
            }
        })
        .await;
        assert!(
            created.0 >= ready_since.0,
            "{next} created before {prev} was Ready"
        );
        let claim = format!("data-{next}");
        assert!(
            timeout(T, pvcs.get(&claim)).await.expect("t").is_ok(),
            "{claim}"
        );
    }
    let st = eventually("3 ready", || {
        let sets = &sets;
        async move {
            let st = sets.get("mysql").await.ok()?.status?;
            (st.ready_replicas == Some(3)).then_some(st)
        }
    })
    .await;
    assert_eq!(st.replicas, 3);
    assert_eq!(st.current_revision.as_deref(), Some(rev.as_str()));
    assert_eq!(st.update_revision.as_deref(), Some(rev.as_str()));
    assert_eq!(st.current_replicas, Some(3));
    assert_eq!(st.updated_replicas, Some(3));
    assert_eq!(st.observed_generation, Some(1));
    assert!(
        has_event(
            &events,
            "mysql",
            "SuccessfulCreate",
            "create Claim data-mysql-0 Pod mysql-0 in StatefulSet mysql success"
        )
        .await
    );
    assert!(
        has_event(
            &events,
            "mysql",
            "SuccessfulCreate",
            "create Pod mysql-0 in StatefulSet mysql successful"
        )
        .await
    );
    let order: Vec<String> = events_for(&events, "mysql")
        .await
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let claim_at = order
        .iter()
        .position(|m| m.starts_with("create Claim data-mysql-0"))
        .expect("claim event");
    let pod_at = order
        .iter()
        .position(|m| m.starts_with("create Pod mysql-0"))
        .expect("pod event");
    assert!(claim_at < pod_at, "{order:?}");
}

#[tokio::test]
async fn statefulset_replaces_a_deleted_pod_with_the_same_claim() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    timeout(
        T,
        sets.create(
            &PostParams::default(),
            &statefulset("mysql", 2, "OrderedReady", retain()),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    eventually("2 ready", || {
        let sets = &sets;
        async move {
            let st = sets.get("mysql").await.ok()?.status?;
            (st.ready_replicas == Some(2)).then_some(())
        }
    })
    .await;
    let old_pod = pods.get("mysql-0").await.expect("pod");
    let claim_uid = pvcs
        .get("data-mysql-0")
        .await
        .expect("pvc")
        .metadata
        .uid
        .expect("uid");
    timeout(T, pods.delete("mysql-0", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete");
    let new_pod = eventually("a new mysql-0", || {
        let (pods, old) = (&pods, &old_pod.metadata.uid);
        async move {
            let p = pods.get_opt("mysql-0").await.ok().flatten()?;
            (p.metadata.uid != *old).then_some(p)
        }
    })
    .await;
    let claim = new_pod
        .spec
        .and_then(|s| s.volumes)
        .unwrap_or_default()
        .into_iter()
        .find_map(|v| v.persistent_volume_claim)
        .map(|c| c.claim_name);
    assert_eq!(claim.as_deref(), Some("data-mysql-0"));
    let now_uid = pvcs.get("data-mysql-0").await.expect("pvc").metadata.uid;
    assert_eq!(now_uid.as_deref(), Some(claim_uid.as_str()));
}

async fn scale_down_and_check_claims(when_scaled: &str, claims_kept: bool) {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    timeout(
        T,
        sets.create(
            &PostParams::default(),
            &statefulset(
                "mysql",
                3,
                "OrderedReady",
                json!({"whenDeleted": "Retain", "whenScaled": when_scaled}),
            ),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    eventually("3 ready", || {
        let sets = &sets;
        async move {
            let st = sets.get("mysql").await.ok()?.status?;
            (st.ready_replicas == Some(3)).then_some(())
        }
    })
    .await;
    timeout(
        T,
        sets.patch(
            "mysql",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 1}})),
        ),
    )
    .await
    .expect("t")
    .expect("scale");
    eventually("1 replica", || {
        let pods = &pods;
        async move {
            let gone = pods.get_opt("mysql-1").await.ok()?.is_none()
                && pods.get_opt("mysql-2").await.ok()?.is_none();
            gone.then_some(())
        }
    })
    .await;
    assert!(pods.get_opt("mysql-0").await.expect("get").is_some());
    let deletes: Vec<String> = events_for(&events, "mysql")
        .await
        .into_iter()
        .filter(|(r, _)| r == "SuccessfulDelete")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        deletes,
        vec![
            "delete Pod mysql-2 in StatefulSet mysql successful".to_string(),
            "delete Pod mysql-1 in StatefulSet mysql successful".to_string()
        ]
    );
    if claims_kept {
        for n in ["data-mysql-0", "data-mysql-1", "data-mysql-2"] {
            assert!(pvcs.get_opt(n).await.expect("get").is_some(), "{n} kept");
        }
    } else {
        eventually("condemned claims deleted", || {
            let pvcs = &pvcs;
            async move {
                let gone = pvcs.get_opt("data-mysql-1").await.ok()?.is_none()
                    && pvcs.get_opt("data-mysql-2").await.ok()?.is_none();
                gone.then_some(())
            }
        })
        .await;
        assert!(pvcs.get_opt("data-mysql-0").await.expect("get").is_some());
    }
}

#[tokio::test]
async fn statefulset_scales_down_highest_first_and_keeps_claims_by_default() {
    scale_down_and_check_claims("Retain", true).await;
}

#[tokio::test]
async fn statefulset_scale_down_deletes_claims_when_scaled_delete() {
    scale_down_and_check_claims("Delete", false).await;
}

#[tokio::test]
async fn statefulset_when_deleted_delete_owns_claims() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let set = timeout(
        T,
        sets.create(
            &PostParams::default(),
            &statefulset(
                "web",
                1,
                "Parallel",
                json!({"whenDeleted": "Delete", "whenScaled": "Retain"}),
            ),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    let set_uid = set.metadata.uid.expect("uid");
    let claim = eventually("claim", || {
        let pvcs = &pvcs;
        async move { pvcs.get_opt("data-web-0").await.ok().flatten() }
    })
    .await;
    let refs = claim.metadata.owner_references.unwrap_or_default();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].uid, set_uid);
    assert_eq!(refs[0].kind, "StatefulSet");
    timeout(T, sets.delete("web", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete");
    eventually("claim deleted with the set", || {
        let pvcs = &pvcs;
        async move {
            pvcs.get_opt("data-web-0")
                .await
                .ok()?
                .is_none()
                .then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn parallel_statefulset_launches_all_pods_at_once() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let pod_spec = json!({"containers": [{
        "name": "web", "image": "nginx:1.27", "readinessProbe": never_ready_probe()
    }]});
    timeout(
        T,
        sets.create(
            &PostParams::default(),
            &statefulset_with("web", 3, "Parallel", retain(), pod_spec),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    // No pod ever becomes ready (the probe fails), yet all three exist and run.
    eventually("3 pods running, none ready", || {
        let pods = &pods;
        async move {
            let items = pods.list(&ListParams::default()).await.ok()?.items;
            let running = items.iter().filter(|p| phase(p) == Some("Running")).count();
            assert!(!items.iter().any(is_ready), "a pod turned ready");
            (items.len() == 3 && running == 3).then_some(())
        }
    })
    .await;
    for n in ["web-0", "web-1", "web-2"] {
        assert!(pods.get_opt(n).await.expect("get").is_some(), "{n}");
    }
    let st = timeout(T, sets.get("web"))
        .await
        .expect("t")
        .expect("set")
        .status
        .expect("status");
    assert_eq!(st.ready_replicas.unwrap_or(0), 0);
}

#[tokio::test]
async fn statefulset_rolling_update_goes_highest_first_to_the_new_revision() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    timeout(
        T,
        sets.create(
            &PostParams::default(),
            &statefulset("db", 3, "OrderedReady", retain()),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    let first = eventually("3 ready", || {
        let sets = &sets;
        async move {
            let st = sets.get("db").await.ok()?.status?;
            (st.ready_replicas == Some(3)).then_some(st)
        }
    })
    .await;
    timeout(
        T,
        sets.patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"template": {"spec": {"containers": [mysql("db", "mysql:8.4")]}}}}),
            ),
        ),
    )
    .await
    .expect("t")
    .expect("update");
    let st = eventually("rolled", || {
        let (sets, old) = (&sets, &first.update_revision);
        async move {
            let s = sets.get("db").await.ok()?;
            let st = s.status.clone()?;
            let done = st.observed_generation == s.metadata.generation
                && st.update_revision != *old
                && st.current_revision == st.update_revision
                && st.updated_replicas == Some(3)
                && st.ready_replicas == Some(3);
            done.then_some(st)
        }
    })
    .await;
    for n in ["db-0", "db-1", "db-2"] {
        let p = pods.get(n).await.expect("pod");
        let rev = p
            .metadata
            .labels
            .and_then(|l| l.get("controller-revision-hash").cloned());
        assert_eq!(rev, st.update_revision, "{n}");
    }
    let deletes: Vec<String> = events_for(&events, "db")
        .await
        .into_iter()
        .filter(|(r, _)| r == "SuccessfulDelete")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        deletes,
        vec![
            "delete Pod db-2 in StatefulSet db successful".to_string(),
            "delete Pod db-1 in StatefulSet db successful".to_string(),
            "delete Pod db-0 in StatefulSet db successful".to_string()
        ]
    );
}

#[tokio::test]
async fn recreated_statefulset_adopts_orphaned_pods() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    create_set(&sets, &statefulset("web", 2, "OrderedReady", retain())).await;
    eventually("2 ready", || {
        let sets = &sets;
        async move {
            let st = sets.get("web").await.ok()?.status?;
            (st.ready_replicas == Some(2)).then_some(())
        }
    })
    .await;
    let before = pods.get("web-0").await.expect("pod").metadata.uid;
    timeout(T, sets.delete("web", &DeleteParams::orphan()))
        .await
        .expect("t")
        .expect("orphan delete");
    eventually("set gone", || {
        let sets = &sets;
        async move { sets.get_opt("web").await.ok()?.is_none().then_some(()) }
    })
    .await;
    let orphan = pods.get("web-0").await.expect("pod survives");
    assert!(
        orphan
            .metadata
            .owner_references
            .unwrap_or_default()
            .is_empty()
    );
    let set = create_set(&sets, &statefulset("web", 2, "OrderedReady", retain())).await;
    let uid = set.metadata.uid.expect("uid");
    let adopted = eventually("adopted", || {
        let (pods, uid) = (&pods, &uid);
        async move {
            let p = pods.get("web-0").await.ok()?;
            p.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.uid == *uid)
                .then_some(p)
        }
    })
    .await;
    assert_eq!(adopted.metadata.uid, before, "the same pod, not a new one");
}

async fn create_set(sets: &Api<StatefulSet>, s: &StatefulSet) -> StatefulSet {
    timeout(T, sets.create(&PostParams::default(), s))
        .await
        .expect("t")
        .expect("create")
}

#[tokio::test]
async fn stuck_rollout_exceeds_its_progress_deadline() {
    let c = Sandbox::default().create_cluster();
    let deploys: Api<Deployment> = Api::default_namespaced(c.client());
    // An image no registry has: the pod stays in ErrImagePull/ImagePullBackOff.
    let mut d = deployment(
        "stuck",
        1,
        json!({"name": "web", "image": "example.com/no-such/image:1.0"}),
        json!({}),
    );
    d.spec.progress_deadline_seconds = Some(1);
    timeout(T, deploys.create(&PostParams::default(), &d))
        .await
        .expect("t")
        .expect("create");
    // The pod never becomes ready, so the rollout makes no progress.
    let cond = eventually("ProgressDeadlineExceeded", || {
        let deploys = &deploys;
        async move {
            let st = deploys.get("stuck").await.ok()?.status?;
            st.conditions?.into_iter().find(|c| {
                c.type_.as_deref() == Some("Progressing")
                    && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
            })
        }
    })
    .await;
    assert_eq!(cond.status.as_deref(), Some("False"));
    assert!(
        cond.message
            .as_deref()
            .is_some_and(|m| m.starts_with("ReplicaSet \"stuck-")
                && m.ends_with("\" has timed out progressing.")),
        "{cond:?}"
    );
}
