//! The files of a lesson's lab, carried as text: `lab.toml` and everything under `manifests/`.
//!
//! The course does not interpret them (that is the grader's job); it only carries them, so a
//! lab works the same whether the lessons are embedded in the binary or read from a folder.

use std::collections::BTreeMap;
use std::path::Path;

/// The file name of a lab inside a lesson folder.
pub const LAB_FILE: &str = "lab.toml";
/// The folder of a lab's manifests, inside the lesson folder.
pub const MANIFESTS_DIR: &str = "manifests";

/// A lab's text and its manifests by path relative to the lesson folder
/// (`manifests/secret.yaml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabFiles {
    pub text: String,
    pub manifests: BTreeMap<String, String>,
}

impl LabFiles {
    /// The manifest at `relative` (as written in `lab.toml`: `manifests/x.yaml`).
    pub fn manifest(&self, relative: &str) -> Option<&str> {
        let relative = relative.strip_prefix("./").unwrap_or(relative);
        self.manifests.get(relative).map(String::as_str)
    }

    /// Reads `dir/lab.toml` and `dir/manifests/**`, or `None` when the folder has no lab.
    ///
    /// # Errors
    /// A file that exists but cannot be read.
    pub fn read(dir: &Path) -> std::io::Result<Option<Self>> {
        let lab = dir.join(LAB_FILE);
        if !lab.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&lab)?;
        let mut manifests = BTreeMap::new();
        collect(dir, &dir.join(MANIFESTS_DIR), &mut manifests)?;
        Ok(Some(Self { text, manifests }))
    }
}

fn collect(root: &Path, dir: &Path, into: &mut BTreeMap<String, String>) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, into)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            let relative = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            into.insert(relative, std::fs::read_to_string(&path)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_lab_and_its_nested_manifests() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(LabFiles::read(dir.path()).expect("read"), None);
        std::fs::write(dir.path().join(LAB_FILE), "title = \"t\"").expect("write");
        std::fs::create_dir_all(dir.path().join("manifests/mistakes")).expect("mkdir");
        std::fs::write(dir.path().join("manifests/a.yaml"), "a").expect("write");
        std::fs::write(dir.path().join("manifests/mistakes/b.yml"), "b").expect("write");
        std::fs::write(dir.path().join("manifests/notes.txt"), "skip").expect("write");
        let lab = LabFiles::read(dir.path()).expect("read").expect("a lab");
        assert_eq!(lab.text, "title = \"t\"");
        assert_eq!(lab.manifest("manifests/a.yaml"), Some("a"));
        assert_eq!(lab.manifest("./manifests/mistakes/b.yml"), Some("b"));
        assert_eq!(lab.manifests.len(), 2);
    }
}
