//! The TOML block between `+++` lines at the top of `lesson.md`.

use serde::Deserialize;

/// What a lesson says about itself. Unknown keys are an error so a typo is not silently ignored.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    pub summary: String,
    pub objectives: Vec<String>,
    pub estimated_minutes: u32,
    pub tags: Vec<String>,
}

/// A lesson file cut in two: the front matter text and the Markdown body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    pub(crate) front_matter: &'a str,
    pub(crate) body: &'a str,
    /// 1-based line number of the body's first line, so body problems point at the right line.
    pub(crate) body_first_line: usize,
}

/// Splits `+++\n<toml>\n+++\n<markdown>`.
///
/// # Errors
/// A message (for line 1) when the file does not start with a `+++` line or the block is not closed.
pub(crate) fn split(text: &str) -> Result<Split<'_>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
    else {
        return Err("a lesson must start with TOML front matter between `+++` lines".into());
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let front_matter = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let body_first_line = 2 + front_matter.lines().count() + 1;
            return Ok(Split {
                front_matter,
                body,
                body_first_line,
            });
        }
        offset += line.len();
    }
    Err("the front matter is not closed by a `+++` line".into())
}

impl FrontMatter {
    /// Parses and checks the front matter. Problems come back as `(line within the block, message)`.
    pub(crate) fn parse(text: &str) -> Result<Self, Vec<(usize, String)>> {
        let front: FrontMatter =
            crate::problem::parse_toml(text, "front matter").map_err(|e| vec![e])?;
        let mut problems = Vec::new();
        if front.title.trim().is_empty() {
            problems.push((1, "front matter: `title` is empty".to_owned()));
        }
        if front.summary.trim().is_empty() {
            problems.push((1, "front matter: `summary` is empty".to_owned()));
        }
        if front.summary.chars().count() > 300 {
            problems.push((
                1,
                "front matter: `summary` is longer than 300 characters".to_owned(),
            ));
        }
        if front.objectives.iter().all(|o| o.trim().is_empty()) {
            problems.push((
                1,
                "front matter: `objectives` needs at least one objective".to_owned(),
            ));
        }
        if !(1..=240).contains(&front.estimated_minutes) {
            problems.push((
                1,
                "front matter: `estimated_minutes` must be between 1 and 240".to_owned(),
            ));
        }
        if front.tags.iter().all(|t| t.trim().is_empty()) {
            problems.push((1, "front matter: `tags` needs at least one tag".to_owned()));
        }
        if problems.is_empty() {
            Ok(front)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "title = \"T\"\nsummary = \"S\"\nobjectives = [\"o\"]\nestimated_minutes = 10\ntags = [\"pods\"]\n";

    #[test]
    fn splits_front_matter_from_body() {
        let text = format!("+++\n{GOOD}+++\n# Body\n");
        let split = split(&text).expect("valid split");
        assert_eq!(split.front_matter, GOOD);
        assert_eq!(split.body, "# Body\n");
        assert_eq!(split.body_first_line, 8);
    }

    #[test]
    fn missing_or_unclosed_front_matter_is_an_error() {
        assert!(split("# no front matter").is_err());
        assert!(split("+++\ntitle = \"x\"\n").is_err());
    }

    #[test]
    fn parses_good_front_matter() {
        let front = FrontMatter::parse(GOOD).expect("valid");
        assert_eq!(front.estimated_minutes, 10);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported_with_lines() {
        let errs = FrontMatter::parse(&format!("{GOOD}difficulty = 3\n")).expect_err("unknown key");
        assert_eq!(errs[0].0, 6);
        assert!(errs[0].1.contains("difficulty"), "{errs:?}");

        let errs = FrontMatter::parse(&GOOD.replace("10", "0")).expect_err("bad minutes");
        assert!(errs[0].1.contains("estimated_minutes"));
    }
}
