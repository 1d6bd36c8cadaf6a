//! Request guards for workshops: who is the instructor (a signed cookie), where a request came
//! from (for rate limits), and CSRF protection for every state-changing request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use kubedojo_app::workshop::api::INSTRUCTOR_COOKIE;
use kubedojo_app::workshop::service::{ClientAddr, InstructorSession};

use super::Workshops;

/// Marks requests with a valid instructor cookie and records the peer address.
pub async fn identify(
    State(workshops): State<Arc<Workshops>>,
    mut request: Request,
    next: Next,
) -> Response {
    let instructor = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == INSTRUCTOR_COOKIE && workshops.is_instructor_cookie(value));
    if instructor {
        request.extensions_mut().insert(InstructorSession);
    }
    if let Some(ConnectInfo(addr)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let ip = addr.ip();
        request.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(request).await
}

/// Refuses a state-changing request sent by another site: when the browser says where the
/// request comes from (`Origin`, or `Sec-Fetch-Site`), it must be this server. Together with
/// SameSite cookies this is OWASP's "verify the origin with standard headers" defence; clients
/// that send neither header (curl, kube-rs) are not browsers riding on a cookie.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || is_same_origin(&request)
    {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "cross-site request refused: this form must be sent from kubedojo's own pages",
        )
            .into_response()
    }
}

fn is_same_origin(request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == "null" {
        return false;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(method).uri("/api/x");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(axum::body::Body::empty()).expect("request")
    }

    #[test]
    fn same_origin_posts_pass_and_cross_site_ones_do_not() {
        let ok = [
            vec![
                ("host", "localhost:3000"),
                ("origin", "http://localhost:3000"),
            ],
            vec![
                ("host", "localhost:3000"),
                ("sec-fetch-site", "same-origin"),
            ],
            vec![("host", "localhost:3000")],
        ];
        for h in ok {
            assert!(is_same_origin(&request(Method::POST, &h)), "{h:?}");
        }
        let refused = [
            vec![
                ("host", "localhost:3000"),
                ("origin", "http://evil.example"),
            ],
            vec![("host", "localhost:3000"), ("origin", "null")],
            vec![("host", "localhost:3000"), ("sec-fetch-site", "cross-site")],
            vec![
                ("host", "kubedojo.lan:3000"),
                ("origin", "http://kubedojo.lan:3001"),
            ],
        ];
        for h in refused {
            assert!(!is_same_origin(&request(Method::POST, &h)), "{h:?}");
        }
    }
}
