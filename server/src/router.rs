//! The HTTP router: pages (Leptos SSR), server functions, the browser bundle and health.

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use kubedojo_app::lab::service::LabContext;
use kubedojo_app::workshop::service::WorkshopContext;
use kubedojo_app::{App, shell};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;
use crate::workshops::WorkshopService;
use crate::{labs, learner, live, routes, terminal, workshops};

/// Builds the whole application router for `state`.
pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let pkg_dir = std::path::Path::new(leptos_options.site_root.as_ref())
        .join(leptos_options.site_pkg_dir.as_ref());
    let routes = generate_route_list(App);
    let course = state.course.clone();
    let fallback_course = state.course.clone();
    let labs = LabContext(Arc::new(state.labs.clone()));
    let fallback_labs = labs.clone();
    let workshop_context = WorkshopContext(Arc::new(WorkshopService(state.workshops.clone())));
    let fallback_workshops = workshop_context.clone();

    // NB: layers run bottom-up on the way in: compression wraps everything, the learner
    // middleware runs before the pages and server functions that read the learner.
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/api/cluster/watch", get(live::route::watch))
        .route("/api/labs/{slug}/events", get(labs::events::lab_events))
        .route("/api/terminal", get(terminal::route::terminal))
        .route(
            "/api/instructor/workshops/{id}/events",
            get(workshops::routes::events),
        )
        .route(
            "/api/instructor/workshops/{id}/learners/{key}/watch",
            get(workshops::routes::learner_picture),
        )
        .route(
            "/instructor/workshops/{id}/{file}",
            get(workshops::routes::export),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(course.clone());
                provide_context(labs.clone());
                provide_context(workshop_context.clone());
            },
            move || shell(leptos_options.clone()),
        )
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    http::header::CACHE_CONTROL,
                    http::HeaderValue::from_static("no-cache"),
                ))
                .service(ServeDir::new(pkg_dir)),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || {
                provide_context(fallback_course.clone());
                provide_context(fallback_labs.clone());
                provide_context(fallback_workshops.clone());
            },
            shell,
        ))
        .layer(middleware::from_fn(
            routes::server_fn_errors::map_argument_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.workshops.clone(),
            workshops::guard::identify,
        ))
        .layer(middleware::from_fn_with_state(
            state.signer.clone(),
            learner::identify,
        ))
        .layer(middleware::from_fn(workshops::guard::same_origin))
        .layer(CompressionLayer::new())
        .with_state(state)
}
