//! "Mark as read": a form that works before hydration (plain POST to the server function,
//! which redirects back) and as a button afterwards.

use leptos::prelude::*;

use crate::api::SetLessonRead;
use crate::components::PostForm;

#[component]
pub(crate) fn ReadToggle(slug: String, read: bool) -> impl IntoView {
    let action = ServerAction::<SetLessonRead>::new();
    let is_read = move || match action.value().get() {
        Some(Ok(now_read)) => now_read,
        _ => read,
    };
    let failed = move || matches!(action.value().get(), Some(Err(_)));
    view! {
        <PostForm action attr:class="read-toggle">
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="read" value=move || (!is_read()).to_string() />
            <button
                type="submit"
                class=move || if is_read() { "button done" } else { "button primary" }
                aria-pressed=move || is_read().to_string()
                disabled=move || action.pending().get()
            >
                {move || if is_read() { "✓ Read — mark as unread" } else { "Mark as read" }}
            </button>
            <span class="read-error" role="status">
                {move || failed().then_some("Could not save. Try again.")}
            </span>
        </PostForm>
    }
}
