//! The official mysql/mariadb image entrypoint and server: first-run initialisation of the data
//! dir from the environment, then serving on port 3306 until SIGTERM.

use super::Ctx;
use crate::mysql::{Flavor, Server};
use crate::{Image, Listener, Signal};
use chrono::Utc;
use std::time::Duration;

const DATADIR: &str = "/var/lib/mysql";

struct Log<'a> {
    ctx: &'a Ctx,
    flavor: Flavor,
}

impl Log<'_> {
    /// `2024-11-26 10:00:00+00:00 [Note] [Entrypoint]: ...` (the entrypoint's own format).
    async fn entry(&self, level: &str, text: &str) {
        let ts = Utc::now().format("%Y-%m-%d %H:%M:%S+00:00");
        self.ctx
            .err(&format!("{ts} [{level}] [Entrypoint]: {text}\n"))
            .await;
    }

    /// A server log line.
    async fn server(&self, thread: u32, level: &str, code: &str, subsystem: &str, text: &str) {
        match self.flavor {
            Flavor::Mysql => {
                let ts = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ");
                self.ctx
                    .err(&format!(
                        "{ts} {thread} [{level}] [{code}] [{subsystem}] {text}\n"
                    ))
                    .await;
            }
            Flavor::Mariadb => {
                let ts = Utc::now().format("%Y-%m-%d %H:%M:%S");
                let level = if level == "System" { "Note" } else { level };
                self.ctx
                    .err(&format!("{ts} {thread} [{level}] {text}\n"))
                    .await;
            }
        }
    }
}

fn env<'a>(ctx: &'a Ctx, flavor: Flavor, name: &str) -> Option<&'a str> {
    // MariaDB reads MARIADB_* first and falls back to MYSQL_*.
    if flavor == Flavor::Mariadb
        && let Some(v) = ctx.getenv(&format!("MARIADB_{name}"))
    {
        return Some(v);
    }
    ctx.getenv(&format!("MYSQL_{name}"))
}

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789,.+-:;";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// Optional start-up delay (lifelike pace): `KUBEDOJO_MYSQLD_STARTUP_MS` in the container env.
fn startup_delay(ctx: &Ctx) -> Option<Duration> {
    ctx.getenv("KUBEDOJO_MYSQLD_STARTUP_MS")
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
}

/// `docker-entrypoint.sh mysqld`, `mysqld`, `mariadbd`.
pub async fn main(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let flavor = if ctx.image == Image::Mariadb {
        Flavor::Mariadb
    } else {
        Flavor::Mysql
    };
    let via_entrypoint = argv
        .first()
        .is_some_and(|a| super::basename(a) == "docker-entrypoint.sh");
    // `docker-entrypoint.sh <other program>` just execs it.
    if via_entrypoint {
        let rest = &argv[1..];
        match rest.first().map(|a| super::basename(a)) {
            None => return 0,
            Some("mysqld" | "mariadbd") => {}
            Some(a) if a.starts_with('-') => {}
            Some(other) => {
                if !super::exists(ctx.image, other) {
                    ctx.err(&format!(
                        "/usr/local/bin/docker-entrypoint.sh: line 437: exec: {other}: not found\n"
                    ))
                    .await;
                    return 127;
                }
                return super::run(ctx, rest).await;
            }
        }
    }
    if argv.iter().any(|a| a == "--version" || a == "-V") {
        let v = match flavor {
            Flavor::Mysql => {
                "/usr/sbin/mysqld  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)\n"
            }
            Flavor::Mariadb => {
                "mariadbd  Ver 11.4.4-MariaDB-ubu2404 for debian-linux-gnu on x86_64 (mariadb.org binary distribution)\n"
            }
        };
        ctx.out(v).await;
        return 0;
    }
    let log = Log { ctx, flavor };
    if via_entrypoint {
        let script = match flavor {
            Flavor::Mysql => "Entrypoint script for MySQL Server 8.4.3-1.el9 started.",
            Flavor::Mariadb => {
                "Entrypoint script for MariaDB Server 1:11.4.4+maria~ubu2404 started."
            }
        };
        log.entry("Note", script).await;
        log.entry("Note", "Switching to dedicated user 'mysql'")
            .await;
        log.entry("Note", script).await;
    }
    if ctx.fs.is_read_only(DATADIR) {
        log.server(
            0,
            "ERROR",
            "MY-010273",
            "Server",
            "Could not create unix socket lock file /var/lib/mysql/mysql.sock.lock.",
        )
        .await;
        log.server(0, "ERROR", "MY-010119", "Server", "Aborting")
            .await;
        return 1;
    }
    let initialized = Server::is_initialized(&ctx.fs, DATADIR);
    if via_entrypoint && !initialized {
        let root = env(ctx, flavor, "ROOT_PASSWORD")
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let allow_empty = env(ctx, flavor, "ALLOW_EMPTY_PASSWORD")
            .filter(|v| !v.is_empty())
            .is_some()
            || (flavor == Flavor::Mariadb
                && ctx
                    .getenv("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD")
                    .filter(|v| !v.is_empty())
                    .is_some());
        let random = env(ctx, flavor, "RANDOM_ROOT_PASSWORD")
            .filter(|v| !v.is_empty())
            .is_some();
        if root.is_none() && !allow_empty && !random {
            match flavor {
                Flavor::Mysql => {
                    log.entry("ERROR", "Database is uninitialized and password option is not specified\n    You need to specify one of the following as an environment variable:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD").await;
                }
                Flavor::Mariadb => {
                    log.entry("ERROR", "Database is uninitialized and password option is not specified\n\tYou need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD").await;
                }
            }
            return 1;
        }
        if let Some(d) = startup_delay(ctx) {
            tokio::time::sleep(d).await;
        }
        let root_password = if random {
            random_password()
        } else {
            root.unwrap_or_default()
        };
        if let Err(code) = initialize(&log, &root_password, random, allow_empty && !random).await {
            return code;
        }
    } else if !initialized {
        // mysqld run directly on an empty dir (no entrypoint): the real server refuses.
        log.server(0, "ERROR", "MY-013236", "Server", "The designated data directory /var/lib/mysql/ is unusable. You can remove all files that the server added to it.").await;
        log.server(0, "ERROR", "MY-010119", "Server", "Aborting")
            .await;
        return 1;
    } else if let Some(d) = startup_delay(ctx) {
        tokio::time::sleep(d).await;
    }
    serve(ctx, flavor).await
}

async fn initialize(
    log: &Log<'_>,
    root_password: &str,
    random: bool,
    empty: bool,
) -> Result<(), i32> {
    let ctx = log.ctx;
    let flavor = log.flavor;
    log.entry("Note", "Initializing database files").await;
    if flavor == Flavor::Mysql {
        log.server(
            0,
            "System",
            "MY-015017",
            "Server",
            "MySQL Server Initialization - start.",
        )
        .await;
        log.server(
            0,
            "System",
            "MY-013169",
            "Server",
            "/usr/sbin/mysqld (mysqld 8.4.3) initializing of server in progress as process 80",
        )
        .await;
        log.server(
            1,
            "System",
            "MY-013576",
            "InnoDB",
            "InnoDB initialization has started.",
        )
        .await;
        log.server(
            1,
            "System",
            "MY-013577",
            "InnoDB",
            "InnoDB initialization has ended.",
        )
        .await;
        log.server(6, "Warning", "MY-010453", "Server", "root@localhost is created with an empty password ! Please consider switching off the --initialize-insecure option.").await;
        log.server(
            0,
            "System",
            "MY-015018",
            "Server",
            "MySQL Server Initialization - end.",
        )
        .await;
    }
    if let Err(e) = Server::initialize(&ctx.fs, DATADIR, root_password) {
        log.server(0, "ERROR", "MY-000000", "Server", &e.message)
            .await;
        return Err(1);
    }
    log.entry("Note", "Database files initialized").await;
    log.entry("Note", "Starting temporary server").await;
    log.entry("Note", "Temporary server started.").await;
    if flavor == Flavor::Mysql {
        ctx.out("'/var/lib/mysql/mysql.sock' -> '/var/run/mysqld/mysqld.sock'\n")
            .await;
    }
    let server = match Server::open(flavor, &ctx.hostname, ctx.fs.clone(), DATADIR) {
        Ok(s) => s,
        Err(e) => {
            log.server(0, "ERROR", "MY-000000", "Server", &e.message)
                .await;
            return Err(1);
        }
    };
    if random {
        ctx.out(&format!("GENERATED ROOT PASSWORD: {root_password}\n"))
            .await;
    }
    let _ = empty;
    let mut session = match server.connect("root", root_password, None) {
        Ok(s) => s,
        Err(e) => {
            log.server(0, "ERROR", "MY-000000", "Server", &e.message)
                .await;
            return Err(1);
        }
    };
    let database = env(ctx, flavor, "DATABASE")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    if let Some(db) = &database {
        log.entry("Note", &format!("Creating database {db}")).await;
        if let Err(e) = session.query(&format!("CREATE DATABASE IF NOT EXISTS `{db}`")) {
            ctx.err(&format!("{e}\n")).await;
            return Err(1);
        }
    }
    let user = env(ctx, flavor, "USER")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let password = env(ctx, flavor, "PASSWORD").unwrap_or_default().to_string();
    if let Some(user) = &user {
        if user == "root" {
            log.entry("ERROR", "MYSQL_USER=\"root\", MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user\n    Remove MYSQL_USER=\"root\" and use one of the following to control the root user password:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD").await;
            return Err(1);
        }
        if password.is_empty() && flavor == Flavor::Mysql {
            log.entry(
                "Warn",
                "MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created",
            )
            .await;
        } else {
            log.entry("Note", &format!("Creating user {user}")).await;
            let esc = password.replace('\'', "''");
            if let Err(e) =
                session.query(&format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{esc}'"))
            {
                ctx.err(&format!("{e}\n")).await;
                return Err(1);
            }
            if let Some(db) = &database {
                log.entry("Note", &format!("Giving user {user} access to schema {db}"))
                    .await;
                let _ = session.query(&format!("GRANT ALL ON `{db}`.* TO '{user}'@'%'"));
            }
        }
    }
    // /docker-entrypoint-initdb.d/*.sql scripts run once, as root, on the new database.
    if let Ok(entries) = ctx.fs.list("/", "/docker-entrypoint-initdb.d") {
        for e in entries.iter().filter(|e| e.name.ends_with(".sql")) {
            log.entry(
                "Note",
                &format!(
                    "/usr/local/bin/docker-entrypoint.sh: running /docker-entrypoint-initdb.d/{}",
                    e.name
                ),
            )
            .await;
            let text = ctx
                .fs
                .read_string("/", &format!("/docker-entrypoint-initdb.d/{}", e.name))
                .unwrap_or_default();
            if let Some(db) = &database {
                let _ = session.query(&format!("USE `{db}`"));
            }
            for stmt in crate::mysql::lexer::split_statements(&text) {
                if let Err(err) = session.query(&stmt) {
                    ctx.err(&format!("{err}\n")).await;
                    return Err(1);
                }
            }
        }
    }
    server.shutdown();
    log.entry("Note", "Stopping temporary server").await;
    log.entry("Note", "Temporary server stopped").await;
    ctx.err("\n").await;
    log.entry(
        "Note",
        match flavor {
            Flavor::Mysql => "MySQL init process done. Ready for start up.",
            Flavor::Mariadb => "MariaDB init process done. Ready for start up.",
        },
    )
    .await;
    ctx.err("\n").await;
    Ok(())
}

async fn serve(ctx: &mut Ctx, flavor: Flavor) -> i32 {
    let log = Log { ctx, flavor };
    match flavor {
        Flavor::Mysql => {
            log.server(0, "System", "MY-015015", "Server", "MySQL Server - start.")
                .await;
            log.server(
                0,
                "System",
                "MY-010116",
                "Server",
                "/usr/sbin/mysqld (mysqld 8.4.3) starting as process 1",
            )
            .await;
            log.server(
                1,
                "System",
                "MY-013576",
                "InnoDB",
                "InnoDB initialization has started.",
            )
            .await;
            log.server(
                1,
                "System",
                "MY-013577",
                "InnoDB",
                "InnoDB initialization has ended.",
            )
            .await;
            log.server(
                0,
                "Warning",
                "MY-010068",
                "Server",
                "CA certificate ca.pem is self signed.",
            )
            .await;
            log.server(0, "System", "MY-013602", "Server", "Channel mysql_main configured to support TLS. Encrypted connections are now supported for this channel.").await;
        }
        Flavor::Mariadb => {
            log.server(0, "Note", "", "", "Starting MariaDB 11.4.4-MariaDB-ubu2404 source revision 0c0b2ef8c5d2e31ec0e6c3e7c6e8a9f1d2b3c4d5 server_uid 3Yy0qdJkq2b7Vj4mfxTqIzB3lGc= as process 1").await;
            log.server(
                0,
                "Note",
                "",
                "",
                "InnoDB: Completed initialization of buffer pool",
            )
            .await;
            log.server(
                0,
                "Note",
                "",
                "",
                "InnoDB: log sequence number 47629; transaction id 14",
            )
            .await;
        }
    }
    let server = match Server::open(flavor, &ctx.hostname, ctx.fs.clone(), DATADIR) {
        Ok(s) => s,
        Err(e) => {
            log.server(
                0,
                "ERROR",
                "MY-012574",
                "InnoDB",
                &format!("Unable to open the system tablespace: {}", e.message),
            )
            .await;
            log.server(0, "ERROR", "MY-010119", "Server", "Aborting")
                .await;
            return 1;
        }
    };
    let guard = match ctx.net.listen(3306, Listener::Mysql(server.clone())) {
        Ok(g) => g,
        Err(_) => {
            log.server(
                0,
                "ERROR",
                "MY-010262",
                "Server",
                "Can't start server: Bind on TCP/IP port: Address already in use",
            )
            .await;
            log.server(
                0,
                "ERROR",
                "MY-010257",
                "Server",
                "Do you already have another mysqld server running on port: 3306 ?",
            )
            .await;
            log.server(0, "ERROR", "MY-010119", "Server", "Aborting")
                .await;
            server.shutdown();
            return 1;
        }
    };
    match flavor {
        Flavor::Mysql => {
            log.server(0, "System", "MY-011323", "Server", "X Plugin ready for connections. Bind-address: '::' port: 33060, socket: /var/run/mysqld/mysqlx.sock").await;
            log.server(0, "System", "MY-010931", "Server", "/usr/sbin/mysqld: ready for connections. Version: '8.4.3'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.").await;
        }
        Flavor::Mariadb => {
            log.server(0, "Note", "", "", "mariadbd: ready for connections.")
                .await;
            ctx.err("Version: '11.4.4-MariaDB-ubu2404'  socket: '/run/mysqld/mysqld.sock'  port: 3306  mariadb.org binary distribution\n").await;
        }
    }
    let sig = ctx.terminated().await;
    drop(guard);
    server.shutdown();
    if sig == Signal::Kill {
        return 137;
    }
    let log = Log { ctx, flavor };
    match flavor {
        Flavor::Mysql => {
            log.server(0, "System", "MY-013172", "Server", "Received SHUTDOWN from user <via user signal>. Shutting down mysqld (Version: 8.4.3).").await;
            log.server(
                0,
                "System",
                "MY-010910",
                "Server",
                "/usr/sbin/mysqld: Shutdown complete (mysqld 8.4.3)  MySQL Community Server - GPL.",
            )
            .await;
            log.server(0, "System", "MY-015016", "Server", "MySQL Server - end.")
                .await;
        }
        Flavor::Mariadb => {
            log.server(
                0,
                "Note",
                "",
                "",
                "mariadbd (initiated by: unknown): Normal shutdown",
            )
            .await;
            log.server(
                0,
                "Note",
                "",
                "",
                "InnoDB: Shutdown completed; log sequence number 47629; transaction id 15",
            )
            .await;
            log.server(0, "Note", "", "", "mariadbd: Shutdown complete")
                .await;
        }
    }
    0
}
