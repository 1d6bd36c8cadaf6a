//! "The app cannot reach the database": the Service, its selector and the pods' labels, ready
//! endpoints, ports, and DNS names (headless vs ClusterIP, namespaces, pod names).

use crate::cluster::{ClusterView, labels_match, name_of, pod_is_ready};
use crate::error::GraderError;
use crate::path::{lookup, str_at};
use crate::result::Diagnosis;
use serde_json::{Map, Value};

fn show_labels(labels: Option<&Value>) -> String {
    let Some(map) = labels.and_then(Value::as_object) else {
        return "no labels".to_string();
    };
    map.iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(",")
}

/// Why a Service has no ready endpoints: no selector, a selector that matches no pod (naming the
/// keys that differ), or matching pods that are not Ready.
pub fn no_endpoints(svc: &Value, pods: &[Value]) -> Diagnosis {
    let svc_name = name_of(svc);
    let Some(selector) = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())
    else {
        return Diagnosis::new(format!(
            "Service/{svc_name} has no spec.selector, so Kubernetes maintains no endpoints for it."
        ))
        .object(format!("Service/{svc_name}"));
    };
    let sel = show_labels(svc.pointer("/spec/selector"));
    let matching: Vec<&Value> = pods
        .iter()
        .filter(|p| labels_match(selector, p.pointer("/metadata/labels")))
        .collect();
    if !matching.is_empty() {
        let mut d = Diagnosis::new(format!(
            "Service/{svc_name} selects {} pod(s) ({sel}), but none is Ready, so its endpoints are all `ready: false` and \
             traffic goes nowhere.",
            matching.len()
        ))
        .object(format!("Service/{svc_name}"));
        for p in matching {
            d = d
                .finding(format!(
                    "Pod/{} is {} and not Ready",
                    name_of(p),
                    str_at(p, "status.phase").unwrap_or("Pending")
                ))
                .object(format!("Pod/{}", name_of(p)));
        }
        return d;
    }
    let mut d = Diagnosis::new(format!(
        "Service/{svc_name} selects no pod: its spec.selector is `{sel}` and no pod has all of those labels, \
         so its EndpointSlice is empty and connections are refused."
    ))
    .object(format!("Service/{svc_name}"));
    // Name the pods that come closest (fewest selector keys missing or different): listing
    // every pod of the namespace would bury the one that matters.
    let mut scored: Vec<(usize, &Value, Vec<String>)> = pods
        .iter()
        .map(|p| {
            let labels = p.pointer("/metadata/labels");
            let mut off = 0;
            let mut shared = 0;
            let mut differing = Vec::new();
            for (k, want) in selector {
                match labels.and_then(|l| l.get(k)) {
                    Some(have) if have == want => shared += 1,
                    Some(have) => {
                        off += 1;
                        shared += 1;
                        differing.push(format!(
                            "`{k}` is `{}` on the pod but the selector asks for `{}`",
                            have.as_str().unwrap_or(""),
                            want.as_str().unwrap_or("")
                        ));
                    }
                    None => {
                        off += 1;
                        differing.push(format!("the pod has no `{k}` label"));
                    }
                }
            }
            (off, shared, p, differing)
        })
        // A pod is a near miss when it has at least one of the selector's keys, even with
        // another value: with a one-key selector (`app: mysql-db`) that is the pod to name.
        .filter(|(_, shared, _, _)| *shared > 0)
        .map(|(off, _, p, differing)| (off, p, differing))
        .collect();
    let best = scored.iter().map(|s| s.0).min().unwrap_or(0);
    scored.retain(|s| s.0 == best);
    let near = scored.len();
    for (_, p, differing) in scored {
        d = d
            .finding(format!(
                "Pod/{} (labels {}): {}",
                name_of(p),
                show_labels(p.pointer("/metadata/labels")),
                differing.join("; ")
            ))
            .object(format!("Pod/{}", name_of(p)));
    }
    if near == 0 {
        d = d.finding("No pod in the namespace even shares a label key with the selector: is the workload running, and in this namespace?");
    }
    d
}

/// Why a Service's targetPort reaches no container port, or None when every port matches.
pub fn port_mismatch(svc: &Value, pods: &[&Value]) -> Option<Diagnosis> {
    let svc_name = name_of(svc);
    let container_ports: Vec<(i64, Option<&str>, String)> = pods
        .iter()
        .flat_map(|p| {
            lookup(p, "spec.containers[*].ports[*]")
                .into_iter()
                .map(move |cp| {
                    (
                        cp.get("containerPort").and_then(Value::as_i64).unwrap_or(0),
                        cp.get("name").and_then(Value::as_str),
                        name_of(p).to_string(),
                    )
                })
        })
        .collect();
    let shown: Vec<String> = container_ports
        .iter()
        .map(|(n, name, _)| match name {
            Some(name) => format!("{n} ({name})"),
            None => n.to_string(),
        })
        .collect();
    for port in lookup(svc, "spec.ports[*]") {
        let p = port.get("port").and_then(Value::as_i64).unwrap_or(0);
        let target = port.get("targetPort").cloned().unwrap_or(Value::from(p));
        let ok = match &target {
            Value::Number(n) => container_ports
                .iter()
                .any(|(c, _, _)| Some(*c) == n.as_i64()),
            Value::String(s) => match s.parse::<i64>() {
                Ok(n) => container_ports.iter().any(|(c, _, _)| *c == n),
                Err(_) => container_ports
                    .iter()
                    .any(|(_, name, _)| *name == Some(s.as_str())),
            },
            _ => false,
        };
        if !ok {
            let target = match &target {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let pod = container_ports
                .first()
                .map(|(_, _, p)| p.clone())
                .unwrap_or_default();
            return Some(
                Diagnosis::new(format!(
                    "Service/{svc_name} port {p} forwards to targetPort {target}, but the selected pods' containers \
                     listen on {}: endpoints exist and every connection is refused.",
                    if shown.is_empty() { "no declared port".to_string() } else { shown.join(", ") }
                ))
                .finding("Use the container port's number, or better its name (`targetPort: mysql`), so it cannot drift.")
                .object(format!("Service/{svc_name}"))
                .object(format!("Pod/{pod}")),
            );
        }
    }
    None
}

/// A Service the check needs does not exist: is it in another namespace?
///
/// # Errors
/// When the cluster cannot be asked.
pub async fn missing_service(
    view: &ClusterView,
    ns: Option<&str>,
    name: &str,
) -> Result<Diagnosis, GraderError> {
    let here = ns.unwrap_or(view.namespace());
    let mut d = Diagnosis::new(format!(
        "There is no Service `{name}` in namespace `{here}`."
    ));
    for other in namespaces_with_service(view, name).await? {
        if other != here {
            d = d.finding(format!("Service/{name} exists in namespace `{other}`: from `{here}` it is `{name}.{other}`."));
        }
    }
    Ok(d.object(format!("Service/{name}")))
}

async fn namespaces_with_service(
    view: &ClusterView,
    name: &str,
) -> Result<Vec<String>, GraderError> {
    let mut out = Vec::new();
    for ns in view.list("Namespace", None, None).await? {
        let ns_name = name_of(&ns).to_string();
        if view.get("Service", Some(&ns_name), name).await?.is_some() {
            out.push(ns_name);
        }
    }
    Ok(out)
}

fn is_headless(svc: &Value) -> bool {
    str_at(svc, "spec.clusterIP") == Some("None")
}

/// Why a name does not resolve (or resolves to the wrong thing) from a pod in `ns`.
///
/// # Errors
/// When the cluster cannot be asked.
pub async fn dns(
    view: &ClusterView,
    ns: Option<&str>,
    name: &str,
) -> Result<Diagnosis, GraderError> {
    let here = ns.unwrap_or(view.namespace()).to_string();
    let short = name
        .trim_end_matches('.')
        .trim_end_matches(".cluster.local")
        .trim_end_matches(".svc");
    let labels: Vec<&str> = short.split('.').collect();
    let mut d = Diagnosis::new(format!("`{name}` does not resolve to what the task needs."));
    match labels.as_slice() {
        [one] => {
            if let Some(svc) = view.get("Service", Some(&here), one).await? {
                let pods = view.list("Pod", Some(&here), None).await?;
                d = no_ready_behind(d, &svc, &pods);
            } else if let Some(pod) = view.get("Pod", Some(&here), one).await? {
                d = pod_name_is_not_dns(view, d, &pod, &here).await?;
            } else {
                d = d.finding(format!(
                    "There is no Service `{one}` in namespace `{here}`."
                ));
                for other in namespaces_with_service(view, one).await? {
                    d = d.finding(format!(
                        "Service/{one} is in namespace `{other}`: a short name resolves only inside its own namespace; use `{one}.{other}` or `{one}.{other}.svc.cluster.local`."
                    ));
                }
            }
        }
        [first, second] => {
            // Either `<service>.<namespace>` or `<pod>.<service>` (missing the namespace part is
            // fine for the latter only inside the same namespace).
            let ns_exists = view.get("Namespace", None, second).await?.is_some();
            if ns_exists {
                match view.get("Service", Some(second), first).await? {
                    Some(svc) => {
                        let pods = view.list("Pod", Some(second), None).await?;
                        d = no_ready_behind(d, &svc, &pods);
                    }
                    None => {
                        d = d.finding(format!("Namespace `{second}` has no Service `{first}`."))
                    }
                }
            } else {
                d = pod_via_service(view, d, first, second, &here).await?;
            }
        }
        [pod, svc, namespace, ..] => {
            d = pod_via_service(view, d, pod, svc, namespace).await?;
        }
        [] => {}
    }
    Ok(d)
}

fn no_ready_behind(d: Diagnosis, svc: &Value, pods: &[Value]) -> Diagnosis {
    let svc_name = name_of(svc);
    let selector = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(Map::new);
    let ready = pods
        .iter()
        .filter(|p| labels_match(&selector, p.pointer("/metadata/labels")) && pod_is_ready(p))
        .count();
    if is_headless(svc) && ready == 0 {
        let inner = no_endpoints(svc, pods);
        let mut d = d
            .finding(format!(
                "Service/{svc_name} is headless: its name resolves to the IPs of its ready pods, and it has none. {}",
                inner.summary
            ))
            .object(format!("Service/{svc_name}"));
        d.findings.extend(inner.findings);
        d
    } else {
        d.finding(format!(
            "Service/{svc_name} exists and should resolve; check the client's namespace."
        ))
        .object(format!("Service/{svc_name}"))
    }
}

/// `<pod>.<service>[.<namespace>]`: the service must be headless and govern the pod.
async fn pod_via_service(
    view: &ClusterView,
    d: Diagnosis,
    pod: &str,
    svc: &str,
    ns: &str,
) -> Result<Diagnosis, GraderError> {
    let Some(service) = view.get("Service", Some(ns), svc).await? else {
        return Ok(d.finding(format!(
            "There is no Service `{svc}` in namespace `{ns}`, so `{pod}.{svc}` cannot exist."
        )));
    };
    let mut d = d.object(format!("Service/{svc}"));
    if !is_headless(&service) {
        d = d.finding(format!(
            "Service/{svc} has a clusterIP ({}): per-pod names like `{pod}.{svc}` exist only under a headless Service \
             (clusterIP: None). A ClusterIP Service's name resolves to its one virtual IP.",
            str_at(&service, "spec.clusterIP").unwrap_or("?")
        ));
        if let Some(p) = view.get("Pod", Some(ns), pod).await? {
            d = pod_name_is_not_dns(view, d, &p, ns).await?;
        }
        return Ok(d);
    }
    match view.get("Pod", Some(ns), pod).await? {
        None => Ok(d.finding(format!("There is no Pod `{pod}` in namespace `{ns}`."))),
        Some(p) => {
            let sub = str_at(&p, "spec.subdomain").unwrap_or("");
            if sub != svc {
                Ok(d.finding(format!(
                    "Pod/{pod} has spec.subdomain `{sub}`, not `{svc}`: its DNS name lives under its governing Service."
                )))
            } else if !pod_is_ready(&p) {
                Ok(d.finding(format!(
                    "Pod/{pod} is not Ready, so the headless Service publishes no record for it."
                )))
            } else {
                Ok(d.finding(format!("Pod/{pod} is under Service/{svc} and Ready; check the namespace part of the name.")))
            }
        }
    }
}

async fn pod_name_is_not_dns(
    view: &ClusterView,
    d: Diagnosis,
    pod: &Value,
    ns: &str,
) -> Result<Diagnosis, GraderError> {
    let pod_name = name_of(pod);
    let sub = str_at(pod, "spec.subdomain").unwrap_or("");
    let mut d = d.object(format!("Pod/{pod_name}"));
    if !sub.is_empty()
        && view
            .get("Service", Some(ns), sub)
            .await?
            .is_some_and(|s| is_headless(&s))
    {
        d = d.finding(format!(
            "A pod's own name is not a DNS name; Pod/{pod_name}'s stable name is `{pod_name}.{sub}.{ns}.svc.cluster.local` \
             (through its headless Service/{sub})."
        ));
    } else {
        d = d.finding(format!(
            "A pod's own name is not a DNS name, and Pod/{pod_name} has no headless governing Service (spec.subdomain)."
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, labels: Value, port: i64) -> Value {
        json!({"metadata": {"name": name, "labels": labels},
               "spec": {"containers": [{"name": "c", "ports": [{"containerPort": port, "name": "mysql"}]}]},
               "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})
    }

    #[test]
    fn no_endpoints_names_the_closest_pod_and_the_differing_label() {
        let svc = json!({"metadata": {"name": "db"}, "spec": {"selector": {"app": "mysql-db", "tier": "data"}}});
        let pods = [
            pod("mysql-0", json!({"app": "mysql", "tier": "data"}), 3306),
            pod("web", json!({"app": "web"}), 80),
        ];
        let d = no_endpoints(&svc, &pods);
        let text = d.text();
        assert!(text.contains("Service/db selects no pod"), "{text}");
        assert!(text.contains("Pod/mysql-0 (labels app=mysql,tier=data): `app` is `mysql` on the pod but the selector asks for `mysql-db`"), "{text}");
        assert!(
            !text.contains("Pod/web"),
            "only the closest pod is named: {text}"
        );
        assert!(d.objects.contains(&"Service/db".to_string()));
    }

    #[test]
    fn a_one_key_selector_names_the_pods_whose_value_differs() {
        let svc = json!({"metadata": {"name": "mysql"}, "spec": {"selector": {"app": "mysql-db"}}});
        let pods = [
            pod("mysql", json!({"app": "mysql"}), 3306),
            pod("client", json!({"run": "client"}), 80),
        ];
        let text = no_endpoints(&svc, &pods).text();
        assert!(
            text.contains("Pod/mysql (labels app=mysql): `app` is `mysql` on the pod but the selector asks for `mysql-db`"),
            "{text}"
        );
        assert!(!text.contains("Pod/client"), "{text}");
        assert!(!text.contains("even shares a label key"), "{text}");
    }

    #[test]
    fn a_selector_matching_unready_pods_says_so() {
        let svc = json!({"metadata": {"name": "db"}, "spec": {"selector": {"app": "mysql"}}});
        let mut p = pod("mysql-0", json!({"app": "mysql"}), 3306);
        p["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
        let text = no_endpoints(&svc, &[p]).text();
        assert!(text.contains("none is Ready"), "{text}");
    }

    #[test]
    fn port_mismatch_by_number_and_by_name() {
        let p = pod("mysql-0", json!({"app": "mysql"}), 3306);
        let ok_num = json!({"metadata": {"name": "db"}, "spec": {"ports": [{"port": 3306, "targetPort": 3306}]}});
        let ok_name = json!({"metadata": {"name": "db"}, "spec": {"ports": [{"port": 3306, "targetPort": "mysql"}]}});
        let ok_default = json!({"metadata": {"name": "db"}, "spec": {"ports": [{"port": 3306}]}});
        let bad = json!({"metadata": {"name": "db"}, "spec": {"ports": [{"port": 3306, "targetPort": 3307}]}});
        let bad_name = json!({"metadata": {"name": "db"}, "spec": {"ports": [{"port": 3306, "targetPort": "sql"}]}});
        assert!(port_mismatch(&ok_num, &[&p]).is_none());
        assert!(port_mismatch(&ok_name, &[&p]).is_none());
        assert!(port_mismatch(&ok_default, &[&p]).is_none());
        let text = port_mismatch(&bad, &[&p]).expect("mismatch").text();
        assert!(
            text.contains("targetPort 3307") && text.contains("3306 (mysql)"),
            "{text}"
        );
        assert!(port_mismatch(&bad_name, &[&p]).is_some());
    }
}
