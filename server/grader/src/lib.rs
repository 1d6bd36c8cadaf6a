//! kubedojo-grader: hands-on labs graded by the state of the learner's cluster.
//!
//! A lab (`lessons/NN-slug/lab.toml`, see `lessons/README.md`) declares setup manifests, tasks
//! with checks, hints and a reference solution, learner actions, and per-learner random values.
//! Everything is evaluated through a `kube::Client`, so grading works the same on the embedded
//! sandbox and on a real cluster.
//!
//! ```no_run
//! # async fn demo(client: kube::Client) -> Result<(), kubedojo_grader::GraderError> {
//! use kubedojo_grader::{Grader, LabSource};
//! let lab = LabSource::load(std::path::Path::new("lessons/02-bare-pod-data-loss"))?.instantiate(42)?;
//! let grader = Grader::new(client, lab.lab.namespace.clone());
//! grader.start_lab(&lab).await?;
//! for task in &lab.lab.tasks {
//!     let result = grader.evaluate_task(task).await;
//!     println!("{}: {}\n{}", task.id, result.passed, result.explain());
//! }
//! # Ok(()) }
//! ```
//!
//! Layout: [`model`] (the lab format), [`vars`] (randomised values, templating), [`path`] and
//! [`assertion`] (the field language), [`cluster`] (the client side), [`eval`] (checks),
//! [`diagnose`] (lesson 16's checklists), [`actions`] (setup, buttons, solutions), [`watcher`]
//! (continuous evaluation) and [`validate`] (`kubedojo lessons check`).

pub mod actions;
pub mod assertion;
pub mod cluster;
pub mod diagnose;
pub mod error;
pub mod eval;
mod eval_support;
pub mod kinds;
pub mod load;
pub mod model;
pub mod node_actions;
pub mod path;
pub mod result;
pub mod validate;
pub mod vars;
pub mod watcher;

pub use actions::ActionOutcome;
pub use error::GraderError;
pub use eval::{Grader, Memory, Progress, evaluate_task};
pub use load::{LAB_FILE, LabInstance, LabSource};
pub use model::{Action, ActionKind, Check, Lab, Task};
pub use result::{CheckResult, Diagnosis, Status, TaskResult};
pub use validate::{LabProblem, validate_lab, validate_lessons};
pub use vars::Vars;
pub use watcher::{StatusChange, watch_tasks};
