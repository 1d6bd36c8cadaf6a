//! The course: lessons read from `lessons/` (embedded in the binary at build time, or from a
//! directory for authors), checked, and rendered to HTML once at load time.
//!
//! Nothing here knows about HTTP or Leptos: the server asks a [`Catalog`] for lessons, and
//! `kubedojo lessons check` prints the [`Problem`]s that [`Catalog::load`] finds.

mod catalog;
mod embedded;
mod front_matter;
mod highlight;
mod html_figure;
mod lab_files;
mod lesson;
mod manifests;
mod problem;
mod quiz;
mod render;
mod scoring;
mod slug;

pub use catalog::{Catalog, LessonSource, Neighbours};
pub use front_matter::FrontMatter;
pub use lab_files::{LAB_FILE, LabFiles, MANIFESTS_DIR};
pub use lesson::{Lesson, LessonFiles, TocEntry};
pub use problem::{LoadError, Problem};
pub use quiz::{MIN_QUESTIONS, Question, QuestionKind, Quiz, RubricPoint, normalize_answer};
pub use render::{Rendered, render_markdown};
pub use scoring::{Answer, AnswerError, MAX_FREE_TEXT, Outcome, score};
