//! Server functions: the pages' only way to the server. Each parses its input, calls one
//! function of [`crate::ssr::CourseContext`] and returns plain data.

use leptos::prelude::*;

use crate::model::{CourseMap, LessonPayload};

/// The course map with the current learner's progress.
#[server(endpoint = "course")]
pub async fn get_course_map() -> Result<CourseMap, ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    course
        .course_map(learner)
        .await
        .map_err(crate::ssr::into_server_error)
}

/// One lesson with the learner's read state, or `None` for an unknown slug.
#[server(endpoint = "lesson")]
pub async fn get_lesson(slug: String) -> Result<Option<LessonPayload>, ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    let lesson = course
        .lesson(learner, &slug)
        .await
        .map_err(crate::ssr::into_server_error)?;
    Ok(lesson.map(|mut view| LessonPayload {
        html: std::mem::take(&mut view.html),
        view,
    }))
}

/// Marks a lesson as read (or unread); returns the new state.
#[server(endpoint = "lesson-read")]
pub async fn set_lesson_read(slug: String, read: bool) -> Result<bool, ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    course
        .set_read(learner, &slug, read)
        .await
        .map_err(crate::ssr::into_server_error)
}
