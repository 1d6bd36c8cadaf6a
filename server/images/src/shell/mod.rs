//! A small POSIX-ish shell (busybox ash flavour): lists, pipelines, redirects, quoting,
//! expansions, `if`/`while`/`for`, builtins, and an interactive prompt.

mod expand;
pub mod parse;

use crate::programs::{self, Ctx, ProgFuture};
use crate::stdio::{Input, Output};
use crate::tty::{LineEvent, LineReader};
use crate::{Image, normalize};
use parse::{Node, Redir, RedirOp};
use std::collections::HashMap;
use tokio::task::JoinSet;

/// Loop control requested by `break`/`continue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Break,
    Continue,
}

/// The shell's state.
pub struct Shell {
    pub ctx: Ctx,
    locals: HashMap<String, String>,
    status: i32,
    /// `$0`, `$1`, ...
    args: Vec<String>,
    exit: Option<i32>,
    flow: Option<Flow>,
    /// Name used in messages (`sh`, `bash`).
    name: String,
    /// Reading commands from a terminal/stdin prompt rather than a script or `-c`.
    interactive: bool,
    jobs: JoinSet<()>,
}

/// `sh`, `sh -c 'script' [arg0 args...]`, `sh script`, or interactive.
pub async fn main(ctx: &mut Ctx, argv: &[String]) -> i32 {
    let name = programs::basename(argv.first().map_or("sh", String::as_str)).to_string();
    let msg_name = if name == "ash" {
        "sh".to_string()
    } else {
        name.clone()
    };
    let mut sh = Shell::new(ctx.clone(), &msg_name);
    let mut i = 1;
    let mut command: Option<String> = None;
    while i < argv.len() {
        let a = &argv[i];
        if a == "-c" {
            command = argv.get(i + 1).cloned();
            if command.is_none() {
                ctx.err(&format!("{msg_name}: -c requires an argument\n"))
                    .await;
                return 2;
            }
            i += 2;
            break;
        } else if a == "-e"
            || a == "-x"
            || a == "-i"
            || a == "-l"
            || a == "-s"
            || a == "--login"
            || a == "-eu"
            || a == "-ex"
        {
            i += 1;
        } else {
            break;
        }
    }
    let rest: Vec<String> = argv[i.min(argv.len())..].to_vec();
    if let Some(script) = command {
        sh.args = if rest.is_empty() {
            vec![msg_name.clone()]
        } else {
            rest
        };
        let status = sh.run_script(&script).await;
        sh.finish().await;
        return status;
    }
    if let Some(file) = rest.first() {
        let text = match ctx.fs.read_string(&ctx.cwd, file) {
            Ok(t) => t,
            Err(_) => {
                ctx.err(&format!(
                    "{msg_name}: can't open '{file}': No such file or directory\n"
                ))
                .await;
                return 2;
            }
        };
        sh.args = rest.clone();
        let status = sh.run_script(&text).await;
        sh.finish().await;
        return status;
    }
    let status = sh.interactive().await;
    sh.finish().await;
    status
}

impl Shell {
    /// A shell over `ctx`.
    pub fn new(ctx: Ctx, name: &str) -> Shell {
        Shell {
            ctx,
            locals: HashMap::new(),
            status: 0,
            args: vec![name.to_string()],
            exit: None,
            flow: None,
            name: name.to_string(),
            interactive: false,
            jobs: JoinSet::new(),
        }
    }

    async fn finish(&mut self) {
        // Background jobs die with the shell (like a container whose PID 1 exits).
        self.jobs.abort_all();
    }

    /// Parse and run a script; the exit status.
    pub async fn run_script(&mut self, script: &str) -> i32 {
        match parse::parse(script) {
            Ok(node) => {
                let s = self.exec(&node).await;
                self.exit.unwrap_or(s)
            }
            Err(e) => {
                self.ctx.err(&format!("{}: {e}\n", self.name)).await;
                2
            }
        }
    }

    fn prompt(&self) -> String {
        let short = if self.ctx.cwd == "/root" {
            "~".to_string()
        } else {
            self.ctx.cwd.clone()
        };
        match (self.ctx.image, self.name.as_str()) {
            (Image::Busybox | Image::Alpine, _) => format!("{short} # "),
            (Image::Mysql, "bash") => "bash-5.1# ".into(),
            (Image::Mysql, _) => "sh-5.1# ".into(),
            (_, "bash") => format!("root@{}:{short}# ", self.ctx.hostname),
            _ => "# ".into(),
        }
    }

    async fn interactive(&mut self) -> i32 {
        self.interactive = true;
        let mut reader = LineReader::new(
            self.ctx.stdin.clone(),
            self.ctx.stdout.clone(),
            self.ctx.tty,
        );
        let mut pending = String::new();
        loop {
            let prompt = if pending.is_empty() {
                self.prompt()
            } else {
                "> ".to_string()
            };
            match reader.read_line(&prompt).await {
                LineEvent::Eof => {
                    if self.ctx.tty {
                        self.ctx.stdout.raw(b"\r\n").await;
                    }
                    return self.status;
                }
                LineEvent::Interrupt => {
                    pending.clear();
                    self.status = 130;
                }
                LineEvent::Line(line) => {
                    pending.push_str(&line);
                    pending.push('\n');
                    match parse::parse(&pending) {
                        Err(parse::SyntaxError::Eof(_)) | Err(parse::SyntaxError::Unterminated) => {
                        }
                        Err(e) => {
                            self.ctx.err(&format!("{}: {e}\n", self.name)).await;
                            self.status = 2;
                            pending.clear();
                        }
                        Ok(node) => {
                            pending.clear();
                            self.status = if self.ctx.tty {
                                self.exec_foreground(&node, &mut reader).await
                            } else {
                                self.exec(&node).await
                            };
                            if let Some(code) = self.exit {
                                return code;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Run a command typed at a terminal: its stdin is the terminal (cooked: echo, erase,
    /// Enter), and Ctrl-C stops it (status 130) like SIGINT to the foreground job.
    ///
    /// Type-ahead already read by the prompt is only handed to the command if the command is
    /// still running after its first step; a command that finishes at once leaves it for the
    /// next prompt, as a real terminal's input queue would.
    async fn exec_foreground(&mut self, node: &Node, reader: &mut LineReader) -> i32 {
        let raw = self.ctx.stdin.clone();
        let saved = (
            self.ctx.stdin.clone(),
            self.ctx.stdout.clone(),
            self.ctx.stderr.clone(),
        );
        let (feed, chan) = Input::channel();
        let echo_to = self.ctx.stdout.clone();
        self.ctx.stdin = chan.clone();
        let mut first = Some(reader.take_pending());
        let mut half_line: Vec<u8> = Vec::new();
        let result = {
            let exec = self.exec(node);
            tokio::pin!(exec);
            let early = tokio::select! {
                biased;
                s = &mut exec => Some(s),
                () = std::future::ready(()) => None,
            };
            match early {
                Some(s) => Some(s),
                None => {
                    let typed = first.take().unwrap_or_default();
                    let watch = crate::stdio::forward_until_interrupt(
                        raw.clone(),
                        feed,
                        typed,
                        echo_to,
                        &mut half_line,
                    );
                    tokio::pin!(watch);
                    tokio::select! {
                        biased;
                        s = &mut exec => Some(s),
                        () = &mut watch => None,
                    }
                }
            }
        };
        (self.ctx.stdin, self.ctx.stdout, self.ctx.stderr) = saved;
        // Unread input goes back to the prompt, in order: what the command left, the half-typed
        // line, then (already in `raw`) anything after a Ctrl-C.
        let mut leftover = first.unwrap_or_default();
        leftover.extend(chan.drain_now());
        leftover.extend_from_slice(&half_line);
        reader.unshift(&leftover);
        match result {
            Some(s) => s,
            None => {
                self.flow = None;
                self.ctx.stdout.raw(b"^C\r\n").await;
                130
            }
        }
    }

    fn lookup_var(&self, name: &str) -> Option<String> {
        match name {
            "?" => return Some(self.status.to_string()),
            "$" => return Some("1".into()),
            "#" => return Some(self.args.len().saturating_sub(1).to_string()),
            "@" | "*" => {
                return Some(
                    self.args
                        .iter()
                        .skip(1)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            "PWD" => return Some(self.ctx.cwd.clone()),
            "HOSTNAME" => return Some(self.ctx.hostname.clone()),
            "RANDOM" => return Some((rand::random::<u16>() % 32768).to_string()),
            _ => {}
        }
        if let Ok(n) = name.parse::<usize>() {
            return self.args.get(n).cloned();
        }
        self.locals
            .get(name)
            .cloned()
            .or_else(|| self.ctx.getenv(name).map(str::to_string))
    }

    fn set_var(&mut self, name: &str, value: &str) {
        if self.ctx.getenv(name).is_some() {
            self.ctx.setenv(name, value);
        } else {
            self.locals.insert(name.to_string(), value.to_string());
        }
    }

    /// Execute a node; its exit status.
    pub fn exec<'a>(&'a mut self, node: &'a Node) -> ProgFuture<'a> {
        Box::pin(async move {
            if self.exit.is_some() {
                return self.status;
            }
            let status = match node {
                Node::List(items) => {
                    let mut s = 0;
                    for (item, background) in items {
                        if self.exit.is_some() || self.flow.is_some() {
                            break;
                        }
                        if *background {
                            let mut sub = self.subshell();
                            let item = item.clone();
                            self.jobs.spawn(async move {
                                sub.exec(&item).await;
                            });
                            s = 0;
                        } else {
                            s = self.exec(item).await;
                        }
                        self.status = s;
                    }
                    s
                }
                Node::AndOr { first, rest } => {
                    let mut s = self.exec(first).await;
                    for (and, next) in rest {
                        if self.exit.is_some() || self.flow.is_some() {
                            break;
                        }
                        if (*and && s == 0) || (!*and && s != 0) {
                            s = self.exec(next).await;
                        }
                    }
                    s
                }
                Node::Pipeline { negate, stages } => {
                    let saved_in = self.ctx.stdin.clone();
                    let saved_out = self.ctx.stdout.clone();
                    let mut input = saved_in.clone();
                    let mut s = 0;
                    for (i, stage) in stages.iter().enumerate() {
                        let last = i + 1 == stages.len();
                        let out = if last {
                            saved_out.clone()
                        } else {
                            Output::buffer()
                        };
                        self.ctx.stdin = input.clone();
                        self.ctx.stdout = out.clone();
                        s = self.exec(stage).await;
                        if !last {
                            input = Input::bytes(out.take());
                        }
                    }
                    self.ctx.stdin = saved_in;
                    self.ctx.stdout = saved_out;
                    if *negate { i32::from(s == 0) } else { s }
                }
                Node::If {
                    branches,
                    otherwise,
                } => {
                    let mut done = None;
                    for (cond, body) in branches {
                        if self.exec(cond).await == 0 {
                            done = Some(self.exec(body).await);
                            break;
                        }
                        if self.exit.is_some() {
                            return self.status;
                        }
                    }
                    match (done, otherwise) {
                        (Some(s), _) => s,
                        (None, Some(o)) => self.exec(o).await,
                        (None, None) => 0,
                    }
                }
                Node::Loop { until, cond, body } => {
                    let mut s = 0;
                    loop {
                        let c = self.exec(cond).await;
                        if self.exit.is_some() {
                            break;
                        }
                        if (c == 0) == *until {
                            break;
                        }
                        s = self.exec(body).await;
                        match self.flow.take() {
                            Some(Flow::Break) => break,
                            Some(Flow::Continue) | None => {}
                        }
                        if self.exit.is_some() {
                            break;
                        }
                        // Let other tasks run even if the body never awaits (`while true; do :; done`).
                        tokio::task::yield_now().await;
                    }
                    s
                }
                Node::For { var, words, body } => {
                    let items = match words {
                        Some(ws) => {
                            let mut items = Vec::new();
                            for w in ws {
                                items.extend(self.expand_word(w).await);
                            }
                            items
                        }
                        None => self.args.iter().skip(1).cloned().collect(),
                    };
                    let mut s = 0;
                    for item in items {
                        self.set_var(var, &item);
                        s = self.exec(body).await;
                        match self.flow.take() {
                            Some(Flow::Break) => break,
                            Some(Flow::Continue) | None => {}
                        }
                        if self.exit.is_some() {
                            break;
                        }
                        tokio::task::yield_now().await;
                    }
                    s
                }
                Node::Group(body) => self.exec(body).await,
                Node::Subshell(body) => {
                    let mut sub = self.subshell();
                    let s = sub.exec(body).await;
                    sub.exit.unwrap_or(s)
                }
                Node::Redirected(inner, redirs) => {
                    let saved = (
                        self.ctx.stdin.clone(),
                        self.ctx.stdout.clone(),
                        self.ctx.stderr.clone(),
                    );
                    if let Err(s) = self.apply_redirs(redirs).await {
                        (self.ctx.stdin, self.ctx.stdout, self.ctx.stderr) = saved;
                        return s;
                    }
                    let s = self.exec(inner).await;
                    (self.ctx.stdin, self.ctx.stdout, self.ctx.stderr) = saved;
                    s
                }
                Node::Simple {
                    assigns,
                    words,
                    redirs,
                } => self.simple(assigns, words, redirs).await,
            };
            self.status = status;
            status
        })
    }

    fn subshell(&self) -> Shell {
        let mut sub = Shell::new(self.ctx.clone(), &self.name);
        sub.locals = self.locals.clone();
        sub.args = self.args.clone();
        sub.status = self.status;
        sub
    }

    async fn apply_redirs(&mut self, redirs: &[Redir]) -> Result<(), i32> {
        for r in redirs {
            match r.op {
                RedirOp::HereDoc => {
                    let body = self.expand_heredoc(&r.target).await;
                    self.ctx.stdin = Input::bytes(body.into_bytes());
                    continue;
                }
                RedirOp::HereDocLiteral => {
                    self.ctx.stdin = Input::bytes(r.target.clone().into_bytes());
                    continue;
                }
                _ => {}
            }
            let target = self.expand_word(&r.target).await.join(" ");
            match r.op {
                RedirOp::HereDoc | RedirOp::HereDocLiteral => {}
                RedirOp::Dup => {
                    let src = match target.as_str() {
                        "1" => self.ctx.stdout.clone(),
                        "2" => self.ctx.stderr.clone(),
                        _ => continue,
                    };
                    match r.fd {
                        1 => self.ctx.stdout = src,
                        2 => self.ctx.stderr = src,
                        _ => {}
                    }
                }
                RedirOp::In => {
                    if target == "/dev/null" {
                        self.ctx.stdin = Input::Empty;
                        continue;
                    }
                    match self.ctx.fs.read(&self.ctx.cwd, &target) {
                        Ok(data) => self.ctx.stdin = Input::bytes(data),
                        Err(e) => {
                            self.ctx
                                .err(&format!(
                                    "{}: can't open '{target}': {}\n",
                                    self.name,
                                    reason(&e)
                                ))
                                .await;
                            return Err(1);
                        }
                    }
                }
                RedirOp::Out | RedirOp::Append => {
                    let out = match target.as_str() {
                        "/dev/null" => Output::Null,
                        "/dev/stdout" => self.ctx.stdout.clone(),
                        "/dev/stderr" => self.ctx.stderr.clone(),
                        _ => {
                            let path = normalize(&self.ctx.cwd, &target);
                            let res = if r.op == RedirOp::Out {
                                self.ctx.fs.write("/", &path, b"")
                            } else {
                                self.ctx.fs.append("/", &path, b"")
                            };
                            if let Err(e) = res {
                                self.ctx
                                    .err(&format!(
                                        "{}: can't create {target}: {}\n",
                                        self.name,
                                        reason(&e)
                                    ))
                                    .await;
                                return Err(1);
                            }
                            Output::File {
                                fs: self.ctx.fs.clone(),
                                path,
                            }
                        }
                    };
                    match r.fd {
                        1 => self.ctx.stdout = out,
                        2 => self.ctx.stderr = out,
                        9 => {
                            self.ctx.stdout = out.clone();
                            self.ctx.stderr = out;
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    async fn simple(
        &mut self,
        assigns: &[(String, String)],
        words: &[String],
        redirs: &[Redir],
    ) -> i32 {
        let mut argv = Vec::new();
        for w in words {
            argv.extend(self.expand_word(w).await);
        }
        let mut values = Vec::new();
        for (k, v) in assigns {
            let v = self.expand_str(v).await;
            values.push((k.clone(), v));
        }
        let saved = (
            self.ctx.stdin.clone(),
            self.ctx.stdout.clone(),
            self.ctx.stderr.clone(),
        );
        if let Err(s) = self.apply_redirs(redirs).await {
            (self.ctx.stdin, self.ctx.stdout, self.ctx.stderr) = saved;
            return s;
        }
        let status = if argv.is_empty() {
            for (k, v) in &values {
                self.set_var(k, v);
            }
            self.status
        } else {
            self.command(&argv, &values).await
        };
        (self.ctx.stdin, self.ctx.stdout, self.ctx.stderr) = saved;
        status
    }

    async fn command(&mut self, argv: &[String], assigns: &[(String, String)]) -> i32 {
        let name = argv[0].as_str();
        match name {
            "exit" => {
                let code = argv
                    .get(1)
                    .and_then(|c| c.parse::<i32>().ok())
                    .unwrap_or(self.status);
                self.exit = Some(code & 0xff);
                return code & 0xff;
            }
            "cd" => {
                let target = argv
                    .get(1)
                    .cloned()
                    .unwrap_or_else(|| self.lookup_var("HOME").unwrap_or_else(|| "/root".into()));
                let path = normalize(&self.ctx.cwd, &target);
                if !self.ctx.fs.is_dir("/", &path) {
                    let why = if self.ctx.fs.exists("/", &path) {
                        "Not a directory"
                    } else {
                        "No such file or directory"
                    };
                    self.ctx
                        .err(&format!("{}: cd: can't cd to {target}: {why}\n", self.name))
                        .await;
                    return 2;
                }
                self.ctx.cwd = path;
                return 0;
            }
            "export" => {
                for a in &argv[1..] {
                    match a.split_once('=') {
                        Some((k, v)) => {
                            self.locals.remove(k);
                            self.ctx.setenv(k, v);
                        }
                        None => {
                            let v = self.locals.remove(a.as_str()).unwrap_or_default();
                            if self.ctx.getenv(a).is_none() {
                                self.ctx.setenv(a, &v);
                            }
                        }
                    }
                }
                if argv.len() == 1 {
                    let lines: String = self
                        .ctx
                        .env
                        .iter()
                        .map(|(k, v)| format!("export {k}='{v}'\n"))
                        .collect();
                    self.ctx.out(&lines).await;
                }
                return 0;
            }
            "unset" => {
                for a in &argv[1..] {
                    self.locals.remove(a.as_str());
                    self.ctx.env.retain(|(k, _)| k != a);
                }
                return 0;
            }
            ":" => return 0,
            "break" => {
                self.flow = Some(Flow::Break);
                return 0;
            }
            "continue" => {
                self.flow = Some(Flow::Continue);
                return 0;
            }
            "shift" => {
                let n = argv
                    .get(1)
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(1);
                for _ in 0..n {
                    if self.args.len() > 1 {
                        self.args.remove(1);
                    }
                }
                return 0;
            }
            "set" | "trap" | "ulimit" | "umask" | "wait" | "local" | "alias" | "hash" => {
                if name == "wait" {
                    while self.jobs.join_next().await.is_some() {}
                }
                if name == "set" && argv.len() == 1 {
                    let mut vars: Vec<(String, String)> = self.ctx.env.clone();
                    vars.extend(self.locals.iter().map(|(k, v)| (k.clone(), v.clone())));
                    vars.sort();
                    let text: String = vars.iter().map(|(k, v)| format!("{k}='{v}'\n")).collect();
                    self.ctx.out(&text).await;
                }
                return 0;
            }
            "read" => {
                let mut reader = LineReader::new(
                    self.ctx.stdin.clone(),
                    self.ctx.stdout.clone(),
                    self.ctx.tty,
                );
                let names: Vec<&String> =
                    argv[1..].iter().filter(|a| !a.starts_with('-')).collect();
                return match reader.read_line("").await {
                    LineEvent::Line(line) => {
                        let mut parts: Vec<&str> = line.split_whitespace().collect();
                        for (i, n) in names.iter().enumerate() {
                            let v = if i + 1 == names.len() {
                                parts.join(" ")
                            } else if parts.is_empty() {
                                String::new()
                            } else {
                                parts.remove(0).to_string()
                            };
                            self.set_var(n, &v);
                        }
                        0
                    }
                    _ => 1,
                };
            }
            "." | "source" => {
                let Some(file) = argv.get(1) else { return 2 };
                let text = match self.ctx.fs.read_string(&self.ctx.cwd, file) {
                    Ok(t) => t,
                    Err(_) => {
                        self.ctx
                            .err(&format!("{}: .: {file}: not found\n", self.name))
                            .await;
                        return 2;
                    }
                };
                return match parse::parse(&text) {
                    Ok(n) => self.exec(&n).await,
                    Err(e) => {
                        self.ctx.err(&format!("{}: {e}\n", self.name)).await;
                        2
                    }
                };
            }
            "eval" => {
                let text = argv[1..].join(" ");
                return match parse::parse(&text) {
                    Ok(n) => self.exec(&n).await,
                    Err(e) => {
                        self.ctx.err(&format!("{}: {e}\n", self.name)).await;
                        2
                    }
                };
            }
            "exec" => {
                if argv.len() == 1 {
                    return 0;
                }
                let code = Box::pin(self.command(&argv[1..], assigns)).await;
                self.exit = Some(code);
                return code;
            }
            "type" | "command" => {
                if name == "command" && argv.get(1).map(String::as_str) != Some("-v") {
                    return Box::pin(self.command(&argv[1..], assigns)).await;
                }
                let mut s = 0;
                for a in argv[1..].iter().filter(|a| !a.starts_with('-')) {
                    if programs::exists(self.ctx.image, a) {
                        let line = if name == "type" {
                            format!("{a} is /bin/{a}\n")
                        } else {
                            format!("/bin/{a}\n")
                        };
                        self.ctx.out(&line).await;
                    } else {
                        s = 1;
                    }
                }
                return s;
            }
            _ => {}
        }
        if !programs::exists(self.ctx.image, name) {
            // Each image's shell words it differently: busybox ash, bash (mysql image, and
            // `bash` elsewhere), dash (`sh` in the Debian/Ubuntu based images).
            let script = !self.interactive;
            let msg = match (self.ctx.image, self.name.as_str()) {
                (Image::Busybox | Image::Alpine, _) => {
                    format!("{}: {name}: not found\n", self.name)
                }
                (Image::Mysql, _) | (_, "bash") if script => {
                    format!("{}: line 1: {name}: command not found\n", self.name)
                }
                (Image::Mysql, _) | (_, "bash") => {
                    format!("{}: {name}: command not found\n", self.name)
                }
                _ if script => format!("{}: 1: {name}: not found\n", self.name),
                _ => format!("{}: {name}: not found\n", self.name),
            };
            if name.contains('/') && !self.ctx.fs.exists(&self.ctx.cwd, name) {
                self.ctx
                    .err(&format!(
                        "{}: {name}: No such file or directory\n",
                        self.name
                    ))
                    .await;
                return 127;
            }
            self.ctx.err(&msg).await;
            return 127;
        }
        let mut child = self.ctx.clone();
        for (k, v) in assigns {
            child.setenv(k, v);
        }
        programs::run(&mut child, argv).await
    }

    /// Run a command substitution: its stdout without trailing newlines.
    async fn substitute(&mut self, script: &str) -> String {
        let mut sub = self.subshell();
        let out = Output::buffer();
        sub.ctx.stdout = out.clone();
        let s = sub.run_script(script).await;
        self.status = s;
        let text = String::from_utf8_lossy(&out.take()).into_owned();
        text.trim_end_matches('\n').to_string()
    }
}

fn reason(e: &crate::FsError) -> String {
    let s = e.to_string();
    match s.split_once(": ") {
        Some((_, r)) => r.to_string(),
        None => s,
    }
}
