//! The task checklist: live status, diagnosis, hints one at a time, the solution behind a
//! confirmation, and the score. Every button is a server-function form, so it also works
//! before hydration.

use leptos::prelude::*;

use crate::components::PostForm;
use crate::components::sync_view::Erase as _;

use super::api::{RevealHint, ShowSolution};
use super::disclosure::Disclosures;
use super::model::{DiagnosisView, SolutionStep, TaskStatus, TaskView};
use super::picture::model::anchor_id;

#[component]
pub(crate) fn TaskList(
    slug: String,
    tasks: Vec<TaskView>,
    hint: ServerAction<RevealHint>,
    solution: ServerAction<ShowSolution>,
) -> impl IntoView {
    view! {
        <ol class="lab-task-list">
            {tasks
                .into_iter()
                .map(|task| view! { <TaskItem slug=slug.clone() task hint solution /> })
                .collect_view()}
        </ol>
    }
}

#[component]
fn TaskItem(
    slug: String,
    task: TaskView,
    hint: ServerAction<RevealHint>,
    solution: ServerAction<ShowSolution>,
) -> impl IntoView {
    let TaskView {
        id,
        title,
        instructions_html,
        weight,
        status,
        ever_passed,
        diagnosis,
        hints,
        hints_total,
        solution: solution_steps,
    } = task;
    let (class, label) = match status {
        TaskStatus::Passed => ("passed", "Passed"),
        TaskStatus::Failed => ("failed", "Not yet"),
        TaskStatus::Error => ("error", "Cannot check"),
        TaskStatus::Unknown => ("unknown", "Not checked"),
    };
    let more_hints = hints.len() < hints_total;
    let hint_label = if hints.is_empty() {
        format!("Show a hint (1 of {hints_total})")
    } else {
        format!("Next hint ({} of {hints_total})", hints.len() + 1)
    };
    let (hint_slug, hint_id) = (slug.clone(), id.clone());
    let (solution_slug, solution_id) = (slug, id.clone());
    // The learner's own opening and closing survives the panel being drawn again.
    let disclosures = Disclosures::get();
    let task_key = format!("task:{id}");
    let task_default = status != TaskStatus::Passed;
    let task_open = disclosures.is_open(&task_key, task_default);
    let confirm_key = format!("solution:{id}");
    let confirm_open = disclosures.is_open(&confirm_key, false);
    let points = if weight == 1 {
        "1 point".to_string()
    } else {
        format!("{weight} points")
    };
    view! {
        <li class=format!("lab-task {class}") data-task=id>
            <details open=task_open>
                <summary on:click=move |_| disclosures.toggled(&task_key, task_default)>
                    <span class=format!("task-status {class}") role="img" aria-label=label></span>
                    <span class="task-title">{title}</span>
                    <span class="task-meta">
                        {label} " · " {points}
                        {(ever_passed && status != TaskStatus::Passed).then_some(" · passed before")}
                    </span>
                </summary>
                <div class="task-instructions" inner_html=instructions_html></div>
                {diagnosis.map(|d| view! { <Diagnosis diagnosis=d /> })}
                {(!hints.is_empty())
                    .then(|| {
                        view! {
                            <ol class="task-hints" aria-label="Hints">
                                {hints.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}
                            </ol>
                        }
                    })}
                <div class="task-buttons">
                    {more_hints
                        .then(move || {
                            view! {
                                <PostForm action=hint attr:class="inline-form">
                                    <input type="hidden" name="slug" value=hint_slug />
                                    <input type="hidden" name="task" value=hint_id />
                                    <button type="submit" class="button hint-button">{hint_label}</button>
                                </PostForm>
                            }
                        })}
                    {match solution_steps {
                        Some(steps) => view! { <Solution steps /> }.erase(),
                        None => view! {
                            // The confirmation is a second button inside a disclosure, so it
                            // works without JavaScript and cannot be pressed by accident.
                            <details
                                class="solution-confirm"
                                open=confirm_open
                            >
                                <summary
                                    class="button"
                                    on:click=move |_| disclosures.toggled(&confirm_key, false)
                                >
                                    "Show the solution"
                                </summary>
                                <p>"You learn more by trying first. Still want to see it?"</p>
                                <PostForm action=solution attr:class="inline-form">
                                    <input type="hidden" name="slug" value=solution_slug />
                                    <input type="hidden" name="task" value=solution_id />
                                    <button type="submit" class="button danger">"Yes, show me the solution"</button>
                                </PostForm>
                            </details>
                        }
                        .erase(),
                    }}
                </div>
            </details>
        </li>
    }
}

#[component]
fn Diagnosis(diagnosis: DiagnosisView) -> impl IntoView {
    let DiagnosisView {
        summary,
        findings,
        objects,
    } = diagnosis;
    view! {
        <div class="diagnosis" role="note">
            <p class="diagnosis-summary">{summary}</p>
            {(!findings.is_empty())
                .then(|| {
                    view! {
                        <ul class="diagnosis-findings">
                            {findings.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                        </ul>
                    }
                })}
            {(!objects.is_empty())
                .then(|| {
                    view! {
                        <p class="diagnosis-objects">
                            "Look at: "
                            {objects
                                .into_iter()
                                .map(|o| {
                                    // Objects the picture draws link to their box there.
                                    let anchor = picture_anchor(&o);
                                    let text = o.clone();
                                    match anchor {
                                        Some(href) => view! { <a class="object-ref" href=href data-object=o>{text}</a> " " }.erase(),
                                        None => view! { <code class="object-ref" data-object=o>{text}</code> " " }.erase(),
                                    }
                                })
                                .collect_view()}
                        </p>
                    }
                })}
        </div>
    }
}

/// `#obj-<Kind>-<name>` for a `Kind/name` the cluster picture draws a box for.
fn picture_anchor(object: &str) -> Option<String> {
    let (kind, name) = object.split_once('/')?;
    DRAWN_KINDS
        .contains(&kind)
        .then(|| format!("#{}", anchor_id(kind, name)))
}

/// The kinds the cluster picture draws.
const DRAWN_KINDS: [&str; 6] = [
    "Pod",
    "Service",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "Node",
];

#[component]
fn Solution(steps: Vec<SolutionStep>) -> impl IntoView {
    view! {
        <div class="solution">
            <h4>"Solution"</h4>
            <ol>
                {steps
                    .into_iter()
                    .map(|step| {
                        view! {
                            <li>
                                {step.command.map(|c| view! { <pre class="solution-command"><code>{c}</code></pre> })}
                                {step.manifest.map(|m| view! { <pre class="solution-manifest"><code>{m}</code></pre> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_in_the_picture_link_to_their_box() {
        assert_eq!(
            picture_anchor("Pod/mysql-0").as_deref(),
            Some("#obj-Pod-mysql-0")
        );
        assert_eq!(
            picture_anchor("PersistentVolumeClaim/data-mysql-0").as_deref(),
            Some("#obj-PersistentVolumeClaim-data-mysql-0")
        );
        assert_eq!(picture_anchor("StatefulSet/mysql"), None);
        assert_eq!(picture_anchor("mysql"), None);
    }
}
