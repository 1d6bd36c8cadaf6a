//! `cargo xtask`: the README's two commands, and the build they share.
//!
//! - `cargo xtask serve [ARGS…]` builds the site in release mode and runs
//!   `target/release/kubedojo serve ARGS…`.
//! - `cargo xtask test` runs every check CI runs: formatting, clippy, the site build, and the
//!   whole test suite including the browser tests.
//! - `cargo xtask build` only builds.
//!
//! Each installs what is missing (the wasm32 target, `wasm-bindgen` at the exact Cargo.lock
//! version, a `wasm-opt` that does not break hydration, Chromium when run as root) and says what
//! it is doing. This replaces cargo-leptos (a 15-minute install) for the quick start; people
//! who have cargo-leptos can still run `cargo leptos watch` from the workspace metadata.
//!
//! Only the standard library is used, so `cargo xtask` itself compiles in a second.

mod build;
mod step;
mod terminal_assets;
mod tools;

use std::process::ExitCode;

use step::Failure;

const USAGE: &str = "usage: cargo xtask <serve [ARGS…] | build | test>

  serve [ARGS…]  build the release site and run `kubedojo serve ARGS…` (default 127.0.0.1:3000)
  build          build the release site and server only
  test           run everything CI runs: fmt, clippy, site build, all tests incl. browser tests";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    let result = match command.as_deref() {
        Some("serve") => serve(&rest),
        Some("build") => build::build_all(),
        Some("test") => test(),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("\nxtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &[String]) -> Result<(), Failure> {
    build::build_all()?;
    let binary = build::workspace_root().join("target/release/kubedojo");
    step::announce("Starting kubedojo (ctrl-c to stop)");
    let mut command = std::process::Command::new(binary);
    command
        .arg("serve")
        .args(args)
        .current_dir(build::workspace_root());
    step::run(&mut command)
}

fn test() -> Result<(), Failure> {
    let root = build::workspace_root();
    tools::ensure_chromium()?;
    tools::ensure_kubectl()?;
    step::announce("Checking formatting (cargo fmt --check)");
    step::run(step::cargo(&root).args(["fmt", "--all", "--", "--check"]))?;
    build::build_site()?;
    step::announce("Linting (cargo clippy -D warnings)");
    step::run(step::cargo(&root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    step::announce("Running every test, browser tests included");
    // NB: ignored tests are the browser tests (they need the site built above) and the suites
    // named `real_cluster_*`, which need a real Kubernetes cluster (kind) this runner does not have.
    step::run(
        step::cargo(&root)
            .args([
                "test",
                "--workspace",
                // Every test binary runs even after one fails, so a CI log names every failure.
                "--no-fail-fast",
                "--",
                "--include-ignored",
                "--skip",
                "real_cluster_",
            ])
            .env("KUBEDOJO_SITE_ROOT", root.join("target/site"))
            // A failing test's message comes first and CI logs keep only the end of a long
            // output: without this, a backtrace of 40 frames (anyhow captures one when
            // RUST_BACKTRACE is set) is all that is left of the failure.
            .env("RUST_BACKTRACE", "0")
            .env("RUST_LIB_BACKTRACE", "0"),
    )
}
