//! The instructor pages in the learners' bundle: they are not in it.
//!
//! The instructor pages hydrate with their own bundle (`kubedojo-instructor`, see
//! `crate::bundle`), so the wasm every learner downloads does not carry them. The server
//! always renders them; this stands in for them only when the learners' bundle navigates to
//! an instructor address without a page load, and it makes that page load happen.

use leptos::prelude::*;

#[component]
pub(crate) fn InstructorElsewhere() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(window) = web_sys::window() {
            // `reload` fetches the address the router already shows: the server renders the
            // instructor page with the instructor bundle.
            let _ = window.location().reload();
        }
    });
    view! {
        <section class="page-loading" aria-busy="true">
            <p>"Opening the instructor pages…"</p>
        </section>
    }
}
