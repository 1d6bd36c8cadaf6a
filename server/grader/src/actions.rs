//! Changing the learner's cluster: starting a lab (setup manifests), learner actions (the
//! buttons: delete a pod, scale, run SQL, count rows, write or read a file; node actions are in
//! `node_actions`) and reference-solution steps.

use crate::cluster::{name_of, pod_is_ready, uid_of};
use crate::error::GraderError;
use crate::eval::Grader;
use crate::kinds;
use crate::load::LabInstance;
use crate::model::{ActionKind, Step, Target, Task};
use crate::path::str_at;
use serde_json::Value;
use std::time::Duration;
use tokio::time::{Instant, sleep};

/// How many times (250 ms apart) a delete-pod action looks for its pod before giving up.
const DELETE_POD_ATTEMPTS: usize = 20;

const POLL: Duration = Duration::from_millis(25);

/// Running and not being deleted: a pod `kubectl exec` can reach, Ready or not.
fn pod_is_running(pod: &Value) -> bool {
    str_at(pod, "status.phase") == Some("Running")
        && crate::path::lookup(pod, "metadata.deletionTimestamp").is_empty()
}

/// A workload's `spec.selector.matchLabels` as a label selector (`app=mysql,tier=db`).
fn match_labels(workload: &Value) -> String {
    workload
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// How an action's message names the server it reached: `` (the pod's own) or ` through mysql`.
fn via(host: Option<&str>) -> String {
    host.map(|h| format!(" through {h}")).unwrap_or_default()
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutcome {
    pub message: String,
    /// What a command printed (SQL output), if any.
    pub output: Option<String>,
}

impl Grader {
    /// Applies the lab's setup manifests in order, reporting progress.
    ///
    /// # Errors
    /// A manifest that cannot be read or applied.
    pub async fn start_lab(&self, lab: &LabInstance) -> Result<(), GraderError> {
        let total = lab.lab.setup.len();
        for (i, file) in lab.lab.setup.iter().enumerate() {
            self.report("setup", format!("applying {file} ({}/{total})", i + 1));
            self.apply_file(lab, file).await?;
        }
        self.report("setup", "lab ready");
        Ok(())
    }

    /// Creates or updates every object of a manifest file.
    ///
    /// # Errors
    /// When the file cannot be read or an object cannot be applied.
    pub async fn apply_file(&self, lab: &LabInstance, file: &str) -> Result<(), GraderError> {
        for obj in lab.manifest(file)? {
            self.view.apply(&obj).await?;
        }
        Ok(())
    }

    /// Deletes every object of a manifest file and waits until they are gone.
    ///
    /// # Errors
    /// When the file cannot be read, a delete fails or an object outlives the timeout.
    pub async fn delete_file(&self, lab: &LabInstance, file: &str) -> Result<(), GraderError> {
        // Like `kubectl delete -f`: ask for every deletion first, then wait. Waiting after each
        // would deadlock on a claim whose pod (later in the file) still protects it.
        let mut pending = Vec::new();
        for obj in lab.manifest(file)? {
            let kind = str_at(&obj, "kind").unwrap_or("").to_string();
            let name = name_of(&obj).to_string();
            let ns = str_at(&obj, "metadata.namespace").map(str::to_string);
            self.view.delete(&kind, ns.as_deref(), &name).await?;
            pending.push((kind, name, ns));
        }
        for (kind, name, ns) in pending {
            self.wait(&format!("{kind}/{name} to be gone"), || async {
                Ok(self
                    .view
                    .get(&kind, ns.as_deref(), &name)
                    .await?
                    .is_none()
                    .then_some(()))
            })
            .await?;
        }
        Ok(())
    }

    /// Runs one of the lab's actions by id.
    ///
    /// # Errors
    /// An unknown action, or one that cannot be carried out in time.
    pub async fn run_action(
        &self,
        lab: &LabInstance,
        action_id: &str,
    ) -> Result<ActionOutcome, GraderError> {
        let action = lab
            .lab
            .actions
            .iter()
            .find(|a| a.id == action_id)
            .ok_or_else(|| GraderError::Lab(format!("no action `{action_id}`")))?;
        match &action.kind {
            ActionKind::DeletePod { target } => {
                // NB: a controller may be replacing the pod right now (e.g. a StatefulSet rolling
                // out a template change), so give it a moment to come back before giving up.
                let mut pods = Vec::new();
                for _ in 0..DELETE_POD_ATTEMPTS {
                    pods = self
                        .view
                        .find(
                            "Pod",
                            target.namespace.as_deref(),
                            target.name.as_deref(),
                            target.selector.as_deref(),
                        )
                        .await?;
                    if !pods.is_empty() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                if pods.is_empty() {
                    return Err(GraderError::Lab(format!(
                        "{}: no pod to delete",
                        action.label
                    )));
                }
                let mut names = Vec::new();
                for p in &pods {
                    let name = name_of(p).to_string();
                    let uid = uid_of(p).to_string();
                    self.view
                        .delete("Pod", target.namespace.as_deref(), &name)
                        .await?;
                    self.wait(&format!("Pod/{name} to be gone"), || async {
                        let now = self
                            .view
                            .get("Pod", target.namespace.as_deref(), &name)
                            .await?;
                        Ok(now.is_none_or(|p| uid_of(&p) != uid).then_some(()))
                    })
                    .await?;
                    names.push(format!("Pod/{name}"));
                }
                Ok(ActionOutcome {
                    message: format!("deleted {}", names.join(", ")),
                    output: None,
                })
            }
            ActionKind::Scale {
                resource,
                name,
                replicas,
                namespace,
            } => {
                let n: i64 = replicas.trim().parse().map_err(|_| {
                    GraderError::Lab(format!("replicas `{replicas}` is not a number"))
                })?;
                let kind = kinds::lookup(resource)
                    .ok_or_else(|| GraderError::UnknownKind(resource.clone()))?;
                let obj = self
                    .view
                    .get(&kind.resource.kind, namespace.as_deref(), name)
                    .await?
                    .ok_or_else(|| GraderError::Lab(format!("{resource}/{name} does not exist")))?;
                // Only `spec.replicas` is sent (laid over a fresh read by `apply`), so a status
                // update by the controller in between cannot make it conflict.
                let scale = serde_json::json!({
                    "apiVersion": obj["apiVersion"],
                    "kind": obj["kind"],
                    "metadata": {"name": name, "namespace": obj["metadata"]["namespace"]},
                    "spec": {"replicas": n},
                });
                self.view.apply(&scale).await?;
                // Like `kubectl scale` followed by `kubectl rollout status`: wait until exactly
                // `n` pods exist and are Ready, so whatever comes next (a query through the
                // Service) cannot reach a pod that is being scaled away. The scale itself is
                // done either way; a slow rollout is reported, not treated as a failure.
                let selector = match_labels(&obj);
                if selector.is_empty() {
                    // No matchLabels to find its pods by: nothing to wait for.
                    return Ok(ActionOutcome {
                        message: format!("scaled {resource}/{name} to {n}"),
                        output: None,
                    });
                }
                let ns = namespace.as_deref();
                let converged = self
                    .wait(
                        &format!("{resource}/{name} to have {n} Ready pods"),
                        || async {
                            let pods = self.view.find("Pod", ns, None, Some(&selector)).await?;
                            let ready = pods.iter().filter(|p| pod_is_ready(p)).count();
                            Ok((pods.len() as i64 == n && ready as i64 == n).then_some(()))
                        },
                    )
                    .await;
                let message = match converged {
                    Ok(()) => format!("scaled {resource}/{name} to {n}: {n} pod(s) Ready"),
                    Err(GraderError::Timeout(_)) => format!(
                        "scaled {resource}/{name} to {n}; its pods are still starting or stopping"
                    ),
                    Err(e) => return Err(e),
                };
                Ok(ActionOutcome {
                    message,
                    output: None,
                })
            }
            ActionKind::Sql { target, sql, host } => {
                let pod = self.ready_pod_for(target).await?;
                let via = via(host.as_deref());
                let out = self
                    .sql_until_up(
                        "action",
                        target.namespace.as_deref(),
                        &pod,
                        host.as_deref(),
                        sql,
                    )
                    .await?;
                if out.code != 0 {
                    return Err(GraderError::Exec(format!(
                        "SQL in Pod/{pod}{via} failed: {}",
                        out.stderr.trim()
                    )));
                }
                Ok(ActionOutcome {
                    message: format!("ran SQL in Pod/{pod}{via}"),
                    output: Some(out.stdout),
                })
            }
            ActionKind::InsertRows {
                target,
                database,
                table,
                rows,
                host,
            } => {
                let n: u32 = rows
                    .trim()
                    .parse()
                    .map_err(|_| GraderError::Lab(format!("rows `{rows}` is not a number")))?;
                let values: Vec<String> = (1..=n).map(|i| format!("({i}, 'item-{i}')")).collect();
                let sql = format!(
                    "CREATE DATABASE IF NOT EXISTS {database}; CREATE TABLE IF NOT EXISTS {database}.{table} (id INT PRIMARY KEY, item VARCHAR(40)); INSERT INTO {database}.{table} VALUES {};",
                    values.join(", ")
                );
                let pod = self.ready_pod_for(target).await?;
                let via = via(host.as_deref());
                let out = self
                    .sql_until_up(
                        "action",
                        target.namespace.as_deref(),
                        &pod,
                        host.as_deref(),
                        &sql,
                    )
                    .await?;
                if out.code != 0 {
                    return Err(GraderError::Exec(format!(
                        "insert from Pod/{pod}{via} failed: {}",
                        out.stderr.trim()
                    )));
                }
                Ok(ActionOutcome {
                    message: format!(
                        "inserted {n} rows into {database}.{table} from Pod/{pod}{via}"
                    ),
                    output: None,
                })
            }
            ActionKind::WriteFile {
                target,
                path,
                content,
            } => {
                // A Running pod is enough, as for `kubectl exec`: the file may be what makes
                // the pod Ready (a readiness probe that reads it).
                let pod = self.running_pod_for(target).await?;
                let quoted = content.replace('\'', r"'\''");
                let cmd = vec![
                    "sh".to_string(),
                    "-c".to_string(),
                    format!("printf '%s\\n' '{quoted}' > {path}"),
                ];
                let out = self
                    .view
                    .exec(target.namespace.as_deref(), &pod, &cmd, self.probe_timeout)
                    .await?;
                if out.code != 0 {
                    return Err(GraderError::Exec(format!(
                        "writing {path} in Pod/{pod} failed: {}",
                        out.stderr.trim()
                    )));
                }
                Ok(ActionOutcome {
                    message: format!("wrote {path} in Pod/{pod}"),
                    output: None,
                })
            }
            ActionKind::CountRows {
                target,
                database,
                table,
            } => self.count_rows(target, database, table).await,
            ActionKind::ReadFile { target, path } => self.read_file(target, path).await,
            ActionKind::Cordon { node } => self.cordon_action(node, true).await,
            ActionKind::Uncordon { node } => self.cordon_action(node, false).await,
            ActionKind::Drain { node } => self.drain_action(node).await,
            ActionKind::LoseNode { node } => self.power_action(node, false).await,
            ActionKind::RestoreNode { node } => self.power_action(node, true).await,
        }
    }

    /// `SELECT COUNT(*)` in a Ready pod. A missing table or database is what a learner wants to
    /// see after data loss, so it is reported as the outcome rather than as an error.
    async fn count_rows(
        &self,
        target: &Target,
        database: &str,
        table: &str,
    ) -> Result<ActionOutcome, GraderError> {
        let pod = self.ready_pod_for(target).await?;
        let sql = format!("SELECT COUNT(*) FROM {database}.{table}");
        let out = self
            .sql_until_up("action", target.namespace.as_deref(), &pod, None, &sql)
            .await?;
        let shown = if out.code == 0 {
            out.stdout.trim().to_string()
        } else {
            out.stderr.trim().to_string()
        };
        let message = if out.code == 0 {
            format!(
                "Pod/{pod}: {} rows in {database}.{table}",
                out.stdout.trim()
            )
        } else if out.stderr.contains("doesn't exist") || out.stderr.contains("Unknown database") {
            format!("Pod/{pod}: {database}.{table} does not exist")
        } else {
            return Err(GraderError::Exec(format!(
                "counting rows in Pod/{pod} failed: {}",
                out.stderr.trim()
            )));
        };
        Ok(ActionOutcome {
            message,
            output: Some(format!("mysql> {sql};\n{shown}")),
        })
    }

    /// `cat PATH` in a Ready pod. A missing file is reported as the outcome.
    async fn read_file(&self, target: &Target, path: &str) -> Result<ActionOutcome, GraderError> {
        let pod = self.ready_pod_for(target).await?;
        let cmd = vec!["cat".to_string(), path.to_string()];
        let out = self
            .view
            .exec(target.namespace.as_deref(), &pod, &cmd, self.probe_timeout)
            .await?;
        if out.code == 0 {
            return Ok(ActionOutcome {
                message: format!("read {path} in Pod/{pod}"),
                output: Some(out.stdout),
            });
        }
        if out.stderr.contains("No such file") {
            return Ok(ActionOutcome {
                message: format!("Pod/{pod} has no file {path}"),
                output: Some(out.stderr),
            });
        }
        Err(GraderError::Exec(format!(
            "reading {path} in Pod/{pod} failed: {}",
            out.stderr.trim()
        )))
    }

    /// Runs solution (or mistake) steps in order.
    ///
    /// # Errors
    /// The first step that fails.
    pub async fn run_steps(&self, lab: &LabInstance, steps: &[Step]) -> Result<(), GraderError> {
        for step in steps {
            if let Some(k) = &step.kubectl {
                self.report("solution", format!("$ {k}"));
            }
            if let Some(f) = &step.apply {
                self.apply_file(lab, f).await?;
            }
            if let Some(f) = &step.delete {
                self.delete_file(lab, f).await?;
            }
            if let Some(a) = &step.action {
                self.run_action(lab, a).await?;
            }
            if let Some(w) = &step.wait {
                self.wait_for(w).await?;
            }
        }
        Ok(())
    }

    /// Waits (bounded) until `w.path` of the named object equals `w.equals`.
    async fn wait_for(&self, w: &crate::model::WaitFor) -> Result<(), GraderError> {
        let what = format!("{}/{} {} = {}", w.resource, w.name, w.path, w.equals);
        self.report("solution", format!("waiting for {what}"));
        self.wait(&what, || async {
            let found = self
                .view
                .find(&w.resource, w.namespace.as_deref(), Some(&w.name), None)
                .await?;
            Ok(found
                .iter()
                .any(|o| crate::path::str_at(o, &w.path) == Some(w.equals.as_str()))
                .then_some(()))
        })
        .await
    }

    /// Applies a task's reference solution.
    ///
    /// # Errors
    /// The first step that fails.
    pub async fn apply_solution(&self, lab: &LabInstance, task: &Task) -> Result<(), GraderError> {
        self.run_steps(lab, &task.solution).await
    }

    /// The name of a Ready pod for the target, waiting (bounded) for one to appear.
    pub(crate) async fn ready_pod_for(&self, target: &Target) -> Result<String, GraderError> {
        self.wait("a Ready pod", || async {
            let pods = self
                .view
                .find(
                    "Pod",
                    target.namespace.as_deref(),
                    target.name.as_deref(),
                    target.selector.as_deref(),
                )
                .await?;
            Ok(pods
                .iter()
                .find(|p| pod_is_ready(p))
                .map(|p| name_of(p).to_string()))
        })
        .await
    }

    /// The name of a Running (not necessarily Ready), not terminating pod for the target,
    /// waiting (bounded) for one to appear.
    async fn running_pod_for(&self, target: &Target) -> Result<String, GraderError> {
        self.wait("a Running pod", || async {
            let pods = self
                .view
                .find(
                    "Pod",
                    target.namespace.as_deref(),
                    target.name.as_deref(),
                    target.selector.as_deref(),
                )
                .await?;
            Ok(pods
                .iter()
                .find(|p| pod_is_running(p))
                .map(|p| name_of(p).to_string()))
        })
        .await
    }

    async fn sql_until_up(
        &self,
        who: &str,
        ns: Option<&str>,
        pod: &str,
        host: Option<&str>,
        sql: &str,
    ) -> Result<crate::cluster::ExecOutput, GraderError> {
        let deadline = Instant::now() + self.probe_timeout;
        loop {
            let out = self
                .view
                .exec(
                    ns,
                    pod,
                    &crate::eval::mysql_command_via(host, sql),
                    self.probe_timeout,
                )
                .await?;
            if !(out.code != 0 && out.stderr.contains("Can't connect"))
                || Instant::now() >= deadline
            {
                return Ok(out);
            }
            self.report(who, format!("waiting for mysqld in Pod/{pod}"));
            sleep(POLL).await;
        }
    }

    /// Polls `f` until it yields, for at most the probe timeout.
    pub(crate) async fn wait<T, F, Fut>(&self, what: &str, mut f: F) -> Result<T, GraderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, GraderError>>,
    {
        let deadline = Instant::now() + self.probe_timeout;
        loop {
            if let Some(v) = f().await? {
                return Ok(v);
            }
            if Instant::now() >= deadline {
                return Err(GraderError::Timeout(format!("waiting for {what}")));
            }
            sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_running_pod_need_not_be_ready() {
        let not_ready = json!({"status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}]}});
        let pending = json!({"status": {"phase": "Pending"}});
        let deleting = json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"phase": "Running"}});
        assert!(pod_is_running(&not_ready));
        assert!(!pod_is_running(&pending));
        assert!(!pod_is_running(&deleting));
    }

    #[test]
    fn match_labels_become_a_label_selector() {
        let sts = json!({"spec": {"selector": {"matchLabels": {"app": "mysql", "tier": "db"}}}});
        assert_eq!(match_labels(&sts), "app=mysql,tier=db");
        assert_eq!(match_labels(&json!({"spec": {}})), "");
    }
}
