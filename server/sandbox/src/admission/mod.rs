//! Admission: what happens to an object between decoding and storage — defaulting, validation,
//! namespace lifecycle, ServiceAccount existence, LimitRange defaults and ResourceQuota.

pub mod defaults;
pub mod meta;
pub mod names;
pub mod quantity;
pub mod quota;
pub mod strict;
pub mod validate;

use crate::api::error::{ApiError, ApiResult};
use crate::cluster::Cluster;
use crate::registry::{ResourceDef, ids};
use serde_json::Value;

/// The name of the default StorageClass, if one is annotated as default.
pub fn default_storage_class(cluster: &Cluster) -> Option<String> {
    let (classes, _) = cluster.store().list(*ids::STORAGECLASSES, None);
    classes
        .iter()
        .find(|sc| {
            sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
        })
        .map(|sc| meta::name_of(sc).to_string())
}

/// Checks that need other objects of the cluster, for creates.
///
/// # Errors
/// NotFound for a missing namespace, Forbidden for a terminating one, a missing ServiceAccount,
/// LimitRange violations or exceeded quota.
pub fn admit_create(cluster: &Cluster, def: &ResourceDef, obj: &mut Value) -> ApiResult<()> {
    let name = meta::name_of(obj).to_string();
    defaults::storage_protection(def.plural, obj);
    if def.namespaced {
        let ns = meta::namespace_of(obj).to_string();
        let nsdef = crate::registry::def(*ids::NAMESPACES);
        let Some(nsobj) = cluster.store().get(*ids::NAMESPACES, "", &ns) else {
            return Err(ApiError::not_found(nsdef, &ns));
        };
        if nsobj["status"]["phase"] == "Terminating" {
            return Err(ApiError::forbidden(
                def,
                &name,
                format!(
                    "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                    def.qualified()
                ),
            ));
        }
        if def.plural == "pods" {
            let sa = obj["spec"]["serviceAccountName"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            if cluster
                .store()
                .get(*ids::SERVICEACCOUNTS, &ns, &sa)
                .is_none()
            {
                return Err(ApiError::forbidden(
                    def,
                    &name,
                    format!(
                        "pods \"{name}\" is forbidden: error looking up service account {ns}/{sa}: serviceaccount \"{sa}\" not found"
                    ),
                ));
            }
        }
        quota::limit_ranges(cluster, def, obj)?;
        quota::check_quota(cluster, def, obj, None)?;
    }
    Ok(())
}
