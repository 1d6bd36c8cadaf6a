//! API errors and their `Status` bodies (same code, reason and wording as kube-apiserver).

use crate::registry::ResourceDef;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

/// One field problem inside an Invalid (422) error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueForbidden`, ...
    pub reason: &'static str,
    /// e.g. `metadata.name`.
    pub field: String,
    /// Full detail, e.g. `Invalid value: "x": ...` or `Required value`.
    pub message: String,
}

impl Cause {
    /// `Invalid value: "<value>": <detail>`.
    pub fn invalid(field: impl Into<String>, value: &str, detail: &str) -> Self {
        Cause {
            reason: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: \"{value}\": {detail}"),
        }
    }
    /// `Required value`.
    pub fn required(field: impl Into<String>) -> Self {
        Cause {
            reason: "FieldValueRequired",
            field: field.into(),
            message: "Required value".into(),
        }
    }
    /// `Forbidden: <detail>`.
    pub fn forbidden(field: impl Into<String>, detail: &str) -> Self {
        Cause {
            reason: "FieldValueForbidden",
            field: field.into(),
            message: format!("Forbidden: {detail}"),
        }
    }
    /// `Invalid value: ...: field is immutable`.
    pub fn immutable(field: impl Into<String>, value: &str) -> Self {
        Cause::invalid(field, value, "field is immutable")
    }
}

/// Every failure the REST surface can report.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{} \"{name}\" not found", qual(.resource, .group))]
    NotFound {
        resource: String,
        group: String,
        name: String,
    },
    #[error("{} \"{name}\" already exists", qual(.resource, .group))]
    AlreadyExists {
        resource: String,
        group: String,
        name: String,
    },
    #[error("{message}")]
    Conflict {
        resource: String,
        group: String,
        name: String,
        message: String,
    },
    #[error("{kind} \"{name}\" is invalid: {}", join_causes(.causes))]
    Invalid {
        kind: String,
        group: String,
        name: String,
        causes: Vec<Cause>,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Forbidden {
        resource: String,
        group: String,
        name: String,
        message: String,
    },
    #[error("Unauthorized")]
    Unauthorized,
    #[error("the server could not find the requested resource")]
    NoRoute,
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    #[error("{0}")]
    Expired(String),
    #[error("Request entity too large: limit is 3145728")]
    TooLarge,
    #[error("the body of the request was in an unknown format - accepted media types include: {0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Internal(String),
    /// Generic 422 (e.g. a JSON patch that does not apply).
    #[error("{0}")]
    Unprocessable(String),
}

fn qual(resource: &str, group: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

fn join_causes(c: &[Cause]) -> String {
    let parts: Vec<String> = c
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    if parts.len() == 1 {
        parts.join("")
    } else {
        format!("[{}]", parts.join(", "))
    }
}

impl ApiError {
    /// `<plural> "<name>" not found`.
    pub fn not_found(def: &ResourceDef, name: &str) -> Self {
        ApiError::NotFound {
            resource: def.plural.into(),
            group: def.group.into(),
            name: name.into(),
        }
    }
    /// `<plural.group> "<name>" already exists`.
    pub fn already_exists(def: &ResourceDef, name: &str) -> Self {
        ApiError::AlreadyExists {
            resource: def.plural.into(),
            group: def.group.into(),
            name: name.into(),
        }
    }
    /// Optimistic-concurrency conflict.
    pub fn stale(def: &ResourceDef, name: &str) -> Self {
        ApiError::Conflict {
            resource: def.plural.into(),
            group: def.group.into(),
            name: name.into(),
            message: format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                def.qualified()
            ),
        }
    }
    /// 422 with field causes.
    pub fn invalid(def: &ResourceDef, name: &str, causes: Vec<Cause>) -> Self {
        ApiError::Invalid {
            kind: def.kind.into(),
            group: def.group.into(),
            name: name.into(),
            causes,
        }
    }
    /// 403 with a message.
    pub fn forbidden(def: &ResourceDef, name: &str, message: String) -> Self {
        ApiError::Forbidden {
            resource: def.plural.into(),
            group: def.group.into(),
            name: name.into(),
            message,
        }
    }

    /// Whether this is an optimistic-concurrency conflict (stale resourceVersion).
    pub fn is_stale(&self) -> bool {
        matches!(self, ApiError::Conflict { message, .. } if message.starts_with("Operation cannot be fulfilled on"))
    }

    /// HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } | ApiError::NoRoute => 404,
            ApiError::AlreadyExists { .. } | ApiError::Conflict { .. } => 409,
            ApiError::Invalid { .. } | ApiError::Unprocessable(_) => 422,
            ApiError::BadRequest(_) => 400,
            ApiError::Forbidden { .. } => 403,
            ApiError::Unauthorized => 401,
            ApiError::MethodNotAllowed => 405,
            ApiError::Expired(_) => 410,
            ApiError::TooLarge => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Internal(_) => 500,
        }
    }

    /// Kubernetes `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } | ApiError::NoRoute => "NotFound",
            ApiError::AlreadyExists { .. } => "AlreadyExists",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Invalid { .. } | ApiError::Unprocessable(_) => "Invalid",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Forbidden { .. } => "Forbidden",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::Expired(_) => "Expired",
            ApiError::TooLarge => "RequestEntityTooLarge",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::Internal(_) => "InternalError",
        }
    }

    /// The `metav1.Status` body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        let details = match self {
            ApiError::NotFound {
                resource,
                group,
                name,
            }
            | ApiError::AlreadyExists {
                resource,
                group,
                name,
            }
            | ApiError::Conflict {
                resource,
                group,
                name,
                ..
            }
            | ApiError::Forbidden {
                resource,
                group,
                name,
                ..
            } => {
                let mut d = json!({ "kind": resource });
                if !name.is_empty() {
                    d["name"] = json!(name);
                }
                if !group.is_empty() {
                    d["group"] = json!(group);
                }
                Some(d)
            }
            ApiError::Invalid {
                kind,
                group,
                name,
                causes,
            } => {
                let mut d = json!({
                    "name": name,
                    "kind": kind,
                    "causes": causes.iter().map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field})).collect::<Vec<_>>(),
                });
                if !group.is_empty() {
                    d["group"] = json!(group);
                }
                Some(d)
            }
            _ => None,
        };
        if let Some(d) = details {
            status["details"] = d;
        }
        if matches!(self, ApiError::NoRoute) {
            status["details"] = json!({});
        }
        status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if code.is_server_error() {
            tracing::warn!(error = %self, "internal error answering a sandbox request");
        }
        let body = serde_json::to_vec(&self.to_status()).unwrap_or_default();
        (
            code,
            [(http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{def, ids};

    #[test]
    fn not_found_wording_matches_kube_apiserver() {
        let e = ApiError::not_found(def(*ids::PODS), "web-0");
        assert_eq!(e.to_string(), "pods \"web-0\" not found");
        let s = e.to_status();
        assert_eq!(s["reason"], "NotFound");
        assert_eq!(s["code"], 404);
        let e = ApiError::already_exists(def(*ids::STATEFULSETS), "web");
        assert_eq!(e.to_string(), "statefulsets.apps \"web\" already exists");
    }
}
