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
                // Like watching `kubectl get pods -w` after `kubectl scale`: the button returns
                // once the controller has created or removed the pods, so the next step sees them.
                self.wait(
                    &format!("{resource}/{name} to have {n} ready replicas"),
                    || async {
                        let now = self
                            .view
                            .get(&kind.resource.kind, namespace.as_deref(), name)
                            .await?;
                        Ok(now.filter(|o| scaled_to(o, n)).map(|_| ()))
                    },
                )
                .await?;
                Ok(ActionOutcome {
                    message: format!("scaled {resource}/{name} to {n}"),
                    output: None,
                })
            }
            ActionKind::Sql { target, sql } => {
                let pod = self.ready_pod_for(target).await?;
                let out = self
                    .sql_until_up("action", target.namespace.as_deref(), &pod, sql)
                    .await?;
                if out.code != 0 {
                    return Err(GraderError::Exec(format!(
                        "SQL in Pod/{pod} failed: {}",
                        out.stderr.trim()
                    )));
                }
                Ok(ActionOutcome {
                    message: format!("ran SQL in Pod/{pod}"),
                    output: Some(out.stdout),
                })
            }
            ActionKind::InsertRows {
                target,
                database,
                table,
                rows,
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
                let out = self
                    .sql_until_up("action", target.namespace.as_deref(), &pod, &sql)
                    .await?;
                if out.code != 0 {
                    return Err(GraderError::Exec(format!(
                        "insert in Pod/{pod} failed: {}",
                        out.stderr.trim()
                    )));
                }
                Ok(ActionOutcome {
                    message: format!("inserted {n} rows into {database}.{table} in Pod/{pod}"),
                    output: None,
                })
            }
            ActionKind::WriteFile {
                target,
                path,
                content,
            } => {
                let pod = self.ready_pod_for(target).await?;
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
            .sql_until_up("action", target.namespace.as_deref(), &pod, &sql)
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
        }
        Ok(())
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

    async fn sql_until_up(
        &self,
        who: &str,
        ns: Option<&str>,
        pod: &str,
        sql: &str,
    ) -> Result<crate::cluster::ExecOutput, GraderError> {
        let deadline = Instant::now() + self.probe_timeout;
        loop {
            let out = self
                .view
                .exec(
                    ns,
                    pod,
                    &crate::eval::mysql_command(sql),
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

/// Whether a scaled workload has settled at `n`: that many pods, all ready, for this generation.
fn scaled_to(obj: &Value, n: i64) -> bool {
    let int = |p: &str| {
        crate::path::lookup(obj, p)
            .first()
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
    };
    int("status.observedGeneration") >= int("metadata.generation")
        && int("status.replicas") == n
        && int("status.readyReplicas") == n
}

#[cfg(test)]
mod tests {
    use super::scaled_to;
    use serde_json::json;

    #[test]
    fn a_scale_has_settled_only_when_the_controller_caught_up() {
        let settled = json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 3, "replicas": 1, "readyReplicas": 1}});
        assert!(scaled_to(&settled, 1));
        assert!(!scaled_to(&settled, 3));
        let stale = json!({"metadata": {"generation": 4}, "status": {"observedGeneration": 3, "replicas": 1, "readyReplicas": 1}});
        assert!(!scaled_to(&stale, 1));
        let starting = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1, "replicas": 3, "readyReplicas": 2}});
        assert!(!scaled_to(&starting, 3));
        let zero = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "replicas": 0}});
        assert!(scaled_to(&zero, 0));
    }
}
