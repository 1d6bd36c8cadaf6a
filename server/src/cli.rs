//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, FromArgMatches as _, Parser, Subcommand};

/// kubedojo: learn how Kubernetes runs stateful software by breaking and fixing your own cluster.
#[derive(Debug, Parser)]
#[command(name = "kubedojo", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command kubedojo serves the course with the default settings
    /// (that is also how `cargo leptos watch` starts it).
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The command to run: `serve` with its defaults when none was given.
    pub fn command_or_serve(self) -> Command {
        self.command
            .unwrap_or_else(|| Command::Serve(ServeArgs::parse_from(["serve"])))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the course in the browser.
    Serve(ServeArgs),
    /// Run one standalone sandbox cluster for kubectl or kube-rs until interrupted.
    Sandbox(SandboxArgs),
    /// Remove everything kubedojo created for learners on the cluster of a kubeconfig
    /// (namespaces, RBAC, storage labelled app.kubernetes.io/managed-by=kubedojo).
    Cleanup(CleanupArgs),
    /// Create or delete the kind cluster kubedojo is meant to run learners on.
    Kind {
        #[command(subcommand)]
        command: KindCommand,
    },
    /// Work with the lesson files.
    Lessons {
        #[command(subcommand)]
        command: LessonsCommand,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Use 0.0.0.0:3000 to let other machines in (a workshop room).
    #[arg(long, default_value = "127.0.0.1:3000", env = "KUBEDOJO_ADDR")]
    pub addr: SocketAddr,
    /// SQLite file that keeps learners' progress; created if missing.
    #[arg(long, default_value = "kubedojo.db", env = "KUBEDOJO_DB")]
    pub db: PathBuf,
    /// Serve lessons from this folder instead of the copy built into the binary (for authors:
    /// edit a lesson, restart, reload). The folder is checked like `kubedojo lessons check`.
    #[arg(long, value_name = "DIR")]
    pub lessons: Option<PathBuf>,
    /// Folder holding the built browser bundle (pkg/kubedojo.wasm, .js, .css), as the README's
    /// build leaves it. Relative paths are resolved from the current directory.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "target/site",
        env = "LEPTOS_SITE_ROOT"
    )]
    pub site_root: PathBuf,
    /// Give each learner a namespace on this real cluster instead of a sandbox cluster.
    #[arg(long, value_name = "PATH", env = "KUBEDOJO_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME", requires = "kubeconfig")]
    pub context: Option<String>,
    /// Remove a learner's cluster after this long idle (e.g. 90m, 2h, 45s).
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = parse_duration)]
    pub learner_ttl: std::time::Duration,
    /// Remove every learner cluster or namespace when the server stops.
    #[arg(long)]
    pub cleanup_on_exit: bool,
    /// The pace learners' sandbox clusters start at: `lifelike` (pods take seconds to start,
    /// as on a real cluster) or `instant`; each learner can switch in the lab panel.
    #[arg(long, default_value = "lifelike")]
    pub pace: kubedojo_sandbox::Pace,
    /// The secret that unlocks /instructor (workshops). Without it a random one is made and
    /// printed at start.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "KUBEDOJO_INSTRUCTOR_TOKEN",
        hide_env_values = true
    )]
    pub instructor_token: Option<String>,
    /// The URL learners open to reach this server, for workshop join links and QR codes
    /// (default: http://<addr>; set it when serving on 0.0.0.0, e.g. http://10.0.0.5:3000).
    #[arg(long, value_name = "URL", env = "KUBEDOJO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Folder keeping learners' sandbox clusters (API objects and volume files) across
    /// restarts, even a crash; default: `kubedojo-data` beside the database.
    #[arg(long, value_name = "DIR", env = "KUBEDOJO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl ServeArgs {
    /// `--data-dir`, or `kubedojo-data` in the database's folder.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            self.db
                .parent()
                .unwrap_or_else(|| std::path::Path::new(""))
                .join("kubedojo-data")
        })
    }
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The cluster to clean up.
    #[arg(long, value_name = "PATH", env = "KUBEDOJO_KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KindCommand {
    /// `kind create cluster` with kubedojo's config (control-plane + 3 workers).
    Up {
        /// Where kind writes the cluster's kubeconfig.
        #[arg(long, value_name = "PATH", default_value = "kubedojo-kind.kubeconfig")]
        kubeconfig: PathBuf,
    },
    /// `kind delete cluster --name kubedojo`.
    Down,
}

/// `90m`, `2h`, `45s` or plain seconds.
///
/// # Errors
/// Anything else.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90m, 2h or 45s"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{s:?} is not a duration like 90m, 2h or 45s")),
    };
    Ok(std::time::Duration::from_secs(secs))
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 for the cluster's HTTPS API (default: a free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Where to write the cluster's kubeconfig once it is ready to serve
    /// (default: ./kubedojo-sandbox.kubeconfig).
    #[arg(long, value_name = "PATH")]
    pub write_kubeconfig: Option<PathBuf>,
    /// How fast the simulated cluster moves: `instant` (tests) or `lifelike` (watch things happen).
    #[arg(long, default_value = "instant")]
    pub pace: kubedojo_sandbox::Pace,
    /// Where the cluster keeps volumes and container files (default: a temporary directory
    /// removed at exit).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum LessonsCommand {
    /// Check every lesson: front matter, required sections, length, diagrams, and that each
    /// YAML block is valid Kubernetes. Prints `file:line: message`; exits 1 on any problem.
    Check(LessonsCheckArgs),
}

#[derive(Debug, Args)]
pub struct LessonsCheckArgs {
    /// The lessons folder (holding NN-slug/lesson.md).
    #[arg(default_value = "lessons")]
    pub dir: PathBuf,
}

impl ServeArgs {
    fn parse_from<I: IntoIterator<Item = &'static str>>(args: I) -> Self {
        let matches =
            <Self as clap::Args>::augment_args(clap::Command::new("serve")).get_matches_from(args);
        // Only defaults and KUBEDOJO_* variables apply here; a bad variable exits with clap's message.
        Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_has_sensible_defaults() {
        let cli = Cli::parse_from(["kubedojo", "serve"]);
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(args.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(args.db, PathBuf::from("kubedojo.db"));
        assert_eq!(args.data_dir(), PathBuf::from("kubedojo-data"));
        assert!(args.lessons.is_none());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(
            parse_duration("2h"),
            Ok(std::time::Duration::from_secs(7200))
        );
        assert_eq!(
            parse_duration("90m"),
            Ok(std::time::Duration::from_secs(5400))
        );
        assert_eq!(parse_duration("45"), Ok(std::time::Duration::from_secs(45)));
        assert!(parse_duration("2 days").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn no_command_means_serve() {
        let cli = Cli::parse_from(["kubedojo"]);
        assert!(matches!(cli.command_or_serve(), Command::Serve(_)));
    }
}
