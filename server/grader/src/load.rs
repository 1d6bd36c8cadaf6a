//! Loading a lab: `lab.toml` and its manifests from a lesson folder, instantiated for a learner
//! (every `{{ name }}` replaced by that learner's randomised value).

use crate::error::GraderError;
use crate::model::{Lab, Task};
use crate::vars::Vars;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file name of a lab inside a lesson folder.
pub const LAB_FILE: &str = "lab.toml";

/// A lab as written (placeholders not yet replaced).
#[derive(Debug, Clone)]
pub struct LabSource {
    /// The lesson folder.
    pub dir: PathBuf,
    /// The manifests by path relative to the lesson folder, when they are carried in memory
    /// (lessons embedded in the binary); otherwise they are read from `dir`.
    pub manifests: Option<Arc<BTreeMap<String, String>>>,
    /// The text of `lab.toml`.
    pub text: String,
    /// Parsed with the placeholders still in place (for vars, ids and structure).
    pub lab: Lab,
}

/// A lab for one learner: rendered with their values.
#[derive(Debug, Clone)]
pub struct LabInstance {
    pub dir: PathBuf,
    pub manifests: Option<Arc<BTreeMap<String, String>>>,
    pub lab: Lab,
    pub vars: Vars,
}

impl LabSource {
    /// Reads `dir/lab.toml`.
    ///
    /// # Errors
    /// When the file cannot be read or does not parse.
    pub fn load(dir: &Path) -> Result<Self, GraderError> {
        let path = dir.join(LAB_FILE);
        let text =
            std::fs::read_to_string(&path).map_err(|source| GraderError::Read { path, source })?;
        Self::parse(dir, text)
    }

    /// Parses a lab's text (the folder is where its manifests are read from).
    ///
    /// # Errors
    /// When the text does not parse.
    pub fn parse(dir: &Path, text: String) -> Result<Self, GraderError> {
        let lab: Lab =
            toml::from_str(&text).map_err(|e| GraderError::Lab(e.message().to_string()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifests: None,
            text,
            lab,
        })
    }

    /// A lab whose manifests are carried in memory, by path relative to the lesson folder
    /// (`manifests/secret.yaml`); `dir` only names the lesson in messages.
    ///
    /// # Errors
    /// When the text does not parse.
    pub fn from_memory(
        dir: &Path,
        text: String,
        manifests: BTreeMap<String, String>,
    ) -> Result<Self, GraderError> {
        let mut source = Self::parse(dir, text)?;
        source.manifests = Some(Arc::new(manifests));
        Ok(source)
    }

    /// The lab for the learner whose values come from `seed`.
    ///
    /// # Errors
    /// An unknown placeholder, or a value that breaks the TOML.
    pub fn instantiate(&self, seed: u64) -> Result<LabInstance, GraderError> {
        self.instantiate_with(Vars::generate(&self.lab.vars, seed))
    }

    /// The lab rendered with explicit values.
    ///
    /// # Errors
    /// An unknown placeholder, or a value that breaks the TOML.
    pub fn instantiate_with(&self, vars: Vars) -> Result<LabInstance, GraderError> {
        let rendered = vars.render(&self.text)?;
        let lab: Lab =
            toml::from_str(&rendered).map_err(|e| GraderError::Lab(e.message().to_string()))?;
        Ok(LabInstance {
            dir: self.dir.clone(),
            manifests: self.manifests.clone(),
            lab,
            vars,
        })
    }
}

impl LabInstance {
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.lab.tasks.iter().find(|t| t.id == id)
    }

    /// The objects of a manifest file (relative to the lesson folder), rendered for this learner.
    ///
    /// # Errors
    /// When the file cannot be read, has an unknown placeholder or does not parse.
    pub fn manifest(&self, rel: &str) -> Result<Vec<Value>, GraderError> {
        parse_manifests(&self.manifest_text(rel)?)
    }

    /// The text of a manifest file, rendered for this learner (what "show the solution"
    /// displays).
    ///
    /// # Errors
    /// When the file cannot be read or has an unknown placeholder.
    pub fn manifest_text(&self, rel: &str) -> Result<String, GraderError> {
        let path = self.dir.join(rel);
        let text = match &self.manifests {
            Some(files) => {
                let rel = rel.strip_prefix("./").unwrap_or(rel);
                files.get(rel).cloned().ok_or_else(|| GraderError::Read {
                    path,
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                })?
            }
            None => std::fs::read_to_string(&path)
                .map_err(|source| GraderError::Read { path, source })?,
        };
        Ok(self.vars.render(&text)?)
    }
}

/// Every object of a multi-document YAML text.
///
/// # Errors
/// [`GraderError::Manifest`] with the line of the first bad document.
pub fn parse_manifests(text: &str) -> Result<Vec<Value>, GraderError> {
    use serde::Deserialize;
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = Value::deserialize(doc).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(1);
            GraderError::Manifest(format!("line {line}: {e}"))
        })?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}
