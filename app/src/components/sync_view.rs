//! Erasing a view's type without compiling its asynchronous hydration.
//!
//! Every [`AnyView`] keeps a pointer to its content's `hydrate_async`, so the compiler must
//! build an async copy of the hydration of every erased view tree (a route's page, a
//! `<Suspense>`'s children, anything passed through `.into_any()`), even though this app only
//! ever hydrates synchronously (`hydrate_body`, nested `<Routes>`, no lazy routes). Those
//! copies were about a seventh of the browser bundle. [`Synced`] hydrates asynchronously by
//! hydrating synchronously (tachys' default), so erasing a `Synced` view adds no async copy.
//!
//! So views are erased with `.erase()`, routes take `synced(view! { … })`, and the children of
//! a component that takes `Children` (`<Suspense>`, `<Transition>`, `<Show>`) are written
//! `{synced(view! { … })}`: the `view!` macro erases children with `.into_any()`.

use leptos::prelude::*;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::ssr::StreamBuilder;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

/// A view that renders and hydrates exactly like `T`, with synchronous hydration only.
pub struct Synced<T>(T);

/// Wraps `view` so that erasing it (or handing it to a route or `<Suspense>`) does not compile
/// an async copy of its hydration.
pub fn synced<T>(view: T) -> Synced<T> {
    Synced(view)
}

/// `.erase()`: `.into_any()` without the async copy.
pub trait Erase {
    fn erase(self) -> AnyView;
}

impl<T: RenderHtml + Send> Erase for T {
    fn erase(self) -> AnyView {
        Synced(self).into_any()
    }
}

impl<T: Render> Render for Synced<T> {
    type State = T::State;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.0.rebuild(state);
    }
}

impl<T: RenderHtml> RenderHtml for Synced<T> {
    type AsyncOutput = Synced<T::AsyncOutput>;
    type Owned = Synced<T::Owned>;

    const MIN_LENGTH: usize = T::MIN_LENGTH;
    const EXISTS: bool = T::EXISTS;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve();
    }

    async fn resolve(self) -> Self::AsyncOutput {
        Synced(self.0.resolve().await)
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs);
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) where
        Self: Sized,
    {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(
            buf,
            position,
            escape,
            mark_branches,
            extra_attrs,
        );
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    // NB: `hydrate_async` is deliberately not overridden: the default hydrates synchronously.

    fn into_owned(self) -> Self::Owned {
        Synced(self.0.into_owned())
    }
}

impl<T: AddAnyAttr> AddAnyAttr for Synced<T> {
    type Output<SomeNewAttr: Attribute> = Synced<T::Output<SomeNewAttr>>;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        Synced(self.0.add_any_attr(attr))
    }
}
