//! A form that posts to a server function, reading its arguments without serde.
//!
//! Leptos' `ActionForm` turns a submitted form into the server function's arguments with
//! serde_qs, which compiles a query-string deserializer for every argument type into the
//! browser bundle (with its parser, about 15 KB of the learners' gzipped wasm). `PostForm`
//! renders the same `<form method="post" action="/api/…">`, so it works before hydration and
//! without JavaScript (the server function answers the plain POST), and once hydrated it builds
//! the arguments with the explicit [`FromFields`] of the server function.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// The fields of a submitted form, in document order (a checkbox list gives one per ticked box).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn new(fields: Vec<(String, String)>) -> Self {
        Self(fields)
    }

    /// The first value of `name`.
    ///
    /// # Errors
    /// The form has no such field.
    pub fn text(&self, name: &str) -> Result<String, String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("the form has no `{name}` field"))
    }

    /// Every value of `name` (none when the form has no such field).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The first value of `name`, parsed (numbers, `true`/`false`).
    ///
    /// # Errors
    /// The field is missing or does not parse.
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<T, String> {
        let text = self.text(name)?;
        text.trim()
            .parse()
            .map_err(|_| format!("`{name}` cannot be `{text}`"))
    }
}

/// How a server function's arguments are read from the fields of its form.
pub trait FromFields: Sized {
    /// # Errors
    /// A field is missing or malformed (a message naming it).
    fn from_fields(fields: &Fields) -> Result<Self, String>;
}

#[component]
pub(crate) fn PostForm<S, C>(
    /// The server function the form submits to.
    action: ServerAction<S>,
    /// The form's fields and buttons.
    children: TypedChildren<C>,
) -> impl IntoView
where
    S: ServerFn + FromFields + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: FromServerFnError + Send + Sync + 'static,
    C: IntoView + 'static,
{
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        match S::from_fields(&fields_of(&ev)) {
            Ok(args) => {
                action.dispatch(args);
            }
            Err(why) => {
                // Shown like any failure of the action (the forms render `action.value()`).
                let error = S::Error::from_server_fn_error(ServerFnErrorErr::Args(why));
                action.value().set(Some(Err(error)));
            }
        }
    };
    view! {
        <form action=S::url() method="post" on:submit=on_submit>
            {children.into_inner()()}
        </form>
    }
}

/// The submitted form's text fields (files are never part of these forms).
#[cfg(feature = "hydrate")]
fn fields_of(ev: &leptos::ev::SubmitEvent) -> Fields {
    use wasm_bindgen::JsCast as _;
    let Some(form) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return Fields::default();
    };
    let Ok(data) = web_sys::FormData::new_with_form(&form) else {
        return Fields::default();
    };
    let mut fields = Vec::new();
    if let Ok(Some(entries)) = js_sys::try_iter(&data) {
        for entry in entries.flatten() {
            let pair = js_sys::Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                fields.push((name, value));
            }
        }
    }
    Fields::new(fields)
}

/// On the server the form is plain HTML: the browser posts it.
#[cfg(not(feature = "hydrate"))]
fn fields_of(_: &leptos::ev::SubmitEvent) -> Fields {
    Fields::new(Vec::new())
}

#[cfg(test)]
impl Fields {
    /// Fields as a form would send them.
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        Self::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_like_the_form_sent_them() {
        let f = Fields::of(&[
            ("slug", "02"),
            ("picks[]", "1"),
            ("picks[]", "3"),
            ("n", " 7 "),
        ]);
        assert_eq!(f.text("slug"), Ok("02".into()));
        assert_eq!(f.all("picks[]"), ["1", "3"]);
        assert!(f.all("parts[]").is_empty());
        assert_eq!(f.parse::<u32>("n"), Ok(7));
        assert_eq!(f.text("nope"), Err("the form has no `nope` field".into()));
        assert_eq!(f.parse::<bool>("slug"), Err("`slug` cannot be `02`".into()));
    }
}
