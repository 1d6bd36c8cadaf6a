//! The manifest of a persistent cluster: who it is (id, admin secret, the tokens it issued),
//! how it runs (pace) and the labels its owner gave it (e.g. the learner it belongs to).

use super::files::{decode_framed, encode_framed};
use super::{PersistError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A token the cluster issued (TokenRequest), so it keeps authenticating after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    pub id: String,
    pub secret: String,
    pub user: String,
    pub groups: Vec<String>,
}

/// What `cluster.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub id: String,
    pub admin_secret: String,
    /// `lifelike` or `instant`.
    pub pace: String,
    #[serde(default)]
    pub tokens: Vec<TokenRecord>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Manifest {
    /// The framed bytes of the manifest.
    pub fn encode(&self) -> Vec<u8> {
        // NB: serialising plain strings and maps cannot fail.
        encode_framed(&serde_json::to_vec_pretty(self).unwrap_or_default())
    }

    /// Read a manifest file.
    ///
    /// # Errors
    /// [`PersistError::NoManifest`] when the file is missing, I/O errors, or
    /// [`PersistError::Corrupt`].
    pub fn read(path: &Path) -> Result<Manifest> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PersistError::NoManifest(
                    path.parent().unwrap_or(path).to_path_buf(),
                ));
            }
            Err(source) => {
                return Err(PersistError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let body = decode_framed(path, &bytes)?;
        serde_json::from_slice(body).map_err(|e| PersistError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }
}
