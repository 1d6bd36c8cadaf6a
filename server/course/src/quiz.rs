//! A part's question bank (`quiz.toml`), parsed into questions whose kind fixes which fields
//! they have, and checked against the lesson it belongs to.
//!
//! The file format is documented in `lessons/README.md`. Scoring lives elsewhere; this module
//! only guarantees that every question can be asked and answered.

use std::collections::{BTreeSet, HashSet};

use serde::Deserialize;

use crate::lesson::TocEntry;

/// The minimum size of a part's bank (end-of-lesson quiz and interview practice draw from it).
pub const MIN_QUESTIONS: usize = 8;
const CHOICES: std::ops::RangeInclusive<usize> = 2..=6;

/// A part's questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Quiz {
    /// Bumped when questions change meaning; answers recorded for another version are stale.
    pub version: u32,
    pub questions: Vec<Question>,
}

/// One question: what every kind shares, and the kind with its own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    /// Heading anchor in the lesson that the question tests.
    pub section: String,
    /// Markdown.
    pub prompt: String,
    /// Markdown.
    pub explanation: String,
    pub kind: QuestionKind,
}

/// The kinds of question and what answering each needs.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionKind {
    /// One right choice.
    Single { choices: Vec<String>, answer: usize },
    /// All and only these choices are right.
    Multiple {
        choices: Vec<String>,
        answers: BTreeSet<usize>,
    },
    /// A situation to diagnose, answered with one choice.
    Scenario { choices: Vec<String>, answer: usize },
    /// Items in their right order (shown shuffled).
    Order { items: Vec<String> },
    /// A short text answer, compared after normalisation.
    Fill { accept: Vec<String> },
    /// A manifest with one faulty line (1-based).
    SpotTheBug { code: String, bug_line: usize },
    /// A free answer scored against key points.
    Explain {
        rubric: Vec<RubricPoint>,
        model_answer: String,
    },
}

/// A key point of a free answer: it counts when any keyword or phrase appears.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricPoint {
    pub point: String,
    pub keywords: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiz {
    version: u32,
    questions: Vec<RawQuestion>,
}

/// A question as written: every kind's fields are optional here, and [`RawQuestion::into_question`]
/// decides which the kind needs and which it forbids.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    kind: String,
    section: String,
    prompt: String,
    explanation: String,
    choices: Option<Vec<String>>,
    answer: Option<usize>,
    answers: Option<Vec<usize>>,
    items: Option<Vec<String>>,
    accept: Option<Vec<String>>,
    code: Option<String>,
    bug_line: Option<usize>,
    rubric: Option<Vec<RubricPoint>>,
    model_answer: Option<String>,
}

/// Parses and checks a quiz. Problems come back as `(1-based line in quiz.toml, message)`.
pub(crate) fn parse(text: &str, toc: &[TocEntry]) -> Result<Quiz, Vec<(usize, String)>> {
    let raw: RawQuiz = crate::problem::parse_toml(text, "quiz").map_err(|e| vec![e])?;
    let sections: HashSet<&str> = toc.iter().map(|t| t.id.as_str()).collect();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut questions = Vec::new();
    for raw_question in raw.questions {
        let line = line_of_id(text, &raw_question.id);
        let mut problem = |message: String| problems.push((line, message));
        if !valid_id(&raw_question.id) {
            problem(format!(
                "question id `{}` must be lower-case letters, digits and hyphens",
                raw_question.id
            ));
        }
        if !seen.insert(raw_question.id.clone()) {
            problem(format!("question id `{}` is used twice", raw_question.id));
        }
        if !sections.contains(raw_question.section.as_str()) {
            problem(format!(
                "question `{}`: section `{}` is not a heading of the lesson",
                raw_question.id, raw_question.section
            ));
        }
        if raw_question.prompt.trim().is_empty() || raw_question.explanation.trim().is_empty() {
            problem(format!(
                "question `{}`: prompt and explanation must not be empty",
                raw_question.id
            ));
        }
        match raw_question.into_question() {
            Ok(question) => questions.push(question),
            Err(messages) => problems.extend(messages.into_iter().map(|m| (line, m))),
        }
    }
    if problems.is_empty() && questions.len() < MIN_QUESTIONS {
        problems.push((
            1,
            format!(
                "quiz: {} questions; a part needs at least {MIN_QUESTIONS}",
                questions.len()
            ),
        ));
    }
    if problems.is_empty() {
        Ok(Quiz {
            version: raw.version,
            questions,
        })
    } else {
        Err(problems)
    }
}

impl RawQuestion {
    fn into_question(self) -> Result<Question, Vec<String>> {
        let id = self.id.clone();
        let mut errors = Vec::new();
        // Which kind-specific fields were written, before they are moved into the kind.
        let given: Vec<&str> = [
            ("choices", self.choices.is_some()),
            ("answer", self.answer.is_some()),
            ("answers", self.answers.is_some()),
            ("items", self.items.is_some()),
            ("accept", self.accept.is_some()),
            ("code", self.code.is_some()),
            ("bug_line", self.bug_line.is_some()),
            ("rubric", self.rubric.is_some()),
            ("model_answer", self.model_answer.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, present)| present.then_some(field))
        .collect();
        let kind = match self.kind.as_str() {
            "single" | "scenario" => {
                let choices = take_choices(&id, self.choices, &mut errors);
                let answer = self.answer.unwrap_or_else(|| {
                    errors.push(format!("question `{id}`: `answer` is required"));
                    0
                });
                if answer >= choices.len() && !choices.is_empty() {
                    errors.push(format!(
                        "question `{id}`: answer {answer} is not one of the {} choices (answers count from 0)",
                        choices.len()
                    ));
                }
                if self.kind == "single" {
                    QuestionKind::Single { choices, answer }
                } else {
                    QuestionKind::Scenario { choices, answer }
                }
            }
            "multiple" => {
                let choices = take_choices(&id, self.choices, &mut errors);
                let answers: BTreeSet<usize> =
                    self.answers.unwrap_or_default().into_iter().collect();
                if answers.is_empty() {
                    errors.push(format!(
                        "question `{id}`: `answers` needs at least one index"
                    ));
                }
                if let Some(bad) = answers.iter().find(|&&a| a >= choices.len()) {
                    errors.push(format!(
                        "question `{id}`: answer {bad} is not one of the choices"
                    ));
                }
                QuestionKind::Multiple { choices, answers }
            }
            "order" => {
                let items = self.items.unwrap_or_default();
                if items.len() < 2 {
                    errors.push(format!("question `{id}`: `items` needs at least 2 entries"));
                }
                QuestionKind::Order { items }
            }
            "fill" => {
                let accept: Vec<String> = self.accept.unwrap_or_default();
                if accept.iter().all(|a| normalize_answer(a).is_empty()) {
                    errors.push(format!(
                        "question `{id}`: `accept` needs at least one answer"
                    ));
                }
                QuestionKind::Fill { accept }
            }
            "spot-the-bug" => {
                let code = self.code.unwrap_or_default();
                let lines = code.lines().count();
                let bug_line = self.bug_line.unwrap_or(0);
                if !(1..=lines).contains(&bug_line) {
                    errors.push(format!(
                        "question `{id}`: bug_line {bug_line} is outside the code's {lines} lines"
                    ));
                }
                QuestionKind::SpotTheBug { code, bug_line }
            }
            "explain" => {
                let rubric = self.rubric.unwrap_or_default();
                if rubric.is_empty() || rubric.iter().any(|p| p.keywords.is_empty()) {
                    errors.push(format!(
                        "question `{id}`: `rubric` needs points, each with keywords"
                    ));
                }
                let model_answer = self.model_answer.unwrap_or_default();
                if model_answer.trim().is_empty() {
                    errors.push(format!("question `{id}`: `model_answer` is required"));
                }
                // The model answer must earn full marks, or the rubric's keywords are wrong.
                for point in crate::scoring::missed_points(&rubric, &model_answer) {
                    errors.push(format!(
                        "question `{id}`: the model answer does not cover the rubric point `{point}` (add one of its keywords, or a keyword it uses)"
                    ));
                }
                QuestionKind::Explain {
                    rubric,
                    model_answer,
                }
            }
            other => {
                errors.push(format!(
                    "question `{id}`: unknown kind `{other}` (single, multiple, scenario, order, fill, spot-the-bug, explain)"
                ));
                return Err(errors);
            }
        };
        let allowed = kind.fields();
        for field in given.iter().filter(|f| !allowed.contains(f)) {
            errors.push(format!(
                "question `{id}`: `{field}` does not apply to kind `{}`",
                self.kind
            ));
        }
        if errors.is_empty() {
            Ok(Question {
                id: self.id,
                section: self.section,
                prompt: self.prompt,
                explanation: self.explanation,
                kind,
            })
        } else {
            Err(errors)
        }
    }
}

impl QuestionKind {
    /// The kind-specific fields a question of this kind is written with.
    fn fields(&self) -> &'static [&'static str] {
        match self {
            QuestionKind::Single { .. } | QuestionKind::Scenario { .. } => &["choices", "answer"],
            QuestionKind::Multiple { .. } => &["choices", "answers"],
            QuestionKind::Order { .. } => &["items"],
            QuestionKind::Fill { .. } => &["accept"],
            QuestionKind::SpotTheBug { .. } => &["code", "bug_line"],
            QuestionKind::Explain { .. } => &["rubric", "model_answer"],
        }
    }
}

fn take_choices(id: &str, choices: Option<Vec<String>>, errors: &mut Vec<String>) -> Vec<String> {
    let choices = choices.unwrap_or_default();
    if !CHOICES.contains(&choices.len()) {
        errors.push(format!(
            "question `{id}`: {} choices; a question needs 2 to 6",
            choices.len()
        ));
    }
    choices
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Normalises a typed answer for comparison: case, surrounding and repeated spaces, and quotes
/// are ignored, so `clusterIP: None` matches `clusterip:  "None"`.
pub fn normalize_answer(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '"' | '\'' | '`'))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn line_of_id(text: &str, id: &str) -> usize {
    let needle = format!("\"{id}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with("id") && l.contains(&needle))
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn toc() -> Vec<TocEntry> {
        vec![TocEntry {
            level: 2,
            id: "common-mistakes".into(),
            text: "Common mistakes".into(),
        }]
    }

    pub(crate) fn question(id: &str, kind_fields: &str) -> String {
        format!(
            "[[questions]]\nid = \"{id}\"\nsection = \"common-mistakes\"\nprompt = \"P?\"\nexplanation = \"E.\"\n{kind_fields}\n"
        )
    }

    /// A valid quiz with one question of every kind plus enough singles.
    pub(crate) fn valid_quiz() -> String {
        let mut text = String::from("version = 1\n\n");
        text += &question(
            "q-single",
            "kind = \"single\"\nchoices = [\"a\", \"b\"]\nanswer = 1",
        );
        text += &question(
            "q-multiple",
            "kind = \"multiple\"\nchoices = [\"a\", \"b\", \"c\"]\nanswers = [0, 2]",
        );
        text += &question(
            "q-scenario",
            "kind = \"scenario\"\nchoices = [\"a\", \"b\"]\nanswer = 0",
        );
        text += &question(
            "q-order",
            "kind = \"order\"\nitems = [\"pod\", \"pvc\", \"pv\"]",
        );
        text += &question("q-fill", "kind = \"fill\"\naccept = [\"clusterIP: None\"]");
        text += &question(
            "q-bug",
            "kind = \"spot-the-bug\"\ncode = \"\"\"\na: 1\nb: 2\n\"\"\"\nbug_line = 2",
        );
        text += &question(
            "q-explain",
            "kind = \"explain\"\nrubric = [{ point = \"identity\", keywords = [\"stable name\"] }]\nmodel_answer = \"Each pod keeps a stable name.\"",
        );
        text += &question(
            "q-single-2",
            "kind = \"single\"\nchoices = [\"a\", \"b\"]\nanswer = 0",
        );
        text
    }

    #[test]
    fn parses_every_kind() {
        let quiz = parse(&valid_quiz(), &toc()).expect("valid");
        assert_eq!(quiz.questions.len(), 8);
        assert!(matches!(
            &quiz.questions[5].kind,
            QuestionKind::SpotTheBug { bug_line: 2, code } if code.lines().count() == 2
        ));
        assert!(
            matches!(&quiz.questions[1].kind, QuestionKind::Multiple { answers, .. } if answers.len() == 2)
        );
    }

    #[test]
    fn reports_each_problem_on_its_question_line() {
        let text = valid_quiz()
            .replace("answer = 1", "answer = 5")
            .replace("bug_line = 2", "bug_line = 9")
            .replace("section = \"common-mistakes\"\nprompt = \"P?\"\nexplanation = \"E.\"\nkind = \"order\"", "section = \"nope\"\nprompt = \"P?\"\nexplanation = \"E.\"\nkind = \"order\"");
        let problems = parse(&text, &toc()).expect_err("invalid");
        let messages: Vec<_> = problems.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(problems.len(), 3, "{messages:?}");
        assert!(
            messages
                .iter()
                .any(|m| m.contains("answer 5 is not one of the 2 choices"))
        );
        assert!(messages.iter().any(|m| m.contains("bug_line 9 is outside")));
        assert!(messages.iter().any(|m| m.contains("section `nope`")));
        let id_line = text
            .lines()
            .position(|l| l.contains("\"q-single\""))
            .map(|i| i + 1);
        assert!(
            problems
                .iter()
                .any(|(line, m)| Some(*line) == id_line && m.contains("answer 5"))
        );
    }

    #[test]
    fn refuses_unknown_kinds_fields_of_other_kinds_and_duplicates() {
        let text = valid_quiz()
            .replace("kind = \"order\"", "kind = \"essay\"")
            .replace(
                "accept = [\"clusterIP: None\"]",
                "accept = [\"x\"]\nanswer = 0",
            )
            .replace("id = \"q-single-2\"", "id = \"q-single\"");
        let problems = parse(&text, &toc()).expect_err("invalid");
        let messages: Vec<_> = problems.iter().map(|(_, m)| m.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("unknown kind `essay`")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`answer` does not apply to kind `fill`")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("used twice")),
            "{messages:?}"
        );

        let problems = parse("version = 1\ncolour = 1\n", &toc()).expect_err("unknown key");
        assert!(problems[0].1.contains("colour"));
    }

    #[test]
    fn model_answers_must_cover_their_rubric() {
        let text = valid_quiz().replace("Each pod keeps a stable name.", "Pods are pets.");
        let problems = parse(&text, &toc()).expect_err("model answer misses the point");
        assert!(
            problems[0]
                .1
                .contains("does not cover the rubric point `identity`"),
            "{problems:?}"
        );
    }

    #[test]
    fn small_banks_are_refused() {
        let text = format!(
            "version = 1\n{}",
            question(
                "only",
                "kind = \"single\"\nchoices = [\"a\", \"b\"]\nanswer = 0"
            )
        );
        let problems = parse(&text, &toc()).expect_err("too small");
        assert!(problems[0].1.contains("at least 8"));
    }

    #[test]
    fn answers_are_normalised_for_comparison() {
        assert_eq!(
            normalize_answer("  clusterIP:   \"None\" "),
            "clusterip: none"
        );
        assert_eq!(
            normalize_answer("`volumeClaimTemplates`"),
            "volumeclaimtemplates"
        );
    }
}
