//! Server functions of the lab panel: each identifies the learner and calls one method of the
//! server's [`LabBackend`](super::service::LabBackend).

use leptos::prelude::*;

use super::model::{LabView, PaceView};

/// The lab of a lesson as the learner sees it now.
#[server(endpoint = "lab")]
pub async fn get_lab(slug: String) -> Result<LabView, ServerFnError> {
    let (labs, learner) = super::service::labs()?;
    labs.0
        .view(learner, slug)
        .await
        .map_err(super::service::into_server_error)
}

/// Provision the learner's cluster (if needed) and set the lab up.
#[server(endpoint = "lab-start")]
pub async fn start_lab(slug: String) -> Result<LabView, ServerFnError> {
    let (labs, learner) = super::service::labs()?;
    labs.0
        .start(learner, slug)
        .await
        .map_err(super::service::into_server_error)
}

/// Check every task now.
#[server(endpoint = "lab-check")]
pub async fn check_lab(slug: String) -> Result<LabView, ServerFnError> {
    let (labs, learner) = super::service::labs()?;
    labs.0
        .check(learner, slug)
        .await
        .map_err(super::service::into_server_error)
}

/// Reveal the next hint of a task.
#[server(endpoint = "lab-hint")]
pub async fn reveal_hint(slug: String, task: String) -> Result<LabView, ServerFnError> {
    let (labs, learner) = super::service::labs()?;
    labs.0
        .hint(learner, slug, task)
        .await
        .map_err(super::service::into_server_error)
}

/// Reveal a task's reference solution (the page asks for confirmation first).
#[server(endpoint = "lab-solution")]
pub async fn show_solution(slug: String, task: String) -> Result<LabView, ServerFnError> {
    let (labs, learner) = super::service::labs()?;
    labs.0
        .solution(learner, slug, task)
        .await
        .map_err(super::service::into_server_error)
}

/// Run one of the lab's actions.
#[server(endpoint = "lab-action")]
pub async fn run_lab_action(slug: String, action: String) -> Result<LabView, ServerFnError> {
    let (labs, learner) = super::service::labs()?;
    labs.0
        .action(learner, slug, action)
        .await
        .map_err(super::service::into_server_error)
}

/// Delete the learner's cluster and set the lab up again on a fresh one.
#[server(endpoint = "lab-reset")]
pub async fn reset_lab(slug: String) -> Result<LabView, ServerFnError> {
    let (labs, learner) = super::service::labs()?;
    labs.0
        .reset(learner, slug)
        .await
        .map_err(super::service::into_server_error)
}

/// Switch the learner's cluster between lifelike and instant pace.
#[server(endpoint = "lab-pace")]
pub async fn set_lab_pace(slug: String, pace: PaceView) -> Result<LabView, ServerFnError> {
    let (labs, learner) = super::service::labs()?;
    labs.0
        .set_pace(learner, slug, pace)
        .await
        .map_err(super::service::into_server_error)
}
