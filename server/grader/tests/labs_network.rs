//! Every task of the networking labs (lessons 4, 5, 6 and 8), solved by the machine on a fresh
//! sandbox cluster: the reference solution passes, and every declared realistic mistake fails
//! with its diagnosis.

#[macro_use]
mod support;

const L04: &str = "04-clusterip-services";
const L05: &str = "05-headless-services";
const L06: &str = "06-headless-is-not-enough";
const L08: &str = "08-database-pattern";

lab_task!(
    l04_service_solution_passes,
    l04_service_mistakes_fail,
    "04-clusterip-services",
    "service"
);
lab_task!(
    l04_leftover_solution_passes,
    l04_leftover_mistakes_fail,
    "04-clusterip-services",
    "leftover"
);
lab_task!(
    l04_one_writer_solution_passes,
    l04_one_writer_mistakes_fail,
    "04-clusterip-services",
    "one-writer"
);
lab_task!(
    l05_nginx_hl_solution_passes,
    l05_nginx_hl_mistakes_fail,
    "05-headless-services",
    "nginx-hl"
);
lab_task!(
    l05_per_pod_name_solution_passes,
    l05_per_pod_name_mistakes_fail,
    "05-headless-services",
    "per-pod-name"
);
lab_task!(
    l05_not_ready_peers_solution_passes,
    l05_not_ready_peers_mistakes_fail,
    "05-headless-services",
    "not-ready-peers"
);
lab_task!(
    l06_deployment_behind_headless_solution_passes,
    l06_deployment_behind_headless_mistakes_fail,
    "06-headless-is-not-enough",
    "deployment-behind-headless"
);
lab_task!(
    l06_statefulset_pair_solution_passes,
    l06_statefulset_pair_mistakes_fail,
    "06-headless-is-not-enough",
    "statefulset-pair"
);
lab_task!(
    l06_no_replication_solution_passes,
    l06_no_replication_mistakes_fail,
    "06-headless-is-not-enough",
    "no-replication"
);
lab_task!(
    l08_governing_service_solution_passes,
    l08_governing_service_mistakes_fail,
    "08-database-pattern",
    "governing-service"
);
lab_task!(
    l08_reconnect_by_name_solution_passes,
    l08_reconnect_by_name_mistakes_fail,
    "08-database-pattern",
    "reconnect-by-name"
);
lab_task!(
    l08_read_write_split_solution_passes,
    l08_read_write_split_mistakes_fail,
    "08-database-pattern",
    "read-write-split"
);

/// Every task of the four labs is covered above (a new task must get its own test).
#[test]
fn every_task_has_a_test() {
    let covered: [(&str, &[&str]); 4] = [
        (L04, &["service", "leftover", "one-writer"]),
        (L05, &["nginx-hl", "per-pod-name", "not-ready-peers"]),
        (
            L06,
            &[
                "deployment-behind-headless",
                "statefulset-pair",
                "no-replication",
            ],
        ),
        (
            L08,
            &["governing-service", "reconnect-by-name", "read-write-split"],
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

/// The four labs pass `kubedojo lessons check`.
#[test]
fn network_labs_validate() {
    for slug in [L04, L05, L06, L08] {
        let dir = support::lessons_dir().join(slug);
        let problems = kubedojo_grader::validate_lab(&dir, std::path::Path::new(slug));
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(shown.is_empty(), "{shown:#?}");
    }
}
