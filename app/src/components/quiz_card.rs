//! One quiz question with immediate feedback: a form posting to the answer server function
//! (works as a plain POST before hydration), scored on the server.

use leptos::prelude::*;

use crate::api::AnswerQuestion;
use crate::components::{FeedbackPanel, PostForm, QuestionInputs};
use crate::quiz_model::QuizItem;

#[component]
pub(crate) fn QuizCard(
    item: QuizItem,
    version: u32,
    number: usize,
    total: usize,
    /// Called with the part's quiz score after each answer.
    #[prop(optional)]
    on_score: Option<Callback<u8>>,
) -> impl IntoView {
    let QuizItem { question, feedback } = item;
    let action = ServerAction::<AnswerQuestion>::new();
    let initial = feedback;
    let feedback = move || match action.value().get() {
        Some(Ok(reply)) => Some(reply.feedback),
        _ => initial.clone(),
    };
    Effect::new(move |_| {
        if let (Some(Ok(reply)), Some(on_score)) = (action.value().get(), on_score) {
            on_score.run(reply.quiz_percent);
        }
    });
    let error = move || match action.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let heading = format!("Question {number} of {total}");
    let id = question.id.clone();
    let anchor = format!("q-{id}");
    let label = heading.clone();
    view! {
        <article class="quiz-card" id=anchor aria-label=label>
            <header class="quiz-card-header">
                <h2>{heading}</h2>
                <span class="badge">{question.kind_label.clone()}</span>
            </header>
            <div class="prompt" inner_html=question.prompt_html.clone()></div>
            <PostForm action attr:class="answer-form">
                <input type="hidden" name="question_id" value=id />
                <input type="hidden" name="version" value=version.to_string() />
                <QuestionInputs question=question.clone() />
                <button type="submit" class="button primary submit-answer" disabled=move || action.pending().get()>
                    "Check answer"
                </button>
                <p class="form-error" role="alert">{error}</p>
            </PostForm>
            {move || feedback().map(|feedback| view! { <FeedbackPanel feedback /> })}
        </article>
    }
}
