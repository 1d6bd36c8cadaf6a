//! A labelled progress bar (a real `<progress>` so screen readers announce it).

use leptos::prelude::*;

#[component]
pub(crate) fn ProgressBar(done: usize, total: usize, label: &'static str) -> impl IntoView {
    view! {
        <label class="progress">
            <span class="progress-label">{label}</span>
            <progress max=total.max(1) value=done>
                {format!("{done} of {total}")}
            </progress>
        </label>
    }
}
