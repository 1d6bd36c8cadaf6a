//! Query parameters of resource requests, parsed and checked like kube-apiserver does.

use super::error::{ApiError, ApiResult};
use crate::admission::strict::FieldValidation;

/// Parsed query parameters (unknown parameters are ignored, as the real server does).
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub watch: bool,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
    pub resource_version_match: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub allow_bookmarks: bool,
    pub send_initial_events: bool,
    pub dry_run: bool,
    pub field_manager: Option<String>,
    pub field_validation: FieldValidation,
    pub force: bool,
    pub propagation_policy: Option<String>,
    pub grace_period_seconds: Option<i64>,
    pub pretty: bool,
    pub include_object: super::table::Include,
}

fn parse_bool(name: &str, v: &str) -> ApiResult<bool> {
    match v {
        "true" | "1" | "True" | "TRUE" | "t" | "T" => Ok(true),
        "false" | "0" | "False" | "FALSE" | "f" | "F" | "" => Ok(false),
        _ => Err(ApiError::BadRequest(format!(
            "strconv.ParseBool: parsing \"{v}\": invalid syntax for {name}"
        ))),
    }
}

impl Params {
    /// Parse a raw query string.
    ///
    /// # Errors
    /// BadRequest for undecodable queries or invalid values of known parameters.
    pub fn parse(query: Option<&str>) -> ApiResult<Params> {
        let pairs: Vec<(String, String)> = match query {
            None | Some("") => Vec::new(),
            Some(q) => serde_urlencoded::from_str(q)
                .map_err(|e| ApiError::BadRequest(format!("invalid query: {e}")))?,
        };
        // NB: the server default (no parameter) is Warn; kubectl and kube-rs send Strict.
        let mut p = Params {
            field_validation: FieldValidation::Warn,
            ..Params::default()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "watch" => p.watch = parse_bool("watch", &v)?,
                "labelSelector" => p.label_selector = Some(v).filter(|s| !s.is_empty()),
                "fieldSelector" => p.field_selector = Some(v).filter(|s| !s.is_empty()),
                "limit" => {
                    let n: i64 = v.parse().map_err(|_| {
                        ApiError::BadRequest(format!(
                            "limit: Invalid value: \"{v}\": must be a non-negative integer"
                        ))
                    })?;
                    p.limit = (n > 0).then_some(n as usize);
                }
                "continue" => p.continue_token = Some(v).filter(|s| !s.is_empty()),
                "resourceVersion" => p.resource_version = Some(v).filter(|s| !s.is_empty()),
                "resourceVersionMatch" => {
                    p.resource_version_match = Some(v).filter(|s| !s.is_empty())
                }
                "timeoutSeconds" => {
                    p.timeout_seconds = Some(v.parse().map_err(|_| {
                        ApiError::BadRequest(format!(
                            "timeoutSeconds: Invalid value: \"{v}\": must be a non-negative integer"
                        ))
                    })?)
                }
                "allowWatchBookmarks" => p.allow_bookmarks = parse_bool(&k, &v)?,
                "sendInitialEvents" => p.send_initial_events = parse_bool(&k, &v)?,
                "dryRun" => {
                    if v != "All" {
                        return Err(ApiError::BadRequest(format!(
                            "Invalid dryRun value: \"{v}\": supported values: \"All\""
                        )));
                    }
                    p.dry_run = true;
                }
                "fieldManager" => p.field_manager = Some(v),
                "fieldValidation" => {
                    p.field_validation = match v.as_str() {
                        "Strict" => FieldValidation::Strict,
                        "Warn" | "" => FieldValidation::Warn,
                        "Ignore" => FieldValidation::Ignore,
                        other => {
                            return Err(ApiError::BadRequest(format!(
                                "fieldValidation parameter unsupported: \"{other}\""
                            )));
                        }
                    }
                }
                "force" => p.force = parse_bool(&k, &v)?,
                "propagationPolicy" => p.propagation_policy = Some(v),
                "gracePeriodSeconds" => {
                    p.grace_period_seconds = Some(v.parse().map_err(|_| {
                        ApiError::BadRequest(format!("gracePeriodSeconds: Invalid value: \"{v}\""))
                    })?)
                }
                "pretty" => p.pretty = parse_bool(&k, &v)?,
                "includeObject" => {
                    p.include_object = match v.as_str() {
                        "None" => super::table::Include::None,
                        "Metadata" | "" => super::table::Include::Metadata,
                        "Object" => super::table::Include::Object,
                        other => {
                            return Err(ApiError::BadRequest(format!(
                                "includeObject: Unsupported value: \"{other}\": supported values: \"Metadata\", \"None\", \"Object\""
                            )));
                        }
                    }
                }
                _ => {}
            }
        }
        if p.send_initial_events && !(p.watch && p.allow_bookmarks) {
            return Err(ApiError::Invalid {
                kind: "ListOptions".into(),
                group: "meta.k8s.io".into(),
                name: String::new(),
                causes: vec![super::error::Cause::forbidden(
                    "sendInitialEvents",
                    "sendInitialEvents is forbidden for list",
                )],
            });
        }
        Ok(p)
    }

    /// The resourceVersion as a number, if numeric.
    ///
    /// # Errors
    /// BadRequest when it is not a number.
    pub fn rv_number(&self) -> ApiResult<Option<u64>> {
        match &self.resource_version {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| ApiError::BadRequest(format!("invalid resource version: {s}"))),
        }
    }
}
