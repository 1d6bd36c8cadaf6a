//! The store snapshot: every object of a cluster grouped by resource (`group/version/plural`,
//! so the file does not depend on the order of the registry), the store's resourceVersion and
//! the ClusterIP and NodePort allocators.

use super::files::{decode_framed, encode_framed};
use super::{PersistError, Result};
use crate::registry::{self, ResourceId};
use crate::store::Objects;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A reloaded snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSnapshot {
    pub rv: u64,
    pub next_cluster_ip: u32,
    pub next_node_port: u32,
    pub objects: Vec<(ResourceId, Value)>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Out<'a> {
    rv: u64,
    next_cluster_ip: u32,
    next_node_port: u32,
    resources: BTreeMap<String, Vec<&'a Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct In {
    rv: u64,
    next_cluster_ip: u32,
    next_node_port: u32,
    resources: BTreeMap<String, Vec<Value>>,
}

fn resource_key(res: ResourceId) -> String {
    let d = registry::def(res);
    format!("{}/{}/{}", d.group, d.version, d.plural)
}

/// The framed bytes of a snapshot of `objects` (as [`crate::store::Store::snapshot`] returns
/// them) at resourceVersion `rv`.
pub fn encode_snapshot(
    rv: u64,
    objects: &[Objects],
    next_cluster_ip: u32,
    next_node_port: u32,
) -> Vec<u8> {
    let resources = objects
        .iter()
        .map(|(res, items)| (resource_key(*res), items.iter().map(|v| &**v).collect()))
        .collect();
    let out = Out {
        rv,
        next_cluster_ip,
        next_node_port,
        resources,
    };
    // NB: serialising JSON values with string keys cannot fail.
    encode_framed(&serde_json::to_vec(&out).unwrap_or_default())
}

/// Parse a snapshot file's bytes. Objects of a resource this build does not serve are left
/// out with a warning (a file from another version of kubedojo).
///
/// # Errors
/// [`PersistError::Corrupt`] for anything but an intact snapshot.
pub fn decode_snapshot(path: &Path, bytes: &[u8]) -> Result<StoreSnapshot> {
    let body = decode_framed(path, bytes)?;
    let parsed: In = serde_json::from_slice(body).map_err(|e| PersistError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut objects = Vec::new();
    for (key, items) in parsed.resources {
        let mut parts = key.splitn(3, '/');
        let (Some(group), Some(version), Some(plural)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(PersistError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("bad resource key {key:?}"),
            });
        };
        let Some(res) = registry::find(group, version, plural) else {
            tracing::warn!(path = %path.display(), resource = %key, count = items.len(), "leaving out objects of a resource this build does not serve");
            continue;
        };
        for v in items {
            if !v["metadata"]["name"].is_string() {
                return Err(PersistError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("a {key} object without a name"),
                });
            }
            objects.push((res, v));
        }
    }
    Ok(StoreSnapshot {
        rv: parsed.rv,
        next_cluster_ip: parsed.next_cluster_ip,
        next_node_port: parsed.next_node_port,
        objects,
    })
}

/// Read and parse a snapshot file.
///
/// # Errors
/// I/O errors (a missing file included) or [`PersistError::Corrupt`].
pub fn read_snapshot(path: &Path) -> Result<StoreSnapshot> {
    let bytes = std::fs::read(path).map_err(|source| PersistError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_snapshot(path, &bytes)
}
