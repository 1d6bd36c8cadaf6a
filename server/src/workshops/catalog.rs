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
        // Titles and labels do not depend on the learner's random values, so any seed will do.
        let instance = LabSource::from_memory(
            std::path::Path::new(&lesson.slug),
            files.text.clone(),
            files.manifests.clone(),
        )
        .and_then(|source| source.instantiate(0));
        let instance = match instance {
            Ok(instance) => instance,
            Err(e) => {
                tracing::warn!(lab = %lesson.slug, error = %e, "a lab cannot be offered to workshops");
                continue;
            }
        };
        labs.insert(
            lesson.slug.clone(),
            LabInfo {
                slug: lesson.slug.clone(),
                title: lesson.front.title.clone(),
                tasks: instance
                    .lab
                    .tasks
                    .iter()
                    .map(|t| TaskInfo {
                        id: t.id.clone(),
                        title: t.title.clone(),
                        weight: t.weight,
                    })
                    .collect(),
                actions: instance
                    .lab
                    .actions
                    .iter()
                    .map(|a| (a.id.clone(), a.label.clone()))
                    .collect(),
            },
        );
    }
    labs
}
