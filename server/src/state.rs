//! What every request handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use kubedojo_app::ssr::CourseContext;
use kubedojo_course::Catalog;
use kubedojo_progress::ProgressStore;
use leptos::config::LeptosOptions;

use crate::site::Site;

/// Application state: cheap to clone (handles only).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub course: CourseContext,
}

impl AppState {
    pub fn new(site: Site, catalog: Arc<Catalog>, progress: Arc<ProgressStore>) -> Self {
        Self {
            leptos_options: site.leptos_options(),
            course: CourseContext { catalog, progress },
        }
    }
}
