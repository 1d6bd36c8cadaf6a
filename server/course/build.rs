//! Embeds every file under the repository's `lessons/` folder in the binary, so
//! `kubedojo serve` needs nothing on disk. `cargo:rerun-if-changed` on the folder makes cargo
//! rebuild when any lesson file is added, removed or edited.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let lessons = manifest_dir.join("../../lessons");
    println!("cargo:rerun-if-changed={}", lessons.display());
    let mut files = Vec::new();
    collect(&lessons, &lessons, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Files under `lessons/`: (path relative to it, contents).\npub(crate) static FILES: &[(&str, &str)] = &[\n",
    );
    for (relative, absolute) in &files {
        let _ = writeln!(code, "    ({relative:?}, include_str!({absolute:?})),");
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default()).join("embedded_lessons.rs");
    if let Err(e) = fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("md" | "toml" | "yaml" | "yml")
        ) {
            let relative = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let absolute = path.canonicalize().unwrap_or(path.clone());
            files.push((relative, absolute.to_string_lossy().into_owned()));
        }
    }
}
