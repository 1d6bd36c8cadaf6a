//! Versioned object store of one cluster. Every write goes through [`Store::write`], which bumps
//! the cluster's resourceVersion, records the event in a bounded ring (for watches that resume
//! from a resourceVersion) and fans it out to live watchers through a broadcast channel.

mod audit;
mod event;

pub use audit::{AuditEntry, AuditLog};
pub use event::{Event, EventType};

use crate::registry::{RESOURCES, ResourceId};
use parking_lot::RwLock;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many past events a cluster keeps for watches resuming from a resourceVersion.
const RING_CAPACITY: usize = 1024;
/// How far a live watcher may fall behind before it is cut off with 410 Expired.
const FANOUT_CAPACITY: usize = 4096;

/// What a write closure decided to do with the object.
#[derive(Debug)]
pub enum Change {
    /// Store this object (create or replace). The store sets `metadata.resourceVersion`.
    Put(Value),
    /// Remove the object.
    Delete,
    /// Leave it as is.
    Keep,
}

/// What a write did.
#[derive(Debug, Clone)]
pub enum Outcome {
    Created(Arc<Value>),
    Updated(Arc<Value>),
    Deleted(Arc<Value>),
    Unchanged(Option<Arc<Value>>),
}

impl Outcome {
    /// The object after the write (the final state for deletions).
    pub fn object(&self) -> Option<&Arc<Value>> {
        match self {
            Outcome::Created(o) | Outcome::Updated(o) | Outcome::Deleted(o) => Some(o),
            Outcome::Unchanged(o) => o.as_ref(),
        }
    }
}

/// A watch that resumes from a resourceVersion older than the ring holds.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too old resource version: {requested} ({oldest})")]
pub struct Expired {
    pub requested: u64,
    pub oldest: u64,
}

type Key = (String, String);

/// Every object of one kind, as [`Store::snapshot`] returns them.
pub type Objects = (ResourceId, Vec<Arc<Value>>);

/// A live feed of committed changes (all kinds, all namespaces) for watchers and controllers.
pub type Subscription = broadcast::Receiver<Arc<Event>>;

struct Inner {
    rv: u64,
    objects: Vec<BTreeMap<Key, Arc<Value>>>,
    ring: VecDeque<Arc<Event>>,
    /// Highest resourceVersion whose event has left the ring: watches from older versions get 410.
    evicted: u64,
    /// Owner uid → dependents (resource, namespace, name): the garbage collector's graph.
    owners: HashMap<String, HashSet<(ResourceId, String, String)>>,
    /// NB: created on first subscription so idle clusters do not pay for the channel's slots.
    tx: Option<broadcast::Sender<Arc<Event>>>,
}

/// The object store of one cluster.
pub struct Store {
    inner: RwLock<Inner>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    /// An empty store at resourceVersion 1.
    pub fn new() -> Self {
        Store {
            inner: RwLock::new(Inner {
                rv: 1,
                objects: (0..RESOURCES.len()).map(|_| BTreeMap::new()).collect(),
                ring: VecDeque::new(),
                evicted: 0,
                owners: HashMap::new(),
                tx: None,
            }),
        }
    }

    /// The current resourceVersion of the cluster.
    pub fn resource_version(&self) -> u64 {
        self.inner.read().rv
    }

    /// One object.
    pub fn get(&self, res: ResourceId, ns: &str, name: &str) -> Option<Arc<Value>> {
        let inner = self.inner.read();
        inner
            .objects
            .get(res)?
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// All objects of a kind (in one namespace, or all when `ns` is None), sorted by namespace
    /// and name, and the resourceVersion of the snapshot.
    pub fn list(&self, res: ResourceId, ns: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        let inner = self.inner.read();
        let Some(map) = inner.objects.get(res) else {
            return (Vec::new(), inner.rv);
        };
        let items = match ns {
            Some(ns) => map
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v.clone())
                .collect(),
            None => map.values().cloned().collect(),
        };
        (items, inner.rv)
    }

    /// Number of objects of every kind (for the per-cluster object limit).
    pub fn total(&self) -> usize {
        self.inner.read().objects.iter().map(BTreeMap::len).sum()
    }

    /// Number of objects of a kind in a namespace (or all).
    pub fn count(&self, res: ResourceId, ns: Option<&str>) -> usize {
        self.list(res, ns).0.len()
    }

    /// The one write path: runs `f` on the current object under the write lock, applies its
    /// decision, bumps the resourceVersion and notifies watchers.
    ///
    /// An object whose `deletionTimestamp` is set and whose finalizers are empty is removed
    /// instead of stored, as the real apiserver does.
    ///
    /// # Errors
    /// Whatever `f` returns.
    pub fn write<E>(
        &self,
        res: ResourceId,
        ns: &str,
        name: &str,
        f: impl FnOnce(Option<&Arc<Value>>) -> Result<Change, E>,
    ) -> Result<Outcome, E> {
        let mut guard = self.inner.write();
        let inner = &mut *guard;
        let key = (ns.to_string(), name.to_string());
        let Some(map) = inner.objects.get_mut(res) else {
            return Ok(Outcome::Unchanged(None));
        };
        let current = map.get(&key);
        let prev = current.cloned();
        let change = f(current)?;
        let existed = current.is_some();
        let change = match change {
            Change::Put(v) if is_finalized(&v) => {
                if existed {
                    Change::Delete
                } else {
                    Change::Keep
                }
            }
            other => other,
        };
        let (outcome, event) = match change {
            Change::Keep => return Ok(Outcome::Unchanged(current.cloned())),
            Change::Put(mut v) => {
                inner.rv += 1;
                set_rv(&mut v, inner.rv);
                let obj = Arc::new(v);
                map.insert(key.clone(), obj.clone());
                if existed {
                    (Outcome::Updated(obj.clone()), EventType::Modified)
                } else {
                    (Outcome::Created(obj.clone()), EventType::Added)
                }
            }
            Change::Delete => {
                let Some(old) = map.remove(&key) else {
                    return Ok(Outcome::Unchanged(None));
                };
                inner.rv += 1;
                let mut v = (*old).clone();
                set_rv(&mut v, inner.rv);
                let obj = Arc::new(v);
                (Outcome::Deleted(obj), EventType::Deleted)
            }
        };
        let object = outcome.object().cloned().unwrap_or_default();
        let new_owner_refs = if event == EventType::Deleted {
            Vec::new()
        } else {
            owner_uids(&object)
        };
        let old_owner_refs = prev.as_deref().map(owner_uids).unwrap_or_default();
        if new_owner_refs != old_owner_refs {
            let dep = (res, key.0.clone(), key.1.clone());
            for uid in &old_owner_refs {
                if let Some(set) = inner.owners.get_mut(uid) {
                    set.remove(&dep);
                    if set.is_empty() {
                        inner.owners.remove(uid);
                    }
                }
            }
            for uid in new_owner_refs {
                inner.owners.entry(uid).or_default().insert(dep.clone());
            }
        }
        let ev = Arc::new(Event {
            rv: inner.rv,
            resource: res,
            namespace: key.0,
            kind: event,
            object,
            prev: if event == EventType::Modified {
                prev
            } else {
                None
            },
            encoded: std::sync::OnceLock::new(),
        });
        if inner.ring.len() >= RING_CAPACITY
            && let Some(old) = inner.ring.pop_front()
        {
            inner.evicted = old.rv;
        }
        inner.ring.push_back(ev.clone());
        // NB: sending under the lock keeps fan-out order equal to resourceVersion order; a
        // broadcast send never blocks (slow receivers lag and are cut off with 410).
        if let Some(tx) = &inner.tx
            && tx.receiver_count() > 0
        {
            let _ = tx.send(ev);
        }
        Ok(outcome)
    }

    /// Subscribe to changes after `from` (None: only future changes). Returns the events to
    /// replay and a receiver for live events, taken atomically with respect to writers.
    ///
    /// # Errors
    /// [`Expired`] when events after `from` have already left the ring.
    pub fn subscribe(&self, from: Option<u64>) -> Result<(Vec<Arc<Event>>, Subscription), Expired> {
        let mut inner = self.inner.write();
        let replay = match from {
            None => Vec::new(),
            Some(from) => {
                if from < inner.evicted {
                    return Err(Expired {
                        requested: from,
                        oldest: inner.evicted,
                    });
                }
                inner.ring.iter().filter(|e| e.rv > from).cloned().collect()
            }
        };
        let tx = inner
            .tx
            .get_or_insert_with(|| broadcast::channel(FANOUT_CAPACITY).0);
        Ok((replay, tx.subscribe()))
    }

    /// The current objects of a kind (optionally one namespace), the snapshot's resourceVersion
    /// and a receiver for every later change, taken atomically with respect to writers.
    pub fn subscribe_snapshot(
        &self,
        res: ResourceId,
        ns: Option<&str>,
    ) -> (Vec<Arc<Value>>, u64, broadcast::Receiver<Arc<Event>>) {
        let mut inner = self.inner.write();
        let items = match inner.objects.get(res) {
            Some(map) => match ns {
                Some(ns) => map
                    .range((ns.to_string(), String::new())..)
                    .take_while(|((n, _), _)| n == ns)
                    .map(|(_, v)| v.clone())
                    .collect(),
                None => map.values().cloned().collect(),
            },
            None => Vec::new(),
        };
        let rv = inner.rv;
        let tx = inner
            .tx
            .get_or_insert_with(|| broadcast::channel(FANOUT_CAPACITY).0);
        (items, rv, tx.subscribe())
    }

    /// Objects whose ownerReferences name `uid` (resource, namespace, name).
    pub fn dependents(&self, uid: &str) -> Vec<(ResourceId, String, String)> {
        let inner = self.inner.read();
        let mut out: Vec<_> = inner
            .owners
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Every object of every kind (grouped by resource, kinds without objects left out) and
    /// the resourceVersion they are consistent at, for a persistent snapshot. Cheap: the
    /// objects are shared, not copied, and the read lock is held only while collecting them.
    pub fn snapshot(&self) -> (u64, Vec<Objects>) {
        let inner = self.inner.read();
        let objects = inner
            .objects
            .iter()
            .enumerate()
            .filter(|(_, map)| !map.is_empty())
            .map(|(res, map)| (res, map.values().cloned().collect()))
            .collect();
        (inner.rv, objects)
    }

    /// A store holding `objects` at resourceVersion `rv` (a reloaded snapshot). Its watch
    /// cache is empty and everything up to `rv` counts as evicted, so a watch resuming from an
    /// older version gets 410 Gone and relists, as after an apiserver restart.
    pub fn restore(rv: u64, objects: Vec<(ResourceId, Value)>) -> Self {
        let store = Store::new();
        {
            let mut inner = store.inner.write();
            inner.rv = rv.max(1);
            inner.evicted = rv;
            for (res, v) in objects {
                let ns = v["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let name = v["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                for uid in owner_uids(&v) {
                    inner
                        .owners
                        .entry(uid)
                        .or_default()
                        .insert((res, ns.clone(), name.clone()));
                }
                if let Some(map) = inner.objects.get_mut(res) {
                    map.insert((ns, name), Arc::new(v));
                }
            }
        }
        store
    }

    /// Drop all but the newest `keep` events from the ring (tests use it to provoke 410).
    pub fn compact(&self, keep: usize) {
        let mut inner = self.inner.write();
        while inner.ring.len() > keep {
            if let Some(old) = inner.ring.pop_front() {
                inner.evicted = old.rv;
            }
        }
    }
}

fn owner_uids(v: &Value) -> Vec<String> {
    v["metadata"]["ownerReferences"]
        .as_array()
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r["uid"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn is_finalized(v: &Value) -> bool {
    let md = &v["metadata"];
    // NB: namespaces keep `spec.finalizers` until the namespace controller empties them.
    // NB: a graceful deletion (grace period > 0, e.g. a pod on a node) stays until whoever
    // owns the grace period (the kubelet) deletes it for good.
    !md["deletionTimestamp"].is_null()
        && md["deletionGracePeriodSeconds"].as_i64().unwrap_or(0) == 0
        && md["finalizers"].as_array().is_none_or(|f| f.is_empty())
        && v["spec"]["finalizers"]
            .as_array()
            .is_none_or(|f| f.is_empty())
}

fn set_rv(v: &mut Value, rv: u64) {
    if let Some(md) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        md.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(v: Value) -> impl FnOnce(Option<&Arc<Value>>) -> Result<Change, ()> {
        move |_| Ok(Change::Put(v))
    }

    #[test]
    fn writes_bump_resource_version_and_record_events() {
        let s = Store::new();
        let rv0 = s.resource_version();
        let out = s
            .write(1, "default", "a", put(json!({"metadata": {"name": "a"}})))
            .expect("write");
        assert!(matches!(out, Outcome::Created(_)));
        assert_eq!(s.resource_version(), rv0 + 1);
        let got = s.get(1, "default", "a").expect("stored");
        assert_eq!(
            got["metadata"]["resourceVersion"],
            json!((rv0 + 1).to_string())
        );
        let (replay, _rx) = s.subscribe(Some(rv0)).expect("subscribe");
        assert_eq!(replay.len(), 1);
        assert_eq!(replay[0].kind, EventType::Added);
    }

    #[test]
    fn finalized_objects_are_removed() {
        let s = Store::new();
        s.write(
            1,
            "default",
            "a",
            put(json!({"metadata": {"name": "a", "finalizers": ["x"]}})),
        )
        .expect("create");
        let out = s
            .write(
                1,
                "default",
                "a",
                put(
                    json!({"metadata": {"name": "a", "deletionTimestamp": "2024-01-01T00:00:00Z"}}),
                ),
            )
            .expect("finalize");
        assert!(matches!(out, Outcome::Deleted(_)));
        assert!(s.get(1, "default", "a").is_none());
    }

    #[test]
    fn slow_subscribers_lag_instead_of_blocking_writers() {
        let s = Store::new();
        let (_, mut rx) = s.subscribe(None).expect("subscribe");
        for i in 0..(FANOUT_CAPACITY + 10) {
            let name = format!("o{i}");
            s.write(
                1,
                "default",
                &name,
                put(json!({"metadata": {"name": name}})),
            )
            .expect("write never blocks");
        }
        assert!(matches!(
            rx.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
        // The ring only keeps the newest events: resuming from the start is 410 Expired.
        assert!(s.subscribe(Some(1)).is_err());
    }

    #[test]
    fn list_is_scoped_by_namespace() {
        let s = Store::new();
        for (ns, n) in [("a", "x"), ("b", "y"), ("a", "z")] {
            s.write(1, ns, n, put(json!({"metadata": {"name": n}})))
                .expect("w");
        }
        assert_eq!(s.list(1, Some("a")).0.len(), 2);
        assert_eq!(s.list(1, None).0.len(), 3);
    }
}
