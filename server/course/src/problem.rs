//! What is wrong with a lesson file, with the place it is wrong.

use std::fmt;
use std::path::PathBuf;

/// One problem in one lesson file: printed as `file:line: message`, like a compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the lessons directory when it was read from disk.
    pub file: PathBuf,
    /// 1-based line number in that file.
    pub line: usize,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Parses TOML, reporting a syntax or schema error as `(1-based line, "<what>: message")`.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, (usize, String)> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(1);
        (line, format!("{what}: {}", e.message()))
    })
}

/// Why a course could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The lessons directory (or a file in it) could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The files were read but some lessons are wrong; nothing is served half-checked.
    #[error("{} problem(s) in the lessons:\n{}", .0.len(), display_all(.0))]
    Invalid(Vec<Problem>),
}

fn display_all(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
