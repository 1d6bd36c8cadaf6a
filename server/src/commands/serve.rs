//! `kubedojo serve`: load and check the course, open the progress database, serve.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kubedojo_course::{Catalog, LessonSource};
use kubedojo_progress::ProgressStore;

use crate::cli::ServeArgs;
use crate::cluster::{Backend, LearnerClusters};
use crate::site::Site;
use crate::state::{AppState, InstructorSettings};
use crate::workshops::InstructorToken;

/// Runs the web server until ctrl-c.
///
/// # Errors
/// When the lessons are invalid, the site bundle is missing, the database cannot be opened or
/// the address cannot be bound. Nothing is served half-ready.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let clusters = open_clusters(&args).await?;
    let source = match &args.lessons {
        Some(dir) => LessonSource::Directory(dir.clone()),
        None => LessonSource::Embedded,
    };
    let catalog = Catalog::load(&source).context("refusing to start: the course is not valid")?;
    let site = Site::new(args.site_root.clone());
    site.check_bundle()
        .context("refusing to start: the browser bundle is missing")?;
    let progress = ProgressStore::open(&args.db)?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let instructor = instructor_settings(&args, listener.local_addr()?);
    let state = AppState::new(site, Arc::new(catalog), Arc::new(progress))
        .with_clusters(clusters.clone())
        .with_instructor(instructor.clone());
    let restored = state.workshops.restore_backends();
    if restored > 0 {
        tracing::info!(
            learners = restored,
            "workshop members sent to their workshops' backends"
        );
    }
    let reaper = clusters.spawn_reaper(REAP_EVERY.min(args.learner_ttl));
    let workshop_reaper = state.workshops.spawn_reaper(REAP_EVERY);
    if args.instructor_token.is_none() {
        // NB: printed, not logged: it is for the person who started the server.
        println!(
            "Instructor page: {}/instructor  (token: {})",
            instructor.public_url,
            instructor.token.as_str()
        );
    }
    tracing::info!(
        lessons = state.course.catalog.lessons().len(),
        db = %args.db.display(),
        "kubedojo is ready at http://{}",
        listener.local_addr()?
    );
    // Connect info gives workshop joins a per-address rate limit.
    let app = crate::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .await?;
    reaper.abort();
    workshop_reaper.abort();
    clusters.persist_all();
    if args.cleanup_on_exit {
        let n = clusters.cleanup_all().await?;
        tracing::info!(
            removed = n,
            "removed every learner cluster (--cleanup-on-exit)"
        );
    }
    Ok(())
}

/// The instructor token and the public URL, from the flags (or made up).
fn instructor_settings(args: &ServeArgs, bound: std::net::SocketAddr) -> InstructorSettings {
    let public_url = args.public_url.clone().unwrap_or_else(|| {
        if bound.ip().is_unspecified() {
            tracing::warn!(
                "serving on every address: set --public-url so join links work for the room"
            );
        }
        format!("http://{bound}")
    });
    InstructorSettings {
        token: InstructorToken::new(args.instructor_token.clone()),
        public_url,
    }
}

/// How often idle learner clusters are looked for.
const REAP_EVERY: Duration = Duration::from_secs(60);

/// The learner clusters `serve` would use: the embedded sandbox, or learner namespaces on the
/// cluster of `--kubeconfig` (checked before anything is served) with the embedded sandbox
/// beside it for workshops that choose it.
///
/// # Errors
/// One sentence naming what is wrong with the kubeconfig, the server or its permissions.
pub async fn open_clusters(args: &ServeArgs) -> anyhow::Result<Arc<LearnerClusters>> {
    let data_dir = args.data_dir();
    let refuse = |e: crate::cluster::ClusterError| anyhow::anyhow!("refusing to start: {e}");
    let sandbox = Backend::open_sandbox(args.pace, Some(&data_dir)).map_err(refuse)?;
    let clusters = match args.kubeconfig.as_deref() {
        None => LearnerClusters::new(Backend::Sandbox(sandbox), args.learner_ttl),
        Some(kubeconfig) => {
            let namespaces = Backend::open_namespaces(kubeconfig, args.context.as_deref())
                .await
                .map_err(refuse)?;
            LearnerClusters::with_backends(namespaces, Some(sandbox), args.learner_ttl)
        }
    };
    let started = std::time::Instant::now();
    let adopted = clusters.adopt_existing().await;
    tracing::info!(
        backends = ?clusters.available(),
        data_dir = %data_dir.display(),
        adopted,
        took_ms = started.elapsed().as_millis(),
        "learner clusters ready"
    );
    Ok(clusters)
}
