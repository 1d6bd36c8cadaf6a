//! Watching one learner's cluster and turning every change into a fresh snapshot.
//!
//! Each connection gets its own watchers, so its first snapshot comes from a fresh list (a
//! reconnect never shows pods that are gone). States of [`run`]: wait for the learner's cluster
//! (sending "no cluster" once), then list and watch it until the client goes away or the
//! cluster is replaced, then start over.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{
    Event, Node, PersistentVolume, PersistentVolumeClaim, Pod, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::ListParams;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, Resource};
use kubedojo_app::lab::picture::model::PictureMessage;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::error::WatchError;
use super::snapshot::{self, Objects};
use crate::cluster::{LearnerCluster, LearnerClusters};

/// Changes closer together than this become one snapshot (a pod's creation is a burst of
/// writes: the pod, its scheduling, its status, the endpoints, the events).
pub const DEBOUNCE: Duration = Duration::from_millis(15);
/// How often to look again for a cluster while the learner has none.
const CLUSTER_POLL: Duration = Duration::from_secs(1);
/// The pause before watching again after the cluster was replaced.
const RESTART_PAUSE: Duration = Duration::from_millis(500);
/// At most this long between two marks of use while a picture is open.
const MAX_TOUCH_EVERY: Duration = Duration::from_secs(60);

/// How often an open picture marks the learner's cluster as used: well within the idle TTL, so
/// a learner who only watches their cluster (no clicks, no terminal) does not lose it.
fn touch_every(ttl: Duration) -> Duration {
    (ttl / 4).clamp(Duration::from_millis(10), MAX_TOUCH_EVERY)
}

/// Starts watching `learner`'s cluster; the messages come out of the returned receiver. The
/// watch stops when the receiver is dropped (the client went away).
pub fn spawn(clusters: Arc<LearnerClusters>, learner: String) -> mpsc::Receiver<PictureMessage> {
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(run(clusters, learner, tx));
    rx
}

async fn run(clusters: Arc<LearnerClusters>, learner: String, tx: mpsc::Sender<PictureMessage>) {
    let mut seq = 0;
    loop {
        let mut told_no_cluster = false;
        let cluster = loop {
            if let Some(cluster) = clusters.cluster_for(&learner).await {
                break cluster;
            }
            if !told_no_cluster {
                if tx.send(PictureMessage::NoCluster).await.is_err() {
                    return;
                }
                told_no_cluster = true;
            }
            tokio::select! {
                () = tokio::time::sleep(CLUSTER_POLL) => {}
                () = tx.closed() => return,
            }
        };
        match watch(&clusters, &cluster, &tx, &mut seq).await {
            Ok(()) => return,
            Err(e) => tracing::debug!(learner, error = %e, "watching again from a fresh list"),
        }
        tokio::select! {
            () = tokio::time::sleep(RESTART_PAUSE) => {}
            () = tx.closed() => return,
        }
    }
}

/// What changed: which watcher, and whether its (re)list is complete.
enum Change {
    Event { watcher: usize, listed: bool },
    Failed(watcher::Error),
}

/// A reflector over `api` as a stream of [`Change`]s.
fn reflect<K>(index: usize, api: Api<K>) -> (Store<K>, BoxStream<'static, Change>)
where
    K: Resource + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Eq + Hash + Clone + Default,
{
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
        .default_backoff()
        .map_ok(move |event| Change::Event {
            watcher: index,
            listed: !matches!(event, watcher::Event::Init | watcher::Event::InitApply(_)),
        })
        .map(|item| item.unwrap_or_else(Change::Failed))
        .boxed();
    (reader, stream)
}

/// Whether the learner may list `K` across the cluster: a namespace on a shared cluster may not
/// see nodes, volumes or classes, and the picture then draws what it can see.
async fn may_list<K>(client: &kube::Client, kind: &'static str) -> Result<bool, WatchError>
where
    K: Resource<Scope = k8s_openapi::ClusterResourceScope> + Clone + Debug + DeserializeOwned,
    K::DynamicType: Default,
{
    match Api::<K>::all(client.clone())
        .list(&ListParams::default().limit(1))
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 403 => Ok(false),
        Err(source) => Err(WatchError::Probe { kind, source }),
    }
}

/// The stores of one watch session: a store is `None` for a kind the learner may not list.
struct Stores {
    namespace: String,
    nodes: Option<Store<Node>>,
    services: Store<Service>,
    endpoint_slices: Store<EndpointSlice>,
    pods: Store<Pod>,
    claims: Store<PersistentVolumeClaim>,
    volumes: Option<Store<PersistentVolume>>,
    storage_classes: Option<Store<StorageClass>>,
    events: Store<Event>,
}

impl Stores {
    fn objects(&self) -> Objects {
        Objects {
            namespace: self.namespace.clone(),
            nodes: self.nodes.as_ref().map(Store::state).unwrap_or_default(),
            services: self.services.state(),
            endpoint_slices: self.endpoint_slices.state(),
            pods: self.pods.state(),
            claims: self.claims.state(),
            volumes: self.volumes.as_ref().map(Store::state).unwrap_or_default(),
            storage_classes: self
                .storage_classes
                .as_ref()
                .map(Store::state)
                .unwrap_or_default(),
            events: self.events.state(),
        }
    }
}

/// Lists and watches `cluster`, sending a snapshot once everything is listed and then after
/// every burst of changes. `Ok` when the client went away.
async fn watch(
    clusters: &LearnerClusters,
    cluster: &LearnerCluster,
    tx: &mpsc::Sender<PictureMessage>,
    seq: &mut u64,
) -> Result<(), WatchError> {
    let client = &cluster.client;
    let ns = cluster.namespace.as_str();
    let mut streams = Vec::new();
    let mut add = |stream: BoxStream<'static, Change>| {
        streams.push(stream);
        streams.len() - 1
    };

    let nodes = if may_list::<Node>(client, "nodes").await? {
        let (store, stream) = reflect(0, Api::<Node>::all(client.clone()));
        add(stream);
        Some(store)
    } else {
        None
    };
    let volumes = if may_list::<PersistentVolume>(client, "persistentvolumes").await? {
        let (store, stream) = reflect(1, Api::<PersistentVolume>::all(client.clone()));
        add(stream);
        Some(store)
    } else {
        None
    };
    let storage_classes = if may_list::<StorageClass>(client, "storageclasses").await? {
        let (store, stream) = reflect(2, Api::<StorageClass>::all(client.clone()));
        add(stream);
        Some(store)
    } else {
        None
    };
    let (services, s) = reflect(3, Api::namespaced(client.clone(), ns));
    add(s);
    let (endpoint_slices, s) = reflect(4, Api::namespaced(client.clone(), ns));
    add(s);
    let (pods, s) = reflect(5, Api::namespaced(client.clone(), ns));
    add(s);
    let (claims, s) = reflect(6, Api::namespaced(client.clone(), ns));
    add(s);
    let (events, s) = reflect(7, Api::namespaced(client.clone(), ns));
    add(s);
    let stores = Stores {
        namespace: ns.to_string(),
        nodes,
        services,
        endpoint_slices,
        pods,
        claims,
        volumes,
        storage_classes,
        events,
    };

    // Watchers of kinds the learner may not list count as listed (they have nothing).
    let mut listed = [false; 8];
    for (i, skipped) in [
        stores.nodes.is_none(),
        stores.volumes.is_none(),
        stores.storage_classes.is_none(),
    ]
    .into_iter()
    .enumerate()
    {
        listed[i] = skipped;
    }
    let mut changes = futures::stream::select_all(streams);
    let mut first_sent = false;
    let mut due: Option<tokio::time::Instant> = None;
    let mut touch = tokio::time::interval(touch_every(clusters.ttl()));
    touch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let deadline = due;
        tokio::select! {
            change = changes.next() => match change {
                Some(Change::Event { watcher, listed: done }) => {
                    if done {
                        listed[watcher] = true;
                    }
                    if !listed.iter().all(|l| *l) {
                        continue;
                    }
                    if first_sent {
                        due.get_or_insert_with(|| tokio::time::Instant::now() + DEBOUNCE);
                    } else {
                        // NB: the first snapshot goes out as soon as every list is in.
                        first_sent = true;
                        send(tx, &stores, seq).await;
                    }
                }
                Some(Change::Failed(e)) => {
                    tracing::debug!(error = %e, "a watcher of the learner's cluster failed");
                    let current = clusters.cluster_for(&cluster.learner).await;
                    if current.is_none_or(|c| c.id != cluster.id) {
                        return Err(WatchError::ClusterReplaced);
                    }
                }
                None => return Err(WatchError::ClusterReplaced),
            },
            () = sleep_until(deadline), if deadline.is_some() => {
                due = None;
                send(tx, &stores, seq).await;
            }
            // Looking at the cluster is using it (`cluster_for` marks it used for the TTL).
            _ = touch.tick() => {
                let current = clusters.cluster_for(&cluster.learner).await;
                if current.is_none_or(|c| c.id != cluster.id) {
                    return Err(WatchError::ClusterReplaced);
                }
            }
            () = tx.closed() => return Ok(()),
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}

/// Sends the next snapshot (a closed channel is noticed by the caller's `tx.closed()` branch).
async fn send(tx: &mpsc::Sender<PictureMessage>, stores: &Stores, seq: &mut u64) {
    *seq += 1;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let message =
        PictureMessage::Snapshot(Box::new(snapshot::build(&stores.objects(), *seq, now_ms)));
    let _ = tx.send(message).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Backend, SandboxBackend};

    #[test]
    fn touches_well_within_the_ttl() {
        assert_eq!(touch_every(Duration::from_secs(2 * 3600)), MAX_TOUCH_EVERY);
        assert_eq!(
            touch_every(Duration::from_millis(400)),
            Duration::from_millis(100)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_open_picture_keeps_the_cluster_from_being_reaped() {
        let ttl = Duration::from_millis(400);
        let clusters = LearnerClusters::new(
            Backend::Sandbox(SandboxBackend::new(kubedojo_sandbox::Sandbox::default())),
            ttl,
        );
        clusters
            .provision("watcher")
            .wait()
            .await
            .expect("provisioned");
        let mut messages = spawn(clusters.clone(), "watcher".into());
        let first = tokio::time::timeout(Duration::from_secs(10), messages.recv())
            .await
            .expect("a first message in time");
        assert!(matches!(first, Some(PictureMessage::Snapshot(_))));
        // Three TTLs with nothing but the open picture: the cluster stays.
        for _ in 0..6 {
            tokio::time::sleep(ttl / 2).await;
            assert_eq!(clusters.reap_idle().await, 0, "watched, so in use");
        }
        // Closed: idle again, and reaped after the TTL.
        drop(messages);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            tokio::time::sleep(ttl).await;
            if clusters.reap_idle().await == 1 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "never reaped");
        }
    }
}
