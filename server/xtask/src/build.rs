//! Building the site: the hydrate bundle (wasm + js), the stylesheet, and the server binary.
//!
//! The layout is what cargo-leptos produces, so both routes serve the same `target/site`.

use std::path::{Path, PathBuf};

use crate::step::{self, Failure, announce};
use crate::tools;

const OUTPUT_NAME: &str = "kubedojo";
/// The instructor bundle's name is the output name with this suffix; the server's side of this
/// is `kubedojo_app::bundle::INSTRUCTOR_SUFFIX` (xtask does not build the app crate).
const INSTRUCTOR_SUFFIX: &str = "-instructor";

pub fn workspace_root() -> PathBuf {
    // server/xtask → the workspace root, two levels up.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or(manifest)
}

/// The site (wasm, js, css) and the release server binary.
pub fn build_all() -> Result<(), Failure> {
    build_site()?;
    announce("Building the kubedojo server (release)");
    step::run(step::cargo(&workspace_root()).args([
        "build",
        "--release",
        "--package",
        "kubedojo-server",
        "--bin",
        "kubedojo",
    ]))
}

/// Builds `target/site/pkg/kubedojo.{wasm,js,css}` and `kubedojo-instructor.{wasm,js}`.
pub fn build_site() -> Result<(), Failure> {
    let root = workspace_root();
    tools::ensure_wasm_target()?;
    let tools = BundleTools {
        wasm_bindgen: tools::ensure_wasm_bindgen(&root)?,
        wasm_opt: tools::ensure_wasm_opt(&root)?,
    };
    let pkg = root.join("target/site/pkg");
    std::fs::create_dir_all(&pkg)
        .map_err(|e| Failure(format!("cannot create {}: {e}", pkg.display())))?;

    // Two bundles from one crate: the learners' pages without the instructor pages, and the
    // whole app for the instructor pages (the server picks one per page, see app::bundle).
    let learners = Bundle {
        name: OUTPUT_NAME.to_string(),
        features: "hydrate",
        what: "the learners' pages",
    };
    let instructor = Bundle {
        name: format!("{OUTPUT_NAME}{INSTRUCTOR_SUFFIX}"),
        features: "hydrate,instructor",
        what: "the instructor pages",
    };
    let mut sizes = Vec::new();
    for bundle in [learners, instructor] {
        let size = build_bundle(&root, &pkg, &tools, &bundle)?;
        sizes.push(format!("{} KiB for {}", size / 1024, bundle.what));
    }

    announce("Copying the stylesheet");
    let css = pkg.join(format!("{OUTPUT_NAME}.css"));
    std::fs::copy(root.join("style/main.css"), &css)
        .map_err(|e| Failure(format!("cannot copy style/main.css: {e}")))?;
    crate::terminal_assets::build(&root, &pkg)?;
    println!(
        "    site ready in target/site (wasm before compression: {})",
        sizes.join(", ")
    );
    Ok(())
}

struct BundleTools {
    wasm_bindgen: PathBuf,
    wasm_opt: PathBuf,
}

/// One wasm bundle of the app: `pkg/<name>.{wasm,js}`.
struct Bundle {
    name: String,
    features: &'static str,
    what: &'static str,
}

/// Compiles, binds and optimises one bundle; returns the size of its wasm.
fn build_bundle(
    root: &Path,
    pkg: &Path,
    tools: &BundleTools,
    bundle: &Bundle,
) -> Result<u64, Failure> {
    announce(&format!(
        "Compiling the browser bundle for {} (kubedojo-app, features {}, wasm32)",
        bundle.what, bundle.features
    ));
    step::run(
        step::cargo(root)
            .args([
                "build",
                "--package",
                "kubedojo-app",
                "--lib",
                "--target",
                "wasm32-unknown-unknown",
                "--no-default-features",
                "--features",
                bundle.features,
                "--profile",
                "wasm-release",
                "--target-dir",
            ])
            .arg(root.join("target/front")),
    )?;

    announce("Generating JS bindings (wasm-bindgen)");
    step::run(
        std::process::Command::new(&tools.wasm_bindgen)
            .args(["--target", "web", "--no-typescript", "--out-name"])
            .arg(&bundle.name)
            .arg("--out-dir")
            .arg(pkg)
            .arg(root.join("target/front/wasm32-unknown-unknown/wasm-release/kubedojo_app.wasm")),
    )?;
    // Leptos' HydrationScripts loads `<name>.wasm` when LEPTOS_OUTPUT_NAME is set at compile time.
    let generated = pkg.join(format!("{}_bg.wasm", bundle.name));
    let wasm = pkg.join(format!("{}.wasm", bundle.name));
    std::fs::rename(&generated, &wasm)
        .map_err(|e| Failure(format!("cannot move {}: {e}", generated.display())))?;

    announce("Optimising the wasm for size (wasm-opt -Oz)");
    step::run(
        std::process::Command::new(&tools.wasm_opt)
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
            ])
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm),
    )?;
    Ok(std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0))
}
