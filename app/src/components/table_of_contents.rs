//! The lesson's sections, as in-page links.

use leptos::prelude::*;

use crate::model::TocItem;

#[component]
pub(crate) fn TableOfContents(items: Vec<TocItem>) -> impl IntoView {
    view! {
        <nav class="toc" aria-label="On this page">
            <p class="toc-title">"On this page"</p>
            <ol>
                {items
                    .into_iter()
                    .map(|item| {
                        view! {
                            <li class=format!("toc-level-{}", item.level)>
                                <a href=format!("#{}", item.id)>{item.text}</a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}
