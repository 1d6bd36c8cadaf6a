//! Object state: exists/absent, field assertions, phases, readiness.

use super::Grader;
use crate::assertion::assert_values;
use crate::cluster::{name_of, pod_is_ready};
use crate::diagnose;
use crate::error::GraderError;
use crate::model::{Check, Target};
use crate::path::{self, str_at};
use crate::result::Outcome;
use serde_json::Value;

/// Human label for a target: `Pod/mysql` or `Pod -l app=mysql`.
pub(crate) fn describe(kind: &str, t: &Target) -> String {
    match (&t.name, &t.selector) {
        (Some(n), _) => format!("{kind}/{n}"),
        (None, Some(s)) => format!("{kind} -l {s}"),
        (None, None) => format!("any {kind}"),
    }
}

pub(crate) async fn find(g: &Grader, kind: &str, t: &Target) -> Result<Vec<Value>, GraderError> {
    g.view
        .find(
            kind,
            t.namespace.as_deref(),
            t.name.as_deref(),
            t.selector.as_deref(),
        )
        .await
}

pub(super) async fn evaluate(g: &Grader, check: &Check) -> Result<Outcome, GraderError> {
    match check {
        Check::Exists { resource, target } => {
            let found = find(g, resource, target).await?;
            let what = describe(resource, target);
            Ok(Outcome::verdict(
                !found.is_empty(),
                format!("{what} exists"),
                format!("{what} does not exist"),
            ))
        }
        Check::Absent { resource, target } => {
            let found = find(g, resource, target).await?;
            let what = describe(resource, target);
            let names: Vec<&str> = found.iter().map(name_of).collect();
            Ok(Outcome::verdict(
                found.is_empty(),
                format!("no {what}"),
                format!("{what} still exists: {}", names.join(", ")),
            ))
        }
        Check::Field {
            resource,
            target,
            path: p,
            op,
            value,
            any,
        } => {
            let segments = path::parse(p)?;
            let what = describe(resource, target);
            let objects = find(g, resource, target).await?;
            if objects.is_empty() {
                return Ok(Outcome::fail(format!(
                    "{what} does not exist, so `{p}` cannot be checked"
                )));
            }
            let expected = value.as_ref().map(toml_to_json);
            // Every object the target selects must satisfy the assertion (with `any`, one).
            let mut failures = Vec::new();
            for obj in &objects {
                let found = path::select(obj, &segments);
                match assert_values(&found, *op, expected.as_ref())? {
                    Ok(()) if *any => {
                        return Ok(Outcome::pass(format!(
                            "{}/{}: `{p}` is as expected",
                            resource,
                            name_of(obj)
                        )));
                    }
                    Ok(()) => {}
                    Err(why) if *any => failures.push(format!("{}: {why}", name_of(obj))),
                    Err(why) => {
                        return Ok(Outcome::fail(format!(
                            "{}/{}: `{p}`: {why}",
                            resource,
                            name_of(obj)
                        )));
                    }
                }
            }
            if *any {
                let whom = what.strip_prefix("any ").unwrap_or(&what);
                return Ok(Outcome::fail(format!(
                    "no {whom} has `{p}` as expected ({})",
                    failures.join("; ")
                )));
            }
            Ok(Outcome::pass(format!("{what}: `{p}` is as expected")))
        }
        Check::Phase {
            resource,
            target,
            phase,
        } => {
            let what = describe(resource, target);
            let objects = find(g, resource, target).await?;
            let Some(obj) = objects.first() else {
                return Ok(Outcome::fail(format!("{what} does not exist")));
            };
            let actual = str_at(obj, "status.phase").unwrap_or("(none)");
            if actual == phase {
                return Ok(Outcome::pass(format!("{what} is {phase}")));
            }
            let diagnosis = if resource_is(resource, "PersistentVolumeClaim") && actual == "Pending"
            {
                Some(diagnose::pvc::pending(&g.view, obj).await?)
            } else if resource_is(resource, "Pod") {
                Some(diagnose::pod::not_ready(&g.view, obj).await?)
            } else {
                None
            };
            Ok(Outcome::fail(format!("{what} is {actual}, not {phase}")).with(diagnosis))
        }
        Check::PodReady { target } => {
            let what = describe("Pod", target);
            let pods = find(g, "Pod", target).await?;
            if let Some(p) = pods.iter().find(|p| pod_is_ready(p)) {
                return Ok(Outcome::pass(format!("Pod/{} is Ready", name_of(p))));
            }
            let Some(pod) = pods.first() else {
                return Ok(Outcome::fail(format!("{what} does not exist")));
            };
            let d = diagnose::pod::not_ready(&g.view, pod).await?;
            Ok(Outcome::fail(format!("{what} is not Ready")).with(Some(d)))
        }
        Check::ReplicasReady { resource, target } => {
            let what = describe(resource, target);
            let objects = find(g, resource, target).await?;
            let Some(obj) = objects.first() else {
                return Ok(Outcome::fail(format!("{what} does not exist")));
            };
            let want = path::lookup(obj, "spec.replicas")
                .first()
                .and_then(|v| v.as_i64())
                .unwrap_or(1);
            let ready = path::lookup(obj, "status.readyReplicas")
                .first()
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            Ok(Outcome::verdict(
                want > 0 && ready == want,
                format!("{resource}/{}: {ready}/{want} replicas ready", name_of(obj)),
                format!("{resource}/{}: {ready}/{want} replicas ready", name_of(obj)),
            ))
        }
        _ => Err(GraderError::Lab(format!(
            "{} is not a state check",
            check.kind_name()
        ))),
    }
}

pub(crate) fn resource_is(resource: &str, kind: &str) -> bool {
    crate::kinds::lookup(resource).is_some_and(|k| k.resource.kind == kind)
}

pub(crate) fn toml_to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
