//! Following the lab's event stream in the browser: every message is the whole lab view.
//! `EventSource` reconnects by itself after a dropped connection, and the server's first
//! message after a (re)connect is the current view, so the panel resyncs on its own.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::model::LabView;

/// Opens `/api/labs/{slug}/events` and puts each view into `live`; closed on cleanup.
pub(crate) fn follow(slug: &str, live: RwSignal<Option<LabView>>) {
    let Ok(source) = web_sys::EventSource::new(&format!("/api/labs/{slug}/events")) else {
        return;
    };
    let on_view =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let Some(text) = e.data().as_string() else {
                return;
            };
            match serde_json::from_str::<LabView>(&text) {
                Ok(view) => live.set(Some(view)),
                Err(err) => leptos::logging::warn!("ignoring a malformed lab event: {err}"),
            }
        });
    if source
        .add_event_listener_with_callback("lab", on_view.as_ref().unchecked_ref())
        .is_err()
    {
        source.close();
        return;
    }
    // The closure must live as long as the source; both go together on cleanup.
    let held = SendWrapper::new((source, on_view));
    on_cleanup(move || held.take().0.close());
}
