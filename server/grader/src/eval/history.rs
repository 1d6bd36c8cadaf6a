//! History from the cluster's own records: Events name the uid of the object they are about, so
//! two uids under one name mean it was deleted and created again. The grader also remembers the
//! uids it has seen between evaluations (Events expire after an hour; memory does not).

use super::Grader;
use crate::cluster::uid_of;
use crate::error::GraderError;
use crate::kinds;
use crate::model::Check;
use crate::path::str_at;
use crate::result::{Diagnosis, Outcome};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Uids seen per object, in the order first seen.
#[derive(Debug, Default)]
pub struct Memory {
    seen: Mutex<HashMap<String, Vec<String>>>,
}

impl Memory {
    /// Records `uid` for `key`; returns every uid seen for it, first first.
    pub fn observe(&self, key: &str, uid: &str) -> Vec<String> {
        // A poisoned lock only means another evaluation panicked; the map is still usable.
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let uids = seen.entry(key.to_string()).or_default();
        if !uid.is_empty() && !uids.iter().any(|u| u == uid) {
            uids.push(uid.to_string());
        }
        uids.clone()
    }

    /// Forgets everything (a lab reset).
    pub fn clear(&self) {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

pub(super) async fn evaluate(g: &Grader, check: &Check) -> Result<Outcome, GraderError> {
    let (Check::Recreated {
        resource,
        name,
        namespace,
    }
    | Check::UidUnchanged {
        resource,
        name,
        namespace,
    }) = check
    else {
        return Err(GraderError::Lab(format!(
            "{} is not a history check",
            check.kind_name()
        )));
    };
    let kind = kinds::lookup(resource)
        .ok_or_else(|| GraderError::UnknownKind(resource.clone()))?
        .resource
        .kind;
    let ns = namespace
        .as_deref()
        .unwrap_or(g.view.namespace())
        .to_string();
    let key = format!("{kind}/{ns}/{name}");
    let current = g.view.get(&kind, Some(&ns), name).await?;
    let current_uid = current.as_ref().map(|o| uid_of(o).to_string());
    let remembered = g.memory.observe(&key, current_uid.as_deref().unwrap_or(""));
    let from_events = event_uids(g, &kind, &ns, name).await?;
    let mut all: BTreeSet<String> = from_events.iter().cloned().collect();
    all.extend(remembered.iter().cloned());

    match check {
        Check::Recreated { .. } => {
            let Some(uid) = current_uid else {
                return Ok(Outcome::fail(format!("{kind}/{name} does not exist (yet)")));
            };
            if all.len() >= 2 {
                Ok(Outcome::pass(format!(
                    "{kind}/{name} was deleted and came back with the same name (uid now {uid})"
                )))
            } else {
                Ok(Outcome::fail(format!("{kind}/{name} has not been deleted and created again")).with(Some(
                    Diagnosis::new(format!(
                        "Only one {kind} named {name} has ever existed (uid {uid}): the task needs it deleted and then created again."
                    ))
                    .finding("Events and the grader's own observations show a single uid for this name.")
                    .object(format!("{kind}/{name}")),
                )))
            }
        }
        _ => {
            let Some(uid) = current_uid else {
                return Ok(Outcome::fail(format!("{kind}/{name} does not exist")));
            };
            let first = remembered.first().cloned().unwrap_or_else(|| uid.clone());
            let others: Vec<&String> = all.iter().filter(|u| **u != uid).collect();
            if first == uid && others.is_empty() {
                Ok(Outcome::pass(format!("{kind}/{name} kept its uid {uid}")))
            } else {
                Ok(Outcome::fail(format!("{kind}/{name} was replaced: uid {first} became {uid}")).with(Some(
                    Diagnosis::new(format!(
                        "{kind}/{name} is not the object it was: it was deleted and a new one with the same name was created. \
                         For a claim that means a new, empty volume (unless the old PersistentVolume was Retained and re-bound)."
                    ))
                    .finding(format!("uids seen: {}", all.iter().cloned().collect::<Vec<_>>().join(", ")))
                    .object(format!("{kind}/{name}")),
                )))
            }
        }
    }
}

/// Uids of the objects of this kind and name that Events were written about.
async fn event_uids(
    g: &Grader,
    kind: &str,
    ns: &str,
    name: &str,
) -> Result<Vec<String>, GraderError> {
    let events = g.view.list("Event", Some(ns), None).await?;
    let mut uids: Vec<String> = events
        .iter()
        .filter(|e| {
            str_at(e, "involvedObject.kind") == Some(kind)
                && str_at(e, "involvedObject.name") == Some(name)
        })
        .filter_map(|e| str_at(e, "involvedObject.uid").map(str::to_string))
        .filter(|u| !u.is_empty())
        .collect();
    uids.sort();
    uids.dedup();
    Ok(uids)
}
