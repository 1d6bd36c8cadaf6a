//! Which wasm bundle a page hydrates with.
//!
//! Learners' pages load `pkg/<name>.wasm`, built without the instructor pages; the instructor
//! pages load `pkg/<name>-instructor.wasm`, the whole app. A learner never downloads the
//! instructor's grid, forms and live views, which are a fifth of the app's code.
//!
//! A site built by cargo-leptos has only the one bundle (with every page, see the workspace's
//! `lib-features`), so the instructor pages fall back to it when the second bundle is absent.

use std::path::Path;

use leptos::config::LeptosOptions;

/// Appended to the output name for the instructor bundle. `cargo xtask build` writes it.
pub const INSTRUCTOR_SUFFIX: &str = "-instructor";

/// The pages under this path hydrate with the instructor bundle.
const INSTRUCTOR_PATH: &str = "/instructor";

/// `options` with the output name of the bundle the page at `path` hydrates with.
pub fn options_for_path(mut options: LeptosOptions, path: &str) -> LeptosOptions {
    if is_instructor_page(path) {
        let name = format!("{}{INSTRUCTOR_SUFFIX}", options.output_name);
        let wasm = Path::new(options.site_root.as_ref())
            .join(options.site_pkg_dir.as_ref())
            .join(format!("{name}.wasm"));
        if wasm.is_file() {
            options.output_name = name.into();
        }
    }
    options
}

fn is_instructor_page(path: &str) -> bool {
    path.strip_prefix(INSTRUCTOR_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(site_root: &Path) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("kubedojo")
            .site_root(site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .build()
    }

    #[test]
    fn instructor_pages_take_the_instructor_bundle_when_it_was_built() -> std::io::Result<()> {
        let site = tempfile::tempdir()?;
        std::fs::create_dir_all(site.path().join("pkg"))?;
        let name = |path| options_for_path(options(site.path()), path).output_name;
        // Not built (a cargo-leptos site): every page takes the one bundle.
        assert_eq!(&*name("/instructor"), "kubedojo");
        std::fs::write(site.path().join("pkg/kubedojo-instructor.wasm"), b"\0asm")?;
        assert_eq!(&*name("/instructor"), "kubedojo-instructor");
        assert_eq!(&*name("/instructor/workshops/abc"), "kubedojo-instructor");
        for learner_page in [
            "/",
            "/join/ABCD-EFGH",
            "/lessons/02-x",
            "/instructors",
            "/x/instructor",
        ] {
            assert_eq!(&*name(learner_page), "kubedojo", "{learner_page}");
        }
        Ok(())
    }
}
