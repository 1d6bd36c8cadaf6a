//! The server half of the lab panel, as a trait: the server crate implements it with the
//! grader and the learner clusters (which the app does not depend on) and provides it as
//! [`LabContext`]; the server functions in [`super::api`] call it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kubedojo_progress::LearnerId;
use leptos::prelude::*;

use super::model::{LabView, PaceView};

/// Why a lab request failed. Shown to the learner as one sentence.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LabError {
    #[error("no lab is called `{0}`")]
    UnknownLab(String),
    #[error("the lab has no {what} `{id}`")]
    Unknown { what: &'static str, id: String },
    #[error("your cluster is not running: press \u{201c}Start the lab\u{201d} first")]
    NoCluster,
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Failed(String),
    #[error("the cluster backend is unavailable: {0}")]
    Unavailable(String),
}

impl LabError {
    /// The HTTP status a server function answers with.
    pub fn status(&self) -> http::StatusCode {
        match self {
            LabError::UnknownLab(_) | LabError::Unknown { .. } => http::StatusCode::NOT_FOUND,
            LabError::NoCluster | LabError::Busy(_) => http::StatusCode::CONFLICT,
            LabError::Failed(_) => http::StatusCode::UNPROCESSABLE_ENTITY,
            LabError::Unavailable(_) => http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

pub type LabFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LabError>> + Send + 'a>>;

/// What the lab panel can ask of the server, for the current learner.
pub trait LabBackend: Send + Sync {
    /// The lab as the learner sees it now.
    fn view(&self, learner: LearnerId, lab: String) -> LabFuture<'_, LabView>;
    /// Provision the learner's cluster if needed and apply the lab's setup (in the
    /// background: progress shows in the view and its stream).
    fn start(&self, learner: LearnerId, lab: String) -> LabFuture<'_, LabView>;
    /// Evaluate every task now, probes included.
    fn check(&self, learner: LearnerId, lab: String) -> LabFuture<'_, LabView>;
    /// Reveal the next hint of a task.
    fn hint(&self, learner: LearnerId, lab: String, task: String) -> LabFuture<'_, LabView>;
    /// Reveal a task's reference solution.
    fn solution(&self, learner: LearnerId, lab: String, task: String) -> LabFuture<'_, LabView>;
    /// Run one of the lab's actions (its outcome goes to the timeline).
    fn action(&self, learner: LearnerId, lab: String, action: String) -> LabFuture<'_, LabView>;
    /// Delete the learner's cluster and start the lab again on a fresh one.
    fn reset(&self, learner: LearnerId, lab: String) -> LabFuture<'_, LabView>;
    /// Switch the learner's cluster between lifelike and instant pace.
    fn set_pace(&self, learner: LearnerId, lab: String, pace: PaceView) -> LabFuture<'_, LabView>;
}

/// The lab backend the server provided.
#[derive(Clone)]
pub struct LabContext(pub Arc<dyn LabBackend>);

/// The [`LabContext`] the server provided, and the learner making the request.
pub fn labs() -> Result<(LabContext, LearnerId), ServerFnError> {
    let labs = use_context::<LabContext>()
        .ok_or_else(|| ServerFnError::new("labs are not available in this context"))?;
    Ok((labs, crate::ssr::current_learner()?))
}

/// Turns a lab error into a server function error with the matching status.
pub fn into_server_error(error: LabError) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
    }
    ServerFnError::new(error)
}
