//! A lesson: rendered Markdown, table of contents, previous/next and "mark as read".

use leptos::prelude::*;

use crate::components::sync_view::{Erase as _, synced};
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::get_lesson;
use crate::components::{ErrorNote, LessonBody, ReadToggle, TableOfContents};
use crate::lab::LabPanel;
use crate::model::{LessonLink, LessonPayload, LessonView};
use crate::pages::NotFound;

#[component]
pub(crate) fn LessonPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let lesson = Resource::new(slug, |slug| async move {
        get_lesson(slug)
            .await
            .map(|payload| payload.map(LessonPayload::into_view))
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the lesson…"</p> }>
            {synced(view! {
                {move || {
                    lesson
                        .get()
                        .map(|result| match result {
                            Ok(Some(lesson)) => view! { <LessonArticle lesson /> }.erase(),
                            Ok(None) => view! { <NotFound /> }.erase(),
                            Err(e) => view! { <ErrorNote error=e.to_string() /> }.erase(),
                        })
                }}
            })}
        </Suspense>
    }
}

#[component]
fn LessonArticle(lesson: LessonView) -> impl IntoView {
    let LessonView {
        number,
        slug,
        title,
        summary,
        objectives,
        estimated_minutes,
        tags,
        html,
        toc,
        previous,
        next,
        total_lessons,
        read,
        has_lab,
    } = lesson;
    let lab = has_lab.then(|| view! { <LabPanel slug=slug.clone() /> });
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=summary.clone() />
        <div class=if has_lab { "lesson-layout has-lab" } else { "lesson-layout" }>
            <aside class="lesson-aside">
                <TableOfContents items=toc />
            </aside>
            <article class="lesson" aria-labelledby="lesson-title">
                <header class="lesson-header">
                    <p class="eyebrow">
                        {format!("Part {number} of {total_lessons} · {estimated_minutes} min")}
                    </p>
                    <h1 id="lesson-title">{title}</h1>
                    <p class="lead">{summary}</p>
                    <ul class="tags" aria-label="Tags">
                        {tags.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                    </ul>
                    <section class="objectives">
                        <h2 class="objectives-title">"After this part you can"</h2>
                        <ul>
                            {objectives.into_iter().map(|o| view! { <li>{o}</li> }).collect_view()}
                        </ul>
                    </section>
                </header>
                <LessonBody html />
                <footer class="lesson-footer">
                    <ReadToggle slug=slug.clone() read />
                    <A href=format!("/lessons/{slug}/quiz") attr:class="button quiz-link">
                        "Test yourself: take the quiz →"
                    </A>
                    <nav class="pager" aria-label="Lessons">
                        <PagerLink link=previous rel="prev" />
                        <PagerLink link=next rel="next" />
                    </nav>
                </footer>
            </article>
            {lab}
        </div>
    }
}

#[component]
fn PagerLink(link: Option<LessonLink>, rel: &'static str) -> impl IntoView {
    let label = if rel == "prev" {
        "← Previous"
    } else {
        "Next →"
    };
    match link {
        Some(link) => view! {
            <A href=format!("/lessons/{}", link.slug) attr:class=format!("pager-link {rel}") attr:rel=rel>
                <span class="pager-label">{label}</span>
                <span class="pager-title">{format!("{}. {}", link.number, link.title)}</span>
            </A>
        }
        .erase(),
        None => view! { <span class=format!("pager-link {rel} empty")></span> }.erase(),
    }
}
