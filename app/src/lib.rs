//! kubedojo's user interface: Leptos components rendered on the server (feature `ssr`) and
//! hydrated in the browser (feature `hydrate`).

// Leptos views are deeply nested types; the quiz pages' async views need more than the default
// 128 levels when the wasm bundle is compiled.
#![recursion_limit = "256"]

pub mod api;
mod app;
#[cfg(feature = "ssr")]
pub mod bundle;
mod components;
mod form_args;
pub mod lab;
pub mod model;
mod pages;
pub mod quiz_model;
#[cfg(feature = "ssr")]
pub mod quiz_service;
#[cfg(feature = "ssr")]
pub mod ssr;
mod tag_first;
pub mod workshop;

pub use app::{App, shell};

/// Entry point of the wasm bundle: attaches the reactive UI to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // A marker for people and browser tests: clicks before this point are plain navigation.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
