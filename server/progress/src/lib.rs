//! Learner progress, kept in SQLite (WAL mode, so a crash loses nothing that was committed).
//!
//! Learners are anonymous: a random id in a cookie. This crate stores what they did (lessons
//! read, quiz answers and scores, review schedule, interview sessions, lab tasks and attempts); the server decides who
//! they are and scores the answers.

mod answers;
mod interview;
mod labs;
mod learner;
mod store;
mod workshops;

pub use answers::{AnswerRecord, MAX_BOX, QuizScore, ReviewState, interval_days};
pub use interview::{InterviewAnswer, InterviewSession};
pub use labs::{Attempt, AttemptKind, LabTaskRecord};
pub use learner::{LearnerId, ParseLearnerIdError};
pub use store::{Error, ProgressStore};
pub use workshops::{
    JoinOutcome, MemberActivity, MemberRecord, MemberTask, NewWorkshopRecord, WorkshopRecord,
};
