//! `kubedojo`: the binary. Parses the command line and runs one command.

use clap::Parser;
use kubedojo_server::cli::{Cli, Command, LessonsCommand};
use kubedojo_server::commands;

// NB: server-side rendering allocates many small strings per request from many threads;
// mimalloc handles that pattern markedly better than glibc's malloc (see tests/benches/site.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command_or_serve() {
        Command::Serve(args) => commands::serve::run(args).await,
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Cleanup(args) => commands::cleanup::run(args).await,
        Command::Kind { command } => commands::kind::run(&command),
        Command::Lessons {
            command: LessonsCommand::Check(args),
        } => commands::lessons_check::run(&args),
    }
}
