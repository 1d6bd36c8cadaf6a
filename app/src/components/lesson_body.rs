//! The lesson's server-rendered HTML, plus the copy buttons on its code blocks.
//!
//! The HTML is rendered and sanitised on the server (kubedojo-course). The copy buttons are in
//! that HTML, so one click handler on the container serves them all (event delegation).

use leptos::prelude::*;

#[component]
pub(crate) fn LessonBody(html: String) -> impl IntoView {
    view! { <div class="lesson-body" on:click=copy_code inner_html=html></div> }
}

#[cfg(feature = "hydrate")]
fn copy_code(event: leptos::ev::MouseEvent) {
    use wasm_bindgen::JsCast;
    let Some(button) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("button.copy").ok().flatten())
    else {
        return;
    };
    let Some(block) = button.parent_element() else {
        return;
    };
    // In a shell session copy the commands only, without prompts or output.
    let commands: Vec<String> = block
        .query_selector_all(".tok-command")
        .ok()
        .map(|nodes| {
            (0..nodes.length())
                .filter_map(|i| nodes.item(i).and_then(|n| n.text_content()))
                .collect()
        })
        .unwrap_or_default();
    let code = if commands.is_empty() {
        block
            .query_selector("code")
            .ok()
            .flatten()
            .and_then(|code| code.text_content())
    } else {
        Some(commands.join("\n"))
    };
    let (Some(code), Some(window)) = (code, web_sys::window()) else {
        return;
    };
    // The promise is not awaited: the label change is the feedback, and a refused clipboard
    // (no permission, insecure origin) leaves the code selectable by hand.
    let _ = window.navigator().clipboard().write_text(&code);
    button.set_text_content(Some("Copied"));
    button.class_list().add_1("copied").ok();
}

#[cfg(not(feature = "hydrate"))]
fn copy_code(_event: leptos::ev::MouseEvent) {}
