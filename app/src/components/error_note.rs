//! A readable message for something that failed on the server.

use leptos::prelude::*;

#[component]
pub(crate) fn ErrorNote(error: String) -> impl IntoView {
    view! {
        <div class="error-note" role="alert">
            <strong>"Something went wrong. "</strong>
            {error}
            " Reload the page to try again."
        </div>
    }
}
