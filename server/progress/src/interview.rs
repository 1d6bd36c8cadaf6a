//! Interview practice sessions: a fixed list of questions, a deadline, and the answers given
//! so far, kept server-side so a reload (or another tab) resumes the same session.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};

use crate::answers::{AnswerRecord, ensure_learner_in, record_answer_in};
use crate::store::Result;
use crate::{LearnerId, ProgressStore};

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterviewSession {
    pub id: String,
    /// Lesson slugs the questions were drawn from.
    pub parts: Vec<String>,
    /// Question ids in the order they are asked.
    pub question_ids: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub finished: bool,
    /// Answers in question order (answer `i` is for `question_ids[i]`).
    pub answers: Vec<InterviewAnswer>,
}

/// One answer given in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterviewAnswer {
    pub question_id: String,
    pub answer: String,
    pub correct: bool,
    pub percent: u8,
}

impl InterviewSession {
    /// Whether no more answers are taken: finished, out of questions or past the deadline.
    pub fn is_over(&self, at: DateTime<Utc>) -> bool {
        self.finished || self.answers.len() >= self.question_ids.len() || at >= self.deadline
    }
}

impl ProgressStore {
    /// Starts a session for the learner; any session still open is finished first (one at a
    /// time). Returns the new session's id.
    ///
    /// # Errors
    /// On a database error.
    pub fn start_interview(
        &self,
        learner: LearnerId,
        parts: &[String],
        question_ids: &[String],
        started_at: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<String> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        ensure_learner_in(&tx, learner)?;
        tx.execute(
            "UPDATE interview_sessions SET finished = 1 WHERE learner_id = ?1 AND finished = 0",
            params![learner.to_string()],
        )?;
        tx.execute(
            "INSERT INTO interview_sessions (id, learner_id, parts, question_ids, started_at, deadline, finished)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
            params![
                id,
                learner.to_string(),
                parts.join(","),
                question_ids.join(","),
                started_at.timestamp_millis(),
                deadline.timestamp_millis(),
            ],
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// The learner's most recent session (open or finished), with its answers.
    ///
    /// # Errors
    /// On a database error.
    pub fn latest_interview(&self, learner: LearnerId) -> Result<Option<InterviewSession>> {
        let conn = self.reader.lock();
        let row: Option<(String, String, String, i64, i64, bool)> = conn
            .query_row(
                "SELECT id, parts, question_ids, started_at, deadline, finished
                 FROM interview_sessions WHERE learner_id = ?1
                 ORDER BY started_at DESC, rowid DESC LIMIT 1",
                params![learner.to_string()],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, parts, question_ids, started_at, deadline, finished)) = row else {
            return Ok(None);
        };
        let mut statement = conn.prepare_cached(
            "SELECT question_id, answer, correct, percent FROM interview_answers
             WHERE session_id = ?1 ORDER BY position",
        )?;
        let answers = statement
            .query_map(params![id], |r| {
                Ok(InterviewAnswer {
                    question_id: r.get(0)?,
                    answer: r.get(1)?,
                    correct: r.get(2)?,
                    percent: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let split = |s: String| -> Vec<String> {
            s.split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let time = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        Ok(Some(InterviewSession {
            id,
            parts: split(parts),
            question_ids: split(question_ids),
            started_at: time(started_at),
            deadline: time(deadline),
            finished,
            answers,
        }))
    }

    /// Records the answer at `position` of an open session and schedules the question for
    /// review like any answer. Returns `false` (and records nothing) when that position was
    /// already answered or the session is finished: a double submit is not an error.
    ///
    /// # Errors
    /// On a database error.
    pub fn record_interview_answer(
        &self,
        learner: LearnerId,
        session_id: &str,
        position: usize,
        record: &AnswerRecord,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let open: Option<bool> = tx
            .query_row(
                "SELECT finished FROM interview_sessions WHERE id = ?1 AND learner_id = ?2",
                params![session_id, learner.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if open != Some(false) {
            return Ok(false);
        }
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO interview_answers (session_id, position, question_id, answer, correct, percent)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                session_id,
                i64::try_from(position).unwrap_or(i64::MAX),
                record.question_id,
                record.answer,
                record.correct,
                record.percent
            ],
        )?;
        if inserted == 1 {
            record_answer_in(&tx, learner, record, at)?;
        }
        tx.commit()?;
        Ok(inserted == 1)
    }

    /// Marks a session finished (idempotent).
    ///
    /// # Errors
    /// On a database error.
    pub fn finish_interview(&self, learner: LearnerId, session_id: &str) -> Result<()> {
        self.writer.lock().execute(
            "UPDATE interview_sessions SET finished = 1 WHERE id = ?1 AND learner_id = ?2",
            params![session_id, learner.to_string()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn record(question: &str, correct: bool) -> AnswerRecord {
        AnswerRecord {
            lesson_slug: "05-headless-services".into(),
            question_id: question.into(),
            quiz_version: 1,
            answer: "0".into(),
            correct,
            percent: if correct { 100 } else { 0 },
        }
    }

    #[test]
    fn a_session_resumes_and_takes_each_answer_once() -> Result<()> {
        let store = ProgressStore::in_memory()?;
        let learner = LearnerId::generate();
        let now = Utc::now();
        assert_eq!(store.latest_interview(learner)?, None);
        let ids = vec!["q1".to_owned(), "q2".to_owned()];
        let parts = vec!["05-headless-services".to_owned()];
        let id = store.start_interview(learner, &parts, &ids, now, now + Duration::minutes(5))?;
        assert!(store.record_interview_answer(learner, &id, 0, &record("q1", false), now)?);
        assert!(
            !store.record_interview_answer(learner, &id, 0, &record("q1", true), now)?,
            "a double submit is ignored"
        );
        let session = store.latest_interview(learner)?.expect("session");
        assert_eq!(session.id, id);
        assert_eq!(session.question_ids, ids);
        assert_eq!(session.parts, parts);
        assert_eq!(session.answers.len(), 1);
        assert!(!session.answers[0].correct);
        assert!(!session.is_over(now));
        assert!(
            session.is_over(now + Duration::minutes(6)),
            "deadline passed"
        );
        // The wrong answer is scheduled for review.
        assert_eq!(
            store.due_for_review(learner, now + Duration::days(1))?,
            vec!["q1".to_owned()]
        );

        // Another learner cannot answer in this session.
        assert!(!store.record_interview_answer(
            LearnerId::generate(),
            &id,
            1,
            &record("q2", true),
            now
        )?);
        store.finish_interview(learner, &id)?;
        assert!(!store.record_interview_answer(learner, &id, 1, &record("q2", true), now)?);
        assert!(store.latest_interview(learner)?.is_some_and(|s| s.finished));
        Ok(())
    }

    #[test]
    fn starting_a_new_session_finishes_the_open_one() -> Result<()> {
        let store = ProgressStore::in_memory()?;
        let learner = LearnerId::generate();
        let now = Utc::now();
        let ids = vec!["q1".to_owned()];
        let first = store.start_interview(learner, &[], &ids, now, now + Duration::minutes(5))?;
        let second = store.start_interview(learner, &[], &ids, now, now + Duration::minutes(5))?;
        assert_ne!(first, second);
        let latest = store.latest_interview(learner)?.expect("session");
        assert_eq!(latest.id, second);
        assert!(!store.record_interview_answer(learner, &first, 0, &record("q1", true), now)?);
        Ok(())
    }
}
