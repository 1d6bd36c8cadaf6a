//! Server functions: the pages' only way to the server. Each parses its input, calls one
//! function of [`crate::ssr::CourseContext`] and returns plain data.

use leptos::prelude::*;

use crate::model::{CourseMap, LessonPayload};
use crate::quiz_model::{AnswerReply, InterviewView, QuizView, ReviewView};

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

/// A part's end-of-lesson quiz with the learner's earlier answers.
#[server(endpoint = "quiz")]
pub async fn get_quiz(slug: String) -> Result<QuizView, ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    course
        .quiz(learner, &slug)
        .await
        .map_err(crate::ssr::into_server_error)
}

/// Scores an answer on the server and records it. `answer` is the form text: a choice index,
/// comma-separated indices (multiple, order), a line number (spot-the-bug) or text.
/// Multiple choice and ordering forms send `picks[]` instead (joined into `answer` here).
#[server(endpoint = "quiz-answer")]
pub async fn answer_question(
    question_id: String,
    version: u32,
    answer: String,
    picks: Option<Vec<String>>,
) -> Result<AnswerReply, ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    let answer = merge_picks(answer, picks);
    course
        .answer(learner, &question_id, version, &answer)
        .await
        .map_err(crate::ssr::into_server_error)
}

/// Questions due for review now.
#[server(endpoint = "review")]
pub async fn get_review() -> Result<ReviewView, ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    course
        .review(learner)
        .await
        .map_err(crate::ssr::into_server_error)
}

/// The learner's interview practice in its current state.
#[server(endpoint = "interview")]
pub async fn get_interview() -> Result<InterviewView, ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    course
        .interview(learner)
        .await
        .map_err(crate::ssr::into_server_error)
}

/// Starts an interview session. `parts` lists lesson slugs (an empty entry is ignored, so a
/// form can always send one; no parts means all of them).
#[server(endpoint = "interview-start")]
pub async fn start_interview(
    parts: Vec<String>,
    count: u32,
    minutes: u32,
    say_it_back: bool,
) -> Result<(), ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    course
        .start_interview(learner, &parts, count, minutes, say_it_back)
        .await
        .map_err(crate::ssr::into_server_error)
}

/// Answers the session's question at `position` (no feedback until the end).
#[server(endpoint = "interview-answer")]
pub async fn answer_interview(
    session_id: String,
    position: u32,
    answer: String,
    picks: Option<Vec<String>>,
) -> Result<(), ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    let answer = merge_picks(answer, picks);
    let position = usize::try_from(position).unwrap_or(usize::MAX);
    course
        .answer_interview(learner, &session_id, position, &answer)
        .await
        .map_err(crate::ssr::into_server_error)
}

/// Ends the session now and shows the results.
#[server(endpoint = "interview-finish")]
pub async fn finish_interview(session_id: String) -> Result<(), ServerFnError> {
    let course = crate::ssr::course()?;
    let learner = crate::ssr::current_learner()?;
    course
        .finish_interview(learner, &session_id)
        .await
        .map_err(crate::ssr::into_server_error)
}

/// Checkbox and ordering forms send their choices as `picks[]` (one field per choice, which
/// works without JS); the scorer reads them as the comma-separated `answer`.
#[cfg(feature = "ssr")]
fn merge_picks(answer: String, picks: Option<Vec<String>>) -> String {
    let picks: Vec<String> = picks
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if picks.is_empty() {
        answer
    } else {
        picks.join(",")
    }
}
