//! The answer inputs of one question, all submitting a single form field `answer` (see
//! `Answer::parse` on the server for its format per kind).
//!
//! Every kind works before hydration: radios, checkboxes (`picks[]`), text fields, and for
//! ordering hidden `picks[]` fields in the shown order with up/down buttons (see [`OrderItems`]).

use leptos::prelude::*;

use crate::components::sync_view::Erase as _;

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
        .erase(),
        QuestionInput::Choices { choices, .. } => view! { <MultipleChoices choices /> }.erase(),
        QuestionInput::Order { items } => {
            view! { <OrderItems question_id=id.clone() items /> }.erase()
        }
        QuestionInput::Fill => view! {
            <label class="text-answer">
                <span>"Your answer"</span>
                <input type="text" name="answer" maxlength="200" autocomplete="off" spellcheck="false" required=true />
            </label>
        }
        .erase(),
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
        .erase(),
        QuestionInput::Explain => {
            let field = format!("explain-{id}");
            view! {
                <label class="text-answer" for=field.clone()>
                    <span>{format!("Your answer (at most {MAX_TEXT} characters)")}</span>
                </label>
                <textarea id=field name="answer" rows="8" maxlength=MAX_TEXT.to_string() required=true></textarea>
            }
            .erase()
        }
    }
}

#[component]
fn MultipleChoices(choices: Vec<String>) -> impl IntoView {
    view! {
        <fieldset class="choices">
            <legend class="sr-only">"Choose every right answer"</legend>
            // The picks travel as `picks[]`; `answer` stays empty (see `api::merge_picks`).
            <input type="hidden" name="answer" value="" />
            {choices
                .into_iter()
                .enumerate()
                .map(|(i, text)| {
                    view! {
                        <label class="choice">
                            <input type="checkbox" name="picks[]" value=i.to_string() />
                            <span inner_html=text></span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// Ordering: the items are hidden `picks[]` fields in the order shown. Up/down buttons swap
/// two items in place once hydrated; before hydration they are GET submits that reload the
/// page with the new order in `?order=<question id>:<indices>`, so ordering works without JS.
#[component]
fn OrderItems(question_id: String, items: Vec<(usize, String)>) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let path = location.pathname.get_untracked();
    let requested = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("order"))
        .and_then(|value| reorder(&value, &question_id, &items));
    let order = RwSignal::new(requested.unwrap_or(items));
    let count = order.with_untracked(Vec::len);
    // Back to this question's card after the reload.
    let action = format!("{path}#q-{question_id}");
    let swap = move |a: usize, b: usize| {
        order.update(|o| {
            if a < o.len() && b < o.len() {
                o.swap(a, b);
            }
        });
    };
    // The `order` value after swapping positions `a` and `b` of the current order.
    let swapped_value = move |a: usize, b: usize| {
        let mut indices: Vec<usize> = order.with(|o| o.iter().map(|(i, _)| *i).collect());
        if a < indices.len() && b < indices.len() {
            indices.swap(a, b);
        }
        let list: Vec<String> = indices.iter().map(usize::to_string).collect();
        format!("{question_id}:{}", list.join(","))
    };
    view! {
        <input type="hidden" name="answer" value="" />
        <ol class="order-items" aria-label="Items in your order">
            {move || {
                order
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(position, (index, text))| {
                        let action = action.clone();
                        view! {
                            <li class="order-item">
                                <input type="hidden" name="picks[]" value=index.to_string() />
                                <span class="order-text" inner_html=text></span>
                                <span class="order-buttons">
                                    <button
                                        type="submit"
                                        formmethod="get"
                                        formaction=action.clone()
                                        formnovalidate=true
                                        name="order"
                                        value=swapped_value(position, position.wrapping_sub(1))
                                        class="icon-button"
                                        aria-label=format!("Move item {} up", position + 1)
                                        disabled=position == 0
                                        on:click=move |ev| {
                                            ev.prevent_default();
                                            swap(position, position.wrapping_sub(1));
                                        }
                                    >
                                        "↑"
                                    </button>
                                    <button
                                        type="submit"
                                        formmethod="get"
                                        formaction=action
                                        formnovalidate=true
                                        name="order"
                                        value=swapped_value(position, position + 1)
                                        class="icon-button"
                                        aria-label=format!("Move item {} down", position + 1)
                                        disabled=position + 1 == count
                                        on:click=move |ev| {
                                            ev.prevent_default();
                                            swap(position, position + 1);
                                        }
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

/// The items in the order `value` (`<question id>:<indices>`) asks for, if it is for this
/// question and lists each item exactly once.
fn reorder(
    value: &str,
    question_id: &str,
    items: &[(usize, String)],
) -> Option<Vec<(usize, String)>> {
    let (id, list) = value.split_once(':')?;
    if id != question_id {
        return None;
    }
    let indices: Vec<usize> = list
        .split(',')
        .map(|i| i.trim().parse().ok())
        .collect::<Option<_>>()?;
    let reordered: Vec<(usize, String)> = indices
        .iter()
        .map(|i| items.iter().find(|(index, _)| index == i).cloned())
        .collect::<Option<_>>()?;
    let distinct: std::collections::BTreeSet<usize> = indices.iter().copied().collect();
    (reordered.len() == items.len() && distinct.len() == items.len()).then_some(reordered)
}
