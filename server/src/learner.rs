//! Anonymous learners: a random id in a signed cookie, set on the first request. The signature
//! makes ids unforgeable: a cookie the server did not issue is ignored and a new learner begins.
//!
//! The middleware puts the [`LearnerId`] into the request's extensions, where page renders and
//! server functions read it (`kubedojo_app::ssr::current_learner`).

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::middleware::Next;
use axum::response::Response;
use kubedojo_progress::LearnerId;

use crate::cookies::{Purpose, Signer};

pub const COOKIE_NAME: &str = "kubedojo_learner";
/// One year: progress should outlive a browser restart.
const MAX_AGE_SECONDS: u32 = 365 * 24 * 3600;

/// Finds the learner cookie (ignoring a malformed one) or issues a new id.
pub(crate) async fn identify(
    State(signer): State<Signer>,
    mut request: Request,
    next: Next,
) -> Response {
    let existing = request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|header| learner_from_cookie_header(&signer, header));
    let learner = existing.unwrap_or_else(LearnerId::generate);
    request.extensions_mut().insert(learner);
    let mut response = next.run(request).await;
    if existing.is_none() {
        let cookie = format!(
            "{COOKIE_NAME}={}; Path=/; Max-Age={MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax",
            cookie_value(&signer, learner)
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The cookie value that names `learner`: the id and its tag.
pub fn cookie_value(signer: &Signer, learner: LearnerId) -> String {
    signer.seal(Purpose::Learner, &learner.to_string())
}

fn learner_from_cookie_header(signer: &Signer, header: &str) -> Option<LearnerId> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        if name != COOKIE_NAME {
            return None;
        }
        signer.open(Purpose::Learner, value.trim())?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_learner_from_a_signed_cookie_only() {
        let signer = Signer::new(b"test");
        let id = LearnerId::generate();
        let header = format!(
            "theme=dark; {COOKIE_NAME}={}; other=1",
            cookie_value(&signer, id)
        );
        assert_eq!(learner_from_cookie_header(&signer, &header), Some(id));
        assert_eq!(learner_from_cookie_header(&signer, "theme=dark"), None);
        for forged in ["forged".to_string(), id.to_string(), format!("{id}.AAAA")] {
            let header = format!("{COOKIE_NAME}={forged}");
            assert_eq!(
                learner_from_cookie_header(&signer, &header),
                None,
                "{forged}"
            );
        }
        let other = Signer::new(b"other");
        let header = format!("{COOKIE_NAME}={}", cookie_value(&other, id));
        assert_eq!(learner_from_cookie_header(&signer, &header), None);
    }
}
