//! What a controller may do: read the store, and write like a controller does (create with a
//! field manager, update only when something changed, delete with propagation, record Events).

use crate::admission::meta;
use crate::api::error::ApiResult;
use crate::api::resources::{DeleteOptions, create_object, delete_one};
use crate::cluster::Cluster;
use crate::registry::{ResourceId, def};
use crate::store::Change;
use serde_json::Value;
use std::sync::Arc;

/// The context a controller runs in: one cluster.
pub struct Cx {
    cluster: Cluster,
}

impl Cx {
    pub(crate) fn new(cluster: Cluster) -> Self {
        Cx { cluster }
    }

    /// The cluster.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// One object.
    pub fn get(&self, res: ResourceId, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.cluster.store().get(res, ns, name)
    }

    /// All objects of a kind in a namespace (or all namespaces).
    pub fn list(&self, res: ResourceId, ns: Option<&str>) -> Vec<Arc<Value>> {
        self.cluster.store().list(res, ns).0
    }

    /// Create through the API's create pipeline (defaults, validation, quota), as `manager`.
    ///
    /// # Errors
    /// What the API would answer (AlreadyExists, Invalid, Forbidden by quota).
    pub fn create(
        &self,
        res: ResourceId,
        ns: Option<&str>,
        obj: Value,
        manager: &str,
    ) -> ApiResult<Arc<Value>> {
        create_object(&self.cluster, def(res), ns, obj, manager, false)
    }

    /// Change an object in place; writes (and bumps the resourceVersion) only when `f` changed
    /// something. Returns the stored object, or None when it does not exist.
    pub fn update(
        &self,
        res: ResourceId,
        ns: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Option<Arc<Value>> {
        let out = self.cluster.store().write::<()>(res, ns, name, |cur| {
            let Some(cur) = cur else {
                return Ok(Change::Keep);
            };
            let mut v = (**cur).clone();
            f(&mut v);
            if v == **cur {
                return Ok(Change::Keep);
            }
            if def(res).tracks_generation() && v["spec"] != cur["spec"] {
                let g = cur["metadata"]["generation"].as_i64().unwrap_or(1);
                meta::metadata(&mut v).insert("generation".into(), (g + 1).into());
            }
            Ok(Change::Put(v))
        });
        out.ok().and_then(|o| o.object().cloned())
    }

    /// Delete like a client would (graceful for pods, finalizers honoured), with `propagation`
    /// (`Background`, `Foreground` or `Orphan`). A missing object is not an error.
    pub fn delete(&self, res: ResourceId, ns: &str, name: &str, propagation: &str) {
        let opts = DeleteOptions {
            propagation: Some(propagation.into()),
            ..Default::default()
        };
        let _ = delete_one(&self.cluster, def(res), res, ns, name, &opts, false);
    }

    /// Record an Event about `object` the way client-go's recorder does: a repeat of the same
    /// reason and message bumps `count` and `lastTimestamp` instead of adding an object.
    pub fn event(&self, object: &Value, type_: EventType, reason: &str, message: &str, source: &str) {
        crate::events::record(&self.cluster, object, type_, reason, message, source);
    }
}

pub use crate::events::EventType;
