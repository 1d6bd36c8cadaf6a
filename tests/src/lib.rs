//! Helpers for the workspace's integration tests and benchmarks: start the real kubedojo
//! server on a loopback port, with a fresh database, and find the built site.

pub mod measure;
pub mod sse;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubedojo_course::{Catalog, LessonSource};
use kubedojo_progress::LearnerId;
use kubedojo_progress::ProgressStore;
use kubedojo_server::cluster::LearnerClusters;
use kubedojo_server::site::Site;
use kubedojo_server::workshops::InstructorToken;
use kubedojo_server::{AppState, InstructorSettings};

/// The repository root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The built site: `$KUBEDOJO_SITE_ROOT`, else `target/site` in the repository.
pub fn site_root() -> PathBuf {
    std::env::var_os("KUBEDOJO_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/site"))
}

/// The instructor token of every test server.
pub const INSTRUCTOR_TOKEN: &str = "test-instructor-token";

/// The learner id in a `kubedojo_learner` cookie value (`<id>.<signature>`).
pub fn learner_of_cookie(value: &str) -> &str {
    value.split('.').next().unwrap_or(value)
}

/// A kubedojo server running in this process on 127.0.0.1, with its own temporary database.
/// Dropping it stops the server and deletes the database.
pub struct TestServer {
    pub addr: SocketAddr,
    pub catalog: Arc<Catalog>,
    /// The learners' clusters of this server (embedded sandbox), for tests that provision a
    /// learner's cluster directly (the learner key is the id in the `kubedojo_learner` cookie, see [`learner_of_cookie`]).
    pub clusters: Arc<LearnerClusters>,
    state: AppState,
    db_dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Starts the server with the embedded lessons and a fresh database.
    ///
    /// # Errors
    /// When the lessons do not load, the database cannot be created or no port is free.
    pub async fn start() -> anyhow::Result<Self> {
        let db_dir = tempfile::tempdir()?;
        Self::start_with_db(db_dir).await
    }

    /// Starts the server on an existing database folder (to test restarts).
    ///
    /// # Errors
    /// As [`TestServer::start`].
    pub async fn start_with_db(db_dir: tempfile::TempDir) -> anyhow::Result<Self> {
        let catalog = Arc::new(Catalog::load(&LessonSource::Embedded)?);
        let progress = Arc::new(ProgressStore::open(&db_dir.path().join("kubedojo.db"))?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = AppState::new(Site::new(site_root()), catalog.clone(), progress)
            .with_instructor(InstructorSettings {
                token: InstructorToken::new(Some(INSTRUCTOR_TOKEN.into())),
                public_url: format!("http://{addr}"),
            });
        let clusters = state.clusters.clone();
        let router = kubedojo_server::router(state.clone())
            .into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                eprintln!("test server stopped: {e}");
            }
        });
        Ok(Self {
            addr,
            catalog,
            clusters,
            state,
            db_dir,
            task,
        })
    }

    /// The `cookie` header value that makes a request come from `learner` (signed as the
    /// server signs it).
    pub fn learner_cookie(&self, learner: LearnerId) -> String {
        self.state.learner_cookie(learner)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server and hands back its database folder.
    pub async fn stop(self) -> tempfile::TempDir {
        self.task.abort();
        let _ = self.task.await;
        self.db_dir
    }
}

/// An HTTP client that keeps cookies (so it is one learner) and gives up after `timeout`.
///
/// # Errors
/// When the TLS backend cannot be set up.
pub fn learner_client(timeout: std::time::Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .cookie_store(true)
        .build()?)
}

/// Calls a server function the way a form does (form-encoded, JSON answer) and returns the
/// status and body.
///
/// # Errors
/// When the request cannot be sent or its body read.
pub async fn post_form(
    client: &reqwest::Client,
    server: &TestServer,
    endpoint: &str,
    form: &[(&str, &str)],
) -> anyhow::Result<(u16, String)> {
    let response = client
        .post(server.url(&format!("/api/{endpoint}")))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await?;
    Ok((response.status().as_u16(), response.text().await?))
}

/// [`post_form`] that expects 200 and returns the JSON answer (`null` for an empty one).
///
/// # Errors
/// Another status (with the body), or a failed request.
pub async fn post_ok(
    client: &reqwest::Client,
    server: &TestServer,
    endpoint: &str,
    form: &[(&str, &str)],
) -> anyhow::Result<serde_json::Value> {
    let (status, body) = post_form(client, server, endpoint, form).await?;
    anyhow::ensure!(status == 200, "{endpoint}: {status} {body}");
    Ok(serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

/// Presses "check now" on lab `slug` every half second until task `task` passes, as a learner
/// does while a recreated pod starts (probes such as a SQL query run only on demand, so the
/// continuous grader cannot pass such a task by itself). Returns the lab view that passed.
///
/// # Errors
/// A failed request, or the task still not passed after `timeout` (with the last view).
pub async fn check_until_passed(
    client: &reqwest::Client,
    server: &TestServer,
    slug: &str,
    task: &str,
    timeout: std::time::Duration,
) -> anyhow::Result<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let view = post_ok(client, server, "lab-check", &[("slug", slug)]).await?;
        let passed = view["tasks"]
            .as_array()
            .and_then(|tasks| tasks.iter().find(|t| t["id"] == task))
            .is_some_and(|t| t["status"] == "passed");
        if passed {
            return Ok(view);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "task {task} of lab {slug} did not pass within {timeout:?}; last view: {view}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
