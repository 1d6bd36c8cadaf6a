//! Running commands and saying what is going on.

use std::fmt;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// A step that failed, with what to do about it.
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Prints a step heading.
pub fn announce(what: &str) {
    println!("\n==> {what}");
}

/// `cargo` (the one running us, if known) in `dir`.
pub fn cargo(dir: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(dir);
    command
}

/// Runs a command with inherited output; fails unless it exits 0.
pub fn run(command: &mut Command) -> Result<(), Failure> {
    let shown = describe(command);
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| Failure(format!("could not start `{shown}`: {e}")))?;
    if status.success() {
        println!(
            "    done in {:.1}s: {shown}",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    } else {
        Err(Failure(format!("`{shown}` failed ({status})")))
    }
}

/// Runs a command and returns its standard output, or `None` if it cannot run or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
