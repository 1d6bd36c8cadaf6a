//! Server functions of the workshop pages. Instructor functions need the instructor cookie;
//! learner functions act for the learner of the request.

use leptos::prelude::*;

use super::model::{
    InstructorView, JoinPreview, MembershipView, NewWorkshop, WorkshopLab, WorkshopSummary,
};

/// The instructor cookie's name (HttpOnly, SameSite=Strict).
pub const INSTRUCTOR_COOKIE: &str = "kubedojo_instructor";

/// Signs the instructor in: checks the token and sets the instructor cookie.
#[server(endpoint = "instructor-login")]
pub async fn instructor_login(token: String) -> Result<(), ServerFnError> {
    let ctx = super::service::workshops()?;
    let cookie = ctx
        .0
        .login(token)
        .await
        .map_err(super::service::into_server_error)?;
    let header =
        format!("{INSTRUCTOR_COOKIE}={cookie}; Path=/; Max-Age=86400; HttpOnly; SameSite=Strict");
    let value = http::HeaderValue::from_str(&header).map_err(ServerFnError::new)?;
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.append_header(http::header::SET_COOKIE, value);
    }
    Ok(())
}

/// Signs the instructor out (clears the cookie).
#[server(endpoint = "instructor-logout")]
pub async fn instructor_logout() -> Result<(), ServerFnError> {
    let header = format!("{INSTRUCTOR_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    let value = http::HeaderValue::from_str(&header).map_err(ServerFnError::new)?;
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.append_header(http::header::SET_COOKIE, value);
    }
    Ok(())
}

/// The labs a workshop can cover.
#[server(endpoint = "instructor-labs")]
pub async fn available_labs() -> Result<Vec<WorkshopLab>, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .available_labs()
        .await
        .map_err(super::service::into_server_error)
}

/// Where a workshop's clusters can run on this server ("sandbox", "cluster"), its default first.
#[server(endpoint = "instructor-backends")]
pub async fn available_backends() -> Result<Vec<String>, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .available_backends()
        .await
        .map_err(super::service::into_server_error)
}

/// Every workshop, newest first.
#[server(endpoint = "instructor-workshops")]
pub async fn list_workshops() -> Result<Vec<WorkshopSummary>, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .workshops()
        .await
        .map_err(super::service::into_server_error)
}

/// Creates a workshop and sends the instructor to its page. Empty entries in `labs` are
/// ignored: a form always sends one, so that no ticked box still reads as a list.
#[server(endpoint = "instructor-create")]
pub async fn create_workshop(new: NewWorkshop) -> Result<WorkshopSummary, ServerFnError> {
    let ctx = super::service::instructor()?;
    let mut new = new;
    new.labs.retain(|slug| !slug.is_empty());
    let created = ctx
        .0
        .create(new)
        .await
        .map_err(super::service::into_server_error)?;
    leptos_axum::redirect(&format!("/instructor/workshops/{}", created.id));
    Ok(created)
}

/// The instructor's view of one workshop (grid, chaos options, last broadcast).
#[server(endpoint = "instructor-workshop")]
pub async fn workshop_view(id: String) -> Result<InstructorView, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .view(id)
        .await
        .map_err(super::service::into_server_error)
}

/// Sets the announcement banner (an empty text clears it).
#[server(endpoint = "instructor-announce")]
pub async fn announce(id: String, text: String) -> Result<InstructorView, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .announce(id, text)
        .await
        .map_err(super::service::into_server_error)
}

/// Runs a lab action in every member's cluster.
#[server(endpoint = "instructor-chaos")]
pub async fn broadcast_chaos(
    id: String,
    lab: String,
    action: String,
) -> Result<InstructorView, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .chaos(id, lab, action)
        .await
        .map_err(super::service::into_server_error)
}

/// Resets one learner (by grid key) or, without one, everyone.
#[server(endpoint = "instructor-reset")]
pub async fn reset_learners(
    id: String,
    learner: Option<String>,
) -> Result<InstructorView, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .reset(id, learner)
        .await
        .map_err(super::service::into_server_error)
}

/// Gives the workshop more time.
#[server(endpoint = "instructor-extend")]
pub async fn extend_workshop(id: String, minutes: u32) -> Result<InstructorView, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .extend(id, minutes)
        .await
        .map_err(super::service::into_server_error)
}

/// Ends the workshop.
#[server(endpoint = "instructor-end")]
pub async fn end_workshop(id: String) -> Result<InstructorView, ServerFnError> {
    let ctx = super::service::instructor()?;
    ctx.0
        .end(id)
        .await
        .map_err(super::service::into_server_error)
}

/// What the join page shows for a code.
#[server(endpoint = "workshop-preview")]
pub async fn preview_workshop(code: String) -> Result<JoinPreview, ServerFnError> {
    let ctx = super::service::workshops()?;
    ctx.0
        .preview(super::service::client_addr(), code)
        .await
        .map_err(super::service::into_server_error)
}

/// Joins a workshop with a display name and sends the learner to the first lab's lesson.
#[server(endpoint = "workshop-join")]
pub async fn join_workshop(code: String, name: String) -> Result<MembershipView, ServerFnError> {
    let ctx = super::service::workshops()?;
    let learner = crate::ssr::current_learner()?;
    let membership = ctx
        .0
        .join(super::service::client_addr(), learner, code, name)
        .await
        .map_err(super::service::into_server_error)?;
    leptos_axum::redirect(&super::format::first_lab_path(&membership.labs));
    Ok(membership)
}

/// The workshop the current learner is in, if any.
#[server(endpoint = "workshop-membership")]
pub async fn my_workshop() -> Result<Option<MembershipView>, ServerFnError> {
    let ctx = super::service::workshops()?;
    let learner = crate::ssr::current_learner()?;
    ctx.0
        .membership(learner)
        .await
        .map_err(super::service::into_server_error)
}
