//! Bounded fuzzing of request bodies, patches and paths: the server must answer every request
//! with a well-formed response (a Status for errors) and never panic or 500.

use axum::body::Body;
use http::Request;
use kubedojo_sandbox::Sandbox;
use proptest::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9$/._-]{0,12}".prop_map(Value::String),
        Just(json!("nginx")),
        Just(json!("web")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z]{1,8}".prop_map(String::from),
                    Just("metadata".to_string()),
                    Just("spec".to_string()),
                    Just("name".to_string()),
                    Just("containers".to_string()),
                    Just("$patch".to_string()),
                    Just("op".to_string()),
                    Just("path".to_string()),
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies that look like pods so the fuzzer gets past the first checks.
fn arb_pod() -> impl Strategy<Value = Value> {
    (arb_json(), arb_json(), "[a-zA-Z0-9._-]{0,10}").prop_map(|(spec_extra, meta_extra, name)| {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": meta_extra},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], "extra": spec_extra}
        })
    })
}

async fn send(
    router: &axum::Router,
    method: &str,
    uri: &str,
    ct: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", ct)
        .body(Body::from(body))
        .unwrap_or_default();
    let resp = router
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    let code = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    (code, bytes)
}

fn check(code: u16, body: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(
        code < 500,
        "server error {code}: {}",
        String::from_utf8_lossy(body)
    );
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| TestCaseError::fail(format!("non-JSON body: {e}")))?;
    if code >= 400 {
        prop_assert_eq!(&v["kind"], "Status");
        prop_assert_eq!(v["code"].as_u64(), Some(u64::from(code)));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn bodies_and_patches_never_crash(body in prop_oneof![arb_json(), arb_pod()], raw in prop::collection::vec(any::<u8>(), 0..64)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        rt.block_on(async {
            let cluster = Sandbox::default().create_cluster();
            let router = cluster.router();
            let seed = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "seed"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
            let (code, _) = send(&router, "POST", "/api/v1/namespaces/default/pods", "application/json", seed.to_string().into_bytes()).await;
            prop_assert_eq!(code, 201);
            let bytes = body.to_string().into_bytes();
            let cases: [(&str, &str, &str, Vec<u8>); 9] = [
                ("POST", "/api/v1/namespaces/default/pods", "application/json", bytes.clone()),
                ("POST", "/api/v1/namespaces/default/pods", "application/yaml", raw.clone()),
                ("PUT", "/api/v1/namespaces/default/pods/seed", "application/json", bytes.clone()),
                ("PATCH", "/api/v1/namespaces/default/pods/seed", "application/merge-patch+json", bytes.clone()),
                ("PATCH", "/api/v1/namespaces/default/pods/seed", "application/strategic-merge-patch+json", bytes.clone()),
                ("PATCH", "/api/v1/namespaces/default/pods/seed", "application/json-patch+json", bytes.clone()),
                ("PATCH", "/api/v1/namespaces/default/pods/seed?fieldManager=fuzz&force=true", "application/apply-patch+yaml", bytes.clone()),
                ("PATCH", "/api/v1/namespaces/default/pods/seed/status", "application/strategic-merge-patch+json", bytes.clone()),
                ("POST", "/api/v1/namespaces/default/configmaps", "application/vnd.kubernetes.protobuf", raw.clone()),
            ];
            for (method, uri, ct, b) in cases {
                let (code, out) = send(&router, method, uri, ct, b).await;
                check(code, &out)?;
            }
            Ok(())
        })?;
    }

    #[test]
    fn paths_and_queries_never_crash(path in "/[a-z0-9/._%-]{0,40}", query in "[a-zA-Z=&,!()% ]{0,30}") {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        rt.block_on(async {
            let cluster = Sandbox::default().create_cluster();
            let router = cluster.router();
            let q = query.replace(' ', "%20");
            for uri in [format!("{path}?{q}"), format!("/api/v1/pods?labelSelector={q}"), format!("/api/v1/namespaces/default/pods?fieldSelector={q}")] {
                if uri.parse::<http::Uri>().is_err() {
                    continue;
                }
                for method in ["GET", "DELETE"] {
                    let (code, out) = send(&router, method, &uri, "application/json", Vec::new()).await;
                    prop_assert!(code < 500, "{method} {uri} → {code}: {}", String::from_utf8_lossy(&out));
                }
            }
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let cluster = Sandbox::default().create_cluster();
    let router = cluster.router();
    let big = vec![b' '; 3 * 1024 * 1024 + 10];
    let (code, out) = send(
        &router,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        big,
    )
    .await;
    assert_eq!(code, 413);
    let v: Value = serde_json::from_slice(&out).expect("status");
    assert_eq!(v["reason"], "RequestEntityTooLarge");
    let (code, out) = send(
        &router,
        "POST",
        "/api/v1/namespaces/default/pods",
        "application/json",
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(code, 400);
    let v: Value = serde_json::from_slice(&out).expect("status");
    assert_eq!(v["reason"], "BadRequest");
    let (code, _) = send(
        &router,
        "POST",
        "/api/v1/namespaces/default/pods",
        "application/json",
        br#"{"apiVersion":"apps/v1","kind":"Pod"}"#.to_vec(),
    )
    .await;
    assert_eq!(code, 400);
}
