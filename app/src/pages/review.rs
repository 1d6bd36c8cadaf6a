//! Spaced review: questions once answered wrongly come back when their Leitner box is due.

use leptos::prelude::*;

use crate::components::sync_view::{Erase as _, synced};
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::get_review;
use crate::components::{ErrorNote, QuizCard};
use crate::quiz_model::ReviewView;

#[component]
pub(crate) fn ReviewPage() -> impl IntoView {
    let review = Resource::new(|| (), |_| get_review());
    view! {
        <Title text="Review" />
        <div class="quiz-page">
            <header class="quiz-header">
                <h1>"Review"</h1>
                <p class="muted">
                    "Questions you answered wrongly come back after 1 day; each right answer moves "
                    "them to a later box (2, 4, 8, then 16 days), a wrong one back to the first."
                </p>
            </header>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {synced(view! {
                    {move || {
                        review
                            .get()
                            .map(|result| match result {
                                Ok(review) => view! { <DueList review /> }.erase(),
                                Err(e) => view! { <ErrorNote error=e.to_string() /> }.erase(),
                            })
                    }}
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn DueList(review: ReviewView) -> impl IntoView {
    let ReviewView { due, versions } = review;
    if due.is_empty() {
        return view! {
            <p class="empty-state">
                "Nothing is due for review. "
                <A href="/interview">"Practise an interview"</A>
                " or take a part's quiz."
            </p>
        }
        .erase();
    }
    let total = due.len();
    view! {
        <p role="status">
            {if total == 1 { "1 question due".to_owned() } else { format!("{total} questions due") }}
        </p>
        {due
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let version = versions
                    .iter()
                    .find(|(slug, _)| *slug == item.question.lesson_slug)
                    .map_or(0, |(_, v)| *v);
                view! { <QuizCard item version number=i + 1 total /> }
            })
            .collect_view()}
    }
    .erase()
}
