//! The server's own HTTP routes (the pages and server functions come from Leptos).

pub(crate) mod health;
pub(crate) mod server_fn_errors;
