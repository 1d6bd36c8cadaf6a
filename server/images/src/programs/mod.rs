//! The programs of the images, dispatched on the basename of argv[0].

pub mod coreutils;
pub mod mysql_client;
pub mod mysqld;
pub mod netutils;
pub mod nginx;

use crate::stdio::{Input, Output};
use crate::{ContainerFs, Image, Network, Signal};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::watch;

/// A running program's world: its environment, files, network and streams.
#[derive(Clone)]
pub struct Ctx {
    pub image: Image,
    pub env: Vec<(String, String)>,
    pub cwd: String,
    pub hostname: String,
    pub fs: Arc<ContainerFs>,
    pub net: Arc<dyn Network>,
    pub tty: bool,
    pub signal: watch::Receiver<Option<Signal>>,
    pub stdin: Input,
    pub stdout: Output,
    pub stderr: Output,
}

impl Ctx {
    /// An environment variable.
    pub fn getenv(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Set (or replace) an environment variable.
    pub fn setenv(&mut self, key: &str, value: &str) {
        match self.env.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.env.push((key.to_string(), value.to_string())),
        }
    }

    /// Write to stdout.
    pub async fn out(&self, text: &str) {
        self.stdout.print(text).await;
    }

    /// Write to stderr.
    pub async fn err(&self, text: &str) {
        self.stderr.print(text).await;
    }

    /// Resolves when SIGTERM or SIGKILL arrives.
    pub async fn terminated(&mut self) -> Signal {
        loop {
            if let Some(s) = *self.signal.borrow_and_update() {
                return s;
            }
            if self.signal.changed().await.is_err() {
                // The handle is gone: nobody can signal us any more.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// A program's future: its exit code.
pub type ProgFuture<'a> = Pin<Box<dyn Future<Output = i32> + Send + 'a>>;

/// The program name argv[0] names.
pub fn basename(arg0: &str) -> &str {
    arg0.rsplit('/').next().unwrap_or(arg0)
}

const COMMON: &[&str] = &[
    "sh", "cat", "ls", "echo", "env", "printenv", "hostname", "df", "du", "mkdir", "rm", "touch",
    "cp", "mv", "wc", "head", "tail", "grep", "date", "sleep", "true", "false", "pwd", "id",
    "whoami", "uname", "test", "[", "seq", "printf", "basename", "dirname", "tee", "sort", "uniq",
    "cut", "tr", "rmdir", "which", "expr", "chmod", "chown", "nproc",
];

/// Whether `name` exists in `image`.
pub fn exists(image: Image, name: &str) -> bool {
    let name = basename(name);
    if COMMON.contains(&name) {
        return true;
    }
    match image {
        Image::Busybox | Image::Alpine => {
            matches!(name, "ash" | "nslookup" | "wget" | "ping" | "nc")
        }
        Image::Mysql => matches!(
            name,
            "bash" | "mysql" | "mysqladmin" | "mysqld" | "docker-entrypoint.sh" | "mysqlsh"
        ),
        Image::Mariadb => matches!(
            name,
            "bash"
                | "mariadb"
                | "mariadb-admin"
                | "mariadbd"
                | "docker-entrypoint.sh"
                | "healthcheck.sh"
        ),
        Image::Nginx => matches!(name, "bash" | "nginx" | "curl" | "docker-entrypoint.sh"),
    }
}

/// Long-running servers handle SIGTERM themselves; other programs die of it.
pub fn handles_term(argv: &[String]) -> bool {
    let Some(first) = argv.first() else {
        return false;
    };
    matches!(
        basename(first),
        "docker-entrypoint.sh" | "mysqld" | "mariadbd" | "nginx"
    )
}

/// Programs that read a terminal themselves (echo, editing, Ctrl-C): interactive shells and the
/// interactive mysql client.
pub fn own_line_discipline(argv: &[String]) -> bool {
    let Some(first) = argv.first() else {
        return false;
    };
    match basename(first) {
        "sh" | "ash" | "bash" => !argv
            .iter()
            .skip(1)
            .any(|a| a == "-c" || !a.starts_with('-')),
        "mysql" | "mariadb" => !argv.iter().any(|a| {
            a == "-e" || a.starts_with("--execute") || (a.starts_with("-e") && !a.starts_with("--"))
        }),
        _ => false,
    }
}

/// Run `argv` (which must exist in the image; the shell checks with [`exists`]).
pub fn run<'a>(ctx: &'a mut Ctx, argv: &'a [String]) -> ProgFuture<'a> {
    Box::pin(async move {
        let Some(first) = argv.first() else {
            return 0;
        };
        let name = basename(first).to_string();
        match name.as_str() {
            "sh" | "ash" | "bash" => crate::shell::main(ctx, argv).await,
            "docker-entrypoint.sh" if ctx.image == Image::Nginx => {
                nginx::entrypoint(ctx, argv).await
            }
            "docker-entrypoint.sh" | "mysqld" | "mariadbd" => mysqld::main(ctx, argv).await,
            "mysql" | "mariadb" => mysql_client::main(ctx, argv).await,
            "mysqladmin" | "mariadb-admin" => mysql_client::admin(ctx, argv).await,
            "healthcheck.sh" => mysql_client::healthcheck(ctx, argv).await,
            "nginx" => nginx::main(ctx, argv).await,
            "nslookup" => netutils::nslookup(ctx, argv).await,
            "wget" => netutils::wget(ctx, argv).await,
            "curl" => netutils::curl(ctx, argv).await,
            "ping" => netutils::ping(ctx, argv).await,
            "nc" => netutils::nc(ctx, argv).await,
            _ => coreutils::run(ctx, &name, argv).await,
        }
    })
}
