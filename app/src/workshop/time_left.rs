//! A workshop's time left, counting down between the server's updates. The server's deadline
//! is the truth: every new `seconds` from the server resets the count.

use std::time::Duration;

use leptos::prelude::*;

use super::format;
use super::model::WorkshopState;

#[component]
pub(crate) fn TimeLeft(
    #[prop(into)] state: Signal<WorkshopState>,
    #[prop(into)] seconds: Signal<u64>,
) -> impl IntoView {
    let left = RwSignal::new(seconds.get_untracked());
    // Runs in the browser only: a new value from the server, then one tick a second.
    Effect::new(move |_| left.set(seconds.get()));
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || left.update(|s| *s = s.saturating_sub(1)),
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <span
            class=move || {
                if state.get() == WorkshopState::Ended || left.get() == 0 {
                    "time-left over"
                } else {
                    "time-left"
                }
            }
            role="timer"
        >
            {move || format::time_left(state.get(), left.get())}
        </span>
    }
}
