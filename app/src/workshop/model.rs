//! What the workshop pages show, as sent by the server. The server computes everything
//! (states, totals, times); the browser only draws it.

use serde::{Deserialize, Serialize};

/// A lab a workshop covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopLab {
    /// The lesson slug (`02-pods-and-volumes`).
    pub slug: String,
    pub title: String,
}

/// Whether learners can still join and work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkshopState {
    Running,
    /// Ended by the instructor or by its time running out: clusters are removed, results kept.
    Ended,
}

/// A workshop as its instructor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopSummary {
    /// Opaque id used in instructor URLs.
    pub id: String,
    pub title: String,
    /// What learners type on `/join` (letters and digits that cannot be confused).
    pub code: String,
    /// The path learners open to join directly: `/join/<code>`.
    pub join_path: String,
    /// A QR code of the join URL, as an SVG document made by the server.
    pub qr_svg: String,
    pub labs: Vec<WorkshopLab>,
    /// Where learners' clusters run: "sandbox" or "cluster" (a namespace each on the real
    /// cluster the server was started with).
    pub backend: String,
    pub capacity: u32,
    pub learners: u32,
    pub state: WorkshopState,
    /// When it ends (RFC 3339, UTC).
    pub ends_at: String,
    /// Seconds left (0 when ended).
    pub seconds_left: u64,
    /// The banner every learner sees, if one is set.
    pub announcement: Option<String>,
}

/// What an instructor fills in to create a workshop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWorkshop {
    pub title: String,
    /// Lesson slugs of the labs to cover (each must have a lab).
    pub labs: Vec<String>,
    pub capacity: u32,
    pub duration_minutes: u32,
    /// "sandbox" or "cluster" (one of the server's backends); empty means the server's own.
    #[serde(default)]
    pub backend: String,
}

/// One cell of the grid: how far a learner got with one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    NotStarted,
    Working,
    Passed,
    /// Working, with no progress (no verdict change, action, hint or check) for
    /// [`GridView::stuck_after_minutes`].
    Stuck,
}

/// A column of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridTask {
    pub lab: String,
    pub task: String,
    pub title: String,
    /// How many learners passed it.
    pub passed: u32,
    /// How many are stuck on it.
    pub stuck: u32,
}

/// A row of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridLearner {
    /// Opaque, per-workshop key (never the learner's cookie id).
    pub key: String,
    pub name: String,
    /// One per [`GridView::tasks`] entry, in the same order.
    pub cells: Vec<CellState>,
    /// Weighted score over the workshop's tasks, and the most it can be.
    pub score: u32,
    pub max_score: u32,
    /// The last failing diagnosis of any of the workshop's tasks.
    pub last_diagnosis: Option<String>,
    /// Seconds since the learner last did something in a workshop lab (None: nothing yet).
    pub idle_seconds: Option<u64>,
    /// Whether the learner has a cluster now.
    pub has_cluster: bool,
}

/// The live grid of a workshop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridView {
    pub workshop: WorkshopSummary,
    pub tasks: Vec<GridTask>,
    pub learners: Vec<GridLearner>,
    pub stuck_after_minutes: u32,
}

/// A chaos action the instructor can broadcast: one of the workshop labs' actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaosOption {
    pub lab: String,
    pub action: String,
    pub label: String,
}

/// What a broadcast did, learner by learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastReport {
    /// What was broadcast, in words.
    pub what: String,
    /// Learners it succeeded for.
    pub succeeded: u32,
    /// Learners without a running cluster for the lab (nothing to do).
    pub skipped: u32,
    /// Learners it failed for, with the reason.
    pub failed: Vec<BroadcastFailure>,
    pub took_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastFailure {
    pub name: String,
    pub reason: String,
}

/// The instructor's page of one workshop: the grid plus what can be broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructorView {
    pub grid: GridView,
    pub chaos: Vec<ChaosOption>,
    /// The last broadcast's outcome, if any.
    pub last_broadcast: Option<BroadcastReport>,
}

/// What a learner sees of the workshop they joined (a banner on every page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipView {
    pub title: String,
    pub display_name: String,
    pub labs: Vec<WorkshopLab>,
    pub state: WorkshopState,
    pub seconds_left: u64,
    pub announcement: Option<String>,
}

/// What the join page shows about a code before the learner joins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinPreview {
    pub code: String,
    pub title: String,
    pub labs: Vec<WorkshopLab>,
    pub seats_left: u32,
    pub state: WorkshopState,
}
