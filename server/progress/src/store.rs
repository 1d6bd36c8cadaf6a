//! The SQLite store: a writer connection and a reader connection, each behind a mutex.
//!
//! SQLite serialises writers anyway, and in WAL mode readers never wait for a writer, so reads
//! (on every page view) take microseconds and may run on an async thread; writes may wait for
//! a checkpoint, so async callers wrap them in `spawn_blocking`.

use std::collections::BTreeSet;
use std::path::Path;

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::LearnerId;

/// Why a progress operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the progress database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("progress database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE learners (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
    );
    CREATE TABLE lesson_reads (
        learner_id TEXT NOT NULL REFERENCES learners(id),
        lesson_slug TEXT NOT NULL,
        read_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, lesson_slug)
    );
",
    "
    -- The latest answer per learner and question; rows of another quiz version are stale and
    -- ignored by the queries, not deleted.
    CREATE TABLE answers (
        learner_id TEXT NOT NULL REFERENCES learners(id),
        question_id TEXT NOT NULL,
        lesson_slug TEXT NOT NULL,
        quiz_version INTEGER NOT NULL,
        answer TEXT NOT NULL,
        correct INTEGER NOT NULL,
        percent INTEGER NOT NULL,
        answered_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, question_id)
    );
    CREATE TABLE quiz_scores (
        learner_id TEXT NOT NULL REFERENCES learners(id),
        lesson_slug TEXT NOT NULL,
        quiz_version INTEGER NOT NULL,
        best_percent INTEGER NOT NULL,
        last_percent INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, lesson_slug, quiz_version)
    );
    -- Leitner boxes (1..=5) of questions once answered wrongly; due_at in Unix milliseconds.
    CREATE TABLE leitner (
        learner_id TEXT NOT NULL REFERENCES learners(id),
        question_id TEXT NOT NULL,
        box INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        PRIMARY KEY (learner_id, question_id)
    );
    CREATE INDEX leitner_due ON leitner (learner_id, due_at);
    CREATE TABLE interview_sessions (
        id TEXT PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id),
        parts TEXT NOT NULL,
        question_ids TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        deadline INTEGER NOT NULL,
        finished INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX interview_by_learner ON interview_sessions (learner_id, started_at);
    CREATE TABLE interview_answers (
        session_id TEXT NOT NULL REFERENCES interview_sessions(id),
        position INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        answer TEXT NOT NULL,
        correct INTEGER NOT NULL,
        percent INTEGER NOT NULL,
        PRIMARY KEY (session_id, position)
    );
",
    "
    -- Per learner, lab and task: the live verdict, the first pass, hints and solution seen.
    CREATE TABLE lab_tasks (
        learner_id TEXT NOT NULL REFERENCES learners(id),
        lab_slug TEXT NOT NULL,
        task_id TEXT NOT NULL,
        passed INTEGER NOT NULL DEFAULT 0,
        first_passed_at TEXT,
        last_diagnosis TEXT,
        hints_revealed INTEGER NOT NULL DEFAULT 0,
        solution_shown INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, lab_slug, task_id)
    );
    -- Every attempt: verdict changes, checks on demand, actions, hints, solutions, resets.
    CREATE TABLE lab_attempts (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id),
        lab_slug TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        passed INTEGER,
        detail TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX lab_attempts_by_learner ON lab_attempts (learner_id, lab_slug, id);
",
    "
    -- Keys the server signs cookies with, made once and kept with the data they protect.
    CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    -- Instructor-led workshops. `labs` holds lesson slugs separated by spaces; `ends_at` is in
    -- Unix milliseconds so extending is arithmetic.
    CREATE TABLE workshops (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        labs TEXT NOT NULL,
        capacity INTEGER NOT NULL,
        stuck_after_minutes INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        ends_at INTEGER NOT NULL,
        ended_at TEXT,
        announcement TEXT
    );
    -- `key` is what instructor pages use for a learner: never the learner's cookie id.
    CREATE TABLE workshop_members (
        workshop_id TEXT NOT NULL REFERENCES workshops(id),
        learner_id TEXT NOT NULL REFERENCES learners(id),
        key TEXT NOT NULL,
        display_name TEXT NOT NULL,
        joined_at TEXT NOT NULL,
        PRIMARY KEY (workshop_id, learner_id),
        UNIQUE (workshop_id, key)
    );
    CREATE INDEX workshop_members_by_learner ON workshop_members (learner_id, joined_at);
",
    // Where a workshop's learners get their clusters: `sandbox` or `cluster`; NULL (workshops
    // made before the choice existed) is the server's default backend.
    "
    ALTER TABLE workshops ADD COLUMN backend TEXT;
",
];

/// Learner progress in one SQLite file.
pub struct ProgressStore {
    pub(crate) writer: Mutex<Connection>,
    pub(crate) reader: Mutex<Connection>,
}

impl ProgressStore {
    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it.
    /// `:memory:` gives a private in-memory database.
    ///
    /// # Errors
    /// [`Error::Open`] when the file cannot be opened or migrated.
    pub fn open(path: &Path) -> Result<Self> {
        if path == Path::new(":memory:") {
            return Self::in_memory();
        }
        let open_error = |source| Error::Open {
            path: path.display().to_string(),
            source,
        };
        let writer = Connection::open(path).map_err(open_error)?;
        Self::migrate(&writer).map_err(open_error)?;
        let reader = Connection::open(path).map_err(open_error)?;
        Self::from_connections(writer, reader).map_err(open_error)
    }

    /// An in-memory database (both connections share it), for tests.
    ///
    /// # Errors
    /// When SQLite cannot create it.
    pub fn in_memory() -> Result<Self> {
        let uri = format!(
            "file:kubedojo-{}?mode=memory&cache=shared",
            uuid::Uuid::new_v4().simple()
        );
        let flags = OpenFlags::default() | OpenFlags::SQLITE_OPEN_URI;
        let writer = Connection::open_with_flags(&uri, flags)?;
        Self::migrate(&writer)?;
        let reader = Connection::open_with_flags(&uri, flags)?;
        Ok(Self::from_connections(writer, reader)?)
    }

    fn migrate(conn: &Connection) -> rusqlite::Result<()> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            conn.execute_batch(&format!(
                "BEGIN; {migration} PRAGMA user_version = {}; COMMIT;",
                i + 1
            ))?;
        }
        Ok(())
    }

    fn from_connections(writer: Connection, reader: Connection) -> rusqlite::Result<Self> {
        for conn in [&writer, &reader] {
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
        }
        Ok(Self {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// Records a learner (idempotent).
    ///
    /// # Errors
    /// On a database error.
    pub fn ensure_learner(&self, learner: LearnerId) -> Result<()> {
        self.writer.lock().execute(
            "INSERT OR IGNORE INTO learners (id, created_at) VALUES (?1, ?2)",
            params![learner.to_string(), now()],
        )?;
        Ok(())
    }

    /// Marks a lesson as read or unread for a learner.
    ///
    /// # Errors
    /// On a database error.
    pub fn set_read(&self, learner: LearnerId, lesson_slug: &str, read: bool) -> Result<()> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO learners (id, created_at) VALUES (?1, ?2)",
            params![learner.to_string(), now()],
        )?;
        if read {
            tx.execute(
                "INSERT OR IGNORE INTO lesson_reads (learner_id, lesson_slug, read_at) VALUES (?1, ?2, ?3)",
                params![learner.to_string(), lesson_slug, now()],
            )?;
        } else {
            tx.execute(
                "DELETE FROM lesson_reads WHERE learner_id = ?1 AND lesson_slug = ?2",
                params![learner.to_string(), lesson_slug],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether the learner marked this lesson as read.
    ///
    /// # Errors
    /// On a database error.
    pub fn is_read(&self, learner: LearnerId, lesson_slug: &str) -> Result<bool> {
        let found = self
            .reader
            .lock()
            .query_row(
                "SELECT 1 FROM lesson_reads WHERE learner_id = ?1 AND lesson_slug = ?2",
                params![learner.to_string(), lesson_slug],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// The slugs of every lesson the learner marked as read.
    ///
    /// # Errors
    /// On a database error.
    pub fn read_lessons(&self, learner: LearnerId) -> Result<BTreeSet<String>> {
        let conn = self.reader.lock();
        let mut statement =
            conn.prepare_cached("SELECT lesson_slug FROM lesson_reads WHERE learner_id = ?1")?;
        let slugs = statement
            .query_map(params![learner.to_string()], |row| row.get(0))?
            .collect::<rusqlite::Result<BTreeSet<String>>>()?;
        Ok(slugs)
    }
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_unmarks_lessons() -> Result<()> {
        let store = ProgressStore::in_memory()?;
        let learner = LearnerId::generate();
        assert!(!store.is_read(learner, "01-a")?);
        store.set_read(learner, "01-a", true)?;
        store.set_read(learner, "01-a", true)?;
        store.set_read(learner, "02-b", true)?;
        assert!(store.is_read(learner, "01-a")?);
        assert_eq!(store.read_lessons(learner)?.len(), 2);
        store.set_read(learner, "01-a", false)?;
        assert!(!store.is_read(learner, "01-a")?);
        assert!(store.read_lessons(LearnerId::generate())?.is_empty());
        Ok(())
    }

    #[test]
    fn progress_survives_reopening_the_file() -> std::result::Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("kubedojo.db");
        let learner = LearnerId::generate();
        ProgressStore::open(&path)?.set_read(learner, "05-headless-services", true)?;
        let reopened = ProgressStore::open(&path)?;
        assert!(reopened.is_read(learner, "05-headless-services")?);
        Ok(())
    }
}
