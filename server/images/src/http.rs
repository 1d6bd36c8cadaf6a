//! A small HTTP server object (nginx) and its request/response types.

use crate::ContainerFs;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A request as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    /// Path with query, e.g. `/index.html?x=1`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The client's address for the access log.
    pub client: String,
}

impl HttpRequest {
    /// A GET with the usual headers of a client tool.
    pub fn get(path: &str, host: &str, user_agent: &str, client: &str) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            path: path.to_string(),
            headers: vec![
                ("Host".into(), host.to_string()),
                ("User-Agent".into(), user_agent.to_string()),
                ("Accept".into(), "*/*".into()),
            ],
            client: client.to_string(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// nginx: static files under a document root, one access-log line per request.
pub struct HttpServer {
    fs: Arc<ContainerFs>,
    root: String,
    version: String,
    log: mpsc::UnboundedSender<String>,
}

fn not_found_page(version: &str) -> String {
    format!(
        "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
    )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" => "application/javascript",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" | "log" | "conf" => "text/plain",
        _ => "application/octet-stream",
    }
}

impl HttpServer {
    /// A server for `root`; access-log lines go to `log`.
    pub fn new(
        fs: Arc<ContainerFs>,
        root: &str,
        version: &str,
        log: mpsc::UnboundedSender<String>,
    ) -> HttpServer {
        HttpServer {
            fs,
            root: root.trim_end_matches('/').to_string(),
            version: version.to_string(),
            log,
        }
    }

    /// Serve a GET for `path` with the given headers (the sandbox's port-forward / probes).
    pub fn get_path(&self, path: &str, headers: &[(String, String)], client: &str) -> HttpResponse {
        self.get(&HttpRequest {
            method: "GET".into(),
            path: path.to_string(),
            headers: headers.to_vec(),
            client: client.to_string(),
        })
    }

    /// Serve one request.
    pub fn get(&self, req: &HttpRequest) -> HttpResponse {
        let path = req.path.split(['?', '#']).next().unwrap_or("/");
        let clean = crate::normalize("/", path);
        let mut file = format!("{}{}", self.root, if clean == "/" { "" } else { &clean });
        if self.fs.is_dir("/", &file) {
            file = format!("{file}/index.html");
        }
        let (status, reason, body, ctype) = match self.fs.read("/", &file) {
            Ok(data) if req.method == "GET" || req.method == "HEAD" => {
                (200, "OK", data, content_type(&file))
            }
            Ok(_) => (405, "Not Allowed", Vec::new(), "text/html"),
            Err(_) => (
                404,
                "Not Found",
                not_found_page(&self.version).into_bytes(),
                "text/html",
            ),
        };
        let now = chrono::Utc::now();
        let line = format!(
            "{} - - [{}] \"{} {} HTTP/1.1\" {} {} \"{}\" \"{}\" \"-\"\n",
            req.client,
            now.format("%d/%b/%Y:%H:%M:%S %z"),
            req.method,
            req.path,
            status,
            body.len(),
            req.header("Referer").unwrap_or("-"),
            req.header("User-Agent").unwrap_or("-"),
        );
        let _ = self.log.send(line);
        let body = if req.method == "HEAD" {
            Vec::new()
        } else {
            body
        };
        HttpResponse {
            status,
            reason: reason.to_string(),
            headers: vec![
                ("Server".into(), format!("nginx/{}", self.version)),
                (
                    "Date".into(),
                    now.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
                ),
                ("Content-Type".into(), ctype.into()),
                ("Content-Length".into(), body.len().to_string()),
                ("Connection".into(), "keep-alive".into()),
            ],
            body,
        }
    }
}
