//! Joining a workshop: `/join` asks for the code, `/join/<code>` (the link and QR code the
//! instructor shows) has it filled in and says which workshop it is. Joining takes a display
//! name and leads to the first lab's lesson.

use leptos::prelude::*;

use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::PostForm;
use crate::components::sync_view::{Erase as _, synced};
use crate::workshop::api::{JoinWorkshop, preview_workshop};
use crate::workshop::format;
use crate::workshop::model::{JoinPreview, WorkshopState};

#[component]
pub(crate) fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let preview = Resource::new(code, |code| async move {
        if code.is_empty() {
            None
        } else {
            Some(preview_workshop(code).await)
        }
    });
    let join = ServerAction::<JoinWorkshop>::new();
    let error = move || {
        join.value()
            .get()
            .and_then(Result::err)
            .map(|e| format::sentence(&format::error_text(&e)))
    };
    view! {
        <Title text="Join a workshop" />
        <div class="join-page">
            <h1>"Join a workshop"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Looking up the code…"</p> }>
                {synced(view! {
                    {move || {
                        preview
                            .get()
                            .flatten()
                            .map(|result| match result {
                                Ok(preview) => view! { <Preview preview /> }.erase(),
                                Err(e) => {
                                    view! {
                                        <p class="form-error join-preview-error" role="alert">
                                            {format::sentence(&format::error_text(&e))}
                                        </p>
                                    }
                                        .erase()
                                }
                            })
                    }}
                })}
            </Suspense>
            <PostForm action=join attr:class="stacked-form join-form">
                <label for="join-code">"Workshop code"</label>
                <input
                    id="join-code"
                    name="code"
                    type="text"
                    required=true
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    maxlength="16"
                    class="code-input"
                    value=code
                />
                <label for="join-name">"Your name (the instructor and the room see it)"</label>
                <input
                    id="join-name"
                    name="name"
                    type="text"
                    required=true
                    maxlength="40"
                    autocomplete="nickname"
                />
                <p class="form-error" role="alert">{error}</p>
                <button type="submit" class="button primary join-button" disabled=move || join.pending().get()>
                    {move || if join.pending().get() { "Joining…" } else { "Join" }}
                </button>
            </PostForm>
        </div>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}

/// What the code leads to, before joining.
#[component]
fn Preview(preview: JoinPreview) -> impl IntoView {
    let JoinPreview {
        code: _,
        title,
        labs,
        seats_left,
        state,
    } = preview;
    let note = match (state, seats_left) {
        (WorkshopState::Ended, _) => Some("This workshop has ended."),
        (WorkshopState::Running, 0) => Some("This workshop is full."),
        (WorkshopState::Running, _) => None,
    };
    view! {
        <section class="join-preview" aria-labelledby="join-preview-title">
            <h2 id="join-preview-title">{title}</h2>
            <p class="muted">
                {match seats_left {
                    1 => "1 seat left".to_owned(),
                    n => format!("{n} seats left"),
                }}
            </p>
            <ul class="join-labs">
                {labs.into_iter().map(|lab| view! { <li>{lab.title}</li> }).collect_view()}
            </ul>
            {note.map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
        </section>
    }
}
