//! Everything a resource handler needs about one request.

use super::error::{ApiError, ApiResult};
use super::path::ResourceRoute;
use super::query::Params;
use crate::cluster::{Cluster, UserInfo};
use crate::registry::{self, ResourceDef};
use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

/// One resource request.
pub struct Ctx {
    pub cluster: Cluster,
    pub user: UserInfo,
    pub route: ResourceRoute,
    pub params: Params,
    pub headers: HeaderMap,
    /// The raw query string (for subresources with their own parameters, like `log`).
    pub raw_query: Option<String>,
    pub body: Bytes,
}

impl Ctx {
    /// The resource definition.
    pub fn def(&self) -> &'static ResourceDef {
        registry::def(self.route.res)
    }

    /// Namespace key in the store (`""` for cluster-scoped).
    pub fn ns(&self) -> &str {
        self.route.namespace.as_deref().unwrap_or_default()
    }

    /// The name from the path (empty when absent).
    pub fn name(&self) -> &str {
        self.route.name.as_deref().unwrap_or_default()
    }

    /// Whether the client asked for a `Table`.
    pub fn wants_table(&self) -> bool {
        self.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("as=Table"))
    }

    /// Content-Type of the body.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
    }

    /// The field manager: the query parameter, or the User-Agent's product name like the
    /// real server (`kubectl-edit`, `kubectl`...).
    pub fn field_manager(&self) -> String {
        if let Some(m) = &self.params.field_manager {
            return m.clone();
        }
        let ua = self
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown");
        ua.split('/').next().unwrap_or("unknown").to_string()
    }

    /// Parse the body as JSON or YAML into a value.
    ///
    /// # Errors
    /// BadRequest for bodies that are neither.
    pub fn body_value(&self) -> ApiResult<Value> {
        if self.body.is_empty() {
            return Err(ApiError::BadRequest(
                "the body of the request was empty".into(),
            ));
        }
        let ct = self.content_type();
        if ct.contains("protobuf") {
            // NB: client-go does not fall back to JSON after a 415, so typed kubectl commands
            // need the kinds they create decoded from protobuf.
            return super::protobuf::decode(&self.body).ok_or_else(|| {
                ApiError::UnsupportedMediaType("application/json, application/yaml".into())
            });
        }
        if ct.contains("cbor") {
            return Err(ApiError::UnsupportedMediaType(
                "application/json, application/yaml".into(),
            ));
        }
        if ct.contains("yaml") && !self.body.starts_with(b"{") {
            serde_yaml::from_slice::<Value>(&self.body).map_err(|e| {
                ApiError::BadRequest(format!("error converting YAML to JSON: yaml: {e}"))
            })
        } else {
            serde_json::from_slice::<Value>(&self.body).map_err(|e| {
                ApiError::BadRequest(format!("couldn't get version/kind; json parse error: {e}"))
            })
        }
    }
}
