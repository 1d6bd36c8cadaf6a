//! A visible countdown. The server's deadline is the truth: this only shows it, counting down
//! from the seconds left when the page was rendered.

use leptos::prelude::*;

#[component]
pub(crate) fn Countdown(seconds_left: i64) -> impl IntoView {
    let left = RwSignal::new(seconds_left.max(0));
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || left.update(|s| *s = (*s - 1).max(0)),
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let text = move || {
        let s = left.get();
        format!("{:02}:{:02}", s / 60, s % 60)
    };
    view! {
        <p class=move || if left.get() == 0 { "countdown over" } else { "countdown" }>
            <span class="muted">"Time left "</span>
            <span role="timer" aria-label="Time left">{text}</span>
            {move || (left.get() == 0).then_some(" — time is up: submit to see your results")}
        </p>
    }
}
