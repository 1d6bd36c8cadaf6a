//! `GET /healthz`: the process is up and the course is loaded.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::AppState;

pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "lessons": state.course.catalog.lessons().len(),
    }))
}
