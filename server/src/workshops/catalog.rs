//! The labs a workshop can cover, read once from the course: each lab's tasks (title, weight)
//! for the grid's columns, and its actions for the chaos buttons.

use std::collections::BTreeMap;

use kubedojo_course::Catalog;
use kubedojo_grader::LabSource;

/// One task, as a grid column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    pub id: String,
    pub title: String,
    pub weight: u32,
}

/// One lab a workshop may cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabInfo {
    pub slug: String,
    pub title: String,
    pub tasks: Vec<TaskInfo>,
    /// `(id, label)` of the lab's actions.
    pub actions: Vec<(String, String)>,
}

/// Every lab of the course, by slug, in course order.
pub fn labs(catalog: &Catalog) -> BTreeMap<String, LabInfo> {
    let mut labs = BTreeMap::new();
    for lesson in catalog.lessons() {
        let Some(files) = &lesson.lab else { continue };
        // The lab as written, placeholders in place: the instructor sees "Insert N rows", not
        // one learner's number (each learner's own values are used when an action runs).
        let source = match LabSource::from_memory(
            std::path::Path::new(&lesson.slug),
            files.text.clone(),
            files.manifests.clone(),
        ) {
            Ok(source) => source,
            Err(e) => {
                tracing::warn!(lab = %lesson.slug, error = %e, "a lab cannot be offered to workshops");
                continue;
            }
        };
        let generic = |text: &str| placeholders_as_n(text);
        labs.insert(
            lesson.slug.clone(),
            LabInfo {
                slug: lesson.slug.clone(),
                title: lesson.front.title.clone(),
                tasks: source
                    .lab
                    .tasks
                    .iter()
                    .map(|t| TaskInfo {
                        id: t.id.clone(),
                        title: generic(&t.title),
                        weight: t.weight,
                    })
                    .collect(),
                actions: source
                    .lab
                    .actions
                    .iter()
                    .map(|a| (a.id.clone(), generic(&a.label)))
                    .collect(),
            },
        );
    }
    labs
}

/// `Insert {{ rows }} rows` → `Insert N rows`.
fn placeholders_as_n(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push('N');
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_read_as_n() {
        assert_eq!(placeholders_as_n("Insert {{ rows }} rows"), "Insert N rows");
        assert_eq!(placeholders_as_n("{{a}} and {{ b }}"), "N and N");
        assert_eq!(placeholders_as_n("no {{ end"), "no {{ end");
        assert_eq!(placeholders_as_n("plain"), "plain");
    }

    #[test]
    fn every_embedded_lab_is_offered_with_generic_labels() {
        let catalog =
            Catalog::load(&kubedojo_course::LessonSource::Embedded).expect("embedded lessons");
        let labs = labs(&catalog);
        assert!(labs.len() >= 10, "{}", labs.len());
        let two = labs.get("02-bare-pod-data-loss").expect("lesson 2 lab");
        assert_eq!(two.tasks.len(), 4);
        assert!(
            two.actions
                .iter()
                .any(|(id, label)| id == "insert-bare" && label.starts_with("Insert N rows")),
            "{:?}",
            two.actions
        );
    }
}
