//! The task checklist: live status, diagnosis, hints one at a time, the solution behind a
//! confirmation, and the score. Every button is a server-function form, so it also works
//! before hydration.

use leptos::prelude::*;

use super::api::{RevealHint, ShowSolution};
use super::model::{DiagnosisView, SolutionStep, TaskStatus, TaskView};

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
    let points = if weight == 1 {
        "1 point".to_string()
    } else {
        format!("{weight} points")
    };
    view! {
        <li class=format!("lab-task {class}") data-task=id>
            <details open=status != TaskStatus::Passed>
                <summary>
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
                                <ActionForm action=hint attr:class="inline-form">
                                    <input type="hidden" name="slug" value=hint_slug />
                                    <input type="hidden" name="task" value=hint_id />
                                    <button type="submit" class="button hint-button">{hint_label}</button>
                                </ActionForm>
                            }
                        })}
                    {match solution_steps {
                        Some(steps) => view! { <Solution steps /> }.into_any(),
                        None => view! {
                            // The confirmation is a second button inside a disclosure, so it
                            // works without JavaScript and cannot be pressed by accident.
                            <details class="solution-confirm">
                                <summary class="button">"Show the solution"</summary>
                                <p>"You learn more by trying first. Still want to see it?"</p>
                                <ActionForm action=solution attr:class="inline-form">
                                    <input type="hidden" name="slug" value=solution_slug />
                                    <input type="hidden" name="task" value=solution_id />
                                    <button type="submit" class="button danger">"Yes, show me the solution"</button>
                                </ActionForm>
                            </details>
                        }
                        .into_any(),
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
                                    // Links to the object in the cluster picture.
                                    let anchor = format!("#obj-{}", o.replace('/', "-"));
                                    let text = o.clone();
                                    view! { <a class="object-ref" href=anchor data-object=o>{text}</a> " " }
                                })
                                .collect_view()}
                        </p>
                    }
                })}
        </div>
    }
}

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
