//! The server object clients connect to, and their sessions.

use super::error::MysqlError;
use super::lexer::{Kind, Tok, lex};
use super::translate::{self, SessionVars, quote_ident, quote_str};
use crate::ContainerFs;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// MySQL or MariaDB (names, versions and log formats differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Mysql,
    Mariadb,
}

impl Flavor {
    /// What `VERSION()` returns.
    pub fn version(self) -> &'static str {
        match self {
            Flavor::Mysql => "8.4.3",
            Flavor::Mariadb => "11.4.4-MariaDB-ubu2404",
        }
    }

    /// What `@@version_comment` returns.
    pub fn comment(self) -> &'static str {
        match self {
            Flavor::Mysql => "MySQL Community Server - GPL",
            Flavor::Mariadb => "mariadb.org binary distribution",
        }
    }
}

/// A result set in the text protocol: every value a string, NULL as None.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultSet {
    pub columns: Vec<String>,
    /// Per column: right-aligned in tables (numbers).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// What a statement returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryResult {
    Rows(ResultSet),
    Ok {
        affected: u64,
        /// `Records: 3  Duplicates: 0  Warnings: 0` and the like.
        info: Option<String>,
        /// `USE` → the client prints "Database changed".
        db_changed: bool,
    },
}

impl QueryResult {
    fn ok(affected: u64) -> QueryResult {
        QueryResult::Ok {
            affected,
            info: None,
            db_changed: false,
        }
    }
}

struct State {
    system: Connection,
    dbs: HashMap<String, Connection>,
    /// For statements without a current database (`SELECT 1`, `SELECT * FROM shop.t`).
    scratch: Connection,
}

/// A running server over one data directory.
pub struct Server {
    flavor: Flavor,
    hostname: String,
    fs: Arc<ContainerFs>,
    datadir: String,
    state: Mutex<Option<State>>,
    open: AtomicBool,
    next_id: AtomicU64,
    started: std::time::Instant,
    questions: AtomicU64,
    threads: Arc<AtomicU64>,
}

/// Live counters for `mysqladmin status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub uptime_secs: u64,
    pub threads: u64,
    pub questions: u64,
    pub open_tables: u64,
}

/// One client connection.
pub struct Session {
    server: Arc<Server>,
    user: String,
    host: String,
    db: Option<String>,
    id: u64,
    superuser: bool,
}

fn sqlite_err(e: rusqlite::Error) -> MysqlError {
    MysqlError::new(1105, "HY000", e.to_string())
}

/// A hash of a password so the system database does not hold it in clear. Not cryptographic:
/// this is a teaching simulation, the format merely resembles MySQL's.
fn password_hash(password: &str) -> String {
    if password.is_empty() {
        return String::new();
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "kubedojo:".bytes().chain(password.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("*{h:016X}")
}

const SYSTEM_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS user (user TEXT NOT NULL, host TEXT NOT NULL, \
    authentication_string TEXT NOT NULL, super INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (user, host));
    CREATE TABLE IF NOT EXISTS db (user TEXT NOT NULL, host TEXT NOT NULL, db TEXT NOT NULL, PRIMARY KEY (user, host, db));";

fn valid_db_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-')
}

const SYSTEM_DBS: [&str; 4] = ["information_schema", "mysql", "performance_schema", "sys"];

impl Server {
    /// Whether `datadir` already holds a database (what the entrypoint checks).
    pub fn is_initialized(fs: &ContainerFs, datadir: &str) -> bool {
        fs.exists("/", &format!("{datadir}/mysql.ibd"))
    }

    /// `mysqld --initialize`: the system database with `root` (password `root_password`, from
    /// any host) in an empty data dir.
    ///
    /// # Errors
    /// File errors as 1105 / NoSpace.
    pub fn initialize(
        fs: &ContainerFs,
        datadir: &str,
        root_password: &str,
    ) -> Result<(), MysqlError> {
        let io = |e: crate::FsError| MysqlError::new(1105, "HY000", e.to_string());
        fs.mkdir_all("/", datadir).map_err(io)?;
        for d in ["mysql", "performance_schema", "sys"] {
            fs.mkdir_all("/", &format!("{datadir}/{d}")).map_err(io)?;
        }
        let uuid = format!("[auto]\nserver-uuid={}\n", {
            let r: u128 = rand::random();
            let h = format!("{r:032x}");
            format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            )
        });
        fs.write("/", &format!("{datadir}/auto.cnf"), uuid.as_bytes())
            .map_err(io)?;
        let path = fs.host_path(&format!("{datadir}/mysql.ibd")).map_err(io)?;
        let conn = open_sqlite(&path, true)?;
        conn.execute_batch(SYSTEM_SCHEMA).map_err(sqlite_err)?;
        let hash = password_hash(root_password);
        for host in ["localhost", "%"] {
            conn.execute(
                "INSERT OR REPLACE INTO user (user, host, authentication_string, super) VALUES ('root', ?1, ?2, 1)",
                (host, &hash),
            )
            .map_err(sqlite_err)?;
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        fs.charge_external(datadir, size).map_err(io)?;
        Ok(())
    }

    /// Open an initialised data dir.
    ///
    /// # Errors
    /// When the system database cannot be opened.
    pub fn open(
        flavor: Flavor,
        hostname: &str,
        fs: Arc<ContainerFs>,
        datadir: &str,
    ) -> Result<Arc<Server>, MysqlError> {
        let path = fs
            .host_path(&format!("{datadir}/mysql.ibd"))
            .map_err(|e| MysqlError::new(1105, "HY000", e.to_string()))?;
        let system = open_sqlite(&path, false)?;
        system.execute_batch(SYSTEM_SCHEMA).map_err(sqlite_err)?;
        let scratch = Connection::open_in_memory().map_err(sqlite_err)?;
        Ok(Arc::new(Server {
            flavor,
            hostname: hostname.to_string(),
            fs,
            datadir: datadir.trim_end_matches('/').to_string(),
            state: Mutex::new(Some(State {
                system,
                dbs: HashMap::new(),
                scratch,
            })),
            open: AtomicBool::new(true),
            next_id: AtomicU64::new(8),
            started: std::time::Instant::now(),
            questions: AtomicU64::new(0),
            threads: Arc::new(AtomicU64::new(0)),
        }))
    }

    /// The server's flavor.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Uptime, connected sessions, statements run, open database files.
    pub fn status(&self) -> Status {
        let open_tables = self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |st| st.dbs.len() as u64);
        Status {
            uptime_secs: self.started.elapsed().as_secs(),
            threads: self.threads.load(Ordering::SeqCst),
            questions: self.questions.load(Ordering::SeqCst),
            open_tables,
        }
    }

    /// Whether it still accepts queries.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst)
    }

    /// Stop: close every file; sessions get "server has gone away".
    pub fn shutdown(&self) {
        self.open.store(false, Ordering::SeqCst);
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Connect as `user` from `localhost`.
    ///
    /// # Errors
    /// 1045 on a wrong user or password; 1049/1044 for `db`.
    pub fn connect(
        self: &Arc<Self>,
        user: &str,
        password: &str,
        db: Option<&str>,
    ) -> Result<Session, MysqlError> {
        self.connect_from("localhost", user, password, db)
    }

    /// Connect from a client host (a pod IP for remote clients).
    ///
    /// # Errors
    /// As [`Server::connect`].
    pub fn connect_from(
        self: &Arc<Self>,
        host: &str,
        user: &str,
        password: &str,
        db: Option<&str>,
    ) -> Result<Session, MysqlError> {
        if !self.is_open() {
            return Err(MysqlError::new(
                2003,
                "HY000",
                "Can't connect to MySQL server (111)",
            ));
        }
        let hash = password_hash(password);
        let denied = || MysqlError::access_denied(user, host, !password.is_empty());
        let (stored_host, superuser) = self.with_state(|st| {
            let mut stmt = st
                .system
                .prepare("SELECT host, authentication_string, super FROM user WHERE user = ?1")
                .map_err(sqlite_err)?;
            let rows: Vec<(String, String, bool)> = stmt
                .query_map([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(sqlite_err)?
                .filter_map(Result::ok)
                .collect();
            // Prefer the exact host entry, then '%'.
            let entry = rows
                .iter()
                .find(|(h, _, _)| h == host || (h == "localhost" && host == "127.0.0.1"))
                .or_else(|| rows.iter().find(|(h, _, _)| h == "%"));
            match entry {
                Some((h, auth, sup)) if *auth == hash => Ok((h.clone(), *sup)),
                _ => Err(denied()),
            }
        })?;
        self.threads.fetch_add(1, Ordering::SeqCst);
        let mut session = Session {
            server: self.clone(),
            user: user.to_string(),
            host: stored_host,
            db: None,
            id: self.next_id.fetch_add(1, Ordering::SeqCst),
            superuser,
        };
        if let Some(db) = db.filter(|d| !d.is_empty()) {
            session.use_db(db)?;
        }
        Ok(session)
    }

    fn with_state<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, MysqlError>,
    ) -> Result<T, MysqlError> {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_mut() {
            Some(st) => f(st),
            None => Err(MysqlError::gone_away()),
        }
    }

    fn db_dir(&self, db: &str) -> String {
        format!("{}/{db}", self.datadir)
    }

    fn db_file(&self, db: &str) -> Result<PathBuf, MysqlError> {
        self.fs
            .host_path(&format!("{}/{db}/db.sqlite", self.datadir))
            .map_err(|e| MysqlError::new(1105, "HY000", e.to_string()))
    }

    /// User databases on disk (directories with a db.sqlite).
    fn user_dbs(&self) -> Vec<String> {
        self.fs
            .list("/", &self.datadir)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.is_dir && !SYSTEM_DBS.contains(&e.name.as_str()))
            .filter(|e| {
                self.fs
                    .exists("/", &format!("{}/{}/db.sqlite", self.datadir, e.name))
            })
            .map(|e| e.name)
            .collect()
    }

    fn db_exists(&self, db: &str) -> bool {
        valid_db_name(db)
            && !SYSTEM_DBS.contains(&db)
            && self
                .fs
                .exists("/", &format!("{}/{db}/db.sqlite", self.datadir))
    }
}

fn open_sqlite(path: &std::path::Path, create: bool) -> Result<Connection, MysqlError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite_err)?;
    // Each statement commits to the file before it returns (autocommit). No fsync: the simulated
    // pod dies, the host does not, and the OS has the bytes once write() returned.
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON;")
        .map_err(sqlite_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(2))
        .map_err(sqlite_err)?;
    Ok(conn)
}

fn value_string(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

fn rows(columns: &[&str], data: Vec<Vec<Option<String>>>) -> QueryResult {
    QueryResult::Rows(ResultSet {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        numeric: vec![false; columns.len()],
        rows: data,
    })
}

impl Drop for Session {
    fn drop(&mut self) {
        self.server.threads.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Session {
    /// The current database.
    pub fn database(&self) -> Option<&str> {
        self.db.as_deref()
    }

    /// The connection id (shown in the client banner).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The server this session talks to.
    pub fn server(&self) -> &Arc<Server> {
        &self.server
    }

    fn may_use(&self, db: &str) -> Result<bool, MysqlError> {
        if self.superuser {
            return Ok(true);
        }
        self.server.with_state(|st| {
            st.system
                .query_row(
                    "SELECT COUNT(*) FROM db WHERE user = ?1 AND db = ?2",
                    (&self.user, db),
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n > 0)
                .map_err(sqlite_err)
        })
    }

    fn use_db(&mut self, db: &str) -> Result<(), MysqlError> {
        if SYSTEM_DBS.contains(&db) {
            if self.superuser || db != "mysql" {
                self.db = Some(db.to_string());
                return Ok(());
            }
            return Err(MysqlError::db_denied(&self.user, &self.host, db));
        }
        if !self.server.db_exists(db) {
            if !self.superuser && !self.may_use(db)? {
                return Err(MysqlError::db_denied(&self.user, &self.host, db));
            }
            return Err(MysqlError::unknown_db(db));
        }
        if !self.may_use(db)? {
            return Err(MysqlError::db_denied(&self.user, &self.host, db));
        }
        self.db = Some(db.to_string());
        Ok(())
    }

    /// Run one statement (no trailing `;` needed).
    ///
    /// # Errors
    /// MySQL-style errors (1064 syntax, 1049 unknown database, 1146 unknown table, ...).
    pub fn query(&mut self, sql: &str) -> Result<QueryResult, MysqlError> {
        if !self.server.is_open() {
            return Err(MysqlError::lost_connection());
        }
        self.server.questions.fetch_add(1, Ordering::SeqCst);
        let sql = sql.trim().trim_end_matches(';').trim();
        let toks = match lex(sql) {
            Ok(t) => t,
            Err(e) => return Err(MysqlError::syntax(&sql[e.0..])),
        };
        let Some(first) = toks.first() else {
            return Err(MysqlError::new(1065, "42000", "Query was empty"));
        };
        let up = |i: usize| toks.get(i).and_then(Tok::upper).unwrap_or_default();
        let kw0 = up(0);
        let kw1 = up(1);
        match (kw0.as_str(), kw1.as_str()) {
            ("USE", _) => {
                let db = toks
                    .get(1)
                    .and_then(Tok::ident)
                    .ok_or_else(|| MysqlError::syntax(""))?;
                self.use_db(db)?;
                Ok(QueryResult::Ok {
                    affected: 0,
                    info: None,
                    db_changed: true,
                })
            }
            ("CREATE", "DATABASE" | "SCHEMA") => self.create_database(sql, &toks),
            ("DROP", "DATABASE" | "SCHEMA") => self.drop_database(&toks),
            ("SHOW", _) => self.show(sql, &toks),
            ("DESCRIBE" | "DESC" | "EXPLAIN", _) if toks.len() >= 2 && !toks[1].is("SELECT") => {
                let table = toks
                    .last()
                    .and_then(Tok::ident)
                    .unwrap_or_default()
                    .to_string();
                self.describe(&table)
            }
            ("CREATE", "USER")
            | ("DROP", "USER")
            | ("ALTER", "USER")
            | ("GRANT", _)
            | ("REVOKE", _) => self.account_statement(&toks),
            ("FLUSH", _)
            | ("SET", _)
            | ("BEGIN", _)
            | ("START", _)
            | ("COMMIT", _)
            | ("ROLLBACK", _)
            | ("LOCK", _)
            | ("UNLOCK", _)
            | ("ANALYZE", _)
            | ("OPTIMIZE", _) => Ok(QueryResult::ok(0)),
            ("TRUNCATE", _) => {
                let table = toks
                    .last()
                    .and_then(Tok::ident)
                    .unwrap_or_default()
                    .to_string();
                self.run_sqlite(
                    sql,
                    &format!("DELETE FROM {}", quote_ident(&table)),
                    Some(&table),
                )
                .map(|_| QueryResult::ok(0))
            }
            _ => {
                if !matches!(
                    kw0.as_str(),
                    "SELECT"
                        | "INSERT"
                        | "UPDATE"
                        | "DELETE"
                        | "CREATE"
                        | "DROP"
                        | "ALTER"
                        | "REPLACE"
                        | "WITH"
                        | "VALUES"
                ) || matches!(first.kind, Kind::Quoted(_))
                {
                    return Err(MysqlError::syntax(sql));
                }
                self.sql_statement(sql, &toks)
            }
        }
    }

    fn vars(&self) -> (String, String) {
        (
            format!("{}@{}", self.user, self.host),
            self.server.flavor.version().to_string(),
        )
    }

    fn sql_statement(&mut self, sql: &str, toks: &[Tok]) -> Result<QueryResult, MysqlError> {
        let (user, version) = self.vars();
        let vars = SessionVars {
            hostname: &self.server.hostname,
            version: &version,
            version_comment: self.server.flavor.comment(),
            database: self.db.as_deref(),
            user: &user,
            connection_id: self.id,
        };
        // Qualified names: `shop.orders` in the current db is just `orders`; other databases are
        // attached to the connection under their own names.
        let dbs = self.server.user_dbs();
        let mut toks: Vec<Tok> = toks.to_vec();
        let mut attach: BTreeSet<String> = BTreeSet::new();
        let mut i = 0;
        while i + 2 < toks.len() + 1 {
            if i + 1 < toks.len()
                && toks[i + 1].is_punct(".")
                && i + 2 < toks.len()
                && let Some(q) = toks[i].ident().map(str::to_string)
                && (i == 0 || !toks[i - 1].is_punct("."))
                && dbs.contains(&q)
            {
                if !self.may_use(&q)? {
                    return Err(MysqlError::db_denied(&self.user, &self.host, &q));
                }
                if Some(q.as_str()) == self.db.as_deref() {
                    toks.drain(i..i + 2);
                    continue;
                }
                attach.insert(q);
            }
            i += 1;
        }
        let kw0 = toks.first().and_then(Tok::upper).unwrap_or_default();
        let kw1 = toks.get(1).and_then(Tok::upper).unwrap_or_default();
        let text = if kw0 == "CREATE" && (kw1 == "TABLE" || kw1 == "TEMPORARY") {
            translate::create_table(sql, &toks, &vars)?
        } else if kw0 == "INSERT" && kw1 == "IGNORE" {
            let mut t = toks.clone();
            t.remove(1);
            format!(
                "INSERT OR IGNORE {}",
                translate::rewrite(sql, &t[1..], &vars)?
            )
        } else {
            let aliased = translate::alias_select_items(sql, &toks);
            translate::rewrite(sql, &aliased, &vars)?
        };
        let target_table = if matches!(kw0.as_str(), "INSERT" | "REPLACE" | "UPDATE" | "DELETE") {
            toks.iter()
                .skip(1)
                .find(|t| {
                    matches!(t.kind, Kind::Word(_) | Kind::Quoted(_))
                        && !["INTO", "IGNORE", "FROM", "LOW_PRIORITY"]
                            .iter()
                            .any(|k| t.is(k))
                })
                .and_then(Tok::ident)
                .map(str::to_string)
        } else {
            None
        };
        if !attach.is_empty() {
            let paths: Vec<(String, PathBuf)> = attach
                .iter()
                .map(|d| Ok((d.clone(), self.server.db_file(d)?)))
                .collect::<Result<_, MysqlError>>()?;
            self.with_conn(|conn| {
                let attached: Vec<String> = conn
                    .prepare("SELECT name FROM pragma_database_list")
                    .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect())
                    .map_err(sqlite_err)?;
                for (name, path) in &paths {
                    if !attached.contains(name) {
                        conn.execute(
                            &format!(
                                "ATTACH DATABASE {} AS {}",
                                quote_str(&path.to_string_lossy()),
                                quote_ident(name)
                            ),
                            [],
                        )
                        .map_err(sqlite_err)?;
                    }
                }
                Ok(())
            })?;
        }
        let result = self.run_sqlite(sql, &text, target_table.as_deref())?;
        if let QueryResult::Ok { affected, .. } = &result {
            let n = *affected;
            let info = match kw0.as_str() {
                "INSERT" | "REPLACE" if text.matches("),").count() > 0 || n > 1 => {
                    Some(format!("Records: {n}  Duplicates: 0  Warnings: 0"))
                }
                "UPDATE" => Some(format!("Rows matched: {n}  Changed: {n}  Warnings: 0")),
                _ => None,
            };
            let affected = if kw0 == "CREATE" || kw0 == "DROP" || kw0 == "ALTER" {
                0
            } else {
                n
            };
            return Ok(QueryResult::Ok {
                affected,
                info,
                db_changed: false,
            });
        }
        Ok(result)
    }

    fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, MysqlError>,
    ) -> Result<T, MysqlError> {
        let db = self
            .db
            .clone()
            .filter(|d| !SYSTEM_DBS.contains(&d.as_str()));
        let path = match &db {
            Some(d) => Some(self.server.db_file(d)?),
            None => None,
        };
        self.server.with_state(|st| match (&db, path) {
            (Some(d), Some(path)) => {
                if !st.dbs.contains_key(d) {
                    if !path.exists() {
                        return Err(MysqlError::unknown_db(d));
                    }
                    let conn = open_sqlite(&path, false)?;
                    st.dbs.insert(d.clone(), conn);
                }
                match st.dbs.get(d) {
                    Some(conn) => f(conn),
                    None => Err(MysqlError::unknown_db(d)),
                }
            }
            _ => f(&st.scratch),
        })
    }

    fn run_sqlite(
        &self,
        original: &str,
        text: &str,
        table: Option<&str>,
    ) -> Result<QueryResult, MysqlError> {
        let db = self.db.clone();
        let db_file = match db.as_deref() {
            Some(d) if !SYSTEM_DBS.contains(&d) => Some(self.server.db_file(d)?),
            _ => None,
        };
        let before = db_file
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len());
        let result = self.with_conn(|conn| {
            let mut stmt = conn
                .prepare(text)
                .map_err(|e| self.map_error(original, e))?;
            if stmt.column_count() == 0 {
                let n = stmt.execute([]).map_err(|e| self.map_error(original, e))?;
                return Ok(QueryResult::ok(n as u64));
            }
            let columns: Vec<String> = stmt
                .column_names()
                .into_iter()
                .map(str::to_string)
                .collect();
            let ncols = columns.len();
            let mut value_numeric = vec![None::<bool>; ncols];
            let mut out = Vec::new();
            let mut rows = stmt.query([]).map_err(|e| self.map_error(original, e))?;
            while let Some(row) = rows.next().map_err(|e| self.map_error(original, e))? {
                let mut vals = Vec::with_capacity(ncols);
                for (c, numeric) in value_numeric.iter_mut().enumerate() {
                    let v = row.get_ref(c).map_err(sqlite_err)?;
                    if numeric.is_none() && !matches!(v, ValueRef::Null) {
                        *numeric = Some(matches!(v, ValueRef::Integer(_) | ValueRef::Real(_)));
                    }
                    vals.push(value_string(v));
                }
                out.push(vals);
            }
            let numeric = (0..ncols)
                .map(|c| value_numeric[c].unwrap_or(false))
                .collect();
            Ok(QueryResult::Rows(ResultSet {
                columns,
                numeric,
                rows: out,
            }))
        });
        // Charge the growth of the database file to the quota.
        if let Some(p) = db_file {
            let after = std::fs::metadata(&p).map_or(0, |m| m.len());
            if after > before
                && self
                    .server
                    .fs
                    .charge_external(&self.server.datadir, after - before)
                    .is_err()
            {
                let t = table.unwrap_or("?");
                return Err(MysqlError::new(
                    1114,
                    "HY000",
                    format!("The table '{t}' is full"),
                ));
            }
        }
        result
    }

    fn map_error(&self, original: &str, e: rusqlite::Error) -> MysqlError {
        // The bare SQLite message, without rusqlite's "in <sql> at offset N" suffix.
        let msg = match &e {
            rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
            rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
            other => other.to_string(),
        };
        let db = self.db.clone().unwrap_or_default();
        if let Some(t) = msg.strip_prefix("no such table: ") {
            if self.db.is_none() && !t.contains('.') {
                return MysqlError::no_db();
            }
            return match t.split_once('.') {
                Some((d, t)) => MysqlError::no_table(d, t),
                None => MysqlError::no_table(&db, t),
            };
        }
        if let Some(rest) = msg.strip_prefix("table ")
            && let Some(t) = rest.strip_suffix(" already exists")
        {
            let t = t.trim_matches('"').trim_matches('`');
            return MysqlError::new(1050, "42S01", format!("Table '{t}' already exists"));
        }
        if let Some(c) = msg.strip_prefix("no such column: ") {
            return MysqlError::new(
                1054,
                "42S22",
                format!("Unknown column '{c}' in 'field list'"),
            );
        }
        if let Some(c) = msg.strip_prefix("NOT NULL constraint failed: ") {
            let col = c.rsplit('.').next().unwrap_or(c);
            return MysqlError::new(1048, "23000", format!("Column '{col}' cannot be null"));
        }
        if let Some(c) = msg.strip_prefix("UNIQUE constraint failed: ") {
            let key = c.rsplit('.').next().unwrap_or(c);
            return MysqlError::new(1062, "23000", format!("Duplicate entry for key '{key}'"));
        }
        if msg.contains("syntax error") || msg.contains("incomplete input") {
            let near = msg
                .split_once("near \"")
                .and_then(|(_, r)| r.split_once('"'))
                .map(|(n, _)| n.to_string());
            let rest = near
                .and_then(|n| original.find(&n).map(|p| &original[p..]))
                .unwrap_or("");
            return MysqlError::syntax(rest);
        }
        if msg.contains("no such function") {
            let f = msg.rsplit(": ").next().unwrap_or_default();
            return MysqlError::new(1305, "42000", format!("FUNCTION {db}.{f} does not exist"));
        }
        if let Some(t) = msg.strip_prefix("no such table") {
            return MysqlError::new(1051, "42S02", format!("Unknown table '{db}{t}'"));
        }
        sqlite_err(e)
    }

    fn create_database(&mut self, sql: &str, toks: &[Tok]) -> Result<QueryResult, MysqlError> {
        let if_not_exists = toks.get(2).is_some_and(|t| t.is("IF"));
        let idx = if if_not_exists { 5 } else { 2 };
        let Some(name) = toks.get(idx).and_then(Tok::ident) else {
            return Err(MysqlError::syntax(
                toks.get(idx).map_or("", |t| &sql[t.start..]),
            ));
        };
        if !self.superuser {
            return Err(MysqlError::db_denied(&self.user, &self.host, name));
        }
        if !valid_db_name(name) {
            return Err(MysqlError::new(
                1102,
                "42000",
                format!("Incorrect database name '{name}'"),
            ));
        }
        if SYSTEM_DBS.contains(&name) || self.server.db_exists(name) {
            if if_not_exists {
                return Ok(QueryResult::ok(1));
            }
            return Err(MysqlError::new(
                1007,
                "HY000",
                format!("Can't create database '{name}'; database exists"),
            ));
        }
        let fs_err = |e: crate::FsError| match e {
            crate::FsError::ReadOnly(_) => MysqlError::new(
                1290,
                "HY000",
                "The MySQL server is running with the --read-only option so it cannot execute this statement",
            ),
            other => MysqlError::new(3, "HY000", format!("Error writing file '{name}' ({other})")),
        };
        self.server
            .fs
            .mkdir_all("/", &self.server.db_dir(name))
            .map_err(fs_err)?;
        let path = self.server.db_file(name)?;
        let conn = open_sqlite(&path, true)?;
        // Touch the schema so the file exists with a header.
        conn.execute_batch("PRAGMA user_version = 1;")
            .map_err(sqlite_err)?;
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        self.server
            .fs
            .charge_external(&self.server.datadir, size)
            .map_err(fs_err)?;
        let name = name.to_string();
        self.server.with_state(|st| {
            st.dbs.insert(name.clone(), conn);
            Ok(())
        })?;
        Ok(QueryResult::ok(1))
    }

    fn drop_database(&mut self, toks: &[Tok]) -> Result<QueryResult, MysqlError> {
        let if_exists = toks.get(2).is_some_and(|t| t.is("IF"));
        let idx = if if_exists { 4 } else { 2 };
        let Some(name) = toks.get(idx).and_then(Tok::ident).map(str::to_string) else {
            return Err(MysqlError::syntax(""));
        };
        if !self.superuser {
            return Err(MysqlError::db_denied(&self.user, &self.host, &name));
        }
        if !self.server.db_exists(&name) {
            if if_exists {
                return Ok(QueryResult::ok(0));
            }
            return Err(MysqlError::new(
                1008,
                "HY000",
                format!("Can't drop database '{name}'; database doesn't exist"),
            ));
        }
        let tables = {
            let saved = self.db.replace(name.clone());
            let t = self.table_names();
            self.db = saved;
            t.map(|t| t.len()).unwrap_or(0)
        };
        self.server.with_state(|st| {
            st.dbs.remove(&name);
            // Detach it from any connection that attached it.
            for conn in st.dbs.values().chain(std::iter::once(&st.scratch)) {
                let _ = conn.execute(&format!("DETACH DATABASE {}", quote_ident(&name)), []);
            }
            Ok(())
        })?;
        self.server
            .fs
            .remove("/", &self.server.db_dir(&name), true)
            .map_err(|e| {
                MysqlError::new(
                    1010,
                    "HY000",
                    format!("Error dropping database (can't rmdir './{name}/', {e})"),
                )
            })?;
        if self.db.as_deref() == Some(name.as_str()) {
            self.db = None;
        }
        Ok(QueryResult::ok(tables as u64))
    }

    fn table_names(&self) -> Result<Vec<String>, MysqlError> {
        self.with_conn(|conn| {
            let mut stmt = conn
                .prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .map_err(sqlite_err)?;
            let names = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(sqlite_err)?
                .filter_map(Result::ok)
                .collect();
            Ok(names)
        })
    }

    fn show(&mut self, sql: &str, toks: &[Tok]) -> Result<QueryResult, MysqlError> {
        let words: Vec<String> = toks
            .iter()
            .skip(1)
            .map(|t| t.upper().unwrap_or_default())
            .collect();
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or_default();
        let like = toks
            .iter()
            .position(|t| t.is("LIKE"))
            .and_then(|p| toks.get(p + 1))
            .and_then(Tok::name)
            .map(str::to_string);
        let matches_like = |name: &str| like.as_deref().is_none_or(|p| like_match(p, name));
        match (w(0), w(1)) {
            ("DATABASES" | "SCHEMAS", _) => {
                let mut names: Vec<String> = SYSTEM_DBS
                    .iter()
                    .filter(|d| self.superuser || **d != "mysql" && **d != "sys")
                    .map(|d| d.to_string())
                    .collect();
                for d in self.server.user_dbs() {
                    if self.may_use(&d)? {
                        names.push(d);
                    }
                }
                names.sort();
                let data = names
                    .into_iter()
                    .filter(|n| matches_like(n))
                    .map(|n| vec![Some(n)])
                    .collect();
                let header = match &like {
                    Some(p) => format!("Database ({p})"),
                    None => "Database".to_string(),
                };
                Ok(rows(&[&header], data))
            }
            ("TABLES", _) | ("FULL", "TABLES") => {
                let from = toks
                    .iter()
                    .position(|t| t.is("FROM") || t.is("IN"))
                    .and_then(|p| toks.get(p + 1))
                    .and_then(Tok::ident)
                    .map(str::to_string);
                let saved = self.db.clone();
                if let Some(d) = &from {
                    self.use_db(d)?;
                }
                let Some(db) = self.db.clone() else {
                    return Err(MysqlError::no_db());
                };
                let names = if SYSTEM_DBS.contains(&db.as_str()) {
                    Ok(Vec::new())
                } else {
                    self.table_names()
                };
                self.db = saved;
                let data = names?
                    .into_iter()
                    .filter(|n| matches_like(n))
                    .map(|n| vec![Some(n)])
                    .collect();
                Ok(rows(&[&format!("Tables_in_{db}")], data))
            }
            ("COLUMNS" | "FIELDS", _) | ("FULL", "COLUMNS") => {
                let table = toks
                    .iter()
                    .position(|t| t.is("FROM") || t.is("IN"))
                    .and_then(|p| toks.get(p + 1))
                    .and_then(Tok::ident)
                    .unwrap_or_default()
                    .to_string();
                self.describe(&table)
            }
            ("CREATE", "TABLE") => {
                let table = toks
                    .get(3)
                    .and_then(Tok::ident)
                    .unwrap_or_default()
                    .to_string();
                let sql_text: Option<String> = self.with_conn(|conn| {
                    conn.query_row(
                        "SELECT sql FROM sqlite_master WHERE type='table' AND name=?1",
                        [&table],
                        |r| r.get(0),
                    )
                    .map(Some)
                    .or_else(|e| {
                        if matches!(e, rusqlite::Error::QueryReturnedNoRows) {
                            Ok(None)
                        } else {
                            Err(sqlite_err(e))
                        }
                    })
                })?;
                match sql_text {
                    Some(s) => Ok(rows(
                        &["Table", "Create Table"],
                        vec![vec![Some(table), Some(s)]],
                    )),
                    None => Err(MysqlError::no_table(
                        self.db.as_deref().unwrap_or_default(),
                        &table,
                    )),
                }
            }
            ("VARIABLES", _) | ("GLOBAL", "VARIABLES") | ("SESSION", "VARIABLES") => {
                let names = [
                    "hostname",
                    "port",
                    "version",
                    "version_comment",
                    "datadir",
                    "socket",
                    "max_connections",
                    "server_id",
                ];
                let (user, version) = self.vars();
                let vars = SessionVars {
                    hostname: &self.server.hostname,
                    version: &version,
                    version_comment: self.server.flavor.comment(),
                    database: self.db.as_deref(),
                    user: &user,
                    connection_id: self.id,
                };
                let mut data = Vec::new();
                for n in names.iter().filter(|n| matches_like(n)) {
                    let toks = lex(&format!("@@{n}")).map_err(|_| MysqlError::syntax(sql))?;
                    let v = translate::rewrite("", &toks, &vars)?;
                    data.push(vec![
                        Some(n.to_string()),
                        Some(v.trim_matches('\'').to_string()),
                    ]);
                }
                Ok(rows(&["Variable_name", "Value"], data))
            }
            ("GRANTS", _) => {
                let grant = if self.superuser {
                    format!(
                        "GRANT ALL PRIVILEGES ON *.* TO `{}`@`{}` WITH GRANT OPTION",
                        self.user, self.host
                    )
                } else {
                    format!("GRANT USAGE ON *.* TO `{}`@`{}`", self.user, self.host)
                };
                Ok(rows(
                    &[&format!("Grants for {}@{}", self.user, self.host)],
                    vec![vec![Some(grant)]],
                ))
            }
            ("PROCESSLIST", _) | ("FULL", "PROCESSLIST") => Ok(rows(
                &[
                    "Id", "User", "Host", "db", "Command", "Time", "State", "Info",
                ],
                vec![vec![
                    Some(self.id.to_string()),
                    Some(self.user.clone()),
                    Some(self.host.clone()),
                    self.db.clone(),
                    Some("Query".into()),
                    Some("0".into()),
                    Some("init".into()),
                    Some("SHOW PROCESSLIST".into()),
                ]],
            )),
            ("ENGINES", _) => Ok(rows(
                &["Engine", "Support", "Comment"],
                vec![vec![
                    Some("InnoDB".into()),
                    Some("DEFAULT".into()),
                    Some("Supports transactions, row-level locking, and foreign keys".into()),
                ]],
            )),
            _ => Err(MysqlError::syntax(
                &sql[toks.get(1).map_or(sql.len(), |t| t.start)..],
            )),
        }
    }

    fn describe(&self, table: &str) -> Result<QueryResult, MysqlError> {
        let Some(db) = self.db.clone() else {
            return Err(MysqlError::no_db());
        };
        let (info, create_sql) = self.with_conn(|conn| {
            let create: Option<String> = conn
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type='table' AND name=?1",
                    [table],
                    |r| r.get(0),
                )
                .ok();
            let mut stmt = conn
                .prepare(&format!("PRAGMA table_info({})", quote_ident(table)))
                .map_err(sqlite_err)?;
            let info: Vec<(String, String, bool, Option<String>, i64)> = stmt
                .query_map([], |r| {
                    Ok((r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })
                .map_err(sqlite_err)?
                .filter_map(Result::ok)
                .collect();
            Ok((info, create))
        })?;
        let Some(create_sql) = create_sql else {
            return Err(MysqlError::no_table(&db, table));
        };
        let autoinc = create_sql.to_ascii_uppercase().contains("AUTOINCREMENT");
        let data = info
            .into_iter()
            .map(|(name, ty, notnull, dflt, pk)| {
                let mut ty = ty.to_ascii_lowercase();
                if ty == "integer" {
                    ty = "int".into();
                }
                let is_ts_default = dflt
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("CURRENT_TIMESTAMP"));
                let extra = if pk > 0 && autoinc {
                    "auto_increment"
                } else if is_ts_default {
                    "DEFAULT_GENERATED"
                } else {
                    ""
                };
                vec![
                    Some(name),
                    Some(ty),
                    Some(if notnull || pk > 0 { "NO" } else { "YES" }.to_string()),
                    Some(if pk > 0 { "PRI" } else { "" }.to_string()),
                    dflt.map(|d| d.trim_matches('\'').to_string()),
                    Some(extra.to_string()),
                ]
            })
            .collect();
        Ok(rows(
            &["Field", "Type", "Null", "Key", "Default", "Extra"],
            data,
        ))
    }

    fn account_statement(&mut self, toks: &[Tok]) -> Result<QueryResult, MysqlError> {
        if !self.superuser {
            return Err(MysqlError::new(
                1227,
                "42000",
                "Access denied; you need (at least one of) the CREATE USER privilege(s) for this operation",
            ));
        }
        let kw0 = toks[0].upper().unwrap_or_default();
        // The first `'user'@'host'` in the statement.
        let at = toks
            .iter()
            .position(|t| matches!(&t.kind, Kind::Var(_)) || t.is_punct("@"));
        let (user, host) = match at {
            Some(p) if p > 0 => {
                let user = toks[p - 1].name().unwrap_or_default().to_string();
                let host = match &toks[p].kind {
                    Kind::Var(v) => v.trim_start_matches('@').to_string(),
                    _ => toks
                        .get(p + 1)
                        .and_then(Tok::name)
                        .unwrap_or("%")
                        .to_string(),
                };
                (user, if host.is_empty() { "%".into() } else { host })
            }
            _ => {
                let idx = toks
                    .iter()
                    .position(|t| t.is("USER") || t.is("TO"))
                    .map_or(2, |p| p + 1);
                let idx = if toks.get(idx).is_some_and(|t| t.is("IF")) {
                    idx + 2 + usize::from(kw0 == "CREATE")
                } else {
                    idx
                };
                (
                    toks.get(idx)
                        .and_then(Tok::name)
                        .unwrap_or_default()
                        .to_string(),
                    "%".to_string(),
                )
            }
        };
        let password = toks
            .iter()
            .position(|t| t.is("BY"))
            .and_then(|p| toks.get(p + 1))
            .and_then(Tok::name)
            .map(str::to_string);
        let if_not_exists = toks.get(2).is_some_and(|t| t.is("IF"));
        self.server.with_state(|st| {
            let exists: bool = st
                .system
                .query_row("SELECT COUNT(*) FROM user WHERE user=?1 AND host=?2", (&user, &host), |r| r.get::<_, i64>(0))
                .map_err(sqlite_err)?
                > 0;
            match kw0.as_str() {
                "CREATE" => {
                    if exists {
                        if if_not_exists {
                            return Ok(QueryResult::ok(0));
                        }
                        return Err(MysqlError::new(1396, "HY000", format!("Operation CREATE USER failed for '{user}'@'{host}'")));
                    }
                    st.system
                        .execute("INSERT INTO user (user, host, authentication_string, super) VALUES (?1, ?2, ?3, 0)", (&user, &host, password_hash(password.as_deref().unwrap_or(""))))
                        .map_err(sqlite_err)?;
                }
                "ALTER" => {
                    if !exists {
                        return Err(MysqlError::new(1396, "HY000", format!("Operation ALTER USER failed for '{user}'@'{host}'")));
                    }
                    st.system
                        .execute("UPDATE user SET authentication_string=?3 WHERE user=?1 AND host=?2", (&user, &host, password_hash(password.as_deref().unwrap_or(""))))
                        .map_err(sqlite_err)?;
                }
                "DROP" => {
                    if !exists {
                        return Err(MysqlError::new(1396, "HY000", format!("Operation DROP USER failed for '{user}'@'{host}'")));
                    }
                    st.system.execute("DELETE FROM user WHERE user=?1 AND host=?2", (&user, &host)).map_err(sqlite_err)?;
                    st.system.execute("DELETE FROM db WHERE user=?1 AND host=?2", (&user, &host)).map_err(sqlite_err)?;
                }
                "GRANT" | "REVOKE" => {
                    if !exists {
                        return Err(MysqlError::new(1410, "42000", "You are not allowed to create a user with GRANT"));
                    }
                    let on = toks.iter().position(|t| t.is("ON")).and_then(|p| toks.get(p + 1));
                    let target = on.map(|t| match &t.kind {
                        Kind::Punct(p) if p == "*" => "*".to_string(),
                        _ => t.name().unwrap_or_default().to_string(),
                    });
                    match target.as_deref() {
                        Some("*") if kw0 == "GRANT" => {
                            st.system.execute("UPDATE user SET super=1 WHERE user=?1 AND host=?2", (&user, &host)).map_err(sqlite_err)?;
                        }
                        Some("*") => {
                            st.system.execute("UPDATE user SET super=0 WHERE user=?1 AND host=?2", (&user, &host)).map_err(sqlite_err)?;
                        }
                        Some(db) if kw0 == "GRANT" => {
                            st.system.execute("INSERT OR IGNORE INTO db (user, host, db) VALUES (?1, ?2, ?3)", (&user, &host, db)).map_err(sqlite_err)?;
                        }
                        Some(db) => {
                            st.system.execute("DELETE FROM db WHERE user=?1 AND host=?2 AND db=?3", (&user, &host, db)).map_err(sqlite_err)?;
                        }
                        None => return Err(MysqlError::syntax("")),
                    }
                }
                _ => return Err(MysqlError::syntax("")),
            }
            Ok(QueryResult::ok(0))
        })
    }
}

/// SQL LIKE with `%` and `_`, case-insensitive.
fn like_match(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('%') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
            Some('_') => !s.is_empty() && go(&p[1..], &s[1..]),
            Some(c) => s.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(dir: &std::path::Path) -> Arc<Server> {
        let fs = Arc::new(ContainerFs::new(dir, vec![]));
        Server::initialize(&fs, "/var/lib/mysql", "pw").expect("init");
        Server::open(Flavor::Mysql, "mysql-0", fs, "/var/lib/mysql").expect("open")
    }

    fn rows_of(r: QueryResult) -> Vec<Vec<Option<String>>> {
        match r {
            QueryResult::Rows(rs) => rs.rows,
            QueryResult::Ok { .. } => panic!("rows expected"),
        }
    }

    fn cell(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn sql_dialect_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let srv = server(dir.path());
        let mut s = srv.connect("root", "pw", None).expect("connect");
        s.query("CREATE DATABASE IF NOT EXISTS `shop` DEFAULT CHARACTER SET utf8mb4")
            .expect("create db");
        s.query("USE shop").expect("use");
        s.query("CREATE TABLE `orders` (`id` INT NOT NULL AUTO_INCREMENT, `item` VARCHAR(100) NOT NULL, `qty` INT DEFAULT 1, `at` DATETIME DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
            .expect("create table");
        let r = s
            .query("INSERT INTO orders (item, qty) VALUES ('a', 2), (\"b\", 3), ('it\\'s', 1)")
            .expect("insert");
        assert_eq!(
            r,
            QueryResult::Ok {
                affected: 3,
                info: Some("Records: 3  Duplicates: 0  Warnings: 0".into()),
                db_changed: false
            }
        );
        let r = s
            .query("UPDATE orders SET qty = qty + 1 WHERE item = 'a'")
            .expect("update");
        assert!(matches!(r, QueryResult::Ok { affected: 1, .. }));
        assert_eq!(
            rows_of(s.query("SELECT LAST_INSERT_ID()").expect("last id")),
            vec![vec![cell("3")]]
        );
        s.query("DELETE FROM orders WHERE id = 2").expect("delete");
        assert_eq!(
            rows_of(s.query("SELECT COUNT(*) FROM orders").expect("count")),
            vec![vec![cell("2")]]
        );
        assert_eq!(
            rows_of(
                s.query(
                    "SELECT id, item, qty FROM shop.orders WHERE qty > 0 ORDER BY id DESC LIMIT 1"
                )
                .expect("select")
            ),
            vec![vec![cell("3"), cell("it's"), cell("1")]]
        );
        let QueryResult::Rows(rs) = s
            .query("SELECT @@hostname, DATABASE(), VERSION(), NOW() AS now")
            .expect("functions")
        else {
            panic!("rows expected");
        };
        assert_eq!(
            rs.columns,
            vec!["@@hostname", "DATABASE()", "VERSION()", "now"]
        );
        assert_eq!(
            rs.rows[0][..3],
            [cell("mysql-0"), cell("shop"), cell("8.4.3")]
        );
        assert_eq!(
            rs.rows[0][3].as_deref().map(str::len),
            Some(19),
            "YYYY-MM-DD HH:MM:SS"
        );
        assert_eq!(
            rows_of(s.query("SHOW DATABASES").expect("show")),
            [
                "information_schema",
                "mysql",
                "performance_schema",
                "shop",
                "sys"
            ]
            .map(|d| vec![cell(d)])
        );
        assert_eq!(
            rows_of(s.query("SHOW TABLES").expect("tables")),
            vec![vec![cell("orders")]]
        );
        s.query("DROP TABLE orders").expect("drop");
        s.query("DROP DATABASE shop").expect("drop db");
        assert_eq!(s.database(), None);
    }

    #[test]
    fn mysql_style_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let srv = server(dir.path());
        let mut s = srv.connect("root", "pw", None).expect("connect");
        let err = |s: &mut Session, q: &str| s.query(q).expect_err(q).to_string();
        assert_eq!(
            err(&mut s, "USE shop"),
            "ERROR 1049 (42000): Unknown database 'shop'"
        );
        assert_eq!(
            err(&mut s, "SELECT * FROM t"),
            "ERROR 1046 (3D000): No database selected"
        );
        s.query("CREATE DATABASE shop").expect("create");
        assert_eq!(
            err(&mut s, "CREATE DATABASE shop"),
            "ERROR 1007 (HY000): Can't create database 'shop'; database exists"
        );
        assert_eq!(
            err(&mut s, "DROP DATABASE nope"),
            "ERROR 1008 (HY000): Can't drop database 'nope'; database doesn't exist"
        );
        s.query("USE shop").expect("use");
        assert_eq!(
            err(&mut s, "SELECT * FROM orders"),
            "ERROR 1146 (42S02): Table 'shop.orders' doesn't exist"
        );
        assert_eq!(
            err(&mut s, "INSERT INTO orders VALUES (1"),
            "ERROR 1064 (42000): You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '' at line 1"
        );
        assert_eq!(
            err(&mut s, "SELEC * FROM x"),
            "ERROR 1064 (42000): You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near 'SELEC * FROM x' at line 1"
        );
        s.query("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(5) NOT NULL)")
            .expect("create");
        assert_eq!(
            err(&mut s, "CREATE TABLE t (id INT)"),
            "ERROR 1050 (42S01): Table 't' already exists"
        );
        assert_eq!(
            err(&mut s, "SELECT nope FROM t"),
            "ERROR 1054 (42S22): Unknown column 'nope' in 'field list'"
        );
        assert_eq!(
            err(&mut s, "INSERT INTO t (id) VALUES (1)"),
            "ERROR 1048 (23000): Column 'name' cannot be null"
        );
        let denied = srv
            .connect("root", "wrong", None)
            .err()
            .expect("denied")
            .to_string();
        assert_eq!(
            denied,
            "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)"
        );
        let denied = srv
            .connect("nobody", "", None)
            .err()
            .expect("denied")
            .to_string();
        assert_eq!(
            denied,
            "ERROR 1045 (28000): Access denied for user 'nobody'@'localhost' (using password: NO)"
        );
    }

    #[test]
    fn rows_are_in_the_file_when_the_statement_returns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let srv = server(dir.path());
        let mut s = srv.connect("root", "pw", None).expect("connect");
        s.query("CREATE DATABASE shop").expect("create");
        s.query("CREATE TABLE shop.t (v TEXT)").expect("table");
        s.query("INSERT INTO shop.t VALUES ('kept')")
            .expect("insert");
        // A second server on the same files (the first one is still running) sees the row.
        let fs = Arc::new(ContainerFs::new(dir.path(), vec![]));
        let other = Server::open(Flavor::Mysql, "mysql-1", fs, "/var/lib/mysql").expect("open");
        let mut s2 = other.connect("root", "pw", Some("shop")).expect("connect");
        assert_eq!(
            rows_of(s2.query("SELECT v FROM t").expect("select")),
            vec![vec![cell("kept")]]
        );
        srv.shutdown();
        assert_eq!(s.query("SELECT 1").expect_err("gone").code, 2013);
    }

    #[test]
    fn quota_stops_a_growing_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fs =
            Arc::new(ContainerFs::new(dir.path(), vec![]).with_quota(crate::Quota::new(200_000)));
        Server::initialize(&fs, "/var/lib/mysql", "pw").expect("init");
        let srv = Server::open(Flavor::Mysql, "mysql-0", fs, "/var/lib/mysql").expect("open");
        let mut s = srv.connect("root", "pw", None).expect("connect");
        s.query("CREATE DATABASE big").expect("db");
        s.query("CREATE TABLE big.t (v TEXT)").expect("table");
        s.query("USE big").expect("use");
        let blob = "x".repeat(10_000);
        let mut failed = None;
        for _ in 0..100 {
            if let Err(e) = s.query(&format!("INSERT INTO t VALUES ('{blob}')")) {
                failed = Some(e);
                break;
            }
        }
        let e = failed.expect("quota reached");
        assert_eq!(e.to_string(), "ERROR 1114 (HY000): The table 't' is full");
    }
}
