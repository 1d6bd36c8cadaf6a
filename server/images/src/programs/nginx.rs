//! nginx and its image entrypoint: static files from /usr/share/nginx/html on port 80.

use super::Ctx;
use crate::http::HttpServer;
use crate::{Listener, Signal};
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::mpsc;

const VERSION: &str = "1.27.3";

/// `/docker-entrypoint.sh nginx -g 'daemon off;'`: the notices, then exec nginx.
pub async fn entrypoint(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let rest = &argv[1..];
    let Some(first) = rest.first() else {
        return 0;
    };
    if super::basename(first) == "nginx" || super::basename(first) == "nginx-debug" {
        let quiet = ctx
            .getenv("NGINX_ENTRYPOINT_QUIET_LOGS")
            .is_some_and(|v| !v.is_empty());
        if !quiet {
            let e = "/docker-entrypoint.sh";
            let d = "/docker-entrypoint.d";
            ctx.out(&format!(
                "{e}: {d}/ is not empty, will attempt to perform configuration\n\
                 {e}: Looking for shell scripts in {d}/\n\
                 {e}: Launching {d}/10-listen-on-ipv6-by-default.sh\n\
                 10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf\n\
                 10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf\n\
                 {e}: Sourcing {d}/15-local-resolvers.envsh\n\
                 {e}: Launching {d}/20-envsubst-on-templates.sh\n\
                 {e}: Launching {d}/30-tune-worker-processes.sh\n\
                 {e}: Configuration complete; ready for start up\n"
            ))
            .await;
        }
        return main(ctx, rest).await;
    }
    if !super::exists(ctx.image, first) {
        ctx.err(&format!(
            "/docker-entrypoint.sh: 47: exec: {first}: not found\n"
        ))
        .await;
        return 127;
    }
    super::run(ctx, rest).await
}

fn notice(pid: u32, text: &str) -> String {
    let ts = Utc::now().format("%Y/%m/%d %H:%M:%S");
    format!("{ts} [notice] {pid}#{pid}: {text}\n")
}

/// `nginx` (`-v`, `-t`, `-g 'daemon off;'`).
pub async fn main(ctx: &mut Ctx, argv: &[String]) -> i32 {
    if argv.iter().any(|a| a == "-v" || a == "-V") {
        ctx.err(&format!("nginx version: nginx/{VERSION}\n")).await;
        return 0;
    }
    if argv.iter().any(|a| a == "-t" || a == "-T") {
        ctx.err("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n").await;
        return 0;
    }
    if argv.iter().any(|a| a == "-s") {
        ctx.err("nginx: [error] invalid PID number \"\" in \"/var/run/nginx.pid\"\n")
            .await;
        return 1;
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let server = Arc::new(HttpServer::new(
        ctx.fs.clone(),
        "/usr/share/nginx/html",
        VERSION,
        tx,
    ));
    let guard = match ctx.net.listen(80, Listener::Http(server)) {
        Ok(g) => g,
        Err(_) => {
            ctx.err(&format!("{}", Utc::now().format("%Y/%m/%d %H:%M:%S [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)\nnginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\n"))).await;
            return 1;
        }
    };
    ctx.err(
        &[
            notice(1, "using the \"epoll\" event method"),
            notice(1, &format!("nginx/{VERSION}")),
            notice(1, "built by gcc 12.2.0 (Debian 12.2.0-14)"),
            notice(1, "OS: Linux 6.8.0-kubedojo"),
            notice(1, "getrlimit(RLIMIT_NOFILE): 1048576:1048576"),
            notice(1, "start worker processes"),
            notice(1, "start worker process 29"),
            notice(1, "start worker process 30"),
        ]
        .concat(),
    )
    .await;
    let mut signal = ctx.signal.clone();
    let sig = loop {
        tokio::select! {
            line = rx.recv() => {
                if let Some(line) = line {
                    ctx.out(&line).await;
                }
            }
            changed = signal.changed() => {
                if changed.is_err() {
                    std::future::pending::<()>().await;
                }
                if let Some(s) = *signal.borrow_and_update() {
                    break s;
                }
            }
        }
    };
    drop(guard);
    if sig == Signal::Kill {
        return 137;
    }
    ctx.err(
        &[
            notice(1, "signal 15 (SIGTERM) received, exiting"),
            notice(29, "exiting"),
            notice(29, "exit"),
            notice(30, "exiting"),
            notice(30, "exit"),
            notice(1, "signal 17 (SIGCHLD) received from 29"),
            notice(1, "worker process 29 exited with code 0"),
            notice(1, "exit"),
        ]
        .concat(),
    )
    .await;
    0
}
