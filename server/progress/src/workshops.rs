//! Workshops: who created what, who joined with which name, and the queries behind the
//! instructor's grid and the results export. Lab progress itself stays in `lab_tasks` and
//! `lab_attempts`; a workshop only groups learners and labs.

use rusqlite::{OptionalExtension, Row, params};

use crate::answers::ensure_learner_in;
use crate::store::{Result, now};
use crate::{LearnerId, ProgressStore};

/// What is needed to create a workshop; ids and codes are made by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkshopRecord {
    pub id: String,
    pub code: String,
    pub title: String,
    pub labs: Vec<String>,
    pub capacity: u32,
    pub stuck_after_minutes: u32,
    /// Unix milliseconds.
    pub ends_at: i64,
    /// Where its learners get their clusters (`None`: the server's default).
    pub backend: Option<String>,
}

/// A stored workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkshopRecord {
    pub id: String,
    pub code: String,
    pub title: String,
    pub labs: Vec<String>,
    pub capacity: u32,
    pub stuck_after_minutes: u32,
    pub created_at: String,
    /// Unix milliseconds.
    pub ends_at: i64,
    pub ended_at: Option<String>,
    pub announcement: Option<String>,
    /// Where its learners get their clusters (`None`: the server's default).
    pub backend: Option<String>,
    pub members: u32,
}

/// A learner in a workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub learner: LearnerId,
    pub key: String,
    pub display_name: String,
    pub joined_at: String,
}

/// One stored task of one member (what `lab_tasks` holds for the workshop's labs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberTask {
    pub key: String,
    pub lab: String,
    pub task: String,
    pub passed: bool,
    pub first_passed_at: Option<String>,
    pub last_diagnosis: Option<String>,
    pub hints_revealed: u32,
    pub solution_shown: bool,
    pub updated_at: String,
}

/// When a member last did anything in one lab, and how many attempts they logged there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberActivity {
    pub key: String,
    pub lab: String,
    pub last_at: String,
    pub attempts: u32,
}

/// What joining did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinOutcome {
    /// A new member, or a returning one (renamed if the name changed).
    Joined(MemberRecord),
    /// Every seat is taken.
    Full,
}

const WORKSHOP_COLUMNS: &str = "w.id, w.code, w.title, w.labs, w.capacity, w.stuck_after_minutes,
    w.created_at, w.ends_at, w.ended_at, w.announcement, w.backend,
    (SELECT count(*) FROM workshop_members m WHERE m.workshop_id = w.id)";

fn workshop_from(row: &Row<'_>) -> rusqlite::Result<WorkshopRecord> {
    let labs: String = row.get(3)?;
    Ok(WorkshopRecord {
        id: row.get(0)?,
        code: row.get(1)?,
        title: row.get(2)?,
        labs: labs.split_whitespace().map(str::to_string).collect(),
        capacity: row.get(4)?,
        stuck_after_minutes: row.get(5)?,
        created_at: row.get(6)?,
        ends_at: row.get(7)?,
        ended_at: row.get(8)?,
        announcement: row.get(9)?,
        backend: row.get(10)?,
        members: row.get(11)?,
    })
}

fn member_from(row: &Row<'_>) -> rusqlite::Result<MemberRecord> {
    let learner: String = row.get(0)?;
    let learner = learner.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(MemberRecord {
        learner,
        key: row.get(1)?,
        display_name: row.get(2)?,
        joined_at: row.get(3)?,
    })
}

impl ProgressStore {
    /// A number that changes whenever anything was written (SQLite's `data_version`, as seen
    /// by the reading connection): live views poll it to know when to recompute.
    ///
    /// # Errors
    /// On a database error.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .reader
            .lock()
            .pragma_query_value(None, "data_version", |row| row.get(0))?)
    }

    /// The secret called `name`, made by `generate` the first time it is asked for.
    ///
    /// # Errors
    /// On a database error.
    pub fn server_secret(&self, name: &str, generate: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>> {
        let conn = self.writer.lock();
        conn.execute(
            "INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?1, ?2)",
            params![name, generate()],
        )?;
        Ok(conn.query_row(
            "SELECT value FROM server_secrets WHERE name = ?1",
            params![name],
            |row| row.get(0),
        )?)
    }

    /// Stores a new workshop. Fails on a duplicate id or code (the caller makes another).
    ///
    /// # Errors
    /// On a database error, including a constraint violation.
    pub fn create_workshop(&self, new: &NewWorkshopRecord) -> Result<()> {
        self.writer.lock().execute(
            "INSERT INTO workshops (id, code, title, labs, capacity, stuck_after_minutes, created_at, ends_at, backend)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                new.id,
                new.code,
                new.title,
                new.labs.join(" "),
                new.capacity,
                new.stuck_after_minutes,
                now(),
                new.ends_at,
                new.backend
            ],
        )?;
        Ok(())
    }

    /// Every workshop, newest first.
    ///
    /// # Errors
    /// On a database error.
    pub fn workshops(&self) -> Result<Vec<WorkshopRecord>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {WORKSHOP_COLUMNS} FROM workshops w ORDER BY w.created_at DESC, w.id"
        ))?;
        let rows = statement.query_map([], workshop_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The workshop with this id.
    ///
    /// # Errors
    /// On a database error.
    pub fn workshop(&self, id: &str) -> Result<Option<WorkshopRecord>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {WORKSHOP_COLUMNS} FROM workshops w WHERE w.id = ?1"
        ))?;
        Ok(statement.query_row(params![id], workshop_from).optional()?)
    }

    /// The workshop with this join code.
    ///
    /// # Errors
    /// On a database error.
    pub fn workshop_by_code(&self, code: &str) -> Result<Option<WorkshopRecord>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {WORKSHOP_COLUMNS} FROM workshops w WHERE w.code = ?1"
        ))?;
        Ok(statement
            .query_row(params![code], workshop_from)
            .optional()?)
    }

    /// Joins a learner to a workshop, or renames a returning member. A returning member always
    /// gets back in, even when the workshop has filled up since.
    ///
    /// # Errors
    /// On a database error.
    pub fn join_workshop(
        &self,
        workshop: &str,
        learner: LearnerId,
        key: &str,
        display_name: &str,
    ) -> Result<JoinOutcome> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        ensure_learner_in(&tx, learner)?;
        let returning = tx.execute(
            "UPDATE workshop_members SET display_name = ?3
                 WHERE workshop_id = ?1 AND learner_id = ?2",
            params![workshop, learner.to_string(), display_name],
        )? > 0;
        if !returning {
            let (members, capacity): (u32, u32) = tx.query_row(
                "SELECT (SELECT count(*) FROM workshop_members WHERE workshop_id = ?1), capacity
                 FROM workshops WHERE id = ?1",
                params![workshop],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if members >= capacity {
                return Ok(JoinOutcome::Full);
            }
            tx.execute(
                "INSERT INTO workshop_members (workshop_id, learner_id, key, display_name, joined_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![workshop, learner.to_string(), key, display_name, now()],
            )?;
        }
        let member = tx.query_row(
            "SELECT learner_id, key, display_name, joined_at FROM workshop_members
             WHERE workshop_id = ?1 AND learner_id = ?2",
            params![workshop, learner.to_string()],
            member_from,
        )?;
        tx.commit()?;
        Ok(JoinOutcome::Joined(member))
    }

    /// The members of a workshop, in the order they joined.
    ///
    /// # Errors
    /// On a database error.
    pub fn workshop_members(&self, workshop: &str) -> Result<Vec<MemberRecord>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT learner_id, key, display_name, joined_at FROM workshop_members
             WHERE workshop_id = ?1 ORDER BY joined_at, key",
        )?;
        let rows = statement.query_map(params![workshop], member_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The workshop a learner joined last, with their membership.
    ///
    /// # Errors
    /// On a database error.
    pub fn membership(&self, learner: LearnerId) -> Result<Option<(WorkshopRecord, MemberRecord)>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {WORKSHOP_COLUMNS}, m.learner_id, m.key, m.display_name, m.joined_at
             FROM workshop_members m JOIN workshops w ON w.id = m.workshop_id
             WHERE m.learner_id = ?1 ORDER BY m.joined_at DESC LIMIT 1"
        ))?;
        Ok(statement
            .query_row(params![learner.to_string()], |row| {
                let workshop = workshop_from(row)?;
                let learner: String = row.get(12)?;
                let learner = learner.parse().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        12,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?;
                Ok((
                    workshop,
                    MemberRecord {
                        learner,
                        key: row.get(13)?,
                        display_name: row.get(14)?,
                        joined_at: row.get(15)?,
                    },
                ))
            })
            .optional()?)
    }

    /// Sets or clears the announcement.
    ///
    /// # Errors
    /// On a database error.
    pub fn set_workshop_announcement(&self, workshop: &str, text: Option<&str>) -> Result<()> {
        self.writer.lock().execute(
            "UPDATE workshops SET announcement = ?2 WHERE id = ?1",
            params![workshop, text],
        )?;
        Ok(())
    }

    /// Sets when the workshop ends (Unix milliseconds).
    ///
    /// # Errors
    /// On a database error.
    pub fn set_workshop_end(&self, workshop: &str, ends_at: i64) -> Result<()> {
        self.writer.lock().execute(
            "UPDATE workshops SET ends_at = ?2 WHERE id = ?1",
            params![workshop, ends_at],
        )?;
        Ok(())
    }

    /// Marks the workshop ended (once; the first time is kept).
    ///
    /// # Errors
    /// On a database error.
    pub fn end_workshop(&self, workshop: &str) -> Result<()> {
        self.writer.lock().execute(
            "UPDATE workshops SET ended_at = coalesce(ended_at, ?2) WHERE id = ?1",
            params![workshop, now()],
        )?;
        Ok(())
    }

    /// Every stored task of every member, for the workshop's labs.
    ///
    /// # Errors
    /// On a database error.
    pub fn workshop_tasks(&self, workshop: &WorkshopRecord) -> Result<Vec<MemberTask>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT m.key, t.lab_slug, t.task_id, t.passed, t.first_passed_at, t.last_diagnosis,
                    t.hints_revealed, t.solution_shown, t.updated_at
             FROM workshop_members m JOIN lab_tasks t ON t.learner_id = m.learner_id
             WHERE m.workshop_id = ?1",
        )?;
        let rows = statement.query_map(params![workshop.id], |row| {
            Ok(MemberTask {
                key: row.get(0)?,
                lab: row.get(1)?,
                task: row.get(2)?,
                passed: row.get(3)?,
                first_passed_at: row.get(4)?,
                last_diagnosis: row.get(5)?,
                hints_revealed: row.get(6)?,
                solution_shown: row.get(7)?,
                updated_at: row.get(8)?,
            })
        })?;
        let mut tasks = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        tasks.retain(|t| workshop.labs.contains(&t.lab));
        Ok(tasks)
    }

    /// Per member and lab: the last attempt's time and the number of attempts.
    ///
    /// # Errors
    /// On a database error.
    pub fn workshop_activity(&self, workshop: &WorkshopRecord) -> Result<Vec<MemberActivity>> {
        let conn = self.reader.lock();
        let mut statement = conn.prepare_cached(
            "SELECT m.key, a.lab_slug, max(a.at), count(*)
             FROM workshop_members m JOIN lab_attempts a ON a.learner_id = m.learner_id
             WHERE m.workshop_id = ?1
             GROUP BY m.key, a.lab_slug",
        )?;
        let rows = statement.query_map(params![workshop.id], |row| {
            Ok(MemberActivity {
                key: row.get(0)?,
                lab: row.get(1)?,
                last_at: row.get(2)?,
                attempts: row.get(3)?,
            })
        })?;
        let mut activity = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        activity.retain(|a| workshop.labs.contains(&a.lab));
        Ok(activity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AttemptKind;

    fn workshop(store: &ProgressStore, capacity: u32) -> WorkshopRecord {
        store
            .create_workshop(&NewWorkshopRecord {
                id: "w1".into(),
                code: "ABCD2345".into(),
                title: "Stateful day".into(),
                labs: vec!["02-pods".into(), "07-sets".into()],
                capacity,
                stuck_after_minutes: 10,
                ends_at: 1_000,
                backend: Some("sandbox".into()),
            })
            .expect("create");
        store.workshop("w1").expect("read").expect("exists")
    }

    #[test]
    fn a_workshop_round_trips_and_is_found_by_code() {
        let store = ProgressStore::in_memory().expect("store");
        let w = workshop(&store, 3);
        assert_eq!(w.labs, vec!["02-pods", "07-sets"]);
        assert_eq!(w.backend.as_deref(), Some("sandbox"));
        assert_eq!(w.members, 0);
        assert_eq!(
            store.workshop_by_code("ABCD2345").expect("q"),
            Some(w.clone())
        );
        assert_eq!(store.workshop_by_code("nope").expect("q"), None);
        let dup = NewWorkshopRecord {
            id: "w2".into(),
            code: "ABCD2345".into(),
            title: "t".into(),
            labs: vec![],
            capacity: 1,
            stuck_after_minutes: 10,
            ends_at: 0,
            backend: None,
        };
        assert!(store.create_workshop(&dup).is_err(), "codes are unique");
        store
            .set_workshop_announcement("w1", Some("Break until 11"))
            .expect("announce");
        store.set_workshop_end("w1", 5_000).expect("extend");
        store.end_workshop("w1").expect("end");
        let w = store.workshop("w1").expect("q").expect("exists");
        assert_eq!(w.announcement.as_deref(), Some("Break until 11"));
        assert_eq!(w.ends_at, 5_000);
        assert!(w.ended_at.is_some());
    }

    #[test]
    fn joining_respects_capacity_but_lets_members_back_in() {
        let store = ProgressStore::in_memory().expect("store");
        workshop(&store, 1);
        let (a, b) = (LearnerId::generate(), LearnerId::generate());
        let JoinOutcome::Joined(m) = store.join_workshop("w1", a, "k1", "Ada").expect("join")
        else {
            panic!("first learner gets a seat");
        };
        assert_eq!(m.display_name, "Ada");
        assert_eq!(
            store.join_workshop("w1", b, "k2", "Bob").expect("join"),
            JoinOutcome::Full
        );
        let JoinOutcome::Joined(m) = store
            .join_workshop("w1", a, "k9", "Ada L.")
            .expect("rejoin")
        else {
            panic!("a member gets back in when full");
        };
        assert_eq!((m.key.as_str(), m.display_name.as_str()), ("k1", "Ada L."));
        let (w, member) = store.membership(a).expect("q").expect("member");
        assert_eq!((w.id.as_str(), member.key.as_str()), ("w1", "k1"));
        assert_eq!(store.membership(b).expect("q"), None);
        assert_eq!(store.workshop_members("w1").expect("q").len(), 1);
    }

    #[test]
    fn grid_queries_see_only_the_workshops_labs_and_members() {
        let store = ProgressStore::in_memory().expect("store");
        let w = workshop(&store, 10);
        let (a, outsider) = (LearnerId::generate(), LearnerId::generate());
        store.join_workshop("w1", a, "k1", "Ada").expect("join");
        store
            .record_lab_verdict(a, "02-pods", "t1", true, None)
            .expect("verdict");
        store
            .record_lab_verdict(a, "02-pods", "t2", false, Some("emptyDir"))
            .expect("verdict");
        store
            .record_lab_verdict(a, "99-other", "t1", true, None)
            .expect("other lab");
        store
            .record_lab_verdict(outsider, "02-pods", "t1", true, None)
            .expect("outsider");
        store
            .log_lab_attempt(a, "02-pods", AttemptKind::Action, "insert", "")
            .expect("log");
        let tasks = store.workshop_tasks(&w).expect("tasks");
        assert_eq!(tasks.len(), 2, "{tasks:#?}");
        assert!(tasks.iter().all(|t| t.key == "k1" && t.lab == "02-pods"));
        let failing = tasks.iter().find(|t| t.task == "t2").expect("t2");
        assert_eq!(failing.last_diagnosis.as_deref(), Some("emptyDir"));
        let activity = store.workshop_activity(&w).expect("activity");
        assert_eq!(activity.len(), 1);
        assert_eq!(activity[0].attempts, 3, "two verdicts and an action");
    }

    #[test]
    fn the_data_version_moves_on_every_write() {
        let store = ProgressStore::in_memory().expect("store");
        let before = store.data_version().expect("version");
        assert_eq!(
            store.data_version().expect("version"),
            before,
            "reads change nothing"
        );
        workshop(&store, 1);
        assert_ne!(store.data_version().expect("version"), before);
    }

    #[test]
    fn a_secret_is_made_once_and_kept() {
        let store = ProgressStore::in_memory().expect("store");
        let first = store
            .server_secret("cookies", || vec![1, 2, 3])
            .expect("make");
        let again = store.server_secret("cookies", || vec![9]).expect("keep");
        assert_eq!((first.clone(), again), (vec![1, 2, 3], vec![1, 2, 3]));
    }
}
