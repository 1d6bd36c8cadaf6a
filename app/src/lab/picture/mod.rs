//! The live cluster picture: the learner's own cluster drawn as the chain the course teaches,
//! Service → Pods (by node) → PVCs → PVs → StorageClass, updated as it changes.
//!
//! `model` is what the server streams; `layout` and `describe` turn it into boxes and lines
//! (pure, tested natively); `view` draws them; `connection` (browser only) keeps them live.

#[cfg(feature = "hydrate")]
mod connection;
mod describe;
mod layout;
mod menu;
pub mod model;
mod offers;
mod view;

pub use menu::Actions;
pub use model::ObjectRef;
pub use view::ClusterPicture;
