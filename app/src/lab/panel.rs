//! The lab panel, beside every lesson that has a lab: start (with provisioning progress), the
//! lab's actions, the task checklist, the timeline, "check now" and "reset my cluster".
//!
//! The view comes from the server: first from a server function (so the page renders with
//! it), then from the lab's event stream (`/api/labs/{slug}/events`) and the answers of the
//! buttons' server functions, newest wins.

use leptos::prelude::*;

use crate::components::PostForm;
use crate::components::sync_view::{Erase as _, synced};

use super::api::{
    CheckLab, ResetLab, RevealHint, RunLabAction, SetLabPace, ShowSolution, StartLab, get_lab,
};
use super::disclosure::Disclosures;
use super::model::{ActionView, ClusterState, LabView, PaceView, StepState, TimelineKind};
use super::picture::{Actions, ClusterPicture, ObjectRef};
use super::tasks::TaskList;
use super::terminal::Terminal;

/// The panel for the lab of lesson `slug`.
#[component]
pub(crate) fn LabPanel(slug: String) -> impl IntoView {
    let start = ServerAction::<StartLab>::new();
    let check = ServerAction::<CheckLab>::new();
    let reset = ServerAction::<ResetLab>::new();
    let hint = ServerAction::<RevealHint>::new();
    let solution = ServerAction::<ShowSolution>::new();
    let act = ServerAction::<RunLabAction>::new();
    let pace = ServerAction::<SetLabPace>::new();
    let initial = {
        let slug = slug.clone();
        Resource::new(|| (), move |()| get_lab(slug.clone()))
    };
    let live = RwSignal::new(None::<LabView>);
    let adopt = move |value: Option<Result<LabView, ServerFnError>>| {
        if let Some(Ok(view)) = value {
            live.set(Some(view));
        }
    };
    Effect::new(move |_| adopt(start.value().get()));
    Effect::new(move |_| adopt(check.value().get()));
    Effect::new(move |_| adopt(reset.value().get()));
    Effect::new(move |_| adopt(hint.value().get()));
    Effect::new(move |_| adopt(solution.value().get()));
    Effect::new(move |_| adopt(act.value().get()));
    Effect::new(move |_| adopt(pace.value().get()));
    #[cfg(feature = "hydrate")]
    {
        let slug = slug.clone();
        Effect::new(move |_| super::follow::follow(&slug, live));
    }
    let error = move || {
        [
            start.value().get().and_then(Result::err),
            check.value().get().and_then(Result::err),
            reset.value().get().and_then(Result::err),
            hint.value().get().and_then(Result::err),
            solution.value().get().and_then(Result::err),
            act.value().get().and_then(Result::err),
            pace.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| clean_error(&e))
    };
    let forms = Forms {
        start,
        check,
        reset,
        hint,
        solution,
        act,
        pace,
    };
    Disclosures::provide();
    // The object clicked in the picture, and the lab's actions the picture offers on it.
    let selected = RwSignal::new(None::<ObjectRef>);
    let list = Memo::new(move |_| {
        latest(live, initial, |v| {
            if v.cluster == ClusterState::Ready {
                v.actions.clone()
            } else {
                Vec::new()
            }
        })
        .unwrap_or_default()
    });
    let idle = Memo::new(move |_| latest(live, initial, |v| v.busy.is_none()).unwrap_or(true));
    let actions = {
        let slug = slug.clone();
        Actions {
            list: list.into(),
            idle: idle.into(),
            run: Callback::new(move |action: String| {
                act.dispatch(RunLabAction {
                    slug: slug.clone(),
                    action,
                });
            }),
        }
    };
    // Hiding the panel gives the lesson its width; kept while the page stays.
    let collapsed = RwSignal::new(false);
    view! {
        <aside
            id="lab"
            class=move || if collapsed.get() { "lab-panel collapsed" } else { "lab-panel" }
            aria-labelledby="lab-panel-title"
            data-lab=slug
        >
            <header class="lab-panel-header">
                <h2 id="lab-panel-title">"Your cluster"</h2>
                <button
                    type="button"
                    class="lab-collapse"
                    aria-controls="lab-panel-content"
                    aria-expanded=move || (!collapsed.get()).to_string()
                    on:click=move |_| collapsed.update(|c| *c = !*c)
                >
                    {move || if collapsed.get() { "Show the lab" } else { "Hide the lab" }}
                </button>
                // Full screen without JavaScript: the panel is the URL's target.
                <a class="lab-fullscreen open" href="#lab">"Full screen"</a>
                <a class="lab-fullscreen close" href="#lab-panel-title">"Exit full screen"</a>
            </header>
            <div id="lab-panel-content" class="lab-panel-content" hidden=move || collapsed.get()>
            <p class="form-error" role="alert">{error}</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading the lab…"</p> }>
                {synced(view! {
                    {move || {
                        let current = live.get().or_else(|| initial.get().and_then(Result::ok));
                        match (current, initial.get()) {
                            (Some(view), _) => view! { <LabBody view forms /> }.erase(),
                            (None, Some(Err(e))) => {
                                view! {
                                    <p class="lab-unavailable" role="status">
                                        "The lab is unavailable right now ("
                                        {clean_error(&e)}
                                        "). The lesson and its quiz still work."
                                    </p>
                                }
                                    .erase()
                            }
                            (None, _) => view! { <p class="loading">"Loading the lab…"</p> }.erase(),
                        }
                    }}
                })}
            </Suspense>
            <section class="lab-picture" aria-label="Cluster picture">
                <ClusterPicture selected=selected actions=actions />
            </section>
            <section class="lab-terminal" aria-label="Terminal">
                <Terminal />
            </section>
            </div>
        </aside>
    }
    // NB: erased, so the lesson page's server rendering does not carry the whole panel by
    // value through every level (a debug build's stack overflowed).
    .erase()
}

/// `f` of the newest lab view: the followed one, else the one the page was rendered with.
fn latest<T>(
    live: RwSignal<Option<LabView>>,
    initial: Resource<Result<LabView, ServerFnError>>,
    f: impl Fn(&LabView) -> T,
) -> Option<T> {
    live.with(|l| l.as_ref().map(&f))
        .or_else(|| initial.with(|i| i.as_ref().and_then(|r| r.as_ref().ok()).map(&f)))
}

/// The panel's server actions, passed down together.
#[derive(Clone, Copy)]
struct Forms {
    start: ServerAction<StartLab>,
    check: ServerAction<CheckLab>,
    reset: ServerAction<ResetLab>,
    hint: ServerAction<RevealHint>,
    solution: ServerAction<ShowSolution>,
    act: ServerAction<RunLabAction>,
    pace: ServerAction<SetLabPace>,
}

#[component]
fn LabBody(view: LabView, forms: Forms) -> impl IntoView {
    let complete = view.complete();
    let percent = view.percent();
    let LabView {
        slug,
        title,
        cluster,
        tasks,
        actions,
        score,
        max_score,
        timeline,
        busy,
        pace,
    } = view;
    let ready = cluster == ClusterState::Ready;
    let idle = busy.is_none();
    let status_slug = slug.clone();
    let tasks_slug = slug.clone();
    view! {
        <div class="lab-body">
            <p class="lab-title">{title}</p>
            <ClusterStatus slug=status_slug cluster forms />
            <p class="lab-busy" role="status" aria-live="polite">{busy}</p>
            {complete
                .then(|| {
                    view! {
                        <div class="lab-complete" role="status">
                            <span class="confetti" aria-hidden="true"></span>
                            <strong>"Lab complete!"</strong>
                            " Every task passes on your cluster."
                        </div>
                    }
                })}
            {ready.then(move || view! { <Toolbar slug score max_score percent idle actions pace forms /> })}
            <h3 class="lab-section-title">"Tasks"</h3>
            <TaskList slug=tasks_slug tasks hint=forms.hint solution=forms.solution />
            {(!timeline.is_empty())
                .then(|| {
                    view! {
                        <h3 class="lab-section-title">"Timeline"</h3>
                        <ol class="lab-timeline" reversed=true>
                            {timeline
                                .into_iter()
                                .rev()
                                .map(|entry| {
                                    let class = match entry.kind {
                                        TimelineKind::Action => "action",
                                        TimelineKind::ActionFailed => "action-failed",
                                        TimelineKind::Passed => "passed",
                                        TimelineKind::Failed => "failed",
                                        TimelineKind::Cluster => "cluster",
                                    };
                                    view! {
                                        <li class=class>
                                            <span class="timeline-text">{entry.text}</span>
                                            {entry.output.map(|o| view! { <pre class="timeline-output"><code>{o}</code></pre> })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                })}
        </div>
    }
}

#[component]
fn Toolbar(
    slug: String,
    score: u32,
    max_score: u32,
    percent: u32,
    idle: bool,
    actions: Vec<ActionView>,
    pace: Option<PaceView>,
    forms: Forms,
) -> impl IntoView {
    let check_slug = slug.clone();
    let reset_slug = slug.clone();
    let pace_slug = slug.clone();
    let disclosures = Disclosures::get();
    let pace_form = pace.map(|now| {
        let (shown, other, value) = match now {
            PaceView::Lifelike => ("lifelike", "instant", "instant"),
            PaceView::Instant => ("instant", "lifelike", "lifelike"),
        };
        view! {
            <PostForm action=forms.pace attr:class="inline-form pace-form">
                <input type="hidden" name="slug" value=pace_slug />
                <input type="hidden" name="pace" value=value />
                <button type="submit" class="button pace-toggle" title="How fast your cluster moves">
                    {format!("Pace: {shown} \u{2192} {other}")}
                </button>
            </PostForm>
        }
    });
    let buttons = actions
        .into_iter()
        .map(|a| {
            let slug = slug.clone();
            view! {
                <PostForm action=forms.act attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug />
                    <input type="hidden" name="action" value=a.id.clone() />
                    <button type="submit" class="button lab-action" data-action=a.id disabled=!idle>
                        {a.label}
                    </button>
                </PostForm>
            }
        })
        .collect_view();
    view! {
        <div class="lab-toolbar">
            <p class="lab-score">{format!("Score: {score} of {max_score} ({percent}%)")}</p>
            <PostForm action=forms.check attr:class="inline-form">
                <input type="hidden" name="slug" value=check_slug />
                <button type="submit" class="button primary check-now" disabled=!idle>
                    "Check now"
                </button>
            </PostForm>
            {pace_form}
            <details class="reset-confirm" open=disclosures.is_open("reset", false)>
                <summary class="button" on:click=move |_| disclosures.toggled("reset", false)>
                    "Reset my cluster"
                </summary>
                <p>"This deletes everything in your cluster and sets the lab up again."</p>
                <PostForm action=forms.reset attr:class="inline-form">
                    <input type="hidden" name="slug" value=reset_slug />
                    <button type="submit" class="button danger">"Yes, reset it"</button>
                </PostForm>
            </details>
        </div>
        <div class="lab-actions" role="group" aria-label="Actions on your cluster">
            {buttons}
        </div>
    }
}

#[component]
fn ClusterStatus(slug: String, cluster: ClusterState, forms: Forms) -> impl IntoView {
    let start_form = move |label: &'static str| {
        view! {
            <PostForm action=forms.start attr:class="inline-form">
                <input type="hidden" name="slug" value=slug.clone() />
                <button type="submit" class="button primary start-lab">{label}</button>
            </PostForm>
        }
    };
    match cluster {
        ClusterState::Absent => view! {
            <div class="cluster-status absent">
                <p>
                    "Start the lab to get a Kubernetes cluster of your own: three workers, a "
                    "default StorageClass, and the lab's starting objects."
                </p>
                {start_form("Start the lab")}
            </div>
        }
        .erase(),
        ClusterState::Provisioning { steps } => {
            let total = steps.len();
            let done = steps.iter().filter(|s| s.state == StepState::Done).count();
            view! {
                <div class="cluster-status provisioning">
                    <label class="progress">
                        <span class="progress-label">"Creating your cluster…"</span>
                        <progress max=total.max(1) value=done>{format!("{done} of {total}")}</progress>
                    </label>
                    <ol class="provision-steps">
                        {steps
                            .into_iter()
                            .map(|s| {
                                let class = match s.state {
                                    StepState::Pending => "pending",
                                    StepState::Running => "running",
                                    StepState::Done => "done",
                                    StepState::Failed => "failed",
                                };
                                view! {
                                    <li class=class>
                                        {s.name}
                                        {s.detail.map(|d| format!(": {d}"))}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                </div>
            }
            .erase()
        }
        ClusterState::Ready => view! {
            <div class="cluster-status ready">
                <p><span class="dot ok" aria-hidden="true"></span>" Your cluster is running."</p>
            </div>
        }
        .erase(),
        ClusterState::Failed { reason } => view! {
            <div class="cluster-status failed">
                <p role="alert">{reason}</p>
                {start_form("Try again")}
            </div>
        }
        .erase(),
    }
}

/// The message of a server function error without the codec's prefix.
fn clean_error(error: &ServerFnError) -> String {
    let text = error.to_string();
    text.strip_prefix("error running server function: ")
        .unwrap_or(&text)
        .to_string()
}
