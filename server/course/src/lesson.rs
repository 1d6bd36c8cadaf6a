//! One lesson, checked and rendered.

use std::path::Path;

use serde::Serialize;

use crate::front_matter::{self, FrontMatter};
use crate::lab_files::LabFiles;
use crate::manifests::check_yaml_block;
use crate::problem::Problem;
use crate::quiz::{self, Quiz};
use crate::render::render_markdown;

/// A heading in a lesson's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TocEntry {
    /// 2 for `##`, 3 for `###`.
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A lesson ready to serve: front matter, rendered HTML and its table of contents.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// Position in the course, from the folder name (`05-headless-services` → 5).
    pub number: u32,
    /// The folder name, used in URLs: `/lessons/05-headless-services`.
    pub slug: String,
    pub front: FrontMatter,
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub word_count: usize,
    /// The part's question bank, from `quiz.toml` beside the lesson, if it has one.
    pub quiz: Option<Quiz>,
    /// The part's lab (`lab.toml` and its manifests), if it has one; the grader interprets it.
    pub lab: Option<std::sync::Arc<LabFiles>>,
}

/// The files of one lesson folder, as read from disk or the embedded copy.
#[derive(Debug, Clone)]
pub struct LessonFiles {
    /// The folder name, `NN-slug`.
    pub folder: String,
    /// `lesson.md`.
    pub lesson: String,
    /// `quiz.toml`, when the folder has one.
    pub quiz: Option<String>,
    /// `lab.toml` and `manifests/`, when the folder has a lab.
    pub lab: Option<LabFiles>,
}

pub(crate) const LESSON_FILE: &str = "lesson.md";
pub(crate) const QUIZ_FILE: &str = "quiz.toml";
const MIN_WORDS: usize = 500;
const REQUIRED_SECTIONS: [&str; 2] = ["Common mistakes", "Key takeaways"];

/// Parses the number out of a folder name `NN-slug`.
pub(crate) fn parse_folder_name(name: &str) -> Result<u32, String> {
    let (number, rest) = name
        .split_once('-')
        .ok_or_else(|| format!("lesson folder `{name}` must be named NN-slug"))?;
    let valid_rest = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    match number.parse::<u32>() {
        Ok(n) if number.len() == 2 && valid_rest => Ok(n),
        _ => Err(format!(
            "lesson folder `{name}` must be named NN-slug (two digits, then lower-case letters, digits and hyphens)"
        )),
    }
}

/// Checks and renders a lesson folder's files; problems name the files relative to the
/// lessons directory.
pub(crate) fn build(files: &LessonFiles) -> Result<Lesson, Vec<Problem>> {
    let slug = files.folder.as_str();
    let text = files.lesson.as_str();
    let file = Path::new(slug).join(LESSON_FILE);
    let problem = |line: usize, message: String| Problem::new(&file, line, message);
    let number = parse_folder_name(slug).map_err(|m| vec![problem(1, m)])?;
    let split = front_matter::split(text).map_err(|m| vec![problem(1, m)])?;
    let mut problems = Vec::new();
    let front = match FrontMatter::parse(split.front_matter) {
        Ok(front) => Some(front),
        Err(errs) => {
            problems.extend(errs.into_iter().map(|(line, m)| problem(line + 1, m)));
            None
        }
    };
    let body_line = |line: usize| split.body_first_line + line - 1;
    let rendered = render_markdown(split.body);
    problems.extend(
        rendered
            .problems
            .iter()
            .map(|(line, m)| problem(body_line(*line), m.clone())),
    );
    for (first_line, yaml) in &rendered.yaml_blocks {
        problems.extend(
            check_yaml_block(yaml)
                .into_iter()
                .map(|(line, m)| problem(body_line(first_line + line - 1), m)),
        );
    }
    let end_line = split.body_first_line + split.body.lines().count();
    if rendered.word_count < MIN_WORDS {
        problems.push(problem(
            end_line,
            format!(
                "the lesson has {} words of prose; at least {MIN_WORDS} are required",
                rendered.word_count
            ),
        ));
    }
    for section in REQUIRED_SECTIONS {
        let found = rendered
            .toc
            .iter()
            .any(|t| t.level == 2 && t.text.eq_ignore_ascii_case(section));
        if !found {
            problems.push(problem(
                end_line,
                format!("missing a `## {section}` section"),
            ));
        }
    }
    if rendered.diagrams == 0 {
        problems.push(problem(
            end_line,
            "the lesson has no diagram (a ```diagram block or an SVG <figure>)".to_owned(),
        ));
    }
    let quiz = files.quiz.as_deref().and_then(|text| {
        quiz::parse(text, &rendered.toc)
            .map_err(|errs| {
                let quiz_file = Path::new(slug).join(QUIZ_FILE);
                problems.extend(
                    errs.into_iter()
                        .map(|(line, m)| Problem::new(&quiz_file, line, m)),
                );
            })
            .ok()
    });
    match front {
        Some(front) if problems.is_empty() => Ok(Lesson {
            number,
            slug: slug.to_owned(),
            front,
            html: rendered.html,
            toc: rendered.toc,
            word_count: rendered.word_count,
            quiz,
            lab: files.lab.clone().map(std::sync::Arc::new),
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A lesson that passes every check, for tests here and in the catalog.
    pub(crate) fn valid_lesson_text(title: &str) -> String {
        let prose = "Stateful pods keep their names and their disks across restarts. ".repeat(60);
        format!(
            "+++\ntitle = \"{title}\"\nsummary = \"S\"\nobjectives = [\"o\"]\nestimated_minutes = 10\ntags = [\"t\"]\n+++\n\n{prose}\n\n```diagram Pod → PVC\n[pod] -> [pvc]\n```\n\n```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n```\n\n## Common mistakes\n\n- One.\n\n## Key takeaways\n\n- Two.\n"
        )
    }

    pub(crate) fn files(folder: &str, lesson: &str, quiz: Option<&str>) -> LessonFiles {
        LessonFiles {
            folder: folder.to_owned(),
            lesson: lesson.to_owned(),
            quiz: quiz.map(str::to_owned),
            lab: None,
        }
    }

    #[test]
    fn a_quiz_is_checked_against_its_lesson() {
        let quiz = crate::quiz::tests::valid_quiz();
        let lesson =
            build(&files("01-pods", &valid_lesson_text("Pods"), Some(&quiz))).expect("valid");
        assert_eq!(lesson.quiz.map(|q| q.questions.len()), Some(8));

        let bad = quiz.replace("answer = 1", "answer = 7");
        let problems =
            build(&files("01-pods", &valid_lesson_text("Pods"), Some(&bad))).expect_err("invalid");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].to_string().starts_with("01-pods/quiz.toml:"),
            "{problems:?}"
        );
    }

    #[test]
    fn folder_names_give_numbers() {
        assert_eq!(parse_folder_name("05-headless-services"), Ok(5));
        assert!(parse_folder_name("5-x").is_err());
        assert!(parse_folder_name("05-Bad").is_err());
        assert!(parse_folder_name("intro").is_err());
    }

    #[test]
    fn a_valid_lesson_builds() {
        let lesson = build(&files("01-pods", &valid_lesson_text("Pods"), None)).expect("valid");
        assert_eq!(lesson.number, 1);
        assert_eq!(lesson.toc.len(), 2);
        assert!(lesson.word_count >= 500);
    }

    #[test]
    fn problems_name_the_file_and_line() {
        let text = valid_lesson_text("Pods").replace("  name: c\n", "  name: c\n  nmae: d\n");
        let problems = build(&files("01-pods", &text, None)).expect_err("invalid");
        assert_eq!(problems.len(), 1, "{problems:?}");
        let line_of_typo = text.lines().position(|l| l.contains("nmae")).map(|i| i + 1);
        assert_eq!(Some(problems[0].line), line_of_typo);
        assert!(problems[0].to_string().starts_with("01-pods/lesson.md:"));
    }

    #[test]
    fn short_lessons_without_sections_or_diagrams_are_refused() {
        let text = "+++\ntitle = \"T\"\nsummary = \"S\"\nobjectives = [\"o\"]\nestimated_minutes = 10\ntags = [\"t\"]\n+++\nToo short.\n";
        let problems = build(&files("01-pods", text, None)).expect_err("invalid");
        let messages: Vec<_> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].contains("words of prose"));
    }
}
