//! Network tools: nslookup, wget, curl, ping, nc — all through [`crate::Network`].

use super::Ctx;
use crate::http::{HttpRequest, HttpResponse};
use crate::{ConnectError, Listener};
use std::net::Ipv4Addr;

/// busybox 1.36 `nslookup NAME`.
pub async fn nslookup(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let args: Vec<&String> = argv[1..].iter().filter(|a| !a.starts_with('-')).collect();
    let Some(name) = args.first() else {
        ctx.err("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n").await;
        return 1;
    };
    let dns = ctx.net.dns_server();
    let mut out = format!("Server:\t\t{dns}\nAddress:\t{dns}:53\n\n");
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        // Reverse lookups are not simulated; busybox prints NXDOMAIN for unknown PTRs.
        out.push_str(&format!(
            "** server can't find {}.in-addr.arpa: NXDOMAIN\n\n",
            reverse(ip)
        ));
        ctx.out(&out).await;
        return 1;
    }
    match ctx.net.lookup(name) {
        Ok(l) => {
            for a in &l.addrs {
                out.push_str(&format!("Name:\t{}\nAddress: {a}\n", l.fqdn));
            }
            out.push('\n');
            ctx.out(&out).await;
            0
        }
        Err(_) => {
            let tried = if name.contains('.') {
                name.trim_end_matches('.').to_string()
            } else {
                format!("{name}.default.svc.cluster.local")
            };
            out.push_str(&format!("** server can't find {tried}: NXDOMAIN\n\n"));
            ctx.out(&out).await;
            1
        }
    }
}

fn reverse(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
}

/// A parsed `http://host[:port]/path` URL.
struct Url {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Option<Url> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    if rest.starts_with("https://") || url.starts_with("https://") {
        return None;
    }
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().ok()?),
        None => (hostport.to_string(), 80),
    };
    if host.is_empty() {
        return None;
    }
    Some(Url { host, port, path })
}

enum FetchError {
    BadAddress,
    Connect(Ipv4Addr, ConnectError),
    NotHttp,
}

fn resolve(ctx: &Ctx, host: &str) -> Option<Ipv4Addr> {
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Some(ip);
    }
    if host == "localhost" {
        return Some(Ipv4Addr::LOCALHOST);
    }
    ctx.net
        .lookup(host)
        .ok()
        .and_then(|l| l.addrs.first().copied())
}

fn fetch(ctx: &Ctx, url: &Url, agent: &str) -> Result<HttpResponse, FetchError> {
    let ip = resolve(ctx, &url.host).ok_or(FetchError::BadAddress)?;
    match ctx.net.connect(ip, url.port) {
        Ok(Listener::Http(server)) => {
            let host = if url.port == 80 {
                url.host.clone()
            } else {
                format!("{}:{}", url.host, url.port)
            };
            Ok(server.get(&HttpRequest::get(&url.path, &host, agent, &client_ip(ctx))))
        }
        Ok(_) => Err(FetchError::NotHttp),
        Err(e) => Err(FetchError::Connect(ip, e)),
    }
}

/// The address the server logs for this client: the pod's own IP as the network sees it.
fn client_ip(ctx: &Ctx) -> String {
    ctx.net
        .lookup(&ctx.hostname)
        .ok()
        .and_then(|l| l.addrs.first().map(ToString::to_string))
        .unwrap_or_else(|| "10.244.0.1".to_string())
}

/// busybox `wget`: `-qO- URL`, `-O file URL`, `--spider`, `-T secs`, `-q`.
pub async fn wget(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let mut quiet = false;
    let mut output: Option<String> = None;
    let mut spider = false;
    let mut url: Option<String> = None;
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        match a {
            "-q" | "--quiet" => quiet = true,
            "--spider" | "-s" => spider = true,
            "-O" | "--output-document" => {
                output = argv.get(i + 1).cloned();
                i += 1;
            }
            "-T" | "--timeout" | "-U" | "--header" | "-t" => i += 1,
            _ if a.starts_with("--timeout=") || a.starts_with("-T") && a.len() > 2 => {}
            _ if a.starts_with("-O") && a.len() > 2 => output = Some(a[2..].to_string()),
            _ if a.starts_with('-') && a.len() > 1 && !a.starts_with("--") => {
                // Combined short flags like -qO- or -qO file.
                let flags = &a[1..];
                if flags.contains('q') {
                    quiet = true;
                }
                if let Some(p) = flags.find('O') {
                    let rest = &flags[p + 1..];
                    if rest.is_empty() {
                        output = argv.get(i + 1).cloned();
                        i += 1;
                    } else {
                        output = Some(rest.to_string());
                    }
                }
            }
            _ => url = Some(a.to_string()),
        }
        i += 1;
    }
    let Some(raw) = url else {
        ctx.err("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...\n").await;
        return 1;
    };
    let Some(u) = parse_url(&raw) else {
        ctx.err(&format!("wget: not an http or ftp url: {raw}\n"))
            .await;
        return 1;
    };
    let file = output.clone().unwrap_or_else(|| {
        let last = u.path.rsplit('/').next().unwrap_or_default();
        if last.is_empty() {
            "index.html".to_string()
        } else {
            last.to_string()
        }
    });
    if !quiet {
        ctx.err(&format!(
            "Connecting to {} ({}:{})\n",
            if u.port == 80 {
                u.host.clone()
            } else {
                format!("{}:{}", u.host, u.port)
            },
            resolve(ctx, &u.host).map_or("?".to_string(), |ip| ip.to_string()),
            u.port
        ))
        .await;
    }
    let resp = match fetch(ctx, &u, "Wget") {
        Ok(r) => r,
        Err(FetchError::BadAddress) => {
            ctx.err(&format!("wget: bad address '{}'\n", u.host)).await;
            return 1;
        }
        Err(FetchError::Connect(ip, ConnectError::Refused)) => {
            ctx.err(&format!(
                "wget: can't connect to remote host ({ip}): Connection refused\n"
            ))
            .await;
            return 1;
        }
        Err(FetchError::Connect(ip, ConnectError::TimedOut)) => {
            ctx.err(&format!(
                "wget: can't connect to remote host ({ip}): Connection timed out\n"
            ))
            .await;
            return 1;
        }
        Err(FetchError::NotHttp) => {
            ctx.err("wget: error getting response: Connection reset by peer\n")
                .await;
            return 1;
        }
    };
    if resp.status >= 400 {
        ctx.err(&format!(
            "wget: server returned error: HTTP/1.1 {} {}\n",
            resp.status, resp.reason
        ))
        .await;
        return 1;
    }
    if spider {
        if !quiet {
            ctx.err("remote file exists\n").await;
        }
        return 0;
    }
    if file == "-" {
        let _ = ctx.stdout.write(&resp.body).await;
        return 0;
    }
    if let Err(e) = ctx.fs.write(&ctx.cwd, &file, &resp.body) {
        ctx.err(&format!(
            "wget: can't open '{file}': {}\n",
            e.to_string().rsplit(": ").next().unwrap_or_default()
        ))
        .await;
        return 1;
    }
    if !quiet {
        let n = resp.body.len();
        ctx.err(&format!("saving to '{file}'\n{file:<20} 100% |********************************|   {n}  0:00:00 ETA\n'{file}' saved\n")).await;
    }
    0
}

/// `curl -s URL` (nginx image), `-o file`, `-I`, `-f`, `-v` basics.
pub async fn curl(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let mut silent = false;
    let mut show_err = false;
    let mut head = false;
    let mut fail = false;
    let mut output: Option<String> = None;
    let mut url: Option<String> = None;
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        if a == "-o" || a == "--output" {
            output = argv.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if a == "-m" || a == "--max-time" || a == "-H" || a == "-w" || a == "--connect-timeout" {
            i += 2;
            continue;
        }
        if a.starts_with("--") {
            match a {
                "--silent" => silent = true,
                "--head" => head = true,
                "--fail" => fail = true,
                "--show-error" => show_err = true,
                _ => {}
            }
        } else if a.starts_with('-') && a.len() > 1 {
            for c in a[1..].chars() {
                match c {
                    's' => silent = true,
                    'S' => show_err = true,
                    'I' => head = true,
                    'f' => fail = true,
                    _ => {}
                }
            }
        } else {
            url = Some(a.to_string());
        }
        i += 1;
    }
    let quiet_errors = silent && !show_err;
    let Some(raw) = url else {
        ctx.err("curl: try 'curl --help' or 'curl --manual' for more information\n")
            .await;
        return 2;
    };
    let Some(u) = parse_url(&raw) else {
        if !quiet_errors {
            ctx.err(&format!(
                "curl: (1) Protocol \"{}\" not supported\n",
                raw.split("://").next().unwrap_or_default()
            ))
            .await;
        }
        return 1;
    };
    let resp = match fetch(ctx, &u, "curl/7.88.1") {
        Ok(r) => r,
        Err(FetchError::BadAddress) => {
            if !quiet_errors {
                ctx.err(&format!("curl: (6) Could not resolve host: {}\n", u.host))
                    .await;
            }
            return 6;
        }
        Err(FetchError::Connect(_, ConnectError::TimedOut)) => {
            if !quiet_errors {
                ctx.err(&format!(
                    "curl: (28) Failed to connect to {} port {}: Connection timed out\n",
                    u.host, u.port
                ))
                .await;
            }
            return 28;
        }
        Err(FetchError::Connect(..)) => {
            if !quiet_errors {
                ctx.err(&format!("curl: (7) Failed to connect to {} port {} after 0 ms: Couldn't connect to server\n", u.host, u.port)).await;
            }
            return 7;
        }
        Err(FetchError::NotHttp) => {
            if !quiet_errors {
                ctx.err("curl: (1) Received HTTP/0.9 when not allowed\n")
                    .await;
            }
            return 1;
        }
    };
    if fail && resp.status >= 400 {
        if !quiet_errors {
            ctx.err(&format!(
                "curl: (22) The requested URL returned error: {}\n",
                resp.status
            ))
            .await;
        }
        return 22;
    }
    if head {
        let mut text = format!("HTTP/1.1 {} {}\r\n", resp.status, resp.reason);
        for (k, v) in &resp.headers {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
        text.push_str("\r\n");
        ctx.out(&text).await;
        return 0;
    }
    match output {
        Some(f) if f != "-" => {
            if let Err(e) = ctx.fs.write(&ctx.cwd, &f, &resp.body) {
                ctx.err(&format!(
                    "curl: (23) Failure writing output to destination ({e})\n"
                ))
                .await;
                return 23;
            }
        }
        _ => {
            let _ = ctx.stdout.write(&resp.body).await;
        }
    }
    0
}

/// busybox `ping`: ICMP is not simulated; the name is resolved and replies are reported for
/// addresses something listens on is not knowable, so it says so honestly.
pub async fn ping(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let Some(host) = argv[1..].iter().rfind(|a| !a.starts_with('-')) else {
        ctx.err("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n").await;
        return 1;
    };
    match resolve(ctx, host) {
        Some(ip) => {
            ctx.out(&format!("PING {host} ({ip}): 56 data bytes\n"))
                .await;
            ctx.err(
                "ping: ICMP is not simulated in this sandbox; use wget or nc -z to test a port\n",
            )
            .await;
            1
        }
        None => {
            ctx.err(&format!("ping: bad address '{host}'\n")).await;
            1
        }
    }
}

/// `nc -z [-v] host port`: is something listening?
pub async fn nc(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let verbose = argv.iter().any(|a| a.starts_with('-') && a.contains('v'));
    let zero = argv.iter().any(|a| a.starts_with('-') && a.contains('z'));
    let ops: Vec<&String> = argv[1..].iter().filter(|a| !a.starts_with('-')).collect();
    let (Some(host), Some(port)) = (ops.first(), ops.get(1).and_then(|p| p.parse::<u16>().ok()))
    else {
        ctx.err("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\n").await;
        return 1;
    };
    if !zero {
        ctx.err("nc: only 'nc -z HOST PORT' (port check) is simulated\n")
            .await;
        return 1;
    }
    let Some(ip) = resolve(ctx, host) else {
        ctx.err(&format!("nc: bad address '{host}'\n")).await;
        return 1;
    };
    match ctx.net.connect(ip, port) {
        Ok(_) => {
            if verbose {
                ctx.err(&format!("{host} ({ip}:{port}) open\n")).await;
            }
            0
        }
        Err(e) => {
            if verbose {
                ctx.err(&format!("nc: {host} ({ip}:{port}): {e}\n")).await;
            }
            1
        }
    }
}
