//! One workshop, as its instructor runs it: the join code, link and QR code for the room, the
//! live grid of learners × tasks, one learner's cluster on click, the room's controls and the
//! result exports.
//!
//! The page renders with the view from a server function; once interactive it follows the
//! workshop's event stream, whose every message is the whole view.

use leptos::prelude::*;

use crate::components::sync_view::Erase as _;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_url};

use crate::components::ErrorNote;
use crate::lab::picture::{Actions, ClusterPicture};
use crate::workshop::api::workshop_view;
use crate::workshop::format;
use crate::workshop::model::{InstructorView, WorkshopState};
use crate::workshop::{Controls, Grid, TimeLeft, WorkshopActions};

#[component]
pub(crate) fn InstructorWorkshopPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let initial = Resource::new(id, workshop_view);
    view! {
        <Title text="Workshop" />
        <Suspense fallback=|| view! { <p class="loading">"Loading the workshop…"</p> }>
            {move || {
                initial
                    .get()
                    .map(|result| match result {
                        Ok(view) => view! { <Board view /> }.erase(),
                        Err(e) if format::is_signed_out(&e) => {
                            view! {
                                <p class="empty-state">
                                    "This page is for the instructor: "
                                    <A href="/instructor">"sign in"</A>
                                    " first."
                                </p>
                            }
                                .erase()
                        }
                        Err(e) => view! { <ErrorNote error=format::error_text(&e) /> }.erase(),
                    })
            }}
        </Suspense>
    }
}

/// The page once the first view arrived; everything below follows `live`.
#[component]
fn Board(view: InstructorView) -> impl IntoView {
    let summary = view.grid.workshop.clone();
    let id = summary.id.clone();
    let live = RwSignal::new(view);
    let connected = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let id = id.clone();
        Effect::new(move |_| crate::workshop::follow(&id, live, connected));
    }
    let actions = WorkshopActions::new(live);
    let watching = RwSignal::new(None::<String>);

    // The page's own origin, known in the browser only; until then the link shows the path.
    let url = use_url();
    let origin = RwSignal::new(String::new());
    Effect::new(move |_| origin.set(url.with_untracked(|u| u.origin().to_owned())));
    let join_path = summary.join_path.clone();
    let join_url = move || format::join_url(&origin.get(), &join_path);

    let state = Memo::new(move |_| live.with(|v| v.grid.workshop.state));
    let seconds = Memo::new(move |_| live.with(|v| v.grid.workshop.seconds_left));
    let seats = Memo::new(move |_| {
        live.with(|v| format::seats(v.grid.workshop.learners, v.grid.workshop.capacity))
    });
    let labs = summary
        .labs
        .iter()
        .map(|l| l.title.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let detail_id = id.clone();
    view! {
        <Title text=summary.title.clone() />
        <div class="workshop-page" data-workshop=id.clone()>
            <header class="workshop-header">
                <div class="workshop-heading">
                    <p class="eyebrow">
                        <A href="/instructor">"Workshops"</A>
                        {format!(" · {labs} · on the {}", format::backend_place(&summary.backend))}
                    </p>
                    <h1>{summary.title.clone()}</h1>
                    <p class="workshop-facts">
                        <span class="seats">{seats}</span>
                        " · "
                        <TimeLeft state=state seconds=seconds />
                        " · "
                        <span
                            class=move || if connected.get() { "live-dot on" } else { "live-dot" }
                            role="status"
                        >
                            {move || {
                                match (state.get(), connected.get()) {
                                    (WorkshopState::Ended, _) => "ended: results are kept",
                                    (_, true) => "live",
                                    (_, false) => "connecting…",
                                }
                            }}
                        </span>
                    </p>
                </div>
                <div class="join-box">
                    <p class="join-label">"Join at"</p>
                    <p class="join-url">
                        <a href=summary.join_path.clone() rel="external">
                            {join_url}
                        </a>
                    </p>
                    <p class="join-label">"with the code"</p>
                    <p class="join-code" aria-label="Join code">{summary.code.clone()}</p>
                    // NB: the server makes this SVG from the join URL; it is our own markup.
                    <div class="join-qr" role="img" aria-label="QR code of the join link" inner_html=summary.qr_svg.clone()></div>
                </div>
            </header>
            <Grid live watching />
            {move || {
                watching
                    .get()
                    .map(|key| {
                        view! {
                            <LearnerDetail
                                workshop=detail_id.clone()
                                learner_key=key
                                live
                                watching
                                actions
                            />
                        }
                    })
            }}
            <Controls id=id.clone() live actions />
            <section class="workshop-exports" aria-labelledby="exports-title">
                <h2 id="exports-title">"Results"</h2>
                <p>
                    "Every learner's score and tasks: "
                    <a href=format!("/instructor/workshops/{id}/results.csv") rel="external" download="">
                        "CSV"
                    </a>
                    " · "
                    <a href=format!("/instructor/workshops/{id}/results.json") rel="external" download="">
                        "JSON"
                    </a>
                </p>
            </section>
        </div>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}

/// One learner's cluster (read-only), their last diagnosis, and a reset of their labs.
#[component]
fn LearnerDetail(
    workshop: String,
    learner_key: String,
    live: RwSignal<InstructorView>,
    watching: RwSignal<Option<String>>,
    actions: WorkshopActions,
) -> impl IntoView {
    let learner = {
        let key = learner_key.clone();
        Memo::new(move |_| live.with(|v| v.grid.learners.iter().find(|l| l.key == key).cloned()))
    };
    let name = move || learner.with(|l| l.as_ref().map(|l| l.name.clone()).unwrap_or_default());
    let diagnosis = move || learner.with(|l| l.as_ref().and_then(|l| l.last_diagnosis.clone()));
    let stream = format!("/api/instructor/workshops/{workshop}/learners/{learner_key}/watch");
    let section_key = learner_key.clone();
    view! {
        <section class="learner-detail" aria-labelledby="learner-detail-title" data-learner=section_key>
            <header class="learner-detail-header">
                <h2 id="learner-detail-title">{move || format!("{}'s cluster", name())}</h2>
                <button type="button" class="button" on:click=move |_| watching.set(None)>
                    "Close"
                </button>
            </header>
            {move || {
                diagnosis()
                    .map(|text| {
                        view! {
                            <p class="diagnosis">
                                <strong>"Last diagnosis: "</strong>
                                {text}
                            </p>
                        }
                    })
            }}
            <details class="confirm">
                <summary class="button">{move || format!("Reset {}", name())}</summary>
                <p>"Their clusters are deleted and their labs set up again."</p>
                <ActionForm action=actions.reset attr:class="inline-form">
                    <input type="hidden" name="id" value=workshop />
                    <input type="hidden" name="learner" value=learner_key />
                    <button type="submit" class="button danger reset-learner">
                        "Yes, reset this learner"
                    </button>
                </ActionForm>
            </details>
            <div class="learner-picture">
                <ClusterPicture selected=RwSignal::new(None) actions=Actions::none() stream />
            </div>
        </section>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}
