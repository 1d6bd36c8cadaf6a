//! A change recorded by the store and delivered to watchers.

use crate::registry::ResourceId;
use serde_json::Value;
use std::sync::Arc;

/// Watch event type, as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One committed change.
#[derive(Debug)]
pub struct Event {
    /// resourceVersion of the change.
    pub rv: u64,
    pub resource: ResourceId,
    pub namespace: String,
    pub kind: EventType,
    /// The object after the change (its last state for deletions).
    pub object: Arc<Value>,
    /// The object before a modification (watchers with selectors turn a change that enters
    /// or leaves their selection into ADDED or DELETED, like the apiserver's watch cache).
    pub prev: Option<Arc<Value>>,
    /// The JSON watch line, encoded once and shared by every watcher that sends it.
    pub encoded: std::sync::OnceLock<bytes::Bytes>,
}
