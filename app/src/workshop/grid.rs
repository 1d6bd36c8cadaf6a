//! The instructor's live grid: a row per learner, a column per task, a totals row at the bottom.
//!
//! Built for a room of 200: rows are a keyed `<For>` over the learners' keys, and each row
//! follows its own learner through a memo, so a message that changes one learner's cell redraws
//! that row only (the other rows compare equal and stay as they are).

use leptos::prelude::*;

use crate::components::sync_view::Erase as _;

use super::format::{self, cell_look};
use super::model::{GridLearner, InstructorView};

/// The grid of `live`. Clicking a learner's name puts their key into `watching`.
#[component]
pub(crate) fn Grid(
    live: RwSignal<InstructorView>,
    watching: RwSignal<Option<String>>,
) -> impl IntoView {
    let titles = Memo::new(move |_| {
        live.with(|v| {
            v.grid
                .tasks
                .iter()
                .map(|t| (t.task.clone(), t.title.clone()))
                .collect::<Vec<_>>()
        })
    });
    let totals = Memo::new(move |_| {
        live.with(|v| {
            v.grid
                .tasks
                .iter()
                .map(|t| (t.passed, t.stuck))
                .collect::<Vec<_>>()
        })
    });
    let keys = Memo::new(move |_| {
        live.with(|v| {
            v.grid
                .learners
                .iter()
                .map(|l| l.key.clone())
                .collect::<Vec<_>>()
        })
    });
    let stuck_after = Memo::new(move |_| live.with(|v| v.grid.stuck_after_minutes));
    view! {
        <section class="workshop-grid-section" aria-labelledby="grid-title">
            <h2 id="grid-title">"Progress"</h2>
            <p class="grid-legend muted">
                <span class="cell passed">"✓"</span>" passed · "
                <span class="cell working">"…"</span>" working · "
                <span class="cell stuck">"!"</span>
                {move || format!(" stuck (no progress for {} min) · ", stuck_after.get())}
                <span class="cell not_started">"·"</span>" not started. "
                "Click a name to see that learner's cluster."
            </p>
            <Show
                when=move || keys.with(|k| !k.is_empty())
                fallback=|| {
                    view! {
                        <p class="empty-state">
                            "Nobody has joined yet. Show the join code or the QR code to the room."
                        </p>
                    }
                }
            >
                <div class="grid-scroll">
                    <table class="workshop-grid">
                        <thead>
                            <tr>
                                <th scope="col">"Learner"</th>
                                {move || {
                                    titles
                                        .get()
                                        .into_iter()
                                        .map(|(task, title)| {
                                            view! {
                                                <th scope="col" class="task-heading" data-task=task>
                                                    <span>{title}</span>
                                                </th>
                                            }
                                        })
                                        .collect_view()
                                }}
                                <th scope="col">"Score"</th>
                                <th scope="col">"Idle"</th>
                                <th scope="col">"Last diagnosis"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || keys.get() key=String::clone let:key>
                                <GridRow learner_key=key live titles watching />
                            </For>
                        </tbody>
                        <tfoot>
                            <tr>
                                <th scope="row">"Passed · stuck"</th>
                                {move || {
                                    totals
                                        .get()
                                        .into_iter()
                                        .map(|(passed, stuck)| {
                                            view! {
                                                <td class="task-total">
                                                    {format::task_totals(passed, stuck)}
                                                </td>
                                            }
                                        })
                                        .collect_view()
                                }}
                                <td colspan="3"></td>
                            </tr>
                        </tfoot>
                    </table>
                </div>
            </Show>
        </section>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}

/// One learner's row; redraws only when that learner's entry changes.
#[component]
fn GridRow(
    learner_key: String,
    live: RwSignal<InstructorView>,
    titles: Memo<Vec<(String, String)>>,
    watching: RwSignal<Option<String>>,
) -> impl IntoView {
    let row = {
        let key = learner_key.clone();
        Memo::new(move |_| live.with(|v| v.grid.learners.iter().find(|l| l.key == key).cloned()))
    };
    let read = move |f: fn(&GridLearner) -> String| {
        move || row.with(|l| l.as_ref().map(f).unwrap_or_default())
    };
    let watched = {
        let key = learner_key.clone();
        Memo::new(move |_| watching.with(|w| w.as_deref() == Some(key.as_str())))
    };
    let select = {
        let key = learner_key.clone();
        move |_| watching.set(Some(key.clone()))
    };
    let cells = move || {
        let (name, cells) = row.with(|l| {
            l.as_ref()
                .map(|l| (l.name.clone(), l.cells.clone()))
                .unwrap_or_default()
        });
        titles.with(|titles| {
            cells
                .into_iter()
                .zip(titles.iter())
                .map(|(state, (task, title))| {
                    let look = cell_look(state);
                    view! {
                        <td
                            class=format!("cell {}", look.class)
                            data-task=task.clone()
                            data-state=look.class
                            title=format!("{name} · {title}: {}", look.label)
                        >
                            <span aria-hidden="true">{look.icon}</span>
                            <span class="sr-only">{look.label}</span>
                        </td>
                    }
                })
                .collect_view()
        })
    };
    let diagnosis = read(|l| l.last_diagnosis.clone().unwrap_or_default());
    view! {
        <tr data-learner=learner_key class:watched=watched>
            <th scope="row">
                <button
                    type="button"
                    class="learner-name"
                    aria-pressed=move || watched.get().to_string()
                    on:click=select
                >
                    <span
                        class=move || {
                            if row.with(|l| l.as_ref().is_some_and(|l| l.has_cluster)) {
                                "cluster-dot on"
                            } else {
                                "cluster-dot"
                            }
                        }
                        title=move || {
                            if row.with(|l| l.as_ref().is_some_and(|l| l.has_cluster)) {
                                "has a cluster"
                            } else {
                                "no cluster"
                            }
                        }
                    ></span>
                    {read(|l| l.name.clone())}
                </button>
            </th>
            {cells}
            <td class="score">{read(|l| format!("{}/{}", l.score, l.max_score))}</td>
            <td class="idle">{read(|l| format::idle(l.idle_seconds))}</td>
            <td class="last-diagnosis" title=diagnosis>{diagnosis}</td>
        </tr>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}
