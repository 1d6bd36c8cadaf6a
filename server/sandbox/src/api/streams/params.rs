//! Query parameters of `pods/exec`, `pods/attach` (`PodExecOptions`, `PodAttachOptions`) and
//! `pods/log` (`PodLogOptions`), validated like kube-apiserver and the kubelet do.

use crate::api::error::{ApiError, Cause};
use chrono::{DateTime, Utc};

/// The raw `key=value` pairs, repeated keys kept in order (`command` repeats).
pub fn pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    match query {
        None | Some("") => Ok(Vec::new()),
        Some(q) => serde_urlencoded::from_str(q)
            .map_err(|e| ApiError::BadRequest(format!("invalid query: {e}"))),
    }
}

fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Go's `strconv.ParseBool`, which the query decoder of the apiserver uses.
fn flag(pairs: &[(String, String)], key: &str) -> Result<bool, ApiError> {
    match last(pairs, key) {
        None => Ok(false),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("" | "0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
        Some(v) => Err(ApiError::BadRequest(format!(
            "strconv.ParseBool: parsing \"{v}\": invalid syntax"
        ))),
    }
}

/// Options of an exec or attach request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    pub container: Option<String>,
    /// Empty for attach.
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl StreamOptions {
    /// Parse and check (the kubelet's `NewOptions`: at least one stream; a TTY drops stderr).
    ///
    /// # Errors
    /// BadRequest for malformed booleans, no streams, or an exec without a command.
    pub fn parse(pairs: &[(String, String)], needs_command: bool) -> Result<Self, ApiError> {
        let tty = flag(pairs, "tty")?;
        let opts = StreamOptions {
            container: last(pairs, "container").map(String::from),
            command: pairs
                .iter()
                .filter(|(k, _)| k == "command")
                .map(|(_, v)| v.clone())
                .collect(),
            stdin: flag(pairs, "stdin")?,
            stdout: flag(pairs, "stdout")?,
            // NB: the kubelet silently drops stderr with a TTY (one stream carries both).
            stderr: flag(pairs, "stderr")? && !tty,
            tty,
        };
        if !opts.stdin && !opts.stdout && !opts.stderr {
            return Err(ApiError::BadRequest(
                "you must specify at least 1 of stdin, stdout, stderr".into(),
            ));
        }
        if needs_command && opts.command.is_empty() {
            return Err(ApiError::BadRequest(
                "you must specify at least one command for the container".into(),
            ));
        }
        Ok(opts)
    }
}

/// Options of a log request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogOptions {
    pub container: Option<String>,
    pub follow: bool,
    pub previous: bool,
    pub tail_lines: Option<i64>,
    pub since_seconds: Option<i64>,
    pub since_time: Option<DateTime<Utc>>,
    pub timestamps: bool,
    pub limit_bytes: Option<i64>,
}

fn int(pairs: &[(String, String)], key: &str) -> Result<Option<i64>, ApiError> {
    last(pairs, key)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::BadRequest(format!("strconv.ParseInt: parsing \"{v}\": invalid syntax"))
            })
        })
        .transpose()
}

fn invalid_value(field: &str, value: i64, detail: &str) -> Cause {
    Cause {
        reason: "FieldValueInvalid",
        field: field.into(),
        message: format!("Invalid value: {value}: {detail}"),
    }
}

impl LogOptions {
    /// Parse and validate (`ValidatePodLogOptions`).
    ///
    /// # Errors
    /// BadRequest for malformed values; Invalid (422) for out-of-range ones.
    pub fn parse(pairs: &[(String, String)], pod: &str) -> Result<Self, ApiError> {
        let since_time = last(pairs, "sinceTime")
            .filter(|v| !v.is_empty())
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        ApiError::BadRequest(format!("parsing time \"{v}\" as RFC 3339: {e}"))
                    })
            })
            .transpose()?;
        let opts = LogOptions {
            container: last(pairs, "container").map(String::from),
            follow: flag(pairs, "follow")?,
            previous: flag(pairs, "previous")?,
            tail_lines: int(pairs, "tailLines")?,
            since_seconds: int(pairs, "sinceSeconds")?,
            since_time,
            timestamps: flag(pairs, "timestamps")?,
            limit_bytes: int(pairs, "limitBytes")?,
        };
        let mut causes = Vec::new();
        if let Some(n) = opts.tail_lines.filter(|n| *n < 0) {
            causes.push(invalid_value(
                "tailLines",
                n,
                "must be greater than or equal to 0",
            ));
        }
        if let Some(n) = opts.limit_bytes.filter(|n| *n < 1) {
            causes.push(invalid_value("limitBytes", n, "must be greater than 0"));
        }
        if opts.since_seconds.is_some() && opts.since_time.is_some() {
            causes.push(Cause::forbidden(
                "",
                "at most one of `sinceTime` or `sinceSeconds` may be specified",
            ));
        }
        if let Some(n) = opts.since_seconds.filter(|n| *n < 1) {
            causes.push(invalid_value("sinceSeconds", n, "must be greater than 0"));
        }
        if !causes.is_empty() {
            return Err(ApiError::Invalid {
                kind: "PodLogOptions".into(),
                group: String::new(),
                name: pod.into(),
                causes,
            });
        }
        Ok(opts)
    }

    /// The earliest time a line may have to be shown.
    pub fn since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.since_time.or_else(|| {
            self.since_seconds
                .map(|s| now - chrono::Duration::seconds(s))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Vec<(String, String)> {
        pairs(Some(s)).expect("query")
    }

    #[test]
    fn exec_options_keep_repeated_commands_and_drop_stderr_with_tty() {
        let o = StreamOptions::parse(
            &q("command=sh&command=-c&command=exit+3&stdout=true&stderr=1&tty=true"),
            true,
        )
        .expect("valid");
        assert_eq!(o.command, ["sh", "-c", "exit 3"]);
        assert!(o.stdout && o.tty && !o.stderr && !o.stdin);
        let none = StreamOptions::parse(&q("command=ls"), true).expect_err("no streams");
        assert_eq!(
            none.to_string(),
            "you must specify at least 1 of stdin, stdout, stderr"
        );
        assert!(StreamOptions::parse(&q("stdout=true"), true).is_err());
        assert!(StreamOptions::parse(&q("stdout=true"), false).is_ok());
        assert!(StreamOptions::parse(&q("stdout=yes"), false).is_err());
    }

    #[test]
    fn log_options_are_validated_like_the_apiserver() {
        let o = LogOptions::parse(&q("tailLines=2&timestamps=true&follow=1"), "p").expect("ok");
        assert_eq!(o.tail_lines, Some(2));
        assert!(o.timestamps && o.follow && !o.previous);
        let e = LogOptions::parse(&q("tailLines=-1"), "p").expect_err("negative");
        assert_eq!(e.code(), 422);
        assert_eq!(
            e.to_string(),
            "PodLogOptions \"p\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0"
        );
        assert!(LogOptions::parse(&q("limitBytes=0"), "p").is_err());
        assert!(
            LogOptions::parse(&q("sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z"), "p").is_err()
        );
        let t = LogOptions::parse(&q("sinceTime=2024-11-26T10:00:00Z"), "p").expect("time");
        assert_eq!(
            t.since(Utc::now()).map(|t| t.to_rfc3339()),
            Some("2024-11-26T10:00:00+00:00".to_string())
        );
    }
}
