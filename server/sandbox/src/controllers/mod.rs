//! The control loop of one cluster. Every controller (and the simulated kubelet and scheduler,
//! which have the same shape) is level-triggered and keyed like client-go's workqueue: a store
//! change maps to the keys it affects, the manager queues them, and `reconcile` brings one key's
//! world in line with its spec. Controllers write through the store's single write path, so
//! watchers see their work exactly like a user's.
//!
//! One Tokio task per cluster runs every controller in turn; it sleeps until a change, a nudge
//! ([`Manager::nudge`], e.g. a container process exited) or the earliest requeue deadline.

mod common;
mod cx;
mod daemonset;
mod deployment;
mod endpoints;
mod endpointslices;
mod garbage_collector;
mod namespace;
mod protection;
mod provisioner;
mod pv_binder;
mod replicaset;
mod serviceaccount;
mod statefulset;

pub use cx::{Cx, EventType};

use crate::cluster::{Cluster, ClusterState};
use crate::store::{Event, Subscription};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::time::Instant;

/// Which object a controller should look at: namespace ("" for cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub namespace: String,
    pub name: String,
}

impl Key {
    /// A key from namespace and name.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Key {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// What to do after a reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeue {
    /// Nothing to do until something changes.
    Done,
    /// Look again after this much (real) time, e.g. a grace period or a back-off.
    After(Duration),
}

/// One control loop.
pub trait Controller: Send {
    /// For logs, e.g. `statefulset-controller`.
    fn name(&self) -> &'static str;
    /// Keys to reconcile because of `event` (e.g. the StatefulSet owning a changed Pod).
    fn keys_for(&self, cx: &Cx, event: &Event, out: &mut Vec<Key>);
    /// Every key this controller is responsible for (run at start and after a lagged feed).
    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>);
    /// Bring one key's world in line with its spec.
    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue;
}

/// The controllers every cluster runs, in the order they run within a round.
pub(crate) fn builtin() -> Vec<Box<dyn Controller>> {
    vec![
        Box::new(namespace::Namespaces),
        Box::new(serviceaccount::ServiceAccounts),
        Box::new(garbage_collector::GarbageCollector),
        Box::new(deployment::Deployments),
        Box::new(replicaset::ReplicaSets),
        Box::new(statefulset::StatefulSets),
        Box::new(daemonset::DaemonSetController),
        Box::new(pv_binder::PvBinder::default()),
        Box::new(protection::Protection),
        Box::new(endpoints::Endpoints),
        Box::new(endpointslices::EndpointSlices),
    ]
}

/// A cluster has booted once no controller has work due within this window.
const SETTLE_WINDOW: std::time::Duration = std::time::Duration::from_millis(50);

/// How many reconcile rounds run back to back before the loop yields to other clusters.
const MAX_ROUNDS_PER_WAKE: usize = 64;

/// Handle to a running control loop.
#[derive(Clone, Default)]
pub struct Manager {
    wake: Arc<Notify>,
}

impl Manager {
    /// Wake the loop (its controllers re-run their queues and `all_keys`).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }
}

struct Queue {
    pending: BTreeSet<Key>,
    timers: BTreeMap<Key, Instant>,
}

/// Start the control loop of `cluster` with `controllers` on the current Tokio runtime.
/// Without a runtime nothing runs (objects stay as written, like a cluster with no controllers).
pub(crate) fn start(
    cluster: &Cluster,
    controllers: Vec<Box<dyn Controller>>,
    manager: Manager,
) -> Manager {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return manager;
    };
    let Ok((_, feed)) = cluster.store().subscribe(None) else {
        return manager;
    };
    let weak = Arc::downgrade(&cluster.state);
    let wake = manager.wake.clone();
    handle.spawn(run(weak, controllers, feed, wake));
    manager
}

async fn run(
    weak: Weak<ClusterState>,
    mut controllers: Vec<Box<dyn Controller>>,
    mut feed: Subscription,
    wake: Arc<Notify>,
) {
    let mut queues: Vec<Queue> = controllers
        .iter()
        .map(|_| Queue {
            pending: BTreeSet::new(),
            timers: BTreeMap::new(),
        })
        .collect();
    let mut resync = true;
    let mut settled = false;
    loop {
        // NB: only a weak reference lives across the await, so dropping the last Cluster
        // handle ends the loop (the store's sender goes and the feed closes).
        {
            let Some(state) = weak.upgrade() else { return };
            let cx = Cx::new(Cluster { state });
            let mut keys = Vec::new();
            for _ in 0..MAX_ROUNDS_PER_WAKE {
                let mut events = Vec::new();
                loop {
                    match feed.try_recv() {
                        Ok(ev) => events.push(ev),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Lagged(_)) => resync = true,
                        Err(TryRecvError::Closed) => return,
                    }
                }
                let now = Instant::now();
                for (c, q) in controllers.iter().zip(queues.iter_mut()) {
                    keys.clear();
                    if resync {
                        c.all_keys(&cx, &mut keys);
                    }
                    for ev in &events {
                        c.keys_for(&cx, ev, &mut keys);
                    }
                    q.pending.extend(keys.drain(..));
                    let due: Vec<Key> = q
                        .timers
                        .iter()
                        .filter(|(_, at)| **at <= now)
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in due {
                        q.timers.remove(&k);
                        q.pending.insert(k);
                    }
                }
                resync = false;
                if queues.iter().all(|q| q.pending.is_empty()) {
                    break;
                }
                for (c, q) in controllers.iter_mut().zip(queues.iter_mut()) {
                    for key in std::mem::take(&mut q.pending) {
                        match c.reconcile(&cx, &key) {
                            Requeue::Done => {}
                            Requeue::After(d) => {
                                let at = Instant::now() + d;
                                let slot = q.timers.entry(key).or_insert(at);
                                *slot = (*slot).min(at);
                            }
                        }
                    }
                }
            }
            if !settled && queues.iter().all(|q| q.pending.is_empty()) {
                let soon = Instant::now() + SETTLE_WINDOW;
                let busy = queues.iter().any(|q| q.timers.values().any(|at| *at <= soon));
                if !busy {
                    settled = true;
                    cx.cluster().booted();
                }
            }
        }
        let next = queues
            .iter()
            .filter_map(|q| q.timers.values().min().copied())
            .min();
        let sleep = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = feed.recv() => match r {
                Ok(ev) => {
                    // Put it back in front of the next round's drain.
                    let Some(state) = weak.upgrade() else { return };
                    let cx = Cx::new(Cluster { state });
                    for (c, q) in controllers.iter().zip(queues.iter_mut()) {
                        let mut keys = Vec::new();
                        c.keys_for(&cx, &ev, &mut keys);
                        q.pending.extend(keys);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => resync = true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            () = wake.notified() => resync = true,
            () = sleep => {}
        }
    }
}
