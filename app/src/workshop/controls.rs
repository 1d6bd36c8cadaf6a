//! What the instructor can do to the whole room: the announcement, chaos in everyone's cluster,
//! resets, more time, the end; and what the last broadcast did. Every button is a form (it
//! works before the page is interactive), and the ones that touch learners' clusters ask first.

use leptos::prelude::*;

use crate::components::sync_view::Erase as _;

use super::api::{Announce, BroadcastChaos, EndWorkshop, ExtendWorkshop, ResetLearners};
use super::format;
use super::model::{BroadcastReport, InstructorView, WorkshopState};

/// The minutes "more time" adds.
const EXTEND_MINUTES: u32 = 15;

/// The instructor's server actions for one workshop. Each answer is the new view, which
/// replaces the live one; a failure goes to `error` until the next answer.
#[derive(Clone, Copy)]
pub(crate) struct WorkshopActions {
    pub(crate) announce: ServerAction<Announce>,
    pub(crate) chaos: ServerAction<BroadcastChaos>,
    pub(crate) reset: ServerAction<ResetLearners>,
    pub(crate) extend: ServerAction<ExtendWorkshop>,
    pub(crate) end: ServerAction<EndWorkshop>,
    pub(crate) error: RwSignal<Option<String>>,
}

impl WorkshopActions {
    pub(crate) fn new(live: RwSignal<InstructorView>) -> Self {
        let actions = Self {
            announce: ServerAction::new(),
            chaos: ServerAction::new(),
            reset: ServerAction::new(),
            extend: ServerAction::new(),
            end: ServerAction::new(),
            error: RwSignal::new(None),
        };
        let error = actions.error;
        let adopt = move |answer: Option<Result<InstructorView, ServerFnError>>| match answer {
            Some(Ok(view)) => {
                error.set(None);
                live.set(view);
            }
            Some(Err(e)) => error.set(Some(format::error_text(&e))),
            None => {}
        };
        Effect::new(move |_| adopt(actions.announce.value().get()));
        Effect::new(move |_| adopt(actions.chaos.value().get()));
        Effect::new(move |_| adopt(actions.reset.value().get()));
        Effect::new(move |_| adopt(actions.extend.value().get()));
        Effect::new(move |_| adopt(actions.end.value().get()));
        actions
    }

    /// Whether a broadcast (chaos or reset) is running.
    fn broadcasting(&self) -> bool {
        self.chaos.pending().get() || self.reset.pending().get()
    }
}

/// The controls of workshop `id`.
#[component]
pub(crate) fn Controls(
    id: String,
    live: RwSignal<InstructorView>,
    actions: WorkshopActions,
) -> impl IntoView {
    let running =
        Memo::new(move |_| live.with(|v| v.grid.workshop.state == WorkshopState::Running));
    let announcement =
        Memo::new(move |_| live.with(|v| v.grid.workshop.announcement.clone().unwrap_or_default()));
    let chaos = Memo::new(move |_| live.with(|v| v.chaos.clone()));
    let report = Memo::new(move |_| live.with(|v| v.last_broadcast.clone()));
    // NB: each form's children own their copy of the id.
    let (chaos_id, announce_id, reset_id, extend_id) =
        (id.clone(), id.clone(), id.clone(), id.clone());
    let chaos_buttons = move || {
        chaos
            .get()
            .into_iter()
            .map(|option| {
                let id = chaos_id.clone();
                view! {
                    <li>
                        <details class="confirm">
                            <summary class="button chaos" data-action=option.action.clone()>
                                {option.label.clone()}
                            </summary>
                            <p>
                                {format!(
                                    "“{}” runs in every learner's cluster that has this lab running.",
                                    option.label,
                                )}
                            </p>
                            <ActionForm action=actions.chaos attr:class="inline-form">
                                <input type="hidden" name="id" value=id />
                                <input type="hidden" name="lab" value=option.lab />
                                <input type="hidden" name="action" value=option.action />
                                <button
                                    type="submit"
                                    class="button danger"
                                    disabled=move || !running.get() || actions.broadcasting()
                                >
                                    "Yes, to everyone"
                                </button>
                            </ActionForm>
                        </details>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="workshop-controls" aria-labelledby="controls-title">
            <h2 id="controls-title">"The room"</h2>
            <p class="form-error" role="alert">{move || actions.error.get()}</p>
            <p class="broadcasting" role="status">
                {move || actions.broadcasting().then_some("Broadcasting to every cluster…")}
            </p>
            <ActionForm action=actions.announce attr:class="announce-form">
                <input type="hidden" name="id" value=announce_id />
                <label for="announcement">"Announcement (every learner sees it; empty clears it)"</label>
                <textarea
                    id="announcement"
                    name="text"
                    rows="2"
                    maxlength="500"
                    prop:value=move || announcement.get()
                >
                    {announcement.get_untracked()}
                </textarea>
                <button type="submit" class="button primary" disabled=move || !running.get()>
                    "Announce"
                </button>
            </ActionForm>
            <h3>"Chaos in everyone's cluster"</h3>
            <ul class="chaos-list">{chaos_buttons}</ul>
            <div class="room-buttons">
                <details class="confirm">
                    <summary class="button">"Reset everyone"</summary>
                    <p>"Every learner's clusters are deleted and their labs set up again."</p>
                    <ActionForm action=actions.reset attr:class="inline-form">
                        <input type="hidden" name="id" value=reset_id />
                        <button
                            type="submit"
                            class="button danger reset-everyone"
                            disabled=move || !running.get() || actions.broadcasting()
                        >
                            "Yes, reset everyone"
                        </button>
                    </ActionForm>
                </details>
                <ActionForm action=actions.extend attr:class="inline-form">
                    <input type="hidden" name="id" value=extend_id />
                    <input type="hidden" name="minutes" value=EXTEND_MINUTES.to_string() />
                    <button type="submit" class="button extend" disabled=move || !running.get()>
                        {format!("+{EXTEND_MINUTES} min")}
                    </button>
                </ActionForm>
                <details class="confirm">
                    <summary class="button">"End the workshop"</summary>
                    <p>"Learners' clusters are removed; the results stay here and in the exports."</p>
                    <ActionForm action=actions.end attr:class="inline-form">
                        <input type="hidden" name="id" value=id />
                        <button
                            type="submit"
                            class="button danger end-workshop"
                            disabled=move || !running.get()
                        >
                            "Yes, end it now"
                        </button>
                    </ActionForm>
                </details>
            </div>
            {move || report.get().map(|report| view! { <Report report /> })}
        </section>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}

/// What the last broadcast did.
#[component]
fn Report(report: BroadcastReport) -> impl IntoView {
    let BroadcastReport {
        what,
        succeeded,
        skipped,
        failed,
        took_ms,
    } = report;
    let failures = failed.len();
    view! {
        <div class="broadcast-report" role="status">
            <h3>"Last broadcast"</h3>
            <p>
                <strong>{what}</strong>
                {format!(
                    ": ✓ {succeeded} succeeded · {skipped} skipped (no cluster for the lab) · ✕ {failures} failed · {took_ms} ms",
                )}
            </p>
            {(!failed.is_empty())
                .then(|| {
                    view! {
                        <ul class="broadcast-failures">
                            {failed
                                .into_iter()
                                .map(|f| view! { <li><strong>{f.name}</strong>": "{f.reason}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
        </div>
    }
}
