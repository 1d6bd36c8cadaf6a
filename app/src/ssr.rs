//! Server-side half of the pages: the course and progress behind the server functions.
//!
//! The server provides a [`CourseContext`] to every page render and server function; the
//! learner comes from the request's extensions, where the server's learner middleware put it.

use std::sync::Arc;

use kubedojo_course::{Catalog, Lesson};
use kubedojo_progress::{LearnerId, ProgressStore};
use leptos::prelude::*;

use crate::model::{
    CourseMap, CourseSection, LessonLink, LessonSummary, LessonView, SECTIONS, TocItem,
};

/// Why a course request failed. Shown to the learner as a short message; details are logged.
#[derive(Debug, thiserror::Error)]
pub enum CourseError {
    #[error("no lesson is called `{0}`")]
    UnknownLesson(String),
    #[error("no question has the id `{0}`")]
    UnknownQuestion(String),
    #[error(
        "the quiz of `{lesson}` has changed since this page was loaded; reload the page to get the current questions"
    )]
    StaleQuiz { lesson: String },
    #[error("{0}")]
    BadAnswer(#[from] kubedojo_course::AnswerError),
    #[error("{0}")]
    BadRequest(String),
    #[error("no interview session is open; start a new one")]
    NoInterview,
    #[error("progress could not be saved or read: {0}")]
    Progress(#[from] kubedojo_progress::Error),
    #[error("the progress database is unavailable")]
    TaskFailed,
}

/// The course and the progress store, shared by every request.
#[derive(Clone)]
pub struct CourseContext {
    pub catalog: Arc<Catalog>,
    pub progress: Arc<ProgressStore>,
}

impl CourseError {
    /// The HTTP status a server function answers with for this error.
    pub fn status(&self) -> http::StatusCode {
        match self {
            CourseError::UnknownLesson(_)
            | CourseError::UnknownQuestion(_)
            | CourseError::NoInterview => http::StatusCode::NOT_FOUND,
            CourseError::StaleQuiz { .. } => http::StatusCode::CONFLICT,
            CourseError::BadAnswer(_) | CourseError::BadRequest(_) => http::StatusCode::BAD_REQUEST,
            CourseError::Progress(_) | CourseError::TaskFailed => {
                http::StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// Turns a course error into a server function error, setting the response status to match
/// (the one place course errors meet HTTP).
pub fn into_server_error(error: CourseError) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
    }
    if error.status().is_server_error() {
        leptos::logging::error!("course request failed: {error}");
    }
    ServerFnError::new(error)
}

/// The [`CourseContext`] the server provided.
pub fn course() -> Result<CourseContext, ServerFnError> {
    use_context::<CourseContext>()
        .ok_or_else(|| ServerFnError::new("the course is not available in this context"))
}

/// The learner making the current request.
pub fn current_learner() -> Result<LearnerId, ServerFnError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<LearnerId>().copied())
        .ok_or_else(|| ServerFnError::new("no learner for this request"))
}

impl CourseContext {
    /// NB: called directly on the async thread: reads use their own connection, which in WAL
    /// mode never waits for a writer, and take microseconds (cheaper than a thread hop).
    fn read_lessons(
        &self,
        learner: LearnerId,
    ) -> Result<std::collections::BTreeSet<String>, CourseError> {
        Ok(self.progress.read_lessons(learner)?)
    }

    /// The course map with this learner's progress.
    ///
    /// # Errors
    /// When progress cannot be read.
    pub async fn course_map(&self, learner: LearnerId) -> Result<CourseMap, CourseError> {
        let read = self.read_lessons(learner)?;
        let best = self.best_scores(learner)?;
        let due_for_review = self.due_count(learner)?;
        let summary = |lesson: &Lesson| LessonSummary {
            number: lesson.number,
            slug: lesson.slug.clone(),
            title: lesson.front.title.clone(),
            summary: lesson.front.summary.clone(),
            estimated_minutes: lesson.front.estimated_minutes,
            read: read.contains(&lesson.slug),
            quiz_best: best.get(&lesson.slug).copied(),
            has_quiz: lesson.quiz.is_some(),
        };
        let lessons = self.catalog.lessons();
        let mut sections: Vec<CourseSection> = SECTIONS
            .iter()
            .map(|(title, range)| CourseSection {
                title: (*title).to_owned(),
                lessons: lessons
                    .iter()
                    .filter(|l| range.contains(&l.number))
                    .map(|l| summary(l))
                    .collect(),
            })
            .collect();
        let rest: Vec<_> = lessons
            .iter()
            .filter(|l| !SECTIONS.iter().any(|(_, r)| r.contains(&l.number)))
            .map(|l| summary(l))
            .collect();
        if !rest.is_empty() {
            sections.push(CourseSection {
                title: "More".to_owned(),
                lessons: rest,
            });
        }
        sections.retain(|s| !s.lessons.is_empty());
        Ok(CourseMap {
            sections,
            due_for_review,
        })
    }

    /// One lesson for this learner, or `None` if the slug is unknown.
    ///
    /// # Errors
    /// When progress cannot be read.
    pub async fn lesson(
        &self,
        learner: LearnerId,
        slug: &str,
    ) -> Result<Option<LessonView>, CourseError> {
        let Some(kubedojo_course::Neighbours {
            previous,
            lesson,
            next,
        }) = self.catalog.lesson_with_neighbours(slug)
        else {
            return Ok(None);
        };
        let link = |l: &Arc<Lesson>| LessonLink {
            number: l.number,
            slug: l.slug.clone(),
            title: l.front.title.clone(),
        };
        let read = self.read_lessons(learner)?.contains(slug);
        Ok(Some(LessonView {
            number: lesson.number,
            slug: lesson.slug.clone(),
            title: lesson.front.title.clone(),
            summary: lesson.front.summary.clone(),
            objectives: lesson.front.objectives.clone(),
            estimated_minutes: lesson.front.estimated_minutes,
            tags: lesson.front.tags.clone(),
            html: lesson.html.clone(),
            toc: lesson
                .toc
                .iter()
                .map(|t| TocItem {
                    level: t.level,
                    id: t.id.clone(),
                    text: t.text.clone(),
                })
                .collect(),
            previous: previous.map(link),
            next: next.map(link),
            total_lessons: self.catalog.lessons().len(),
            read,
            has_lab: lesson.lab.is_some(),
        }))
    }

    /// Records that the learner has (or has not) read a lesson.
    ///
    /// # Errors
    /// [`CourseError::UnknownLesson`] for a slug that is not in the course; progress errors.
    pub async fn set_read(
        &self,
        learner: LearnerId,
        slug: &str,
        read: bool,
    ) -> Result<bool, CourseError> {
        if self.catalog.get(slug).is_none() {
            return Err(CourseError::UnknownLesson(slug.to_owned()));
        }
        let progress = self.progress.clone();
        let slug = slug.to_owned();
        tokio::task::spawn_blocking(move || progress.set_read(learner, &slug, read))
            .await
            .map_err(|_| CourseError::TaskFailed)??;
        Ok(read)
    }
}
