//! What every request handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use kubedojo_app::ssr::CourseContext;
use kubedojo_course::Catalog;
use kubedojo_progress::ProgressStore;
use leptos::config::LeptosOptions;

use crate::cluster::LearnerClusters;
use crate::cookies::Signer;
use crate::labs::{LabService, Labs};
use crate::site::Site;
use crate::terminal::{TerminalLimits, TerminalSessions};
use crate::workshops::{InstructorToken, Workshops};

/// How the instructor reaches the workshop pages and learners reach the server.
#[derive(Debug, Clone)]
pub struct InstructorSettings {
    pub token: InstructorToken,
    /// The URL learners open (the join link and its QR code start with it).
    pub public_url: String,
}

impl Default for InstructorSettings {
    fn default() -> Self {
        Self {
            token: InstructorToken::new(None),
            public_url: "http://127.0.0.1:3000".into(),
        }
    }
}

/// Application state: cheap to clone (handles only).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub course: CourseContext,
    /// Every learner's own cluster (sandbox or namespace backend).
    pub clusters: Arc<LearnerClusters>,
    /// Every learner's labs, graded on their cluster.
    pub labs: Labs,
    /// Learners' kubectl terminals (`/api/terminal`).
    pub terminals: Arc<TerminalSessions>,
    /// Signs the learner and instructor cookies.
    pub signer: Signer,
    /// Instructor-led workshops.
    pub workshops: Arc<Workshops>,
    pub instructor: InstructorSettings,
}

impl AppState {
    pub fn new(site: Site, catalog: Arc<Catalog>, progress: Arc<ProgressStore>) -> Self {
        let signer = Signer::from_store(&progress).unwrap_or_else(|e| {
            tracing::warn!(
                error = %e,
                "cannot keep the cookie key in the database: cookies last until the server stops"
            );
            Signer::random()
        });
        let clusters = LearnerClusters::sandbox_default();
        let labs = Labs(LabService::new(
            catalog.clone(),
            clusters.clone(),
            progress.clone(),
        ));
        let instructor = InstructorSettings::default();
        let workshops = Workshops::new(
            &catalog,
            progress.clone(),
            labs.clone(),
            clusters.clone(),
            instructor.token.clone(),
            signer.clone(),
            instructor.public_url.clone(),
        );
        Self {
            leptos_options: site.leptos_options(),
            course: CourseContext { catalog, progress },
            clusters,
            labs,
            terminals: TerminalSessions::new(TerminalLimits::default()),
            signer,
            workshops,
            instructor,
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
        self.rebuild_workshops()
    }

    /// Use this instructor token and public URL for workshops.
    #[must_use]
    pub fn with_instructor(mut self, instructor: InstructorSettings) -> Self {
        self.instructor = instructor;
        self.rebuild_workshops()
    }

    fn rebuild_workshops(mut self) -> Self {
        self.workshops = Workshops::new(
            &self.course.catalog,
            self.course.progress.clone(),
            self.labs.clone(),
            self.clusters.clone(),
            self.instructor.token.clone(),
            self.signer.clone(),
            self.instructor.public_url.clone(),
        );
        self
    }

    /// The cookie header value that makes a request come from `learner` (for tests and
    /// benchmarks that act as a known learner).
    pub fn learner_cookie(&self, learner: kubedojo_progress::LearnerId) -> String {
        format!(
            "{}={}",
            crate::learner::COOKIE_NAME,
            crate::learner::cookie_value(&self.signer, learner)
        )
    }
}
