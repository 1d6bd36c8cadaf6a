//! One routed page per file.

mod home;
#[cfg(feature = "instructor")]
mod instructor;
#[cfg(not(feature = "instructor"))]
mod instructor_elsewhere;
#[cfg(feature = "instructor")]
mod instructor_workshop;
mod interview;
mod join;
mod lesson;
mod not_found;
mod quiz;
mod review;

pub(crate) use home::HomePage;
#[cfg(feature = "instructor")]
pub(crate) use instructor::InstructorPage;
#[cfg(not(feature = "instructor"))]
pub(crate) use instructor_elsewhere::{
    InstructorElsewhere as InstructorPage, InstructorElsewhere as InstructorWorkshopPage,
};
#[cfg(feature = "instructor")]
pub(crate) use instructor_workshop::InstructorWorkshopPage;
pub(crate) use interview::InterviewPage;
pub(crate) use join::JoinPage;
pub(crate) use lesson::LessonPage;
pub(crate) use not_found::NotFound;
pub(crate) use quiz::QuizPage;
pub(crate) use review::ReviewPage;
