//! Following a workshop's event stream in the instructor's browser: every message is the whole
//! [`InstructorView`]. `EventSource` reconnects by itself after a dropped connection, and the
//! server's first message after a (re)connect is the current view, so the page resyncs.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::model::InstructorView;

/// The stream of workshop `id` (an instructor-only route of the server).
fn events_url(id: &str) -> String {
    format!("/api/instructor/workshops/{id}/events")
}

/// Opens the stream of workshop `id` and puts each view into `live`; `connected` says whether
/// messages arrive. Closed on cleanup.
pub(crate) fn follow(id: &str, live: RwSignal<InstructorView>, connected: RwSignal<bool>) {
    let Ok(source) = web_sys::EventSource::new(&events_url(id)) else {
        return;
    };
    let on_view =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let Some(text) = e.data().as_string() else {
                return;
            };
            match serde_json::from_str::<InstructorView>(&text) {
                Ok(view) => {
                    connected.set(true);
                    // NB: `set` would notify every reader even when nothing changed; the grid's
                    // rows compare their own learner, so equal views cost one comparison.
                    if live.with_untracked(|now| *now != view) {
                        live.set(view);
                    }
                }
                Err(err) => leptos::logging::warn!("ignoring a malformed workshop event: {err}"),
            }
        });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        connected.set(false);
    });
    // NB: unnamed events arrive as `message`; a server that names them `workshop` works too.
    source.set_onmessage(Some(on_view.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    if source
        .add_event_listener_with_callback("workshop", on_view.as_ref().unchecked_ref())
        .is_err()
    {
        source.close();
        return;
    }
    // The closures must live as long as the source; all go together on cleanup.
    let held = SendWrapper::new((source, on_view, on_error));
    on_cleanup(move || held.take().0.close());
}
