//! Decoding of the Kubernetes protobuf envelope for the kinds kubectl's typed clients create
//! (`kubectl create namespace|serviceaccount|configmap|secret|role|rolebinding|token`,
//! `kubectl auth can-i`). client-go does not fall back to JSON after a 415, so these bodies
//! must be understood. Field numbers come from the upstream `generated.proto` files.

use base64::Engine;
use serde_json::{Map, Value, json};

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Int,
    /// A non-pointer Go int: 0 means unset.
    IntOmitZero,
    Bool,
    Time,
    MapStr,
    MapBytes,
    /// `IntOrString {type = 1, intVal = 2, strVal = 3}`.
    IntOrString,
    /// `map<string, Quantity>` where Quantity is `{string = 1}`.
    MapQuantity,
    Msg(&'static [F]),
}

/// One message field: number, JSON name, type, repeated.
#[derive(Clone, Copy)]
struct F(u64, &'static str, Ty, bool);

const OWNER_REF: &[F] = &[
    F(1, "kind", Ty::Str, false),
    F(3, "name", Ty::Str, false),
    F(4, "uid", Ty::Str, false),
    F(5, "apiVersion", Ty::Str, false),
    F(6, "controller", Ty::Bool, false),
    F(7, "blockOwnerDeletion", Ty::Bool, false),
];
const META: &[F] = &[
    F(1, "name", Ty::Str, false),
    F(2, "generateName", Ty::Str, false),
    F(3, "namespace", Ty::Str, false),
    F(5, "uid", Ty::Str, false),
    F(6, "resourceVersion", Ty::Str, false),
    F(7, "generation", Ty::IntOmitZero, false),
    F(8, "creationTimestamp", Ty::Time, false),
    F(11, "labels", Ty::MapStr, false),
    F(12, "annotations", Ty::MapStr, false),
    F(13, "ownerReferences", Ty::Msg(OWNER_REF), true),
    F(14, "finalizers", Ty::Str, true),
];
const NS_SPEC: &[F] = &[F(1, "finalizers", Ty::Str, true)];
const NAMESPACE: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "spec", Ty::Msg(NS_SPEC), false),
];
const RES_ATTR: &[F] = &[
    F(1, "namespace", Ty::Str, false),
    F(2, "verb", Ty::Str, false),
    F(3, "group", Ty::Str, false),
    F(4, "version", Ty::Str, false),
    F(5, "resource", Ty::Str, false),
    F(6, "subresource", Ty::Str, false),
    F(7, "name", Ty::Str, false),
];
const NONRES_ATTR: &[F] = &[F(1, "path", Ty::Str, false), F(2, "verb", Ty::Str, false)];
const SSAR_SPEC: &[F] = &[
    F(1, "resourceAttributes", Ty::Msg(RES_ATTR), false),
    F(2, "nonResourceAttributes", Ty::Msg(NONRES_ATTR), false),
];
const SSAR: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "spec", Ty::Msg(SSAR_SPEC), false),
];
const BOUND_REF: &[F] = &[
    F(1, "kind", Ty::Str, false),
    F(2, "apiVersion", Ty::Str, false),
    F(3, "name", Ty::Str, false),
    F(4, "uid", Ty::Str, false),
];
const TOKEN_SPEC: &[F] = &[
    F(1, "audiences", Ty::Str, true),
    F(3, "boundObjectRef", Ty::Msg(BOUND_REF), false),
    F(4, "expirationSeconds", Ty::Int, false),
];
const TOKEN_REQUEST: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "spec", Ty::Msg(TOKEN_SPEC), false),
];
const SUBJECT: &[F] = &[
    F(1, "kind", Ty::Str, false),
    F(2, "apiGroup", Ty::Str, false),
    F(3, "name", Ty::Str, false),
    F(4, "namespace", Ty::Str, false),
];
const ROLE_REF: &[F] = &[
    F(1, "apiGroup", Ty::Str, false),
    F(2, "kind", Ty::Str, false),
    F(3, "name", Ty::Str, false),
];
const BINDING: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "subjects", Ty::Msg(SUBJECT), true),
    F(3, "roleRef", Ty::Msg(ROLE_REF), false),
];
const RULE: &[F] = &[
    F(1, "verbs", Ty::Str, true),
    F(2, "apiGroups", Ty::Str, true),
    F(3, "resources", Ty::Str, true),
    F(4, "resourceNames", Ty::Str, true),
    F(5, "nonResourceURLs", Ty::Str, true),
];
const ROLE: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "rules", Ty::Msg(RULE), true),
];
const LOCAL_REF: &[F] = &[F(1, "name", Ty::Str, false)];
const SERVICE_ACCOUNT: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(3, "imagePullSecrets", Ty::Msg(LOCAL_REF), true),
    F(4, "automountServiceAccountToken", Ty::Bool, false),
];
const CONFIG_MAP: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "data", Ty::MapStr, false),
    F(3, "binaryData", Ty::MapBytes, false),
    F(4, "immutable", Ty::Bool, false),
];
const SECRET: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "data", Ty::MapBytes, false),
    F(3, "type", Ty::Str, false),
    F(4, "stringData", Ty::MapStr, false),
    F(5, "immutable", Ty::Bool, false),
];

const SELECTOR_REQ: &[F] = &[
    F(1, "key", Ty::Str, false),
    F(2, "operator", Ty::Str, false),
    F(3, "values", Ty::Str, true),
];
const SELECTOR: &[F] = &[
    F(1, "matchLabels", Ty::MapStr, false),
    F(2, "matchExpressions", Ty::Msg(SELECTOR_REQ), true),
];
const QUANTITY_MAP: Ty = Ty::MapQuantity;
const RESOURCES: &[F] = &[
    F(1, "limits", QUANTITY_MAP, false),
    F(2, "requests", QUANTITY_MAP, false),
];
const PORT: &[F] = &[
    F(1, "name", Ty::Str, false),
    F(2, "hostPort", Ty::IntOmitZero, false),
    F(3, "containerPort", Ty::Int, false),
    F(4, "protocol", Ty::Str, false),
];
const ENV: &[F] = &[F(1, "name", Ty::Str, false), F(2, "value", Ty::Str, false)];
const MOUNT: &[F] = &[
    F(1, "name", Ty::Str, false),
    F(2, "readOnly", Ty::Bool, false),
    F(3, "mountPath", Ty::Str, false),
];
const CONTAINER: &[F] = &[
    F(1, "name", Ty::Str, false),
    F(2, "image", Ty::Str, false),
    F(3, "command", Ty::Str, true),
    F(4, "args", Ty::Str, true),
    F(5, "workingDir", Ty::Str, false),
    F(6, "ports", Ty::Msg(PORT), true),
    F(7, "env", Ty::Msg(ENV), true),
    F(8, "resources", Ty::Msg(RESOURCES), false),
    F(9, "volumeMounts", Ty::Msg(MOUNT), true),
    F(14, "imagePullPolicy", Ty::Str, false),
];
const POD_SPEC: &[F] = &[
    F(2, "containers", Ty::Msg(CONTAINER), true),
    F(3, "restartPolicy", Ty::Str, false),
    F(8, "serviceAccountName", Ty::Str, false),
    F(10, "nodeName", Ty::Str, false),
];
const TEMPLATE: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "spec", Ty::Msg(POD_SPEC), false),
];
const DEPLOYMENT_SPEC: &[F] = &[
    F(1, "replicas", Ty::Int, false),
    F(2, "selector", Ty::Msg(SELECTOR), false),
    F(3, "template", Ty::Msg(TEMPLATE), false),
    F(4, "strategy", Ty::Msg(&[]), false),
];
const INT_OR_STRING: &[F] = &[
    F(1, "type", Ty::Int, false),
    F(2, "intVal", Ty::Int, false),
    F(3, "strVal", Ty::Str, false),
];
const QUOTA_SPEC: &[F] = &[
    F(1, "hard", Ty::MapQuantity, false),
    F(2, "scopes", Ty::Str, true),
];
const QUOTA: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "spec", Ty::Msg(QUOTA_SPEC), false),
];
const SERVICE_PORT: &[F] = &[
    F(1, "name", Ty::Str, false),
    F(2, "protocol", Ty::Str, false),
    F(3, "port", Ty::Int, false),
    F(4, "targetPort", Ty::IntOrString, false),
    F(5, "nodePort", Ty::IntOmitZero, false),
];
const SERVICE_SPEC: &[F] = &[
    F(1, "ports", Ty::Msg(SERVICE_PORT), true),
    F(2, "selector", Ty::MapStr, false),
    F(3, "clusterIP", Ty::Str, false),
    F(4, "type", Ty::Str, false),
    F(5, "externalIPs", Ty::Str, true),
    F(7, "sessionAffinity", Ty::Str, false),
    F(10, "externalName", Ty::Str, false),
];
const SERVICE: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "spec", Ty::Msg(SERVICE_SPEC), false),
];
const DEPLOYMENT: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "spec", Ty::Msg(DEPLOYMENT_SPEC), false),
];

const SSRR_SPEC: &[F] = &[F(1, "namespace", Ty::Str, false)];
const SSRR: &[F] = &[
    F(1, "metadata", Ty::Msg(META), false),
    F(2, "spec", Ty::Msg(SSRR_SPEC), false),
];
const SSR: &[F] = &[F(1, "metadata", Ty::Msg(META), false)];

fn schema(kind: &str) -> Option<&'static [F]> {
    Some(match kind {
        "Namespace" => NAMESPACE,
        "SelfSubjectAccessReview" => SSAR,
        "TokenRequest" => TOKEN_REQUEST,
        "RoleBinding" | "ClusterRoleBinding" => BINDING,
        "Role" | "ClusterRole" => ROLE,
        "ServiceAccount" => SERVICE_ACCOUNT,
        "ConfigMap" => CONFIG_MAP,
        "Secret" => SECRET,
        "Deployment" => DEPLOYMENT,
        "ResourceQuota" => QUOTA,
        "Service" => SERVICE,
        "SelfSubjectRulesReview" => SSRR,
        "SelfSubjectReview" => SSR,
        _ => return None,
    })
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut out = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos)?;
            self.pos += 1;
            out |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(out);
            }
        }
        None
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.pos.checked_add(len)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// Next (field number, wire type, value) with length-delimited payloads as slices.
    fn field(&mut self) -> Option<(u64, Wire<'a>)> {
        let key = self.varint()?;
        let (num, wt) = (key >> 3, key & 7);
        let v = match wt {
            0 => Wire::Varint(self.varint()?),
            2 => Wire::Len(self.bytes()?),
            1 => {
                self.pos = self.pos.checked_add(8)?;
                Wire::Skip
            }
            5 => {
                self.pos = self.pos.checked_add(4)?;
                Wire::Skip
            }
            _ => return None,
        };
        Some((num, v))
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

enum Wire<'a> {
    Varint(u64),
    Len(&'a [u8]),
    Skip,
}

fn map_entry(buf: &[u8], ty: Ty) -> Option<(String, Value)> {
    let mut r = Reader { buf, pos: 0 };
    let (mut k, mut v) = (String::new(), Value::String(String::new()));
    while !r.done() {
        match r.field()? {
            (1, Wire::Len(b)) => k = String::from_utf8_lossy(b).into_owned(),
            (2, Wire::Len(b)) => {
                v = match ty {
                    Ty::MapBytes => json!(base64::engine::general_purpose::STANDARD.encode(b)),
                    Ty::MapQuantity => quantity_value(b),
                    _ => json!(String::from_utf8_lossy(b)),
                }
            }
            _ => {}
        }
    }
    Some((k, v))
}

/// `Quantity {string = 1}` → `"500m"`.
fn quantity_value(raw: &[u8]) -> Value {
    let mut r = Reader { buf: raw, pos: 0 };
    while !r.done() {
        match r.field() {
            Some((1, Wire::Len(b))) => return json!(String::from_utf8_lossy(b)),
            Some(_) => {}
            None => break,
        }
    }
    json!("0")
}

fn time(buf: &[u8]) -> Option<Value> {
    let mut r = Reader { buf, pos: 0 };
    let mut secs = 0i64;
    while !r.done() {
        if let (1, Wire::Varint(v)) = r.field()? {
            secs = v as i64;
        }
    }
    if secs == 0 {
        // Go's zero time: the field is unset.
        return Some(Value::Null);
    }
    let t = chrono::DateTime::from_timestamp(secs, 0)?;
    Some(json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

fn message(buf: &[u8], fields: &[F]) -> Option<Value> {
    let mut out = Map::new();
    let mut r = Reader { buf, pos: 0 };
    while !r.done() {
        let (num, wire) = r.field()?;
        let Some(F(_, name, ty, repeated)) = fields.iter().find(|f| f.0 == num).copied() else {
            continue;
        };
        let value = match (ty, wire) {
            // Go's protobuf encodes empty strings that JSON would omit.
            (Ty::Str, Wire::Len(b)) if b.is_empty() && !repeated => continue,
            (Ty::Str, Wire::Len(b)) => json!(String::from_utf8_lossy(b)),
            (Ty::Int, Wire::Varint(v)) => json!(v as i64),
            (Ty::IntOmitZero, Wire::Varint(0)) => continue,
            (Ty::IntOmitZero, Wire::Varint(v)) => json!(v as i64),
            (Ty::Bool, Wire::Varint(v)) => json!(v != 0),
            (Ty::Time, Wire::Len(b)) => match time(b)? {
                Value::Null => continue,
                t => t,
            },
            (Ty::Msg(sub), Wire::Len(b)) => message(b, sub)?,
            (Ty::IntOrString, Wire::Len(b)) => {
                let v = message(b, INT_OR_STRING)?;
                if v["type"].as_i64() == Some(1) {
                    v["strVal"].clone()
                } else {
                    json!(v["intVal"].as_i64().unwrap_or(0))
                }
            }
            (Ty::MapStr | Ty::MapBytes | Ty::MapQuantity, Wire::Len(b)) => {
                let (k, v) = map_entry(b, ty)?;
                let m = out.entry(name.to_string()).or_insert_with(|| json!({}));
                if let Some(m) = m.as_object_mut() {
                    m.insert(k, v);
                }
                continue;
            }
            _ => continue,
        };
        if repeated {
            let a = out.entry(name.to_string()).or_insert_with(|| json!([]));
            if let Some(a) = a.as_array_mut() {
                a.push(value);
            }
        } else {
            out.insert(name.to_string(), value);
        }
    }
    Some(Value::Object(out))
}

/// Decode a `k8s\0`-prefixed protobuf body into JSON. None when the envelope is malformed or
/// the kind is not one we know.
pub fn decode(body: &[u8]) -> Option<Value> {
    let rest = body.strip_prefix(b"k8s\0")?;
    let mut r = Reader { buf: rest, pos: 0 };
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    while !r.done() {
        match r.field()? {
            (1, Wire::Len(tm)) => {
                let mut t = Reader { buf: tm, pos: 0 };
                while !t.done() {
                    match t.field()? {
                        (1, Wire::Len(b)) => api_version = String::from_utf8_lossy(b).into_owned(),
                        (2, Wire::Len(b)) => kind = String::from_utf8_lossy(b).into_owned(),
                        _ => {}
                    }
                }
            }
            (2, Wire::Len(b)) => raw = b,
            _ => {}
        }
    }
    let mut v = message(raw, schema(&kind)?)?;
    v["apiVersion"] = json!(api_version);
    v["kind"] = json!(kind);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_namespace_envelope() {
        // Unknown{typeMeta{apiVersion:"v1",kind:"Namespace"}, raw: Namespace{metadata{name:"demo"}}}
        let meta = [0x0a, 0x04, b'd', b'e', b'm', b'o'];
        let mut ns = vec![0x0a, meta.len() as u8];
        ns.extend_from_slice(&meta);
        let tm = [
            0x0a, 0x02, b'v', b'1', 0x12, 0x09, b'N', b'a', b'm', b'e', b's', b'p', b'a', b'c',
            b'e',
        ];
        let mut body = b"k8s\0".to_vec();
        body.push(0x0a);
        body.push(tm.len() as u8);
        body.extend_from_slice(&tm);
        body.push(0x12);
        body.push(ns.len() as u8);
        body.extend_from_slice(&ns);
        let v = decode(&body).expect("decodes");
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
        );
        assert!(decode(b"k8s\0\xff").is_none());
    }
}
