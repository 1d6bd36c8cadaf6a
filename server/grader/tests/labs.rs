//! Every task of the shipped labs, solved by the machine on a fresh sandbox cluster: the
//! reference solution passes, and every declared realistic mistake fails with its diagnosis.

#[macro_use]
mod support;

const L02: &str = "02-bare-pod-data-loss";
const L16: &str = "16-troubleshooting";

lab_task!(
    l02_bare_pod_solution_passes,
    l02_bare_pod_mistakes_fail,
    "02-bare-pod-data-loss",
    "bare-pod"
);
lab_task!(
    l02_deployment_emptydir_solution_passes,
    l02_deployment_emptydir_mistakes_fail,
    "02-bare-pod-data-loss",
    "deployment-emptydir"
);
lab_task!(
    l02_deployment_pvc_solution_passes,
    l02_deployment_pvc_mistakes_fail,
    "02-bare-pod-data-loss",
    "deployment-pvc"
);
lab_task!(
    l02_wrong_mount_path_solution_passes,
    l02_wrong_mount_path_mistakes_fail,
    "02-bare-pod-data-loss",
    "wrong-mount-path"
);
lab_task!(
    l16_no_endpoints_solution_passes,
    l16_no_endpoints_mistakes_fail,
    "16-troubleshooting",
    "no-endpoints"
);
lab_task!(
    l16_dns_name_solution_passes,
    l16_dns_name_mistakes_fail,
    "16-troubleshooting",
    "dns-name"
);
lab_task!(
    l16_pvc_pending_solution_passes,
    l16_pvc_pending_mistakes_fail,
    "16-troubleshooting",
    "pvc-pending"
);
lab_task!(
    l16_data_lost_solution_passes,
    l16_data_lost_mistakes_fail,
    "16-troubleshooting",
    "data-lost"
);

/// Every task of both labs is covered above (a new task must get its own test).
#[test]
fn every_task_has_a_test() {
    let covered = [
        (
            L02,
            [
                "bare-pod",
                "deployment-emptydir",
                "deployment-pvc",
                "wrong-mount-path",
            ],
        ),
        (
            L16,
            ["no-endpoints", "dns-name", "pvc-pending", "data-lost"],
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

/// The shipped labs pass `kubedojo lessons check`.
#[test]
fn shipped_labs_validate() {
    let problems = kubedojo_grader::validate_lessons(&support::lessons_dir());
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(shown.is_empty(), "{shown:#?}");
}
