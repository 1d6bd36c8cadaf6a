//! The `mysql`/`mariadb` command-line client, `mysqladmin`, and mariadb's `healthcheck.sh`.

use super::Ctx;
use crate::mysql::format;
use crate::mysql::lexer::{split_statements, split_with_lines};
use crate::mysql::{MysqlError, QueryResult, Session};
use crate::tty::{LineEvent, LineReader};
use crate::{Image, Listener};
use std::net::Ipv4Addr;
use std::time::Instant;

/// Parsed client options (shared by mysql and mysqladmin).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Options {
    pub user: Option<String>,
    /// `Some(None)` = `-p` without a value (prompt).
    pub password: Option<Option<String>>,
    pub host: Option<String>,
    pub port: u16,
    pub database: Option<String>,
    pub execute: Option<String>,
    pub skip_column_names: bool,
    pub silent: u8,
    pub table: bool,
    pub batch: bool,
    pub vertical: bool,
    pub positional: Vec<String>,
    pub version: bool,
    pub unknown: Option<String>,
}

/// Parse the options the real client accepts (the subset lessons use).
pub fn parse_options(argv: &[String]) -> Options {
    let mut o = Options {
        port: 3306,
        ..Options::default()
    };
    let mut i = 1;
    let take = |i: &mut usize| -> Option<String> {
        *i += 1;
        argv.get(*i).cloned()
    };
    while i < argv.len() {
        let a = argv[i].as_str();
        if let Some(long) = a.strip_prefix("--") {
            let (k, v) = match long.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (long, None),
            };
            match k {
                "user" => o.user = v.or_else(|| take(&mut i)),
                "password" => o.password = Some(v),
                "host" => o.host = v.or_else(|| take(&mut i)),
                "port" => {
                    o.port = v
                        .or_else(|| take(&mut i))
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(3306)
                }
                "database" => o.database = v.or_else(|| take(&mut i)),
                "execute" => o.execute = v.or_else(|| take(&mut i)),
                "skip-column-names" => o.skip_column_names = true,
                "silent" => o.silent += 1,
                "table" => o.table = true,
                "batch" => o.batch = true,
                "vertical" => o.vertical = true,
                "version" => o.version = true,
                "protocol" | "socket" | "default-character-set" | "connect-timeout" => {
                    if v.is_none() {
                        take(&mut i);
                    }
                }
                "force" | "no-beep" | "ssl-mode" | "skip-ssl" | "no-defaults" | "raw" | "wait" => {}
                other => o.unknown = Some(format!("--{other}")),
            }
            i += 1;
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                let rest: String = chars[j + 1..].iter().collect();
                let value = |i: &mut usize| {
                    if rest.is_empty() {
                        take(i)
                    } else {
                        Some(rest.clone())
                    }
                };
                match c {
                    'u' => {
                        o.user = value(&mut i);
                        break;
                    }
                    'h' => {
                        o.host = value(&mut i);
                        break;
                    }
                    'P' => {
                        o.port = value(&mut i).and_then(|p| p.parse().ok()).unwrap_or(3306);
                        break;
                    }
                    'D' => {
                        o.database = value(&mut i);
                        break;
                    }
                    'e' => {
                        o.execute = value(&mut i);
                        break;
                    }
                    // -p never takes the next argument: `-p secret` means prompt, database "secret".
                    'p' => {
                        o.password = Some(if rest.is_empty() {
                            None
                        } else {
                            Some(rest.clone())
                        });
                        break;
                    }
                    'N' => o.skip_column_names = true,
                    's' => o.silent += 1,
                    't' => o.table = true,
                    'B' => o.batch = true,
                    'E' => o.vertical = true,
                    'V' => o.version = true,
                    'A' | 'f' | 'n' | 'r' | 'q' | 'w' => {}
                    other => {
                        o.unknown = Some(format!("-{other}"));
                    }
                }
                j += 1;
            }
            i += 1;
            continue;
        }
        o.positional.push(a.to_string());
        i += 1;
    }
    o
}

fn prog(ctx: &Ctx) -> &'static str {
    if ctx.image == Image::Mariadb {
        "mariadb"
    } else {
        "mysql"
    }
}

/// Connect like the real client: no host (or localhost) means the local socket, which here
/// is this pod's own port 3306.
fn connect(ctx: &Ctx, o: &Options, password: &str) -> Result<Session, MysqlError> {
    let host = o.host.clone().unwrap_or_else(|| "localhost".into());
    let local = host == "localhost";
    let ip = if local || host == "127.0.0.1" {
        Ipv4Addr::LOCALHOST
    } else if let Ok(ip) = host.parse::<Ipv4Addr>() {
        ip
    } else {
        match ctx.net.lookup(&host) {
            Ok(l) => match l.addrs.first() {
                Some(ip) => *ip,
                None => {
                    return Err(MysqlError::new(
                        2005,
                        "HY000",
                        format!("Unknown MySQL server host '{host}' (-2)"),
                    ));
                }
            },
            Err(_) => {
                return Err(MysqlError::new(
                    2005,
                    "HY000",
                    format!("Unknown MySQL server host '{host}' (-2)"),
                ));
            }
        }
    };
    let port = if local { 3306 } else { o.port };
    let refused = || {
        if local {
            let sock = if ctx.image == Image::Mariadb {
                "/run/mysqld/mysqld.sock"
            } else {
                "/var/run/mysqld/mysqld.sock"
            };
            MysqlError::new(
                2002,
                "HY000",
                format!("Can't connect to local MySQL server through socket '{sock}' (2)"),
            )
        } else {
            MysqlError::new(
                2003,
                "HY000",
                format!("Can't connect to MySQL server on '{host}:{port}' (111)"),
            )
        }
    };
    let listener = match ctx.net.connect(ip, port) {
        Ok(l) => l,
        Err(crate::ConnectError::TimedOut) => {
            return Err(MysqlError::new(
                2003,
                "HY000",
                format!("Can't connect to MySQL server on '{host}:{port}' (110)"),
            ));
        }
        Err(crate::ConnectError::Refused) => return Err(refused()),
    };
    let Listener::Mysql(server) = listener else {
        return Err(MysqlError::new(
            2013,
            "HY000",
            "Lost connection to MySQL server at 'reading initial communication packet', system error: 0",
        ));
    };
    if !server.is_open() {
        return Err(refused());
    }
    let user = o.user.clone().unwrap_or_else(|| "root".into());
    let client_host = if local || ip.is_loopback() {
        "localhost".to_string()
    } else {
        pod_ip(ctx)
    };
    let db = o.database.clone().or_else(|| o.positional.first().cloned());
    server.connect_from(&client_host, &user, password, db.as_deref())
}

fn pod_ip(ctx: &Ctx) -> String {
    ctx.net
        .lookup(&ctx.hostname)
        .ok()
        .and_then(|l| l.addrs.first().map(ToString::to_string))
        .unwrap_or_else(|| "10.244.0.1".into())
}

async fn password(ctx: &Ctx, o: &Options) -> String {
    match &o.password {
        Some(Some(p)) => {
            ctx.err(&format!(
                "{}: [Warning] Using a password on the command line interface can be insecure.\n",
                if ctx.image == Image::Mariadb {
                    "mariadb"
                } else {
                    "mysql"
                }
            ))
            .await;
            p.clone()
        }
        Some(None) => {
            let mut r = LineReader::new(ctx.stdin.clone(), ctx.stdout.clone(), ctx.tty);
            if !ctx.tty {
                ctx.err("Enter password: ").await;
            }
            let p = match r.read_secret("Enter password: ").await {
                LineEvent::Line(l) => l,
                _ => String::new(),
            };
            if ctx.tty {
                ctx.stdout.raw(b"\r\n").await;
            }
            p
        }
        None => ctx.getenv("MYSQL_PWD").unwrap_or_default().to_string(),
    }
}

/// The output mode.
#[derive(Clone, Copy)]
struct Mode {
    table: bool,
    header: bool,
    interactive: bool,
    vertical: bool,
}

fn render(result: &QueryResult, mode: Mode, secs: f64) -> String {
    match result {
        QueryResult::Rows(rs) => {
            let mut out = String::new();
            if mode.vertical {
                let w = rs
                    .columns
                    .iter()
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0);
                for (n, row) in rs.rows.iter().enumerate() {
                    out.push_str(&format!(
                        "{} {}. row {}\n",
                        "*".repeat(27),
                        n + 1,
                        "*".repeat(27)
                    ));
                    for (c, v) in rs.columns.iter().zip(row) {
                        out.push_str(&format!("{c:>w$}: {}\n", v.as_deref().unwrap_or("NULL")));
                    }
                }
            } else if mode.table {
                if (!rs.rows.is_empty() || !mode.interactive) && !rs.rows.is_empty() {
                    out.push_str(&format::table(rs, mode.header));
                }
            } else if !rs.rows.is_empty() {
                out.push_str(&format::batch(rs, mode.header));
            }
            if mode.interactive {
                out.push_str(&format::rows_summary(rs.rows.len(), secs));
                out.push_str("\n\n");
            }
            out
        }
        QueryResult::Ok {
            affected,
            info,
            db_changed,
        } => {
            if !mode.interactive {
                return String::new();
            }
            if *db_changed {
                return "Database changed\n".into();
            }
            let mut out = format::ok_summary(*affected, secs);
            out.push('\n');
            if let Some(i) = info {
                out.push_str(i);
                out.push('\n');
            }
            out.push('\n');
            out
        }
    }
}

/// `mysql` / `mariadb`.
pub async fn main(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let o = parse_options(argv);
    let name = prog(ctx);
    if o.version {
        let v = if ctx.image == Image::Mariadb {
            "mariadb from 11.4.4-MariaDB, client 15.2 for debian-linux-gnu (x86_64) using  EditLine wrapper\n"
        } else {
            "mysql  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)\n"
        };
        ctx.out(v).await;
        return 0;
    }
    if let Some(u) = &o.unknown {
        ctx.err(&format!("{name}: [ERROR] {name}: unknown option '{u}'.\n"))
            .await;
        return 7;
    }
    let pw = password(ctx, &o).await;
    let mut session = match connect(ctx, &o, &pw) {
        Ok(s) => s,
        Err(e) => {
            ctx.err(&format!("{e}\n")).await;
            return 1;
        }
    };
    // Interactive only with a terminal and no -e.
    let interactive = o.execute.is_none() && ctx.tty;
    let mode = Mode {
        table: (ctx.tty || o.table) && !o.batch && o.silent == 0,
        header: !o.skip_column_names && o.silent < 2,
        interactive,
        vertical: o.vertical,
    };
    if let Some(script) = &o.execute {
        return run_script(ctx, &mut session, script, mode).await;
    }
    if !interactive {
        let input = ctx.stdin.read_all().await;
        return run_script(ctx, &mut session, &String::from_utf8_lossy(&input), mode).await;
    }
    repl(ctx, &mut session, mode).await
}

async fn run_script(ctx: &Ctx, session: &mut Session, script: &str, mode: Mode) -> i32 {
    for (line, stmt) in split_with_lines(script) {
        let start = Instant::now();
        match session.query(&stmt) {
            Ok(r) => {
                ctx.out(&render(&r, mode, start.elapsed().as_secs_f64()))
                    .await
            }
            Err(e) => {
                let at = if mode.interactive {
                    String::new()
                } else {
                    format!(" at line {line}")
                };
                let text = e.to_string();
                // `ERROR 1049 (42000) at line 1: Unknown database 'x'` in batch mode.
                let text = match text.split_once("): ") {
                    Some((head, msg)) if !at.is_empty() => format!("{head}){at}: {msg}"),
                    _ => text,
                };
                ctx.err(&format!("{text}\n")).await;
                return 1;
            }
        }
    }
    0
}

async fn repl(ctx: &Ctx, session: &mut Session, mode: Mode) -> i32 {
    let server = session.server().clone();
    let (monitor, version_line, copyright) = match server.flavor() {
        crate::mysql::Flavor::Mysql => (
            "Welcome to the MySQL monitor.  Commands end with ; or \\g.",
            "Server version: 8.4.3 MySQL Community Server - GPL",
            "Copyright (c) 2000, 2024, Oracle and/or its affiliates.\n\nOracle is a registered trademark of Oracle Corporation and/or its\naffiliates. Other names may be trademarks of their respective\nowners.\n",
        ),
        crate::mysql::Flavor::Mariadb => (
            "Welcome to the MariaDB monitor.  Commands end with ; or \\g.",
            "Server version: 11.4.4-MariaDB-ubu2404 mariadb.org binary distribution",
            "Copyright (c) 2000, 2018, Oracle, MariaDB Corporation Ab and others.\n",
        ),
    };
    ctx.out(&format!(
        "{monitor}\nYour MySQL connection id is {}\n{version_line}\n\n{copyright}\nType 'help;' or '\\h' for help. Type '\\c' to clear the current input statement.\n\n",
        session.id()
    ))
    .await;
    let prompt_name = if server.flavor() == crate::mysql::Flavor::Mariadb {
        format!("MariaDB [{}]> ", session.database().unwrap_or("(none)"))
    } else {
        "mysql> ".to_string()
    };
    let mut reader = LineReader::new(ctx.stdin.clone(), ctx.stdout.clone(), ctx.tty);
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.trim().is_empty() {
            if server.flavor() == crate::mysql::Flavor::Mariadb {
                format!("MariaDB [{}]> ", session.database().unwrap_or("(none)"))
            } else {
                prompt_name.clone()
            }
        } else {
            "    -> ".to_string()
        };
        match reader.read_line(&prompt).await {
            LineEvent::Eof => {
                ctx.out("Bye\n").await;
                return 0;
            }
            LineEvent::Interrupt => {
                buffer.clear();
            }
            LineEvent::Line(line) => {
                let trimmed = line.trim();
                if buffer.trim().is_empty() {
                    let cmd = trimmed.trim_end_matches(';').to_ascii_lowercase();
                    if cmd == "exit" || cmd == "quit" || cmd == "\\q" {
                        ctx.out("Bye\n").await;
                        return 0;
                    }
                    if cmd.is_empty() {
                        continue;
                    }
                }
                if trimmed.ends_with("\\c") {
                    buffer.clear();
                    continue;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                let vertical = buffer.trim_end().ends_with("\\G");
                if !buffer.trim_end().ends_with(';') && !vertical {
                    continue;
                }
                let text = std::mem::take(&mut buffer);
                let text = text.trim_end().trim_end_matches("\\G");
                for stmt in split_statements(text) {
                    let start = Instant::now();
                    match session.query(&stmt) {
                        Ok(r) => {
                            let m = Mode {
                                vertical: vertical || mode.vertical,
                                ..mode
                            };
                            ctx.out(&render(&r, m, start.elapsed().as_secs_f64())).await;
                        }
                        Err(e) => {
                            ctx.out(&format!("{e}\n")).await;
                            if e.code == 2013 || e.code == 2006 {
                                ctx.out("No connection. Trying to reconnect...\nERROR 2002 (HY000): Can't connect to local MySQL server through socket '/var/run/mysqld/mysqld.sock' (2)\nERROR: \nCan't connect to the server\n\n").await;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `mysqladmin [options] ping|status|version|create db|drop db`.
pub async fn admin(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let o = parse_options(argv);
    let name = super::basename(&argv[0]).to_string();
    let pw = password(ctx, &o).await;
    let command = o.positional.first().cloned().unwrap_or_default();
    let mut no_db = o.clone();
    no_db.positional.clear();
    if command.is_empty() {
        ctx.out(&format!("{name}  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)\nUsage: {name} [OPTIONS] command command....\n")).await;
        return 1;
    }
    let session = connect(ctx, &no_db, &pw);
    match command.as_str() {
        "ping" => match session {
            Ok(_) => {
                ctx.out("mysqld is alive\n").await;
                0
            }
            // Access denied still proves the server is up: the real ping exits 0 then too.
            Err(e) if e.code == 1045 => {
                ctx.err(&format!(
                    "{name}: connect to server at '{}' failed\nerror: '{}'\n",
                    o.host.as_deref().unwrap_or("localhost"),
                    e.message
                ))
                .await;
                ctx.out("mysqld is alive\n").await;
                0
            }
            Err(e) => {
                ctx.err(&format!("{name}: connect to server at '{}' failed\nerror: '{}'\nCheck that mysqld is running and that the socket: '/var/run/mysqld/mysqld.sock' exists!\n", o.host.as_deref().unwrap_or("localhost"), e.message)).await;
                1
            }
        },
        "status" | "version" => match session {
            Ok(s) => {
                let text = if command == "status" {
                    let st = s.server().status();
                    let qps = st.questions as f64 / st.uptime_secs.max(1) as f64;
                    format!(
                        "Uptime: {}  Threads: {}  Questions: {}  Slow queries: 0  Opens: {}  Flush tables: 3  Open tables: {}  Queries per second avg: {qps:.3}\n",
                        st.uptime_secs.max(1),
                        st.threads,
                        st.questions,
                        st.open_tables,
                        st.open_tables
                    )
                } else {
                    format!(
                        "{name}  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)\n\nServer version\t\t{}\nProtocol version\t10\nConnection\t\tLocalhost via UNIX socket\nUNIX socket\t\t/var/run/mysqld/mysqld.sock\n",
                        s.server().flavor().version()
                    )
                };
                ctx.out(&text).await;
                0
            }
            Err(e) => {
                ctx.err(&format!(
                    "{name}: connect to server at '{}' failed\nerror: '{}'\n",
                    o.host.as_deref().unwrap_or("localhost"),
                    e.message
                ))
                .await;
                1
            }
        },
        "create" | "drop" => {
            let Some(db) = o.positional.get(1) else {
                ctx.err(&format!("{name}: Too few arguments to {command}\n"))
                    .await;
                return 1;
            };
            match session {
                Ok(mut s) => {
                    let sql = if command == "create" {
                        format!("CREATE DATABASE `{db}`")
                    } else {
                        format!("DROP DATABASE `{db}`")
                    };
                    match s.query(&sql) {
                        Ok(_) => 0,
                        Err(e) => {
                            ctx.err(&format!(
                                "{name}: {command} of '{db}' failed\nerror: '{}'\n",
                                e.message
                            ))
                            .await;
                            1
                        }
                    }
                }
                Err(e) => {
                    ctx.err(&format!(
                        "{name}: connect to server at '{}' failed\nerror: '{}'\n",
                        o.host.as_deref().unwrap_or("localhost"),
                        e.message
                    ))
                    .await;
                    1
                }
            }
        }
        other => {
            ctx.err(&format!("{name}: Unknown command: '{other}'\n"))
                .await;
            1
        }
    }
}

/// mariadb's `healthcheck.sh --connect --innodb_initialized`: exit 0 when the server answers.
pub async fn healthcheck(ctx: &mut Ctx, _argv: &[String]) -> i32 {
    let o = Options {
        port: 3306,
        ..Options::default()
    };
    match connect(ctx, &o, "") {
        Ok(_) => 0,
        Err(e) if e.code == 1045 => 0,
        Err(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_client_options_like_mysql() {
        let o = parse_options(&args(&[
            "mysql",
            "-uroot",
            "-pchange-me",
            "-h",
            "mysql-0.mysql",
            "-e",
            "SELECT 1",
            "-N",
            "shop",
        ]));
        assert_eq!(o.user.as_deref(), Some("root"));
        assert_eq!(o.password, Some(Some("change-me".into())));
        assert_eq!(o.host.as_deref(), Some("mysql-0.mysql"));
        assert_eq!(o.execute.as_deref(), Some("SELECT 1"));
        assert!(o.skip_column_names);
        assert_eq!(o.positional, vec!["shop"]);
        let o = parse_options(&args(&[
            "mysql",
            "--user=app",
            "--password=x",
            "--host=db",
            "-P",
            "3307",
            "-p",
            "-D",
            "shop",
            "-sN",
        ]));
        assert_eq!(o.user.as_deref(), Some("app"));
        assert_eq!(o.password, Some(None));
        assert_eq!(o.port, 3307);
        assert_eq!(o.database.as_deref(), Some("shop"));
        assert_eq!(o.silent, 1);
        assert!(o.skip_column_names);
    }
}
