//! Answers to quiz questions, best quiz scores per part and Leitner boxes for spaced review.
//!
//! Scores are computed by the caller from the question bank (this crate knows no questions);
//! it stores what was answered and when the question is due again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use crate::store::{Result, now};
use crate::{LearnerId, ProgressStore};

/// The highest Leitner box; a question there comes back every [`interval_days`]`(5)` days.
pub const MAX_BOX: u8 = 5;

/// Days until a question in `leitner_box` is due again: 1, 2, 4, 8, 16.
pub fn interval_days(leitner_box: u8) -> i64 {
    1_i64 << (leitner_box.clamp(1, MAX_BOX) - 1)
}

/// An answer as recorded (already scored by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecord {
    pub lesson_slug: String,
    pub question_id: String,
    pub quiz_version: u32,
    /// The answer in its form text, to show it again.
    pub answer: String,
    pub correct: bool,
    pub percent: u8,
}

/// A question's place in the learner's review schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewState {
    pub leitner_box: u8,
    pub due_at: DateTime<Utc>,
}

/// A part's best quiz score for one quiz version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuizScore {
    pub quiz_version: u32,
    pub best_percent: u8,
    pub last_percent: u8,
}

impl ProgressStore {
    /// Records an answer (replacing the previous answer to the question) and moves the question
    /// between Leitner boxes: wrong → box 1, due in a day; right → the next box, due in
    /// 2/4/8/16 days. Questions never answered wrongly are not scheduled.
    ///
    /// # Errors
    /// On a database error.
    pub fn record_answer(
        &self,
        learner: LearnerId,
        record: &AnswerRecord,
        at: DateTime<Utc>,
    ) -> Result<Option<ReviewState>> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let state = record_answer_in(&tx, learner, record, at)?;
        tx.commit()?;
        Ok(state)
    }

    /// The learner's latest answers to a part's questions of `quiz_version` (answers to another
    /// version are stale and left out), by question id.
    ///
    /// # Errors
    /// On a database error.
    pub fn answers_for_lesson(
        &self,
        learner: LearnerId,
        lesson_slug: &str,
        quiz_version: u32,
    ) -> Result<HashMap<String, AnswerRecord>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT question_id, answer, correct, percent FROM answers
             WHERE learner_id = ?1 AND lesson_slug = ?2 AND quiz_version = ?3",
        )?;
        let rows = statement.query_map(
            params![learner.to_string(), lesson_slug, quiz_version],
            |row| {
                Ok(AnswerRecord {
                    lesson_slug: lesson_slug.to_owned(),
                    question_id: row.get(0)?,
                    quiz_version,
                    answer: row.get(1)?,
                    correct: row.get(2)?,
                    percent: row.get(3)?,
                })
            },
        )?;
        let mut answers = HashMap::new();
        for row in rows {
            let record = row?;
            answers.insert(record.question_id.clone(), record);
        }
        Ok(answers)
    }

    /// Records a part's quiz score, keeping the best per quiz version.
    ///
    /// # Errors
    /// On a database error.
    pub fn record_quiz_score(
        &self,
        learner: LearnerId,
        lesson_slug: &str,
        quiz_version: u32,
        percent: u8,
    ) -> Result<QuizScore> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        ensure_learner_in(&tx, learner)?;
        tx.execute(
            "INSERT INTO quiz_scores (learner_id, lesson_slug, quiz_version, best_percent, last_percent, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)
             ON CONFLICT (learner_id, lesson_slug, quiz_version) DO UPDATE SET
               best_percent = max(best_percent, excluded.best_percent),
               last_percent = excluded.last_percent,
               updated_at = excluded.updated_at",
            params![learner.to_string(), lesson_slug, quiz_version, percent, now()],
        )?;
        let best: u8 = tx.query_row(
            "SELECT best_percent FROM quiz_scores WHERE learner_id = ?1 AND lesson_slug = ?2 AND quiz_version = ?3",
            params![learner.to_string(), lesson_slug, quiz_version],
            |row| row.get(0),
        )?;
        tx.commit()?;
        Ok(QuizScore {
            quiz_version,
            best_percent: best,
            last_percent: percent,
        })
    }

    /// Every part's quiz scores for the learner, by lesson slug and quiz version.
    ///
    /// # Errors
    /// On a database error.
    pub fn quiz_scores(&self, learner: LearnerId) -> Result<HashMap<(String, u32), QuizScore>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT lesson_slug, quiz_version, best_percent, last_percent FROM quiz_scores WHERE learner_id = ?1",
        )?;
        let rows = statement.query_map(params![learner.to_string()], |row| {
            let version: u32 = row.get(1)?;
            Ok((
                (row.get::<_, String>(0)?, version),
                QuizScore {
                    quiz_version: version,
                    best_percent: row.get(2)?,
                    last_percent: row.get(3)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
    }

    /// The ids of the learner's questions due for review at `at`, most overdue first.
    ///
    /// # Errors
    /// On a database error.
    pub fn due_for_review(&self, learner: LearnerId, at: DateTime<Utc>) -> Result<Vec<String>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT question_id FROM leitner WHERE learner_id = ?1 AND due_at <= ?2
             ORDER BY due_at, question_id",
        )?;
        let ids = statement
            .query_map(params![learner.to_string(), at.timestamp_millis()], |row| {
                row.get(0)
            })?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    /// Where a question stands in the learner's review schedule, if it is scheduled.
    ///
    /// # Errors
    /// On a database error.
    pub fn review_state(
        &self,
        learner: LearnerId,
        question_id: &str,
    ) -> Result<Option<ReviewState>> {
        let conn = self.reader.lock();
        review_state_in(&conn, learner, question_id)
    }
}

pub(crate) fn ensure_learner_in(tx: &Transaction<'_>, learner: LearnerId) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO learners (id, created_at) VALUES (?1, ?2)",
        params![learner.to_string(), now()],
    )?;
    Ok(())
}

pub(crate) fn record_answer_in(
    tx: &Transaction<'_>,
    learner: LearnerId,
    record: &AnswerRecord,
    at: DateTime<Utc>,
) -> Result<Option<ReviewState>> {
    ensure_learner_in(tx, learner)?;
    tx.execute(
        "INSERT INTO answers (learner_id, question_id, lesson_slug, quiz_version, answer, correct, percent, answered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (learner_id, question_id) DO UPDATE SET
           lesson_slug = excluded.lesson_slug, quiz_version = excluded.quiz_version,
           answer = excluded.answer, correct = excluded.correct, percent = excluded.percent,
           answered_at = excluded.answered_at",
        params![
            learner.to_string(),
            record.question_id,
            record.lesson_slug,
            record.quiz_version,
            record.answer,
            record.correct,
            record.percent,
            at.to_rfc3339(),
        ],
    )?;
    let current = review_state_in(tx, learner, &record.question_id)?;
    let next_box = match (record.correct, current) {
        (false, _) => 1,
        (true, Some(state)) => (state.leitner_box + 1).min(MAX_BOX),
        // Right the first time: nothing to review.
        (true, None) => return Ok(None),
    };
    let due_at = at + chrono::Duration::days(interval_days(next_box));
    tx.execute(
        "INSERT INTO leitner (learner_id, question_id, box, due_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (learner_id, question_id) DO UPDATE SET box = excluded.box, due_at = excluded.due_at",
        params![
            learner.to_string(),
            record.question_id,
            next_box,
            due_at.timestamp_millis()
        ],
    )?;
    Ok(Some(ReviewState {
        leitner_box: next_box,
        due_at,
    }))
}

fn review_state_in(
    conn: &rusqlite::Connection,
    learner: LearnerId,
    question_id: &str,
) -> Result<Option<ReviewState>> {
    use rusqlite::OptionalExtension as _;
    let row: Option<(u8, i64)> = conn
        .query_row(
            "SELECT box, due_at FROM leitner WHERE learner_id = ?1 AND question_id = ?2",
            params![learner.to_string(), question_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(leitner_box, due)| {
        DateTime::from_timestamp_millis(due).map(|due_at| ReviewState {
            leitner_box,
            due_at,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn record(question: &str, version: u32, correct: bool) -> AnswerRecord {
        AnswerRecord {
            lesson_slug: "07-statefulsets".into(),
            question_id: question.into(),
            quiz_version: version,
            answer: "1".into(),
            correct,
            percent: if correct { 100 } else { 0 },
        }
    }

    #[test]
    fn leitner_boxes_follow_one_two_four_eight_sixteen_days() -> Result<()> {
        let store = ProgressStore::in_memory()?;
        let learner = LearnerId::generate();
        let t0 = Utc::now();
        assert_eq!(
            store.record_answer(learner, &record("q", 1, true), t0)?,
            None
        );
        assert!(
            store
                .due_for_review(learner, t0 + Duration::days(30))?
                .is_empty()
        );

        let wrong = store.record_answer(learner, &record("q", 1, false), t0)?;
        assert_eq!(wrong.map(|s| s.leitner_box), Some(1));
        assert!(store.due_for_review(learner, t0)?.is_empty(), "not due yet");
        assert_eq!(
            store.due_for_review(learner, t0 + Duration::days(1))?,
            vec!["q".to_owned()]
        );
        let mut at = t0;
        for (expected_box, days) in [(2, 2), (3, 4), (4, 8), (5, 16), (5, 16)] {
            at += Duration::days(1);
            let state = store
                .record_answer(learner, &record("q", 1, true), at)?
                .expect("scheduled");
            assert_eq!(state.leitner_box, expected_box);
            assert_eq!(state.due_at, at + Duration::days(days));
        }
        let back = store.record_answer(learner, &record("q", 1, false), at)?;
        assert_eq!(back.map(|s| s.leitner_box), Some(1), "wrong → box 1");
        assert!(
            store
                .due_for_review(LearnerId::generate(), at + Duration::days(99))?
                .is_empty()
        );
        Ok(())
    }

    #[test]
    fn stale_answers_are_ignored_and_best_scores_kept() -> Result<()> {
        let store = ProgressStore::in_memory()?;
        let learner = LearnerId::generate();
        store.record_answer(learner, &record("a", 1, true), Utc::now())?;
        store.record_answer(learner, &record("b", 2, false), Utc::now())?;
        let v2 = store.answers_for_lesson(learner, "07-statefulsets", 2)?;
        assert_eq!(v2.len(), 1);
        assert!(!v2["b"].correct);
        assert!(
            store
                .answers_for_lesson(learner, "07-statefulsets", 3)?
                .is_empty()
        );

        store.record_quiz_score(learner, "07-statefulsets", 2, 80)?;
        let score = store.record_quiz_score(learner, "07-statefulsets", 2, 40)?;
        assert_eq!((score.best_percent, score.last_percent), (80, 40));
        let scores = store.quiz_scores(learner)?;
        assert_eq!(scores[&("07-statefulsets".to_owned(), 2)].best_percent, 80);
        Ok(())
    }
}
