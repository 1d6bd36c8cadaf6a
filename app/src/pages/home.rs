//! The course map: eighteen parts in sections, with time estimates and the learner's progress.

use leptos::prelude::*;

use crate::components::sync_view::{Erase as _, synced};
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::get_course_map;
use crate::components::{ErrorNote, ProgressBar};
use crate::model::{CourseMap, LessonSummary};

#[component]
pub(crate) fn HomePage() -> impl IntoView {
    let course = Resource::new(|| (), |_| get_course_map());
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"Run stateful software on Kubernetes — and know why it works"</h1>
            <p class="lead">
                "Eighteen parts, from what belongs inside a pod to the interview-ready summary. "
                "Read a part, then break and fix a cluster of your own."
            </p>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Loading the course…"</p> }>
            {synced(view! {
                {move || {
                    course
                        .get()
                        .map(|result| match result {
                            Ok(map) => view! { <CourseMapView map /> }.erase(),
                            Err(e) => view! { <ErrorNote error=e.to_string() /> }.erase(),
                        })
                }}
            })}
        </Suspense>
    }
}

#[component]
fn CourseMapView(map: CourseMap) -> impl IntoView {
    let (read, total) = map.progress();
    let minutes_left = map.minutes_left();
    let due = map.due_for_review;
    let resume = map
        .sections
        .iter()
        .flat_map(|s| &s.lessons)
        .find(|l| !l.read)
        .cloned();
    view! {
        <div class="course-progress">
            <ProgressBar done=read total=total label="Lessons read" />
            <p class="muted">
                {format!("{read} of {total} parts read · about {minutes_left} minutes to go")}
            </p>
            {resume
                .map(|lesson| {
                    let verb = if read == 0 { "Start" } else { "Continue" };
                    view! {
                        <A href=format!("/lessons/{}", lesson.slug) attr:class="button primary">
                            {format!("{verb} with part {}: {}", lesson.number, lesson.title)}
                        </A>
                    }
                })}
            <p class="practice-links">
                <A href="/review" attr:class="due-for-review">
                    {match due {
                        0 => "No questions due for review".to_owned(),
                        1 => "1 question due for review".to_owned(),
                        n => format!("{n} questions due for review"),
                    }}
                </A>
                " · "
                <A href="/interview">"Interview practice"</A>
            </p>
        </div>
        <ol class="course-map" aria-label="Course map">
            {map
                .sections
                .into_iter()
                .map(|section| {
                    view! {
                        <li class="course-section">
                            <h2>{section.title}</h2>
                            <ol class="lesson-cards">
                                {section
                                    .lessons
                                    .into_iter()
                                    .map(|lesson| view! { <LessonCard lesson /> })
                                    .collect_view()}
                            </ol>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

#[component]
fn LessonCard(lesson: LessonSummary) -> impl IntoView {
    let class = if lesson.read {
        "lesson-card read"
    } else {
        "lesson-card"
    };
    view! {
        <li class=class>
            <A href=format!("/lessons/{}", lesson.slug)>
                <span class="lesson-number" aria-hidden="true">
                    {format!("{:02}", lesson.number)}
                </span>
                <span class="lesson-text">
                    <span class="lesson-title">{lesson.title}</span>
                    <span class="lesson-summary">{lesson.summary}</span>
                    <span class="lesson-meta">
                        {format!("{} min", lesson.estimated_minutes)}
                        {lesson.read.then(|| view! { <span class="badge done">"✓ read"</span> })}
                    </span>
                </span>
            </A>
            <p class="part-progress" aria-label=format!("Progress in part {}", lesson.number)>
                <span>{if lesson.read { "Read ✓" } else { "Read —" }}</span>
                <span>"Lab —"</span>
                {lesson
                    .has_quiz
                    .then(|| {
                        view! {
                            <A href=format!("/lessons/{}/quiz", lesson.slug)>
                                {match lesson.quiz_best {
                                    Some(best) => format!("Quiz {best}%"),
                                    None => "Quiz —".to_owned(),
                                }}
                            </A>
                        }
                    })}
            </p>
        </li>
    }
}
