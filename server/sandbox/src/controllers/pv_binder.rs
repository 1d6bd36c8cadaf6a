//! The PersistentVolume controller: binds claims to volumes (pre-bound, `volumeName`, or the
//! smallest matching Available PV), asks the provisioner for new volumes, honours
//! `volumeBindingMode`, and releases / reclaims volumes whose claim is gone.
//!
//! Keys: `("", pv)` for a PersistentVolume, `(ns, claim)` for a PersistentVolumeClaim.

use super::common::is_terminating;
use super::provisioner::{self, NO_PROVISIONER, SELECTED_NODE};
use super::{Controller, Cx, EventType, Key, Requeue};
use crate::admission::{meta, quantity};
use crate::api::selector::label_selector_matches;
use crate::registry::ids;
use crate::store::{Event, EventType as Change};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const SOURCE: &str = "persistentvolume-controller";
const PROVISIONER_ANN: &str = "volume.kubernetes.io/storage-provisioner";
const PROVISIONER_BETA_ANN: &str = "volume.beta.kubernetes.io/storage-provisioner";

/// The PV binder (with the provisioner).
#[derive(Default)]
pub struct PvBinder {
    /// When provisioning of a claim began, so the pace's delay holds however often the claim
    /// is reconciled meanwhile.
    provisioning_since: HashMap<Key, Instant>,
}

impl Controller for PvBinder {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        if ev.resource == *ids::PVCS {
            out.push(Key::new(&ev.namespace, meta::name_of(&ev.object)));
            if let Some(v) = ev.object["spec"]["volumeName"]
                .as_str()
                .filter(|v| !v.is_empty())
            {
                out.push(Key::new("", v));
            }
        } else if ev.resource == *ids::PVS {
            out.push(Key::new("", meta::name_of(&ev.object)));
            let cr = &ev.object["spec"]["claimRef"];
            if let (Some(ns), Some(name)) = (cr["namespace"].as_str(), cr["name"].as_str()) {
                out.push(Key::new(ns, name));
            } else if ev.kind != Change::Deleted {
                pending_claims(cx, out);
            }
        } else if ev.resource == *ids::STORAGECLASSES {
            pending_claims(cx, out);
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for pv in cx.list(*ids::PVS, None) {
            out.push(Key::new("", meta::name_of(&pv)));
        }
        for pvc in cx.list(*ids::PVCS, None) {
            out.push(Key::new(meta::namespace_of(&pvc), meta::name_of(&pvc)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        if key.namespace.is_empty() {
            sync_volume(cx, &key.name);
            Requeue::Done
        } else {
            self.sync_claim(cx, key)
        }
    }
}

fn pending_claims(cx: &Cx, out: &mut Vec<Key>) {
    for pvc in cx.list(*ids::PVCS, None) {
        if pvc["status"]["phase"] != "Bound" {
            out.push(Key::new(meta::namespace_of(&pvc), meta::name_of(&pvc)));
        }
    }
}

fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj["metadata"]["annotations"][key]
        .as_str()
        .filter(|s| !s.is_empty())
}

fn set_annotation(v: &mut Value, key: &str, value: &str) {
    meta::metadata(v);
    meta::object_field(&mut v["metadata"], "annotations");
    v["metadata"]["annotations"][key] = json!(value);
}

fn storage_of(v: &Value) -> f64 {
    v.as_str().and_then(quantity::parse).unwrap_or(0.0)
}

impl PvBinder {
    fn sync_claim(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let (ns, name) = (key.namespace.as_str(), key.name.as_str());
        let Some(pvc) = cx.get(*ids::PVCS, ns, name) else {
            self.provisioning_since.remove(key);
            return Requeue::Done;
        };
        let vol = pvc["spec"]["volumeName"].as_str().filter(|v| !v.is_empty());
        if is_terminating(&pvc) || vol.is_some() {
            self.provisioning_since.remove(key);
        }
        if is_terminating(&pvc) {
            return Requeue::Done;
        }
        let uid = meta::uid_of(&pvc);
        if let Some(vol) = vol {
            match cx.get(*ids::PVS, "", vol) {
                None => {
                    if pvc["status"]["phase"] == "Bound" {
                        cx.update(*ids::PVCS, ns, name, |v| {
                            v["status"]["phase"] = json!("Lost")
                        });
                        cx.event(
                        &pvc,
                        EventType::Warning,
                        "ClaimLost",
                        "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
                        SOURCE,
                    );
                    }
                }
                Some(pv) => {
                    let owner = pv["spec"]["claimRef"]["uid"].as_str().unwrap_or_default();
                    if owner == uid
                        || (pv["spec"]["claimRef"].is_null()
                            && matches(&pv, &pvc, &class_key(&pvc)))
                        || (owner.is_empty() && prebound_to(&pv, &pvc))
                    {
                        bind(cx, &pv, &pvc);
                    } else {
                        cx.event(
                            &pvc,
                            EventType::Warning,
                            "FailedBinding",
                            &format!("volume \"{vol}\" already bound to a different claim."),
                            SOURCE,
                        );
                    }
                }
            }
            return Requeue::Done;
        }
        let pvs = cx.list(*ids::PVS, None);
        if let Some(pv) = pvs.iter().find(|pv| {
            prebound_to(pv, &pvc)
                && pv["spec"]["claimRef"]["uid"]
                    .as_str()
                    .is_none_or(|u| u.is_empty() || u == uid)
        }) {
            bind(cx, pv, &pvc);
            return Requeue::Done;
        }
        let class = class_key(&pvc);
        let sc = (!class.is_empty())
            .then(|| cx.get(*ids::STORAGECLASSES, "", &class))
            .flatten();
        let wffc = sc
            .as_ref()
            .is_some_and(|sc| sc["volumeBindingMode"] == "WaitForFirstConsumer");
        let node = annotation(&pvc, SELECTED_NODE).map(String::from);
        if wffc && node.is_none() {
            cx.event(
                &pvc,
                EventType::Normal,
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
                SOURCE,
            );
            return Requeue::Done;
        }
        let best = pvs
            .iter()
            .filter(|pv| pv["spec"]["claimRef"].is_null() && matches(pv, &pvc, &class))
            .min_by(|a, b| {
                storage_of(&a["spec"]["capacity"]["storage"])
                    .total_cmp(&storage_of(&b["spec"]["capacity"]["storage"]))
            });
        if let Some(pv) = best {
            bind(cx, pv, &pvc);
            return Requeue::Done;
        }
        if class.is_empty() {
            cx.event(
                &pvc,
                EventType::Normal,
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
                SOURCE,
            );
            return Requeue::Done;
        }
        let Some(sc) = sc else {
            cx.event(
                &pvc,
                EventType::Warning,
                "ProvisioningFailed",
                &format!("storageclass.storage.k8s.io \"{class}\" not found"),
                SOURCE,
            );
            return Requeue::Done;
        };
        let prov = sc["provisioner"].as_str().unwrap_or_default().to_string();
        if prov == NO_PROVISIONER {
            cx.event(
                &pvc,
                EventType::Warning,
                "ProvisioningFailed",
                &format!("no volume plugin matched name: {NO_PROVISIONER}"),
                SOURCE,
            );
            return Requeue::Done;
        }
        if annotation(&pvc, PROVISIONER_ANN).is_none() {
            let Some(updated) = cx.update(*ids::PVCS, ns, name, |v| {
                set_annotation(v, PROVISIONER_ANN, &prov);
                set_annotation(v, PROVISIONER_BETA_ANN, &prov);
            }) else {
                return Requeue::Done;
            };
            cx.event(
            &updated,
            EventType::Normal,
            "ExternalProvisioning",
            &format!(
                "Waiting for a volume to be created either by the external provisioner '{prov}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
            ),
            SOURCE,
        );
        }
        // NB: like a kind cluster, the only provisioner running is local-path. A class naming
        // any other (a cloud CSI driver copied from an example) leaves the claim Pending with
        // the ExternalProvisioning event above, as on a cluster where that driver is missing.
        if prov != provisioner::LOCAL_PATH {
            self.provisioning_since.remove(key);
            return Requeue::Done;
        }
        // Like local-path's helper pod, provisioning takes a moment at a lifelike pace.
        let delay = cx.cluster().pace().delay(Duration::from_secs(2));
        let since = *self
            .provisioning_since
            .entry(key.clone())
            .or_insert_with(Instant::now);
        let waited = since.elapsed();
        if waited < delay {
            return Requeue::After(delay - waited);
        }
        let Some(pvc) = cx.get(*ids::PVCS, ns, name) else {
            return Requeue::Done;
        };
        match provisioner::provision(cx, &pvc, &sc, node.as_deref()) {
            Ok(pv) => {
                self.provisioning_since.remove(key);
                bind(cx, &pv, &pvc);
                Requeue::Done
            }
            Err(_) => Requeue::After(Duration::from_secs(5)),
        }
    }
}

/// The claim's class; `""` when unset or empty (no class: only class-less PVs match).
fn class_key(pvc: &Value) -> String {
    pvc["spec"]["storageClassName"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The PV's claimRef names this claim (pre-binding by an admin, or a provisioned volume).
fn prebound_to(pv: &Value, pvc: &Value) -> bool {
    let cr = &pv["spec"]["claimRef"];
    !is_terminating(pv)
        && cr["name"] == meta::name_of(pvc)
        && cr["namespace"] == meta::namespace_of(pvc)
}

/// Whether an unclaimed PV satisfies the claim: class, access modes, volume mode, size, selector.
fn matches(pv: &Value, pvc: &Value, class: &str) -> bool {
    if is_terminating(pv)
        || !matches!(
            pv["status"]["phase"].as_str(),
            Some("Available" | "Pending") | None
        )
    {
        return false;
    }
    if pv["spec"]["storageClassName"].as_str().unwrap_or_default() != class {
        return false;
    }
    let pv_modes = pv["spec"]["accessModes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let all_modes = pvc["spec"]["accessModes"]
        .as_array()
        .is_none_or(|ms| ms.iter().all(|m| pv_modes.contains(m)));
    if !all_modes {
        return false;
    }
    let mode = |v: &Value| {
        v["spec"]["volumeMode"]
            .as_str()
            .unwrap_or("Filesystem")
            .to_string()
    };
    if mode(pv) != mode(pvc) {
        return false;
    }
    if storage_of(&pv["spec"]["capacity"]["storage"]) < storage_of(&provisioner::requested(pvc)) {
        return false;
    }
    let sel = &pvc["spec"]["selector"];
    sel.is_null() || label_selector_matches(sel, &pv["metadata"]["labels"])
}

/// Bind both ways: PV claimRef + phase, then the claim's volumeName, annotations and status.
fn bind(cx: &Cx, pv: &Arc<Value>, pvc: &Arc<Value>) {
    let pv_name = meta::name_of(pv).to_string();
    let ns = meta::namespace_of(pvc);
    let name = meta::name_of(pvc);
    let claim_ref = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "name": name,
        "namespace": ns,
        "uid": meta::uid_of(pvc),
        "resourceVersion": pvc["metadata"]["resourceVersion"]
    });
    let pv_by_controller = pv["spec"]["claimRef"].is_null();
    let Some(pv) = cx.update(*ids::PVS, "", &pv_name, |v| {
        let cr = &v["spec"]["claimRef"];
        if cr["uid"].as_str().is_none_or(str::is_empty) {
            v["spec"]["claimRef"] = claim_ref;
        }
        if pv_by_controller {
            set_annotation(v, "pv.kubernetes.io/bound-by-controller", "yes");
        }
        v["status"]["phase"] = json!("Bound");
    }) else {
        return;
    };
    let pvc_by_controller = pvc["spec"]["volumeName"].as_str().is_none_or(str::is_empty);
    cx.update(*ids::PVCS, ns, name, |v| {
        v["spec"]["volumeName"] = json!(pv_name);
        set_annotation(v, "pv.kubernetes.io/bind-completed", "yes");
        if pvc_by_controller {
            set_annotation(v, "pv.kubernetes.io/bound-by-controller", "yes");
        }
        let mut st = json!({
            "phase": "Bound",
            "accessModes": pv["spec"]["accessModes"],
            "capacity": pv["spec"]["capacity"]
        });
        if let Some(m) = st.as_object_mut() {
            m.retain(|_, x| !x.is_null());
        }
        v["status"] = st;
    });
}

/// Keep a PV's phase in line with its claim: Available, Bound, or Released (then reclaimed).
fn sync_volume(cx: &Cx, name: &str) {
    let Some(pv) = cx.get(*ids::PVS, "", name) else {
        return;
    };
    let cr = &pv["spec"]["claimRef"];
    let set_phase = |phase: &str| {
        if pv["status"]["phase"] != phase {
            cx.update(*ids::PVS, "", name, |v| v["status"]["phase"] = json!(phase));
        }
    };
    if cr.is_null() {
        set_phase("Available");
        return;
    }
    let ref_uid = cr["uid"].as_str().unwrap_or_default();
    let claim = cx
        .get(
            *ids::PVCS,
            cr["namespace"].as_str().unwrap_or_default(),
            cr["name"].as_str().unwrap_or_default(),
        )
        .filter(|c| ref_uid.is_empty() || meta::uid_of(c) == ref_uid);
    match claim {
        Some(c) => {
            if c["spec"]["volumeName"] == name {
                set_phase("Bound");
            } else if ref_uid.is_empty() {
                set_phase("Available");
            }
        }
        None if ref_uid.is_empty() => set_phase("Available"),
        None => {
            set_phase("Released");
            match pv["spec"]["persistentVolumeReclaimPolicy"].as_str() {
                Some("Delete") if !is_terminating(&pv) => {
                    cx.delete(*ids::PVS, "", name, "Background");
                }
                Some("Recycle") => {
                    cx.update(*ids::PVS, "", name, |v| {
                        if let Some(spec) = v["spec"].as_object_mut() {
                            spec.remove("claimRef");
                        }
                        v["status"]["phase"] = json!("Available");
                    });
                }
                _ => {}
            }
        }
    }
}
