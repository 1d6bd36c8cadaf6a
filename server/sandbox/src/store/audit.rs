//! Per-cluster audit log of API requests, read by the grader.

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::VecDeque;

/// How many entries a cluster keeps (oldest dropped first).
const AUDIT_CAPACITY: usize = 10_000;

/// One API request as the sandbox saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub time: DateTime<Utc>,
    /// Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: String,
    /// Plural resource (e.g. `pods`), empty for non-resource URLs.
    pub resource: String,
    /// API group (`""` for core).
    pub group: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// Request path (for non-resource requests such as discovery, the only locator).
    pub path: String,
    /// Authenticated user, e.g. `kubernetes-admin` or `system:serviceaccount:ns:sa`.
    pub user: String,
    /// HTTP status code of the response.
    pub code: u16,
}

/// Bounded, thread-safe audit log.
#[derive(Debug, Default)]
pub struct AuditLog {
    entries: Mutex<VecDeque<AuditEntry>>,
}

impl AuditLog {
    /// Append one entry.
    pub fn record(&self, entry: AuditEntry) {
        let mut e = self.entries.lock();
        if e.len() >= AUDIT_CAPACITY {
            e.pop_front();
        }
        e.push_back(entry);
    }

    /// A copy of all entries, oldest first.
    pub fn entries(&self) -> Vec<AuditEntry> {
        self.entries.lock().iter().cloned().collect()
    }

    /// Forget everything.
    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}
