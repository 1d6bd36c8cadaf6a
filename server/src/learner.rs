//! Anonymous learners: a random id in a cookie, set on the first request.
//!
//! The middleware puts the [`LearnerId`] into the request's extensions, where page renders and
//! server functions read it (`kubedojo_app::ssr::current_learner`).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::middleware::Next;
use axum::response::Response;
use kubedojo_progress::LearnerId;

pub(crate) const COOKIE_NAME: &str = "kubedojo_learner";
/// One year: progress should outlive a browser restart.
const MAX_AGE_SECONDS: u32 = 365 * 24 * 3600;

/// Finds the learner cookie (ignoring a malformed one) or issues a new id.
pub(crate) async fn identify(mut request: Request, next: Next) -> Response {
    let existing = request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(learner_from_cookie_header);
    let learner = existing.unwrap_or_else(LearnerId::generate);
    request.extensions_mut().insert(learner);
    let mut response = next.run(request).await;
    if existing.is_none() {
        let cookie = format!(
            "{COOKIE_NAME}={learner}; Path=/; Max-Age={MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax"
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

fn learner_from_cookie_header(header: &str) -> Option<LearnerId> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE_NAME).then(|| value.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_learner_from_a_cookie_header() {
        let id = LearnerId::generate();
        let header = format!("theme=dark; {COOKIE_NAME}={id}; other=1");
        assert_eq!(learner_from_cookie_header(&header), Some(id));
        assert_eq!(learner_from_cookie_header("theme=dark"), None);
        assert_eq!(
            learner_from_cookie_header(&format!("{COOKIE_NAME}=forged")),
            None
        );
    }
}
