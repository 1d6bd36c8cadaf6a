//! Names and labels kubedojo gives the objects it creates for a learner.

use std::collections::BTreeMap;

/// `app.kubernetes.io/managed-by` value on everything kubedojo creates.
pub const MANAGED_BY: &str = "kubedojo";
/// Label naming the learner an object belongs to (its short id).
pub const LEARNER_LABEL: &str = "kubedojo.dev/learner";
/// Annotation holding the full learner id.
pub const LEARNER_ID_ANNOTATION: &str = "kubedojo.dev/learner-id";
/// Selector for everything kubedojo created.
pub const MANAGED_SELECTOR: &str = "app.kubernetes.io/managed-by=kubedojo";

/// A stable short id for a learner: 10 hex digits of FNV-1a, so the same learner always gets the
/// same names (a retry after a crash finds and finishes its own objects) and any learner id,
/// whatever characters it holds, makes a valid DNS label.
pub fn short_id(learner: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in learner.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:010x}", h & 0xff_ffff_ffff)
}

/// The learner's namespace on a shared cluster: `kd-<short-id>`.
pub fn namespace_for(learner: &str) -> String {
    format!("kd-{}", short_id(learner))
}

/// Labels every object of a learner carries.
pub fn learner_labels(learner: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            MANAGED_BY.to_string(),
        ),
        (LEARNER_LABEL.to_string(), short_id(learner)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_stable_dns_labels() {
        let a = namespace_for("8f1c2d3e-aaaa-bbbb-cccc-000000000001");
        assert_eq!(a, namespace_for("8f1c2d3e-aaaa-bbbb-cccc-000000000001"));
        assert_ne!(a, namespace_for("8f1c2d3e-aaaa-bbbb-cccc-000000000002"));
        assert_eq!(a.len(), 13);
        assert!(
            namespace_for("Ünïcode / slashes")
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }
}
