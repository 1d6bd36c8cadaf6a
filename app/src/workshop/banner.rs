//! The banner a workshop's learners see on every page: the workshop, the time left, the
//! instructor's announcement and the workshop's labs. Nothing shows for anyone else.
//!
//! The membership is asked for again on every navigation and every half minute, so a new
//! announcement reaches the room without a reload.

use std::time::Duration;

use leptos::prelude::*;

use crate::components::sync_view::{Erase as _, synced};
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use super::TimeLeft;
use super::api::my_workshop;
use super::format;
use super::model::MembershipView;

/// How often the banner asks for news (announcements, more time).
const POLL: Duration = Duration::from_secs(30);

#[component]
pub(crate) fn WorkshopBanner() -> impl IntoView {
    let location = use_location();
    let polls = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || polls.update(|n| *n += 1), POLL) {
            on_cleanup(move || handle.clear());
        }
    });
    let membership = Resource::new(
        move || (location.pathname.get(), polls.get()),
        |_| my_workshop(),
    );
    view! {
        <Transition fallback=|| ()>
            {synced(view! {
                {move || {
                    // NB: a failure (no workshops on this server, say) shows no banner: the course
                    // works without one.
                    membership
                        .get()
                        .and_then(Result::ok)
                        .flatten()
                        .map(|membership| view! { <Banner membership /> })
                }}
            })}
        </Transition>
    }
}

#[component]
fn Banner(membership: MembershipView) -> impl IntoView {
    let MembershipView {
        title,
        display_name,
        labs,
        state,
        seconds_left,
        announcement,
    } = membership;
    view! {
        <aside class="workshop-banner" aria-label="Workshop">
            <p class="workshop-banner-line">
                <strong class="workshop-title">{title}</strong>
                <span class="muted">{format!(" · you are {display_name} · ")}</span>
                <TimeLeft state=state seconds=seconds_left />
            </p>
            {announcement
                .map(|text| {
                    view! {
                        <p class="announcement" role="status">
                            <strong>"Announcement: "</strong>
                            {text}
                        </p>
                    }
                })}
            <nav class="workshop-labs" aria-label="Workshop labs">
                <ul>
                    {labs
                        .into_iter()
                        .map(|lab| {
                            view! {
                                <li>
                                    <A href=format::lesson_path(&lab.slug)>{lab.title}</A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </aside>
    }
    // NB: erased so the server crate's types stay within the compiler's depth limit.
    .erase()
}
