//! The lab terminal: the real kubectl against the learner's own cluster, in the browser.
//!
//! A WebSocket (`route`) connects the browser to the learner's session (`session`), which runs
//! a line editor (`line_editor`) at a `$ ` prompt, accepts only kubectl and a few terminal
//! commands (`command`) naming only the lab's own files (`paths`), runs kubectl in a pseudo-terminal (`pty`) and keeps the last screenful
//! for reconnects (`replay`).

mod command;
mod error;
mod line_editor;
mod paths;
mod pty;
mod replay;
pub(crate) mod route;
mod session;

pub use session::{LabFile, TerminalLimits, TerminalSessions};
