//! What the lab panel shows, as sent by the server (server functions and the lab's event
//! stream). The server computes everything; the browser only draws it.

use serde::{Deserialize, Serialize};

use crate::tag_first;

/// Where the learner's cluster is. On the wire: `{"state": "provisioning", "steps": […]}`
/// (read without buffering, see [`crate::tag_first`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClusterState {
    /// No cluster yet: the panel offers "Start the lab".
    Absent,
    /// Being created (or reset), step by step.
    Provisioning { steps: Vec<StepView> },
    /// Ready; the lab's setup has been applied.
    Ready,
    /// Provisioning or the lab's setup failed; the learner can retry.
    Failed { reason: String },
}

impl<'de> Deserialize<'de> for ClusterState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClusterStateVisitor)
    }
}

struct ClusterStateVisitor;

impl<'de> serde::de::Visitor<'de> for ClusterStateVisitor {
    type Value = ClusterState;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a cluster state object whose first field is `state`")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ClusterState, A::Error> {
        #[derive(Deserialize)]
        struct Provisioning {
            steps: Vec<StepView>,
        }
        #[derive(Deserialize)]
        struct Failed {
            reason: String,
        }
        const STATES: &[&str] = &["absent", "provisioning", "ready", "failed"];
        match tag_first::read_tag(&mut map, "state")?.as_str() {
            "absent" => tag_first::skip_rest(map).map(|()| ClusterState::Absent),
            "provisioning" => tag_first::rest(map)
                .map(|Provisioning { steps }| ClusterState::Provisioning { steps }),
            "ready" => tag_first::skip_rest(map).map(|()| ClusterState::Ready),
            "failed" => {
                tag_first::rest(map).map(|Failed { reason }| ClusterState::Failed { reason })
            }
            other => Err(serde::de::Error::unknown_variant(other, STATES)),
        }
    }
}

/// One provisioning step and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub name: String,
    pub state: StepState,
    /// Why it failed, when it did.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    Running,
    Done,
    Failed,
}

/// A task's live verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not evaluated yet (no cluster, or the first evaluation is running).
    Unknown,
    Passed,
    Failed,
    /// The grader could not ask the cluster.
    Error,
}

/// Why a task fails, in the voice of a senior engineer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosisView {
    pub summary: String,
    /// The checklist walked, one finding per step.
    pub findings: Vec<String>,
    /// The objects involved, as `Kind/name` (the picture highlights them).
    pub objects: Vec<String>,
}

/// One step of a revealed solution: what to type, and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolutionStep {
    /// The command a learner would type, if the step has one.
    pub command: Option<String>,
    /// The manifest the step applies, if any (YAML).
    pub manifest: Option<String>,
}

/// One task of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: String,
    pub title: String,
    /// Rendered, sanitised Markdown.
    pub instructions_html: String,
    pub weight: u32,
    pub status: TaskStatus,
    /// Set once the task has passed (it counts for progress even if broken again later).
    pub ever_passed: bool,
    pub diagnosis: Option<DiagnosisView>,
    /// The hints revealed so far, in order.
    pub hints: Vec<String>,
    pub hints_total: usize,
    /// Present once the learner chose to see it.
    pub solution: Option<Vec<SolutionStep>>,
}

/// A button the lab offers (delete a pod, insert rows…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionView {
    pub id: String,
    pub label: String,
    /// What it acts on, so the picture can offer it on the selected object.
    pub target: Option<ActionTarget>,
}

/// The object an action acts on, as the lab definition names it.
// NB: externally tagged (serde's default): its decoder is far smaller in the wasm bundle than
// an internally tagged one's, which buffers every field first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionTarget {
    /// Pods, by name or by label selector (`app=mysql,tier=db`).
    Pod(PodTarget),
    /// A node by name; the node a pod runs on; or, with neither, every node.
    Node {
        name: Option<String>,
        of_pod: Option<PodTarget>,
    },
    /// A Deployment or StatefulSet (its pods are where the picture offers it).
    Workload { resource: String, name: String },
}

/// Pods by name or label selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodTarget {
    pub name: Option<String>,
    pub selector: Option<String>,
}

/// One line of the lab's timeline: an action's outcome, a verdict change, a cluster Event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub kind: TimelineKind,
    pub text: String,
    /// What a command printed (SQL output), if any.
    pub output: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Action,
    ActionFailed,
    Passed,
    Failed,
    Cluster,
}

/// How fast the learner's (sandbox) cluster moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaceView {
    /// Pods take seconds to start, as on a real cluster.
    Lifelike,
    /// Everything happens at once.
    Instant,
}

/// Everything the lab panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabView {
    pub slug: String,
    pub title: String,
    pub cluster: ClusterState,
    pub tasks: Vec<TaskView>,
    pub actions: Vec<ActionView>,
    /// Sum of the weights of the tasks passing now.
    pub score: u32,
    pub max_score: u32,
    /// Newest last, bounded.
    pub timeline: Vec<TimelineEntry>,
    /// An action is running: buttons are disabled until it ends.
    pub busy: Option<String>,
    /// The cluster's pace, when it can be changed (sandbox clusters).
    pub pace: Option<PaceView>,
}

impl LabView {
    /// Every task passes.
    pub fn complete(&self) -> bool {
        !self.tasks.is_empty() && self.tasks.iter().all(|t| t.status == TaskStatus::Passed)
    }

    /// Score as a percentage of the maximum (0 when the lab has no weight).
    pub fn percent(&self) -> u32 {
        (self.score * 100).checked_div(self.max_score).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(statuses: &[TaskStatus]) -> LabView {
        LabView {
            slug: "02".into(),
            title: "t".into(),
            cluster: ClusterState::Ready,
            tasks: statuses
                .iter()
                .enumerate()
                .map(|(i, s)| TaskView {
                    id: i.to_string(),
                    title: String::new(),
                    instructions_html: String::new(),
                    weight: 1,
                    status: *s,
                    ever_passed: false,
                    diagnosis: None,
                    hints: Vec::new(),
                    hints_total: 0,
                    solution: None,
                })
                .collect(),
            actions: Vec::new(),
            score: 1,
            max_score: statuses.len() as u32,
            timeline: Vec::new(),
            busy: None,
            pace: None,
        }
    }

    #[test]
    fn complete_only_when_every_task_passes() {
        assert!(view(&[TaskStatus::Passed, TaskStatus::Passed]).complete());
        assert!(!view(&[TaskStatus::Passed, TaskStatus::Failed]).complete());
        assert!(!view(&[]).complete());
        assert_eq!(
            view(&[TaskStatus::Passed, TaskStatus::Failed]).percent(),
            50
        );
        assert_eq!(view(&[]).percent(), 0);
    }

    #[test]
    fn cluster_states_round_trip_and_a_bad_one_is_refused() {
        let states = [
            ClusterState::Absent,
            ClusterState::Provisioning {
                steps: vec![StepView {
                    name: "Create the namespace".into(),
                    state: StepState::Running,
                    detail: None,
                }],
            },
            ClusterState::Ready,
            ClusterState::Failed {
                reason: "quota".into(),
            },
        ];
        for state in states {
            let json = serde_json::to_string(&state).expect("encodes");
            assert!(json.starts_with(r#"{"state":"#), "{json}");
            let back: ClusterState = serde_json::from_str(&json).expect("decodes");
            assert_eq!(back, state);
        }
        // Fields the browser does not know are skipped, as serde does by default.
        let back: ClusterState =
            serde_json::from_str(r#"{"state":"ready","since":3}"#).expect("decodes");
        assert_eq!(back, ClusterState::Ready);
        for (bad, why) in [
            (r#"{"state":"melted"}"#, "unknown variant `melted`"),
            (
                r#"{"reason":"x","state":"failed"}"#,
                "expected `state` as the first field",
            ),
            (r#"{"state":"failed"}"#, "missing field `reason`"),
            ("{}", "missing field `state`"),
            ("[]", "a cluster state object"),
        ] {
            let err = serde_json::from_str::<ClusterState>(bad).expect_err(bad);
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }
}
