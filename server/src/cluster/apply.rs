//! Server-side apply of multi-document YAML (field manager `kubedojo`) through kube's
//! DynamicObject and discovery, so re-applying a lab's setup is safe.

use std::collections::{BTreeMap, HashMap};

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};
use serde_json::Value;

use super::error::ClusterError;

/// The field manager of everything kubedojo applies.
pub const FIELD_MANAGER: &str = "kubedojo";

/// Cluster-scoped kinds a lesson may create on a shared cluster (renamed per learner there).
pub const OWNABLE_CLUSTER_KINDS: &[&str] = &["StorageClass", "PersistentVolume"];

/// How cluster-scoped objects are made learner-unique on a shared cluster.
#[derive(Debug, Clone)]
pub struct Owner {
    /// Prepended to every cluster-scoped name (`kd-1a2b3c-` + `fast`).
    pub prefix: String,
    /// Added to every object kubedojo creates for the learner.
    pub labels: BTreeMap<String, String>,
}

/// Where and how to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Namespace of namespaced objects that name none.
    pub namespace: String,
    /// Put every namespaced object in `namespace`, whatever it says (a learner's namespace on a
    /// shared cluster).
    pub force_namespace: bool,
    /// Rename and label cluster-scoped objects (shared cluster); None: keep them as written.
    pub owner: Option<Owner>,
}

/// Kinds already looked up through discovery. Every sandbox cluster serves the same kinds, and a
/// real cluster's kinds do not change while kubedojo runs, so one cache serves a whole backend
/// (discovery was most of the time of applying a small lab to a fresh sandbox cluster).
#[derive(Debug, Default)]
pub struct DiscoveryCache {
    kinds: parking_lot::Mutex<HashMap<GroupVersionKind, (ApiResource, ApiCapabilities)>>,
}

impl DiscoveryCache {
    async fn resolve(
        &self,
        client: &kube::Client,
        gvk: &GroupVersionKind,
    ) -> Result<(ApiResource, ApiCapabilities), ClusterError> {
        if let Some(found) = self.kinds.lock().get(gvk) {
            return Ok(found.clone());
        }
        let found = kube::discovery::pinned_kind(client, gvk)
            .await
            .map_err(|e| ClusterError::Manifest(format!("unknown kind {}: {e}", gvk.kind)))?;
        self.kinds.lock().insert(gvk.clone(), found.clone());
        Ok(found)
    }
}

/// One object that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// Split multi-document YAML into objects (empty documents skipped).
///
/// # Errors
/// YAML that does not parse or a document that is not an object with apiVersion, kind and name.
pub fn parse_manifests(yaml: &str) -> Result<Vec<Value>, ClusterError> {
    use serde::Deserialize as _;
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(yaml).enumerate() {
        let v = serde_yaml::Value::deserialize(doc)
            .map_err(|e| ClusterError::Manifest(format!("document {}: {e}", i + 1)))?;
        if v.is_null() {
            continue;
        }
        let v: Value = serde_json::to_value(v)
            .map_err(|e| ClusterError::Manifest(format!("document {}: {e}", i + 1)))?;
        for field in ["apiVersion", "kind"] {
            if !v[field].is_string() {
                return Err(ClusterError::Manifest(format!(
                    "document {} has no {field}",
                    i + 1
                )));
            }
        }
        if !v["metadata"]["name"].is_string() {
            return Err(ClusterError::Manifest(format!(
                "document {} has no metadata.name",
                i + 1
            )));
        }
        out.push(v);
    }
    Ok(out)
}

/// Rename cluster-scoped objects to `prefix + name`, label everything, and point references
/// (storageClassName, volumeName) at the new names. Cluster-scoped kinds other than
/// [`OWNABLE_CLUSTER_KINDS`] are refused: a learner on a shared cluster must not own them.
///
/// # Errors
/// A cluster-scoped kind that may not be owned.
pub fn rewrite_for_owner(
    docs: &mut [Value],
    cluster_scoped: &dyn Fn(&Value) -> bool,
    owner: &Owner,
) -> Result<(), ClusterError> {
    let mut renamed: HashMap<(String, String), String> = HashMap::new();
    for d in docs.iter_mut() {
        let kind = d["kind"].as_str().unwrap_or_default().to_string();
        if !cluster_scoped(d) {
            continue;
        }
        if !OWNABLE_CLUSTER_KINDS.contains(&kind.as_str()) {
            return Err(ClusterError::Manifest(format!(
                "cluster-scoped {kind} cannot be created for a learner on a shared cluster"
            )));
        }
        let old = d["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let new = format!("{}{old}", owner.prefix);
        d["metadata"]["name"] = Value::String(new.clone());
        renamed.insert((kind, old), new);
    }
    let sc = |name: &Value| {
        name.as_str()
            .and_then(|n| renamed.get(&("StorageClass".to_string(), n.to_string())))
            .cloned()
    };
    let pv = |name: &Value| {
        name.as_str()
            .and_then(|n| renamed.get(&("PersistentVolume".to_string(), n.to_string())))
            .cloned()
    };
    for d in docs.iter_mut() {
        let labels = &mut d["metadata"]["labels"];
        if !labels.is_object() {
            *labels = Value::Object(Default::default());
        }
        for (k, v) in &owner.labels {
            labels[k] = Value::String(v.clone());
        }
        match d["kind"].as_str().unwrap_or_default() {
            "PersistentVolumeClaim" | "PersistentVolume" => {
                if let Some(n) = sc(&d["spec"]["storageClassName"]) {
                    d["spec"]["storageClassName"] = Value::String(n);
                }
                if let Some(n) = pv(&d["spec"]["volumeName"]) {
                    d["spec"]["volumeName"] = Value::String(n);
                }
            }
            "StatefulSet" => {
                if let Some(ts) = d["spec"]["volumeClaimTemplates"].as_array_mut() {
                    for t in ts {
                        if let Some(n) = sc(&t["spec"]["storageClassName"]) {
                            t["spec"]["storageClassName"] = Value::String(n);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn gvk_of(v: &Value) -> GroupVersionKind {
    let api_version = v["apiVersion"].as_str().unwrap_or_default();
    let kind = v["kind"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    GroupVersionKind::gvk(group, version, kind)
}

/// Server-side apply every object of `yaml` with field manager `kubedojo` (forcing conflicts,
/// as `kubectl apply --server-side --force-conflicts` does: the lab setup owns its fields).
///
/// # Errors
/// Bad YAML, an unknown kind, a refused cluster-scoped kind, or the API server's answer.
pub async fn apply_yaml(
    client: &kube::Client,
    yaml: &str,
    opts: &ApplyOptions,
    cache: &DiscoveryCache,
) -> Result<Vec<Applied>, ClusterError> {
    let mut docs = parse_manifests(yaml)?;
    let mut kinds: HashMap<GroupVersionKind, (ApiResource, ApiCapabilities)> = HashMap::new();
    for d in &docs {
        let gvk = gvk_of(d);
        if let std::collections::hash_map::Entry::Vacant(slot) = kinds.entry(gvk) {
            let found = cache.resolve(client, slot.key()).await?;
            slot.insert(found);
        }
    }
    let is_cluster_scoped = |d: &Value| {
        kinds
            .get(&gvk_of(d))
            .is_some_and(|(_, caps)| caps.scope == Scope::Cluster)
    };
    if let Some(owner) = &opts.owner {
        rewrite_for_owner(&mut docs, &is_cluster_scoped, owner)?;
    }
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut applied = Vec::new();
    for d in docs {
        let gvk = gvk_of(&d);
        let Some((ar, caps)) = kinds.get(&gvk) else {
            continue;
        };
        let name = d["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut d = d;
        let namespace = if caps.scope == Scope::Cluster {
            if let Some(m) = d["metadata"].as_object_mut() {
                m.remove("namespace");
            }
            None
        } else {
            let ns = match d["metadata"]["namespace"].as_str() {
                Some(ns) if !opts.force_namespace => ns.to_string(),
                _ => opts.namespace.clone(),
            };
            d["metadata"]["namespace"] = Value::String(ns.clone());
            Some(ns)
        };
        let api: Api<DynamicObject> = match &namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
            None => Api::all_with(client.clone(), ar),
        };
        api.patch(&name, &params, &Patch::Apply(&d))
            .await
            .map_err(|e| ClusterError::Apply {
                object: format!("{}/{name}", gvk.kind),
                reason: e.to_string(),
            })?;
        applied.push(Applied {
            kind: gvk.kind.clone(),
            name,
            namespace,
        });
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: rancher.io/local-path\n---\n\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  storageClassName: fast\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";

    fn owner() -> Owner {
        Owner {
            prefix: "kd-abc-".into(),
            labels: BTreeMap::from([("kubedojo.dev/learner".to_string(), "abc".to_string())]),
        }
    }

    #[test]
    fn multi_document_yaml_skips_empty_documents() {
        let docs = parse_manifests(YAML).expect("parses");
        assert_eq!(docs.len(), 2);
        assert!(parse_manifests("kind: Pod\n").is_err());
        assert!(parse_manifests("apiVersion: v1\nkind: Pod\nmetadata: {}\n").is_err());
        assert!(parse_manifests(": : :\n").is_err());
    }

    #[test]
    fn cluster_scoped_objects_are_renamed_labelled_and_referenced() {
        let mut docs = parse_manifests(YAML).expect("parses");
        let scoped = |d: &Value| d["kind"] == "StorageClass";
        rewrite_for_owner(&mut docs, &scoped, &owner()).expect("rewrites");
        assert_eq!(docs[0]["metadata"]["name"], "kd-abc-fast");
        assert_eq!(docs[1]["metadata"]["name"], "data");
        assert_eq!(docs[1]["spec"]["storageClassName"], "kd-abc-fast");
        assert_eq!(docs[1]["metadata"]["labels"]["kubedojo.dev/learner"], "abc");
    }

    #[test]
    fn other_cluster_scoped_kinds_are_refused() {
        let mut docs =
            parse_manifests("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n").expect("ok");
        let scoped = |_: &Value| true;
        assert!(rewrite_for_owner(&mut docs, &scoped, &owner()).is_err());
    }
}
