//! The workshop routes outside the server functions: the instructor's live grid (SSE), a
//! learner's cluster picture for the instructor (SSE, read-only) and the results export.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use kubedojo_app::workshop::model::InstructorView;
use kubedojo_app::workshop::service::{InstructorSession, WorkshopError};

use super::Workshops;
use crate::cluster::LearnerClusters;

/// The SSE event name of an instructor view.
pub const WORKSHOP_EVENT: &str = "workshop";
/// How often the stream looks for new progress (a cheap `data_version` read).
const POLL: Duration = Duration::from_millis(200);
/// Idle times and time left move even when nothing is written.
const REFRESH: Duration = Duration::from_secs(5);

/// One error enum, one mapping to a response, for every workshop route.
fn error_response(error: &WorkshopError) -> Response {
    let status =
        StatusCode::from_u16(error.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}

/// The instructor's session, or the error every instructor route answers without one.
fn require(session: Option<Extension<InstructorSession>>) -> Result<(), WorkshopError> {
    session.map(|_| ()).ok_or(WorkshopError::NotInstructor)
}

/// `GET /api/instructor/workshops/{id}/events`: the whole [`InstructorView`] now and after
/// every change, as JSON.
pub async fn events(
    State(workshops): State<Arc<Workshops>>,
    session: Option<Extension<InstructorSession>>,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = require(session) {
        return error_response(&e);
    }
    let first = match workshops.instructor_view(&id).await {
        Ok(view) => without_qr(view),
        Err(e) => return error_response(&e),
    };
    Sse::new(views(workshops, id, first))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

struct Follow {
    workshops: Arc<Workshops>,
    id: String,
    changed: tokio::sync::watch::Receiver<u64>,
    version: i64,
    last: Option<InstructorView>,
    pending: Option<InstructorView>,
}

impl Follow {
    fn version(&self) -> i64 {
        let (_, progress) = self.workshops.changes();
        progress.data_version().unwrap_or(self.version)
    }

    /// Waits until something may have changed, then recomputes; returns the view if it differs
    /// from the last one sent, `None` if the workshop is gone.
    async fn next(&mut self) -> Option<InstructorView> {
        if let Some(view) = self.pending.take() {
            self.last = Some(view.clone());
            return Some(view);
        }
        let mut refresh = tokio::time::interval(REFRESH);
        refresh.tick().await;
        loop {
            tokio::select! {
                _ = self.changed.changed() => {}
                _ = refresh.tick() => {}
                () = tokio::time::sleep(POLL) => {
                    let version = self.version();
                    if version == self.version {
                        continue;
                    }
                    self.version = version;
                }
            }
            let view = match self.workshops.instructor_view(&self.id).await {
                Ok(view) => without_qr(view),
                Err(WorkshopError::UnknownWorkshop) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, "instructor grid");
                    continue;
                }
            };
            if self.last.as_ref() != Some(&view) {
                self.last = Some(view.clone());
                return Some(view);
            }
        }
    }
}

/// The page draws the QR code once, from the view it was rendered with; leaving it out of the
/// stream keeps every message of a 200-learner grid several kilobytes smaller.
fn without_qr(mut view: InstructorView) -> InstructorView {
    view.grid.workshop.qr_svg.clear();
    view
}

fn views(
    workshops: Arc<Workshops>,
    id: String,
    first: InstructorView,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let (changed, progress) = workshops.changes();
    let version = progress.data_version().unwrap_or(0);
    let follow = Follow {
        workshops,
        id,
        changed,
        version,
        last: None,
        pending: Some(first),
    };
    futures::stream::unfold(follow, |mut follow| async move {
        let view = follow.next().await?;
        let json = serde_json::to_string(&view).unwrap_or_default();
        Some((
            Ok(Event::default().event(WORKSHOP_EVENT).data(json)),
            follow,
        ))
    })
}

/// `GET /api/instructor/workshops/{id}/learners/{key}/watch`: one learner's cluster picture.
pub async fn learner_picture(
    State(workshops): State<Arc<Workshops>>,
    State(clusters): State<Arc<LearnerClusters>>,
    session: Option<Extension<InstructorSession>>,
    Path((id, key)): Path<(String, String)>,
) -> Response {
    if let Err(e) = require(session) {
        return error_response(&e);
    }
    match workshops.member(&id, &key) {
        Ok(member) => {
            crate::live::route::picture_events(clusters, member.learner.to_string()).into_response()
        }
        Err(e) => error_response(&e),
    }
}

/// `GET /instructor/workshops/{id}/results.csv` and `.json`.
pub async fn export(
    State(workshops): State<Arc<Workshops>>,
    session: Option<Extension<InstructorSession>>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    if let Err(e) = require(session) {
        return error_response(&e);
    }
    let (as_json, content_type) = match file.as_str() {
        "results.json" => (true, "application/json"),
        "results.csv" => (false, "text/csv; charset=utf-8"),
        other => {
            return error_response(&WorkshopError::BadRequest(format!(
                "no export called `{other}`: use results.csv or results.json"
            )));
        }
    };
    match workshops.export(&id, as_json) {
        Ok(body) => {
            let disposition = format!("attachment; filename=\"workshop-{id}-{file}\"");
            let mut response = body.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(e) => error_response(&e),
    }
}
