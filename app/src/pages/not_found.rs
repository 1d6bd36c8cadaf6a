//! The page for a URL that names nothing, served with status 404.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub(crate) fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="not-found">
            <h1>"404 — nothing here"</h1>
            <p>
                "There is no page at this address. Like a Service whose selector matches no pod, "
                "the link points at something that does not exist."
            </p>
            <p>
                <A href="/">"Back to the course map"</A>
            </p>
        </section>
    }
}
