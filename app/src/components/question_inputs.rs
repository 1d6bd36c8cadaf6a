//! The answer inputs of one question, all submitting a single form field `answer` (see
//! `Answer::parse` on the server for its format per kind).
//!
//! Single choice, scenario, spot-the-bug, fill and explain are plain form controls and work
//! before hydration. Multiple choice and ordering keep their state in signals and write it to a
//! hidden `answer` field, so they need the hydrated page.

use leptos::prelude::*;

use crate::quiz_model::{QuestionInput, QuestionView};

/// Free text is limited here and, authoritatively, on the server.
const MAX_TEXT: usize = 2_000;

#[component]
pub(crate) fn QuestionInputs(question: QuestionView) -> impl IntoView {
    let id = question.id.clone();
    match question.input {
        QuestionInput::Choices { choices, multiple } if !multiple => view! {
            <fieldset class="choices">
                <legend class="sr-only">"Choose one answer"</legend>
                {choices
                    .into_iter()
                    .enumerate()
                    .map(|(i, text)| {
                        view! {
                            <label class="choice">
                                <input type="radio" name="answer" value=i.to_string() required=true />
                                <span inner_html=text></span>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        }
        .into_any(),
        QuestionInput::Choices { choices, .. } => view! { <MultipleChoices choices /> }.into_any(),
        QuestionInput::Order { items } => view! { <OrderItems items /> }.into_any(),
        QuestionInput::Fill => view! {
            <label class="text-answer">
                <span>"Your answer"</span>
                <input type="text" name="answer" maxlength="200" autocomplete="off" spellcheck="false" required=true />
            </label>
        }
        .into_any(),
        QuestionInput::SpotTheBug { lines } => view! {
            <fieldset class="code-lines">
                <legend>"Click the faulty line"</legend>
                {lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, line)| {
                        let number = i + 1;
                        view! {
                            <label class="code-line">
                                <input type="radio" name="answer" value=number.to_string() required=true />
                                <span class="line-number" aria-hidden="true">{number}</span>
                                <code>{line}</code>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        }
        .into_any(),
        QuestionInput::Explain => {
            let field = format!("explain-{id}");
            view! {
                <label class="text-answer" for=field.clone()>
                    <span>{format!("Your answer (at most {MAX_TEXT} characters)")}</span>
                </label>
                <textarea id=field name="answer" rows="8" maxlength=MAX_TEXT.to_string() required=true></textarea>
            }
            .into_any()
        }
    }
}

#[component]
fn MultipleChoices(choices: Vec<String>) -> impl IntoView {
    let picked = RwSignal::new(Vec::<usize>::new());
    let value = move || {
        let mut picked = picked.get();
        picked.sort_unstable();
        picked
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    view! {
        <fieldset class="choices">
            <legend class="sr-only">"Choose every right answer"</legend>
            <input type="hidden" name="answer" value=value />
            {choices
                .into_iter()
                .enumerate()
                .map(|(i, text)| {
                    view! {
                        <label class="choice">
                            <input
                                type="checkbox"
                                value=i.to_string()
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    picked
                                        .update(|p| {
                                            p.retain(|x| *x != i);
                                            if on {
                                                p.push(i);
                                            }
                                        });
                                }
                            />
                            <span inner_html=text></span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

#[component]
fn OrderItems(items: Vec<(usize, String)>) -> impl IntoView {
    let order = RwSignal::new(items);
    let count = order.with_untracked(Vec::len);
    let value = move || {
        order
            .get()
            .iter()
            .map(|(i, _)| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let swap = move |a: usize, b: usize| {
        order.update(|o| {
            if a < o.len() && b < o.len() {
                o.swap(a, b);
            }
        });
    };
    view! {
        <input type="hidden" name="answer" value=value />
        <ol class="order-items" aria-label="Items in your order">
            {move || {
                order
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(position, (_, text))| {
                        view! {
                            <li class="order-item">
                                <span class="order-text" inner_html=text.clone()></span>
                                <span class="order-buttons">
                                    <button
                                        type="button"
                                        class="icon-button"
                                        aria-label=format!("Move up item {}", position + 1)
                                        disabled=position == 0
                                        on:click=move |_| swap(position, position.wrapping_sub(1))
                                    >
                                        "↑"
                                    </button>
                                    <button
                                        type="button"
                                        class="icon-button"
                                        aria-label=format!("Move down item {}", position + 1)
                                        disabled=position + 1 == count
                                        on:click=move |_| swap(position, position + 1)
                                    >
                                        "↓"
                                    </button>
                                </span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}
