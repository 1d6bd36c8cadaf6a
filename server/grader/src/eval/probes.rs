//! Probes: run a command in a pod, look a name up from a throwaway busybox pod, and the
//! survives-deletion probe. Every wait is bounded by the grader's probe timeout.

use super::Grader;
use super::state::{describe, find};
use crate::assertion::assert_values;
use crate::cluster::{ExecOutput, name_of, pod_is_ready, uid_of};
use crate::diagnose;
use crate::error::GraderError;
use crate::model::{Assertion, Check, Marker, Target};
use crate::path::{lookup, str_at};
use crate::result::{Diagnosis, Outcome};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep};

/// The course's root password (the lessons' Secret `mysql-secret`).
pub const MYSQL_ROOT_PASSWORD: &str = "change-me";
/// Where mysqld keeps its data inside the container.
pub const MYSQL_DATA_DIR: &str = "/var/lib/mysql";
const POLL: Duration = Duration::from_millis(25);

/// The mysql client command line for a statement, run against the pod's own server.
pub fn mysql_command(sql: &str) -> Vec<String> {
    mysql_command_via(None, sql)
}

/// The mysql client command line for a statement sent to `host` (a Service or a pod's DNS
/// name, as `mysql -h` takes it), or to the pod's own server when `host` is `None`.
pub fn mysql_command_via(host: Option<&str>, sql: &str) -> Vec<String> {
    let mut cmd = vec!["mysql".to_string()];
    if let Some(h) = host {
        cmd.push("-h".into());
        cmd.push(h.into());
    }
    cmd.extend([
        "-uroot".into(),
        format!("-p{MYSQL_ROOT_PASSWORD}"),
        "-N".into(),
        "-e".into(),
        sql.into(),
    ]);
    cmd
}

pub(super) async fn evaluate(
    g: &Grader,
    task_id: &str,
    check: &Check,
) -> Result<Outcome, GraderError> {
    match check {
        Check::Exec {
            target,
            command,
            stdout,
            stderr_contains,
            exit_code,
        } => {
            let pod = match ready_pod(g, target).await? {
                Ok(p) => p,
                Err(o) => return Ok(o),
            };
            let out = g
                .view
                .exec(
                    target.namespace.as_deref(),
                    name_of(&pod),
                    command,
                    g.probe_timeout,
                )
                .await?;
            compare(
                &pod,
                &command.join(" "),
                &out,
                stdout.as_ref(),
                stderr_contains.as_deref(),
                *exit_code,
            )
        }
        Check::Sql {
            target,
            query,
            host,
            stdout,
            stderr_contains,
            exit_code,
        } => {
            let pod = match ready_pod(g, target).await? {
                Ok(p) => p,
                Err(o) => return Ok(o),
            };
            let out = sql_when_up(
                g,
                task_id,
                target.namespace.as_deref(),
                name_of(&pod),
                host.as_deref(),
                query,
            )
            .await?;
            let shown = match host {
                Some(h) => format!("mysql -h {h} -e \"{query}\""),
                None => query.clone(),
            };
            let mut outcome = compare(
                &pod,
                &shown,
                &out,
                stdout.as_ref(),
                stderr_contains.as_deref(),
                *exit_code,
            )?;
            // Where the pod keeps its data explains a missing table only when the query ran
            // against the pod's own server, not against another one reached by name.
            if host.is_none()
                && outcome.status == crate::result::Status::Fail
                && out.stderr.contains("doesn't exist")
            {
                outcome.diagnosis = Some(diagnose::data::where_data_goes(&pod, MYSQL_DATA_DIR));
            }
            Ok(outcome)
        }
        Check::Dns {
            name,
            name_from,
            namespace,
            resolves_to_pod,
        } => {
            let ns = namespace.as_deref();
            let lookup_name = match (name, name_from) {
                (Some(n), _) => n.clone(),
                (None, Some(f)) => {
                    let Some(obj) = g.view.get(&f.resource, ns, &f.name).await? else {
                        return Ok(Outcome::fail(format!(
                            "{}/{} does not exist",
                            f.resource, f.name
                        )));
                    };
                    match str_at(&obj, &f.path) {
                        Some(v) => v.trim().to_string(),
                        None => {
                            return Ok(Outcome::fail(format!(
                                "{}/{} has no `{}`",
                                f.resource, f.name, f.path
                            )));
                        }
                    }
                }
                (None, None) => {
                    return Err(GraderError::Lab("dns needs `name` or `name_from`".into()));
                }
            };
            dns(g, task_id, ns, &lookup_name, resolves_to_pod.as_deref()).await
        }
        Check::SurvivesDeletion {
            target,
            marker,
            path,
            expect_survives,
        } => {
            survives_deletion(
                g,
                task_id,
                target,
                *marker,
                path.as_deref(),
                *expect_survives,
            )
            .await
        }
        _ => Err(GraderError::Lab(format!(
            "{} is not a probe",
            check.kind_name()
        ))),
    }
}

/// A ready pod for the target, or the failing outcome explaining why there is none.
async fn ready_pod(g: &Grader, target: &Target) -> Result<Result<Value, Outcome>, GraderError> {
    let pods = find(g, "Pod", target).await?;
    if let Some(p) = pods.iter().find(|p| pod_is_ready(p)) {
        return Ok(Ok(p.clone()));
    }
    let what = describe("Pod", target);
    match pods.first() {
        None => Ok(Err(Outcome::fail(format!("{what} does not exist")))),
        Some(p) => {
            let d = diagnose::pod::not_ready(&g.view, p).await?;
            Ok(Err(
                Outcome::fail(format!("{what} is not Ready")).with(Some(d))
            ))
        }
    }
}

/// Runs SQL, retrying while mysqld is not listening yet (a pod is Ready before mysqld answers
/// when it has no readiness probe, as on a real cluster).
async fn sql_when_up(
    g: &Grader,
    task_id: &str,
    ns: Option<&str>,
    pod: &str,
    host: Option<&str>,
    sql: &str,
) -> Result<ExecOutput, GraderError> {
    let deadline = Instant::now() + g.probe_timeout;
    let mut reported = false;
    loop {
        let out = g
            .view
            .exec(ns, pod, &mysql_command_via(host, sql), g.probe_timeout)
            .await?;
        let starting = out.code != 0 && out.stderr.contains("Can't connect");
        if !starting || Instant::now() >= deadline {
            return Ok(out);
        }
        if !reported {
            g.report(
                task_id,
                format!("waiting for mysqld in Pod/{pod} to accept connections"),
            );
            reported = true;
        }
        sleep(POLL).await;
    }
}

fn compare(
    pod: &Value,
    what: &str,
    out: &ExecOutput,
    stdout: Option<&Assertion>,
    stderr_contains: Option<&str>,
    exit_code: Option<i32>,
) -> Result<Outcome, GraderError> {
    let pod_name = name_of(pod);
    let shown = || {
        format!(
            "exit {}, stdout `{}`, stderr `{}`",
            out.code,
            out.stdout.trim(),
            out.stderr.trim()
        )
    };
    let want_code = exit_code.unwrap_or(if stderr_contains.is_some() {
        out.code
    } else {
        0
    });
    if out.code != want_code {
        return Ok(Outcome::fail(format!(
            "in Pod/{pod_name}, `{what}` exited {} (expected {want_code}): {}",
            out.code,
            shown()
        )));
    }
    if let Some(s) = stderr_contains
        && !out.stderr.contains(s)
    {
        return Ok(Outcome::fail(format!(
            "in Pod/{pod_name}, `{what}`: stderr lacks `{s}`: {}",
            shown()
        )));
    }
    if let Some(a) = stdout {
        let text = Value::String(out.stdout.trim().to_string());
        let expected = a.value.as_ref().map(super::state::toml_to_json);
        if let Err(why) = assert_values(&[&text], a.op, expected.as_ref())? {
            return Ok(Outcome::fail(format!("in Pod/{pod_name}, `{what}`: {why}")));
        }
    }
    Ok(Outcome::pass(format!(
        "in Pod/{pod_name}, `{what}` printed what was expected"
    )))
}

static THROWAWAY: AtomicU64 = AtomicU64::new(0);

fn throwaway_name(prefix: &str) -> String {
    let n = THROWAWAY.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{:x}{n}", t & 0xfffff)
}

async fn dns(
    g: &Grader,
    task_id: &str,
    ns: Option<&str>,
    name: &str,
    resolves_to_pod: Option<&str>,
) -> Result<Outcome, GraderError> {
    let pod_name = throwaway_name("kubedojo-dns");
    let manifest = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod_name, "namespace": ns.unwrap_or(g.view.namespace()),
                     "labels": {"app.kubernetes.io/managed-by": "kubedojo-grader"}},
        "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "dns", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}
    });
    g.report(task_id, format!("starting a busybox pod to look up {name}"));
    g.view.apply(&manifest).await?;
    let result = async {
        wait_until(g, "the DNS probe pod to be Ready", || async {
            Ok(g.view
                .get("Pod", ns, &pod_name)
                .await?
                .filter(pod_is_ready)
                .map(|_| ()))
        })
        .await?;
        g.report(task_id, format!("nslookup {name}"));
        g.view
            .exec(
                ns,
                &pod_name,
                &["nslookup".to_string(), name.to_string()],
                g.probe_timeout,
            )
            .await
    }
    .await;
    // Always clean the throwaway pod up, whatever happened.
    let _ = g.view.delete("Pod", ns, &pod_name).await;
    let out = result?;
    if out.code != 0 {
        let d = diagnose::network::dns(&g.view, ns, name).await?;
        return Ok(Outcome::fail(format!("`{name}` does not resolve")).with(Some(d)));
    }
    if let Some(want) = resolves_to_pod {
        let ip = g
            .view
            .get("Pod", ns, want)
            .await?
            .and_then(|p| str_at(&p, "status.podIP").map(str::to_string));
        match ip {
            Some(ip) if out.stdout.contains(&format!("Address: {ip}")) => {}
            Some(ip) => {
                let d = diagnose::network::dns(&g.view, ns, name).await?;
                return Ok(Outcome::fail(format!(
                    "`{name}` resolves, but not to Pod/{want} ({ip})"
                ))
                .with(Some(d)));
            }
            None => return Ok(Outcome::fail(format!("Pod/{want} has no IP"))),
        }
    }
    Ok(Outcome::pass(format!("`{name}` resolves")))
}

/// Polls `f` until it yields a value, for at most the probe timeout.
async fn wait_until<T, F, Fut>(g: &Grader, what: &str, mut f: F) -> Result<T, GraderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, GraderError>>,
{
    let deadline = Instant::now() + g.probe_timeout;
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

async fn survives_deletion(
    g: &Grader,
    task_id: &str,
    target: &Target,
    marker: Marker,
    path: Option<&str>,
    expect_survives: bool,
) -> Result<Outcome, GraderError> {
    let started = Instant::now();
    let ns = target.namespace.as_deref();
    let pod = match ready_pod(g, target).await? {
        Ok(p) => p,
        Err(o) => return Ok(o),
    };
    let pod_name = name_of(&pod).to_string();
    let old_uid = uid_of(&pod).to_string();
    let Some(owner_uid) = lookup(&pod, "metadata.ownerReferences[*]")
        .into_iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|o| o.get("uid").and_then(Value::as_str))
        .map(str::to_string)
    else {
        // Deleting a bare pod would only destroy the learner's work: nothing brings it back.
        let d = diagnose::data::where_data_goes(&pod, MYSQL_DATA_DIR);
        let d = Diagnosis {
            summary: format!(
                "Pod/{pod_name} is a bare pod: no controller owns it, so once it is deleted nothing creates it again, \
                 whatever its volumes. {}",
                d.summary
            ),
            ..d
        };
        return Ok(Outcome::verdict(
            !expect_survives,
            format!("Pod/{pod_name} is a bare pod: its data would not come back"),
            format!("Pod/{pod_name} is a bare pod (no ownerReferences): nothing would replace it"),
        )
        .with(expect_survives.then_some(d)));
    };

    // 1. Write the marker.
    let token = throwaway_name("marker");
    g.report(task_id, format!("writing marker {token} in Pod/{pod_name}"));
    let written = match marker {
        Marker::Sql => {
            let sql = format!(
                "CREATE DATABASE IF NOT EXISTS kubedojo_probe; CREATE TABLE IF NOT EXISTS kubedojo_probe.marker (token VARCHAR(64)); INSERT INTO kubedojo_probe.marker VALUES ('{token}');"
            );
            sql_when_up(g, task_id, ns, &pod_name, None, &sql).await?
        }
        Marker::File => {
            let file = path.ok_or_else(|| {
                GraderError::Lab("survives_deletion with marker = \"file\" needs `path`".into())
            })?;
            let cmd = vec![
                "sh".to_string(),
                "-c".to_string(),
                format!("echo {token} > {file}"),
            ];
            g.view.exec(ns, &pod_name, &cmd, g.probe_timeout).await?
        }
    };
    if written.code != 0 {
        return Ok(Outcome::fail(format!(
            "could not write the marker in Pod/{pod_name}: {}",
            written.stderr.trim()
        )));
    }

    // 2. Delete the pod; 3. wait for a Ready replacement from the same controller.
    g.report(task_id, format!("deleting Pod/{pod_name}"));
    g.view.delete("Pod", ns, &pod_name).await?;
    g.report(
        task_id,
        "waiting for the replacement pod to be Ready".to_string(),
    );
    let replacement = wait_until(g, "a replacement pod", || async {
        let pods = g.view.list("Pod", ns, None).await?;
        Ok(pods.into_iter().find(|p| {
            uid_of(p) != old_uid
                && pod_is_ready(p)
                && lookup(p, "metadata.ownerReferences[*].uid")
                    .iter()
                    .any(|u| u.as_str() == Some(owner_uid.as_str()))
        }))
    })
    .await?;
    let new_name = name_of(&replacement).to_string();
    g.report(
        task_id,
        format!("Pod/{new_name} is Ready; reading the marker"),
    );

    // 4. Read the marker back.
    let kept = match marker {
        Marker::Sql => {
            let sql = format!("SELECT COUNT(*) FROM kubedojo_probe.marker WHERE token = '{token}'");
            let out = sql_when_up(g, task_id, ns, &new_name, None, &sql).await?;
            out.code == 0 && out.stdout.trim() == "1"
        }
        Marker::File => {
            let file = path.unwrap_or_default();
            let out = g
                .view
                .exec(
                    ns,
                    &new_name,
                    &["cat".to_string(), file.to_string()],
                    g.probe_timeout,
                )
                .await?;
            out.code == 0 && out.stdout.trim() == token
        }
    };
    let took = started.elapsed().as_millis();
    g.report(
        task_id,
        format!("survives-deletion probe done in {took} ms"),
    );
    let what = match marker {
        Marker::Sql => "the marker row",
        Marker::File => "the marker file",
    };
    let outcome = if kept {
        Outcome::verdict(
            expect_survives,
            format!(
                "{what} written in Pod/{pod_name} was still there in Pod/{new_name} after the deletion"
            ),
            format!(
                "{what} survived the deletion of Pod/{pod_name}, but this task expects it to be lost"
            ),
        )
    } else {
        Outcome::verdict(
            !expect_survives,
            format!(
                "{what} written in Pod/{pod_name} was gone in Pod/{new_name}, as expected here"
            ),
            format!("{what} written in Pod/{pod_name} was gone in its replacement Pod/{new_name}"),
        )
    };
    let diagnose_with = if kept != expect_survives {
        let dir = match marker {
            Marker::Sql => MYSQL_DATA_DIR,
            Marker::File => path.unwrap_or(MYSQL_DATA_DIR),
        };
        Some(diagnose::data::where_data_goes(&replacement, dir))
    } else {
        None
    };
    Ok(outcome.with(diagnose_with))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_command_reaches_the_own_server_or_a_named_one() {
        let own = mysql_command("SELECT 1");
        assert_eq!(
            own,
            ["mysql", "-uroot", "-pchange-me", "-N", "-e", "SELECT 1"]
        );
        let via = mysql_command_via(Some("mysql-0.mysql"), "SELECT 1");
        assert_eq!(
            via,
            [
                "mysql",
                "-h",
                "mysql-0.mysql",
                "-uroot",
                "-pchange-me",
                "-N",
                "-e",
                "SELECT 1"
            ]
        );
    }
}
