//! The channel protocol of exec/attach WebSockets (`k8s.io/apimachinery/pkg/util/remotecommand`):
//! every binary message starts with a channel byte; channel 3 carries the final `Status`.

use crate::streams::ExitOutcome;
use kubedojo_images::TermSize;
use serde_json::{Value, json};

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const ERROR: u8 = 3;
pub const RESIZE: u8 = 4;
/// v5 only: `[255, <channel>]` half-closes a channel (the client's end of stdin).
pub const CLOSE: u8 = 255;

/// The subprotocols served, in order of preference (kubectl 1.32 offers only v5; kube-rs
/// offers both).
pub const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// The negotiated subprotocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    V4,
    V5,
}

impl Protocol {
    /// From the `Sec-WebSocket-Protocol` the server chose.
    pub fn from_header(value: &[u8]) -> Option<Protocol> {
        match value {
            b"v5.channel.k8s.io" => Some(Protocol::V5),
            b"v4.channel.k8s.io" => Some(Protocol::V4),
            _ => None,
        }
    }

    /// Whether the client may half-close stdin with `[255, 0]`.
    pub fn supports_close(self) -> bool {
        self == Protocol::V5
    }
}

/// A resize message's body (`{"Width":80,"Height":24}`).
pub fn parse_resize(data: &[u8]) -> Option<TermSize> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Size {
        width: u16,
        height: u16,
    }
    let s: Size = serde_json::from_slice(data).ok()?;
    Some(TermSize {
        cols: s.width,
        rows: s.height,
    })
}

/// The `Status` a 1.32 apiserver writes on the error channel when a session ends. `what`
/// names the session like the kubelet does, e.g. `error executing command [sh -c exit 3]`.
pub fn exit_status(outcome: &ExitOutcome, what: &str) -> Value {
    match outcome {
        ExitOutcome::Code(0) => json!({"metadata": {}, "status": "Success"}),
        ExitOutcome::Code(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!("command terminated with non-zero exit code: {what}, exit code {code}"),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}
        }),
        ExitOutcome::Error(msg) => {
            internal_error(&format!("error executing command in container: {msg}"))
        }
    }
}

/// `apierrors.NewInternalError(err)` as written on the error channel.
pub fn internal_error(msg: &str) -> Value {
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!("Internal error occurred: {msg}"),
        "reason": "InternalError",
        "details": {"causes": [{"message": msg}]},
        "code": 500
    })
}

/// A failure `Status` with a reason and code (e.g. BadRequest 400) for the error channel.
pub fn failure(reason: &str, code: u16, msg: &str) -> Value {
    json!({"metadata": {}, "status": "Failure", "message": msg, "reason": reason, "code": code})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_become_the_status_kubectl_parses() {
        assert_eq!(
            exit_status(&ExitOutcome::Code(0), "x"),
            json!({"metadata": {}, "status": "Success"})
        );
        let failed: Value = serde_json::from_str(
            r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#,
        )
        .expect("json");
        assert_eq!(
            exit_status(
                &ExitOutcome::Code(3),
                "error executing command [sh -c exit 3]"
            ),
            failed
        );
        let e = exit_status(&ExitOutcome::Error("boom".into()), "x");
        assert_eq!(
            e["message"],
            "Internal error occurred: error executing command in container: boom"
        );
        assert_eq!(e["code"], 500);
    }

    #[test]
    fn resize_messages_use_go_field_names() {
        assert_eq!(
            parse_resize(br#"{"Width":80,"Height":24}"#),
            Some(TermSize { cols: 80, rows: 24 })
        );
        assert_eq!(parse_resize(b"{}"), None);
    }
}
