//! The tools the build needs, installed when missing (and only then, so a warm machine skips
//! every install).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::step::{self, Failure, announce, output};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// npm's binaryen 132 is a JS build of wasm-opt that installs in seconds. Debian's binaryen 108
/// produces wasm that breaks hydration, so it is never used.
const BINARYEN_NPM: &str = "binaryen@132.0.0";
const MIN_WASM_OPT_VERSION: u32 = 116;

pub fn ensure_wasm_target() -> Result<(), Failure> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]));
    match installed {
        Some(list) if list.lines().any(|l| l.trim() == WASM_TARGET) => Ok(()),
        Some(_) => {
            announce(&format!("Installing the {WASM_TARGET} target (rustup)"));
            step::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        }
        // Without rustup (a distribution's Rust), trust that the target is there; the wasm
        // build will say so clearly if it is not.
        None => Ok(()),
    }
}

/// The `wasm-bindgen` version pinned in Cargo.lock; the CLI must match it exactly.
fn locked_wasm_bindgen_version(root: &Path) -> Result<String, Failure> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| Failure(format!("cannot read Cargo.lock: {e}")))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    Err(Failure("Cargo.lock has no wasm-bindgen entry".into()))
}

/// Returns the `wasm-bindgen` program to run, installing the locked version if needed.
pub fn ensure_wasm_bindgen(root: &Path) -> Result<PathBuf, Failure> {
    let version = locked_wasm_bindgen_version(root)?;
    let installed = output(Command::new("wasm-bindgen").arg("--version"));
    if installed.is_some_and(|v| v.split_whitespace().nth(1) == Some(version.as_str())) {
        return Ok(PathBuf::from("wasm-bindgen"));
    }
    announce(&format!(
        "Installing wasm-bindgen-cli {version} (must match Cargo.lock; about 2 minutes)"
    ));
    // NB: no --locked: the CLI's own lock file names crate versions this registry lacks.
    step::run(Command::new(cargo_program()).args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
    ]))?;
    Ok(cargo_bin("wasm-bindgen"))
}

/// Returns a `wasm-opt` program that is recent enough, installing one if needed.
pub fn ensure_wasm_opt(root: &Path) -> Result<PathBuf, Failure> {
    let local = root.join("target/tools/node_modules/.bin/wasm-opt");
    for candidate in [
        PathBuf::from("wasm-opt"),
        cargo_bin("wasm-opt"),
        local.clone(),
    ] {
        if wasm_opt_version(&candidate).is_some_and(|v| v >= MIN_WASM_OPT_VERSION) {
            return Ok(candidate);
        }
    }
    if output(Command::new("npm").arg("--version")).is_some() {
        announce(&format!(
            "Installing wasm-opt ({BINARYEN_NPM} from npm) into target/tools"
        ));
        let tools = root.join("target/tools");
        std::fs::create_dir_all(&tools)
            .map_err(|e| Failure(format!("cannot create {}: {e}", tools.display())))?;
        step::run(Command::new("npm").args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            &tools.to_string_lossy(),
            BINARYEN_NPM,
        ]))?;
        return Ok(local);
    }
    announce("Installing wasm-opt 0.116.1 from crates.io (no npm here; about 7 minutes)");
    step::run(Command::new(cargo_program()).args([
        "install",
        "wasm-opt",
        "--version",
        "0.116.1",
        "--locked",
    ]))?;
    Ok(cargo_bin("wasm-opt"))
}

fn wasm_opt_version(program: &Path) -> Option<u32> {
    // `wasm-opt version 116 (version_116)` / `wasm-opt version 132`
    let text = output(Command::new(program).arg("--version"))?;
    text.split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)?
        .parse()
        .ok()
}

/// Chromium and chromedriver for the browser tests: installed with apt when run as root.
pub fn ensure_chromium() -> Result<(), Failure> {
    if Path::new("/usr/bin/chromium").exists() {
        return Ok(());
    }
    let is_root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    if !is_root {
        return Err(Failure(
            "the browser tests need Chromium: run `sudo apt-get install -y chromium` (or run this command as root to have it installed)".into(),
        ));
    }
    announce("Installing Chromium for the browser tests (apt-get; about a minute)");
    step::run(Command::new("apt-get").args(["update", "-q"]))?;
    step::run(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// The sandbox's black-box tests drive the real kubectl.
pub fn ensure_kubectl() -> Result<(), Failure> {
    if output(Command::new("kubectl").args(["version", "--client"])).is_some() {
        return Ok(());
    }
    Err(Failure(
        "the sandbox tests drive the real kubectl (1.32 or newer) and it is not on PATH; install it from your distribution or https://kubernetes.io/docs/tasks/tools/".into(),
    ))
}

fn cargo_program() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    home.join("bin").join(name)
}
