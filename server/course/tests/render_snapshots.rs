//! Snapshot tests of lesson HTML: `tests/fixtures/NAME.md` must render to
//! `tests/snapshots/NAME.html`. After an intended change, regenerate with
//! `SNAPSHOTS=overwrite cargo test -p kubedojo-course --test render_snapshots` and review the diff.

use std::path::Path;

use kubedojo_course::render_markdown;

fn check_snapshot(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let fixture = dir.join("fixtures").join(format!("{name}.md"));
    let snapshot = dir.join("snapshots").join(format!("{name}.html"));
    let markdown = std::fs::read_to_string(&fixture)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", fixture.display()));
    let html = render_markdown(&markdown).html;
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::write(&snapshot, &html)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", snapshot.display()));
        return;
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with SNAPSHOTS=overwrite",
            snapshot.display()
        )
    });
    assert!(
        html == expected,
        "{name}: rendered HTML differs from {}.\n--- expected\n{expected}\n--- got\n{html}",
        snapshot.display()
    );
}

#[test]
fn sample_lesson_renders_as_snapshotted() {
    check_snapshot("sample");
}
