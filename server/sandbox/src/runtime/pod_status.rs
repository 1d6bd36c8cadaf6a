//! The pod status a kubelet reports: phase, conditions, IPs and container statuses, built from
//! what the node knows. Conditions keep their lastTransitionTime while their status holds.

use super::{CState, ContainerRt, PodRt, Terminated};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A stable fake digest for ids (containerd ids and image digests are 64 hex characters).
fn digest(seed: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut out = String::new();
    for i in 0..4u8 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (seed, i).hash(&mut h);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// The fully qualified form of an image reference, as containerd reports it.
fn qualified_image(image: &str) -> String {
    let with_tag = if image.rsplit('/').next().is_some_and(|l| l.contains(':') || l.contains('@')) {
        image.to_string()
    } else {
        format!("{image}:latest")
    };
    let first = with_tag.split('/').next().unwrap_or_default();
    if with_tag.contains('/') && (first.contains('.') || first.contains(':')) {
        with_tag
    } else if with_tag.contains('/') {
        format!("docker.io/{with_tag}")
    } else {
        format!("docker.io/library/{with_tag}")
    }
}

fn terminated_json(t: &Terminated, container_id: &str) -> Value {
    let mut v = json!({
        "exitCode": t.exit_code,
        "reason": t.reason,
        "startedAt": ts(&t.started),
        "finishedAt": ts(&t.finished),
        "containerID": container_id,
    });
    if let Some(m) = &t.message {
        v["message"] = json!(m);
    }
    v
}

fn container_status(pod_uid: &str, c: &ContainerRt) -> Value {
    let cid = format!("containerd://{}", digest(&format!("{pod_uid}/{}/{}", c.name, c.instance)));
    let prev_cid = format!(
        "containerd://{}",
        digest(&format!("{pod_uid}/{}/{}", c.name, c.instance.saturating_sub(1)))
    );
    let state = match &c.state {
        CState::Waiting { reason, message } => {
            let mut w = json!({"reason": reason});
            if let Some(m) = message {
                w["message"] = json!(m);
            }
            json!({"waiting": w})
        }
        CState::Running { started } => json!({"running": {"startedAt": ts(started)}}),
        CState::Terminated(t) => json!({"terminated": terminated_json(t, &cid)}),
    };
    let last = match &c.last {
        Some(t) => json!({"terminated": terminated_json(t, &prev_cid)}),
        None => json!({}),
    };
    let image = qualified_image(&c.image);
    let mut v = json!({
        "name": c.name,
        "state": state,
        "lastState": last,
        "ready": c.ready,
        "restartCount": c.restarts,
        "image": image,
        "imageID": format!("{}@sha256:{}", image.split(':').next().unwrap_or_default(), digest(&image)),
        "started": matches!(c.state, CState::Running { .. }),
    });
    if !matches!(c.state, CState::Waiting { .. }) || c.last.is_some() {
        v["containerID"] = json!(cid);
    }
    v
}

/// The phase from container states and the restart policy.
pub(crate) fn phase(restart_policy: &str, containers: &[ContainerRt]) -> &'static str {
    let (init, main): (Vec<&ContainerRt>, Vec<&ContainerRt>) = containers.iter().partition(|c| c.init);
    let init_done = init
        .iter()
        .all(|c| matches!(&c.state, CState::Terminated(t) if t.exit_code == 0));
    if !init_done {
        let failed_for_good = restart_policy == "Never"
            && init.iter().any(|c| matches!(&c.state, CState::Terminated(t) if t.exit_code != 0));
        return if failed_for_good { "Failed" } else { "Pending" };
    }
    let ever_started = |c: &&ContainerRt| !matches!(c.state, CState::Waiting { .. }) || c.last.is_some();
    if !main.iter().any(ever_started) {
        return "Pending";
    }
    let all_done = main.iter().all(|c| matches!(c.state, CState::Terminated(_)));
    if !all_done || restart_policy == "Always" {
        return "Running";
    }
    let all_ok = main
        .iter()
        .all(|c| matches!(&c.state, CState::Terminated(t) if t.exit_code == 0));
    match (restart_policy, all_ok) {
        (_, true) => "Succeeded",
        ("Never", false) => "Failed",
        _ => "Running",
    }
}

fn condition(old: &Value, ty: &str, ok: bool, reason: Option<&str>, message: Option<String>, now: &str) -> Value {
    let status = if ok { "True" } else { "False" };
    let prev = old["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == ty);
    let since = match prev {
        Some(p) if p["status"] == status => p["lastTransitionTime"].clone(),
        _ => json!(now),
    };
    let mut c = json!({"type": ty, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    if let Some(m) = message {
        c["message"] = json!(m);
    }
    c
}

/// The whole status of a pod on its node.
pub(crate) fn build(pod: &Value, rt: &PodRt, containers: &[ContainerRt]) -> Value {
    let old = &pod["status"];
    let now = crate::admission::meta::now();
    let policy = pod["spec"]["restartPolicy"].as_str().unwrap_or("Always");
    let phase = phase(policy, containers);
    let (init, main): (Vec<&ContainerRt>, Vec<&ContainerRt>) = containers.iter().partition(|c| c.init);
    let init_done = init
        .iter()
        .all(|c| matches!(&c.state, CState::Terminated(t) if t.exit_code == 0));
    let unready: Vec<&str> = main.iter().filter(|c| !c.ready).map(|c| c.name.as_str()).collect();
    let finished = matches!(phase, "Succeeded" | "Failed");
    let ready = unready.is_empty() && !finished;
    let not_ready_msg = (!ready).then(|| format!("containers with unready status: [{}]", unready.join(" ")));
    let not_ready_reason = if finished { "PodCompleted" } else { "ContainersNotReady" };
    let init_pending: Vec<&str> = init
        .iter()
        .filter(|c| !matches!(&c.state, CState::Terminated(t) if t.exit_code == 0))
        .map(|c| c.name.as_str())
        .collect();
    let sandbox_ready = !finished;
    let conditions = json!([
        condition(old, "PodReadyToStartContainers", sandbox_ready, None, None, &now),
        condition(
            old,
            "Initialized",
            init_done,
            (!init_done).then_some("ContainersNotInitialized"),
            (!init_done).then(|| format!("containers with incomplete status: [{}]", init_pending.join(" "))),
            &now
        ),
        condition(old, "Ready", ready, (!ready).then_some(not_ready_reason), not_ready_msg.clone(), &now),
        condition(old, "ContainersReady", ready, (!ready).then_some(not_ready_reason), not_ready_msg, &now),
        condition(old, "PodScheduled", true, None, None, &now),
    ]);
    let mut st = json!({
        "phase": phase,
        "conditions": conditions,
        "hostIP": rt.host_ip.to_string(),
        "hostIPs": [{"ip": rt.host_ip.to_string()}],
        "podIP": rt.ip.to_string(),
        "podIPs": [{"ip": rt.ip.to_string()}],
        "startTime": ts(&rt.started),
        "containerStatuses": main.iter().map(|c| container_status(&rt.uid, c)).collect::<Vec<_>>(),
    });
    if !init.is_empty() {
        st["initContainerStatuses"] = json!(init.iter().map(|c| container_status(&rt.uid, c)).collect::<Vec<_>>());
    }
    if let Some(q) = old.get("qosClass") {
        st["qosClass"] = q.clone();
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_are_qualified_like_containerd_does() {
        assert_eq!(qualified_image("mysql:8.4"), "docker.io/library/mysql:8.4");
        assert_eq!(qualified_image("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(qualified_image("bitnami/mysql:8"), "docker.io/bitnami/mysql:8");
        assert_eq!(
            qualified_image("registry.k8s.io/coredns/coredns:v1.11.3"),
            "registry.k8s.io/coredns/coredns:v1.11.3"
        );
    }
}
