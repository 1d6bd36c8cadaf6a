//! Shared set-up for scenario tests: a sandbox cluster served over loopback TLS (exec needs a
//! real connection), an admin kube client for it, apply-by-YAML, exec and bounded waiting.

#![allow(dead_code)]

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams, DynamicObject, PostParams};
use kube::discovery::ApiResource;
use kubedojo_sandbox::{Cluster, Sandbox, TlsListener};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::time::timeout;

pub const T: Duration = Duration::from_secs(20);

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

pub struct Env {
    pub sandbox: Sandbox,
    pub cluster: Cluster,
    pub listener: TlsListener,
    pub client: kube::Client,
}

pub async fn env() -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::default();
    let cluster = sandbox.create_cluster();
    let listener = timeout(T, sandbox.serve_tls("127.0.0.1:0".parse().expect("addr")))
        .await
        .expect("listen in time")
        .expect("listen");
    let yaml = sandbox.kubeconfig(&listener, &cluster, &cluster.admin_token(), Some("default"));
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(cfg).expect("client");
    Env {
        sandbox,
        cluster,
        listener,
        client,
    }
}

impl Env {
    /// Create every object of a multi-document YAML in `default` (or its own namespace).
    pub async fn apply(&self, yaml: &str) {
        for doc in yaml.split("\n---\n") {
            if doc.trim().is_empty() {
                continue;
            }
            let obj: DynamicObject = serde_yaml::from_str(doc).expect("yaml");
            let types = obj.types.clone().expect("apiVersion and kind");
            let (group, version) = match types.api_version.split_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), types.api_version.clone()),
            };
            let plural = match types.kind.as_str() {
                "StorageClass" => "storageclasses".to_string(),
                "PersistentVolumeClaim" => "persistentvolumeclaims".to_string(),
                "PersistentVolume" => "persistentvolumes".to_string(),
                k => format!("{}s", k.to_lowercase()),
            };
            let ar = ApiResource {
                group: group.clone(),
                version: version.clone(),
                api_version: types.api_version.clone(),
                kind: types.kind.clone(),
                plural,
            };
            let cluster_scoped = matches!(types.kind.as_str(), "StorageClass" | "PersistentVolume" | "Namespace");
            let api: Api<DynamicObject> = if cluster_scoped {
                Api::all_with(self.client.clone(), &ar)
            } else {
                let ns = obj.metadata.namespace.clone().unwrap_or_else(|| "default".into());
                Api::namespaced_with(self.client.clone(), &ns, &ar)
            };
            timeout(T, api.create(&PostParams::default(), &obj))
                .await
                .expect("create in time")
                .unwrap_or_else(|e| panic!("create {}: {e}", types.kind));
        }
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::default_namespaced(self.client.clone())
    }

    /// Run a command in a pod's first container.
    pub async fn exec(&self, pod: &str, cmd: &[&str]) -> Output {
        let mut p = timeout(
            T,
            self.pods()
                .exec(pod, cmd.to_vec(), &AttachParams::default().stdout(true).stderr(true)),
        )
        .await
        .expect("exec in time")
        .unwrap_or_else(|e| panic!("exec {cmd:?} in {pod}: {e}"));
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut o) = p.stdout() {
            timeout(T, o.read_to_string(&mut out)).await.expect("stdout in time").expect("stdout");
        }
        if let Some(mut e) = p.stderr() {
            timeout(T, e.read_to_string(&mut err)).await.expect("stderr in time").expect("stderr");
        }
        let status = timeout(T, p.take_status().expect("status")).await.expect("status in time");
        let code = match status {
            Some(s) if s.status.as_deref() == Some("Success") => 0,
            Some(s) => s
                .details
                .and_then(|d| d.causes)
                .and_then(|c| c.into_iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
                .and_then(|c| c.message)
                .and_then(|m| m.parse().ok())
                .unwrap_or(-1),
            None => -1,
        };
        Output { stdout: out, stderr: err, code }
    }

    /// SQL through the mysql client in a pod (root password `change-me`).
    pub async fn sql(&self, pod: &str, sql: &str) -> Output {
        self.exec(pod, &["mysql", "-uroot", "-pchange-me", "-N", "-e", sql]).await
    }

    /// Wait until a pod exists, runs and is Ready; returns it.
    pub async fn ready(&self, name: &str) -> Pod {
        eventually(&format!("{name} ready"), || async {
            let p = self.pods().get_opt(name).await.ok()??;
            let st = p.status.as_ref()?;
            let ready = st.conditions.as_ref()?.iter().any(|c| c.type_ == "Ready" && c.status == "True");
            (st.phase.as_deref() == Some("Running") && ready && p.metadata.deletion_timestamp.is_none())
                .then_some(p)
        })
        .await
    }

    /// Wait until a mysql pod is Ready and its server answers (without a readiness probe a
    /// pod is Ready before mysqld listens, as on a real cluster).
    pub async fn mysql_ready(&self, name: &str) -> Pod {
        let pod = self.ready(name).await;
        eventually(&format!("mysqld in {name} answering"), || async {
            (self.sql(name, "SELECT 1").await.code == 0).then_some(())
        })
        .await;
        pod
    }

    /// Delete a pod a controller will replace, and wait for the replacement (another uid) to
    /// answer SQL.
    pub async fn replace_mysql_pod(&self, name: &str) -> Pod {
        let old = self.pods().get(name).await.expect("pod").metadata.uid;
        timeout(T, self.pods().delete(name, &Default::default()))
            .await
            .expect("delete in time")
            .expect("delete");
        eventually(&format!("{name} replaced"), || async {
            let p = self.pods().get_opt(name).await.ok()??;
            (p.metadata.uid != old && p.metadata.deletion_timestamp.is_none()).then_some(())
        })
        .await;
        self.mysql_ready(name).await
    }

    /// Wait until a pod is gone.
    pub async fn gone(&self, name: &str) {
        eventually(&format!("{name} gone"), || async {
            self.pods().get_opt(name).await.ok()?.is_none().then_some(())
        })
        .await;
    }

    /// Delete a pod and wait until it is gone.
    pub async fn delete_pod(&self, name: &str) {
        timeout(T, self.pods().delete(name, &Default::default()))
            .await
            .expect("delete in time")
            .expect("delete");
        self.gone(name).await;
    }
}

/// Poll `f` until it returns Some, for at most [`T`].
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + T;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The lessons' Secret.
pub const SECRET: &str = r#"
apiVersion: v1
kind: Secret
metadata:
  name: mysql-secret
stringData:
  root-password: change-me
"#;

/// A bare mysql pod; `volumes` is spliced into the pod spec, `mounts` into the container.
pub fn mysql_pod(name: &str, labels: &str, mounts: &str, volumes: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{{labels}}}
spec:
  containers:
  - name: mysql
    image: mysql:8.4
    env:
    - name: MYSQL_ROOT_PASSWORD
      valueFrom:
        secretKeyRef:
          name: mysql-secret
          key: root-password
    ports:
    - containerPort: 3306
{mounts}
{volumes}
"#
    )
}

/// The real kubectl against an [`Env`]'s cluster.
pub struct Kubectl {
    dir: tempfile::TempDir,
}

/// What kubectl printed and its exit code.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Kubectl {
    pub fn new(e: &Env) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let yaml = e.sandbox.kubeconfig(&e.listener, &e.cluster, &e.cluster.admin_token(), Some("default"));
        std::fs::write(dir.path().join("config"), yaml).expect("kubeconfig");
        Kubectl { dir }
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        let out = timeout(
            T,
            tokio::process::Command::new("kubectl")
                .args(args)
                .env("KUBECONFIG", self.dir.path().join("config"))
                .env("KUBECACHEDIR", self.dir.path().join("cache"))
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("kubectl in time")
        .expect("kubectl runs (is /usr/bin/kubectl installed?)");
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Run and require success; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args).await;
        assert_eq!(r.code, 0, "kubectl {args:?}: {r:?}");
        r.stdout
    }
}
