//! Error answers of the stream endpoints, as HTTP responses with a `Status` body.

use crate::api::error::ApiError;
use crate::api::respond::json_response;
use crate::streams::StreamError;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a stream request is answered without streaming.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// A regular API error (NotFound, BadRequest, Invalid...).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No runtime is installed (503 ServiceUnavailable).
    #[error("the pod runtime is not running")]
    NoRuntime,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Api(e) => e.into_response(),
            Refusal::NoRuntime => json_response(
                503,
                &json!({
                    "kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Failure", "message": self.to_string(),
                    "reason": "ServiceUnavailable", "code": 503
                }),
            ),
        }
    }
}

/// How the apiserver answers a log request the kubelet refused: 400 with the kubelet's text.
pub fn log_refusal(e: StreamError) -> Refusal {
    match e {
        StreamError::ContainerNotRunning { .. }
        | StreamError::NoPreviousContainer { .. }
        | StreamError::CompletedPod { .. }
        | StreamError::PodNotRunning { .. } => Refusal::Api(ApiError::BadRequest(e.to_string())),
        StreamError::Exec(_) | StreamError::TooManySessions => {
            Refusal::Api(ApiError::Internal(e.to_string()))
        }
    }
}
