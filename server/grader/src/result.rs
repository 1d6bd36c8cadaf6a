//! What an evaluation says: per-check results, diagnoses and the task's verdict.

use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// Not run because an earlier (cheaper) check failed; probes wait for the state to be right.
    Skipped,
    /// The grader could not ask the cluster (timeout, API error) or the check is malformed.
    Error,
}

/// Why a check failed, in the voice of a senior engineer, naming the objects and fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// One sentence: what is wrong.
    pub summary: String,
    /// The checklist walked, one finding per step, in order.
    pub findings: Vec<String>,
    /// The objects involved, as `Kind/name`.
    pub objects: Vec<String>,
}

impl Diagnosis {
    pub fn new(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            findings: Vec::new(),
            objects: Vec::new(),
        }
    }

    pub fn finding(mut self, f: impl Into<String>) -> Self {
        self.findings.push(f.into());
        self
    }

    pub fn object(mut self, o: impl Into<String>) -> Self {
        let o = o.into();
        if !self.objects.contains(&o) {
            self.objects.push(o);
        }
        self
    }

    /// The whole diagnosis as text.
    pub fn text(&self) -> String {
        let mut s = self.summary.clone();
        for f in &self.findings {
            s.push_str("\n- ");
            s.push_str(f);
        }
        s
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Index of the check in its task.
    pub index: usize,
    /// The check kind (`pod_ready`, `survives_deletion` ...).
    pub kind: &'static str,
    pub status: Status,
    /// What was checked and what was found, one line.
    pub message: String,
    pub diagnosis: Option<Diagnosis>,
}

/// The result of evaluating every check of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskResult {
    pub task_id: String,
    pub passed: bool,
    pub checks: Vec<CheckResult>,
}

impl TaskResult {
    /// Every diagnosis and failure message, as one text (for logs, tests and plain UIs).
    pub fn explain(&self) -> String {
        let mut out = Vec::new();
        for c in self.checks.iter().filter(|c| c.status != Status::Pass) {
            out.push(format!("[{:?}] {}: {}", c.status, c.kind, c.message));
            if let Some(d) = &c.diagnosis {
                out.push(d.text());
            }
        }
        out.join("\n")
    }

    /// The summary of a task's status for a status stream: which checks pass.
    pub fn signature(&self) -> Vec<Status> {
        self.checks.iter().map(|c| c.status).collect()
    }
}

/// What a check returns before it is numbered.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub status: Status,
    pub message: String,
    pub diagnosis: Option<Diagnosis>,
}

impl Outcome {
    pub fn pass(message: impl Into<String>) -> Self {
        Self {
            status: Status::Pass,
            message: message.into(),
            diagnosis: None,
        }
    }

    pub fn fail(message: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            message: message.into(),
            diagnosis: None,
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self {
            status: Status::Error,
            message: message.into(),
            diagnosis: None,
        }
    }

    pub fn with(mut self, d: Option<Diagnosis>) -> Self {
        self.diagnosis = d;
        self
    }

    pub fn verdict(ok: bool, pass: impl Into<String>, fail: impl Into<String>) -> Self {
        if ok {
            Self::pass(pass)
        } else {
            Self::fail(fail)
        }
    }
}
