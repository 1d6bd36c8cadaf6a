//! Small, pure components shared by the pages.

mod error_note;
mod lesson_body;
mod progress_bar;
mod read_toggle;
mod table_of_contents;

pub(crate) use error_note::ErrorNote;
pub(crate) use lesson_body::LessonBody;
pub(crate) use progress_bar::ProgressBar;
pub(crate) use read_toggle::ReadToggle;
pub(crate) use table_of_contents::TableOfContents;
