//! Instructor-led workshops: the server side of `app::workshop`. A workshop groups learners
//! (who join with a code and a display name) and labs; the instructor's grid is computed from
//! the progress store, and broadcasts go through the same lab service a learner's buttons use.

mod broadcast;
pub mod catalog;
pub mod code;
mod export;
mod grid;
pub mod guard;
mod qr;
mod rate_limit;
pub mod routes;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone as _, Utc};
use kubedojo_app::lab::service::LabBackend as _;
use kubedojo_app::workshop::model::{
    BroadcastReport, ChaosOption, GridView, InstructorView, JoinPreview, MembershipView,
    NewWorkshop, WorkshopLab, WorkshopState, WorkshopSummary,
};
use kubedojo_app::workshop::service::{ClientAddr, WorkshopBackend, WorkshopError, WorkshopFuture};
use kubedojo_course::Catalog;
use kubedojo_progress::{
    JoinOutcome, LearnerId, MemberRecord, NewWorkshopRecord, ProgressStore, WorkshopRecord,
};
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::cluster::{BackendKind, LearnerClusters};
use crate::cookies::{Purpose, Signer};
use crate::labs::Labs;
use catalog::LabInfo;
use rate_limit::RateLimit;

/// Longest title and display name accepted.
const MAX_TITLE: usize = 120;
const MAX_NAME: usize = 40;
/// Limits a workshop may be created with.
const MAX_CAPACITY: u32 = 500;
const MAX_MINUTES: u32 = 7 * 24 * 60;
/// A learner with no progress for this long shows as stuck.
const STUCK_AFTER_MINUTES: u32 = 10;

/// The instructor's secret, given on the command line or generated at start.
#[derive(Clone)]
pub struct InstructorToken(String);

impl InstructorToken {
    /// `given`, or a new random token (printed by `serve`).
    pub fn new(given: Option<String>) -> Self {
        Self(given.filter(|t| !t.is_empty()).unwrap_or_else(|| {
            use rand::RngCore as _;
            let mut bytes = [0u8; 18];
            rand::rng().fill_bytes(&mut bytes);
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison: digests of equal length, compared with `subtle`.
    fn matches(&self, typed: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        let a = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        let b = ring::digest::digest(&ring::digest::SHA256, typed.trim().as_bytes());
        a.as_ref().ct_eq(b.as_ref()).into()
    }
}

impl std::fmt::Debug for InstructorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstructorToken(..)")
    }
}

/// The workshop service.
pub struct Workshops {
    progress: Arc<ProgressStore>,
    labs: Labs,
    clusters: Arc<LearnerClusters>,
    catalog: BTreeMap<String, LabInfo>,
    token: InstructorToken,
    signer: Signer,
    /// Where learners reach this server (for the join URL and its QR code).
    public_url: String,
    joins: RateLimit,
    logins: RateLimit,
    /// Bumped on changes the progress store does not see (the last broadcast).
    changed: watch::Sender<u64>,
    last_broadcast: Mutex<HashMap<String, BroadcastReport>>,
}

impl std::fmt::Debug for Workshops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workshops")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

fn store_error(e: kubedojo_progress::Error) -> WorkshopError {
    WorkshopError::Unavailable(format!("the progress database: {e}"))
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn is_ended(w: &WorkshopRecord, now: i64) -> bool {
    w.ended_at.is_some() || now >= w.ends_at
}

fn seconds_left(w: &WorkshopRecord, now: i64) -> u64 {
    if is_ended(w, now) {
        0
    } else {
        u64::try_from((w.ends_at - now) / 1000).unwrap_or(0)
    }
}

/// Trims a form field and checks it is present, not too long and free of control characters.
fn clean_text(what: &str, text: &str, max: usize) -> Result<String, WorkshopError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(WorkshopError::BadRequest(format!("{what} is empty")));
    }
    if text.chars().count() > max {
        return Err(WorkshopError::BadRequest(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(WorkshopError::BadRequest(format!(
            "{what} contains control characters"
        )));
    }
    Ok(text.to_string())
}

impl Workshops {
    pub fn new(
        catalog: &Catalog,
        progress: Arc<ProgressStore>,
        labs: Labs,
        clusters: Arc<LearnerClusters>,
        token: InstructorToken,
        signer: Signer,
        public_url: String,
    ) -> Arc<Self> {
        Arc::new(Self {
            progress,
            labs,
            clusters,
            catalog: catalog::labs(catalog),
            token,
            signer,
            public_url: public_url.trim_end_matches('/').to_string(),
            // Only wrong codes count: 20 typos, then one guess every two seconds.
            joins: RateLimit::new(20, 30),
            logins: RateLimit::new(5, 5),
            changed: watch::Sender::new(0),
            last_broadcast: Mutex::new(HashMap::new()),
        })
    }

    /// The cookie value that proves the instructor signed in with the current token.
    pub fn instructor_cookie(&self) -> String {
        self.signer.tag(Purpose::Instructor, self.token.as_str())
    }

    /// Whether a cookie value is a valid instructor session (constant time).
    pub fn is_instructor_cookie(&self, value: &str) -> bool {
        self.signer
            .verify(Purpose::Instructor, self.token.as_str(), value)
    }

    /// Where the workshop's learners get their clusters (the server's default when the
    /// workshop predates the choice).
    fn backend_of(&self, w: &WorkshopRecord) -> BackendKind {
        w.backend
            .as_deref()
            .and_then(BackendKind::from_name)
            .unwrap_or_else(|| self.clusters.backend().kind())
    }

    /// Sends every member of a running workshop to its backend again (the choice lives in
    /// memory): call once at start, after the clusters were adopted.
    pub fn restore_backends(&self) -> usize {
        let workshops = match self.progress.workshops() {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the workshops to restore their backends");
                return 0;
            }
        };
        let now = now_ms();
        let mut sent = 0;
        // Oldest first, so a learner in two running workshops ends up where they joined last.
        for w in workshops.iter().rev().filter(|w| !is_ended(w, now)) {
            let kind = self.backend_of(w);
            for member in self.progress.workshop_members(&w.id).unwrap_or_default() {
                match self.clusters.prefer(&member.learner.to_string(), kind) {
                    Ok(()) => sent += 1,
                    Err(e) => {
                        tracing::warn!(workshop = %w.id, error = %e, "a workshop's backend is gone")
                    }
                }
            }
        }
        sent
    }

    fn labs_of(&self, w: &WorkshopRecord) -> Vec<&LabInfo> {
        w.labs.iter().filter_map(|s| self.catalog.get(s)).collect()
    }

    fn lab_refs(&self, w: &WorkshopRecord) -> Vec<WorkshopLab> {
        self.labs_of(w)
            .into_iter()
            .map(|l| WorkshopLab {
                slug: l.slug.clone(),
                title: l.title.clone(),
            })
            .collect()
    }

    fn summary(&self, w: &WorkshopRecord, now: i64) -> WorkshopSummary {
        let join_path = format!("/join/{}", w.code);
        WorkshopSummary {
            id: w.id.clone(),
            title: w.title.clone(),
            code: code::display(&w.code),
            qr_svg: qr::svg(&format!("{}{join_path}", self.public_url)).unwrap_or_default(),
            join_path,
            labs: self.lab_refs(w),
            backend: self.backend_of(w).name().to_string(),
            capacity: w.capacity,
            learners: w.members,
            state: if is_ended(w, now) {
                WorkshopState::Ended
            } else {
                WorkshopState::Running
            },
            ends_at: rfc3339(w.ends_at),
            seconds_left: seconds_left(w, now),
            announcement: w.announcement.clone(),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ProgressStore) -> Result<T, kubedojo_progress::Error> + Send + 'static,
    ) -> Result<T, WorkshopError> {
        let progress = self.progress.clone();
        tokio::task::spawn_blocking(move || f(&progress))
            .await
            .map_err(|e| WorkshopError::Unavailable(e.to_string()))?
            .map_err(store_error)
    }

    fn workshop(&self, id: &str) -> Result<WorkshopRecord, WorkshopError> {
        self.progress
            .workshop(id)
            .map_err(store_error)?
            .ok_or(WorkshopError::UnknownWorkshop)
    }

    fn running_workshop(&self, id: &str) -> Result<WorkshopRecord, WorkshopError> {
        let w = self.workshop(id)?;
        if is_ended(&w, now_ms()) {
            return Err(WorkshopError::Ended);
        }
        Ok(w)
    }

    /// The grid of a workshop now.
    pub async fn grid(&self, id: &str) -> Result<GridView, WorkshopError> {
        let w = self.workshop(id)?;
        let members = self.progress.workshop_members(id).map_err(store_error)?;
        let tasks = self.progress.workshop_tasks(&w).map_err(store_error)?;
        let activity = self.progress.workshop_activity(&w).map_err(store_error)?;
        let mut with_cluster = HashSet::new();
        for m in &members {
            if self
                .clusters
                .cluster_for(&m.learner.to_string())
                .await
                .is_some()
            {
                with_cluster.insert(m.key.clone());
            }
        }
        let now = now_ms();
        Ok(grid::build(grid::GridInput {
            summary: self.summary(&w, now),
            labs: self.labs_of(&w),
            members: &members,
            tasks: &tasks,
            activity: &activity,
            with_cluster: &with_cluster,
            stuck_after_minutes: w.stuck_after_minutes,
            now: DateTime::from_timestamp_millis(now).unwrap_or_else(Utc::now),
        }))
    }

    /// The instructor's whole view of a workshop now.
    pub async fn instructor_view(&self, id: &str) -> Result<InstructorView, WorkshopError> {
        let grid = self.grid(id).await?;
        let w = self.workshop(id)?;
        let chaos = self
            .labs_of(&w)
            .into_iter()
            .flat_map(|lab| {
                lab.actions.iter().map(|(action, label)| ChaosOption {
                    lab: lab.slug.clone(),
                    action: action.clone(),
                    label: format!("{label} ({})", lab.title),
                })
            })
            .collect();
        Ok(InstructorView {
            grid,
            chaos,
            last_broadcast: self.last_broadcast.lock().get(id).cloned(),
        })
    }

    /// What changes a live view: the progress store's version and this service's counter.
    pub fn changes(&self) -> (watch::Receiver<u64>, Arc<ProgressStore>) {
        (self.changed.subscribe(), self.progress.clone())
    }

    /// A member of a workshop by grid key.
    pub fn member(&self, id: &str, key: &str) -> Result<MemberRecord, WorkshopError> {
        self.progress
            .workshop_members(id)
            .map_err(store_error)?
            .into_iter()
            .find(|m| m.key == key)
            .ok_or_else(|| WorkshopError::UnknownLearner(key.to_string()))
    }

    /// The results of a workshop, as CSV or JSON.
    pub fn export(&self, id: &str, as_json: bool) -> Result<String, WorkshopError> {
        let w = self.workshop(id)?;
        let members = self.progress.workshop_members(id).map_err(store_error)?;
        let tasks = self.progress.workshop_tasks(&w).map_err(store_error)?;
        let rows = export::rows(&self.labs_of(&w), &members, &tasks);
        Ok(if as_json {
            export::json(&w, rows)
        } else {
            export::csv(&rows)
        })
    }

    fn record_broadcast(&self, id: &str, report: BroadcastReport) {
        self.last_broadcast.lock().insert(id.to_string(), report);
        self.changed.send_modify(|n| *n += 1);
    }

    async fn create(&self, new: NewWorkshop) -> Result<WorkshopSummary, WorkshopError> {
        let title = clean_text("the title", &new.title, MAX_TITLE)?;
        if new.labs.is_empty() {
            return Err(WorkshopError::BadRequest("choose at least one lab".into()));
        }
        let mut labs = Vec::new();
        for slug in &new.labs {
            if !self.catalog.contains_key(slug) {
                return Err(WorkshopError::BadRequest(format!(
                    "no lab is called `{slug}`"
                )));
            }
            if !labs.contains(slug) {
                labs.push(slug.clone());
            }
        }
        if !(1..=MAX_CAPACITY).contains(&new.capacity) {
            return Err(WorkshopError::BadRequest(format!(
                "capacity must be between 1 and {MAX_CAPACITY}"
            )));
        }
        if !(1..=MAX_MINUTES).contains(&new.duration_minutes) {
            return Err(WorkshopError::BadRequest(format!(
                "duration must be between 1 and {MAX_MINUTES} minutes"
            )));
        }
        let backend = match new.backend.trim() {
            "" => self.clusters.backend().kind(),
            name => BackendKind::from_name(name).ok_or_else(|| {
                WorkshopError::BadRequest(format!(
                    "the backend must be `sandbox` or `cluster`, not `{name}`"
                ))
            })?,
        };
        if !self.clusters.available().contains(&backend) {
            return Err(WorkshopError::BadRequest(
                crate::cluster::ClusterError::BackendUnavailable(backend).to_string(),
            ));
        }
        let ends_at = now_ms() + i64::from(new.duration_minutes) * 60_000;
        // A clash of random codes is astronomically rare but possible: try again.
        for _ in 0..5 {
            let record = NewWorkshopRecord {
                id: uuid::Uuid::new_v4().simple().to_string(),
                code: code::generate(),
                title: title.clone(),
                labs: labs.clone(),
                capacity: new.capacity,
                stuck_after_minutes: STUCK_AFTER_MINUTES,
                ends_at,
                backend: Some(backend.name().to_string()),
            };
            let id = record.id.clone();
            if self
                .blocking(move |p| p.create_workshop(&record))
                .await
                .is_ok()
            {
                let w = self.workshop(&id)?;
                tracing::info!(workshop = %id, code = %w.code, "workshop created");
                return Ok(self.summary(&w, now_ms()));
            }
        }
        Err(WorkshopError::Failed(
            "the workshop could not be saved".into(),
        ))
    }

    async fn join(
        &self,
        from: ClientAddr,
        learner: LearnerId,
        typed: String,
        name: String,
    ) -> Result<MembershipView, WorkshopError> {
        let w = self.find_code(from, &typed)?;
        let name = clean_text("your name", &name, MAX_NAME)?;
        if is_ended(&w, now_ms()) {
            return Err(WorkshopError::Ended);
        }
        let key = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let id = w.id.clone();
        let outcome = self
            .blocking(move |p| p.join_workshop(&id, learner, &key, &name))
            .await?;
        match outcome {
            JoinOutcome::Full => Err(WorkshopError::Full(w.capacity)),
            JoinOutcome::Joined(member) => {
                tracing::info!(workshop = %w.id, key = %member.key, "learner joined");
                // Their next cluster comes from the workshop's backend.
                if let Err(e) = self
                    .clusters
                    .prefer(&learner.to_string(), self.backend_of(&w))
                {
                    tracing::warn!(workshop = %w.id, error = %e, "the workshop's backend is gone");
                }
                self.membership_of(learner)?
                    .ok_or_else(|| WorkshopError::Failed("the membership was not saved".into()))
            }
        }
    }

    /// The workshop of a typed code. A wrong code costs the address one attempt; an address
    /// out of attempts is refused before the lookup.
    fn find_code(&self, from: ClientAddr, typed: &str) -> Result<WorkshopRecord, WorkshopError> {
        let too_many = |wait: Duration| WorkshopError::TooManyAttempts(wait.as_secs().max(1));
        let now = Instant::now();
        self.joins.check(from.0, now).map_err(too_many)?;
        let found = match code::normalize(typed) {
            Some(code) => self.progress.workshop_by_code(&code).map_err(store_error)?,
            None => None,
        };
        found.ok_or_else(|| {
            let _ = self.joins.take(from.0, now);
            WorkshopError::UnknownCode(typed.trim().to_string())
        })
    }

    fn membership_of(&self, learner: LearnerId) -> Result<Option<MembershipView>, WorkshopError> {
        let Some((w, member)) = self.progress.membership(learner).map_err(store_error)? else {
            return Ok(None);
        };
        let now = now_ms();
        Ok(Some(MembershipView {
            title: w.title.clone(),
            display_name: member.display_name,
            labs: self.lab_refs(&w),
            state: if is_ended(&w, now) {
                WorkshopState::Ended
            } else {
                WorkshopState::Running
            },
            seconds_left: seconds_left(&w, now),
            announcement: w.announcement.clone(),
        }))
    }

    async fn end(&self, id: &str) -> Result<(), WorkshopError> {
        let w = self.workshop(id)?;
        let owned = id.to_string();
        self.blocking(move |p| p.end_workshop(&owned)).await?;
        let members = self.progress.workshop_members(id).map_err(store_error)?;
        // Back to the server's backend for whatever they do next on their own.
        for member in &members {
            let _ = self
                .clusters
                .prefer(&member.learner.to_string(), self.clusters.backend().kind());
        }
        let started = Instant::now();
        let removed = broadcast::remove_clusters(&self.clusters, members).await;
        tracing::info!(workshop = %w.id, removed, took = ?started.elapsed(), "workshop ended");
        self.changed.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Ends workshops whose time ran out (their clusters are removed; results stay).
    pub async fn end_expired(&self) -> usize {
        let Ok(all) = self.progress.workshops() else {
            return 0;
        };
        let now = now_ms();
        let mut ended = 0;
        for w in all
            .iter()
            .filter(|w| w.ended_at.is_none() && now >= w.ends_at)
        {
            if self.end(&w.id).await.is_ok() {
                ended += 1;
            }
        }
        ended
    }

    /// Runs [`Workshops::end_expired`] every `every` until the task is aborted.
    pub fn spawn_reaper(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                this.end_expired().await;
            }
        })
    }
}

/// The [`WorkshopBackend`] the app's server functions call.
#[derive(Debug, Clone)]
pub struct WorkshopService(pub Arc<Workshops>);

impl WorkshopBackend for WorkshopService {
    fn login(&self, token: String) -> WorkshopFuture<'_, String> {
        Box::pin(async move {
            // NB: the rate limit is for guessing from anywhere, not per address: a token is
            // typed rarely.
            let anywhere = std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
            self.0
                .logins
                .take(anywhere, Instant::now())
                .map_err(|wait| WorkshopError::TooManyAttempts(wait.as_secs().max(1)))?;
            if self.0.token.matches(&token) {
                Ok(self.0.instructor_cookie())
            } else {
                Err(WorkshopError::BadToken)
            }
        })
    }

    fn available_labs(&self) -> WorkshopFuture<'_, Vec<WorkshopLab>> {
        Box::pin(async move {
            Ok(self
                .0
                .catalog
                .values()
                .map(|l| WorkshopLab {
                    slug: l.slug.clone(),
                    title: l.title.clone(),
                })
                .collect())
        })
    }

    fn available_backends(&self) -> WorkshopFuture<'_, Vec<String>> {
        let names = self
            .0
            .clusters
            .available()
            .into_iter()
            .map(|k| k.name().to_string())
            .collect();
        Box::pin(std::future::ready(Ok(names)))
    }

    fn workshops(&self) -> WorkshopFuture<'_, Vec<WorkshopSummary>> {
        Box::pin(async move {
            let now = now_ms();
            Ok(self
                .0
                .progress
                .workshops()
                .map_err(store_error)?
                .iter()
                .map(|w| self.0.summary(w, now))
                .collect())
        })
    }

    fn create(&self, new: NewWorkshop) -> WorkshopFuture<'_, WorkshopSummary> {
        Box::pin(self.0.create(new))
    }

    fn view(&self, workshop: String) -> WorkshopFuture<'_, InstructorView> {
        Box::pin(async move { self.0.instructor_view(&workshop).await })
    }

    fn announce(&self, workshop: String, text: String) -> WorkshopFuture<'_, InstructorView> {
        Box::pin(async move {
            self.0.running_workshop(&workshop)?;
            let text = if text.trim().is_empty() {
                None
            } else {
                Some(clean_text("the announcement", &text, 280)?)
            };
            let id = workshop.clone();
            self.0
                .blocking(move |p| p.set_workshop_announcement(&id, text.as_deref()))
                .await?;
            self.0.instructor_view(&workshop).await
        })
    }

    fn chaos(
        &self,
        workshop: String,
        lab: String,
        action: String,
    ) -> WorkshopFuture<'_, InstructorView> {
        Box::pin(async move {
            let w = self.0.running_workshop(&workshop)?;
            let info = w
                .labs
                .contains(&lab)
                .then(|| self.0.catalog.get(&lab))
                .flatten()
                .ok_or_else(|| {
                    WorkshopError::BadRequest(format!("the workshop has no lab `{lab}`"))
                })?;
            let label = info
                .actions
                .iter()
                .find(|(id, _)| *id == action)
                .map(|(_, label)| label.clone())
                .ok_or_else(|| {
                    WorkshopError::BadRequest(format!("the lab `{lab}` has no action `{action}`"))
                })?;
            let members = self
                .0
                .progress
                .workshop_members(&workshop)
                .map_err(store_error)?;
            let report = broadcast::run(
                &self.0.clusters,
                members,
                format!("{label} ({})", info.title),
                {
                    let labs = self.0.labs.clone();
                    let (lab, action) = (lab.clone(), action.clone());
                    move |learner| {
                        let (labs, lab, action) = (labs.clone(), lab.clone(), action.clone());
                        async move { labs.action(learner, lab, action).await.map(|_| ()) }
                    }
                },
            )
            .await;
            self.0.record_broadcast(&workshop, report);
            self.0.instructor_view(&workshop).await
        })
    }

    fn reset(
        &self,
        workshop: String,
        learner: Option<String>,
    ) -> WorkshopFuture<'_, InstructorView> {
        Box::pin(async move {
            let w = self.0.running_workshop(&workshop)?;
            let mut members = self
                .0
                .progress
                .workshop_members(&workshop)
                .map_err(store_error)?;
            if let Some(key) = &learner {
                members.retain(|m| &m.key == key);
                if members.is_empty() {
                    return Err(WorkshopError::UnknownLearner(key.clone()));
                }
            }
            let activity = self.0.progress.workshop_activity(&w).map_err(store_error)?;
            // Each learner is reset into the workshop lab they worked on last.
            let last_lab: HashMap<String, String> = {
                let mut latest: HashMap<&str, (&str, &str)> = HashMap::new();
                for a in &activity {
                    let entry = latest.entry(a.key.as_str()).or_insert((&a.last_at, &a.lab));
                    if a.last_at.as_str() > entry.0 {
                        *entry = (&a.last_at, &a.lab);
                    }
                }
                latest
                    .into_iter()
                    .map(|(k, (_, lab))| (k.to_string(), lab.to_string()))
                    .collect()
            };
            let first_lab = w.labs.first().cloned().unwrap_or_default();
            let what = match &learner {
                Some(_) => "Reset one learner's cluster".to_string(),
                None => "Reset everyone's cluster".to_string(),
            };
            let labs_by_learner: HashMap<LearnerId, String> = members
                .iter()
                .map(|m| {
                    (
                        m.learner,
                        last_lab
                            .get(&m.key)
                            .cloned()
                            .unwrap_or_else(|| first_lab.clone()),
                    )
                })
                .collect();
            let labs_by_learner = Arc::new(labs_by_learner);
            let labs = self.0.labs.clone();
            let report = broadcast::run(&self.0.clusters, members, what, move |learner| {
                let labs = labs.clone();
                let lab = labs_by_learner.get(&learner).cloned().unwrap_or_default();
                async move { labs.reset(learner, lab).await.map(|_| ()) }
            })
            .await;
            self.0.record_broadcast(&workshop, report);
            self.0.instructor_view(&workshop).await
        })
    }

    fn extend(&self, workshop: String, minutes: u32) -> WorkshopFuture<'_, InstructorView> {
        Box::pin(async move {
            let w = self.0.running_workshop(&workshop)?;
            if !(1..=MAX_MINUTES).contains(&minutes) {
                return Err(WorkshopError::BadRequest(format!(
                    "extend by 1 to {MAX_MINUTES} minutes"
                )));
            }
            let ends_at = w.ends_at.max(now_ms()) + i64::from(minutes) * 60_000;
            let id = workshop.clone();
            self.0
                .blocking(move |p| p.set_workshop_end(&id, ends_at))
                .await?;
            self.0.instructor_view(&workshop).await
        })
    }

    fn end(&self, workshop: String) -> WorkshopFuture<'_, InstructorView> {
        Box::pin(async move {
            self.0.end(&workshop).await?;
            self.0.instructor_view(&workshop).await
        })
    }

    fn preview(&self, from: ClientAddr, code: String) -> WorkshopFuture<'_, JoinPreview> {
        Box::pin(async move {
            let w = self.0.find_code(from, &code)?;
            let now = now_ms();
            Ok(JoinPreview {
                code: code::display(&w.code),
                title: w.title.clone(),
                labs: self.0.lab_refs(&w),
                seats_left: w.capacity.saturating_sub(w.members),
                state: if is_ended(&w, now) {
                    WorkshopState::Ended
                } else {
                    WorkshopState::Running
                },
            })
        })
    }

    fn join(
        &self,
        from: ClientAddr,
        learner: LearnerId,
        code: String,
        name: String,
    ) -> WorkshopFuture<'_, MembershipView> {
        Box::pin(self.0.join(from, learner, code, name))
    }

    fn membership(&self, learner: LearnerId) -> WorkshopFuture<'_, Option<MembershipView>> {
        Box::pin(async move { self.0.membership_of(learner) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_matches_only_itself() {
        let token = InstructorToken::new(Some("s3cret".into()));
        assert!(token.matches("s3cret"));
        assert!(token.matches("  s3cret\n"), "pasting adds whitespace");
        assert!(!token.matches("s3cre"));
        assert!(!token.matches(""));
        let generated = InstructorToken::new(None);
        assert!(generated.as_str().len() >= 20);
        assert_ne!(
            generated.as_str(),
            InstructorToken::new(Some(String::new())).as_str()
        );
    }

    #[test]
    fn form_text_is_trimmed_and_bounded() {
        assert_eq!(clean_text("name", "  Ada ", 10).expect("ok"), "Ada");
        assert!(clean_text("name", "   ", 10).is_err());
        assert!(clean_text("name", &"x".repeat(11), 10).is_err());
        assert!(clean_text("name", "a\u{7}b", 10).is_err());
        assert_eq!(
            clean_text("name", "<b>Zoë</b>", 20).expect("ok"),
            "<b>Zoë</b>"
        );
    }
}
