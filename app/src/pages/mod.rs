//! One routed page per file.

mod home;
mod lesson;
mod not_found;

pub(crate) use home::HomePage;
pub(crate) use lesson::LessonPage;
pub(crate) use not_found::NotFound;
