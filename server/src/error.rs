//! Errors of the server's own (non-Leptos) routes, mapped to responses in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What went wrong while handling a request.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("not found")]
    NotFound,
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = match self {
            ServerError::NotFound => StatusCode::NOT_FOUND,
        };
        (status, self.to_string()).into_response()
    }
}
