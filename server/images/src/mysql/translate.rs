//! Rewriting MySQL statements into SQLite: identifiers, strings, session functions and
//! variables, CREATE TABLE column types and table options.

use super::error::MysqlError;
use super::lexer::{Kind, Tok};

/// Values the rewrite substitutes for session functions and server variables.
pub struct SessionVars<'a> {
    pub hostname: &'a str,
    pub version: &'a str,
    pub version_comment: &'a str,
    pub database: Option<&'a str>,
    pub user: &'a str,
    pub connection_id: u64,
}

/// Quote text as an SQLite string literal.
pub fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Quote an identifier for SQLite.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn var_value(name: &str, vars: &SessionVars<'_>) -> Result<String, MysqlError> {
    let lower = name.to_ascii_lowercase();
    let bare = lower
        .trim_start_matches('@')
        .trim_start_matches("global.")
        .trim_start_matches("session.");
    if !lower.starts_with("@@") {
        // User variables are not kept; like an unset one they read as NULL.
        return Ok("NULL".into());
    }
    Ok(match bare {
        "hostname" => quote_str(vars.hostname),
        "version" => quote_str(vars.version),
        "version_comment" => quote_str(vars.version_comment),
        "port" => "3306".into(),
        "server_id" => "1".into(),
        "datadir" => quote_str("/var/lib/mysql/"),
        "socket" => quote_str("/var/run/mysqld/mysqld.sock"),
        "autocommit" | "read_only" | "super_read_only" => {
            if bare == "autocommit" {
                "1".into()
            } else {
                "0".into()
            }
        }
        "max_connections" => "151".into(),
        "character_set_server" | "character_set_database" => quote_str("utf8mb4"),
        "collation_server" => quote_str("utf8mb4_0900_ai_ci"),
        "time_zone" => quote_str("SYSTEM"),
        "system_time_zone" => quote_str("UTC"),
        "sql_mode" => quote_str(
            "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
        ),
        "transaction_isolation" => quote_str("REPEATABLE-READ"),
        _ => {
            return Err(MysqlError::new(
                1193,
                "HY000",
                format!("Unknown system variable '{bare}'"),
            ));
        }
    })
}

/// Index of the `)` matching the `(` at `open`.
pub fn matching_paren(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Rewrite tokens `toks` (from `sql`) into SQLite text.
///
/// # Errors
/// Unknown system variables.
pub fn rewrite(sql: &str, toks: &[Tok], vars: &SessionVars<'_>) -> Result<String, MysqlError> {
    let mut out = String::new();
    let mut prev_end: Option<usize> = None;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let next_is_paren = toks.get(i + 1).is_some_and(|n| n.is_punct("("));
        let empty_call = next_is_paren && toks.get(i + 2).is_some_and(|n| n.is_punct(")"));
        let piece: String = match &t.kind {
            Kind::Quoted(s) => quote_ident(s),
            Kind::Str(s) => quote_str(s),
            Kind::Num(n) => n.clone(),
            Kind::Var(v) => var_value(v, vars)?,
            Kind::Punct(p) if p == "||" => "OR".into(),
            Kind::Punct(p) if p == "&&" => "AND".into(),
            Kind::Punct(p) => p.clone(),
            Kind::Word(w) => {
                let up = w.to_ascii_uppercase();
                let call = |v: String| -> Option<String> { empty_call.then_some(v) };
                let replaced = match up.as_str() {
                    "NOW" | "SYSDATE" | "CURRENT_TIMESTAMP" | "LOCALTIME" | "LOCALTIMESTAMP"
                        if empty_call =>
                    {
                        Some("datetime('now')".to_string())
                    }
                    "CURDATE" | "CURRENT_DATE" => call("date('now')".into()),
                    "CURTIME" | "CURRENT_TIME" => call("time('now')".into()),
                    "UNIX_TIMESTAMP" => call("CAST(strftime('%s','now') AS INTEGER)".into()),
                    "VERSION" => call(quote_str(vars.version)),
                    "DATABASE" | "SCHEMA" => call(vars.database.map_or("NULL".into(), quote_str)),
                    "USER" | "CURRENT_USER" | "SESSION_USER" | "SYSTEM_USER" => {
                        call(quote_str(vars.user))
                    }
                    "CONNECTION_ID" => call(vars.connection_id.to_string()),
                    // Per server connection rather than per session: close enough for lessons.
                    "LAST_INSERT_ID" => call("last_insert_rowid()".into()),
                    "UUID" => call(quote_str(&uuid_v1_like())),
                    "RAND" => call("(abs(random()) / 9223372036854775807.0)".into()),
                    "DUAL" if i > 0 && toks[i - 1].is("FROM") => Some(String::new()),
                    "FROM" if toks.get(i + 1).is_some_and(|n| n.is("DUAL")) => Some(String::new()),
                    "CONCAT" if next_is_paren => {
                        if let Some(close) = matching_paren(toks, i + 1) {
                            let mut args = Vec::new();
                            let mut depth = 0;
                            let mut start = i + 2;
                            for j in i + 2..close {
                                if toks[j].is_punct("(") {
                                    depth += 1;
                                } else if toks[j].is_punct(")") {
                                    depth -= 1;
                                } else if depth == 0 && toks[j].is_punct(",") {
                                    args.push(rewrite(sql, &toks[start..j], vars)?);
                                    start = j + 1;
                                }
                            }
                            args.push(rewrite(sql, &toks[start..close], vars)?);
                            let piece = format!("({})", args.join(" || "));
                            push_piece(&mut out, sql, &mut prev_end, t, &piece);
                            prev_end = Some(toks[close].end);
                            i = close + 1;
                            continue;
                        }
                        None
                    }
                    _ => None,
                };
                match replaced {
                    Some(r) => {
                        if empty_call {
                            push_piece(&mut out, sql, &mut prev_end, t, &r);
                            prev_end = Some(toks[i + 2].end);
                            i += 3;
                            continue;
                        }
                        r
                    }
                    None => w.clone(),
                }
            }
        };
        push_piece(&mut out, sql, &mut prev_end, t, &piece);
        i += 1;
    }
    Ok(out.trim().to_string())
}

/// Append `piece`, keeping the original spacing before its token so that SQLite names
/// expression columns exactly as the user typed them (`COUNT(*)`, not `COUNT ( * )`).
fn push_piece(out: &mut String, sql: &str, prev_end: &mut Option<usize>, t: &Tok, piece: &str) {
    if !out.is_empty() {
        let gap = match *prev_end {
            Some(p) if t.start > p => sql.get(p..t.start).unwrap_or(" "),
            _ => "",
        };
        if gap.is_empty() {
            // Synthetic or adjacent tokens: separate words, keep punctuation tight.
            let last = out.chars().last().unwrap_or(' ');
            let first = piece.chars().next().unwrap_or(' ');
            let wordy = |c: char| c.is_alphanumeric() || matches!(c, '_' | '"' | '\'' | '`');
            if (wordy(last) && wordy(first)) || t.start == t.end {
                out.push(' ');
            }
        } else if gap.trim().is_empty() {
            out.push_str(gap);
        } else {
            // A comment: SQLite does not know `#` comments, so drop it.
            out.push(' ');
        }
    }
    out.push_str(piece);
    *prev_end = Some(t.end);
}

fn uuid_v1_like() -> String {
    let r: u128 = rand::random();
    let h = format!("{r:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Words that end a select list.
const SELECT_END: &[&str] = &[
    "FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "UNION", "INTO", "FOR", "WINDOW",
];

/// Functions and tokens whose rewrite would change the column name SQLite reports.
fn renames(t: &Tok) -> bool {
    match &t.kind {
        Kind::Var(_) | Kind::Quoted(_) | Kind::Str(_) => true,
        Kind::Num(_) => false,
        Kind::Punct(p) => p == "||" || p == "&&",
        Kind::Word(w) => matches!(
            w.to_ascii_uppercase().as_str(),
            "NOW"
                | "SYSDATE"
                | "CURRENT_TIMESTAMP"
                | "CURDATE"
                | "CURRENT_DATE"
                | "CURTIME"
                | "CURRENT_TIME"
                | "UNIX_TIMESTAMP"
                | "VERSION"
                | "DATABASE"
                | "SCHEMA"
                | "USER"
                | "CURRENT_USER"
                | "SESSION_USER"
                | "SYSTEM_USER"
                | "CONNECTION_ID"
                | "UUID"
                | "RAND"
                | "CONCAT"
                | "LOCALTIME"
                | "LOCALTIMESTAMP"
        ),
    }
}

/// For `SELECT` statements, alias select items whose rewrite would rename them, so the client
/// shows `@@hostname` or `NOW()` as the column header like MySQL does.
pub fn alias_select_items(sql: &str, toks: &[Tok]) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len() + 4);
    let Some(first) = toks.first() else {
        return out;
    };
    if !first.is("SELECT") {
        return toks.to_vec();
    }
    out.push(first.clone());
    let mut i = 1;
    while i < toks.len() && (toks[i].is("DISTINCT") || toks[i].is("ALL")) {
        out.push(toks[i].clone());
        i += 1;
    }
    let mut item_start = i;
    let mut depth = 0;
    loop {
        let t = toks.get(i);
        let at_end = match t {
            None => true,
            Some(t) => {
                depth == 0
                    && (t.is_punct(",") || t.is_punct(";") || SELECT_END.iter().any(|k| t.is(k)))
            }
        };
        if let Some(t) = t {
            if t.is_punct("(") {
                depth += 1;
            } else if t.is_punct(")") {
                depth -= 1;
            }
        }
        if at_end {
            let item = &toks[item_start..i];
            out.extend(item.iter().cloned());
            let has_alias = item.iter().any(|t| t.is("AS"))
                || (item.len() >= 2
                    && item
                        .last()
                        .is_some_and(|l| matches!(l.kind, Kind::Word(_) | Kind::Quoted(_)))
                    && !item[item.len() - 2].is_punct("."));
            let single_ident = item.len() == 1 && matches!(item[0].kind, Kind::Quoted(_));
            if !item.is_empty() && !has_alias && !single_ident && item.iter().any(renames) {
                let (s, e) = (item[0].start, item[item.len() - 1].end);
                let name = if item.len() == 1 {
                    match &item[0].kind {
                        Kind::Str(v) => v.clone(),
                        _ => sql[s..e].to_string(),
                    }
                } else {
                    sql[s..e].to_string()
                };
                out.push(Tok {
                    kind: Kind::Word("AS".into()),
                    start: e,
                    end: e,
                });
                out.push(Tok {
                    kind: Kind::Quoted(name),
                    start: e,
                    end: e,
                });
            }
            match t {
                None => break,
                Some(t) if t.is_punct(",") => {
                    out.push(t.clone());
                    i += 1;
                    item_start = i;
                }
                Some(_) => {
                    out.extend(toks[i..].iter().cloned());
                    break;
                }
            }
            continue;
        }
        i += 1;
    }
    out
}

/// Rewrite `CREATE TABLE` for SQLite: AUTO_INCREMENT becomes `INTEGER PRIMARY KEY
/// AUTOINCREMENT`, MySQL-only column attributes and table options are dropped.
///
/// # Errors
/// 1064 when the column list is missing.
pub fn create_table(sql: &str, toks: &[Tok], vars: &SessionVars<'_>) -> Result<String, MysqlError> {
    let Some(open) = toks.iter().position(|t| t.is_punct("(")) else {
        return Err(MysqlError::syntax(
            &sql[toks.last().map_or(0, |t| t.start)..],
        ));
    };
    let Some(close) = matching_paren(toks, open) else {
        return Err(MysqlError::syntax(""));
    };
    let head = rewrite(sql, &toks[..open], vars)?;
    // Split the column list at top-level commas.
    let mut defs: Vec<&[Tok]> = Vec::new();
    let mut depth = 0;
    let mut start = open + 1;
    for j in open + 1..close {
        if toks[j].is_punct("(") {
            depth += 1;
        } else if toks[j].is_punct(")") {
            depth -= 1;
        } else if depth == 0 && toks[j].is_punct(",") {
            defs.push(&toks[start..j]);
            start = j + 1;
        }
    }
    defs.push(&toks[start..close]);

    // Which columns are AUTO_INCREMENT, and a table-level single-column primary key.
    let auto_cols: Vec<String> = defs
        .iter()
        .filter(|d| d.iter().any(|t| t.is("AUTO_INCREMENT")))
        .filter_map(|d| d.first().and_then(Tok::ident).map(str::to_string))
        .collect();
    let mut out_defs: Vec<String> = Vec::new();
    for def in &defs {
        let Some(first) = def.first() else {
            return Err(MysqlError::syntax(&sql[toks[close].start..]));
        };
        let up = first.upper().unwrap_or_default();
        if matches!(first.kind, Kind::Word(_))
            && [
                "PRIMARY",
                "KEY",
                "INDEX",
                "UNIQUE",
                "CONSTRAINT",
                "FOREIGN",
                "FULLTEXT",
                "CHECK",
            ]
            .contains(&up.as_str())
        {
            match up.as_str() {
                "PRIMARY" => {
                    let cols: Vec<&str> = def.iter().skip(2).filter_map(Tok::ident).collect();
                    if cols.len() == 1 && auto_cols.iter().any(|c| c == cols[0]) {
                        continue; // made inline below
                    }
                    out_defs.push(rewrite(sql, def, vars)?);
                }
                "UNIQUE" => {
                    if let Some(p) = def.iter().position(|t| t.is_punct("(")) {
                        out_defs.push(format!("UNIQUE {}", rewrite(sql, &def[p..], vars)?));
                    }
                }
                "KEY" | "INDEX" | "FULLTEXT" => {}
                _ => out_defs.push(rewrite(sql, def, vars)?),
            }
            continue;
        }
        out_defs.push(column_def(sql, def, vars, &auto_cols)?);
    }
    Ok(format!("{head} ({})", out_defs.join(", ")))
}

fn column_def(
    sql: &str,
    def: &[Tok],
    vars: &SessionVars<'_>,
    auto_cols: &[String],
) -> Result<String, MysqlError> {
    let name = def[0].ident().unwrap_or_default().to_string();
    let auto = auto_cols.contains(&name);
    let mut parts = vec![quote_ident(&name)];
    let mut i = 1;
    // The type: a word plus an optional (n[,m]).
    if let Some(t) = def.get(i) {
        let ty = t.upper().unwrap_or_default();
        i += 1;
        let mut ty_text = ty.clone();
        if def.get(i).is_some_and(|t| t.is_punct("(")) {
            let close = matching_paren(def, i).unwrap_or(def.len() - 1);
            if ty == "ENUM" || ty == "SET" {
                ty_text = "TEXT".into();
            } else {
                ty_text = format!(
                    "{ty}{}",
                    rewrite(sql, &def[i..=close], vars)?.replace(' ', "")
                );
            }
            i = close + 1;
        }
        if auto {
            ty_text = "INTEGER".into();
        }
        parts.push(ty_text);
    }
    let mut has_pk = false;
    while i < def.len() {
        let t = &def[i];
        let up = t.upper().unwrap_or_default();
        match up.as_str() {
            "UNSIGNED" | "SIGNED" | "ZEROFILL" | "AUTO_INCREMENT" | "BINARY" => i += 1,
            "COMMENT" | "COLLATE" | "CHARSET" => i += 2,
            "CHARACTER" => i += 3,
            "ON" if def.get(i + 1).is_some_and(|n| n.is("UPDATE")) => {
                i += 3;
                if def.get(i).is_some_and(|n| n.is_punct("(")) {
                    i += 2;
                }
            }
            "PRIMARY" => {
                has_pk = true;
                parts.push("PRIMARY KEY".into());
                if auto {
                    parts.push("AUTOINCREMENT".into());
                }
                i += 2;
            }
            "UNIQUE" => {
                parts.push("UNIQUE".into());
                i += if def.get(i + 1).is_some_and(|n| n.is("KEY")) {
                    2
                } else {
                    1
                };
            }
            "DEFAULT" => {
                parts.push("DEFAULT".into());
                i += 1;
                if let Some(v) = def.get(i) {
                    let vu = v.upper().unwrap_or_default();
                    if matches!(vu.as_str(), "CURRENT_TIMESTAMP" | "NOW" | "LOCALTIMESTAMP") {
                        parts.push("CURRENT_TIMESTAMP".into());
                        i += 1;
                        if def.get(i).is_some_and(|n| n.is_punct("(")) {
                            i = matching_paren(def, i).map_or(def.len(), |c| c + 1);
                        }
                    } else if v.is_punct("(") {
                        let close = matching_paren(def, i).unwrap_or(def.len() - 1);
                        parts.push(rewrite(sql, &def[i..=close], vars)?);
                        i = close + 1;
                    } else if v.is_punct("-") {
                        parts.push(format!(
                            "-{}",
                            rewrite(sql, def.get(i + 1..i + 2).unwrap_or_default(), vars)?
                        ));
                        i += 2;
                    } else {
                        parts.push(rewrite(sql, std::slice::from_ref(v), vars)?);
                        i += 1;
                    }
                }
            }
            _ => {
                parts.push(rewrite(sql, std::slice::from_ref(t), vars)?);
                i += 1;
            }
        }
    }
    if auto && !has_pk {
        parts.push("PRIMARY KEY AUTOINCREMENT".into());
    }
    Ok(parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mysql::lexer::lex;

    fn vars() -> SessionVars<'static> {
        SessionVars {
            hostname: "mysql-0",
            version: "8.4.3",
            version_comment: "MySQL Community Server - GPL",
            database: Some("shop"),
            user: "root@localhost",
            connection_id: 8,
        }
    }

    fn tr(sql: &str) -> String {
        let toks = lex(sql).expect("lex");
        let toks = alias_select_items(sql, &toks);
        rewrite(sql, &toks, &vars()).expect("rewrite")
    }

    #[test]
    fn session_values_keep_their_mysql_column_names() {
        assert_eq!(
            tr("SELECT @@hostname"),
            "SELECT 'mysql-0' AS \"@@hostname\""
        );
        assert_eq!(tr("SELECT NOW()"), "SELECT datetime('now') AS \"NOW()\"");
        assert_eq!(tr("select version() v"), "select '8.4.3' v");
        assert_eq!(
            tr("SELECT `id`, DATABASE() FROM `t`"),
            "SELECT \"id\", 'shop' AS \"DATABASE()\" FROM \"t\""
        );
        assert_eq!(
            tr("SELECT CONCAT(a, 'x') FROM t"),
            "SELECT (a || 'x') AS \"CONCAT(a, 'x')\" FROM t"
        );
    }

    #[test]
    fn create_table_becomes_sqlite() {
        let sql = "CREATE TABLE `orders` (id INT NOT NULL AUTO_INCREMENT, item VARCHAR(100) NOT NULL COMMENT 'x', \
                   created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id), KEY idx (item)) \
                   ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
        let toks = lex(sql).expect("lex");
        let out = create_table(sql, &toks, &vars()).expect("create");
        assert_eq!(
            out,
            "CREATE TABLE \"orders\" (\"id\" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, \"item\" VARCHAR(100) NOT NULL, \"created_at\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
        );
    }
}
