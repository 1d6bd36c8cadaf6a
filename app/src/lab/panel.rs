//! The lab panel: shown beside every lesson that has a lab.

use leptos::prelude::*;

use super::picture::{ClusterPicture, ObjectRef};

/// The panel for the lab of lesson `slug`.
///
/// NB: the sections are filled by their own modules: tasks (the checklist and actions),
/// picture (the live cluster picture) and terminal (kubectl over a WebSocket).
#[component]
pub(crate) fn LabPanel(slug: String) -> impl IntoView {
    // The object clicked in the picture (the panel offers actions for it).
    let selected = RwSignal::new(None::<ObjectRef>);
    view! {
        <aside class="lab-panel" aria-labelledby="lab-panel-title" data-lab=slug>
            <header class="lab-panel-header">
                <h2 id="lab-panel-title">"Your cluster"</h2>
            </header>
            <section class="lab-tasks" aria-label="Tasks"></section>
            <section class="lab-picture" aria-label="Cluster picture">
                <ClusterPicture selected=selected/>
            </section>
            <section class="lab-terminal" aria-label="Terminal"></section>
        </aside>
    }
}
