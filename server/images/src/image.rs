//! Which simulated image a container reference names, and what it ships with.

use crate::{ContainerFs, FsError};

/// A simulated image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Image {
    Mysql,
    Mariadb,
    Nginx,
    Busybox,
    Alpine,
}

const NGINX_INDEX: &str = r#"<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"#;

const NGINX_DEFAULT_CONF: &str = r#"server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"#;

const NGINX_50X: &str = r#"<!DOCTYPE html>
<html>
<head>
<title>Error</title>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
</body>
</html>
"#;

impl Image {
    /// The image a reference such as `mysql:8.4`, `docker.io/library/nginx:1.27` or
    /// `busybox@sha256:…` names; None for images the sandbox cannot "pull".
    pub fn resolve(reference: &str) -> Option<Image> {
        let reference = reference.trim();
        // Strip the digest, then the tag (a ':' after the last '/'; a registry port comes before).
        let no_digest = reference.split('@').next().unwrap_or_default();
        let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
        let (name_part, tag) = match no_digest[last_slash..].find(':') {
            Some(i) => (
                &no_digest[..last_slash + i],
                Some(&no_digest[last_slash + i + 1..]),
            ),
            None => (no_digest, None),
        };
        if tag.is_some_and(|t| !plausible_tag(t)) {
            return None;
        }
        let mut parts: Vec<&str> = name_part.split('/').collect();
        // A first component with a '.' or ':' (or "localhost") is a registry host.
        if parts.len() > 1 {
            let first = parts[0];
            if first.contains('.') || first.contains(':') || first == "localhost" {
                if first != "docker.io"
                    && first != "index.docker.io"
                    && first != "registry-1.docker.io"
                {
                    return None;
                }
                parts.remove(0);
            }
        }
        let path = match parts.as_slice() {
            [name] => *name,
            ["library", name] => *name,
            _ => return None,
        };
        match path {
            "mysql" => Some(Image::Mysql),
            "mariadb" => Some(Image::Mariadb),
            "nginx" => Some(Image::Nginx),
            "busybox" => Some(Image::Busybox),
            "alpine" => Some(Image::Alpine),
            _ => None,
        }
    }

    /// The image's ENTRYPOINT (may be empty).
    pub fn entrypoint(self) -> &'static [&'static str] {
        match self {
            Image::Mysql | Image::Mariadb => &["docker-entrypoint.sh"],
            Image::Nginx => &["/docker-entrypoint.sh"],
            Image::Busybox | Image::Alpine => &[],
        }
    }

    /// The image's CMD.
    pub fn cmd(self) -> &'static [&'static str] {
        match self {
            Image::Mysql => &["mysqld"],
            Image::Mariadb => &["mariadbd"],
            Image::Nginx => &["nginx", "-g", "daemon off;"],
            Image::Busybox => &["sh"],
            Image::Alpine => &["/bin/sh"],
        }
    }

    /// The software version the image carries (for logs and `--version`).
    pub fn version(self) -> &'static str {
        match self {
            Image::Mysql => "8.4.3",
            Image::Mariadb => "11.4.4",
            Image::Nginx => "1.27.3",
            Image::Busybox => "1.36.1",
            Image::Alpine => "3.21.0",
        }
    }

    /// The image's name as in a reference.
    pub fn name(self) -> &'static str {
        match self {
            Image::Mysql => "mysql",
            Image::Mariadb => "mariadb",
            Image::Nginx => "nginx",
            Image::Busybox => "busybox",
            Image::Alpine => "alpine",
        }
    }

    /// The shell's prompt user / home etc. come from here: the default `PATH` of the image.
    pub fn default_env(self) -> Vec<(String, String)> {
        let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        let mut env = vec![("PATH".to_string(), path.to_string())];
        match self {
            Image::Mysql => {
                env.push(("GOSU_VERSION".into(), "1.17".into()));
                env.push(("MYSQL_MAJOR".into(), "8.4".into()));
                env.push(("MYSQL_VERSION".into(), "8.4.3-1.el9".into()));
                env.push(("MYSQL_SHELL_VERSION".into(), "8.4.3-1.el9".into()));
            }
            Image::Mariadb => {
                env.push(("GOSU_VERSION".into(), "1.17".into()));
                env.push(("LANG".into(), "C.UTF-8".into()));
                env.push(("MARIADB_VERSION".into(), "1:11.4.4+maria~ubu2404".into()));
            }
            Image::Nginx => {
                env.push(("NGINX_VERSION".into(), "1.27.3".into()));
                env.push(("NJS_VERSION".into(), "0.8.7".into()));
                env.push(("PKG_RELEASE".into(), "1~bookworm".into()));
            }
            Image::Busybox | Image::Alpine => {}
        }
        env
    }

    fn os_release(self) -> &'static str {
        match self {
            Image::Mysql => {
                "NAME=\"Oracle Linux Server\"\nVERSION=\"9.5\"\nID=\"ol\"\nID_LIKE=\"fedora\"\nVARIANT=\"Server\"\nVARIANT_ID=\"server\"\nVERSION_ID=\"9.5\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"Oracle Linux Server 9.5\"\nANSI_COLOR=\"0;31\"\nCPE_NAME=\"cpe:/o:oracle:linux:9:5:server\"\nHOME_URL=\"https://linux.oracle.com/\"\n"
            }
            Image::Mariadb => {
                "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.1 LTS (Noble Numbat)\"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nUBUNTU_CODENAME=noble\n"
            }
            Image::Nginx => {
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n"
            }
            // busybox has no /etc/os-release; `cat` reports it missing like the real image.
            Image::Busybox => "",
            Image::Alpine => {
                "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.0\nPRETTY_NAME=\"Alpine Linux v3.21\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n"
            }
        }
    }

    /// Write the files the image ships with into a fresh container layer. Files under a mount are
    /// left alone (a volume mounted over a path hides what the image had there).
    ///
    /// # Errors
    /// Any file error of the layer.
    pub fn populate(self, fs: &ContainerFs) -> Result<(), FsError> {
        let mut dirs: Vec<&str> = vec!["/bin", "/etc", "/tmp", "/root", "/var", "/usr/bin"];
        let mut files: Vec<(&str, &str)> = Vec::new();
        let os = self.os_release();
        if !os.is_empty() {
            files.push(("/etc/os-release", os));
        }
        files.push((
            "/etc/passwd",
            match self {
                Image::Mysql => {
                    "root:x:0:0:root:/root:/bin/bash\nmysql:x:999:999::/var/lib/mysql:/bin/bash\n"
                }
                Image::Mariadb => {
                    "root:x:0:0:root:/root:/bin/bash\nmysql:x:999:999::/home/mysql:/bin/sh\n"
                }
                Image::Nginx => {
                    "root:x:0:0:root:/root:/bin/bash\nnginx:x:101:101:nginx user:/nonexistent:/bin/false\n"
                }
                Image::Busybox | Image::Alpine => {
                    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
                }
            },
        ));
        match self {
            Image::Mysql | Image::Mariadb => {
                dirs.extend([
                    "/etc/mysql/conf.d",
                    "/var/lib/mysql",
                    "/var/run/mysqld",
                    "/docker-entrypoint-initdb.d",
                ]);
            }
            Image::Nginx => {
                dirs.extend([
                    "/usr/share/nginx/html",
                    "/etc/nginx/conf.d",
                    "/var/log/nginx",
                    "/docker-entrypoint.d",
                ]);
                files.push(("/usr/share/nginx/html/index.html", NGINX_INDEX));
                files.push(("/usr/share/nginx/html/50x.html", NGINX_50X));
                files.push(("/etc/nginx/conf.d/default.conf", NGINX_DEFAULT_CONF));
            }
            Image::Busybox | Image::Alpine => {
                dirs.extend(["/home", "/usr/sbin"]);
            }
        }
        for d in dirs {
            if !fs.is_read_only(d) && fs.resolve("/", d)?.base == fs.root {
                fs.mkdir_all("/", d)?;
            }
        }
        for (path, text) in files {
            let r = fs.resolve("/", path)?;
            if r.base != fs.root {
                continue;
            }
            if let Some(parent) = r.host.parent() {
                std::fs::create_dir_all(parent).map_err(|e| FsError::Io {
                    path: path.to_string(),
                    source: e,
                })?;
            }
            fs.write("/", path, text.as_bytes())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_official_references() {
        for r in [
            "mysql",
            "mysql:8.0",
            "mysql:8.4",
            "mysql:latest",
            "docker.io/library/mysql:8",
            "library/mysql",
            "mysql@sha256:0123abcd",
            "index.docker.io/library/mysql:8.4@sha256:ff",
        ] {
            assert_eq!(Image::resolve(r), Some(Image::Mysql), "{r}");
        }
        assert_eq!(Image::resolve("mariadb:11.4"), Some(Image::Mariadb));
        assert_eq!(Image::resolve("nginx:1.27-alpine"), Some(Image::Nginx));
        assert_eq!(Image::resolve("busybox:1.36"), Some(Image::Busybox));
        assert_eq!(Image::resolve("docker.io/alpine:3.20"), Some(Image::Alpine));
        for r in [
            "postgres",
            "bitnami/mysql",
            "quay.io/mysql",
            "mysqlx:1",
            "",
            "ghcr.io/library/nginx",
        ] {
            assert_eq!(Image::resolve(r), None, "{r}");
        }
    }

    #[test]
    fn entrypoints_match_official_images() {
        assert_eq!(Image::Mysql.entrypoint(), ["docker-entrypoint.sh"]);
        assert_eq!(Image::Mysql.cmd(), ["mysqld"]);
        assert_eq!(Image::Mariadb.cmd(), ["mariadbd"]);
        assert_eq!(Image::Nginx.entrypoint(), ["/docker-entrypoint.sh"]);
        assert_eq!(Image::Nginx.cmd(), ["nginx", "-g", "daemon off;"]);
        assert!(Image::Busybox.entrypoint().is_empty());
        assert_eq!(Image::Alpine.cmd(), ["/bin/sh"]);
    }

    #[test]
    fn populate_writes_nginx_page_but_not_under_mounts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("layer");
        let vol = dir.path().join("vol");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::create_dir_all(&vol).expect("mkdir");
        let fs = ContainerFs::new(root, vec![]);
        Image::Nginx.populate(&fs).expect("populate");
        let page = fs
            .read_string("/", "/usr/share/nginx/html/index.html")
            .expect("index");
        assert!(page.contains("<h1>Welcome to nginx!</h1>"));
        assert!(fs.exists("/", "/etc/nginx/conf.d/default.conf"));
        let fs = ContainerFs::new(
            dir.path().join("layer2"),
            vec![crate::Mount {
                path: "/usr/share/nginx/html".into(),
                host: vol.clone(),
                read_only: true,
            }],
        );
        std::fs::create_dir_all(&fs.root).expect("mkdir");
        Image::Nginx.populate(&fs).expect("populate");
        assert!(!vol.join("index.html").exists());
        Image::Mysql.populate(&fs).expect("populate");
        assert!(fs.is_dir("/", "/etc/mysql/conf.d"));
    }
}

/// Whether a tag is one the simulated registry has: `latest` and the official images' named
/// tags, or a version (`8`, `8.4`, `1.27.3`, `8.4-oracle`, `3.20.0-alpine`). A typo such as
/// `nginx:does-not-exist` is not, so it fails to pull like on a real cluster.
fn plausible_tag(tag: &str) -> bool {
    const NAMED: &[&str] = &[
        "latest",
        "lts",
        "stable",
        "mainline",
        "edge",
        "alpine",
        "stable-alpine",
        "mainline-alpine",
        "musl",
        "glibc",
        "uclibc",
        "oracle",
        "debian",
        "bookworm",
        "jammy",
        "noble",
        "innovation",
    ];
    if NAMED.contains(&tag) {
        return true;
    }
    let (version, suffix) = tag.split_once('-').unwrap_or((tag, ""));
    let parts: Vec<&str> = version.split('.').collect();
    let version_ok = (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
    let suffix_ok = suffix
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    version_ok && suffix_ok
}

#[cfg(test)]
mod tag_tests {
    use super::*;

    #[test]
    fn versions_and_named_tags_pull_and_typos_do_not() {
        for ok in [
            "mysql:8.4",
            "mysql:8.0.40",
            "nginx:1.27-alpine",
            "busybox:1.36.1-musl",
            "alpine:latest",
            "mariadb:lts",
            "mysql",
        ] {
            assert!(Image::resolve(ok).is_some(), "{ok}");
        }
        for bad in [
            "nginx:does-not-exist",
            "mysql:eight",
            "busybox:1.36.1.2",
            "nginx:",
        ] {
            assert!(Image::resolve(bad).is_none(), "{bad}");
        }
    }
}
