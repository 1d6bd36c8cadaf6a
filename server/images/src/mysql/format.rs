//! How the `mysql` client prints results: tab-separated in batch mode, bordered tables on a
//! terminal or with `--table`.

use super::server::ResultSet;

/// Batch output (`mysql -e` into a pipe): a header row unless `-N`/`-ss`, tab-separated values,
/// NULL as `NULL`, with tabs, newlines and backslashes escaped.
pub fn batch(rs: &ResultSet, header: bool) -> String {
    let mut out = String::new();
    if header {
        out.push_str(&rs.columns.join("\t"));
        out.push('\n');
    }
    for row in &rs.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| match v {
                None => "NULL".to_string(),
                Some(s) => s
                    .replace('\\', "\\\\")
                    .replace('\t', "\\t")
                    .replace('\n', "\\n"),
            })
            .collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    out
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// The bordered table.
pub fn table(rs: &ResultSet, header: bool) -> String {
    let cols = rs.columns.len();
    let mut widths: Vec<usize> = rs.columns.iter().map(|c| width(c)).collect();
    for row in &rs.rows {
        for (i, v) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(width(v.as_deref().unwrap_or("NULL")));
        }
    }
    let border: String = {
        let mut b = String::from("+");
        for w in &widths {
            b.push_str(&"-".repeat(w + 2));
            b.push('+');
        }
        b.push('\n');
        b
    };
    let line = |cells: Vec<(&str, bool)>| {
        let mut l = String::from("|");
        for (i, (text, right)) in cells.into_iter().enumerate() {
            let pad = widths[i].saturating_sub(width(text));
            if right {
                l.push_str(&format!(" {}{text} |", " ".repeat(pad)));
            } else {
                l.push_str(&format!(" {text}{} |", " ".repeat(pad)));
            }
        }
        l.push('\n');
        l
    };
    let mut out = border.clone();
    if header {
        out.push_str(&line(
            rs.columns.iter().map(|c| (c.as_str(), false)).collect(),
        ));
        out.push_str(&border);
    }
    for row in &rs.rows {
        out.push_str(&line(
            row.iter()
                .enumerate()
                .map(|(i, v)| {
                    let numeric = rs.numeric.get(i).copied().unwrap_or(false);
                    (v.as_deref().unwrap_or("NULL"), numeric)
                })
                .collect(),
        ));
    }
    out.push_str(&border);
    out
}

/// `3 rows in set (0.00 sec)` / `Empty set (0.00 sec)`.
pub fn rows_summary(n: usize, secs: f64) -> String {
    match n {
        0 => format!("Empty set ({secs:.2} sec)"),
        1 => format!("1 row in set ({secs:.2} sec)"),
        n => format!("{n} rows in set ({secs:.2} sec)"),
    }
}

/// `Query OK, 1 row affected (0.01 sec)`.
pub fn ok_summary(affected: u64, secs: f64) -> String {
    let rows = if affected == 1 { "row" } else { "rows" };
    format!("Query OK, {affected} {rows} affected ({secs:.2} sec)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs() -> ResultSet {
        ResultSet {
            columns: vec!["id".into(), "item".into()],
            numeric: vec![true, false],
            rows: vec![
                vec![Some("1".into()), Some("apple".into())],
                vec![Some("10".into()), None],
            ],
        }
    }

    #[test]
    fn batch_is_tab_separated_with_header() {
        assert_eq!(batch(&rs(), true), "id\titem\n1\tapple\n10\tNULL\n");
        assert_eq!(batch(&rs(), false), "1\tapple\n10\tNULL\n");
    }

    #[test]
    fn table_has_borders_and_right_aligned_numbers() {
        assert_eq!(
            table(&rs(), true),
            "+----+-------+\n| id | item  |\n+----+-------+\n|  1 | apple |\n| 10 | NULL  |\n+----+-------+\n"
        );
        assert_eq!(rows_summary(2, 0.0), "2 rows in set (0.00 sec)");
        assert_eq!(rows_summary(0, 0.0), "Empty set (0.00 sec)");
        assert_eq!(ok_summary(1, 0.01), "Query OK, 1 row affected (0.01 sec)");
    }
}
