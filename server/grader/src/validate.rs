//! `kubedojo lessons check` for labs: every `lab.toml` parses, every check kind is known and
//! has only the keys it understands, paths and regexes are valid, placeholders are declared,
//! manifests exist and parse into objects of known kinds, every task has hints, checks and a
//! solution, and steps name existing actions. Problems are `file:line: message`.

use crate::assertion::needs_value;
use crate::kinds;
use crate::load::{LAB_FILE, parse_manifests};
use crate::model::{CHECK_KINDS, Check, Lab, Step};
use crate::vars::{Vars, placeholders};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a lab, like a compiler's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabProblem {
    /// Relative to the lessons directory (`02-bare-pod-data-loss/lab.toml`).
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LabProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Validates every `NN-slug/lab.toml` under the lessons directory (lessons without a lab are fine).
pub fn validate_lessons(lessons_dir: &Path) -> Vec<LabProblem> {
    let Ok(entries) = std::fs::read_dir(lessons_dir) else {
        return vec![LabProblem {
            file: lessons_dir.to_path_buf(),
            line: 1,
            message: "cannot read the lessons directory".into(),
        }];
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(LAB_FILE).is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .flat_map(|d| {
            let slug = d.file_name().map(PathBuf::from).unwrap_or_default();
            validate_lab(d, &slug)
        })
        .collect()
}

/// Keys each check kind accepts (besides `kind`).
fn allowed_keys(kind: &str) -> &'static [&'static str] {
    const TARGET: [&str; 3] = ["name", "selector", "namespace"];
    match kind {
        "exists" | "absent" => &["resource", TARGET[0], TARGET[1], TARGET[2]],
        "field" => &[
            "resource",
            "name",
            "selector",
            "namespace",
            "path",
            "op",
            "value",
            "any",
        ],
        "phase" => &["resource", "name", "selector", "namespace", "phase"],
        "pod_ready" => &TARGET,
        "replicas_ready" => &["resource", "name", "selector", "namespace"],
        "service_has_endpoints" | "service_port_matches" => &["service", "namespace"],
        "statefulset_headless" => &["statefulset", "namespace"],
        "pod_mounts_pvc" => &["name", "selector", "namespace", "path", "claim"],
        "pvc_bound_to" => &["claim", "namespace", "storage_class", "reclaim_policy"],
        "recreated" | "uid_unchanged" => &["resource", "name", "namespace"],
        "exec" => &[
            "name",
            "selector",
            "namespace",
            "command",
            "stdout",
            "stderr_contains",
            "exit_code",
        ],
        "sql" => &[
            "name",
            "selector",
            "namespace",
            "query",
            "host",
            "stdout",
            "stderr_contains",
            "exit_code",
        ],
        "dns" => &["name", "name_from", "namespace", "resolves_to_pod"],
        "survives_deletion" => &[
            "name",
            "selector",
            "namespace",
            "marker",
            "path",
            "expect_survives",
        ],
        _ => &[],
    }
}

/// Line numbers of `[[tasks]]` and `[[tasks.checks]]` headers: (task line, its check lines).
fn header_lines(text: &str) -> Vec<(usize, Vec<usize>)> {
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l == "[[tasks]]" {
            out.push((i + 1, Vec::new()));
        } else if l == "[[tasks.checks]]"
            && let Some(last) = out.last_mut()
        {
            last.1.push(i + 1);
        }
    }
    out
}

/// The first line mentioning `needle`, or `fallback`.
fn line_of(text: &str, needle: &str, fallback: usize) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or(fallback)
}

/// Validates one lesson folder's `lab.toml`; `shown` is how the folder is named in messages.
pub fn validate_lab(dir: &Path, shown: &Path) -> Vec<LabProblem> {
    let file = shown.join(LAB_FILE);
    let mut problems = Vec::new();
    let mut push = |line: usize, message: String| {
        problems.push(LabProblem {
            file: file.clone(),
            line,
            message,
        });
    };
    let text = match std::fs::read_to_string(dir.join(LAB_FILE)) {
        Ok(t) => t,
        Err(e) => {
            push(1, format!("cannot read: {e}"));
            return problems;
        }
    };
    let span_line = |e: &toml::de::Error| {
        e.span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(1)
    };
    // 1. Syntax.
    let raw: toml::Table = match toml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            push(span_line(&e), format!("lab.toml: {}", e.message()));
            return problems;
        }
    };
    let headers = header_lines(&text);
    // 2. Check kinds and keys, table by table (before the typed parse, whose errors are vaguer).
    let tasks = raw
        .get("tasks")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut structural = false;
    for (ti, task) in tasks.iter().enumerate() {
        let task_line = headers.get(ti).map(|h| h.0).unwrap_or(1);
        let checks = task
            .get("checks")
            .and_then(toml::Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (ci, check) in checks.iter().enumerate() {
            let line = headers
                .get(ti)
                .and_then(|h| h.1.get(ci))
                .copied()
                .unwrap_or(task_line);
            let Some(table) = check.as_table() else {
                push(line, "a check must be a table".into());
                structural = true;
                continue;
            };
            let Some(kind) = table.get("kind").and_then(toml::Value::as_str) else {
                push(line, "check without `kind`".into());
                structural = true;
                continue;
            };
            if !CHECK_KINDS.contains(&kind) {
                push(
                    line,
                    format!(
                        "unknown check kind `{kind}` (known: {})",
                        CHECK_KINDS.join(", ")
                    ),
                );
                structural = true;
                continue;
            }
            let allowed = allowed_keys(kind);
            for key in table.keys().filter(|k| k.as_str() != "kind") {
                if !allowed.contains(&key.as_str()) {
                    push(
                        line,
                        format!(
                            "check `{kind}` has no key `{key}` (it takes: {})",
                            allowed.join(", ")
                        ),
                    );
                    structural = true;
                }
            }
            if let Err(e) = Check::deserialize_from(check.clone()) {
                push(line, format!("check `{kind}`: {e}"));
                structural = true;
            }
        }
    }
    if structural {
        return problems;
    }
    // 3. The typed parse.
    let lab: Lab = match toml::from_str(&text) {
        Ok(l) => l,
        Err(e) => {
            push(span_line(&e), format!("lab.toml: {}", e.message()));
            return problems;
        }
    };
    // 4. Placeholders are declared, and a rendered lab still parses.
    let declared: BTreeSet<&str> = lab.vars.keys().map(String::as_str).collect();
    for (i, line) in text.lines().enumerate() {
        for name in placeholders(line) {
            if !declared.contains(name.as_str()) {
                push(
                    i + 1,
                    format!("unknown value `{{{{ {name} }}}}` (declare it under [vars])"),
                );
            }
        }
    }
    for (name, spec) in &lab.vars {
        if let crate::model::VarSpec::Choice { choices } = spec {
            if choices.is_empty() {
                push(
                    line_of(&text, name, 1),
                    format!("value `{name}` has no choices"),
                );
            }
            for c in choices {
                if !c
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
                {
                    push(
                        line_of(&text, c, 1),
                        format!(
                            "choice `{c}` of `{name}`: use letters, digits, `-`, `_` and `.` only"
                        ),
                    );
                }
            }
        }
    }
    let vars = Vars::generate(&lab.vars, 0);
    if let Ok(rendered) = vars.render(&text)
        && let Err(e) = toml::from_str::<Lab>(&rendered)
    {
        push(
            span_line(&e),
            format!(
                "lab.toml does not parse once values are filled in: {}",
                e.message()
            ),
        );
    }
    // 5. Manifests.
    let mut files: Vec<(String, usize)> = lab
        .setup
        .iter()
        .map(|f| (f.clone(), line_of(&text, f, 1)))
        .collect();
    let steps = lab.tasks.iter().flat_map(|t| {
        t.solution
            .iter()
            .chain(t.mistakes.iter().flat_map(|m| m.steps.iter()))
    });
    let action_ids: BTreeSet<&str> = lab.actions.iter().map(|a| a.id.as_str()).collect();
    for step in steps.clone() {
        for f in step.apply.iter().chain(step.delete.iter()) {
            files.push((f.clone(), line_of(&text, f, 1)));
        }
    }
    files.sort();
    files.dedup();
    for (f, line) in &files {
        let path = dir.join(f);
        match std::fs::read_to_string(&path) {
            Err(e) => push(*line, format!("manifest {f}: {e}")),
            Ok(yaml) => {
                let rendered = vars.render(&yaml).unwrap_or(yaml);
                match parse_manifests(&rendered) {
                    Err(e) => push(*line, format!("manifest {f}: {e}")),
                    Ok(objs) if objs.is_empty() => {
                        push(*line, format!("manifest {f} holds no object"))
                    }
                    Ok(objs) => {
                        for o in objs {
                            let av = o.get("apiVersion").and_then(|v| v.as_str()).unwrap_or("");
                            let k = o.get("kind").and_then(|v| v.as_str()).unwrap_or("");
                            if kinds::for_object(av, k).is_none() {
                                push(
                                    *line,
                                    format!(
                                        "manifest {f}: unknown kind `{av}/{k}` (known: {})",
                                        kinds::names().join(", ")
                                    ),
                                );
                            }
                            if o.pointer("/metadata/name")
                                .and_then(|v| v.as_str())
                                .is_none_or(str::is_empty)
                            {
                                push(
                                    *line,
                                    format!("manifest {f}: a `{k}` without metadata.name"),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    // 6. Tasks, checks, steps.
    let mut ids = BTreeSet::new();
    for (ti, task) in lab.tasks.iter().enumerate() {
        let task_line = headers.get(ti).map(|h| h.0).unwrap_or(1);
        if !ids.insert(task.id.as_str()) {
            push(task_line, format!("task id `{}` is used twice", task.id));
        }
        if task.hints.is_empty() {
            push(task_line, format!("task `{}` has no hints", task.id));
        }
        if task.checks.is_empty() {
            push(task_line, format!("task `{}` has no checks", task.id));
        }
        if task.solution.is_empty() {
            push(
                task_line,
                format!("task `{}` has no reference solution", task.id),
            );
        }
        for step in task
            .solution
            .iter()
            .chain(task.mistakes.iter().flat_map(|m| m.steps.iter()))
        {
            if let Some(msg) = step_problem(step, &action_ids) {
                push(
                    line_of(
                        &text,
                        step.action.as_deref().unwrap_or("[[tasks.solution]]"),
                        task_line,
                    ),
                    format!("task `{}`: {msg}", task.id),
                );
            }
        }
        for (ci, check) in task.checks.iter().enumerate() {
            let line = headers
                .get(ti)
                .and_then(|h| h.1.get(ci))
                .copied()
                .unwrap_or(task_line);
            for msg in check_problems(check) {
                push(line, format!("check `{}`: {msg}", check.kind_name()));
            }
        }
    }
    for action in &lab.actions {
        if let crate::model::ActionKind::Scale { resource, .. } = &action.kind
            && kinds::lookup(resource).is_none()
        {
            push(
                line_of(&text, &action.id, 1),
                format!("action `{}`: unknown resource `{resource}`", action.id),
            );
        }
    }
    problems
}

fn step_problem(step: &Step, actions: &BTreeSet<&str>) -> Option<String> {
    let set = [
        step.apply.is_some(),
        step.delete.is_some(),
        step.action.is_some(),
        step.wait.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if set != 1 {
        return Some("a step needs exactly one of `apply`, `delete`, `action` or `wait`".into());
    }
    if let Some(w) = &step.wait {
        if kinds::lookup(&w.resource).is_none() {
            return Some(format!("wait: unknown resource `{}`", w.resource));
        }
        if let Err(e) = crate::path::parse(&w.path) {
            return Some(format!("wait: path `{}`: {e}", w.path));
        }
    }
    match &step.action {
        Some(a) if !actions.contains(a.as_str()) => {
            Some(format!("step names action `{a}`, which is not declared"))
        }
        _ => None,
    }
}

fn check_problems(check: &Check) -> Vec<String> {
    let mut out = Vec::new();
    let mut resource = |r: &str| {
        if kinds::lookup(r).is_none() {
            out.push(format!(
                "unknown resource `{r}` (known: {})",
                kinds::names().join(", ")
            ));
        }
    };
    match check {
        Check::Exists {
            resource: r,
            target,
        }
        | Check::Absent {
            resource: r,
            target,
        }
        | Check::Phase {
            resource: r,
            target,
            ..
        }
        | Check::ReplicasReady {
            resource: r,
            target,
        } => {
            resource(r);
            target_problem(target, &mut out);
        }
        Check::Field {
            resource: r,
            target,
            path,
            op,
            value,
            ..
        } => {
            resource(r);
            // NB: "every PersistentVolume" (or "any", with `any = true`) is a meaningful question
            // about a cluster-scoped kind; for namespaced kinds a missing target is a slip.
            let cluster_scoped = kinds::lookup(r).is_some_and(|k| !k.namespaced);
            if !cluster_scoped {
                target_problem(target, &mut out);
            }
            if let Err(e) = crate::path::parse(path) {
                out.push(e.to_string());
            }
            if needs_value(*op) && value.is_none() {
                out.push(format!("`{op:?}` needs a `value`"));
            }
            if let (crate::model::Op::Matches, Some(toml::Value::String(re))) = (op, value)
                && let Err(e) = regex::Regex::new(re)
            {
                out.push(format!("bad regex: {e}"));
            }
        }
        Check::Recreated { resource: r, .. } | Check::UidUnchanged { resource: r, .. } => {
            resource(r)
        }
        Check::PodReady { target } | Check::PodMountsPvc { target, .. } => {
            target_problem(target, &mut out)
        }
        Check::Exec {
            target, command, ..
        } => {
            target_problem(target, &mut out);
            if command.is_empty() {
                out.push("empty `command`".into());
            }
        }
        Check::Sql { target, .. } => target_problem(target, &mut out),
        Check::Dns {
            name, name_from, ..
        } => {
            if name.is_none() == name_from.is_none() {
                out.push("needs exactly one of `name` or `name_from`".into());
            }
            if let Some(f) = name_from {
                if kinds::lookup(&f.resource).is_none() {
                    out.push(format!("unknown resource `{}`", f.resource));
                }
                if let Err(e) = crate::path::parse(&f.path) {
                    out.push(e.to_string());
                }
            }
        }
        Check::SurvivesDeletion {
            target,
            marker,
            path,
            ..
        } => {
            target_problem(target, &mut out);
            if *marker == crate::model::Marker::File && path.is_none() {
                out.push("marker = \"file\" needs `path`".into());
            }
        }
        Check::ServiceHasEndpoints { .. }
        | Check::ServicePortMatches { .. }
        | Check::StatefulsetHeadless { .. }
        | Check::PvcBoundTo { .. } => {}
    }
    for a in assertions(check) {
        if needs_value(a.op) && a.value.is_none() {
            out.push(format!("`{:?}` needs a `value`", a.op));
        }
    }
    out
}

fn assertions(check: &Check) -> Vec<&crate::model::Assertion> {
    match check {
        Check::Exec { stdout, .. } | Check::Sql { stdout, .. } => stdout.iter().collect(),
        _ => Vec::new(),
    }
}

fn target_problem(t: &crate::model::Target, out: &mut Vec<String>) {
    if t.name.is_none() && t.selector.is_none() {
        out.push("needs `name` or `selector`".into());
    }
}

impl Check {
    /// Parses one check from its TOML table.
    ///
    /// # Errors
    /// The deserialisation error.
    pub fn deserialize_from(v: toml::Value) -> Result<Check, String> {
        v.try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab_dir(toml_text: &str, manifests: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(LAB_FILE), toml_text).expect("write lab");
        std::fs::create_dir_all(dir.path().join("manifests")).expect("mkdir");
        for (name, body) in manifests {
            std::fs::write(dir.path().join(name), body).expect("write manifest");
        }
        dir
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n";

    fn problems(toml_text: &str, manifests: &[(&str, &str)]) -> Vec<String> {
        let dir = lab_dir(toml_text, manifests);
        validate_lab(dir.path(), Path::new("09-x"))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_good_lab_has_no_problems() {
        let lab = r#"
title = "t"
setup = ["manifests/pod.yaml"]
[vars]
rows = { min = 1, max = 3 }
[[tasks]]
id = "a"
title = "A"
instructions = "Insert {{ rows }} rows"
hints = ["h"]
[[tasks.solution]]
apply = "manifests/pod.yaml"
[[tasks.checks]]
kind = "field"
resource = "Pod"
name = "p"
path = "spec.containers[*].name"
op = "count"
value = "{{ rows }}"
"#;
        assert_eq!(
            problems(lab, &[("manifests/pod.yaml", POD)]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_field_check_may_look_at_every_object_of_a_cluster_scoped_kind_only() {
        let lab = |resource: &str| {
            format!(
                r#"
title = "t"
[[tasks]]
id = "a"
title = "A"
instructions = "x"
hints = ["h"]
[[tasks.solution]]
apply = "manifests/pod.yaml"
[[tasks.checks]]
kind = "field"
resource = "{resource}"
path = "spec.claimRef.name"
op = "equals"
value = "keep-me"
any = true
"#
            )
        };
        assert_eq!(
            problems(&lab("PersistentVolume"), &[("manifests/pod.yaml", POD)]),
            Vec::<String>::new()
        );
        let got = problems(&lab("Pod"), &[("manifests/pod.yaml", POD)]);
        assert!(
            got.iter()
                .any(|p| p.contains("check `field`: needs `name` or `selector`")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_wait_step_names_a_known_resource_and_a_valid_path() {
        let lab = |wait: &str| {
            format!(
                r#"
title = "t"
[[tasks]]
id = "a"
title = "A"
instructions = "x"
hints = ["h"]
[[tasks.solution]]
apply = "manifests/pod.yaml"
[[tasks.solution]]
wait = {wait}
[[tasks.checks]]
kind = "exists"
resource = "Pod"
name = "p"
"#
            )
        };
        let files = [("manifests/pod.yaml", POD)];
        let good = r#"{ resource = "Pod", name = "p", path = "status.phase", equals = "Running" }"#;
        assert_eq!(problems(&lab(good), &files), Vec::<String>::new());
        let kind =
            r#"{ resource = "Pood", name = "p", path = "status.phase", equals = "Running" }"#;
        let got = problems(&lab(kind), &files);
        assert!(
            got.iter()
                .any(|p| p.contains("wait: unknown resource `Pood`")),
            "{got:#?}"
        );
        let path =
            r#"{ resource = "Pod", name = "p", path = "status..phase", equals = "Running" }"#;
        let got = problems(&lab(path), &files);
        assert!(
            got.iter().any(|p| p.contains("wait: path `status..phase`")),
            "{got:#?}"
        );
    }

    #[test]
    fn problems_name_the_file_and_line() {
        let lab = r#"
title = "t"
setup = ["manifests/missing.yaml", "manifests/bad.yaml"]
[[tasks]]
id = "a"
title = "A"
instructions = "x {{ nope }}"
[[tasks.solution]]
action = "ghost"
[[tasks.checks]]
kind = "field"
resource = "Pod"
name = "p"
path = "spec..x"
op = "equals"
value = 1
"#;
        let got = problems(lab, &[("manifests/bad.yaml", "kind: [unclosed")]);
        let has = |s: &str| got.iter().any(|p| p.contains(s));
        assert!(
            has("09-x/lab.toml:3: manifest manifests/missing.yaml"),
            "{got:#?}"
        );
        assert!(has("manifest manifests/bad.yaml"), "{got:#?}");
        assert!(has("09-x/lab.toml:4: task `a` has no hints"), "{got:#?}");
        assert!(
            has("09-x/lab.toml:7: unknown value `{{ nope }}`"),
            "{got:#?}"
        );
        assert!(has("action `ghost`"), "{got:#?}");
        assert!(
            has("09-x/lab.toml:10: check `field`: bad path `spec..x`"),
            "{got:#?}"
        );
    }

    #[test]
    fn unknown_kinds_and_keys_are_reported_at_their_check() {
        let lab = r#"
title = "t"
[[tasks]]
id = "a"
title = "A"
instructions = "x"
hints = ["h"]
[[tasks.checks]]
kind = "pod_ready"
name = "p"
[[tasks.checks]]
kind = "teleported"
[[tasks.checks]]
kind = "exists"
resource = "Pod"
nmae = "p"
"#;
        let got = problems(lab, &[]);
        assert!(
            got.iter()
                .any(|p| p.starts_with("09-x/lab.toml:11: unknown check kind `teleported`")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|p| p.starts_with("09-x/lab.toml:13: check `exists` has no key `nmae`")),
            "{got:#?}"
        );
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let got = problems("title = \"t\"\n[[tasks]\n", &[]);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(got[0].starts_with("09-x/lab.toml:2: lab.toml:"), "{got:#?}");
    }
}
