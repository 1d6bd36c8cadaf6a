//! What can end a watch of a learner's cluster (the stream then starts over from a fresh list).

/// A failure while listing or watching the learner's cluster.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// Asking whether the learner may list a cluster-scoped kind failed for another reason than
    /// "forbidden".
    #[error("cannot list {kind}: {source}")]
    Probe {
        kind: &'static str,
        #[source]
        source: kube::Error,
    },
    /// The learner's cluster was removed or replaced while it was watched.
    #[error("the learner's cluster was removed or replaced")]
    ClusterReplaced,
}
