//! The menu beside the selected box: the lab's actions that act on that pod or node, run through
//! the same server function as the panel's buttons.

use leptos::either::Either;
use leptos::prelude::*;

use super::describe::Drawn;
use super::layout::{self, Rect};
use super::model::{ClusterSnapshot, ObjectRef};
use super::offers::offered;
use crate::lab::model::ActionView;

/// What the picture needs to offer actions: the lab's actions (empty while the cluster is not
/// ready), whether none is running, and how to run one (by id).
#[derive(Clone, Copy)]
pub struct Actions {
    pub list: Signal<Vec<ActionView>>,
    pub idle: Signal<bool>,
    pub run: Callback<String>,
}

impl Actions {
    /// No actions: a picture to look at only.
    pub fn none() -> Self {
        Self {
            list: Signal::stored(Vec::new()),
            idle: Signal::stored(false),
            run: Callback::new(|_: String| {}),
        }
    }
}

/// Where the menu goes, in percent of the picture: below the box, or above it when the box is
/// in the lower half; from its left edge, or its right edge in the right half (so the menu
/// stays inside the picture).
fn position(rect: Rect, height: f64) -> String {
    let horizontal = if rect.x + rect.w / 2.0 > layout::WIDTH / 2.0 {
        let right = (layout::WIDTH - rect.x - rect.w) / layout::WIDTH * 100.0;
        format!("right:{right:.1}%")
    } else {
        format!("left:{:.1}%", rect.x / layout::WIDTH * 100.0)
    };
    let vertical = if rect.y + rect.h / 2.0 > height / 2.0 {
        format!("bottom:{:.1}%", (height - rect.y) / height * 100.0)
    } else {
        format!("top:{:.1}%", (rect.y + rect.h) / height * 100.0)
    };
    format!("{horizontal};{vertical}")
}

#[component]
pub fn SelectionMenu(
    selected: RwSignal<Option<ObjectRef>>,
    snapshot: RwSignal<Option<ClusterSnapshot>>,
    boxes: Memo<Vec<Drawn>>,
    nodes: Memo<Vec<Drawn>>,
    height: Memo<f64>,
    actions: Actions,
) -> impl IntoView {
    move || {
        let object = selected.get()?;
        let find = |list: &Vec<Drawn>| {
            list.iter()
                .find(|d| d.object.as_ref() == Some(&object))
                .map(|d| d.rect)
        };
        let rect = boxes.with(find).or_else(|| nodes.with(find))?;
        let offers: Vec<ActionView> = snapshot.with(|s| {
            s.as_ref()
                .map(|s| {
                    actions
                        .list
                        .with(|list| offered(list, &object, s).into_iter().cloned().collect())
                })
                .unwrap_or_default()
        });
        let label = format!("Actions on {} {}", object.kind, object.name);
        let buttons = if offers.is_empty() {
            Either::Left(view! { <p class="muted">"No action of this lab acts on it."</p> })
        } else {
            let buttons = offers
                .into_iter()
                .map(|a| {
                    let id = a.id.clone();
                    view! {
                        <button
                            type="button"
                            class="button lab-action picture-action"
                            data-action=a.id
                            disabled=move || !actions.idle.get()
                            on:click=move |_| actions.run.run(id.clone())
                        >
                            {a.label}
                        </button>
                    }
                })
                .collect_view();
            Either::Right(buttons)
        };
        Some(view! {
            <div
                class="picture-menu"
                role="group"
                aria-label=label
                style=position(rect, height.get_untracked())
            >
                <p class="picture-menu-title">
                    {object.kind.clone()}
                    " "
                    <strong>{object.name.clone()}</strong>
                    <button
                        type="button"
                        class="picture-menu-close"
                        aria-label="Close"
                        on:click=move |_| selected.set(None)
                    >
                        "×"
                    </button>
                </p>
                {buttons}
            </div>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_menu_stays_inside_the_picture() {
        let high_left = Rect {
            x: 90.0,
            y: 40.0,
            w: 100.0,
            h: 60.0,
        };
        assert_eq!(position(high_left, 400.0), "left:10.0%;top:25.0%");
        let low_right = Rect {
            x: 710.0,
            y: 300.0,
            ..high_left
        };
        assert_eq!(position(low_right, 400.0), "right:10.0%;bottom:25.0%");
    }
}
