//! `GET /api/labs/{slug}/events`: the lab panel's event stream (Server-Sent Events). Every
//! message is the whole [`LabView`](kubedojo_app::lab::model::LabView) as JSON (it is small),
//! the first one at once, so a reconnecting panel is always in sync.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use kubedojo_app::lab::service::LabError;
use kubedojo_progress::LearnerId;

use crate::state::AppState;

/// The SSE event name of a view.
pub const LAB_EVENT: &str = "lab";

pub(crate) async fn lab_events(
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Path(slug): Path<String>,
) -> Response {
    let receiver = match state.labs.0.subscribe(learner, &slug).await {
        Ok(r) => r,
        Err(e) => return error_response(&e),
    };
    Sse::new(views(receiver))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// The current view, then every change; ends when the session is dropped.
fn views(
    receiver: tokio::sync::watch::Receiver<kubedojo_app::lab::model::LabView>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold((receiver, true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let json = serde_json::to_string(&*rx.borrow_and_update()).unwrap_or_default();
        Some((
            Ok(Event::default().event(LAB_EVENT).data(json)),
            (rx, false),
        ))
    })
}

fn error_response(error: &LabError) -> Response {
    let status =
        StatusCode::from_u16(error.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}
