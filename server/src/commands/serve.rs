//! `kubedojo serve`: load and check the course, open the progress database, serve.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kubedojo_course::{Catalog, LessonSource};
use kubedojo_progress::ProgressStore;

use crate::cli::ServeArgs;
use crate::cluster::{Backend, LearnerClusters};
use crate::site::Site;
use crate::state::AppState;

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
    let state =
        AppState::new(site, Arc::new(catalog), Arc::new(progress)).with_clusters(clusters.clone());
    let reaper = clusters.spawn_reaper(REAP_EVERY.min(args.learner_ttl));
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    tracing::info!(
        lessons = state.course.catalog.lessons().len(),
        db = %args.db.display(),
        "kubedojo is ready at http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, crate::router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .await?;
    reaper.abort();
    clusters.backend().persist_all();
    if args.cleanup_on_exit {
        let n = clusters.cleanup_all().await?;
        tracing::info!(
            removed = n,
            "removed every learner cluster (--cleanup-on-exit)"
        );
    }
    Ok(())
}

/// How often idle learner clusters are looked for.
const REAP_EVERY: Duration = Duration::from_secs(60);

/// The learner clusters `serve` would use: the embedded sandbox, or learner namespaces on the
/// cluster of `--kubeconfig`, checked before anything is served.
///
/// # Errors
/// One sentence naming what is wrong with the kubeconfig, the server or its permissions.
pub async fn open_clusters(args: &ServeArgs) -> anyhow::Result<Arc<LearnerClusters>> {
    let data_dir = args.data_dir();
    let backend = Backend::open(
        args.kubeconfig.as_deref(),
        args.context.as_deref(),
        args.pace,
        Some(&data_dir),
    )
    .await
    .map_err(|e| anyhow::anyhow!("refusing to start: {e}"))?;
    let clusters = LearnerClusters::new(backend, args.learner_ttl);
    let started = std::time::Instant::now();
    let adopted = clusters.adopt_existing().await;
    tracing::info!(
        backend = ?clusters.backend().kind(),
        data_dir = %data_dir.display(),
        adopted,
        took_ms = started.elapsed().as_millis(),
        "learner clusters ready"
    );
    Ok(clusters)
}
