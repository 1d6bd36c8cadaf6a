//! The learner's cluster as the grader sees it: get/list as JSON, exec, apply, delete — all
//! through `kube::Client`, so it works the same on the sandbox and on a real cluster.

use crate::error::GraderError;
use crate::kinds::{self, Kind};
use kube::api::{Api, AttachParams, DeleteParams, DynamicObject, ListParams, PostParams};
use serde_json::Value;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::time::timeout;

/// How long one API call may take before the grader gives up on it.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What a command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// A client plus the lab's namespace.
#[derive(Clone)]
pub struct ClusterView {
    client: kube::Client,
    namespace: String,
}

impl ClusterView {
    pub fn new(client: kube::Client, namespace: impl Into<String>) -> Self {
        Self {
            client,
            namespace: namespace.into(),
        }
    }

    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn api(
        &self,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<(Api<DynamicObject>, Kind), GraderError> {
        let k = kinds::lookup(kind).ok_or_else(|| GraderError::UnknownKind(kind.to_string()))?;
        let api = if k.namespaced {
            Api::namespaced_with(
                self.client.clone(),
                namespace.unwrap_or(&self.namespace),
                &k.resource,
            )
        } else {
            Api::all_with(self.client.clone(), &k.resource)
        };
        Ok((api, k))
    }

    /// One object as JSON, or None when it does not exist.
    ///
    /// # Errors
    /// API errors other than NotFound, and timeouts.
    pub async fn get(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, GraderError> {
        let (api, _) = self.api(kind, namespace)?;
        let obj = timeout(CALL_TIMEOUT, api.get_opt(name))
            .await
            .map_err(|_| GraderError::Timeout(format!("get {kind} {name}")))??;
        obj.map(to_json).transpose()
    }

    /// Objects of a kind, optionally filtered by a label selector (`a=b,c=d`).
    ///
    /// # Errors
    /// API errors and timeouts.
    pub async fn list(
        &self,
        kind: &str,
        namespace: Option<&str>,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, GraderError> {
        let (api, _) = self.api(kind, namespace)?;
        let mut lp = ListParams::default();
        if let Some(s) = selector {
            lp = lp.labels(s);
        }
        let list = timeout(CALL_TIMEOUT, api.list(&lp))
            .await
            .map_err(|_| GraderError::Timeout(format!("list {kind}")))??;
        list.items.into_iter().map(to_json).collect()
    }

    /// Objects matching a name or a selector (a name wins).
    ///
    /// # Errors
    /// API errors and timeouts.
    pub async fn find(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: Option<&str>,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, GraderError> {
        match name {
            Some(n) => Ok(self.get(kind, namespace, n).await?.into_iter().collect()),
            None => self.list(kind, namespace, selector).await,
        }
    }

    /// Runs a command in a pod's first container.
    ///
    /// # Errors
    /// When the exec cannot be started or does not finish within `limit`.
    pub async fn exec(
        &self,
        namespace: Option<&str>,
        pod: &str,
        command: &[String],
        limit: Duration,
    ) -> Result<ExecOutput, GraderError> {
        let api: Api<k8s_openapi::api::core::v1::Pod> =
            Api::namespaced(self.client.clone(), namespace.unwrap_or(&self.namespace));
        let what = || GraderError::Timeout(format!("exec {command:?} in {pod}"));
        let run = async {
            let mut p = api
                .exec(
                    pod,
                    command.to_vec(),
                    &AttachParams::default().stdout(true).stderr(true),
                )
                .await?;
            let mut stdout = String::new();
            let mut stderr = String::new();
            if let Some(mut o) = p.stdout() {
                o.read_to_string(&mut stdout)
                    .await
                    .map_err(|e| GraderError::Exec(e.to_string()))?;
            }
            if let Some(mut e) = p.stderr() {
                e.read_to_string(&mut stderr)
                    .await
                    .map_err(|e| GraderError::Exec(e.to_string()))?;
            }
            let status = match p.take_status() {
                Some(s) => s.await,
                None => None,
            };
            let code = match status {
                Some(s) if s.status.as_deref() == Some("Success") => 0,
                Some(s) => s
                    .details
                    .and_then(|d| d.causes)
                    .and_then(|c| {
                        c.into_iter()
                            .find(|c| c.reason.as_deref() == Some("ExitCode"))
                    })
                    .and_then(|c| c.message)
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(-1),
                None => -1,
            };
            Ok::<_, GraderError>(ExecOutput {
                stdout,
                stderr,
                code,
            })
        };
        timeout(limit, run).await.map_err(|_| what())?
    }

    /// Creates an object, or replaces it when it exists (keeping its resourceVersion).
    ///
    /// # Errors
    /// API errors (e.g. Invalid, Forbidden for an immutable field) and timeouts.
    pub async fn apply(&self, obj: &Value) -> Result<(), GraderError> {
        let mut dynamic: DynamicObject = serde_json::from_value(obj.clone())
            .map_err(|e| GraderError::Manifest(e.to_string()))?;
        let types = dynamic
            .types
            .clone()
            .ok_or_else(|| GraderError::Manifest("an object without apiVersion or kind".into()))?;
        let k = kinds::for_object(&types.api_version, &types.kind).ok_or_else(|| {
            GraderError::UnknownKind(format!("{}/{}", types.api_version, types.kind))
        })?;
        let ns = dynamic.metadata.namespace.clone();
        let (api, _) = self.api(&k.resource.kind, ns.as_deref())?;
        let name = dynamic.metadata.name.clone().unwrap_or_default();
        // A controller may update the object (its status) between our get and our replace;
        // like kubectl, read again and retry on 409 Conflict.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let existing = timeout(CALL_TIMEOUT, api.get_opt(&name))
                .await
                .map_err(|_| GraderError::Timeout(format!("get {} {name}", types.kind)))??;
            let call = async {
                match existing {
                    Some(old) => {
                        // Like `kubectl apply`: what the manifest says wins, and what the
                        // server filled in (defaults, clusterIP, claim template status) is
                        // kept, so immutable fields compare equal.
                        let mut merged = to_json(old)?;
                        overlay(&mut merged, obj);
                        let updated: DynamicObject = serde_json::from_value(merged)
                            .map_err(|e| GraderError::Manifest(e.to_string()))?;
                        api.replace(&name, &PostParams::default(), &updated).await?;
                        Ok::<_, GraderError>(())
                    }
                    None => {
                        dynamic.metadata.resource_version = None;
                        api.create(&PostParams::default(), &dynamic).await?;
                        Ok(())
                    }
                }
            };
            let result = timeout(CALL_TIMEOUT, call)
                .await
                .map_err(|_| GraderError::Timeout(format!("apply {} {name}", types.kind)))?;
            match result {
                Err(GraderError::Kube(kube::Error::Api(s))) if s.code == 409 && attempt < 10 => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => return other,
            }
        }
    }

    /// Deletes an object (NotFound is fine).
    ///
    /// # Errors
    /// API errors and timeouts.
    pub async fn delete(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(), GraderError> {
        let (api, _) = self.api(kind, namespace)?;
        match timeout(CALL_TIMEOUT, api.delete(name, &DeleteParams::default()))
            .await
            .map_err(|_| GraderError::Timeout(format!("delete {kind} {name}")))?
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Lays `new` over `base`: objects merge key by key, lists of equal length merge element by
/// element, anything else is replaced.
pub fn overlay(base: &mut Value, new: &Value) {
    match (base, new) {
        (Value::Object(b), Value::Object(n)) => {
            for (k, v) in n {
                match b.get_mut(k) {
                    Some(existing) => overlay(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(b), Value::Array(n)) if b.len() == n.len() => {
            for (x, y) in b.iter_mut().zip(n) {
                overlay(x, y);
            }
        }
        (b, n) => *b = n.clone(),
    }
}

fn to_json(obj: DynamicObject) -> Result<Value, GraderError> {
    serde_json::to_value(obj).map_err(|e| GraderError::Manifest(e.to_string()))
}

/// Whether a pod is Running, Ready and not being deleted.
pub fn pod_is_ready(pod: &Value) -> bool {
    let running = crate::path::str_at(pod, "status.phase") == Some("Running");
    let deleting = !crate::path::lookup(pod, "metadata.deletionTimestamp").is_empty();
    let ready = crate::path::lookup(pod, "status.conditions[*]")
        .iter()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    running && ready && !deleting
}

/// `metadata.name`, or an empty string.
pub fn name_of(obj: &Value) -> &str {
    crate::path::str_at(obj, "metadata.name").unwrap_or("")
}

/// `metadata.uid`, or an empty string.
pub fn uid_of(obj: &Value) -> &str {
    crate::path::str_at(obj, "metadata.uid").unwrap_or("")
}

/// Whether `labels` (an object's `metadata.labels`) satisfy a `key: value` selector map.
pub fn labels_match(selector: &serde_json::Map<String, Value>, labels: Option<&Value>) -> bool {
    !selector.is_empty()
        && selector
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}
