//! Small, pure components shared by the pages.

mod countdown;
mod error_note;
mod feedback_panel;
mod lesson_body;
pub(crate) mod post_form;
mod progress_bar;
mod question_inputs;
mod quiz_card;
mod read_toggle;
pub(crate) mod sync_view;
mod table_of_contents;

pub(crate) use countdown::Countdown;
pub(crate) use error_note::ErrorNote;
pub(crate) use feedback_panel::FeedbackPanel;
pub(crate) use lesson_body::LessonBody;
pub(crate) use post_form::PostForm;
pub(crate) use progress_bar::ProgressBar;
pub(crate) use question_inputs::QuestionInputs;
pub(crate) use quiz_card::QuizCard;
pub(crate) use read_toggle::ReadToggle;
pub(crate) use table_of_contents::TableOfContents;
