//! Building the site: the hydrate bundle (wasm + js), the stylesheet, and the server binary.
//!
//! The layout is what cargo-leptos produces, so both routes serve the same `target/site`.

use std::path::{Path, PathBuf};

use crate::step::{self, Failure, announce};
use crate::tools;

const OUTPUT_NAME: &str = "kubedojo";

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

/// Builds `target/site/pkg/kubedojo.{wasm,js,css}`.
pub fn build_site() -> Result<(), Failure> {
    let root = workspace_root();
    tools::ensure_wasm_target()?;
    let wasm_bindgen = tools::ensure_wasm_bindgen(&root)?;
    let mut wasm_opt = tools::ensure_wasm_opt(&root)?;

    announce("Compiling the browser bundle (kubedojo-app, feature hydrate, wasm32)");
    step::run(
        step::cargo(&root)
            .args([
                "build",
                "--package",
                "kubedojo-app",
                "--lib",
                "--target",
                "wasm32-unknown-unknown",
                "--no-default-features",
                "--features",
                "hydrate",
                "--profile",
                "wasm-release",
                "--target-dir",
            ])
            .arg(root.join("target/front")),
    )?;

    let pkg = root.join("target/site/pkg");
    std::fs::create_dir_all(&pkg)
        .map_err(|e| Failure(format!("cannot create {}: {e}", pkg.display())))?;
    announce("Generating JS bindings (wasm-bindgen)");
    step::run(
        std::process::Command::new(wasm_bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                OUTPUT_NAME,
                "--out-dir",
            ])
            .arg(&pkg)
            .arg(root.join("target/front/wasm32-unknown-unknown/wasm-release/kubedojo_app.wasm")),
    )?;
    // Leptos' HydrationScripts loads `<name>.wasm` when LEPTOS_OUTPUT_NAME is set at compile time.
    let generated = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    let wasm = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    std::fs::rename(&generated, &wasm)
        .map_err(|e| Failure(format!("cannot move {}: {e}", generated.display())))?;

    announce("Optimising the wasm for size (wasm-opt -Oz)");
    step::run(
        wasm_opt
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
            ])
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm),
    )?;

    announce("Copying the stylesheet");
    let css = pkg.join(format!("{OUTPUT_NAME}.css"));
    std::fs::copy(root.join("style/main.css"), &css)
        .map_err(|e| Failure(format!("cannot copy style/main.css: {e}")))?;
    crate::terminal_assets::build(&root, &pkg)?;
    let size = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0);
    println!(
        "    site ready in target/site ({} KiB of wasm before compression)",
        size / 1024
    );
    Ok(())
}
