//! Which simulated image a container reference names.

/// A simulated image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Image {
    Mysql,
    Mariadb,
    Nginx,
    Busybox,
    Alpine,
}

impl Image {
    /// The image a reference such as `mysql:8.4`, `docker.io/library/nginx:1.27` or
    /// `busybox@sha256:…` names; None for images the sandbox cannot "pull".
    pub fn resolve(reference: &str) -> Option<Image> {
        let _ = reference;
        None
    }

    /// The image's ENTRYPOINT (may be empty).
    pub fn entrypoint(self) -> &'static [&'static str] {
        &[]
    }

    /// The image's CMD.
    pub fn cmd(self) -> &'static [&'static str] {
        &[]
    }
}
