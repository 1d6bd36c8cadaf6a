//! The real-cluster backend: a namespace per learner on a cluster reached through a kubeconfig,
//! with its own ServiceAccount, RBAC, quota, limits and network policy. The learner's client and
//! kubeconfig carry the learner's token, never the server's, so RBAC enforces isolation.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{
    LimitRange, Namespace, PersistentVolume, Pod, ResourceQuota, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::apply::{Applied, ApplyOptions, DiscoveryCache, FIELD_MANAGER, Owner, apply_yaml};
use super::backend::{BackendKind, LearnerCluster};
use super::error::ClusterError;
use super::names::{
    LEARNER_ID_ANNOTATION, LEARNER_LABEL, MANAGED_SELECTOR, learner_labels, namespace_for, short_id,
};
use super::provision::{Faults, Reporter};

/// Provisioning steps of the namespace backend.
pub const NAMESPACE_STEPS: &[&str] = &[
    "namespace",
    "service account",
    "role",
    "quota",
    "network policy",
    "cluster access",
    "token",
    "check",
];

/// The ServiceAccount a learner acts as.
const LEARNER_SA: &str = "learner";
/// Namespace annotation listing the labs set up in it (comma-separated slugs).
pub const LABS_ANNOTATION: &str = "kubedojo.dev/labs";
/// Field manager of [`LABS_ANNOTATION`], apart from the one that applies the namespace.
const LABS_FIELD_MANAGER: &str = "kubedojo-labs";
/// Role, RoleBinding, ResourceQuota and LimitRange name inside a learner namespace.
const OBJECT_NAME: &str = "kubedojo-learner";
/// How long to wait for the API server to answer at start-up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for a deleted namespace to disappear.
const NAMESPACE_GONE_TIMEOUT: Duration = Duration::from_secs(120);

/// What one learner may use on a shared cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerQuota {
    pub pods: u32,
    pub pvcs: u32,
    pub requests_storage: String,
    pub requests_cpu: String,
    pub requests_memory: String,
    pub limits_cpu: String,
    pub limits_memory: String,
    /// LimitRange defaults for containers that state none.
    pub default_request_cpu: String,
    pub default_request_memory: String,
    pub default_limit_cpu: String,
    pub default_limit_memory: String,
    /// Lifetime of the learner's token (TokenRequest `expirationSeconds`).
    pub token_seconds: i64,
}

impl Default for LearnerQuota {
    fn default() -> Self {
        // A lesson runs at most a 3-replica mysql StatefulSet (~400 MiB each) and a client pod.
        LearnerQuota {
            pods: 10,
            pvcs: 5,
            requests_storage: "10Gi".into(),
            requests_cpu: "2".into(),
            requests_memory: "2Gi".into(),
            limits_cpu: "4".into(),
            limits_memory: "3Gi".into(),
            default_request_cpu: "100m".into(),
            default_request_memory: "256Mi".into(),
            default_limit_cpu: "1".into(),
            default_limit_memory: "512Mi".into(),
            token_seconds: 24 * 3600,
        }
    }
}

/// Learner namespaces on a cluster reached through a kubeconfig.
pub struct NamespaceBackend {
    admin: kube::Client,
    /// The kubeconfig's cluster entry (server, CA), reused in learners' kubeconfigs.
    cluster: kube::config::Cluster,
    quota: LearnerQuota,
    discovery: DiscoveryCache,
}

impl std::fmt::Debug for NamespaceBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespaceBackend")
            .field("server", &self.cluster.server)
            .finish_non_exhaustive()
    }
}

/// What the server's own account must be allowed to do: (verb, group, resource, subresource).
const REQUIRED: &[(&str, &str, &str, &str)] = &[
    ("create", "", "namespaces", ""),
    ("delete", "", "namespaces", ""),
    ("create", "", "serviceaccounts", ""),
    ("create", "", "serviceaccounts", "token"),
    ("create", "rbac.authorization.k8s.io", "roles", ""),
    ("create", "rbac.authorization.k8s.io", "rolebindings", ""),
    ("create", "rbac.authorization.k8s.io", "clusterroles", ""),
    (
        "create",
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        "",
    ),
    ("create", "", "resourcequotas", ""),
    ("create", "", "limitranges", ""),
    ("create", "networking.k8s.io", "networkpolicies", ""),
    ("create", "storage.k8s.io", "storageclasses", ""),
    ("delete", "storage.k8s.io", "storageclasses", ""),
    ("create", "", "persistentvolumes", ""),
];

fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

impl NamespaceBackend {
    /// Load the kubeconfig, reach the API server and check the account's permissions.
    ///
    /// # Errors
    /// A kubeconfig that does not parse or lacks the context, an unreachable server, or a
    /// missing permission: each as one sentence naming what is wrong.
    pub async fn connect(
        path: &Path,
        context: Option<&str>,
        quota: LearnerQuota,
    ) -> Result<Self, ClusterError> {
        // kube's rustls client needs a process-wide crypto provider; another one may be set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Parsers print source excerpts over several lines; the first line says what is wrong.
        let bad = |reason: String| ClusterError::Kubeconfig {
            path: path.to_path_buf(),
            reason: reason.lines().next().unwrap_or_default().trim().to_string(),
        };
        let kc = Kubeconfig::read_from(path).map_err(|e| bad(e.to_string()))?;
        let ctx_name = context
            .map(str::to_string)
            .or_else(|| kc.current_context.clone())
            .ok_or_else(|| bad("it names no current context; pass --context".into()))?;
        let cluster = kc
            .contexts
            .iter()
            .find(|c| c.name == ctx_name)
            .and_then(|c| c.context.as_ref())
            .and_then(|ctx| kc.clusters.iter().find(|c| c.name == ctx.cluster))
            .and_then(|c| c.cluster.clone())
            .ok_or_else(|| bad(format!("it has no context {ctx_name:?} with a cluster")))?;
        let opts = KubeConfigOptions {
            context: Some(ctx_name),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kc, &opts)
            .await
            .map_err(|e| bad(e.to_string()))?;
        let url = config.cluster_url.to_string();
        let admin = kube::Client::try_from(config).map_err(|e| bad(e.to_string()))?;
        match tokio::time::timeout(CONNECT_TIMEOUT, admin.apiserver_version()).await {
            Err(_) => {
                return Err(ClusterError::Unreachable {
                    url,
                    reason: format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
                });
            }
            Ok(Err(e)) => {
                return Err(ClusterError::Unreachable {
                    url,
                    reason: error_chain(&e),
                });
            }
            Ok(Ok(_)) => {}
        }
        check_permissions(&admin).await?;
        Ok(NamespaceBackend {
            admin,
            cluster,
            quota,
            discovery: DiscoveryCache::default(),
        })
    }

    /// The server's own (admin) client.
    pub fn admin(&self) -> &kube::Client {
        &self.admin
    }

    /// Make (or finish making) the learner's namespace and credentials. Every step is a
    /// server-side apply of a fixed name, so a retry after a crash completes the same objects;
    /// a failing step removes everything made for the learner.
    ///
    /// # Errors
    /// The failing step.
    pub async fn provision(
        &self,
        learner: &str,
        r: &Reporter,
    ) -> Result<LearnerCluster, ClusterError> {
        match self.provision_steps(learner, r).await {
            Ok(lc) => Ok(lc),
            Err(e) => {
                if let Err(cleanup) = self.remove_learner(learner).await {
                    tracing::warn!(learner, error = %cleanup, "cleaning up after a failed provision");
                }
                Err(e)
            }
        }
    }

    async fn provision_steps(
        &self,
        learner: &str,
        r: &Reporter,
    ) -> Result<LearnerCluster, ClusterError> {
        let ns = namespace_for(learner);
        let short = short_id(learner);
        let labels = learner_labels(learner);
        let meta = |name: &str, namespace: Option<&str>| {
            let mut m = json!({"name": name, "labels": labels});
            if let Some(n) = namespace {
                m["namespace"] = json!(n);
            }
            m
        };
        r.step("namespace", async {
            // A namespace still terminating from a reset must be gone before it is made again.
            self.wait_namespace_gone_if_terminating(&ns).await?;
            let mut m = meta(&ns, None);
            m["annotations"] = json!({ LEARNER_ID_ANNOTATION: learner });
            self.apply_obj::<Namespace>(
                None,
                &ns,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": m}),
            )
            .await
        })
        .await?;
        r.step("service account", async {
            self.apply_obj::<ServiceAccount>(
                Some(&ns),
                LEARNER_SA,
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(LEARNER_SA, Some(&ns))}),
            )
            .await
        })
        .await?;
        r.step("role", async {
            self.apply_obj::<Role>(
                Some(&ns),
                OBJECT_NAME,
                json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": meta(OBJECT_NAME, Some(&ns)),
                    "rules": learner_rules(),
                }),
            )
            .await?;
            self.apply_obj::<RoleBinding>(
                Some(&ns),
                OBJECT_NAME,
                json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": meta(OBJECT_NAME, Some(&ns)),
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": OBJECT_NAME},
                    "subjects": [{"kind": "ServiceAccount", "name": LEARNER_SA, "namespace": ns}],
                }),
            )
            .await
        })
        .await?;
        r.step("quota", async {
            let q = &self.quota;
            self.apply_obj::<ResourceQuota>(
                Some(&ns),
                OBJECT_NAME,
                json!({
                    "apiVersion": "v1", "kind": "ResourceQuota",
                    "metadata": meta(OBJECT_NAME, Some(&ns)),
                    "spec": {"hard": {
                        "pods": q.pods.to_string(),
                        "persistentvolumeclaims": q.pvcs.to_string(),
                        "requests.storage": q.requests_storage,
                        "requests.cpu": q.requests_cpu,
                        "requests.memory": q.requests_memory,
                        "limits.cpu": q.limits_cpu,
                        "limits.memory": q.limits_memory,
                    }},
                }),
            )
            .await?;
            self.apply_obj::<LimitRange>(
                Some(&ns),
                OBJECT_NAME,
                json!({
                    "apiVersion": "v1", "kind": "LimitRange",
                    "metadata": meta(OBJECT_NAME, Some(&ns)),
                    "spec": {"limits": [{
                        "type": "Container",
                        "default": {"cpu": q.default_limit_cpu, "memory": q.default_limit_memory},
                        "defaultRequest": {"cpu": q.default_request_cpu, "memory": q.default_request_memory},
                    }]},
                }),
            )
            .await
        })
        .await?;
        r.step("network policy", async {
            self.apply_obj::<NetworkPolicy>(
                Some(&ns),
                "same-namespace-only",
                json!({
                    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": meta("same-namespace-only", Some(&ns)),
                    "spec": {
                        "podSelector": {},
                        "policyTypes": ["Ingress"],
                        "ingress": [{"from": [{"podSelector": {}}]}],
                    },
                }),
            )
            .await
        })
        .await?;
        r.step("cluster access", async {
            self.grant_owned_cluster_objects(learner).await?;
            self.apply_obj::<ClusterRoleBinding>(
                None,
                &ns,
                json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                    "metadata": meta(&ns, None),
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ns},
                    "subjects": [{"kind": "ServiceAccount", "name": LEARNER_SA, "namespace": ns}],
                }),
            )
            .await
        })
        .await?;
        let token = r
            .step("token", async {
                let sas: Api<ServiceAccount> = Api::namespaced(self.admin.clone(), &ns);
                let req: TokenRequest = serde_json::from_value(json!({
                    "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                    "spec": {"audiences": [], "expirationSeconds": self.quota.token_seconds},
                }))
                .map_err(|e| ClusterError::Manifest(e.to_string()))?;
                let answer: TokenRequest = sas
                    .create_subresource("token", LEARNER_SA, &PostParams::default(), &req)
                    .await?;
                answer
                    .status
                    .and_then(|s| s.token)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| ClusterError::Step {
                        step: "token".into(),
                        reason: "the TokenRequest answer holds no token".into(),
                    })
            })
            .await?;
        let (client, kubeconfig) = r
            .step("check", async {
                let kubeconfig = self.render_kubeconfig(&ns, &token)?;
                let client = client_from_kubeconfig(&kubeconfig).await?;
                // The learner's own token must work in the learner's namespace.
                Api::<Pod>::namespaced(client.clone(), &ns)
                    .list(&ListParams::default().limit(1))
                    .await?;
                Ok((client, kubeconfig))
            })
            .await?;
        tracing::debug!(learner, namespace = %ns, short = %short, "learner namespace ready");
        Ok(LearnerCluster {
            learner: learner.to_string(),
            kind: BackendKind::Namespace,
            id: ns.clone(),
            namespace: ns,
            client,
            kubeconfig,
            labs: Default::default(),
        })
    }

    /// Re-adopt the learner namespaces an earlier run of the server made (found by the
    /// `managed-by` label, the learner by the learner-id annotation): the fixed objects are
    /// applied again (the same names, so nothing of the learner's work is touched) and a
    /// fresh token is issued. Terminating namespaces are left to finish; a namespace that
    /// cannot be adopted is reported and skipped (its learner's next start provisions it).
    pub async fn adopt_existing(&self) -> Vec<LearnerCluster> {
        let nss = match Api::<Namespace>::all(self.admin.clone())
            .list(&ListParams::default().labels(MANAGED_SELECTOR))
            .await
        {
            Ok(l) => l.items,
            Err(e) => {
                tracing::error!(error = %e, "cannot list learner namespaces to adopt");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for ns in nss {
            if ns.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let annotations = ns.metadata.annotations.unwrap_or_default();
            let Some(learner) = annotations.get(LEARNER_ID_ANNOTATION) else {
                continue;
            };
            let (reporter, _) = Reporter::new(NAMESPACE_STEPS, Faults::default());
            match self.provision_steps(learner, &reporter).await {
                Ok(mut lc) => {
                    lc.labs = annotations
                        .get(LABS_ANNOTATION)
                        .map(|l| {
                            l.split(',')
                                .filter(|s| !s.is_empty())
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push(lc);
                }
                Err(e) => {
                    tracing::error!(learner, error = %e, "cannot adopt a learner namespace");
                }
            }
        }
        out
    }

    /// Keep the labs set up in the learner's namespace as an annotation on it (its own field
    /// manager, so re-applying the namespace at adoption leaves it alone).
    ///
    /// # Errors
    /// The API server's answer.
    pub async fn record_labs(&self, lc: &LearnerCluster) -> Result<(), ClusterError> {
        let labs: Vec<&str> = lc.labs.iter().map(String::as_str).collect();
        let patch = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": lc.namespace, "annotations": {LABS_ANNOTATION: labs.join(",")}},
        });
        Api::<Namespace>::all(self.admin.clone())
            .patch(
                &lc.namespace,
                &PatchParams::apply(LABS_FIELD_MANAGER).force(),
                &Patch::Apply(&patch),
            )
            .await?;
        Ok(())
    }

    async fn apply_obj<K>(
        &self,
        ns: Option<&str>,
        name: &str,
        obj: Value,
    ) -> Result<(), ClusterError>
    where
        K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
    {
        let ar = ApiResource::erase::<K>(&());
        let api: Api<DynamicObject> = match ns {
            Some(ns) => Api::namespaced_with(self.admin.clone(), ns, &ar),
            None => Api::all_with(self.admin.clone(), &ar),
        };
        api.patch(
            name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&obj),
        )
        .await?;
        Ok(())
    }

    async fn wait_namespace_gone_if_terminating(&self, ns: &str) -> Result<(), ClusterError> {
        let api: Api<Namespace> = Api::all(self.admin.clone());
        match api.get_opt(ns).await? {
            Some(n) if n.metadata.deletion_timestamp.is_some() => {
                self.wait_namespace_gone(ns).await
            }
            _ => Ok(()),
        }
    }

    async fn wait_namespace_gone(&self, ns: &str) -> Result<(), ClusterError> {
        let api: Api<Namespace> = Api::all(self.admin.clone());
        let gone = async {
            loop {
                if api.get_opt(ns).await?.is_none() {
                    return Ok::<(), ClusterError>(());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(NAMESPACE_GONE_TIMEOUT, gone)
            .await
            .map_err(|_| ClusterError::Step {
                step: "namespace".into(),
                reason: format!(
                    "namespace {ns} is still terminating after {}s",
                    NAMESPACE_GONE_TIMEOUT.as_secs()
                ),
            })?
    }

    /// (Re)write the learner's ClusterRole so it may get, change and delete exactly the
    /// cluster-scoped objects made for it, by name. No rule at all when it owns none (a rule
    /// with empty resourceNames would match every object).
    async fn grant_owned_cluster_objects(&self, learner: &str) -> Result<(), ClusterError> {
        let ns = namespace_for(learner);
        let selector = format!("{LEARNER_LABEL}={}", short_id(learner));
        let lp = ListParams::default().labels(&selector);
        let scs: Vec<String> = Api::<StorageClass>::all(self.admin.clone())
            .list(&lp)
            .await?
            .items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect();
        let pvs: Vec<String> = Api::<PersistentVolume>::all(self.admin.clone())
            .list(&lp)
            .await?
            .items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect();
        let verbs = json!(["get", "update", "patch", "delete"]);
        let mut rules = Vec::new();
        if !scs.is_empty() {
            rules.push(json!({"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "resourceNames": scs, "verbs": verbs}));
        }
        if !pvs.is_empty() {
            rules.push(json!({"apiGroups": [""], "resources": ["persistentvolumes"], "resourceNames": pvs, "verbs": verbs}));
        }
        self.apply_obj::<ClusterRole>(
            None,
            &ns,
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": ns, "labels": learner_labels(learner)},
                "rules": rules,
            }),
        )
        .await
    }

    /// Apply a lesson's manifests into the learner's namespace; cluster-scoped objects get
    /// learner-unique names and labels, and the learner is granted exactly those.
    ///
    /// # Errors
    /// Bad manifests, a cluster-scoped kind a learner may not own, or the API server's answer.
    pub async fn apply(
        &self,
        lc: &LearnerCluster,
        yaml: &str,
    ) -> Result<Vec<Applied>, ClusterError> {
        let opts = ApplyOptions {
            namespace: lc.namespace.clone(),
            force_namespace: true,
            owner: Some(Owner {
                prefix: format!("{}-", lc.namespace),
                labels: learner_labels(&lc.learner),
            }),
        };
        let applied = apply_yaml(&self.admin, yaml, &opts, &self.discovery).await?;
        if applied.iter().any(|a| a.namespace.is_none()) {
            self.grant_owned_cluster_objects(&lc.learner).await?;
        }
        Ok(applied)
    }

    /// Delete the learner's namespace (and so everything in it) and every cluster-scoped object
    /// labelled as theirs, then wait until the namespace is gone. Missing objects are fine.
    ///
    /// # Errors
    /// API failures other than 404.
    pub async fn remove_learner(&self, learner: &str) -> Result<(), ClusterError> {
        let ns = namespace_for(learner);
        let selector = format!("{LEARNER_LABEL}={}", short_id(learner));
        self.delete_cluster_scoped(&selector).await?;
        let dp = DeleteParams::background();
        match Api::<Namespace>::all(self.admin.clone())
            .delete(&ns, &dp)
            .await
        {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e.into()),
        }
        self.wait_namespace_gone(&ns).await
    }

    async fn delete_cluster_scoped(&self, selector: &str) -> Result<(), ClusterError> {
        delete_labelled::<ClusterRoleBinding>(&self.admin, selector).await?;
        delete_labelled::<ClusterRole>(&self.admin, selector).await?;
        delete_labelled::<StorageClass>(&self.admin, selector).await?;
        delete_labelled::<PersistentVolume>(&self.admin, selector).await?;
        Ok(())
    }

    /// Remove every namespace and cluster-scoped object labelled as made by kubedojo.
    ///
    /// # Errors
    /// API failures.
    pub async fn cleanup_all(&self) -> Result<usize, ClusterError> {
        let nss = Api::<Namespace>::all(self.admin.clone())
            .list(&ListParams::default().labels(MANAGED_SELECTOR))
            .await?;
        let names: Vec<String> = nss
            .items
            .into_iter()
            .filter_map(|n| n.metadata.name)
            .collect();
        self.delete_cluster_scoped(MANAGED_SELECTOR).await?;
        for ns in &names {
            match Api::<Namespace>::all(self.admin.clone())
                .delete(ns, &DeleteParams::background())
                .await
            {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        for ns in &names {
            self.wait_namespace_gone(ns).await?;
        }
        Ok(names.len())
    }

    /// A kubeconfig for the learner: the server's cluster entry (URL, CA), the learner's token.
    fn render_kubeconfig(&self, ns: &str, token: &str) -> Result<String, ClusterError> {
        let name = format!("kubedojo-{ns}");
        let doc = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": self.cluster}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": ns}}],
            "current-context": name,
            "preferences": {},
            "users": [{"name": name, "user": {"token": token}}],
        });
        serde_yaml::to_string(&doc).map_err(|e| ClusterError::Manifest(e.to_string()))
    }
}

/// A kube client from kubeconfig YAML (what the learner's terminal uses, byte for byte).
///
/// # Errors
/// YAML kube cannot load.
pub async fn client_from_kubeconfig(yaml: &str) -> Result<kube::Client, ClusterError> {
    let bad = |e: &dyn std::fmt::Display| ClusterError::Kubeconfig {
        path: "(learner kubeconfig)".into(),
        reason: e.to_string(),
    };
    let kc = Kubeconfig::from_yaml(yaml).map_err(|e| bad(&e))?;
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .map_err(|e| bad(&e))?;
    kube::Client::try_from(config).map_err(|e| bad(&e))
}

async fn delete_labelled<K>(client: &kube::Client, selector: &str) -> Result<(), ClusterError>
where
    K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
{
    let api: Api<K> = Api::all(client.clone());
    for o in api
        .list(&ListParams::default().labels(selector))
        .await?
        .items
    {
        let Some(name) = o.meta().name.clone() else {
            continue;
        };
        match api.delete(&name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `edit` within the namespace, minus what would let a learner loosen their own fences
/// (quota, limits and network policy are read-only).
fn learner_rules() -> Value {
    let all = json!([
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
        "deletecollection"
    ]);
    let read = json!(["get", "list", "watch"]);
    json!([
        {"apiGroups": [""], "resources": [
            "pods", "pods/log", "pods/exec", "pods/attach", "pods/portforward", "pods/eviction",
            "services", "endpoints", "configmaps", "secrets", "persistentvolumeclaims",
            "serviceaccounts", "events", "replicationcontrollers"], "verbs": all},
        {"apiGroups": [""], "resources": ["resourcequotas", "limitranges", "pods/status"], "verbs": read},
        {"apiGroups": ["apps"], "resources": [
            "deployments", "deployments/scale", "statefulsets", "statefulsets/scale",
            "replicasets", "replicasets/scale", "daemonsets", "controllerrevisions"], "verbs": all},
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": all},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": all},
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": read},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": read},
    ])
}

async fn check_permissions(admin: &kube::Client) -> Result<(), ClusterError> {
    let api: Api<SelfSubjectAccessReview> = Api::all(admin.clone());
    for (verb, group, resource, sub) in REQUIRED {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some((*verb).to_string()),
                    group: Some((*group).to_string()),
                    resource: Some((*resource).to_string()),
                    subresource: (!sub.is_empty()).then(|| (*sub).to_string()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let answer = api.create(&PostParams::default(), &review).await?;
        if !answer.status.is_some_and(|s| s.allowed) {
            let what = if sub.is_empty() {
                (*resource).to_string()
            } else {
                format!("{resource}/{sub}")
            };
            return Err(ClusterError::MissingPermission {
                verb: (*verb).to_string(),
                resource: what,
            });
        }
    }
    Ok(())
}

/// An error and its causes on one line (kube's top-level message alone hides "connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let m = s.to_string();
        if !out.contains(&m) {
            out.push_str(": ");
            out.push_str(&m);
        }
        src = s.source();
    }
    out
}
