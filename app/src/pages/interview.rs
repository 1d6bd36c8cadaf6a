//! Interview practice: random questions from chosen parts, a visible timer, no feedback until
//! the end, then a score per topic and the weakest topics to revisit. The session lives on the
//! server, so a reload resumes it.

use leptos::prelude::*;

use leptos_meta::Title;

use crate::api::{AnswerInterview, FinishInterview, StartInterview, get_interview};
use crate::components::sync_view::{Erase as _, synced};
use crate::components::{Countdown, ErrorNote, FeedbackPanel, PostForm, QuestionInputs};
use crate::quiz_model::{InterviewResults, InterviewView, PartChoice, QuestionView};

#[component]
pub(crate) fn InterviewPage() -> impl IntoView {
    let start = ServerAction::<StartInterview>::new();
    let answer = ServerAction::<AnswerInterview>::new();
    let finish = ServerAction::<FinishInterview>::new();
    let state = Resource::new(
        move || {
            (
                start.version().get(),
                answer.version().get(),
                finish.version().get(),
            )
        },
        |_| get_interview(),
    );
    let error = move || {
        [
            start.value().get().and_then(Result::err),
            answer.value().get().and_then(Result::err),
            finish.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    view! {
        <Title text="Interview practice" />
        <div class="quiz-page interview">
            <h1>"Interview practice"</h1>
            <p class="form-error" role="alert">{error}</p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {synced(view! {
                    {move || {
                        state
                            .get()
                            .map(|result| match result {
                                Ok(InterviewView::Setup { parts }) => {
                                    view! { <Setup parts start /> }.erase()
                                }
                                Ok(
                                    InterviewView::Running {
                                        session_id,
                                        position,
                                        total,
                                        seconds_left,
                                        question,
                                    },
                                ) => {
                                    view! {
                                        <Running session_id position total seconds_left question answer finish />
                                    }
                                        .erase()
                                }
                                Ok(InterviewView::Results(results)) => {
                                    view! { <Results results start /> }.erase()
                                }
                                Err(e) => view! { <ErrorNote error=e.to_string() /> }.erase(),
                            })
                    }}
                })}
            </Transition>
        </div>
    }
}

#[component]
fn Setup(parts: Vec<PartChoice>, start: ServerAction<StartInterview>) -> impl IntoView {
    view! {
        <p class="lead">
            "Answer questions as in an interview: against the clock, with no hints until the end. "
            "Then see your score per topic and what to revisit."
        </p>
        <PostForm action=start attr:class="interview-setup">
            // An empty entry so the list is never missing; no part ticked means all parts.
            <input type="hidden" name="parts[]" value="" />
            <fieldset class="part-choices">
                <legend>"Parts to draw from (none ticked: all)"</legend>
                {parts
                    .into_iter()
                    .map(|part| {
                        view! {
                            <label class="choice">
                                <input type="checkbox" name="parts[]" value=part.slug.clone() />
                                <span>
                                    {format!("{}. {} ({} questions)", part.number, part.title, part.questions)}
                                </span>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="setup-row">
                <label>
                    "Questions "
                    <select name="count">
                        <option value="3">"3"</option>
                        <option value="5">"5"</option>
                        <option value="10" selected=true>"10"</option>
                        <option value="20">"20"</option>
                    </select>
                </label>
                <label>
                    "Minutes "
                    <select name="minutes">
                        <option value="5">"5"</option>
                        <option value="10">"10"</option>
                        <option value="20" selected=true>"20"</option>
                        <option value="45">"45"</option>
                    </select>
                </label>
                <label>
                    "End with the part 18 summary, said back "
                    <select name="say_it_back">
                        <option value="true" selected=true>"yes"</option>
                        <option value="false">"no"</option>
                    </select>
                </label>
            </div>
            <button type="submit" class="button primary">"Start the interview"</button>
        </PostForm>
    }
}

#[component]
fn Running(
    session_id: String,
    position: usize,
    total: usize,
    seconds_left: i64,
    question: QuestionView,
    answer: ServerAction<AnswerInterview>,
    finish: ServerAction<FinishInterview>,
) -> impl IntoView {
    let heading = format!("Question {} of {total}", position + 1);
    let label = heading.clone();
    let finish_session = session_id.clone();
    let card = NodeRef::<leptos::html::Article>::new();
    Effect::new(move |_| {
        if let Some(card) = card.get() {
            // Each question starts at the top of the page: the learner may have scrolled down
            // to the previous card's (or the setup form's) button, and the sticky status bar
            // would otherwise hide the first lines of the new card. Focus tells screen readers.
            let _ = card.focus();
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
    });
    view! {
        <div class="interview-status">
            <p class="interview-position" role="status">{heading}</p>
            <Countdown seconds_left />
        </div>
        <article class="quiz-card" aria-label=label tabindex="-1" node_ref=card>
            <header class="quiz-card-header">
                <span class="badge">{format!("Part {}", question.lesson_number)}</span>
                <span class="badge">{question.kind_label.clone()}</span>
            </header>
            <div class="prompt" inner_html=question.prompt_html.clone()></div>
            <PostForm action=answer attr:class="answer-form">
                <input type="hidden" name="session_id" value=session_id />
                <input type="hidden" name="position" value=position.to_string() />
                <QuestionInputs question />
                <button type="submit" class="button primary submit-answer" disabled=move || answer.pending().get()>
                    {if position + 1 == total { "Submit and see results" } else { "Submit and continue" }}
                </button>
            </PostForm>
        </article>
        <PostForm action=finish attr:class="finish-form">
            <input type="hidden" name="session_id" value=finish_session />
            <button type="submit" class="button">"End now and see results"</button>
        </PostForm>
    }
}

#[component]
fn Results(results: InterviewResults, start: ServerAction<StartInterview>) -> impl IntoView {
    let InterviewResults {
        total,
        answered,
        percent,
        timed_out,
        topics,
        weakest,
        items,
        parts,
    } = results;
    view! {
        <section class="interview-results" aria-labelledby="results-title">
            <h2 id="results-title">{format!("Your score: {percent}%")}</h2>
            <p class="muted">
                {format!("{answered} of {total} questions answered")}
                {timed_out.then_some(" — the time ran out")}
            </p>
            <h3>"Score per topic"</h3>
            <table class="topic-scores">
                <thead>
                    <tr>
                        <th scope="col">"Part"</th>
                        <th scope="col">"Right"</th>
                        <th scope="col">"Score"</th>
                    </tr>
                </thead>
                <tbody>
                    {topics
                        .into_iter()
                        .map(|t| {
                            view! {
                                <tr>
                                    <td>
                                        <a href=format!("/lessons/{}", t.slug)>
                                            {format!("{}. {}", t.number, t.title)}
                                        </a>
                                    </td>
                                    <td>{format!("{} of {}", t.correct, t.questions)}</td>
                                    <td>{format!("{}%", t.percent)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <h3>"Revisit first"</h3>
            {if weakest.is_empty() {
                view! { <p class="weakest-none">"No weak topics in this session. Well done."</p> }.erase()
            } else {
                view! {
                    <ol class="weakest">
                        {weakest
                            .into_iter()
                            .map(|t| {
                                view! {
                                    <li>
                                        <strong>{format!("{}. {} — {}%", t.number, t.title, t.percent)}</strong>
                                        <ul>
                                            {t
                                                .revisit
                                                .into_iter()
                                                .map(|(href, title)| view! { <li><a href=href>{title}</a></li> })
                                                .collect_view()}
                                        </ul>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .erase()
            }}
            <h3>"Every question"</h3>
            {items
                .into_iter()
                .enumerate()
                .map(|(i, (question, feedback))| {
                    view! {
                        <article class="quiz-card" aria-label=format!("Question {}", i + 1)>
                            <header class="quiz-card-header">
                                <h4>{format!("Question {} · part {}", i + 1, question.lesson_number)}</h4>
                            </header>
                            <div class="prompt" inner_html=question.prompt_html></div>
                            {match feedback {
                                Some(feedback) => view! { <FeedbackPanel feedback /> }.erase(),
                                None => view! { <p class="feedback wrong">"Not answered."</p> }.erase(),
                            }}
                        </article>
                    }
                })
                .collect_view()}
        </section>
        <h2>"Practise again"</h2>
        <Setup parts start />
    }
}
