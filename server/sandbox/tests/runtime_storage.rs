//! Storage scenarios of the course through the real controllers and kubelet: a StatefulSet's
//! claims keep the rows across pod deletion, a claim mounted at the wrong path does not, and the
//! reclaim policy decides what happens to a volume after its claim is deleted.

mod scenario;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::api::Api;
use scenario::{SECRET, env, eventually, mysql_pod};

const INSERT: &str = "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40)); INSERT INTO shop.orders VALUES (1, 'book'), (2, 'lamp');";
const COUNT: &str = "SELECT COUNT(*) FROM shop.orders";

const STATEFULSET: &str = r#"
apiVersion: v1
kind: Service
metadata:
  name: mysql
spec:
  clusterIP: None
  selector:
    app: mysql
  ports:
  - port: 3306
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mysql
spec:
  serviceName: mysql
  replicas: 1
  selector:
    matchLabels:
      app: mysql
  template:
    metadata:
      labels:
        app: mysql
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
        volumeMounts:
        - name: data
          mountPath: /var/lib/mysql
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statefulset_pod_comes_back_with_the_same_name_claim_and_rows() {
    let e = env().await;
    e.apply(SECRET).await;
    e.apply(STATEFULSET).await;
    let first = e.mysql_ready("mysql-0").await;
    let claims: Api<PersistentVolumeClaim> = Api::default_namespaced(e.client.clone());
    let pvc = claims.get("data-mysql-0").await.expect("claim data-mysql-0");
    let status = pvc.status.clone().and_then(|s| s.phase);
    assert_eq!(status.as_deref(), Some("Bound"));
    assert_eq!(e.sql("mysql-0", INSERT).await.code, 0);

    let second = e.replace_mysql_pod("mysql-0").await;
    assert_ne!(first.metadata.uid, second.metadata.uid, "a new pod");
    let ip = |p: &k8s_openapi::api::core::v1::Pod| p.status.clone().and_then(|s| s.pod_ip);
    assert_ne!(ip(&first), ip(&second), "with a new IP");
    let again = claims.get("data-mysql-0").await.expect("claim");
    assert_eq!(again.metadata.uid, pvc.metadata.uid, "the same claim");
    let out = e.sql("mysql-0", COUNT).await;
    assert_eq!((out.stdout.as_str(), out.code), ("2\n", 0), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_mounted_at_the_wrong_path_keeps_nothing() {
    let e = env().await;
    e.apply(SECRET).await;
    e.apply(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
    )
    .await;
    let pod = mysql_pod(
        "mysql",
        "app: mysql",
        "    volumeMounts:\n    - name: data\n      mountPath: /data",
        "  volumes:\n  - name: data\n    persistentVolumeClaim:\n      claimName: data",
    );
    e.apply(&pod).await;
    e.mysql_ready("mysql").await;
    assert_eq!(e.sql("mysql", INSERT).await.code, 0);
    e.delete_pod("mysql").await;
    e.apply(&pod).await;
    e.mysql_ready("mysql").await;
    let out = e.sql("mysql", COUNT).await;
    assert!(out.stderr.contains("Table 'shop.orders' doesn't exist"), "{out:?}");
    // The claim itself was fine: files written to /data are still there.
    let ls = e.exec("mysql", &["ls", "/data"]).await;
    assert_eq!(ls.code, 0, "{ls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retain_keeps_the_volume_released_and_delete_removes_it() {
    let e = env().await;
    e.apply(
        r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: keep
provisioner: rancher.io/local-path
reclaimPolicy: Retain
volumeBindingMode: Immediate
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: scratch
provisioner: rancher.io/local-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: kept
spec:
  storageClassName: keep
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: dropped
spec:
  storageClassName: scratch
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
"#,
    )
    .await;
    let claims: Api<PersistentVolumeClaim> = Api::default_namespaced(e.client.clone());
    let volume_of = |name: &'static str| {
        let claims = claims.clone();
        async move {
            let c = claims.get(name).await.ok()?;
            (c.status?.phase.as_deref() == Some("Bound")).then(|| c.spec?.volume_name)?
        }
    };
    let kept_pv = eventually("kept bound", || volume_of("kept")).await;
    let dropped_pv = eventually("dropped bound", || volume_of("dropped")).await;
    claims.delete("kept", &Default::default()).await.expect("delete kept");
    claims.delete("dropped", &Default::default()).await.expect("delete dropped");
    let pvs: Api<PersistentVolume> = Api::all(e.client.clone());
    eventually("kept PV released", || async {
        let pv = pvs.get(&kept_pv).await.ok()?;
        (pv.status?.phase.as_deref() == Some("Released")).then_some(())
    })
    .await;
    eventually("dropped PV deleted", || async {
        pvs.get_opt(&dropped_pv).await.ok()?.is_none().then_some(())
    })
    .await;
}
