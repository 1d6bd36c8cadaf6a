//! Relations between objects: Service → pods, ports, StatefulSet → headless Service,
//! pod → claim → volume.

use super::Grader;
use super::state::{describe, find};
use crate::cluster::{labels_match, name_of, pod_is_ready};
use crate::diagnose;
use crate::error::GraderError;
use crate::model::Check;
use crate::path::{lookup, str_at};
use crate::result::{Diagnosis, Outcome};
use serde_json::Value;

pub(super) async fn evaluate(g: &Grader, check: &Check) -> Result<Outcome, GraderError> {
    match check {
        Check::ServiceHasEndpoints { service, namespace } => {
            let ns = namespace.as_deref();
            let Some(svc) = g.view.get("Service", ns, service).await? else {
                return Ok(
                    Outcome::fail(format!("Service/{service} does not exist")).with(Some(
                        diagnose::network::missing_service(&g.view, ns, service).await?,
                    )),
                );
            };
            let pods = g.view.list("Pod", ns, None).await?;
            let ready: Vec<&str> = selected(&svc, &pods)
                .into_iter()
                .filter(|p| pod_is_ready(p))
                .map(name_of)
                .collect();
            if ready.is_empty() {
                let d = diagnose::network::no_endpoints(&svc, &pods);
                return Ok(
                    Outcome::fail(format!("Service/{service} selects no ready pod")).with(Some(d)),
                );
            }
            Ok(Outcome::pass(format!(
                "Service/{service} selects ready pod(s): {}",
                ready.join(", ")
            )))
        }
        Check::ServicePortMatches { service, namespace } => {
            let ns = namespace.as_deref();
            let Some(svc) = g.view.get("Service", ns, service).await? else {
                return Ok(Outcome::fail(format!("Service/{service} does not exist")));
            };
            let pods = g.view.list("Pod", ns, None).await?;
            let chosen = selected(&svc, &pods);
            if chosen.is_empty() {
                let d = diagnose::network::no_endpoints(&svc, &pods);
                return Ok(Outcome::fail(format!(
                    "Service/{service} selects no pod to compare ports with"
                ))
                .with(Some(d)));
            }
            match diagnose::network::port_mismatch(&svc, &chosen) {
                None => Ok(Outcome::pass(format!(
                    "Service/{service}: every targetPort is a containerPort"
                ))),
                Some(d) => Ok(Outcome::fail(format!(
                    "Service/{service}: a targetPort matches no containerPort"
                ))
                .with(Some(d))),
            }
        }
        Check::StatefulsetHeadless {
            statefulset,
            namespace,
        } => {
            let ns = namespace.as_deref();
            let Some(sts) = g.view.get("StatefulSet", ns, statefulset).await? else {
                return Ok(Outcome::fail(format!(
                    "StatefulSet/{statefulset} does not exist"
                )));
            };
            let Some(svc_name) = str_at(&sts, "spec.serviceName").filter(|s| !s.is_empty()) else {
                return Ok(Outcome::fail(format!(
                    "StatefulSet/{statefulset} has no spec.serviceName"
                ))
                .with(Some(
                    Diagnosis::new("Without spec.serviceName the pods get no stable DNS names.")
                        .object(format!("StatefulSet/{statefulset}")),
                )));
            };
            let Some(svc) = g.view.get("Service", ns, svc_name).await? else {
                return Ok(Outcome::fail(format!(
                    "StatefulSet/{statefulset} names Service/{svc_name} in spec.serviceName, which does not exist"
                ))
                .with(Some(
                    Diagnosis::new(format!(
                        "spec.serviceName of StatefulSet/{statefulset} is `{svc_name}`, but there is no such Service: \
                         pod names like {statefulset}-0.{svc_name} will not resolve until a headless Service with that name exists."
                    ))
                    .object(format!("StatefulSet/{statefulset}")),
                )));
            };
            let cluster_ip = str_at(&svc, "spec.clusterIP").unwrap_or("");
            Ok(Outcome::verdict(
                cluster_ip == "None",
                format!("StatefulSet/{statefulset} is governed by headless Service/{svc_name}"),
                format!("Service/{svc_name} has clusterIP {cluster_ip}, not None"),
            )
            .with((cluster_ip != "None").then(|| {
                Diagnosis::new(format!(
                    "Service/{svc_name} (spec.serviceName of StatefulSet/{statefulset}) has a virtual IP ({cluster_ip}): \
                     it load-balances, and no per-pod DNS records exist. Set `clusterIP: None` (a new Service: clusterIP is immutable)."
                ))
                .object(format!("Service/{svc_name}"))
                .object(format!("StatefulSet/{statefulset}"))
            })))
        }
        Check::PodMountsPvc {
            target,
            path,
            claim,
        } => {
            let what = describe("Pod", target);
            let pods = find(g, "Pod", target).await?;
            let Some(pod) = pods
                .iter()
                .find(|p| lookup(p, "metadata.deletionTimestamp").is_empty())
            else {
                return Ok(Outcome::fail(format!("{what} does not exist")));
            };
            let pod_name = name_of(pod);
            match claim_at(pod, path) {
                Some(found) if claim.as_deref().is_none_or(|c| c == found) => Ok(Outcome::pass(
                    format!("Pod/{pod_name} mounts PVC/{found} at {path}"),
                )),
                other => {
                    let msg = match (other, claim) {
                        (Some(found), Some(c)) => {
                            format!("Pod/{pod_name} mounts PVC/{found} at {path}, not PVC/{c}")
                        }
                        _ => format!("Pod/{pod_name} mounts no PVC at {path}"),
                    };
                    Ok(Outcome::fail(msg).with(Some(diagnose::data::where_data_goes(pod, path))))
                }
            }
        }
        Check::PvcBoundTo {
            claim,
            namespace,
            storage_class,
            reclaim_policy,
        } => {
            let ns = namespace.as_deref();
            let Some(pvc) = g.view.get("PersistentVolumeClaim", ns, claim).await? else {
                return Ok(Outcome::fail(format!(
                    "PersistentVolumeClaim/{claim} does not exist"
                )));
            };
            if str_at(&pvc, "status.phase") != Some("Bound") {
                let d = diagnose::pvc::pending(&g.view, &pvc).await?;
                return Ok(
                    Outcome::fail(format!("PersistentVolumeClaim/{claim} is not Bound"))
                        .with(Some(d)),
                );
            }
            let pv_name = str_at(&pvc, "spec.volumeName").unwrap_or("");
            let Some(pv) = g.view.get("PersistentVolume", None, pv_name).await? else {
                return Ok(Outcome::fail(format!(
                    "PersistentVolumeClaim/{claim} names PersistentVolume/{pv_name}, which does not exist"
                )));
            };
            let class = str_at(&pv, "spec.storageClassName").unwrap_or("");
            let policy = str_at(&pv, "spec.persistentVolumeReclaimPolicy").unwrap_or("");
            let mut wrong = Vec::new();
            if let Some(want) = storage_class.as_deref().filter(|w| *w != class) {
                wrong.push(format!("its class is `{class}`, not `{want}`"));
            }
            if let Some(want) = reclaim_policy.as_deref().filter(|w| *w != policy) {
                wrong.push(format!("its reclaim policy is `{policy}`, not `{want}`"));
            }
            if wrong.is_empty() {
                Ok(Outcome::pass(format!(
                    "PersistentVolumeClaim/{claim} is Bound to PersistentVolume/{pv_name} ({class}, {policy})"
                )))
            } else {
                Ok(Outcome::fail(format!(
                    "PersistentVolumeClaim/{claim} is Bound to PersistentVolume/{pv_name}, but {}",
                    wrong.join(" and ")
                )))
            }
        }
        _ => Err(GraderError::Lab(format!(
            "{} is not a relation check",
            check.kind_name()
        ))),
    }
}

/// The pods a Service's selector matches.
pub(crate) fn selected<'a>(svc: &Value, pods: &'a [Value]) -> Vec<&'a Value> {
    let Some(selector) = svc.pointer("/spec/selector").and_then(Value::as_object) else {
        return Vec::new();
    };
    pods.iter()
        .filter(|p| labels_match(selector, p.pointer("/metadata/labels")))
        .collect()
}

/// The claim mounted at `path` in any container of the pod.
pub(crate) fn claim_at<'a>(pod: &'a Value, path: &str) -> Option<&'a str> {
    let volume = volume_at(pod, path)?;
    volume
        .pointer("/persistentVolumeClaim/claimName")
        .and_then(Value::as_str)
}

/// The pod volume mounted at `path` in any container.
pub(crate) fn volume_at<'a>(pod: &'a Value, path: &str) -> Option<&'a Value> {
    let mount = lookup(pod, "spec.containers[*].volumeMounts[*]")
        .into_iter()
        .find(|m| {
            m.get("mountPath")
                .and_then(Value::as_str)
                .map(|p| p.trim_end_matches('/'))
                == Some(path.trim_end_matches('/'))
        })?;
    let name = mount.get("name")?;
    lookup(pod, "spec.volumes[*]")
        .into_iter()
        .find(|v| v.get("name") == Some(name))
}
