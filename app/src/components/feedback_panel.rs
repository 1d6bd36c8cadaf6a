//! The server's verdict on an answer: right or not, the explanation, a link to the lesson
//! section, and for explain questions the rubric and the model answer. The learner's own
//! answer is shown as text (escaped), never as HTML.

use leptos::prelude::*;

use crate::quiz_model::Feedback;

#[component]
pub(crate) fn FeedbackPanel(feedback: Feedback) -> impl IntoView {
    let Feedback {
        correct,
        percent,
        summary,
        your_answer,
        explanation_html,
        section_href,
        section_title,
        rubric,
        model_answer_html,
        ..
    } = feedback;
    let class = if correct {
        "feedback right"
    } else {
        "feedback wrong"
    };
    let verdict = if correct {
        "✓ Right".to_owned()
    } else if percent > 0 {
        format!("Partly right ({percent}%)")
    } else {
        "✗ Not right".to_owned()
    };
    view! {
        <div class=class role="status">
            <p class="verdict">
                <strong>{verdict}</strong>
                " "
                {summary}
            </p>
            <p class="your-answer">
                <span class="muted">"Your answer: "</span>
                <span class="learner-text">{your_answer}</span>
            </p>
            {(!rubric.is_empty())
                .then(|| {
                    view! {
                        <ul class="rubric" aria-label="Key points">
                            {rubric
                                .into_iter()
                                .map(|(point, covered)| {
                                    view! {
                                        <li class=if covered { "covered" } else { "missed" }>
                                            <span aria-hidden="true">{if covered { "✓ " } else { "✗ " }}</span>
                                            <span class="sr-only">{if covered { "Covered: " } else { "Missed: " }}</span>
                                            {point}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            {model_answer_html
                .map(|html| {
                    view! {
                        <details class="model-answer" open=true>
                            <summary>"Model answer — compare with yours"</summary>
                            <div inner_html=html></div>
                        </details>
                    }
                })}
            <div class="explanation" inner_html=explanation_html></div>
            <p>
                <a href=section_href>{format!("Revisit: {section_title}")}</a>
            </p>
        </div>
    }
}
