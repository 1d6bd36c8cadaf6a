//! Errors of the grader: the cluster could not be asked, or a lab is written wrongly.

/// Why the grader could not do something (as opposed to a check that failed).
#[derive(Debug, thiserror::Error)]
pub enum GraderError {
    #[error("the cluster API: {}", api_message(.0))]
    Kube(#[from] kube::Error),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("exec: {0}")]
    Exec(String),
    #[error("unknown kind `{0}`")]
    UnknownKind(String),
    #[error("manifest: {0}")]
    Manifest(String),
    #[error("lab: {0}")]
    Lab(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Template(#[from] crate::vars::UnknownVar),
    #[error(transparent)]
    Assertion(#[from] crate::assertion::AssertionError),
    #[error(transparent)]
    Path(#[from] crate::path::PathError),
}

/// What the API server said, without the client's wrapping (a learner reads this).
fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.reason),
        other => other.to_string(),
    }
}
