//! A container's environment as the kubelet builds it: Service links, `envFrom`, `env` with
//! `valueFrom` (Secrets, ConfigMaps, the downward API) and `$(VAR)` expansion. A missing Secret
//! or key is the kubelet's CreateContainerConfigError, with its message.

use crate::cluster::Cluster;
use crate::registry::ids;
use base64::Engine;
use serde_json::Value;

/// Why a container's configuration cannot be built (the message kubectl describe shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigError(pub String);

/// The environment of `container` in `pod`.
///
/// # Errors
/// A referenced Secret/ConfigMap (or key) that does not exist and is not optional.
pub(crate) fn build(
    cluster: &Cluster,
    pod: &Value,
    container: &Value,
    pod_ip: &str,
    host_ip: &str,
    hostname: &str,
) -> Result<Vec<(String, String)>, ConfigError> {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
    let mut env: Vec<(String, String)> = vec![
        (
            "PATH".into(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        ),
        ("HOSTNAME".into(), hostname.into()),
    ];
    if pod["spec"]["enableServiceLinks"] != false {
        service_links(cluster, ns, &mut env);
    } else {
        service_links_for(cluster, "default", Some("kubernetes"), &mut env);
    }
    for from in container["envFrom"].as_array().into_iter().flatten() {
        let prefix = from["prefix"].as_str().unwrap_or_default();
        let (source, is_secret) = if from["secretRef"].is_object() {
            (&from["secretRef"], true)
        } else {
            (&from["configMapRef"], false)
        };
        let name = source["name"].as_str().unwrap_or_default();
        match data_of(cluster, ns, name, is_secret) {
            Some(data) => {
                for (k, v) in data {
                    set(&mut env, format!("{prefix}{k}"), v);
                }
            }
            None if source["optional"] == true => {}
            None => return Err(missing(is_secret, name)),
        }
    }
    for e in container["env"].as_array().into_iter().flatten() {
        let Some(name) = e["name"].as_str() else {
            continue;
        };
        let value = if let Some(v) = e["value"].as_str() {
            expand(v, &env)
        } else if e["valueFrom"].is_object() {
            match value_from(cluster, pod, ns, &e["valueFrom"], pod_ip, host_ip)? {
                Some(v) => v,
                None => continue,
            }
        } else {
            String::new()
        };
        set(&mut env, name.to_string(), value);
    }
    Ok(env)
}

fn set(env: &mut Vec<(String, String)>, k: String, v: String) {
    match env.iter_mut().find(|(n, _)| *n == k) {
        Some(slot) => slot.1 = v,
        None => env.push((k, v)),
    }
}

/// `$(VAR)` references to earlier variables; `$$(VAR)` escapes; unknown references stay as is.
fn expand(v: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix("$(") {
            out.push_str("$(");
            rest = stripped;
        } else if let Some(inner) = after.strip_prefix('(')
            && let Some(end) = inner.find(')')
        {
            let name = &inner[..end];
            match env.iter().find(|(n, _)| n == name) {
                Some((_, val)) => out.push_str(val),
                None => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
            }
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn value_from(
    cluster: &Cluster,
    pod: &Value,
    ns: &str,
    vf: &Value,
    pod_ip: &str,
    host_ip: &str,
) -> Result<Option<String>, ConfigError> {
    for (field, is_secret) in [("secretKeyRef", true), ("configMapKeyRef", false)] {
        let r = &vf[field];
        if !r.is_object() {
            continue;
        }
        let name = r["name"].as_str().unwrap_or_default();
        let key = r["key"].as_str().unwrap_or_default();
        let optional = r["optional"] == true;
        let Some(data) = data_of(cluster, ns, name, is_secret) else {
            return if optional {
                Ok(None)
            } else {
                Err(missing(is_secret, name))
            };
        };
        return match data.into_iter().find(|(k, _)| k == key) {
            Some((_, v)) => Ok(Some(v)),
            None if optional => Ok(None),
            None => Err(ConfigError(format!(
                "couldn't find key {key} in {} {ns}/{name}",
                if is_secret { "Secret" } else { "ConfigMap" }
            ))),
        };
    }
    if let Some(path) = vf["fieldRef"]["fieldPath"].as_str() {
        let md = &pod["metadata"];
        let v = match path {
            "metadata.name" => md["name"].as_str().map(String::from),
            "metadata.namespace" => md["namespace"].as_str().map(String::from),
            "metadata.uid" => md["uid"].as_str().map(String::from),
            "spec.nodeName" => pod["spec"]["nodeName"].as_str().map(String::from),
            "spec.serviceAccountName" => pod["spec"]["serviceAccountName"]
                .as_str()
                .map(String::from),
            "status.podIP" => Some(pod_ip.to_string()),
            "status.hostIP" => Some(host_ip.to_string()),
            other => label_ref(md, other),
        };
        return Ok(Some(v.unwrap_or_default()));
    }
    if vf["resourceFieldRef"].is_object() {
        // Without limits the kubelet reports the node's allocatable; "0" keeps scripts working.
        return Ok(Some("0".into()));
    }
    Ok(None)
}

fn label_ref(md: &Value, path: &str) -> Option<String> {
    let (field, key) = if let Some(r) = path.strip_prefix("metadata.labels['") {
        ("labels", r.strip_suffix("']")?)
    } else {
        ("annotations", path.strip_prefix("metadata.annotations['")?.strip_suffix("']")?)
    };
    md[field][key].as_str().map(String::from)
}

fn missing(is_secret: bool, name: &str) -> ConfigError {
    ConfigError(if is_secret {
        format!("secret \"{name}\" not found")
    } else {
        format!("configmap \"{name}\" not found")
    })
}

/// Key/value pairs of a Secret (decoded) or ConfigMap, sorted by key.
pub(crate) fn data_of(
    cluster: &Cluster,
    ns: &str,
    name: &str,
    is_secret: bool,
) -> Option<Vec<(String, String)>> {
    let res = if is_secret {
        *ids::SECRETS
    } else {
        *ids::CONFIGMAPS
    };
    let obj = cluster.store().get(res, ns, name)?;
    let mut out = Vec::new();
    if let Some(map) = obj["data"].as_object() {
        for (k, v) in map {
            let s = v.as_str().unwrap_or_default();
            let text = if is_secret {
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            } else {
                s.to_string()
            };
            out.push((k.clone(), text));
        }
    }
    if let Some(map) = obj["stringData"].as_object() {
        for (k, v) in map {
            out.push((k.clone(), v.as_str().unwrap_or_default().to_string()));
        }
    }
    out.sort();
    Some(out)
}

fn service_links(cluster: &Cluster, ns: &str, env: &mut Vec<(String, String)>) {
    service_links_for(cluster, ns, None, env);
    if ns != "default" {
        service_links_for(cluster, "default", Some("kubernetes"), env);
    }
}

/// Docker-link style variables (`MYSQL_SERVICE_HOST`, `MYSQL_PORT_3306_TCP`, ...).
fn service_links_for(cluster: &Cluster, ns: &str, only: Option<&str>, env: &mut Vec<(String, String)>) {
    let (services, _) = cluster.store().list(*ids::SERVICES, Some(ns));
    for svc in services {
        let name = svc["metadata"]["name"].as_str().unwrap_or_default();
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let Some(ip) = svc["spec"]["clusterIP"].as_str().filter(|ip| *ip != "None" && !ip.is_empty()) else {
            continue;
        };
        let prefix = name.to_ascii_uppercase().replace('-', "_");
        let ports: Vec<&Value> = svc["spec"]["ports"].as_array().into_iter().flatten().collect();
        let Some(first) = ports.first() else { continue };
        let first_port = first["port"].as_u64().unwrap_or_default();
        set(env, format!("{prefix}_SERVICE_HOST"), ip.into());
        set(env, format!("{prefix}_SERVICE_PORT"), first_port.to_string());
        let proto = first["protocol"].as_str().unwrap_or("TCP").to_ascii_lowercase();
        set(env, format!("{prefix}_PORT"), format!("{proto}://{ip}:{first_port}"));
        for p in &ports {
            let port = p["port"].as_u64().unwrap_or_default();
            let proto_up = p["protocol"].as_str().unwrap_or("TCP").to_string();
            let proto = proto_up.to_ascii_lowercase();
            if let Some(pn) = p["name"].as_str() {
                let pn = pn.to_ascii_uppercase().replace('-', "_");
                set(env, format!("{prefix}_SERVICE_PORT_{pn}"), port.to_string());
            }
            let base = format!("{prefix}_PORT_{port}_{proto_up}");
            set(env, base.clone(), format!("{proto}://{ip}:{port}"));
            set(env, format!("{base}_PROTO"), proto.clone());
            set(env, format!("{base}_PORT"), port.to_string());
            set(env, format!("{base}_ADDR"), ip.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_earlier_variables_and_keeps_unknown_ones() {
        let env = vec![("A".to_string(), "x".to_string())];
        assert_eq!(expand("$(A)-$(B)-$$(A)", &env), "x-$(B)-$(A)");
    }

    #[test]
    fn label_refs_read_labels_and_annotations() {
        let md = serde_json::json!({"labels": {"app": "mysql"}, "annotations": {"a": "b"}});
        assert_eq!(label_ref(&md, "metadata.labels['app']").as_deref(), Some("mysql"));
        assert_eq!(label_ref(&md, "metadata.annotations['a']").as_deref(), Some("b"));
    }
}
