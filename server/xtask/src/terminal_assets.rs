//! The lab terminal's browser files: xterm.js and its fit addon from npm (pinned in
//! `app/terminal/package-lock.json`), plus kubedojo's glue module, copied into
//! `target/site/pkg/terminal/`. The page loads them only when a learner opens the terminal.

use std::path::Path;
use std::process::Command;

use crate::step::{self, Failure, announce};

/// (source under `app/terminal`, name in `pkg/terminal`)
const FILES: [(&str, &str); 4] = [
    ("node_modules/@xterm/xterm/lib/xterm.mjs", "xterm.mjs"),
    ("node_modules/@xterm/xterm/css/xterm.css", "xterm.css"),
    (
        "node_modules/@xterm/addon-fit/lib/addon-fit.mjs",
        "addon-fit.mjs",
    ),
    ("glue.js", "glue.js"),
];

/// Installs the npm packages when missing or out of date, then copies the files into `pkg`.
pub fn build(root: &Path, pkg: &Path) -> Result<(), Failure> {
    let dir = root.join("app/terminal");
    if !installed_matches_lock(&dir) {
        announce("Installing xterm.js for the lab terminal (npm ci in app/terminal)");
        step::run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        )
        .map_err(|Failure(e)| {
            Failure(format!(
                "{e}\n    the lab terminal needs npm (Debian: apt-get install npm) to fetch xterm.js"
            ))
        })?;
    }
    announce("Copying the lab terminal's files (xterm.js, fit addon, glue)");
    let out = pkg.join("terminal");
    std::fs::create_dir_all(&out)
        .map_err(|e| Failure(format!("cannot create {}: {e}", out.display())))?;
    for (from, to) in FILES {
        std::fs::copy(dir.join(from), out.join(to))
            .map_err(|e| Failure(format!("cannot copy app/terminal/{from}: {e}")))?;
    }
    Ok(())
}

/// npm ci writes the lock it installed to `node_modules/.package-lock.json`; when that is at
/// least as new as `package-lock.json` and every file is there, a warm machine skips npm.
fn installed_matches_lock(dir: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let (Some(lock), Some(installed)) = (
        modified(&dir.join("package-lock.json")),
        modified(&dir.join("node_modules/.package-lock.json")),
    ) else {
        return false;
    };
    installed >= lock && FILES.iter().all(|(from, _)| dir.join(from).is_file())
}
