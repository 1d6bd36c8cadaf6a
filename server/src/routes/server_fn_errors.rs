//! Server functions answer 500 for every error, including arguments that do not parse. This
//! middleware turns those (the client's fault) into 400 Bad Request, so bad form input is never
//! reported as a server failure.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;

/// The header server_fn puts on its error responses.
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";
/// Error kinds (server_fn's `ServerFnError` wire form `Kind|message`) caused by the request.
const CLIENT_ERROR_KINDS: [&str; 3] = ["Args|", "MissingArg|", "Deserialization|"];
/// Error bodies are short; anything longer is passed through untouched.
const MAX_INSPECTED_BODY: usize = 64 * 1024;

pub(crate) async fn map_argument_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match http_body_util::Limited::new(body, MAX_INSPECTED_BODY)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    let text = String::from_utf8_lossy(&bytes);
    if CLIENT_ERROR_KINDS.iter().any(|kind| text.starts_with(kind)) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
