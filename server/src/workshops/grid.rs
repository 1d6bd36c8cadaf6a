//! The instructor's grid, computed from what the progress store holds: a pure function of the
//! records and the time, so it is tested without a server.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use kubedojo_app::workshop::model::{CellState, GridLearner, GridTask, GridView, WorkshopSummary};
use kubedojo_progress::{MemberActivity, MemberRecord, MemberTask};

use super::catalog::LabInfo;

/// Everything the grid is made of.
pub struct GridInput<'a> {
    pub summary: WorkshopSummary,
    pub labs: Vec<&'a LabInfo>,
    pub members: &'a [MemberRecord],
    pub tasks: &'a [MemberTask],
    pub activity: &'a [MemberActivity],
    /// Grid keys of members who have a cluster now.
    pub with_cluster: &'a HashSet<String>,
    pub stuck_after_minutes: u32,
    pub now: DateTime<Utc>,
}

fn parse_time(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Builds the grid: one row per member, one column per task of the workshop's labs.
pub fn build(input: GridInput<'_>) -> GridView {
    let stuck_after = chrono::Duration::minutes(i64::from(input.stuck_after_minutes));
    let records: HashMap<(&str, &str, &str), &MemberTask> = input
        .tasks
        .iter()
        .map(|t| ((t.key.as_str(), t.lab.as_str(), t.task.as_str()), t))
        .collect();
    let last_activity: HashMap<(&str, &str), DateTime<Utc>> = input
        .activity
        .iter()
        .filter_map(|a| Some(((a.key.as_str(), a.lab.as_str()), parse_time(&a.last_at)?)))
        .collect();
    let columns: Vec<(&LabInfo, &super::catalog::TaskInfo)> = input
        .labs
        .iter()
        .flat_map(|lab| lab.tasks.iter().map(move |t| (*lab, t)))
        .collect();
    let max_score = columns.iter().map(|(_, t)| t.weight).sum();

    let learners: Vec<GridLearner> = input
        .members
        .iter()
        .map(|member| {
            let key = member.key.as_str();
            let cells: Vec<CellState> = columns
                .iter()
                .map(|(lab, task)| {
                    let record = records.get(&(key, lab.slug.as_str(), task.id.as_str()));
                    if record.is_some_and(|r| r.first_passed_at.is_some()) {
                        return CellState::Passed;
                    }
                    match last_activity.get(&(key, lab.slug.as_str())) {
                        None => CellState::NotStarted,
                        Some(at) if input.now - *at >= stuck_after => CellState::Stuck,
                        Some(_) => CellState::Working,
                    }
                })
                .collect();
            let score = columns
                .iter()
                .zip(&cells)
                .filter(|(_, c)| **c == CellState::Passed)
                .map(|((_, t), _)| t.weight)
                .sum();
            let last_diagnosis = input
                .tasks
                .iter()
                .filter(|t| t.key == key && !t.passed)
                .filter(|t| t.last_diagnosis.is_some())
                .max_by(|a, b| a.updated_at.cmp(&b.updated_at))
                .and_then(|t| t.last_diagnosis.clone());
            let idle_seconds = input
                .labs
                .iter()
                .filter_map(|lab| last_activity.get(&(key, lab.slug.as_str())))
                .max()
                .map(|at| u64::try_from((input.now - *at).num_seconds()).unwrap_or(0));
            GridLearner {
                key: member.key.clone(),
                name: member.display_name.clone(),
                cells,
                score,
                max_score,
                last_diagnosis,
                idle_seconds,
                has_cluster: input.with_cluster.contains(key),
            }
        })
        .collect();

    let tasks = columns
        .iter()
        .enumerate()
        .map(|(i, (lab, task))| {
            let count = |state: CellState| {
                let n = learners.iter().filter(|l| l.cells[i] == state).count();
                u32::try_from(n).unwrap_or(u32::MAX)
            };
            GridTask {
                lab: lab.slug.clone(),
                task: task.id.clone(),
                title: task.title.clone(),
                passed: count(CellState::Passed),
                stuck: count(CellState::Stuck),
            }
        })
        .collect();

    GridView {
        workshop: input.summary,
        tasks,
        learners,
        stuck_after_minutes: input.stuck_after_minutes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshops::catalog::TaskInfo;
    use kubedojo_app::workshop::model::WorkshopState;
    use kubedojo_progress::LearnerId;

    fn summary() -> WorkshopSummary {
        WorkshopSummary {
            id: "w".into(),
            title: "t".into(),
            code: "C".into(),
            join_path: "/join/C".into(),
            qr_svg: String::new(),
            labs: vec![],
            backend: "sandbox".into(),
            capacity: 10,
            learners: 3,
            state: WorkshopState::Running,
            ends_at: String::new(),
            seconds_left: 60,
            announcement: None,
        }
    }

    fn member(key: &str, name: &str) -> MemberRecord {
        MemberRecord {
            learner: LearnerId::generate(),
            key: key.into(),
            display_name: name.into(),
            joined_at: "2026-11-26T10:00:00.000Z".into(),
        }
    }

    fn task(key: &str, id: &str, passed: bool, diagnosis: Option<&str>, at: &str) -> MemberTask {
        MemberTask {
            key: key.into(),
            lab: "02".into(),
            task: id.into(),
            passed,
            first_passed_at: passed.then(|| at.to_string()),
            last_diagnosis: diagnosis.map(str::to_string),
            hints_revealed: 0,
            solution_shown: false,
            updated_at: at.into(),
        }
    }

    #[test]
    fn cells_are_passed_working_stuck_or_not_started() {
        let lab = LabInfo {
            slug: "02".into(),
            title: "Pods".into(),
            tasks: vec![
                TaskInfo {
                    id: "a".into(),
                    title: "A".into(),
                    weight: 1,
                },
                TaskInfo {
                    id: "b".into(),
                    title: "B".into(),
                    weight: 2,
                },
            ],
            actions: vec![],
        };
        let members = [member("k1", "Ada"), member("k2", "Bob"), member("k3", "Cy")];
        let tasks = [
            task("k1", "a", true, None, "2026-11-26T10:05:00.000Z"),
            task(
                "k1",
                "b",
                false,
                Some("emptyDir"),
                "2026-11-26T10:06:00.000Z",
            ),
            task("k2", "b", false, Some("old"), "2026-11-26T10:01:00.000Z"),
        ];
        let activity = [
            MemberActivity {
                key: "k1".into(),
                lab: "02".into(),
                last_at: "2026-11-26T10:06:00.000Z".into(),
                attempts: 4,
            },
            MemberActivity {
                key: "k2".into(),
                lab: "02".into(),
                last_at: "2026-11-26T10:01:00.000Z".into(),
                attempts: 1,
            },
        ];
        let with_cluster = HashSet::from(["k1".to_string()]);
        let now = parse_time("2026-11-26T10:12:00.000Z").expect("time");
        let grid = build(GridInput {
            summary: summary(),
            labs: vec![&lab],
            members: &members,
            tasks: &tasks,
            activity: &activity,
            with_cluster: &with_cluster,
            stuck_after_minutes: 10,
            now,
        });
        use CellState::*;
        let rows: Vec<(&str, Vec<CellState>, u32)> = grid
            .learners
            .iter()
            .map(|l| (l.name.as_str(), l.cells.clone(), l.score))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("Ada", vec![Passed, Working], 1),
                ("Bob", vec![Stuck, Stuck], 0),
                ("Cy", vec![NotStarted, NotStarted], 0),
            ]
        );
        let ada = &grid.learners[0];
        assert_eq!(ada.max_score, 3);
        assert_eq!(ada.last_diagnosis.as_deref(), Some("emptyDir"));
        assert_eq!(ada.idle_seconds, Some(360));
        assert!(ada.has_cluster && !grid.learners[1].has_cluster);
        assert_eq!(grid.learners[2].idle_seconds, None);
        let totals: Vec<(u32, u32)> = grid.tasks.iter().map(|t| (t.passed, t.stuck)).collect();
        assert_eq!(totals, vec![(1, 1), (0, 1)]);
    }
}
