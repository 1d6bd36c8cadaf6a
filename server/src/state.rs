//! What every request handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use kubedojo_app::ssr::CourseContext;
use kubedojo_course::Catalog;
use kubedojo_progress::ProgressStore;
use leptos::config::LeptosOptions;

use crate::cluster::LearnerClusters;
use crate::site::Site;
use crate::terminal::{TerminalLimits, TerminalSessions};

/// Application state: cheap to clone (handles only).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub course: CourseContext,
    /// Every learner's own cluster (sandbox or namespace backend).
    pub clusters: Arc<LearnerClusters>,
    /// Learners' kubectl terminals (`/api/terminal`).
    pub terminals: Arc<TerminalSessions>,
}

impl AppState {
    pub fn new(site: Site, catalog: Arc<Catalog>, progress: Arc<ProgressStore>) -> Self {
        Self {
            leptos_options: site.leptos_options(),
            course: CourseContext { catalog, progress },
            clusters: LearnerClusters::sandbox_default(),
            terminals: TerminalSessions::new(TerminalLimits::default()),
        }
    }

    /// Use `clusters` for learners' clusters instead of the default sandbox.
    #[must_use]
    pub fn with_clusters(mut self, clusters: Arc<LearnerClusters>) -> Self {
        self.clusters = clusters;
        self
    }
}
