//! The lab model: what `lab.toml` declares (setup, tasks, checks, actions, randomised values).

use serde::Deserialize;
use std::collections::BTreeMap;

/// One lab, as written in `lessons/NN-slug/lab.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    pub title: String,
    /// Namespace the lab runs in when a target does not name one.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Manifest files (relative to the lesson folder) applied when the lab starts, in order.
    #[serde(default)]
    pub setup: Vec<String>,
    /// Values randomised per learner, used as `{{ name }}` in manifests, SQL, checks and text.
    #[serde(default)]
    pub vars: BTreeMap<String, VarSpec>,
    /// Buttons the UI offers (delete a pod, scale, run SQL, write a file).
    #[serde(default)]
    pub actions: Vec<Action>,
    pub tasks: Vec<Task>,
}

fn default_namespace() -> String {
    "default".to_string()
}

/// How a randomised value is drawn.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum VarSpec {
    /// An integer in `min..=max`.
    Range { min: i64, max: i64 },
    /// One of the listed strings.
    Choice { choices: Vec<String> },
}

/// A task: graded only by the state of the learner's cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub id: String,
    pub title: String,
    /// Markdown.
    pub instructions: String,
    /// Revealed one at a time.
    #[serde(default)]
    pub hints: Vec<String>,
    /// Partial credit: a lab's score is the sum of the weights of passed tasks.
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// The reference solution, step by step.
    #[serde(default)]
    pub solution: Vec<Step>,
    /// Realistic wrong solutions and the diagnosis each must produce (run by the tests).
    #[serde(default)]
    pub mistakes: Vec<Mistake>,
    pub checks: Vec<Check>,
}

fn default_weight() -> u32 {
    1
}

/// One step of a solution. `kubectl` is what the learner would type (shown by "show the
/// solution"); the machine does the equivalent `apply`, `delete` or `action`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default)]
    pub kubectl: Option<String>,
    /// A manifest file to create or update.
    #[serde(default)]
    pub apply: Option<String>,
    /// A manifest file whose objects are deleted (waiting until they are gone).
    #[serde(default)]
    pub delete: Option<String>,
    /// The id of one of the lab's actions.
    #[serde(default)]
    pub action: Option<String>,
    /// Wait (bounded) until an object's field has a value, as `kubectl wait --for=jsonpath`
    /// does: a learner looks before moving on, and so must the machine.
    #[serde(default)]
    pub wait: Option<WaitFor>,
}

/// `kubectl wait --for=jsonpath='{.<path>}'=<equals> <resource>/<name>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitFor {
    pub resource: String,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    pub path: String,
    pub equals: String,
}

/// A realistic wrong solution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mistake {
    pub name: String,
    pub steps: Vec<Step>,
    /// Text the failing task's diagnoses must contain.
    pub diagnosis: String,
}

/// Which object(s) a check looks at: by name or by label selector.
// NB: no `deny_unknown_fields` on flattened structs (serde would reject the outer fields);
// unknown keys are reported by `validate` instead.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Target {
    #[serde(default)]
    pub name: Option<String>,
    /// `key=value,key2=value2`.
    #[serde(default)]
    pub selector: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
}

/// A comparison applied to the values found at a path (or to a probe's output).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    pub op: Op,
    #[serde(default)]
    pub value: Option<toml::Value>,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equals,
    NotEquals,
    OneOf,
    Matches,
    Exists,
    Missing,
    Gt,
    Ge,
    Lt,
    Le,
    /// The number of values found equals `value`.
    Count,
    /// The number of values found is at least `value`.
    CountAtLeast,
}

/// Where a survives-deletion marker is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Marker {
    /// A row in the `kubedojo_marker` database, through the mysql client.
    Sql,
    /// A file at `path`.
    File,
}

/// The check language. `kind` selects the check.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// At least one object of `resource` matches the target.
    Exists {
        resource: String,
        #[serde(flatten)]
        target: Target,
    },
    /// No object of `resource` matches the target.
    Absent {
        resource: String,
        #[serde(flatten)]
        target: Target,
    },
    /// An assertion on a path (`spec.template.spec.volumes[*].persistentVolumeClaim.claimName`).
    Field {
        resource: String,
        #[serde(flatten)]
        target: Target,
        path: String,
        op: Op,
        #[serde(default)]
        value: Option<toml::Value>,
        /// Pass when at least one matched object satisfies the assertion (default: every one
        /// must), e.g. "some PersistentVolume still names the deleted claim".
        #[serde(default)]
        any: bool,
    },
    /// `status.phase` equals `phase` (PVC Bound, Pod Running).
    Phase {
        resource: String,
        #[serde(flatten)]
        target: Target,
        phase: String,
    },
    /// A pod's Ready condition is True.
    PodReady {
        #[serde(flatten)]
        target: Target,
    },
    /// A StatefulSet's or Deployment's readyReplicas equals replicas (and is not zero).
    ReplicasReady {
        resource: String,
        #[serde(flatten)]
        target: Target,
    },
    /// A Service selects at least one ready pod.
    ServiceHasEndpoints {
        service: String,
        #[serde(default)]
        namespace: Option<String>,
    },
    /// Every port's targetPort matches a containerPort of the selected pods.
    ServicePortMatches {
        service: String,
        #[serde(default)]
        namespace: Option<String>,
    },
    /// A StatefulSet's serviceName names a headless Service.
    StatefulsetHeadless {
        statefulset: String,
        #[serde(default)]
        namespace: Option<String>,
    },
    /// A pod mounts a PVC (optionally a given claim) at `path`.
    PodMountsPvc {
        #[serde(flatten)]
        target: Target,
        path: String,
        #[serde(default)]
        claim: Option<String>,
    },
    /// A PVC is Bound to a PV of the given class and reclaim policy.
    PvcBoundTo {
        claim: String,
        #[serde(default)]
        namespace: Option<String>,
        #[serde(default)]
        storage_class: Option<String>,
        #[serde(default)]
        reclaim_policy: Option<String>,
    },
    /// The object was deleted and came back with the same name (Events, and uids seen earlier).
    Recreated {
        resource: String,
        name: String,
        #[serde(default)]
        namespace: Option<String>,
    },
    /// The object's uid never changed since the grader first saw it.
    UidUnchanged {
        resource: String,
        name: String,
        #[serde(default)]
        namespace: Option<String>,
    },
    /// Run a command in a pod and compare what it printed.
    Exec {
        #[serde(flatten)]
        target: Target,
        command: Vec<String>,
        #[serde(default)]
        stdout: Option<Assertion>,
        #[serde(default)]
        stderr_contains: Option<String>,
        #[serde(default)]
        exit_code: Option<i32>,
    },
    /// Run SQL through the mysql client in a pod and compare the output (`-N`: no headers).
    Sql {
        #[serde(flatten)]
        target: Target,
        query: String,
        /// Connect to this server (`mysql`, `mysql-0.mysql`: a Service or a pod's DNS name), as
        /// `mysql -h HOST` would from the target pod; by default the pod's own server.
        #[serde(default)]
        host: Option<String>,
        #[serde(default)]
        stdout: Option<Assertion>,
        #[serde(default)]
        stderr_contains: Option<String>,
        #[serde(default)]
        exit_code: Option<i32>,
    },
    /// Look a name up from a throwaway busybox pod.
    Dns {
        /// The name to resolve; or read it from an object's field with `name_from`.
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        name_from: Option<FieldRef>,
        #[serde(default)]
        namespace: Option<String>,
        /// When set, the answer must contain the IP of a ready pod with this name.
        #[serde(default)]
        resolves_to_pod: Option<String>,
    },
    /// Write a marker, delete the pod, wait for the replacement to be Ready, read the marker.
    SurvivesDeletion {
        #[serde(flatten)]
        target: Target,
        marker: Marker,
        /// For `marker = "file"`: where to write it.
        #[serde(default)]
        path: Option<String>,
        /// `false` for tasks that demonstrate data loss.
        #[serde(default = "yes")]
        expect_survives: bool,
    },
}

fn yes() -> bool {
    true
}

/// A value read from an object in the cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRef {
    pub resource: String,
    pub name: String,
    pub path: String,
}

/// A learner action (a button in the UI).
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    pub id: String,
    pub label: String,
    #[serde(flatten)]
    pub kind: ActionKind,
}

/// What an action does.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionKind {
    /// Delete the pod(s) matching the target; waits until they are gone.
    DeletePod {
        #[serde(flatten)]
        target: Target,
    },
    /// Set `spec.replicas` of a Deployment or StatefulSet.
    Scale {
        resource: String,
        name: String,
        replicas: String,
        #[serde(default)]
        namespace: Option<String>,
    },
    /// Run SQL in a pod (waits until mysqld answers).
    Sql {
        #[serde(flatten)]
        target: Target,
        sql: String,
        /// Send it to this server (`mysql -h HOST`) instead of the pod's own.
        #[serde(default)]
        host: Option<String>,
    },
    /// Create `database.table` if needed and insert `rows` numbered rows.
    InsertRows {
        #[serde(flatten)]
        target: Target,
        database: String,
        table: String,
        rows: String,
        /// Send them to this server (`mysql -h HOST`) instead of the pod's own.
        #[serde(default)]
        host: Option<String>,
    },
    /// Write a file in a pod.
    WriteFile {
        #[serde(flatten)]
        target: Target,
        path: String,
        content: String,
    },
    /// `SELECT COUNT(*) FROM database.table` in a pod; a missing table is an answer, not an error.
    CountRows {
        #[serde(flatten)]
        target: Target,
        database: String,
        table: String,
    },
    /// Print a file of a pod (`cat`); a missing file is an answer, not an error.
    ReadFile {
        #[serde(flatten)]
        target: Target,
        path: String,
    },
    /// Mark a node unschedulable, like `kubectl cordon`.
    Cordon {
        #[serde(flatten)]
        node: NodeTarget,
    },
    /// Make a node schedulable again, like `kubectl uncordon` (no target: every cordoned node).
    Uncordon {
        #[serde(flatten)]
        node: NodeTarget,
    },
    /// Cordon a node and evict its pods, like
    /// `kubectl drain --ignore-daemonsets --delete-emptydir-data`.
    Drain {
        #[serde(flatten)]
        node: NodeTarget,
    },
    /// Switch a node off (the sandbox only; on kind it is `docker stop <node>`).
    LoseNode {
        #[serde(flatten)]
        node: NodeTarget,
    },
    /// Switch a lost node on again (no target: every node switched off).
    RestoreNode {
        #[serde(flatten)]
        node: NodeTarget,
    },
}

/// Which node a node action acts on: `node = "kind-worker"`, or the node a pod runs on,
/// `node_of = { name = "mysql-0" }` (or `{ selector = "app=mysql" }`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NodeTarget {
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub node_of: Option<Target>,
}

impl ActionKind {
    /// The `kind` as written in `lab.toml`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ActionKind::DeletePod { .. } => "delete_pod",
            ActionKind::Scale { .. } => "scale",
            ActionKind::Sql { .. } => "sql",
            ActionKind::InsertRows { .. } => "insert_rows",
            ActionKind::WriteFile { .. } => "write_file",
            ActionKind::CountRows { .. } => "count_rows",
            ActionKind::ReadFile { .. } => "read_file",
            ActionKind::Cordon { .. } => "cordon",
            ActionKind::Uncordon { .. } => "uncordon",
            ActionKind::Drain { .. } => "drain",
            ActionKind::LoseNode { .. } => "lose_node",
            ActionKind::RestoreNode { .. } => "restore_node",
        }
    }
}

impl Check {
    /// The `kind` as written in `lab.toml`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Check::Exists { .. } => "exists",
            Check::Absent { .. } => "absent",
            Check::Field { .. } => "field",
            Check::Phase { .. } => "phase",
            Check::PodReady { .. } => "pod_ready",
            Check::ReplicasReady { .. } => "replicas_ready",
            Check::ServiceHasEndpoints { .. } => "service_has_endpoints",
            Check::ServicePortMatches { .. } => "service_port_matches",
            Check::StatefulsetHeadless { .. } => "statefulset_headless",
            Check::PodMountsPvc { .. } => "pod_mounts_pvc",
            Check::PvcBoundTo { .. } => "pvc_bound_to",
            Check::Recreated { .. } => "recreated",
            Check::UidUnchanged { .. } => "uid_unchanged",
            Check::Exec { .. } => "exec",
            Check::Sql { .. } => "sql",
            Check::Dns { .. } => "dns",
            Check::SurvivesDeletion { .. } => "survives_deletion",
        }
    }

    /// Probes act on the cluster (exec, throwaway pods, deletions) and are slower.
    pub fn is_probe(&self) -> bool {
        matches!(
            self,
            Check::Exec { .. }
                | Check::Sql { .. }
                | Check::Dns { .. }
                | Check::SurvivesDeletion { .. }
        )
    }
}

/// Every check kind, for validation messages.
pub const CHECK_KINDS: &[&str] = &[
    "exists",
    "absent",
    "field",
    "phase",
    "pod_ready",
    "replicas_ready",
    "service_has_endpoints",
    "service_port_matches",
    "statefulset_headless",
    "pod_mounts_pvc",
    "pvc_bound_to",
    "recreated",
    "uid_unchanged",
    "exec",
    "sql",
    "dns",
    "survives_deletion",
];
