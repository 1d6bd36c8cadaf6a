//! Every task of the storage labs (parts 7, 10, 11 and 12), solved by the machine on a fresh
//! sandbox cluster: the reference solution passes, and every declared realistic mistake fails
//! with its diagnosis.

#[macro_use]
mod support;

const L07: &str = "07-statefulsets";
const L10: &str = "10-volume-types";
const L11: &str = "11-storageclasses";
const L12: &str = "12-volumeclaimtemplates";

lab_task!(
    l07_three_identities_solution_passes,
    l07_three_identities_mistakes_fail,
    "07-statefulsets",
    "three-identities"
);
lab_task!(
    l07_replacement_keeps_identity_solution_passes,
    l07_replacement_keeps_identity_mistakes_fail,
    "07-statefulsets",
    "replacement-keeps-identity"
);
lab_task!(
    l07_scale_down_keeps_claims_solution_passes,
    l07_scale_down_keeps_claims_mistakes_fail,
    "07-statefulsets",
    "scale-down-keeps-claims"
);
lab_task!(
    l10_hostpath_moves_solution_passes,
    l10_hostpath_moves_mistakes_fail,
    "10-volume-types",
    "hostpath-moves"
);
lab_task!(
    l10_static_pv_retain_solution_passes,
    l10_static_pv_retain_mistakes_fail,
    "10-volume-types",
    "static-pv-retain"
);
lab_task!(
    l10_access_mode_pending_solution_passes,
    l10_access_mode_pending_mistakes_fail,
    "10-volume-types",
    "access-mode-pending"
);
lab_task!(
    l11_wrong_class_solution_passes,
    l11_wrong_class_mistakes_fail,
    "11-storageclasses",
    "wrong-class"
);
lab_task!(
    l11_no_default_class_solution_passes,
    l11_no_default_class_mistakes_fail,
    "11-storageclasses",
    "no-default-class"
);
lab_task!(
    l11_retain_vs_delete_solution_passes,
    l11_retain_vs_delete_mistakes_fail,
    "11-storageclasses",
    "retain-vs-delete"
);
lab_task!(
    l12_scale_down_and_up_solution_passes,
    l12_scale_down_and_up_mistakes_fail,
    "12-volumeclaimtemplates",
    "scale-down-and-up"
);
lab_task!(
    l12_when_scaled_delete_solution_passes,
    l12_when_scaled_delete_mistakes_fail,
    "12-volumeclaimtemplates",
    "when-scaled-delete"
);
lab_task!(
    l12_lost_node_solution_passes,
    l12_lost_node_mistakes_fail,
    "12-volumeclaimtemplates",
    "lost-node"
);

/// Every task of the four labs is covered above (a new task must get its own test).
#[test]
fn every_storage_task_has_a_test() {
    let covered: [(&str, &[&str]); 4] = [
        (
            L07,
            &[
                "three-identities",
                "replacement-keeps-identity",
                "scale-down-keeps-claims",
            ],
        ),
        (
            L10,
            &["hostpath-moves", "static-pv-retain", "access-mode-pending"],
        ),
        (
            L11,
            &["wrong-class", "no-default-class", "retain-vs-delete"],
        ),
        (
            L12,
            &["scale-down-and-up", "when-scaled-delete", "lost-node"],
        ),
    ];
    for (slug, ids) in covered {
        let lab = kubedojo_grader::LabSource::load(&support::lessons_dir().join(slug))
            .expect("lab loads");
        let mut declared: Vec<&str> = lab.lab.tasks.iter().map(|t| t.id.as_str()).collect();
        declared.sort_unstable();
        let mut tested = ids.to_vec();
        tested.sort_unstable();
        assert_eq!(declared, tested, "{slug}");
    }
}
