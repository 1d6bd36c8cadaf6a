//! The lesson's server-rendered HTML, plus the copy and run buttons on its code blocks.
//!
//! The HTML is rendered and sanitised on the server (kubedojo-course). The buttons are in that
//! HTML, so one click handler on the container serves them all (event delegation). "Run"
//! (on blocks of kubectl commands) dispatches a `kubedojo:run` event that the lab terminal
//! listens for.

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
        .and_then(|el| el.closest("button.copy, button.run").ok().flatten())
    else {
        return;
    };
    let Some(block) = button.parent_element() else {
        return;
    };
    if button.class_list().contains("run") {
        run_commands(&block);
        return;
    }
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

/// Sends the block's commands to the lab terminal, one per line.
#[cfg(feature = "hydrate")]
fn run_commands(block: &web_sys::Element) {
    let commands: Vec<String> = block
        .query_selector_all(".tok-command")
        .ok()
        .map(|nodes| {
            (0..nodes.length())
                .filter_map(|i| nodes.item(i).and_then(|n| n.text_content()))
                .collect()
        })
        .unwrap_or_default();
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&wasm_bindgen::JsValue::from_str(&commands.join("\n")));
    let event = web_sys::CustomEvent::new_with_event_init_dict("kubedojo:run", &init);
    if let (Ok(event), Some(window)) = (event, web_sys::window()) {
        let _ = window.dispatch_event(&event);
    }
}

#[cfg(not(feature = "hydrate"))]
fn copy_code(_event: leptos::ev::MouseEvent) {}
