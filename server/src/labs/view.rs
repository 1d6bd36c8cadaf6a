//! Building what the lab panel shows from the lab, the learner's stored records and the live
//! verdicts.

use std::collections::HashMap;

use kubedojo_app::lab::model::{
    ActionTarget, ActionView, ClusterState, DiagnosisView, PodTarget, SolutionStep, StepState,
    StepView, TaskStatus, TaskView,
};
use kubedojo_grader::model::{NodeTarget, Target};
use kubedojo_grader::{ActionKind, LabInstance, Status, Task, TaskResult};
use kubedojo_progress::LabTaskRecord;

use crate::cluster::{Progress, StepStatus};

/// The checklist entry of one task.
pub(crate) fn task_view(
    lab: &LabInstance,
    task: &Task,
    result: Option<&TaskResult>,
    record: Option<&LabTaskRecord>,
) -> TaskView {
    let record = record.cloned().unwrap_or_default();
    let status = match result {
        None => TaskStatus::Unknown,
        Some(r) if r.passed => TaskStatus::Passed,
        Some(r) if r.checks.iter().any(|c| c.status == Status::Error) => TaskStatus::Error,
        Some(_) => TaskStatus::Failed,
    };
    let revealed = usize::try_from(record.hints_revealed)
        .unwrap_or(usize::MAX)
        .min(task.hints.len());
    TaskView {
        id: task.id.clone(),
        title: task.title.clone(),
        instructions_html: kubedojo_course::render_markdown(&task.instructions).html,
        weight: task.weight,
        status,
        ever_passed: record.first_passed_at.is_some() || status == TaskStatus::Passed,
        diagnosis: result.filter(|r| !r.passed).and_then(diagnosis),
        hints: task.hints[..revealed].to_vec(),
        hints_total: task.hints.len(),
        solution: record.solution_shown.then(|| solution(lab, task)),
    }
}

/// The first failing check's diagnosis, or its one-line message when it has none.
pub(crate) fn diagnosis(result: &TaskResult) -> Option<DiagnosisView> {
    let check = result
        .checks
        .iter()
        .find(|c| matches!(c.status, Status::Fail | Status::Error))?;
    Some(match &check.diagnosis {
        Some(d) => DiagnosisView {
            summary: d.summary.clone(),
            findings: d.findings.clone(),
            objects: d.objects.clone(),
        },
        None => DiagnosisView {
            summary: check.message.clone(),
            findings: Vec::new(),
            objects: Vec::new(),
        },
    })
}

fn solution(lab: &LabInstance, task: &Task) -> Vec<SolutionStep> {
    task.solution
        .iter()
        .filter_map(|step| {
            let action = step.action.as_ref().and_then(|id| {
                lab.lab
                    .actions
                    .iter()
                    .find(|a| &a.id == id)
                    .map(|a| format!("(or press \u{201c}{}\u{201d})", a.label))
            });
            let command = match (&step.kubectl, action) {
                (Some(k), Some(a)) => Some(format!("{k}\n{a}")),
                (Some(k), None) => Some(k.clone()),
                (None, a) => a,
            };
            let manifest = step
                .apply
                .as_deref()
                .and_then(|file| lab.manifest_text(file).ok());
            // A machine-only step (a second `wait` after one `kubectl wait`) shows nothing.
            (command.is_some() || manifest.is_some()).then_some(SolutionStep { command, manifest })
        })
        .collect()
}

pub(crate) fn actions(lab: &LabInstance) -> Vec<ActionView> {
    lab.lab
        .actions
        .iter()
        .map(|a| ActionView {
            id: a.id.clone(),
            label: a.label.clone(),
            target: action_target(&a.kind),
        })
        .collect()
}

/// What an action acts on, for the picture's menu of the selected object.
fn action_target(kind: &ActionKind) -> Option<ActionTarget> {
    let pods = |t: &Target| PodTarget {
        name: t.name.clone(),
        selector: t.selector.clone(),
    };
    let node = |n: &NodeTarget| ActionTarget::Node {
        name: n.node.clone(),
        of_pod: n.node_of.as_ref().map(pods),
    };
    Some(match kind {
        ActionKind::DeletePod { target }
        | ActionKind::Sql { target, .. }
        | ActionKind::InsertRows { target, .. }
        | ActionKind::WriteFile { target, .. }
        | ActionKind::CountRows { target, .. }
        | ActionKind::ReadFile { target, .. } => {
            if target.name.is_none() && target.selector.is_none() {
                return None;
            }
            ActionTarget::Pod(pods(target))
        }
        ActionKind::Scale { resource, name, .. } => ActionTarget::Workload {
            resource: resource.clone(),
            name: name.clone(),
        },
        ActionKind::Cordon { node: n }
        | ActionKind::Uncordon { node: n }
        | ActionKind::Drain { node: n }
        | ActionKind::LoseNode { node: n }
        | ActionKind::RestoreNode { node: n } => node(n),
    })
}

/// Provisioning progress as the panel shows it.
pub(crate) fn provisioning(progress: &Progress) -> ClusterState {
    ClusterState::Provisioning {
        steps: progress
            .steps
            .iter()
            .map(|s| {
                let (state, detail) = match &s.status {
                    StepStatus::Pending => (StepState::Pending, None),
                    StepStatus::Running => (StepState::Running, None),
                    StepStatus::Done => (StepState::Done, None),
                    StepStatus::Failed(why) => (StepState::Failed, Some(why.clone())),
                };
                StepView {
                    name: s.name.replace('-', " "),
                    state,
                    detail,
                }
            })
            .collect(),
    }
}

/// Sum of the weights of the passing tasks, and of all tasks.
pub(crate) fn score(lab: &LabInstance, results: &HashMap<String, TaskResult>) -> (u32, u32) {
    lab.lab.tasks.iter().fold((0, 0), |(score, max), task| {
        let passed = results.get(&task.id).is_some_and(|r| r.passed);
        (
            score + if passed { task.weight } else { 0 },
            max + task.weight,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubedojo_grader::{CheckResult, Diagnosis, LabSource};

    fn lab() -> LabInstance {
        let text = r#"
title = "t"
namespace = "default"
[[actions]]
id = "del"
label = "Delete pod mysql"
kind = "delete_pod"
name = "mysql"
[[tasks]]
id = "a"
title = "A"
instructions = "Run **mysql**."
weight = 2
hints = ["one", "two"]
[[tasks.solution]]
kubectl = "kubectl apply -f pod.yaml"
apply = "manifests/pod.yaml"
[[tasks.solution]]
action = "del"
[[tasks.checks]]
kind = "exists"
resource = "Pod"
name = "mysql"
"#;
        let manifests = [("manifests/pod.yaml".to_string(), "kind: Pod\n".to_string())]
            .into_iter()
            .collect();
        LabSource::from_memory(std::path::Path::new("x"), text.into(), manifests)
            .expect("lab")
            .instantiate(1)
            .expect("instance")
    }

    fn failing() -> TaskResult {
        TaskResult {
            task_id: "a".into(),
            passed: false,
            checks: vec![CheckResult {
                index: 0,
                kind: "exists",
                status: Status::Fail,
                message: "no Pod mysql".into(),
                diagnosis: Some(Diagnosis::new("Pod mysql does not exist").object("Pod/mysql")),
            }],
        }
    }

    #[test]
    fn a_task_shows_revealed_hints_its_diagnosis_and_the_solution_once_asked() {
        let lab = lab();
        let task = &lab.lab.tasks[0];
        let record = LabTaskRecord {
            hints_revealed: 1,
            solution_shown: true,
            ..LabTaskRecord::default()
        };
        let view = task_view(&lab, task, Some(&failing()), Some(&record));
        assert_eq!(view.status, TaskStatus::Failed);
        assert_eq!(view.hints, ["one"]);
        assert_eq!(view.hints_total, 2);
        assert!(view.instructions_html.contains("<strong>mysql</strong>"));
        let diagnosis = view.diagnosis.expect("diagnosis");
        assert_eq!(diagnosis.summary, "Pod mysql does not exist");
        assert_eq!(diagnosis.objects, ["Pod/mysql"]);
        let solution = view.solution.expect("solution");
        assert_eq!(solution[0].manifest.as_deref(), Some("kind: Pod\n"));
        assert_eq!(
            solution[1].command.as_deref(),
            Some("(or press \u{201c}Delete pod mysql\u{201d})")
        );
        let unseen = task_view(&lab, task, None, None);
        assert_eq!(unseen.status, TaskStatus::Unknown);
        assert!(unseen.hints.is_empty() && unseen.solution.is_none());
    }

    #[test]
    fn actions_carry_the_object_they_act_on() {
        let lab = lab();
        let views = actions(&lab);
        assert_eq!(views[0].id, "del");
        assert_eq!(
            views[0].target,
            Some(ActionTarget::Pod(PodTarget {
                name: Some("mysql".into()),
                selector: None
            }))
        );
        let nodes = LabSource::from_memory(
            std::path::Path::new("x"),
            r#"
title = "t"
namespace = "default"
tasks = []
[[actions]]
id = "lose"
label = "Lose the node of mysql-0"
kind = "lose_node"
node_of = { name = "mysql-0" }
[[actions]]
id = "restore"
label = "Restore nodes"
kind = "restore_node"
[[actions]]
id = "scale"
label = "Scale"
kind = "scale"
resource = "StatefulSet"
name = "mysql"
replicas = "3"
"#
            .into(),
            Default::default(),
        )
        .expect("lab")
        .instantiate(1)
        .expect("instance");
        let targets: Vec<_> = actions(&nodes).into_iter().map(|a| a.target).collect();
        assert_eq!(
            targets,
            [
                Some(ActionTarget::Node {
                    name: None,
                    of_pod: Some(PodTarget {
                        name: Some("mysql-0".into()),
                        selector: None
                    })
                }),
                Some(ActionTarget::Node {
                    name: None,
                    of_pod: None
                }),
                Some(ActionTarget::Workload {
                    resource: "StatefulSet".into(),
                    name: "mysql".into()
                }),
            ]
        );
    }

    #[test]
    fn the_score_is_the_weight_of_passing_tasks() {
        let lab = lab();
        let mut results = HashMap::new();
        assert_eq!(score(&lab, &results), (0, 2));
        let mut pass = failing();
        pass.passed = true;
        results.insert("a".to_string(), pass);
        assert_eq!(score(&lab, &results), (2, 2));
    }
}
