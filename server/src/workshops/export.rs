//! Results export: one row per learner and task, as CSV (for a spreadsheet) and JSON (for a
//! script). Every member appears with every task of the workshop, passed or not.

use std::collections::HashMap;

use kubedojo_progress::{MemberRecord, MemberTask, WorkshopRecord};
use serde::Serialize;

use super::catalog::LabInfo;

/// One learner's result on one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultRow {
    pub learner: String,
    pub learner_key: String,
    pub joined_at: String,
    pub lab: String,
    pub task: String,
    pub task_title: String,
    pub weight: u32,
    pub passed: bool,
    pub first_passed_at: Option<String>,
    pub hints_revealed: u32,
    pub solution_shown: bool,
    pub last_diagnosis: Option<String>,
}

/// The JSON document.
#[derive(Debug, Serialize)]
pub struct Results<'a> {
    pub workshop: &'a str,
    pub title: &'a str,
    pub code: &'a str,
    pub created_at: &'a str,
    pub ended_at: Option<&'a str>,
    pub rows: Vec<ResultRow>,
}

/// Every (member, task) pair with what is stored for it.
pub fn rows(labs: &[&LabInfo], members: &[MemberRecord], tasks: &[MemberTask]) -> Vec<ResultRow> {
    let stored: HashMap<(&str, &str, &str), &MemberTask> = tasks
        .iter()
        .map(|t| ((t.key.as_str(), t.lab.as_str(), t.task.as_str()), t))
        .collect();
    let mut rows = Vec::new();
    for member in members {
        for lab in labs {
            for task in &lab.tasks {
                let record =
                    stored.get(&(member.key.as_str(), lab.slug.as_str(), task.id.as_str()));
                rows.push(ResultRow {
                    learner: member.display_name.clone(),
                    learner_key: member.key.clone(),
                    joined_at: member.joined_at.clone(),
                    lab: lab.slug.clone(),
                    task: task.id.clone(),
                    task_title: task.title.clone(),
                    weight: task.weight,
                    passed: record.is_some_and(|r| r.first_passed_at.is_some()),
                    first_passed_at: record.and_then(|r| r.first_passed_at.clone()),
                    hints_revealed: record.map_or(0, |r| r.hints_revealed),
                    solution_shown: record.is_some_and(|r| r.solution_shown),
                    last_diagnosis: record.and_then(|r| r.last_diagnosis.clone()),
                });
            }
        }
    }
    rows
}

/// The JSON export.
pub fn json(workshop: &WorkshopRecord, rows: Vec<ResultRow>) -> String {
    let results = Results {
        workshop: &workshop.id,
        title: &workshop.title,
        code: &workshop.code,
        created_at: &workshop.created_at,
        ended_at: workshop.ended_at.as_deref(),
        rows,
    };
    // NB: only strings, numbers and booleans: serialising cannot fail.
    serde_json::to_string_pretty(&results).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The CSV export (RFC 4180: fields quoted when needed, quotes doubled, CRLF line ends).
pub fn csv(rows: &[ResultRow]) -> String {
    let mut out = String::from(
        "learner,learner_key,joined_at,lab,task,task_title,weight,passed,first_passed_at,hints_revealed,solution_shown,last_diagnosis\r\n",
    );
    for r in rows {
        let fields = [
            field(&r.learner),
            field(&r.learner_key),
            field(&r.joined_at),
            field(&r.lab),
            field(&r.task),
            field(&r.task_title),
            r.weight.to_string(),
            r.passed.to_string(),
            field(r.first_passed_at.as_deref().unwrap_or("")),
            r.hints_revealed.to_string(),
            r.solution_shown.to_string(),
            field(r.last_diagnosis.as_deref().unwrap_or("")),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV field. A leading `=`, `+`, `-` or `@` is neutralised with a `'` so a display name
/// cannot become a spreadsheet formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshops::catalog::TaskInfo;
    use kubedojo_progress::LearnerId;

    #[test]
    fn every_member_gets_every_task_and_fields_are_quoted() {
        let lab = LabInfo {
            slug: "02".into(),
            title: "Pods".into(),
            tasks: vec![
                TaskInfo {
                    id: "a".into(),
                    title: "Keep, the \"data\"".into(),
                    weight: 2,
                },
                TaskInfo {
                    id: "b".into(),
                    title: "B".into(),
                    weight: 1,
                },
            ],
            actions: vec![],
        };
        let members = [MemberRecord {
            learner: LearnerId::generate(),
            key: "k1".into(),
            display_name: "=HYPERLINK(\"x\")".into(),
            joined_at: "2026-11-26T10:00:00.000Z".into(),
        }];
        let tasks = [MemberTask {
            key: "k1".into(),
            lab: "02".into(),
            task: "a".into(),
            passed: false,
            first_passed_at: Some("2026-11-26T10:05:00.000Z".into()),
            last_diagnosis: None,
            hints_revealed: 1,
            solution_shown: false,
            updated_at: "2026-11-26T10:06:00.000Z".into(),
        }];
        let rows = rows(&[&lab], &members, &tasks);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].passed, "a task that ever passed counts");
        assert!(!rows[1].passed);
        let csv = csv(&rows);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{csv}");
        assert!(
            lines[1].starts_with("\"'=HYPERLINK(\"\"x\"\")\",k1,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains(",\"Keep, the \"\"data\"\"\",2,true,"),
            "{}",
            lines[1]
        );
    }
}
