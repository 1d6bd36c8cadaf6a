//! `GET /api/cluster/watch`: the learner's cluster picture as Server-Sent Events, one JSON
//! [`PictureMessage`] per event (`{"state":"no-cluster"}` or `{"state":"snapshot",...}`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use kubedojo_app::lab::picture::model::PictureMessage;
use kubedojo_progress::LearnerId;

use super::stream;
use crate::cluster::LearnerClusters;

/// Keep-alive comments keep proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Streams the picture of the requesting learner's cluster until the client goes away.
pub async fn watch(
    State(clusters): State<Arc<LearnerClusters>>,
    Extension(learner): Extension<LearnerId>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    picture_events(clusters, learner.to_string())
}

/// The picture of `learner`'s cluster as SSE (also what an instructor sees of a learner).
pub(crate) fn picture_events(
    clusters: Arc<LearnerClusters>,
    learner: String,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let messages = stream::spawn(clusters, learner);
    let events = futures::stream::unfold(messages, |mut messages| async move {
        let message = messages.recv().await?;
        Some((Ok(event(&message)), messages))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

fn event(message: &PictureMessage) -> Event {
    // NB: the model has only strings, numbers and lists, so serialising cannot fail; if it ever
    // did, the client gets a comment line instead of a broken stream.
    match serde_json::to_string(message) {
        Ok(json) => Event::default().data(json),
        Err(e) => Event::default().comment(format!("cannot encode the picture: {e}")),
    }
}
