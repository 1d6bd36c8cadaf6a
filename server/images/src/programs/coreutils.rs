//! The everyday applets (busybox flavour in busybox/alpine, GNU-ish wording elsewhere).

use super::Ctx;
use crate::{FsError, Image, normalize};
use chrono::{DateTime, Utc};

fn busybox(ctx: &Ctx) -> bool {
    matches!(ctx.image, Image::Busybox | Image::Alpine)
}

fn why(e: &FsError) -> String {
    let s = e.to_string();
    match s.split_once(": ") {
        Some((_, r)) => r.to_string(),
        None => s,
    }
}

/// Split argv into flags (single-dash letters, `--long`) and operands.
fn flags(argv: &[String]) -> (String, Vec<String>, Vec<String>) {
    let mut short = String::new();
    let mut long = Vec::new();
    let mut ops = Vec::new();
    let mut only_ops = false;
    for a in argv.iter().skip(1) {
        if only_ops || a == "-" || !a.starts_with('-') {
            ops.push(a.clone());
        } else if a == "--" {
            only_ops = true;
        } else if let Some(l) = a.strip_prefix("--") {
            long.push(l.to_string());
        } else {
            short.push_str(&a[1..]);
        }
    }
    (short, long, ops)
}

/// Run an applet by name.
pub async fn run(ctx: &mut Ctx, name: &str, argv: &[String]) -> i32 {
    match name {
        "echo" => echo(ctx, argv).await,
        "printf" => printf(ctx, argv).await,
        "cat" => cat(ctx, argv).await,
        "ls" => ls(ctx, argv).await,
        "mkdir" => mkdir(ctx, argv).await,
        "rmdir" => rmdir(ctx, argv).await,
        "rm" => rm(ctx, argv).await,
        "touch" => touch(ctx, argv).await,
        "cp" | "mv" => cp_mv(ctx, name, argv).await,
        "wc" => wc(ctx, argv).await,
        "head" | "tail" => head_tail(ctx, name, argv).await,
        "grep" => grep(ctx, argv).await,
        "hostname" => {
            ctx.out(&format!("{}\n", ctx.hostname)).await;
            0
        }
        "env" | "printenv" => env(ctx, name, argv).await,
        "date" => date(ctx, argv).await,
        "sleep" => sleep(ctx, argv).await,
        "true" => 0,
        "false" => 1,
        "pwd" => {
            ctx.out(&format!("{}\n", ctx.cwd)).await;
            0
        }
        "id" => {
            ctx.out("uid=0(root) gid=0(root) groups=0(root)\n").await;
            0
        }
        "whoami" => {
            ctx.out("root\n").await;
            0
        }
        "uname" => uname(ctx, argv).await,
        "df" => df(ctx, argv).await,
        "du" => du(ctx, argv).await,
        "test" | "[" => test_cmd(ctx, name, argv).await,
        "seq" => seq(ctx, argv).await,
        "basename" => {
            let p = argv.get(1).cloned().unwrap_or_default();
            let mut b = p
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            if let Some(suffix) = argv.get(2)
                && let Some(s) = b.strip_suffix(suffix.as_str())
            {
                b = s.to_string();
            }
            ctx.out(&format!("{b}\n")).await;
            0
        }
        "dirname" => {
            let p = argv.get(1).cloned().unwrap_or_default();
            let d = match p.trim_end_matches('/').rsplit_once('/') {
                Some(("", _)) => "/".to_string(),
                Some((d, _)) => d.to_string(),
                None => ".".to_string(),
            };
            ctx.out(&format!("{d}\n")).await;
            0
        }
        "tee" => tee(ctx, argv).await,
        "sort" | "uniq" | "cut" | "tr" => text_filter(ctx, name, argv).await,
        "which" => {
            let mut s = 0;
            for a in &argv[1..] {
                if super::exists(ctx.image, a) {
                    let dir = if busybox(ctx) { "/bin" } else { "/usr/bin" };
                    ctx.out(&format!("{dir}/{a}\n")).await;
                } else {
                    s = 1;
                }
            }
            s
        }
        "expr" => expr(ctx, argv).await,
        // Files carry no owner or mode in the simulation; accepting these keeps init scripts working.
        "chmod" | "chown" => 0,
        "nproc" => {
            ctx.out("2\n").await;
            0
        }
        other => {
            ctx.err(&format!("{other}: applet not found\n")).await;
            127
        }
    }
}

fn unescape(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('a') => out.push('\x07'),
            Some('e') => out.push('\x1b'),
            Some('c') => return (out, true),
            Some('0') => {
                let mut v = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('?'));
            }
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

async fn echo(ctx: &Ctx, argv: &[String]) -> i32 {
    let mut newline = true;
    let mut escapes = false;
    let mut i = 1;
    while let Some(a) = argv.get(i) {
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
        {
            for c in a[1..].chars() {
                match c {
                    'n' => newline = false,
                    'e' => escapes = true,
                    _ => escapes = false,
                }
            }
            i += 1;
        } else {
            break;
        }
    }
    let mut text = argv[i.min(argv.len())..].join(" ");
    if escapes {
        let (t, stop) = unescape(&text);
        text = t;
        if stop {
            newline = false;
        }
    }
    if newline {
        text.push('\n');
    }
    match ctx.stdout.write(text.as_bytes()).await {
        Ok(()) => 0,
        Err(e) => {
            ctx.err(&format!("echo: write error: {e}\n")).await;
            1
        }
    }
}

async fn printf(ctx: &Ctx, argv: &[String]) -> i32 {
    let Some(fmt) = argv.get(1) else {
        ctx.err("printf: usage: printf FORMAT [ARG]...\n").await;
        return 1;
    };
    let (fmt, _) = unescape(fmt);
    let mut args = argv[2..].iter();
    let mut out = String::new();
    loop {
        let mut chars = fmt.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let mut spec = String::new();
            while let Some(&d) = chars.peek() {
                chars.next();
                if d.is_ascii_alphabetic() || d == '%' {
                    spec.push(d);
                    break;
                }
                spec.push(d);
            }
            let conv = spec.chars().last().unwrap_or('s');
            let width: String = spec
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .collect();
            let arg = if conv == '%' { None } else { args.next() };
            let v = match conv {
                '%' => "%".to_string(),
                'd' | 'i' => arg
                    .and_then(|a| a.trim().parse::<i64>().ok())
                    .unwrap_or(0)
                    .to_string(),
                _ => arg.cloned().unwrap_or_default(),
            };
            let w: usize = width.trim_start_matches('-').parse().unwrap_or(0);
            if width.starts_with('-') {
                out.push_str(&format!("{v:<w$}"));
            } else {
                out.push_str(&format!("{v:>w$}"));
            }
        }
        if args.len() == 0 || !fmt.contains('%') {
            break;
        }
    }
    ctx.out(&out).await;
    0
}

async fn read_input(ctx: &Ctx, name: &str, file: &str) -> Result<Vec<u8>, i32> {
    if file == "-" {
        return Ok(ctx.stdin.read_all().await);
    }
    match ctx.fs.read(&ctx.cwd, file) {
        Ok(d) => Ok(d),
        Err(e) => {
            if busybox(ctx) {
                ctx.err(&format!("{name}: can't open '{file}': {}\n", why(&e)))
                    .await;
            } else {
                ctx.err(&format!("{name}: {file}: {}\n", why(&e))).await;
            }
            Err(1)
        }
    }
}

async fn cat(ctx: &Ctx, argv: &[String]) -> i32 {
    let (_, _, files) = flags(argv);
    if files.is_empty() {
        // Stream stdin chunk by chunk (interactive `cat` echoes as you type).
        while let Some(chunk) = ctx.stdin.read_chunk().await {
            if ctx.stdout.write(&chunk).await.is_err() {
                return 1;
            }
        }
        return 0;
    }
    let mut status = 0;
    for f in &files {
        match read_input(ctx, "cat", f).await {
            Ok(d) => {
                if let Err(e) = ctx.stdout.write(&d).await {
                    ctx.err(&format!("cat: write error: {e}\n")).await;
                    return 1;
                }
            }
            Err(s) => status = s,
        }
    }
    status
}

fn fmt_time(t: i64) -> String {
    let dt = DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default();
    dt.format("%b %e %H:%M").to_string()
}

async fn ls(ctx: &Ctx, argv: &[String]) -> i32 {
    let (short, _, mut ops) = flags(argv);
    let long = short.contains('l');
    let all = short.contains('a') || short.contains('A');
    let one = short.contains('1') || !ctx.tty || long;
    let dir_only = short.contains('d');
    if ops.is_empty() {
        ops.push(".".into());
    }
    let multiple = ops.len() > 1;
    let mut status = 0;
    let mut out = String::new();
    let line = |name: &str, is_dir: bool, size: u64, mtime: i64| -> String {
        if long {
            let mode = if is_dir { "drwxr-xr-x" } else { "-rw-r--r--" };
            let links = if is_dir { 2 } else { 1 };
            format!(
                "{mode} {links:>4} root     root     {size:>9} {} {name}\n",
                fmt_time(mtime)
            )
        } else {
            format!("{name}\n")
        }
    };
    let mut first = true;
    for op in &ops {
        let path = normalize(&ctx.cwd, op);
        let entry = match ctx.fs.stat("/", &path) {
            Ok(e) => e,
            Err(_) if ctx.fs.is_dir("/", &path) => crate::Entry {
                name: op.clone(),
                is_dir: true,
                size: 4096,
                mtime: 0,
            },
            Err(_) => {
                if busybox(ctx) {
                    ctx.err(&format!("ls: {op}: No such file or directory\n"))
                        .await;
                } else {
                    ctx.err(&format!(
                        "ls: cannot access '{op}': No such file or directory\n"
                    ))
                    .await;
                }
                status = if busybox(ctx) { 1 } else { 2 };
                continue;
            }
        };
        if !entry.is_dir || dir_only {
            out.push_str(&line(op, entry.is_dir, entry.size, entry.mtime));
            continue;
        }
        let mut entries = match ctx.fs.list("/", &path) {
            Ok(e) => e,
            Err(e) => {
                ctx.err(&format!("ls: {op}: {}\n", why(&e))).await;
                status = 1;
                continue;
            }
        };
        if !all {
            entries.retain(|e| !e.name.starts_with('.'));
        }
        if multiple {
            if !first {
                out.push('\n');
            }
            out.push_str(&format!("{op}:\n"));
        }
        first = false;
        if long {
            let blocks: u64 = entries.iter().map(|e| e.size.div_ceil(1024)).sum();
            out.push_str(&format!("total {blocks}\n"));
        }
        if one {
            for e in &entries {
                out.push_str(&line(&e.name, e.is_dir, e.size, e.mtime));
            }
        } else if !entries.is_empty() {
            let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
            out.push_str(&names.join("  "));
            out.push('\n');
        }
    }
    ctx.out(&out).await;
    status
}

async fn mkdir(ctx: &Ctx, argv: &[String]) -> i32 {
    let (short, long, ops) = flags(argv);
    let parents = short.contains('p') || long.iter().any(|l| l == "parents");
    if ops.is_empty() {
        ctx.err("mkdir: missing operand\n").await;
        return 1;
    }
    let mut status = 0;
    for d in &ops {
        let res = if parents {
            ctx.fs.mkdir_all(&ctx.cwd, d)
        } else if ctx.fs.exists(&ctx.cwd, d) {
            ctx.err(&format!(
                "mkdir: can't create directory '{d}': File exists\n"
            ))
            .await;
            status = 1;
            continue;
        } else {
            ctx.fs.mkdir(&ctx.cwd, d)
        };
        if let Err(e) = res {
            ctx.err(&format!(
                "mkdir: can't create directory '{d}': {}\n",
                why(&e)
            ))
            .await;
            status = 1;
        }
    }
    status
}

async fn rmdir(ctx: &Ctx, argv: &[String]) -> i32 {
    let mut status = 0;
    for d in &argv[1..] {
        let empty = ctx.fs.list(&ctx.cwd, d).map(|e| e.is_empty());
        match empty {
            Ok(true) => {
                if let Err(e) = ctx.fs.remove(&ctx.cwd, d, true) {
                    ctx.err(&format!("rmdir: '{d}': {}\n", why(&e))).await;
                    status = 1;
                }
            }
            Ok(false) => {
                ctx.err(&format!("rmdir: '{d}': Directory not empty\n"))
                    .await;
                status = 1;
            }
            Err(e) => {
                ctx.err(&format!("rmdir: '{d}': {}\n", why(&e))).await;
                status = 1;
            }
        }
    }
    status
}

async fn rm(ctx: &Ctx, argv: &[String]) -> i32 {
    let (short, _, ops) = flags(argv);
    let recursive = short.contains('r') || short.contains('R');
    let force = short.contains('f');
    let mut status = 0;
    for f in &ops {
        if !ctx.fs.exists(&ctx.cwd, f) {
            if !force {
                ctx.err(&format!(
                    "rm: can't remove '{f}': No such file or directory\n"
                ))
                .await;
                status = 1;
            }
            continue;
        }
        if ctx.fs.is_dir(&ctx.cwd, f) && !recursive {
            ctx.err(&format!("rm: '{f}' is a directory\n")).await;
            status = 1;
            continue;
        }
        if let Err(e) = ctx.fs.remove(&ctx.cwd, f, recursive) {
            ctx.err(&format!("rm: can't remove '{f}': {}\n", why(&e)))
                .await;
            status = 1;
        }
    }
    status
}

async fn touch(ctx: &Ctx, argv: &[String]) -> i32 {
    let (_, _, ops) = flags(argv);
    let mut status = 0;
    for f in &ops {
        if let Err(e) = ctx.fs.append(&ctx.cwd, f, b"") {
            ctx.err(&format!("touch: {f}: {}\n", why(&e))).await;
            status = 1;
        }
    }
    status
}

async fn cp_mv(ctx: &Ctx, name: &str, argv: &[String]) -> i32 {
    let (short, _, ops) = flags(argv);
    if ops.len() < 2 {
        ctx.err(&format!("{name}: missing file operand\n")).await;
        return 1;
    }
    let recursive = short.contains('r') || short.contains('R') || short.contains('a');
    let dest = &ops[ops.len() - 1];
    let dest_is_dir = ctx.fs.is_dir(&ctx.cwd, dest);
    let mut status = 0;
    for src in &ops[..ops.len() - 1] {
        let base = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
        let target = if dest_is_dir {
            format!("{}/{base}", dest.trim_end_matches('/'))
        } else {
            dest.clone()
        };
        let res = if name == "mv" {
            ctx.fs.rename(&ctx.cwd, src, &target)
        } else {
            copy(ctx, src, &target, recursive)
        };
        if let Err(e) = res {
            let e = match e {
                FsError::IsDir(_) => format!("omitting directory '{src}'"),
                other => format!("can't stat '{src}': {}", why(&other)),
            };
            ctx.err(&format!("{name}: {e}\n")).await;
            status = 1;
        }
    }
    status
}

fn copy(ctx: &Ctx, src: &str, dst: &str, recursive: bool) -> Result<(), FsError> {
    if ctx.fs.is_dir(&ctx.cwd, src) {
        if !recursive {
            return Err(FsError::IsDir(src.to_string()));
        }
        ctx.fs.mkdir_all(&ctx.cwd, dst)?;
        for e in ctx.fs.list(&ctx.cwd, src)? {
            copy(
                ctx,
                &format!("{src}/{}", e.name),
                &format!("{dst}/{}", e.name),
                true,
            )?;
        }
        return Ok(());
    }
    let data = ctx.fs.read(&ctx.cwd, src)?;
    ctx.fs.write(&ctx.cwd, dst, &data)
}

async fn inputs(ctx: &Ctx, name: &str, files: &[String]) -> (Vec<(String, Vec<u8>)>, i32) {
    if files.is_empty() {
        return (vec![(String::new(), ctx.stdin.read_all().await)], 0);
    }
    let mut out = Vec::new();
    let mut status = 0;
    for f in files {
        match read_input(ctx, name, f).await {
            Ok(d) => out.push((f.clone(), d)),
            Err(s) => status = s,
        }
    }
    (out, status)
}

async fn wc(ctx: &Ctx, argv: &[String]) -> i32 {
    let (short, _, files) = flags(argv);
    let (data, status) = inputs(ctx, "wc", &files).await;
    let mut out = String::new();
    for (name, d) in &data {
        let text = String::from_utf8_lossy(d);
        let lines = d.iter().filter(|&&b| b == b'\n').count();
        let words = text.split_whitespace().count();
        let bytes = d.len();
        let mut cols = Vec::new();
        if short.is_empty() || short.contains('l') {
            cols.push(lines);
        }
        if short.is_empty() || short.contains('w') {
            cols.push(words);
        }
        if short.is_empty() || short.contains('c') {
            cols.push(bytes);
        }
        let nums: Vec<String> = if cols.len() == 1 && name.is_empty() {
            vec![cols[0].to_string()]
        } else {
            cols.iter().map(|n| format!("{n:>7}")).collect()
        };
        out.push_str(&nums.join(" "));
        if !name.is_empty() {
            out.push(' ');
            out.push_str(name);
        }
        out.push('\n');
    }
    ctx.out(&out).await;
    status
}

async fn head_tail(ctx: &Ctx, name: &str, argv: &[String]) -> i32 {
    let mut n: usize = 10;
    let mut files = Vec::new();
    let mut follow = false;
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if a == "-n" {
            n = argv
                .get(i + 1)
                .and_then(|v| v.trim_start_matches('+').parse().ok())
                .unwrap_or(10);
            i += 2;
            continue;
        } else if let Some(v) = a.strip_prefix("-n") {
            n = v.parse().unwrap_or(10);
        } else if a == "-f" || a == "-F" {
            follow = true;
        } else if a.starts_with('-') && a[1..].chars().all(|c| c.is_ascii_digit()) && a.len() > 1 {
            n = a[1..].parse().unwrap_or(10);
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    let (data, status) = inputs(ctx, name, &files).await;
    for (_, d) in &data {
        let text = String::from_utf8_lossy(d);
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let pick: Vec<&str> = if name == "head" {
            lines.iter().take(n).copied().collect()
        } else {
            lines
                .iter()
                .skip(lines.len().saturating_sub(n))
                .copied()
                .collect()
        };
        ctx.out(&pick.concat()).await;
    }
    if follow
        && name == "tail"
        && let Some(file) = files.first()
    {
        let mut seen = ctx.fs.size(&ctx.cwd, file).unwrap_or(0);
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let size = ctx.fs.size(&ctx.cwd, file).unwrap_or(0);
            if size > seen
                && let Ok(d) = ctx.fs.read(&ctx.cwd, file)
            {
                let start = usize::try_from(seen).unwrap_or(0).min(d.len());
                let _ = ctx.stdout.write(&d[start..]).await;
            }
            seen = size;
        }
    }
    status
}

/// A tiny regex: literals, `.`, `*`, `^`, `$` (busybox `grep` basics).
fn re_match(re: &str, text: &str) -> bool {
    fn here(re: &[char], t: &[char]) -> bool {
        if re.is_empty() {
            return true;
        }
        if re.len() >= 2 && re[1] == '*' {
            let mut i = 0;
            loop {
                if here(&re[2..], &t[i..]) {
                    return true;
                }
                if i < t.len() && (re[0] == '.' || t[i] == re[0]) {
                    i += 1;
                } else {
                    return false;
                }
            }
        }
        if re == ['$'] {
            return t.is_empty();
        }
        !t.is_empty() && (re[0] == '.' || re[0] == t[0]) && here(&re[1..], &t[1..])
    }
    let re: Vec<char> = re.chars().collect();
    let t: Vec<char> = text.chars().collect();
    if re.first() == Some(&'^') {
        return here(&re[1..], &t);
    }
    (0..=t.len()).any(|i| here(&re, &t[i..]))
}

async fn grep(ctx: &Ctx, argv: &[String]) -> i32 {
    let mut short = String::new();
    let mut rest = Vec::new();
    let mut pattern: Option<String> = None;
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if a == "-e" {
            pattern = argv.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            short.push_str(&a[1..]);
        } else {
            rest.push(a.clone());
        }
        i += 1;
    }
    let pattern = match pattern {
        Some(p) => p,
        None if !rest.is_empty() => rest.remove(0),
        None => {
            ctx.err("Usage: grep [-civnqlE] PATTERN [FILE]...\n").await;
            return 2;
        }
    };
    let ignore = short.contains('i');
    let invert = short.contains('v');
    let count = short.contains('c');
    let number = short.contains('n');
    let quiet = short.contains('q');
    let fixed = short.contains('F');
    let (data, status) = inputs(ctx, "grep", &rest).await;
    let multi = data.len() > 1;
    let pat = if ignore {
        pattern.to_lowercase()
    } else {
        pattern.clone()
    };
    let mut any = false;
    let mut out = String::new();
    for (name, d) in &data {
        let text = String::from_utf8_lossy(d);
        let mut n = 0;
        for (ln, line) in text.lines().enumerate() {
            let hay = if ignore {
                line.to_lowercase()
            } else {
                line.to_string()
            };
            let hit = if fixed {
                hay.contains(&pat)
            } else {
                re_match(&pat, &hay)
            };
            if hit != invert {
                n += 1;
                any = true;
                if !count && !quiet {
                    if multi {
                        out.push_str(&format!("{name}:"));
                    }
                    if number {
                        out.push_str(&format!("{}:", ln + 1));
                    }
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        if count {
            if multi {
                out.push_str(&format!("{name}:"));
            }
            out.push_str(&format!("{n}\n"));
        }
    }
    if !quiet {
        ctx.out(&out).await;
    }
    if status != 0 {
        2
    } else if any {
        0
    } else {
        1
    }
}

async fn env(ctx: &Ctx, name: &str, argv: &[String]) -> i32 {
    let mut vars = ctx.env.clone();
    let mut i = 1;
    while let Some(a) = argv.get(i) {
        if a == "-i" {
            vars.clear();
        } else if let Some((k, v)) = a.split_once('=') {
            vars.retain(|(x, _)| x != k);
            vars.push((k.to_string(), v.to_string()));
        } else {
            break;
        }
        i += 1;
    }
    if name == "env" && i < argv.len() {
        // `env VAR=x cmd ...`
        let cmd = &argv[i..];
        if !super::exists(ctx.image, &cmd[0]) {
            ctx.err(&format!(
                "env: can't execute '{}': No such file or directory\n",
                cmd[0]
            ))
            .await;
            return 127;
        }
        let mut child = ctx.clone();
        child.env = vars;
        return super::run(&mut child, cmd).await;
    }
    if name == "printenv" && argv.len() > 1 {
        let mut status = 0;
        let mut out = String::new();
        for k in &argv[1..] {
            match vars.iter().find(|(x, _)| x == k) {
                Some((_, v)) => out.push_str(&format!("{v}\n")),
                None => status = 1,
            }
        }
        ctx.out(&out).await;
        return status;
    }
    let mut out = String::new();
    let has_hostname = vars.iter().any(|(k, _)| k == "HOSTNAME");
    if !has_hostname {
        out.push_str(&format!("HOSTNAME={}\n", ctx.hostname));
    }
    for (k, v) in &vars {
        out.push_str(&format!("{k}={v}\n"));
    }
    if !vars.iter().any(|(k, _)| k == "HOME") {
        out.push_str("HOME=/root\n");
    }
    ctx.out(&out).await;
    0
}

async fn date(ctx: &Ctx, argv: &[String]) -> i32 {
    let now = Utc::now();
    let fmt = argv.iter().skip(1).find_map(|a| a.strip_prefix('+'));
    let text = match fmt {
        Some(f) => now.format(f).to_string(),
        None if argv.iter().any(|a| a == "-I" || a == "--iso-8601") => {
            now.format("%Y-%m-%d").to_string()
        }
        None if argv.iter().any(|a| a == "-R") => {
            now.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
        }
        None => now.format("%a %b %e %H:%M:%S UTC %Y").to_string(),
    };
    ctx.out(&format!("{text}\n")).await;
    0
}

/// `sleep N[smhd]`, fractional allowed, `infinity`. Real time; the process wrapper ends it on a
/// signal by dropping the whole program.
async fn sleep(ctx: &Ctx, argv: &[String]) -> i32 {
    let mut total = 0f64;
    for a in &argv[1..] {
        if a == "infinity" {
            std::future::pending::<()>().await;
        }
        let (num, mult) = match a.chars().last() {
            Some('s') => (&a[..a.len() - 1], 1.0),
            Some('m') => (&a[..a.len() - 1], 60.0),
            Some('h') => (&a[..a.len() - 1], 3600.0),
            Some('d') => (&a[..a.len() - 1], 86400.0),
            _ => (a.as_str(), 1.0),
        };
        match num.parse::<f64>() {
            Ok(v) if v >= 0.0 && v.is_finite() => total += v * mult,
            _ => {
                ctx.err(&format!("sleep: invalid number '{a}'\n")).await;
                return 1;
            }
        }
    }
    if argv.len() < 2 {
        ctx.err("sleep: missing operand\n").await;
        return 1;
    }
    tokio::time::sleep(std::time::Duration::from_secs_f64(total.min(1e9))).await;
    0
}

async fn uname(ctx: &Ctx, argv: &[String]) -> i32 {
    let (short, _, _) = flags(argv);
    let release = "6.8.0-kubedojo";
    let text = if short.contains('a') {
        format!(
            "Linux {} {release} #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux",
            ctx.hostname
        )
    } else {
        let mut parts = Vec::new();
        if short.is_empty() || short.contains('s') {
            parts.push("Linux".to_string());
        }
        if short.contains('n') {
            parts.push(ctx.hostname.clone());
        }
        if short.contains('r') {
            parts.push(release.to_string());
        }
        if short.contains('m') {
            parts.push("x86_64".to_string());
        }
        parts.join(" ")
    };
    ctx.out(&format!("{text}\n")).await;
    0
}

/// Rough `df`: the layer and each mount, sizes from real usage and the quota when there is one.
async fn df(ctx: &Ctx, argv: &[String]) -> i32 {
    let (short, _, _) = flags(argv);
    let human = short.contains('h');
    let avail_total = ctx
        .fs
        .quota
        .as_ref()
        .map_or(50 * 1024 * 1024 * 1024, |q| q.remaining());
    let mut rows = vec![(
        "overlay".to_string(),
        "/".to_string(),
        ctx.fs.usage("/", "/"),
    )];
    for m in &ctx.fs.mounts {
        let fsname = if m.path.starts_with("/etc/") || m.path == "/dev/termination-log" {
            "/dev/vda1"
        } else {
            "/dev/vdb"
        };
        rows.push((
            fsname.to_string(),
            m.path.clone(),
            ctx.fs.usage("/", &m.path),
        ));
    }
    let size = |b: u64| -> String {
        if human {
            let kb = b as f64 / 1024.0;
            if kb < 1024.0 {
                format!("{kb:.1}K")
            } else if kb < 1024.0 * 1024.0 {
                format!("{:.1}M", kb / 1024.0)
            } else {
                format!("{:.1}G", kb / 1024.0 / 1024.0)
            }
        } else {
            (b / 1024).to_string()
        }
    };
    let mut out = if human {
        "Filesystem                Size      Used Available Use% Mounted on\n".to_string()
    } else {
        "Filesystem           1K-blocks      Used Available Use% Mounted on\n".to_string()
    };
    for (name, mount, used) in rows {
        let total = used + avail_total;
        let pct = if total == 0 {
            0
        } else {
            (used * 100).div_ceil(total)
        };
        out.push_str(&format!(
            "{name:<20} {:>9} {:>9} {:>9} {:>3}% {mount}\n",
            size(total),
            size(used),
            size(avail_total),
            pct
        ));
    }
    ctx.out(&out).await;
    0
}

async fn du(ctx: &Ctx, argv: &[String]) -> i32 {
    let (short, _, mut ops) = flags(argv);
    if ops.is_empty() {
        ops.push(".".into());
    }
    let mut out = String::new();
    for op in &ops {
        if !ctx.fs.exists(&ctx.cwd, op) {
            ctx.err(&format!("du: {op}: No such file or directory\n"))
                .await;
            continue;
        }
        let b = ctx.fs.usage(&ctx.cwd, op);
        let v = if short.contains('h') {
            if b < 1024 * 1024 {
                format!("{:.1}K", b as f64 / 1024.0)
            } else {
                format!("{:.1}M", b as f64 / 1048576.0)
            }
        } else {
            b.div_ceil(1024).max(4).to_string()
        };
        out.push_str(&format!("{v}\t{op}\n"));
    }
    ctx.out(&out).await;
    0
}

async fn test_cmd(ctx: &Ctx, name: &str, argv: &[String]) -> i32 {
    let mut args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    if name == "[" {
        if args.last() != Some(&"]") {
            ctx.err("[: missing ]\n").await;
            return 2;
        }
        args.pop();
    }
    match eval_test(ctx, &args) {
        Some(true) => 0,
        Some(false) => 1,
        None => {
            ctx.err(&format!("{name}: syntax error\n")).await;
            2
        }
    }
}

fn eval_test(ctx: &Ctx, args: &[&str]) -> Option<bool> {
    if let Some(p) = args.iter().position(|a| *a == "-o") {
        return Some(eval_test(ctx, &args[..p])? || eval_test(ctx, &args[p + 1..])?);
    }
    if let Some(p) = args.iter().position(|a| *a == "-a") {
        return Some(eval_test(ctx, &args[..p])? && eval_test(ctx, &args[p + 1..])?);
    }
    match args {
        [] => Some(false),
        ["!", rest @ ..] => eval_test(ctx, rest).map(|b| !b),
        [s] => Some(!s.is_empty()),
        [op, f] => Some(match *op {
            "-n" => !f.is_empty(),
            "-z" => f.is_empty(),
            "-e" => ctx.fs.exists(&ctx.cwd, f),
            "-f" => ctx.fs.exists(&ctx.cwd, f) && !ctx.fs.is_dir(&ctx.cwd, f),
            "-d" => ctx.fs.is_dir(&ctx.cwd, f),
            "-s" => ctx.fs.size(&ctx.cwd, f).is_ok_and(|s| s > 0),
            "-r" | "-w" | "-x" => ctx.fs.exists(&ctx.cwd, f),
            "-L" | "-h" => false,
            _ => return None,
        }),
        [a, op, b] => {
            let num = |s: &str| s.trim().parse::<i64>().ok();
            Some(match *op {
                "=" | "==" => a == b,
                "!=" => a != b,
                "-eq" => num(a)? == num(b)?,
                "-ne" => num(a)? != num(b)?,
                "-lt" => num(a)? < num(b)?,
                "-le" => num(a)? <= num(b)?,
                "-gt" => num(a)? > num(b)?,
                "-ge" => num(a)? >= num(b)?,
                _ => return None,
            })
        }
        _ => None,
    }
}

async fn seq(ctx: &Ctx, argv: &[String]) -> i32 {
    let nums: Vec<i64> = argv[1..].iter().filter_map(|a| a.parse().ok()).collect();
    let (first, step, last) = match nums.as_slice() {
        [l] => (1, 1, *l),
        [f, l] => (*f, 1, *l),
        [f, s, l] => (*f, *s, *l),
        _ => {
            ctx.err("seq: invalid arguments\n").await;
            return 1;
        }
    };
    if step == 0 {
        return 1;
    }
    let mut out = String::new();
    let mut v = first;
    let mut count = 0;
    while (step > 0 && v <= last) || (step < 0 && v >= last) {
        out.push_str(&format!("{v}\n"));
        v += step;
        count += 1;
        if count > 1_000_000 {
            break;
        }
    }
    ctx.out(&out).await;
    0
}

async fn tee(ctx: &Ctx, argv: &[String]) -> i32 {
    let (short, _, files) = flags(argv);
    let append = short.contains('a');
    let mut status = 0;
    for f in &files {
        if !append && let Err(e) = ctx.fs.write(&ctx.cwd, f, b"") {
            ctx.err(&format!("tee: {f}: {}\n", why(&e))).await;
            status = 1;
        }
    }
    while let Some(chunk) = ctx.stdin.read_chunk().await {
        let _ = ctx.stdout.write(&chunk).await;
        for f in &files {
            if ctx.fs.append(&ctx.cwd, f, &chunk).is_err() {
                status = 1;
            }
        }
    }
    status
}

async fn text_filter(ctx: &Ctx, name: &str, argv: &[String]) -> i32 {
    let mut opts: Vec<String> = Vec::new();
    let mut files = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if (a == "-d" || a == "-f" || a == "-k" || a == "-t") && i + 1 < argv.len() {
            opts.push(format!("{a}{}", argv[i + 1]));
            i += 2;
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            opts.push(a.clone());
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    let opt = |p: &str| {
        opts.iter()
            .find_map(|o| o.strip_prefix(p).map(str::to_string))
    };
    if name == "tr" {
        let set1: Vec<char> = files
            .first()
            .map(|s| s.chars().collect())
            .unwrap_or_default();
        let set2: Vec<char> = files
            .get(1)
            .map(|s| s.chars().collect())
            .unwrap_or_default();
        let delete = opts.iter().any(|o| o == "-d");
        let input = String::from_utf8_lossy(&ctx.stdin.read_all().await).into_owned();
        let expand = |s: &[char]| -> Vec<char> {
            let mut v = Vec::new();
            let mut k = 0;
            while k < s.len() {
                if k + 2 < s.len() && s[k + 1] == '-' {
                    let (a, b) = (s[k] as u32, s[k + 2] as u32);
                    v.extend((a..=b).filter_map(char::from_u32));
                    k += 3;
                } else {
                    v.push(s[k]);
                    k += 1;
                }
            }
            v
        };
        let (s1, s2) = (expand(&set1), expand(&set2));
        let out: String = input
            .chars()
            .filter_map(|c| match s1.iter().position(|&x| x == c) {
                Some(_) if delete => None,
                Some(p) => Some(*s2.get(p).or(s2.last()).unwrap_or(&c)),
                None => Some(c),
            })
            .collect();
        ctx.out(&out).await;
        return 0;
    }
    let (data, status) = inputs(ctx, name, &files).await;
    let text: String = data
        .iter()
        .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
        .collect();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match name {
        "sort" => {
            if opts.iter().any(|o| o == "-n") {
                lines.sort_by_key(|l| {
                    l.split_whitespace()
                        .next()
                        .and_then(|n| n.parse::<i64>().ok())
                        .unwrap_or(0)
                });
            } else {
                lines.sort();
            }
            if opts.iter().any(|o| o == "-r") {
                lines.reverse();
            }
            if opts.iter().any(|o| o == "-u") {
                lines.dedup();
            }
        }
        "uniq" => {
            let counting = opts.iter().any(|o| o == "-c");
            let mut out: Vec<String> = Vec::new();
            let mut prev: Option<(String, usize)> = None;
            for l in lines {
                match &mut prev {
                    Some((p, n)) if *p == l => *n += 1,
                    _ => {
                        if let Some((p, n)) = prev.take() {
                            out.push(if counting { format!("{n:>7} {p}") } else { p });
                        }
                        prev = Some((l, 1));
                    }
                }
            }
            if let Some((p, n)) = prev {
                out.push(if counting { format!("{n:>7} {p}") } else { p });
            }
            lines = out;
        }
        _ => {
            // cut -d X -f N[,M]
            let delim = opt("-d").and_then(|d| d.chars().next()).unwrap_or('\t');
            let fields: Vec<usize> = opt("-f")
                .unwrap_or_default()
                .split(',')
                .filter_map(|f| f.parse::<usize>().ok())
                .collect();
            lines = lines
                .into_iter()
                .map(|l| {
                    let parts: Vec<&str> = l.split(delim).collect();
                    fields
                        .iter()
                        .filter_map(|f| parts.get(f.saturating_sub(1)).copied())
                        .collect::<Vec<_>>()
                        .join(&delim.to_string())
                })
                .collect();
        }
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    ctx.out(&out).await;
    status
}

async fn expr(ctx: &Ctx, argv: &[String]) -> i32 {
    let a: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let num = |s: &str| s.parse::<i64>().ok();
    let v: Option<String> = match a.as_slice() {
        [x] => Some(x.to_string()),
        [x, op, y] => match (num(x), num(y)) {
            (Some(x), Some(y)) => match *op {
                "+" => Some((x + y).to_string()),
                "-" => Some((x - y).to_string()),
                "*" => Some((x * y).to_string()),
                "/" => x.checked_div(y).map(|v| v.to_string()),
                "%" => x.checked_rem(y).map(|v| v.to_string()),
                "<" => Some(i64::from(x < y).to_string()),
                ">" => Some(i64::from(x > y).to_string()),
                "=" => Some(i64::from(x == y).to_string()),
                _ => None,
            },
            _ => match *op {
                "=" => Some(i64::from(x == y).to_string()),
                "!=" => Some(i64::from(x != y).to_string()),
                _ => None,
            },
        },
        _ => None,
    };
    match v {
        Some(v) => {
            ctx.out(&format!("{v}\n")).await;
            i32::from(v == "0" || v.is_empty())
        }
        None => {
            ctx.err("expr: syntax error\n").await;
            2
        }
    }
}
