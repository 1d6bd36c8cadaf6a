//! The browser's end of `/api/cluster/watch`: an `EventSource` that feeds the picture, closed
//! and opened again with a growing pause when the stream breaks (the server starts every
//! connection with a fresh snapshot, so nothing stale survives a reconnect).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use super::model::PictureMessage;
use super::view::{Feed, LinkStatus};

const FIRST_PAUSE_MS: u64 = 500;
const MAX_PAUSE_MS: u64 = 15_000;
/// Ages tick once a second.
const TICK: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Link {
    url: String,
    source: Option<EventSource>,
    pause_ms: u64,
    stopped: bool,
    /// The server's clock minus the browser's, from the last snapshot.
    clock_offset_ms: i64,
    // NB: the callbacks must live as long as the EventSource that calls them.
    on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    on_error: Option<Closure<dyn FnMut(web_sys::Event)>>,
}

type Shared = Rc<RefCell<Link>>;

fn browser_now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Connects `feed` to the server until the component is dropped.
pub fn start(feed: Feed, url: String) {
    let link: Shared = Rc::new(RefCell::new(Link {
        url,
        pause_ms: FIRST_PAUSE_MS,
        ..Link::default()
    }));
    open(link.clone(), feed);
    let ticking = link.clone();
    let interval = set_interval_with_handle(
        move || {
            let offset = ticking.borrow().clock_offset_ms;
            feed.now_ms.set(browser_now_ms() + offset);
        },
        TICK,
    )
    .ok();
    let link = SendWrapper::new(link);
    on_cleanup(move || {
        if let Some(interval) = interval {
            interval.clear();
        }
        let link = link.take();
        let mut link = link.borrow_mut();
        link.stopped = true;
        if let Some(source) = link.source.take() {
            source.close();
        }
    });
}

fn open(link: Shared, feed: Feed) {
    if link.borrow().stopped {
        return;
    }
    let url = link.borrow().url.clone();
    let Ok(source) = EventSource::new(&url) else {
        retry_later(link, feed);
        return;
    };
    let on_message = {
        let link = link.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            let Ok(message) = serde_json::from_str::<PictureMessage>(&text) else {
                return;
            };
            link.borrow_mut().pause_ms = FIRST_PAUSE_MS;
            match message {
                PictureMessage::NoCluster => {
                    feed.status.set(LinkStatus::NoCluster);
                    feed.snapshot.set(None);
                }
                PictureMessage::Snapshot(snapshot) => {
                    let offset = snapshot.generated_at_ms - browser_now_ms();
                    link.borrow_mut().clock_offset_ms = offset;
                    feed.now_ms.set(snapshot.generated_at_ms);
                    feed.status.set(LinkStatus::Live);
                    feed.snapshot.set(Some(*snapshot));
                }
            }
        })
    };
    let on_error = {
        let link = link.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            // NB: the browser's own retry keeps a fixed pace and gives up on some errors; close
            // it and reconnect with our backoff instead.
            if let Some(source) = link.borrow_mut().source.take() {
                source.close();
            }
            feed.status.set(LinkStatus::Reconnecting);
            retry_later(link.clone(), feed);
        })
    };
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let mut l = link.borrow_mut();
    l.source = Some(source);
    l.on_message = Some(on_message);
    l.on_error = Some(on_error);
}

fn retry_later(link: Shared, feed: Feed) {
    let pause = {
        let mut l = link.borrow_mut();
        let pause = l.pause_ms;
        l.pause_ms = (pause * 2).min(MAX_PAUSE_MS);
        pause
    };
    set_timeout(move || open(link, feed), Duration::from_millis(pause));
}
