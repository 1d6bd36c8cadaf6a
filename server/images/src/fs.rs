//! A container's view of files: its writable layer and its mounts, all real host directories.
//!
//! Every container path is normalised lexically (`.`/`..` never climb above `/`), the longest
//! mount prefix wins, and the host path is checked component by component so that no symlink
//! (which a learner cannot create here, but a host directory might hold) is ever followed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One volume mount.
#[derive(Debug, Clone)]
pub struct Mount {
    /// Absolute path inside the container, e.g. `/var/lib/mysql`.
    pub path: String,
    /// The host directory that backs it.
    pub host: PathBuf,
    pub read_only: bool,
}

/// A byte budget shared by every container of a cluster so that no cluster fills the host disk.
#[derive(Debug)]
pub struct Quota {
    remaining: AtomicU64,
}

impl Quota {
    /// A quota of `bytes` bytes.
    pub fn new(bytes: u64) -> Arc<Quota> {
        Arc::new(Quota {
            remaining: AtomicU64::new(bytes),
        })
    }

    /// Bytes still available.
    pub fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::SeqCst)
    }

    /// Take `bytes` from the budget; false (and nothing taken) when not enough is left.
    pub fn charge(&self, bytes: u64) -> bool {
        self.remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }

    /// Give bytes back (a file was truncated or removed).
    pub fn refund(&self, bytes: u64) {
        self.remaining.fetch_add(bytes, Ordering::SeqCst);
    }
}

/// The files a container sees.
#[derive(Debug, Clone)]
pub struct ContainerFs {
    /// The writable layer (the container's "/"), gone when the container is replaced.
    pub root: PathBuf,
    /// Volume mounts; the longest matching `path` wins.
    pub mounts: Vec<Mount>,
    /// Optional byte budget shared with other containers.
    pub quota: Option<Arc<Quota>>,
}

/// Why a file operation failed (messages like the real tools print).
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("{0}: No such file or directory")]
    NotFound(String),
    #[error("{0}: Read-only file system")]
    ReadOnly(String),
    #[error("{0}: No space left on device")]
    NoSpace(String),
    #[error("{0}: Is a directory")]
    IsDir(String),
    #[error("{0}: Not a directory")]
    NotDir(String),
    #[error("{0}: Directory not empty")]
    NotEmpty(String),
    #[error("{0}: Permission denied")]
    Denied(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Where a container path lives on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The normalised container path.
    pub path: String,
    /// The host path.
    pub host: PathBuf,
    /// The host directory that must contain `host` (layer root or mount).
    pub base: PathBuf,
    pub read_only: bool,
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub is_dir: bool,
    pub size: u64,
    /// Last modification, seconds since the epoch.
    pub mtime: i64,
}

/// Normalise `path` (absolute, or relative to `cwd`) lexically: `.` dropped, `..` pops but never
/// above `/`, repeated slashes collapsed.
pub fn normalize(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

fn io_err(path: &str, source: std::io::Error) -> FsError {
    match source.kind() {
        std::io::ErrorKind::NotFound => FsError::NotFound(path.to_string()),
        std::io::ErrorKind::PermissionDenied => FsError::Denied(path.to_string()),
        std::io::ErrorKind::IsADirectory => FsError::IsDir(path.to_string()),
        std::io::ErrorKind::NotADirectory => FsError::NotDir(path.to_string()),
        std::io::ErrorKind::DirectoryNotEmpty => FsError::NotEmpty(path.to_string()),
        std::io::ErrorKind::StorageFull => FsError::NoSpace(path.to_string()),
        _ => FsError::Io {
            path: path.to_string(),
            source,
        },
    }
}

impl ContainerFs {
    /// A container filesystem with no quota.
    pub fn new(root: impl Into<PathBuf>, mounts: Vec<Mount>) -> ContainerFs {
        ContainerFs {
            root: root.into(),
            mounts,
            quota: None,
        }
    }

    /// The same filesystem charging writes to `quota`.
    pub fn with_quota(mut self, quota: Arc<Quota>) -> ContainerFs {
        self.quota = Some(quota);
        self
    }

    /// Resolve a container path to the host. `..` cannot escape `/`; any symlink on the way is
    /// refused rather than followed.
    ///
    /// # Errors
    /// [`FsError::Denied`] when a symlink lies on the path.
    pub fn resolve(&self, cwd: &str, path: &str) -> Result<Resolved, FsError> {
        let norm = normalize(cwd, path);
        let mount = self
            .mounts
            .iter()
            .filter(|m| {
                let mp = normalize("/", &m.path);
                mp == "/" || norm == mp || norm.starts_with(&format!("{mp}/"))
            })
            .max_by_key(|m| normalize("/", &m.path).len());
        let (base, rest, read_only) = match mount {
            Some(m) => {
                let mp = normalize("/", &m.path);
                let rest = norm
                    .strip_prefix(&mp)
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string();
                (m.host.clone(), rest, m.read_only)
            }
            None => (
                self.root.clone(),
                norm.trim_start_matches('/').to_string(),
                false,
            ),
        };
        let mut host = base.clone();
        for part in rest.split('/').filter(|p| !p.is_empty()) {
            host.push(part);
            // Refuse symlinks anywhere below the base: following one could leave the sandbox.
            if let Ok(meta) = std::fs::symlink_metadata(&host)
                && meta.file_type().is_symlink()
            {
                return Err(FsError::Denied(norm));
            }
        }
        if !host.starts_with(&base) {
            return Err(FsError::Denied(norm));
        }
        Ok(Resolved {
            path: norm,
            host,
            base,
            read_only,
        })
    }

    fn writable(&self, cwd: &str, path: &str) -> Result<Resolved, FsError> {
        let r = self.resolve(cwd, path)?;
        if r.read_only {
            return Err(FsError::ReadOnly(r.path));
        }
        Ok(r)
    }

    /// Host path of a container path, for engines (SQLite) that need a real file.
    ///
    /// # Errors
    /// As [`ContainerFs::resolve`].
    pub fn host_path(&self, path: &str) -> Result<PathBuf, FsError> {
        Ok(self.resolve("/", path)?.host)
    }

    /// Whether the container path is on a read-only mount.
    pub fn is_read_only(&self, path: &str) -> bool {
        self.resolve("/", path)
            .map(|r| r.read_only)
            .unwrap_or(false)
    }

    /// Read a whole file.
    ///
    /// # Errors
    /// NotFound, IsDir, Io.
    pub fn read(&self, cwd: &str, path: &str) -> Result<Vec<u8>, FsError> {
        let r = self.resolve(cwd, path)?;
        if r.host.is_dir() {
            return Err(FsError::IsDir(r.path));
        }
        std::fs::read(&r.host).map_err(|e| io_err(&r.path, e))
    }

    /// Read a file as text (lossy UTF-8).
    ///
    /// # Errors
    /// As [`ContainerFs::read`].
    pub fn read_string(&self, cwd: &str, path: &str) -> Result<String, FsError> {
        Ok(String::from_utf8_lossy(&self.read(cwd, path)?).into_owned())
    }

    fn charge(&self, path: &str, bytes: u64) -> Result<(), FsError> {
        match &self.quota {
            Some(q) if !q.charge(bytes) => Err(FsError::NoSpace(path.to_string())),
            _ => Ok(()),
        }
    }

    fn refund(&self, bytes: u64) {
        if let Some(q) = &self.quota {
            q.refund(bytes);
        }
    }

    /// Create or truncate a file with `data`. The parent directory must exist.
    ///
    /// # Errors
    /// ReadOnly, NoSpace, NotFound (parent), IsDir, Io.
    pub fn write(&self, cwd: &str, path: &str, data: &[u8]) -> Result<(), FsError> {
        let r = self.writable(cwd, path)?;
        if r.host.is_dir() {
            return Err(FsError::IsDir(r.path));
        }
        let old = std::fs::metadata(&r.host).map(|m| m.len()).unwrap_or(0);
        let new = data.len() as u64;
        if new > old {
            self.charge(&r.path, new - old)?;
        }
        if let Err(e) = std::fs::write(&r.host, data) {
            if new > old {
                self.refund(new - old);
            }
            return Err(io_err(&r.path, e));
        }
        if old > new {
            self.refund(old - new);
        }
        Ok(())
    }

    /// Append to a file, creating it if needed.
    ///
    /// # Errors
    /// ReadOnly, NoSpace, NotFound (parent), IsDir, Io.
    pub fn append(&self, cwd: &str, path: &str, data: &[u8]) -> Result<(), FsError> {
        let r = self.writable(cwd, path)?;
        if r.host.is_dir() {
            return Err(FsError::IsDir(r.path));
        }
        self.charge(&r.path, data.len() as u64)?;
        let result = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&r.host)
            .and_then(|mut f| f.write_all(data));
        result.map_err(|e| {
            self.refund(data.len() as u64);
            io_err(&r.path, e)
        })
    }

    /// `mkdir -p`.
    ///
    /// # Errors
    /// ReadOnly, NotDir, Io.
    pub fn mkdir_all(&self, cwd: &str, path: &str) -> Result<(), FsError> {
        let r = self.resolve(cwd, path)?;
        if r.host.is_dir() {
            return Ok(());
        }
        if r.read_only {
            return Err(FsError::ReadOnly(r.path));
        }
        std::fs::create_dir_all(&r.host).map_err(|e| io_err(&r.path, e))
    }

    /// `mkdir` (parent must exist).
    ///
    /// # Errors
    /// ReadOnly, NotFound, Io (exists).
    pub fn mkdir(&self, cwd: &str, path: &str) -> Result<(), FsError> {
        let r = self.writable(cwd, path)?;
        std::fs::create_dir(&r.host).map_err(|e| io_err(&r.path, e))
    }

    /// List a directory, sorted by name. Mount points directly below it are listed too (a mount
    /// on an empty layer still shows up in `ls /`).
    ///
    /// # Errors
    /// NotFound, NotDir, Io.
    pub fn list(&self, cwd: &str, path: &str) -> Result<Vec<Entry>, FsError> {
        let r = self.resolve(cwd, path)?;
        let mut entries: Vec<Entry> = Vec::new();
        match std::fs::read_dir(&r.host) {
            Ok(rd) => {
                for e in rd.flatten() {
                    let meta = match e.metadata() {
                        Ok(m) => m,
                        Err(_) => continue,
                    };
                    entries.push(Entry {
                        name: e.file_name().to_string_lossy().into_owned(),
                        is_dir: meta.is_dir(),
                        size: meta.len(),
                        mtime: mtime(&meta),
                    });
                }
            }
            Err(e) => {
                if !self.is_mount_parent(&r.path) {
                    return Err(io_err(&r.path, e));
                }
            }
        }
        for m in &self.mounts {
            let mp = normalize("/", &m.path);
            let parent = normalize(&mp, "..");
            if parent == r.path && mp != "/" {
                let name = mp.rsplit('/').next().unwrap_or_default().to_string();
                if !entries.iter().any(|e| e.name == name) {
                    entries.push(Entry {
                        name,
                        is_dir: true,
                        size: 4096,
                        mtime: std::fs::metadata(&m.host).map_or(0, |m| mtime(&m)),
                    });
                }
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn is_mount_parent(&self, path: &str) -> bool {
        self.mounts.iter().any(|m| {
            let mp = normalize("/", &m.path);
            mp == path || mp.starts_with(&format!("{}/", path.trim_end_matches('/')))
        })
    }

    /// Whether the path exists.
    pub fn exists(&self, cwd: &str, path: &str) -> bool {
        match self.resolve(cwd, path) {
            Ok(r) => r.host.exists() || self.is_mount_parent(&r.path),
            Err(_) => false,
        }
    }

    /// Whether the path is a directory.
    pub fn is_dir(&self, cwd: &str, path: &str) -> bool {
        match self.resolve(cwd, path) {
            Ok(r) => r.host.is_dir() || self.is_mount_parent(&r.path),
            Err(_) => false,
        }
    }

    /// Size of a file in bytes.
    ///
    /// # Errors
    /// NotFound, Io.
    pub fn size(&self, cwd: &str, path: &str) -> Result<u64, FsError> {
        let r = self.resolve(cwd, path)?;
        std::fs::metadata(&r.host)
            .map(|m| m.len())
            .map_err(|e| io_err(&r.path, e))
    }

    /// Remove a file, or a directory (recursively when `recursive`). Mount points themselves
    /// cannot be removed (like `rm -rf /data` on a real volume: "Resource busy").
    ///
    /// # Errors
    /// ReadOnly, NotFound, IsDir (directory without `recursive`), Io.
    pub fn remove(&self, cwd: &str, path: &str, recursive: bool) -> Result<(), FsError> {
        let r = self.writable(cwd, path)?;
        if r.host == r.base {
            // The root of a mount or of the layer: empty it instead of removing it.
            if !recursive {
                return Err(FsError::IsDir(r.path));
            }
            let rd = std::fs::read_dir(&r.host).map_err(|e| io_err(&r.path, e))?;
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                self.remove(&r.path, &name, true)?;
            }
            return Ok(());
        }
        let meta = std::fs::symlink_metadata(&r.host).map_err(|e| io_err(&r.path, e))?;
        if meta.is_dir() {
            if !recursive {
                return Err(FsError::IsDir(r.path));
            }
            let size = dir_size(&r.host);
            std::fs::remove_dir_all(&r.host).map_err(|e| io_err(&r.path, e))?;
            self.refund(size);
        } else {
            std::fs::remove_file(&r.host).map_err(|e| io_err(&r.path, e))?;
            self.refund(meta.len());
        }
        Ok(())
    }

    /// Rename within one mount (or the layer); across mounts it copies then removes.
    ///
    /// # Errors
    /// ReadOnly, NotFound, Io.
    pub fn rename(&self, cwd: &str, from: &str, to: &str) -> Result<(), FsError> {
        let a = self.writable(cwd, from)?;
        let b = self.writable(cwd, to)?;
        if a.base == b.base {
            return std::fs::rename(&a.host, &b.host).map_err(|e| io_err(&a.path, e));
        }
        let data = self.read(cwd, from)?;
        self.write(cwd, to, &data)?;
        self.remove(cwd, from, false)
    }

    /// Bytes used under a container path (rough `du`).
    pub fn usage(&self, cwd: &str, path: &str) -> u64 {
        match self.resolve(cwd, path) {
            Ok(r) if r.host.is_dir() => dir_size(&r.host),
            Ok(r) => std::fs::metadata(&r.host).map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// Charge bytes written by an engine that writes files itself (SQLite).
    ///
    /// # Errors
    /// NoSpace when the quota is exhausted.
    pub fn charge_external(&self, path: &str, bytes: u64) -> Result<(), FsError> {
        self.charge(path, bytes)
    }
}

fn mtime(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

impl ContainerFs {
    /// Metadata of one path (as an [`Entry`] named by its last component).
    ///
    /// # Errors
    /// NotFound, Io.
    pub fn stat(&self, cwd: &str, path: &str) -> Result<Entry, FsError> {
        let r = self.resolve(cwd, path)?;
        let meta = std::fs::metadata(&r.host).map_err(|e| io_err(&r.path, e))?;
        Ok(Entry {
            name: r.path.rsplit('/').next().unwrap_or_default().to_string(),
            is_dir: meta.is_dir(),
            size: meta.len(),
            mtime: mtime(&meta),
        })
    }
}

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(path) {
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => total += dir_size(&e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, ContainerFs) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("layer");
        let data = dir.path().join("pv");
        let deep = dir.path().join("deep");
        let conf = dir.path().join("conf");
        for d in [&root, &data, &deep, &conf] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        let fs = ContainerFs::new(
            root,
            vec![
                Mount {
                    path: "/var/lib".into(),
                    host: data,
                    read_only: false,
                },
                Mount {
                    path: "/var/lib/mysql/".into(),
                    host: deep,
                    read_only: false,
                },
                Mount {
                    path: "/etc/config".into(),
                    host: conf,
                    read_only: true,
                },
            ],
        );
        (dir, fs)
    }

    #[test]
    fn normalize_never_escapes_root() {
        assert_eq!(normalize("/", "../../etc/passwd"), "/etc/passwd");
        assert_eq!(normalize("/a/b", "../c/./d//e"), "/a/c/d/e");
        assert_eq!(normalize("/", "/"), "/");
        assert_eq!(normalize("/x", ".."), "/");
    }

    #[test]
    fn longest_mount_prefix_wins() {
        let (dir, fs) = setup();
        let r = fs.resolve("/", "/var/lib/mysql/shop/db").expect("resolve");
        assert_eq!(r.host, dir.path().join("deep/shop/db"));
        let r = fs.resolve("/", "/var/lib/other").expect("resolve");
        assert_eq!(r.host, dir.path().join("pv/other"));
        let r = fs.resolve("/", "/var/lib/mysqlx").expect("resolve");
        assert_eq!(r.host, dir.path().join("pv/mysqlx"));
        let r = fs.resolve("/var", "lib/../log/x").expect("resolve");
        assert_eq!(r.host, dir.path().join("layer/var/log/x"));
    }

    #[test]
    fn dotdot_cannot_escape_a_mount_or_the_layer() {
        let (dir, fs) = setup();
        let r = fs
            .resolve("/var/lib/mysql", "../../../../../../../../etc")
            .expect("resolve");
        assert_eq!(r.host, dir.path().join("layer/etc"));
        fs.write("/", "/../../../escape", b"x").expect("write");
        assert!(dir.path().join("layer/escape").exists());
        assert!(!dir.path().join("escape").exists());
    }

    #[test]
    fn read_only_mount_refuses_writes() {
        let (_dir, fs) = setup();
        let err = fs.write("/", "/etc/config/a", b"x").expect_err("read-only");
        assert!(matches!(err, FsError::ReadOnly(_)));
        assert_eq!(err.to_string(), "/etc/config/a: Read-only file system");
        assert!(matches!(
            fs.append("/", "/etc/config/a", b"x"),
            Err(FsError::ReadOnly(_))
        ));
        assert!(matches!(
            fs.mkdir_all("/", "/etc/config/sub"),
            Err(FsError::ReadOnly(_))
        ));
    }

    #[test]
    fn symlinks_are_not_followed() {
        let (dir, fs) = setup();
        std::os::unix::fs::symlink("/etc", dir.path().join("layer/link")).expect("symlink");
        assert!(matches!(
            fs.read("/", "/link/passwd"),
            Err(FsError::Denied(_))
        ));
    }

    #[test]
    fn file_operations_round_trip() {
        let (_dir, fs) = setup();
        fs.mkdir_all("/", "/data/a/b").expect("mkdir");
        fs.write("/data", "a/b/f", b"hello\n").expect("write");
        fs.append("/", "/data/a/b/f", b"world\n").expect("append");
        assert_eq!(
            fs.read_string("/", "/data/a/b/f").expect("read"),
            "hello\nworld\n"
        );
        assert_eq!(fs.size("/", "/data/a/b/f").expect("size"), 12);
        assert!(fs.is_dir("/", "/data/a"));
        let names: Vec<String> = fs
            .list("/", "/data/a/b")
            .expect("list")
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, vec!["f"]);
        fs.remove("/", "/data/a", true).expect("rm");
        assert!(!fs.exists("/", "/data/a"));
        assert!(matches!(
            fs.read("/", "/nope"),
            Err(FsError::NotFound(p)) if p == "/nope"
        ));
    }

    #[test]
    fn quota_limits_writes() {
        let (_dir, fs) = setup();
        let quota = Quota::new(10);
        let fs = fs.with_quota(quota.clone());
        fs.write("/", "/a", b"12345678").expect("fits");
        assert!(matches!(
            fs.append("/", "/a", b"123"),
            Err(FsError::NoSpace(_))
        ));
        fs.write("/", "/a", b"1").expect("shrink");
        assert_eq!(quota.remaining(), 9);
        fs.remove("/", "/a", false).expect("rm");
        assert_eq!(quota.remaining(), 10);
    }
}
