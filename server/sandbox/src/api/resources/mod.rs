//! Resource verbs: get, list, create, update, patch, delete, deletecollection, and the
//! status/scale subresources. One file per verb family.

mod create;
mod delete;
mod read;
mod scale;
mod update;

pub use create::create;
pub use create::create_object;
pub(crate) use create::decode_body;
pub use delete::{DeleteOptions, delete, delete_collection, delete_one, namespace_exists};
pub use read::{Filter, get, list};
pub(crate) use scale::{scale_of, scale_write};
pub(crate) use update::{commit_update, prepare_update};
pub use update::{patch, update};
