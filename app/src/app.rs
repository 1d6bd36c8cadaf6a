//! The HTML shell and the router.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

// Pages are erased by the router; `synced` keeps that from compiling async hydration.
use crate::components::sync_view::synced;
use crate::pages::{
    HomePage, InstructorPage, InstructorWorkshopPage, InterviewPage, JoinPage, LessonPage,
    NotFound, QuizPage, ReviewPage,
};
use crate::workshop::WorkshopBanner;

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The instructor pages hydrate with their own bundle (see `crate::bundle`).
    #[cfg(feature = "ssr")]
    let options = match use_context::<http::request::Parts>() {
        Some(request) => crate::bundle::options_for_path(options, request.uri.path()),
        None => options,
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="kubedojo" href="/pkg/kubedojo.css" />
        <Link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23326ce5'/%3E%3C/svg%3E" />
        <Title formatter=|text: String| if text.is_empty() { "kubedojo".to_owned() } else { format!("{text} · kubedojo") } />
        <Meta name="description" content="Learn how Kubernetes runs stateful software by breaking and fixing your own cluster." />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="site-header">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"⎈"</span>
                    " kubedojo"
                </A>
                <nav aria-label="Site">
                    <A href="/">"Course"</A>
                    <A href="/interview">"Interview"</A>
                    <A href="/review">"Review"</A>
                </nav>
            </header>
            <WorkshopBanner />
            <main id="main" tabindex="-1">
                <Routes fallback=|| synced(view! { <NotFound /> })>
                    <Route path=StaticSegment("") view=|| synced(view! { <HomePage /> }) ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("lessons"), ParamSegment("slug"))
                        view=|| synced(view! { <LessonPage /> })
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("lessons"), ParamSegment("slug"), StaticSegment("quiz"))
                        view=|| synced(view! { <QuizPage /> })
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("interview") view=|| synced(view! { <InterviewPage /> }) ssr=SsrMode::Async />
                    <Route path=StaticSegment("review") view=|| synced(view! { <ReviewPage /> }) ssr=SsrMode::Async />
                    <Route path=StaticSegment("join") view=|| synced(view! { <JoinPage /> }) ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("join"), ParamSegment("code"))
                        view=|| synced(view! { <JoinPage /> })
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("instructor") view=|| synced(view! { <InstructorPage /> }) ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("instructor"), StaticSegment("workshops"), ParamSegment("id"))
                        view=|| synced(view! { <InstructorWorkshopPage /> })
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>"kubedojo — learn stateful Kubernetes by breaking your own cluster."</p>
            </footer>
        </Router>
    }
}
