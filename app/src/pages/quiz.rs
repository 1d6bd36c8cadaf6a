//! A part's end-of-lesson quiz: every question on one page, each with immediate feedback.

use leptos::prelude::*;

use crate::components::sync_view::{Erase as _, synced};
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::get_quiz;
use crate::components::{ErrorNote, QuizCard};
use crate::quiz_model::QuizView;

#[component]
pub(crate) fn QuizPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let quiz = Resource::new(slug, get_quiz);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the quiz…"</p> }>
            {synced(view! {
                {move || {
                    quiz.get()
                        .map(|result| match result {
                            Ok(quiz) => view! { <QuizSheet quiz /> }.erase(),
                            Err(e) => view! { <ErrorNote error=e.to_string() /> }.erase(),
                        })
                }}
            })}
        </Suspense>
    }
}

#[component]
fn QuizSheet(quiz: QuizView) -> impl IntoView {
    let QuizView {
        slug,
        number,
        title,
        version,
        items,
        best_percent,
    } = quiz;
    let total = items.len();
    let current = RwSignal::new(None::<u8>);
    let on_score = Callback::new(move |percent: u8| current.set(Some(percent)));
    view! {
        <Title text=format!("Quiz: {title}") />
        <div class="quiz-page">
            <header class="quiz-header">
                <p class="eyebrow">{format!("Part {number} · end-of-lesson quiz")}</p>
                <h1>{format!("Quiz: {title}")}</h1>
                <p class="muted">
                    {format!("{total} questions. Each answer is checked as you submit it. ")}
                    <A href=format!("/lessons/{slug}")>"Back to the lesson"</A>
                </p>
                <p class="quiz-score" role="status">
                    {move || match (current.get(), best_percent) {
                        (Some(now), Some(best)) => format!("Score so far: {now}% · best: {}%", best.max(now)),
                        (Some(now), None) => format!("Score so far: {now}%"),
                        (None, Some(best)) => format!("Best score: {best}%"),
                        (None, None) => "Not taken yet".to_owned(),
                    }}
                </p>
            </header>
            {items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    view! { <QuizCard item version number=i + 1 total on_score /> }
                })
                .collect_view()}
        </div>
    }
}
