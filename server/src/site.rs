//! The built browser bundle (wasm, js, css) and the Leptos options that point at it.

use std::path::{Path, PathBuf};

use leptos::config::LeptosOptions;

/// The name the bundle's files carry: pkg/kubedojo.wasm, pkg/kubedojo.js, pkg/kubedojo.css.
pub const OUTPUT_NAME: &str = "kubedojo";
const PKG_DIR: &str = "pkg";

/// Where the bundle is served from.
#[derive(Debug, Clone)]
pub struct Site {
    root: PathBuf,
}

/// A file of the bundle is missing.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} is missing; build the site first (`cargo xtask build`, or `cargo leptos build --release`) and start kubedojo from the repository root, or pass --site-root",
    .0.display()
)]
pub struct MissingBundle(PathBuf);

impl Site {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The bundle files the page loads.
    pub fn bundle_files(&self) -> [PathBuf; 3] {
        let pkg = self.root.join(PKG_DIR);
        ["wasm", "js", "css"].map(|ext| pkg.join(format!("{OUTPUT_NAME}.{ext}")))
    }

    /// Checks that the bundle is there, so a half-built site is not served.
    ///
    /// # Errors
    /// [`MissingBundle`] naming the first missing file.
    pub fn check_bundle(&self) -> Result<(), MissingBundle> {
        match self.bundle_files().into_iter().find(|f| !f.is_file()) {
            Some(missing) => Err(MissingBundle(missing)),
            None => Ok(()),
        }
    }

    /// Leptos options for this site (no environment variables needed).
    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(self.root.to_string_lossy().into_owned())
            .site_pkg_dir(PKG_DIR)
            .build()
    }
}
