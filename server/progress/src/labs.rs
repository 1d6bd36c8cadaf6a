//! Lab progress: each task's live verdict and first pass, hints and solutions seen, and a log
//! of every attempt (verdict changes, checks on demand, actions, resets) for the learner and,
//! later, the instructor.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use crate::answers::ensure_learner_in;
use crate::store::{Result, now};
use crate::{LearnerId, ProgressStore};

/// What is stored for one task of one lab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabTaskRecord {
    /// The verdict of the last evaluation.
    pub passed: bool,
    /// When the task first passed (RFC 3339); it stays passed for progress even if the learner
    /// breaks the cluster again afterwards.
    pub first_passed_at: Option<String>,
    /// The last failing diagnosis, one sentence.
    pub last_diagnosis: Option<String>,
    pub hints_revealed: u32,
    pub solution_shown: bool,
}

/// What kind of attempt a log line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// A task's verdict changed (continuous evaluation or "check now").
    Verdict,
    /// The learner pressed "check now" (subject: the lab).
    CheckNow,
    /// A lab action ran (subject: the action id).
    Action,
    Hint,
    Solution,
    Start,
    Reset,
}

impl AttemptKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Verdict => "verdict",
            Self::CheckNow => "check",
            Self::Action => "action",
            Self::Hint => "hint",
            Self::Solution => "solution",
            Self::Start => "start",
            Self::Reset => "reset",
        }
    }
}

/// One line of the attempt log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub kind: String,
    pub subject: String,
    pub passed: Option<bool>,
    pub detail: String,
    pub at: String,
}

impl ProgressStore {
    /// Records a task's verdict. Returns `true` when it differs from the stored one (and then
    /// logs it as an attempt), so continuous re-evaluation does not flood the log.
    ///
    /// # Errors
    /// On a database error.
    pub fn record_lab_verdict(
        &self,
        learner: LearnerId,
        lab: &str,
        task: &str,
        passed: bool,
        diagnosis: Option<&str>,
    ) -> Result<bool> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        ensure_learner_in(&tx, learner)?;
        let previous: Option<(bool, Option<String>)> = tx
            .query_row(
                "SELECT passed, last_diagnosis FROM lab_tasks
                 WHERE learner_id = ?1 AND lab_slug = ?2 AND task_id = ?3",
                params![learner.to_string(), lab, task],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let diagnosis = if passed { None } else { diagnosis };
        let changed = previous
            .as_ref()
            .is_none_or(|(was, last)| *was != passed || last.as_deref() != diagnosis);
        let at = now();
        tx.execute(
            "INSERT INTO lab_tasks (learner_id, lab_slug, task_id, passed, first_passed_at, last_diagnosis, updated_at)
             VALUES (?1, ?2, ?3, ?4, CASE WHEN ?4 THEN ?5 END, ?6, ?5)
             ON CONFLICT (learner_id, lab_slug, task_id) DO UPDATE SET
               passed = excluded.passed,
               first_passed_at = coalesce(first_passed_at, excluded.first_passed_at),
               last_diagnosis = excluded.last_diagnosis,
               updated_at = excluded.updated_at",
            params![learner.to_string(), lab, task, passed, at, diagnosis],
        )?;
        if changed {
            insert_attempt(
                &tx,
                learner,
                lab,
                AttemptKind::Verdict,
                task,
                Some(passed),
                diagnosis.unwrap_or(""),
                &at,
            )?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Reveals the next hint of a task (at most `available`); returns how many are revealed.
    ///
    /// # Errors
    /// On a database error.
    pub fn reveal_lab_hint(
        &self,
        learner: LearnerId,
        lab: &str,
        task: &str,
        available: u32,
    ) -> Result<u32> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        ensure_learner_in(&tx, learner)?;
        let at = now();
        tx.execute(
            "INSERT INTO lab_tasks (learner_id, lab_slug, task_id, hints_revealed, updated_at)
             VALUES (?1, ?2, ?3, min(1, ?4), ?5)
             ON CONFLICT (learner_id, lab_slug, task_id) DO UPDATE SET
               hints_revealed = min(hints_revealed + 1, ?4),
               updated_at = excluded.updated_at",
            params![learner.to_string(), lab, task, available, at],
        )?;
        let revealed: u32 = tx.query_row(
            "SELECT hints_revealed FROM lab_tasks WHERE learner_id = ?1 AND lab_slug = ?2 AND task_id = ?3",
            params![learner.to_string(), lab, task],
            |row| row.get(0),
        )?;
        insert_attempt(
            &tx,
            learner,
            lab,
            AttemptKind::Hint,
            task,
            None,
            &revealed.to_string(),
            &at,
        )?;
        tx.commit()?;
        Ok(revealed)
    }

    /// Records that the learner chose to see a task's solution.
    ///
    /// # Errors
    /// On a database error.
    pub fn show_lab_solution(&self, learner: LearnerId, lab: &str, task: &str) -> Result<()> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        ensure_learner_in(&tx, learner)?;
        let at = now();
        tx.execute(
            "INSERT INTO lab_tasks (learner_id, lab_slug, task_id, solution_shown, updated_at)
             VALUES (?1, ?2, ?3, 1, ?4)
             ON CONFLICT (learner_id, lab_slug, task_id) DO UPDATE SET
               solution_shown = 1, updated_at = excluded.updated_at",
            params![learner.to_string(), lab, task, at],
        )?;
        insert_attempt(
            &tx,
            learner,
            lab,
            AttemptKind::Solution,
            task,
            None,
            "",
            &at,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Logs an attempt that changes no task record (an action, a check, a start or reset).
    ///
    /// # Errors
    /// On a database error.
    pub fn log_lab_attempt(
        &self,
        learner: LearnerId,
        lab: &str,
        kind: AttemptKind,
        subject: &str,
        detail: &str,
    ) -> Result<()> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        ensure_learner_in(&tx, learner)?;
        insert_attempt(&tx, learner, lab, kind, subject, None, detail, &now())?;
        tx.commit()?;
        Ok(())
    }

    /// The stored state of every task of a lab for the learner, by task id.
    ///
    /// # Errors
    /// On a database error.
    pub fn lab_tasks(
        &self,
        learner: LearnerId,
        lab: &str,
    ) -> Result<HashMap<String, LabTaskRecord>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT task_id, passed, first_passed_at, last_diagnosis, hints_revealed, solution_shown
             FROM lab_tasks WHERE learner_id = ?1 AND lab_slug = ?2",
        )?;
        let rows = statement.query_map(params![learner.to_string(), lab], |row| {
            Ok((
                row.get::<_, String>(0)?,
                LabTaskRecord {
                    passed: row.get(1)?,
                    first_passed_at: row.get(2)?,
                    last_diagnosis: row.get(3)?,
                    hints_revealed: row.get(4)?,
                    solution_shown: row.get(5)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
    }

    /// For each lab the learner has touched, the ids of the tasks that have ever passed.
    ///
    /// # Errors
    /// On a database error.
    pub fn lab_tasks_passed(&self, learner: LearnerId) -> Result<HashMap<String, Vec<String>>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT lab_slug, task_id FROM lab_tasks
             WHERE learner_id = ?1 AND first_passed_at IS NOT NULL ORDER BY lab_slug, task_id",
        )?;
        let rows = statement.query_map(params![learner.to_string()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut passed: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            let (lab, task) = row?;
            passed.entry(lab).or_default().push(task);
        }
        Ok(passed)
    }

    /// The learner's attempts at a lab, oldest first (at most `limit`, the newest ones).
    ///
    /// # Errors
    /// On a database error.
    pub fn lab_attempts(&self, learner: LearnerId, lab: &str, limit: u32) -> Result<Vec<Attempt>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT kind, subject, passed, detail, at FROM (
               SELECT id, kind, subject, passed, detail, at FROM lab_attempts
               WHERE learner_id = ?1 AND lab_slug = ?2 ORDER BY id DESC LIMIT ?3
             ) ORDER BY id",
        )?;
        let rows = statement.query_map(params![learner.to_string(), lab, limit], |row| {
            Ok(Attempt {
                kind: row.get(0)?,
                subject: row.get(1)?,
                passed: row.get(2)?,
                detail: row.get(3)?,
                at: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[allow(clippy::too_many_arguments)]
fn insert_attempt(
    tx: &rusqlite::Transaction<'_>,
    learner: LearnerId,
    lab: &str,
    kind: AttemptKind,
    subject: &str,
    passed: Option<bool>,
    detail: &str,
    at: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO lab_attempts (learner_id, lab_slug, kind, subject, passed, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            learner.to_string(),
            lab,
            kind.as_str(),
            subject,
            passed,
            detail,
            at
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (ProgressStore, LearnerId) {
        (
            ProgressStore::in_memory().expect("store"),
            LearnerId::generate(),
        )
    }

    #[test]
    fn verdicts_are_logged_only_when_they_change_and_the_first_pass_sticks() {
        let (store, learner) = store();
        let lab = "02-bare-pod-data-loss";
        assert!(
            store
                .record_lab_verdict(learner, lab, "t", false, Some("no pod"))
                .expect("record")
        );
        assert!(
            !store
                .record_lab_verdict(learner, lab, "t", false, Some("no pod"))
                .expect("record"),
            "same verdict, same diagnosis: not logged again"
        );
        assert!(
            store
                .record_lab_verdict(learner, lab, "t", true, None)
                .expect("record")
        );
        let first = store.lab_tasks(learner, lab).expect("tasks")["t"]
            .first_passed_at
            .clone()
            .expect("passed once");
        store
            .record_lab_verdict(learner, lab, "t", false, Some("pod gone"))
            .expect("record");
        let record = &store.lab_tasks(learner, lab).expect("tasks")["t"];
        assert!(!record.passed);
        assert_eq!(record.first_passed_at.as_deref(), Some(first.as_str()));
        assert_eq!(record.last_diagnosis.as_deref(), Some("pod gone"));
        assert_eq!(
            store.lab_tasks_passed(learner).expect("passed")[lab],
            vec!["t".to_string()]
        );
        let attempts = store.lab_attempts(learner, lab, 10).expect("attempts");
        let verdicts: Vec<Option<bool>> = attempts.iter().map(|a| a.passed).collect();
        assert_eq!(verdicts, [Some(false), Some(true), Some(false)]);
    }

    #[test]
    fn hints_are_revealed_one_at_a_time_up_to_the_number_available() {
        let (store, learner) = store();
        let revealed: Vec<u32> = (0..4)
            .map(|_| {
                store
                    .reveal_lab_hint(learner, "lab", "t", 2)
                    .expect("reveal")
            })
            .collect();
        assert_eq!(revealed, [1, 2, 2, 2]);
        store.show_lab_solution(learner, "lab", "t").expect("show");
        let record = &store.lab_tasks(learner, "lab").expect("tasks")["t"];
        assert_eq!(record.hints_revealed, 2);
        assert!(record.solution_shown);
        assert!(!record.passed, "seeing hints is not passing");
    }

    #[test]
    fn the_attempt_log_keeps_the_newest_in_order() {
        let (store, learner) = store();
        for i in 0..5 {
            store
                .log_lab_attempt(learner, "lab", AttemptKind::Action, &format!("a{i}"), "")
                .expect("log");
        }
        let subjects: Vec<String> = store
            .lab_attempts(learner, "lab", 3)
            .expect("attempts")
            .into_iter()
            .map(|a| a.subject)
            .collect();
        assert_eq!(subjects, ["a2", "a3", "a4"]);
    }
}
