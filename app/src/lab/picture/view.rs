//! The live picture component: an SVG drawn by Leptos from the latest snapshot, a text version
//! of it for screen readers and anyone who prefers text, and the timeline of Events.
//!
//! The server renders the empty state; once hydrated, the browser connects to
//! `/api/cluster/watch` and every snapshot redraws in place: boxes are keyed by pod uid (or
//! object name), so a replacement pod is a new box that fades in while the old one goes.

use leptos::prelude::*;

use crate::components::sync_view::{Erase as _, synced};

use super::describe::{self, Drawn};
use super::layout::{self, Layout};
use super::menu::{Actions, SelectionMenu};
use super::model::{ClusterSnapshot, EventInfo, ObjectRef};

/// The state of the connection to the server.
// NB: only the browser's connection leaves `Connecting`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    /// Opening the stream (also what the server renders).
    Connecting,
    /// Snapshots are arriving.
    Live,
    /// The learner has no cluster yet.
    NoCluster,
    /// The stream broke; trying again after a pause.
    Reconnecting,
}

/// What the connection updates.
#[derive(Clone, Copy)]
pub struct Feed {
    pub snapshot: RwSignal<Option<ClusterSnapshot>>,
    pub status: RwSignal<LinkStatus>,
    /// The browser's estimate of the server's clock now (milliseconds since the epoch), ticking.
    pub now_ms: RwSignal<i64>,
}

/// The learner's cluster, live. Clicking an object puts it in `selected`, and a menu beside it
/// offers the lab's `actions` on it. `stream` is the snapshot stream to follow (the instructor's
/// page follows one learner's, read-only, with [`Actions::none`]).
#[component]
pub fn ClusterPicture(
    selected: RwSignal<Option<ObjectRef>>,
    actions: Actions,
    #[prop(into, default = "/api/cluster/watch".to_owned())] stream: String,
) -> impl IntoView {
    let feed = Feed {
        snapshot: RwSignal::new(None),
        status: RwSignal::new(LinkStatus::Connecting),
        now_ms: RwSignal::new(0),
    };
    #[cfg(feature = "hydrate")]
    super::connection::start(feed, stream.clone());

    let layout = Memo::new(move |_| feed.snapshot.with(|s| s.as_ref().map(layout::compute)));
    let namespace = Memo::new(move |_| {
        feed.snapshot
            .with(|s| s.as_ref().map(|s| s.namespace.clone()).unwrap_or_default())
    });
    let boxes = Memo::new(move |_| {
        let now = feed.now_ms.get();
        layout.with(|l| {
            l.as_ref()
                .map(|l| describe::boxes(l, &namespace.read(), now))
                .unwrap_or_default()
        })
    });
    let nodes = Memo::new(move |_| {
        layout.with(|l| {
            l.as_ref()
                .map(|l| l.nodes.iter().map(describe::node).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    let has_picture = move || layout.with(Option::is_some);
    let height = Memo::new(move |_| layout.with(|l| l.as_ref().map_or(100.0, |l| l.height)));

    view! {
        <div class="picture" data-stream=stream data-status=move || status_word(feed.status.get())>
            <p class="picture-status" role="status">{move || status_text(feed.status.get())}</p>
            <Show when=has_picture>
                {synced(view! {
                    <div class="picture-scroll">
                        <div class="picture-canvas">
                        <svg
                            class="picture-svg"
                            viewBox=move || format!("0 0 {} {}", layout::WIDTH, height.get())
                            role="group"
                            aria-labelledby="picture-title picture-desc"
                        >
                            <title id="picture-title">"Your cluster, live"</title>
                            <desc id="picture-desc">{move || summary(&layout.read())}</desc>
                            <Headings/>
                            <For
                                each=move || nodes.with(|n| n.iter().map(|d| d.key.clone()).collect::<Vec<_>>())
                                key=String::clone
                                let:key
                            >
                                <NodeBox item_key=key nodes=nodes selected=selected/>
                            </For>
                            <For
                                each=move || {
                                    layout.with(|l| {
                                        l.as_ref()
                                            .map(|l| l.edges.iter().map(|e| e.key.clone()).collect::<Vec<_>>())
                                            .unwrap_or_default()
                                    })
                                }
                                key=String::clone
                                let:key
                            >
                                <EdgeLine item_key=key layout=layout/>
                            </For>
                            <For
                                each=move || boxes.with(|b| b.iter().map(|d| d.key.clone()).collect::<Vec<_>>())
                                key=String::clone
                                let:key
                            >
                                <ObjectBox item_key=key boxes=boxes selected=selected/>
                            </For>
                        </svg>
                        <SelectionMenu
                            selected=selected
                            snapshot=feed.snapshot
                            boxes=boxes
                            nodes=nodes
                            height=height
                            actions=actions
                        />
                        </div>
                    </div>
                    <details class="picture-text">
                        <summary>"The picture as text"</summary>
                        <ul>
                            {move || {
                                nodes
                                    .get()
                                    .into_iter()
                                    .chain(boxes.get())
                                    .map(|d| view! { <li>{d.title}</li> })
                                    .collect_view()
                            }}
                        </ul>
                    </details>
                })}
            </Show>
            <Timeline feed=feed/>
        </div>
    }
    // NB: erased so the lesson page's view type stays within the compiler's depth limit.
    .erase()
}

fn status_word(status: LinkStatus) -> &'static str {
    match status {
        LinkStatus::Connecting => "connecting",
        LinkStatus::Live => "live",
        LinkStatus::NoCluster => "no-cluster",
        LinkStatus::Reconnecting => "reconnecting",
    }
}

fn status_text(status: LinkStatus) -> &'static str {
    match status {
        LinkStatus::Connecting => "Connecting to your cluster…",
        LinkStatus::Live => "Live: changes appear as they happen.",
        LinkStatus::NoCluster => "Start the lab to see your cluster.",
        LinkStatus::Reconnecting => "Connection lost; reconnecting…",
    }
}

/// The SVG's description: how many of each there are.
fn summary(layout: &Option<Layout>) -> String {
    let Some(l) = layout else {
        return String::new();
    };
    format!(
        "{} services, {} pods on {} nodes, {} claims, {} volumes, {} storage classes. \
         Lines go from each Service to the pods it sends traffic to, from pods to their \
         claims, from claims to the volumes bound to them, and from volumes to their class.",
        l.services.len(),
        l.pods.len(),
        l.nodes.iter().filter(|n| n.name.is_some()).count(),
        l.claims.len(),
        l.volumes.len(),
        l.classes.len()
    )
}

#[component]
fn Headings() -> impl IntoView {
    let columns = [
        (layout::SERVICES.0, "Services"),
        (layout::NODES.0, "Pods, by node"),
        (layout::CLAIMS.0, "Claims (PVC)"),
        (layout::VOLUMES.0, "Volumes (PV)"),
        (layout::CLASSES.0, "StorageClass"),
    ];
    view! {
        <g class="headings" aria-hidden="true">
            {columns
                .into_iter()
                .map(|(x, text)| view! { <text x=x y="16">{text}</text> })
                .collect_view()}
        </g>
    }
}

fn find(list: Memo<Vec<Drawn>>, key: &str) -> Drawn {
    list.with(|l| l.iter().find(|d| d.key == key).cloned())
        .unwrap_or_default()
}

/// An SVG `<title>` (the hover text) that follows `drawn`.
// NB: built by hand: inside a component rooted at `<g>` the view macro makes `<title>` an HTML
// element, which browsers ignore inside SVG when it is created by script.
fn svg_title(drawn: Memo<Drawn>) -> impl IntoView {
    leptos::tachys::svg::title().child(move || drawn.with(|d| d.title.clone()))
}

fn select_on_key(ev: &leptos::ev::KeyboardEvent) -> bool {
    matches!(ev.key().as_str(), "Enter" | " ")
}

/// One object: a rounded box with up to three lines of text, clickable.
#[component]
fn ObjectBox(
    item_key: String,
    boxes: Memo<Vec<Drawn>>,
    selected: RwSignal<Option<ObjectRef>>,
) -> impl IntoView {
    let drawn = Memo::new(move |_| find(boxes, &item_key));
    let is_selected = move || {
        let object = drawn.with(|d| d.object.clone());
        object.is_some() && selected.with(|s| *s == object)
    };
    let select = move || selected.set(drawn.with(|d| d.object.clone()));
    view! {
        <g
            class=move || {
                let mut class = drawn.with(|d| d.class.clone());
                if is_selected() {
                    class.push_str(" selected");
                }
                class
            }
            style=move || drawn.with(|d| format!("transform:translate({}px,{}px)", d.rect.x, d.rect.y))
            id=move || drawn.with(Drawn::anchor)
            data-kind=move || drawn.with(|d| d.object.as_ref().map(|o| o.kind.clone()))
            data-name=move || drawn.with(|d| d.object.as_ref().map(|o| o.name.clone()))
            data-key=move || drawn.with(|d| d.key.clone())
            data-status=move || drawn.with(|d| d.status.clone())
            tabindex="0"
            role="button"
            aria-label=move || drawn.with(|d| d.title.clone())
            aria-pressed=move || is_selected().to_string()
            on:click=move |_| select()
            on:keydown=move |ev| {
                if select_on_key(&ev) {
                    ev.prevent_default();
                    select();
                }
            }
        >
            {svg_title(drawn)}
            <rect
                width=move || drawn.with(|d| d.rect.w)
                height=move || drawn.with(|d| d.rect.h)
                rx="6"
            ></rect>
            <text class="line name" x="8" y="17">{move || drawn.with(|d| d.lines[0].clone())}</text>
            <text class="line" x="8" y="32">{move || drawn.with(|d| d.lines[1].clone())}</text>
            <text class="line" x="8" y="47">{move || drawn.with(|d| d.lines[2].clone())}</text>
        </g>
    }
}

/// A node: a frame around its pods with the node's state in its header.
#[component]
fn NodeBox(
    item_key: String,
    nodes: Memo<Vec<Drawn>>,
    selected: RwSignal<Option<ObjectRef>>,
) -> impl IntoView {
    let drawn = Memo::new(move |_| find(nodes, &item_key));
    let select = move || {
        if let Some(object) = drawn.with(|d| d.object.clone()) {
            selected.set(Some(object));
        }
    };
    view! {
        <g
            class=move || drawn.with(|d| d.class.clone())
            style=move || drawn.with(|d| format!("transform:translate({}px,{}px)", d.rect.x, d.rect.y))
            id=move || drawn.with(Drawn::anchor)
            data-kind="Node"
            data-name=move || drawn.with(|d| d.object.as_ref().map(|o| o.name.clone()))
            data-status=move || drawn.with(|d| d.status.clone())
        >
            {svg_title(drawn)}
            <rect
                width=move || drawn.with(|d| d.rect.w)
                height=move || drawn.with(|d| d.rect.h)
                rx="8"
            ></rect>
            <text
                class="line node-name"
                x="8"
                y="15"
                tabindex="0"
                role="button"
                aria-label=move || drawn.with(|d| d.title.clone())
                on:click=move |_| select()
                on:keydown=move |ev| {
                    if select_on_key(&ev) {
                        ev.prevent_default();
                        select();
                    }
                }
            >
                {move || drawn.with(|d| d.lines[0].clone())}
            </text>
        </g>
    }
}

#[component]
fn EdgeLine(item_key: String, layout: Memo<Option<Layout>>) -> impl IntoView {
    let edge = Memo::new(move |_| {
        layout.with(|l| {
            l.as_ref()
                .and_then(|l| l.edges.iter().find(|e| e.key == item_key))
                .map(|e| (e.kind.class(), e.path.clone()))
                .unwrap_or_default()
        })
    });
    view! {
        <path
            class=move || edge.with(|e| e.0)
            d=move || edge.with(|e| e.1.clone())
            aria-hidden="true"
        ></path>
    }
}

/// The namespace's recent Events, newest first.
#[component]
fn Timeline(feed: Feed) -> impl IntoView {
    let events = move || {
        feed.snapshot
            .with(|s| s.as_ref().map(|s| s.events.clone()).unwrap_or_default())
    };
    view! {
        <section class="picture-timeline" aria-label="Events">
            <h3>"Events"</h3>
            <Show
                when=move || feed.snapshot.with(|s| s.as_ref().is_some_and(|s| !s.events.is_empty()))
                fallback=|| view! { <p class="muted">"No events yet."</p> }
            >
                {synced(view! {
                    <ol reversed>
                        {move || {
                            let now = feed.now_ms.get();
                            events()
                                .into_iter()
                                .rev()
                                .map(|e| event_line(e, now))
                                .collect_view()
                        }}
                    </ol>
                })}
            </Show>
        </section>
    }
}

fn event_line(event: EventInfo, now_ms: i64) -> impl IntoView {
    let ago = event
        .at_ms
        .map(|at| format!("{} ago", layout::age((now_ms - at) / 1000)))
        .unwrap_or_default();
    let count = (event.count > 1).then(|| format!(" (×{})", event.count));
    let class = if event.event_type == "Warning" {
        "event warning"
    } else {
        "event"
    };
    view! {
        <li class=class>
            <span class="event-when">{ago}</span>
            " "
            <span class="event-object">{event.object}</span>
            " "
            <strong class="event-reason">{event.reason}</strong>
            {count}
            ": "
            <span class="event-message">{event.message}</span>
        </li>
    }
}
