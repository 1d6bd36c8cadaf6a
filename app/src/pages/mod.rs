//! One routed page per file.

mod home;
mod interview;
mod lesson;
mod not_found;
mod quiz;
mod review;

pub(crate) use home::HomePage;
pub(crate) use interview::InterviewPage;
pub(crate) use lesson::LessonPage;
pub(crate) use not_found::NotFound;
pub(crate) use quiz::QuizPage;
pub(crate) use review::ReviewPage;
