//! What every request handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use kubedojo_app::ssr::CourseContext;
use kubedojo_course::Catalog;
use kubedojo_progress::ProgressStore;
use leptos::config::LeptosOptions;

use crate::cluster::LearnerClusters;
use crate::labs::{LabService, Labs};
use crate::site::Site;

/// Application state: cheap to clone (handles only).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub course: CourseContext,
    /// Every learner's own cluster (sandbox or namespace backend).
    pub clusters: Arc<LearnerClusters>,
    /// Every learner's labs, graded on their cluster.
    pub labs: Labs,
}

impl AppState {
    pub fn new(site: Site, catalog: Arc<Catalog>, progress: Arc<ProgressStore>) -> Self {
        let clusters = LearnerClusters::sandbox_default();
        let labs = Labs(LabService::new(
            catalog.clone(),
            clusters.clone(),
            progress.clone(),
        ));
        Self {
            leptos_options: site.leptos_options(),
            course: CourseContext { catalog, progress },
            clusters,
            labs,
        }
    }

    /// Use `clusters` for learners' clusters instead of the default sandbox.
    #[must_use]
    pub fn with_clusters(mut self, clusters: Arc<LearnerClusters>) -> Self {
        self.labs = Labs(LabService::new(
            self.course.catalog.clone(),
            clusters.clone(),
            self.course.progress.clone(),
        ));
        self.clusters = clusters;
        self
    }
}
