//! Kubeconfig rendering for a cluster + token.

use base64::Engine;

/// Render a kubeconfig (YAML) that points at `server` (e.g. `https://127.0.0.1:6443`), trusts
/// `ca_pem` (embedded as certificate-authority-data) and authenticates with `token`.
pub fn render_kubeconfig(
    server: &str,
    ca_pem: &str,
    cluster_name: &str,
    token: &str,
    namespace: Option<&str>,
) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem.as_bytes());
    let ctx = format!("kubedojo-{cluster_name}");
    let ns = namespace
        .map(|n| format!("\n    namespace: {n}"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {server}
  name: {ctx}
contexts:
- context:
    cluster: {ctx}
    user: {ctx}{ns}
  name: {ctx}
current-context: {ctx}
preferences: {{}}
users:
- name: {ctx}
  user:
    token: {token}
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_is_valid_yaml_with_ca_data() {
        let y = render_kubeconfig("https://127.0.0.1:1", "PEM", "c1", "tok", Some("default"));
        let v: serde_yaml::Value = serde_yaml::from_str(&y).expect("yaml");
        assert_eq!(v["current-context"].as_str(), Some("kubedojo-c1"));
        assert_eq!(v["users"][0]["user"]["token"].as_str(), Some("tok"));
        assert_eq!(
            v["clusters"][0]["cluster"]["certificate-authority-data"].as_str(),
            Some("UEVN")
        );
    }
}
