//! The lab terminal: xterm.js connected to the learner's kubectl session on the server.
//!
//! xterm.js and its glue are not part of the wasm bundle: they are ES modules in
//! `/pkg/terminal/`, loaded the first time the learner opens the terminal or presses a "Run"
//! button on a lesson's kubectl commands (which dispatches a `kubedojo:run` event).

use leptos::prelude::*;

use crate::components::sync_view::Erase as _;

#[component]
pub(crate) fn Terminal() -> impl IntoView {
    let (open, set_open) = signal(false);
    let open_terminal = move || {
        if !open.get_untracked() {
            set_open.set(true);
            load_terminal();
        }
    };
    Effect::new(move |_| {
        let handle = window_event_listener_untyped("kubedojo:run", move |event| {
            keep_for_terminal(&event);
            open_terminal();
        });
        on_cleanup(move || handle.remove());
    });
    view! {
        <div class="terminal-bar">
            <span class="terminal-title">"kubectl"</span>
            <button
                type="button"
                class="terminal-open"
                hidden=move || open.get()
                on:click=move |_| open_terminal()
            >
                "Open terminal"
            </button>
        </div>
        <div class="terminal-mount" data-terminal-mount="" hidden=move || !open.get()></div>
    }
    // Erased: the lesson page's view type is deep enough already for the server's compiler.
    .erase()
}

/// A "Run" before the glue has started: leave the commands on the mount, where it picks them up.
#[cfg(feature = "hydrate")]
fn keep_for_terminal(event: &web_sys::Event) {
    use wasm_bindgen::JsCast;
    let Some(commands) = event
        .dyn_ref::<web_sys::CustomEvent>()
        .and_then(|e| e.detail().as_string())
    else {
        return;
    };
    let Some(mount) = document_element("[data-terminal-mount]") else {
        return;
    };
    if mount.has_attribute("data-ready") {
        return; // the glue listens for itself
    }
    let pending = mount
        .get_attribute("data-pending")
        .map(|p| format!("{p}\n{commands}"))
        .unwrap_or(commands);
    let _ = mount.set_attribute("data-pending", &pending);
}

#[cfg(not(feature = "hydrate"))]
fn keep_for_terminal(_event: &leptos::ev::Event) {}

/// Adds xterm's stylesheet and the glue module to the page, once.
#[cfg(feature = "hydrate")]
fn load_terminal() {
    if document_element("script[data-kubedojo-terminal]").is_some() {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else { return };
    let add = |tag: &str, attributes: &[(&str, &str)]| {
        if let Ok(element) = document.create_element(tag) {
            for (name, value) in attributes {
                let _ = element.set_attribute(name, value);
            }
            let _ = body.append_child(&element);
        }
    };
    add(
        "link",
        &[("rel", "stylesheet"), ("href", "/pkg/terminal/xterm.css")],
    );
    add(
        "script",
        &[
            ("type", "module"),
            ("src", "/pkg/terminal/glue.js"),
            ("data-kubedojo-terminal", ""),
        ],
    );
}

#[cfg(not(feature = "hydrate"))]
fn load_terminal() {}

#[cfg(feature = "hydrate")]
fn document_element(selector: &str) -> Option<web_sys::Element> {
    web_sys::window()?
        .document()?
        .query_selector(selector)
        .ok()
        .flatten()
}
