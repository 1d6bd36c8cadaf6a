//! The instructor's start page: sign in with the instructor token, create a workshop, and the
//! list of workshops. Whether the instructor is signed in is what the server says: its
//! instructor functions answer 401 to anyone else.

use leptos::prelude::*;

use crate::components::sync_view::Erase as _;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::ErrorNote;
use crate::workshop::api::{
    CreateWorkshop, InstructorLogin, InstructorLogout, available_backends, available_labs,
    list_workshops,
};
use crate::workshop::format;
use crate::workshop::model::{WorkshopLab, WorkshopSummary};

/// Sizes the create form starts with.
const DEFAULT_CAPACITY: u32 = 30;
const DEFAULT_MINUTES: u32 = 90;

#[component]
pub(crate) fn InstructorPage() -> impl IntoView {
    let login = ServerAction::<InstructorLogin>::new();
    let logout = ServerAction::<InstructorLogout>::new();
    let create = ServerAction::<CreateWorkshop>::new();
    // Signing in or out changes what the server answers, so both lists are asked again.
    // NB: not after a create: a created workshop opens its own page, and asking again would
    // draw the form anew and lose what was typed when the server refused it.
    let session = move || (login.version().get(), logout.version().get());
    let workshops = Resource::new(session, |_| list_workshops());
    let labs = Resource::new(session, |_| available_labs());
    let backends = Resource::new(session, |_| available_backends());
    view! {
        <Title text="Instructor" />
        <div class="instructor-page">
            <h1>"Workshops"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    workshops
                        .get()
                        .map(|result| match result {
                            Ok(list) => {
                                view! {
                                    <SignedIn list labs backends create logout />
                                }
                                    .erase()
                            }
                            Err(e) if format::is_signed_out(&e) => {
                                view! { <SignIn login /> }.erase()
                            }
                            Err(e) => view! { <ErrorNote error=format::error_text(&e) /> }.erase(),
                        })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn SignIn(login: ServerAction<InstructorLogin>) -> impl IntoView {
    let error = move || {
        login
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| format::error_text(&e))
    };
    view! {
        <section class="sign-in" aria-labelledby="sign-in-title">
            <h2 id="sign-in-title">"Sign in as the instructor"</h2>
            <p class="muted">
                "The token is the one the server was started with ("
                <code>"--instructor-token"</code>
                ")."
            </p>
            <ActionForm action=login attr:class="stacked-form">
                <label for="instructor-token">"Instructor token"</label>
                <input
                    id="instructor-token"
                    name="token"
                    type="password"
                    required=true
                    autocomplete="current-password"
                />
                <p class="form-error" role="alert">{error}</p>
                <button type="submit" class="button primary" disabled=move || login.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
        </section>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}

#[component]
fn SignedIn(
    list: Vec<WorkshopSummary>,
    labs: Resource<Result<Vec<WorkshopLab>, ServerFnError>>,
    backends: Resource<Result<Vec<String>, ServerFnError>>,
    create: ServerAction<CreateWorkshop>,
    logout: ServerAction<InstructorLogout>,
) -> impl IntoView {
    view! {
        <ActionForm action=logout attr:class="inline-form sign-out">
            <button type="submit" class="button">"Sign out"</button>
        </ActionForm>
        <Suspense fallback=|| view! { <p class="loading">"Loading the labs…"</p> }>
            {move || {
                let choices = labs.get().zip(backends.get());
                choices
                    .map(|result| match result {
                        (Ok(labs), Ok(backends)) => {
                            view! { <CreateForm labs backends create /> }.erase()
                        }
                        (Err(e), _) | (_, Err(e)) => {
                            view! { <ErrorNote error=format::error_text(&e) /> }.erase()
                        }
                    })
            }}
        </Suspense>
        <WorkshopList list />
    }
}

#[component]
fn CreateForm(
    labs: Vec<WorkshopLab>,
    /// The server's backends, its default first.
    backends: Vec<String>,
    create: ServerAction<CreateWorkshop>,
) -> impl IntoView {
    let error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| format::error_text(&e))
    };
    view! {
        <section class="create-workshop" aria-labelledby="create-title">
            <h2 id="create-title">"New workshop"</h2>
            <ActionForm action=create attr:class="stacked-form">
                <label for="workshop-title">"Title"</label>
                <input
                    id="workshop-title"
                    name="new[title]"
                    type="text"
                    required=true
                    maxlength="120"
                    placeholder="StatefulSets, hands on"
                />
                <fieldset class="lab-choices">
                    <legend>"Labs"</legend>
                    // NB: always sent, so that no ticked box still reads as a list (the server
                    // ignores empty entries and says that a workshop needs a lab).
                    <input type="hidden" name="new[labs][]" value="" />
                    {labs
                        .into_iter()
                        .map(|lab| {
                            view! {
                                <label class="choice">
                                    <input type="checkbox" name="new[labs][]" value=lab.slug.clone() />
                                    <span>{lab.title}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <div class="form-row">
                    <label>
                        "Seats"
                        <input
                            name="new[capacity]"
                            type="number"
                            min="1"
                            max="500"
                            required=true
                            value=DEFAULT_CAPACITY.to_string()
                        />
                    </label>
                    <label>
                        "Duration (minutes)"
                        <input
                            name="new[duration_minutes]"
                            type="number"
                            min="5"
                            max="1440"
                            required=true
                            value=DEFAULT_MINUTES.to_string()
                        />
                    </label>
                </div>
                <label for="workshop-backend">"Learners' clusters"</label>
                <select id="workshop-backend" name="new[backend]">
                    {backends
                        .into_iter()
                        .map(|name| {
                            let label = format::backend_choice(&name);
                            view! { <option value=name>{label}</option> }
                        })
                        .collect_view()}
                </select>
                <p class="form-error" role="alert">{error}</p>
                <button
                    type="submit"
                    class="button primary create-workshop-button"
                    disabled=move || create.pending().get()
                >
                    "Create the workshop"
                </button>
            </ActionForm>
        </section>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}

#[component]
fn WorkshopList(list: Vec<WorkshopSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty-state">"No workshops yet."</p> }.erase();
    }
    view! {
        <section aria-labelledby="list-title">
            <h2 id="list-title">"Your workshops"</h2>
            <ul class="workshop-list">
                {list
                    .into_iter()
                    .map(|w| {
                        view! {
                            <li>
                                <A href=format!("/instructor/workshops/{}", w.id)>{w.title}</A>
                                <span class="workshop-code">{w.code}</span>
                                <span class="muted">
                                    {format!(
                                        "{} · {} · {} labs",
                                        format::seats(w.learners, w.capacity),
                                        format::time_left(w.state, w.seconds_left),
                                        w.labs.len(),
                                    )}
                                </span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
    .erase()
}
