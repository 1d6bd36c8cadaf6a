//! The server half of the workshop pages, as a trait: the server crate implements it with the
//! progress store, the lab service and the learner clusters, and provides it as
//! [`WorkshopContext`]; the server functions in [`super::api`] call it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kubedojo_progress::LearnerId;
use leptos::prelude::*;

use super::model::{
    InstructorView, JoinPreview, MembershipView, NewWorkshop, WorkshopLab, WorkshopSummary,
};

/// Why a workshop request failed. Shown as one sentence.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WorkshopError {
    #[error("this page is for the instructor: sign in with the instructor token")]
    NotInstructor,
    #[error("that is not the instructor token")]
    BadToken,
    #[error("no workshop has that id")]
    UnknownWorkshop,
    #[error("no workshop has the code `{0}`; check it with your instructor")]
    UnknownCode(String),
    #[error("no learner `{0}` in this workshop")]
    UnknownLearner(String),
    #[error("the workshop is full ({0} seats)")]
    Full(u32),
    #[error("the workshop has ended")]
    Ended,
    #[error("too many attempts: wait {0} seconds and try again")]
    TooManyAttempts(u64),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Failed(String),
    #[error("workshops are unavailable: {0}")]
    Unavailable(String),
}

impl WorkshopError {
    /// The HTTP status a server function (or route) answers with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::NotInstructor | Self::BadToken => S::UNAUTHORIZED,
            Self::UnknownWorkshop | Self::UnknownCode(_) | Self::UnknownLearner(_) => S::NOT_FOUND,
            Self::Full(_) | Self::Ended => S::CONFLICT,
            Self::TooManyAttempts(_) => S::TOO_MANY_REQUESTS,
            Self::BadRequest(_) => S::BAD_REQUEST,
            Self::Failed(_) => S::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => S::SERVICE_UNAVAILABLE,
        }
    }
}

pub type WorkshopFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, WorkshopError>> + Send + 'a>>;

/// Put into a request's extensions by the server when it carries a valid instructor cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstructorSession;

/// Where a request came from, for rate limiting joins (the peer address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// What the workshop pages can ask of the server. Instructor methods are only called after
/// [`instructor`] found an [`InstructorSession`].
pub trait WorkshopBackend: Send + Sync {
    /// Checks the instructor token (constant time) and returns the cookie that proves it.
    fn login(&self, token: String) -> WorkshopFuture<'_, String>;
    /// The labs a workshop can cover.
    fn available_labs(&self) -> WorkshopFuture<'_, Vec<WorkshopLab>>;
    /// Where a workshop's clusters can run ("sandbox", "cluster"), the server's default first.
    fn available_backends(&self) -> WorkshopFuture<'_, Vec<String>>;
    /// Every workshop, newest first.
    fn workshops(&self) -> WorkshopFuture<'_, Vec<WorkshopSummary>>;
    fn create(&self, new: NewWorkshop) -> WorkshopFuture<'_, WorkshopSummary>;
    fn view(&self, workshop: String) -> WorkshopFuture<'_, InstructorView>;
    /// Sets (or clears, with an empty text) the announcement banner.
    fn announce(&self, workshop: String, text: String) -> WorkshopFuture<'_, InstructorView>;
    /// Runs one lab action in every member's cluster that has the lab running.
    fn chaos(
        &self,
        workshop: String,
        lab: String,
        action: String,
    ) -> WorkshopFuture<'_, InstructorView>;
    /// Resets one learner's labs (by grid key), or everyone's when `learner` is None.
    fn reset(
        &self,
        workshop: String,
        learner: Option<String>,
    ) -> WorkshopFuture<'_, InstructorView>;
    fn extend(&self, workshop: String, minutes: u32) -> WorkshopFuture<'_, InstructorView>;
    /// Ends the workshop: members' clusters are removed, results kept.
    fn end(&self, workshop: String) -> WorkshopFuture<'_, InstructorView>;

    /// What the join page shows for a code (rate limited per address).
    fn preview(&self, from: ClientAddr, code: String) -> WorkshopFuture<'_, JoinPreview>;
    /// Joins (or rejoins, renaming) a workshop.
    fn join(
        &self,
        from: ClientAddr,
        learner: LearnerId,
        code: String,
        name: String,
    ) -> WorkshopFuture<'_, MembershipView>;
    /// The workshop the learner is in, if any (a running one, or the last ended one).
    fn membership(&self, learner: LearnerId) -> WorkshopFuture<'_, Option<MembershipView>>;
}

/// The workshop backend the server provided.
#[derive(Clone)]
pub struct WorkshopContext(pub Arc<dyn WorkshopBackend>);

/// The [`WorkshopContext`] the server provided.
pub fn workshops() -> Result<WorkshopContext, ServerFnError> {
    use_context::<WorkshopContext>()
        .ok_or_else(|| ServerFnError::new("workshops are not available in this context"))
}

/// The context, if the request carries a valid instructor cookie; otherwise a 401 error.
pub fn instructor() -> Result<WorkshopContext, ServerFnError> {
    let ctx = workshops()?;
    let signed_in = use_context::<http::request::Parts>()
        .is_some_and(|parts| parts.extensions.get::<InstructorSession>().is_some());
    if signed_in {
        Ok(ctx)
    } else {
        Err(into_server_error(WorkshopError::NotInstructor))
    }
}

/// The peer address of the request (the server's connect info), for rate limits.
pub fn client_addr() -> ClientAddr {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientAddr>().copied())
        .unwrap_or(ClientAddr(std::net::IpAddr::V4(
            std::net::Ipv4Addr::UNSPECIFIED,
        )))
}

/// Turns a workshop error into a server function error with the matching status.
pub fn into_server_error(error: WorkshopError) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
    }
    ServerFnError::new(error)
}
