//! Scoring a learner's answer to a question, on the server only (the client never sends a
//! score). Answers arrive as text from forms, are parsed into an [`Answer`] that must fit the
//! question's kind, and are then scored into an [`Outcome`].

use std::collections::BTreeSet;

use crate::quiz::{Question, QuestionKind, RubricPoint, normalize_answer};

/// The longest free-text answer accepted, in characters (an interview answer, not an essay).
pub const MAX_FREE_TEXT: usize = 2_000;

/// A learner's answer, already checked against the question it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Index of the chosen choice (single, scenario).
    Choice(usize),
    /// Indices of the chosen choices (multiple).
    Choices(BTreeSet<usize>),
    /// The items in the learner's order, as indices of the items as written (the written order
    /// is the right one).
    Order(Vec<usize>),
    /// Typed text (fill, explain).
    Text(String),
    /// The 1-based line picked as the faulty one (spot-the-bug).
    Line(usize),
}

/// Why an answer does not fit its question. The message is shown to the learner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is empty")]
    Empty,
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("choice {index} does not exist (the question has {count} choices)")]
    NoSuchChoice { index: usize, count: usize },
    #[error("line {line} does not exist (the manifest has {lines} lines)")]
    NoSuchLine { line: usize, lines: usize },
    #[error("an order must list each of the {count} items exactly once")]
    NotAnOrder { count: usize },
    #[error("the answer is {length} characters long; at most {MAX_FREE_TEXT} are accepted")]
    TooLong { length: usize },
}

/// How an answer scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Counts as right (for Leitner boxes and "correct" feedback).
    pub correct: bool,
    /// Partial credit, 0 to 100.
    pub percent: u8,
    /// One line of feedback (the explanation is the question's own).
    pub feedback: String,
    /// For explain questions: which rubric points the answer covered, in rubric order.
    pub covered: Vec<bool>,
}

impl Answer {
    /// Parses the text a form sends into an answer for `question`: a number for single,
    /// scenario and spot-the-bug; comma-separated numbers for multiple and order; text for
    /// fill and explain.
    ///
    /// # Errors
    /// When the text does not fit the question's kind (never panics on any input).
    pub fn parse(question: &Question, raw: &str) -> Result<Self, AnswerError> {
        if raw.chars().count() > MAX_FREE_TEXT {
            return Err(AnswerError::TooLong {
                length: raw.chars().count(),
            });
        }
        let answer = match &question.kind {
            QuestionKind::Single { .. } | QuestionKind::Scenario { .. } => {
                Answer::Choice(parse_number(raw)?)
            }
            QuestionKind::Multiple { .. } => {
                Answer::Choices(parse_list(raw)?.into_iter().collect())
            }
            QuestionKind::Order { .. } => Answer::Order(parse_list(raw)?),
            QuestionKind::SpotTheBug { .. } => Answer::Line(parse_number(raw)?),
            QuestionKind::Fill { .. } | QuestionKind::Explain { .. } => {
                if raw.trim().is_empty() {
                    return Err(AnswerError::Empty);
                }
                Answer::Text(raw.to_owned())
            }
        };
        answer.check(question)?;
        Ok(answer)
    }

    /// The form text of this answer (what [`Answer::parse`] reads back).
    pub fn to_form_text(&self) -> String {
        let join = |items: &mut dyn Iterator<Item = &usize>| {
            items.map(usize::to_string).collect::<Vec<_>>().join(",")
        };
        match self {
            Answer::Choice(i) | Answer::Line(i) => i.to_string(),
            Answer::Choices(set) => join(&mut set.iter()),
            Answer::Order(items) => join(&mut items.iter()),
            Answer::Text(text) => text.clone(),
        }
    }

    /// The right answer to `question` (for feedback and tests). For free text it is the first
    /// accepted answer or the model answer.
    pub fn right_answer(question: &Question) -> Self {
        match &question.kind {
            QuestionKind::Single { answer, .. } | QuestionKind::Scenario { answer, .. } => {
                Answer::Choice(*answer)
            }
            QuestionKind::Multiple { answers, .. } => Answer::Choices(answers.clone()),
            QuestionKind::Order { items } => Answer::Order((0..items.len()).collect()),
            QuestionKind::Fill { accept } => {
                Answer::Text(accept.first().cloned().unwrap_or_default())
            }
            QuestionKind::SpotTheBug { bug_line, .. } => Answer::Line(*bug_line),
            QuestionKind::Explain { model_answer, .. } => Answer::Text(model_answer.clone()),
        }
    }

    fn check(&self, question: &Question) -> Result<(), AnswerError> {
        let choice = |index: usize, count: usize| {
            if index < count {
                Ok(())
            } else {
                Err(AnswerError::NoSuchChoice { index, count })
            }
        };
        match (self, &question.kind) {
            (
                Answer::Choice(i),
                QuestionKind::Single { choices, .. } | QuestionKind::Scenario { choices, .. },
            ) => choice(*i, choices.len()),
            (Answer::Choices(set), QuestionKind::Multiple { choices, .. }) => {
                if set.is_empty() {
                    return Err(AnswerError::Empty);
                }
                set.iter().try_for_each(|&i| choice(i, choices.len()))
            }
            (Answer::Order(order), QuestionKind::Order { items }) => {
                let distinct: BTreeSet<usize> = order.iter().copied().collect();
                if order.len() == items.len()
                    && distinct.len() == items.len()
                    && order.iter().all(|&i| i < items.len())
                {
                    Ok(())
                } else {
                    Err(AnswerError::NotAnOrder { count: items.len() })
                }
            }
            (Answer::Line(line), QuestionKind::SpotTheBug { code, .. }) => {
                let lines = code.lines().count();
                if (1..=lines).contains(line) {
                    Ok(())
                } else {
                    Err(AnswerError::NoSuchLine { line: *line, lines })
                }
            }
            (Answer::Text(text), QuestionKind::Fill { .. } | QuestionKind::Explain { .. }) => {
                let length = text.chars().count();
                if length > MAX_FREE_TEXT {
                    Err(AnswerError::TooLong { length })
                } else {
                    Ok(())
                }
            }
            // Only reachable when an answer built for one question is scored against another.
            _ => Err(AnswerError::Empty),
        }
    }
}

fn parse_number(raw: &str) -> Result<usize, AnswerError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(AnswerError::Empty);
    }
    raw.parse()
        .map_err(|_| AnswerError::NotANumber(raw.chars().take(20).collect()))
}

fn parse_list(raw: &str) -> Result<Vec<usize>, AnswerError> {
    if raw.trim().is_empty() {
        return Err(AnswerError::Empty);
    }
    raw.split(',').map(parse_number).collect()
}

/// Scores `answer` for `question`.
///
/// # Errors
/// When the answer does not fit the question (wrong kind, out-of-range index, too long).
pub fn score(question: &Question, answer: &Answer) -> Result<Outcome, AnswerError> {
    answer.check(question)?;
    let outcome = match (&question.kind, answer) {
        (
            QuestionKind::Single {
                choices,
                answer: right,
            }
            | QuestionKind::Scenario {
                choices,
                answer: right,
            },
            Answer::Choice(chosen),
        ) => all_or_nothing(
            chosen == right,
            format!(
                "The right answer is: {}",
                choices.get(*right).map_or("", String::as_str)
            ),
        ),
        (QuestionKind::Multiple { choices, answers }, Answer::Choices(chosen)) => {
            // Partial credit: right picks minus wrong picks, over the right choices.
            let hits = chosen.intersection(answers).count();
            let wrong = chosen.difference(answers).count();
            let percent = percent_of(hits.saturating_sub(wrong), answers.len());
            let correct = chosen == answers;
            let feedback = if correct {
                "Correct.".to_owned()
            } else {
                let right: Vec<&str> = answers
                    .iter()
                    .filter_map(|&i| choices.get(i).map(String::as_str))
                    .collect();
                format!(
                    "{hits} of {} right choices picked, {wrong} wrong. The right choices: {}",
                    answers.len(),
                    right.join("; ")
                )
            };
            Outcome {
                correct,
                percent: if correct { 100 } else { percent.min(99) },
                feedback,
                covered: Vec::new(),
            }
        }
        (QuestionKind::Order { items }, Answer::Order(order)) => {
            let in_place = order.iter().enumerate().filter(|(i, v)| i == *v).count();
            let correct = in_place == items.len();
            let feedback = if correct {
                "Correct.".to_owned()
            } else {
                format!(
                    "{in_place} of {} in the right place. The right order: {}",
                    items.len(),
                    items.join(" → ")
                )
            };
            Outcome {
                correct,
                percent: if correct {
                    100
                } else {
                    percent_of(in_place, items.len()).min(99)
                },
                feedback,
                covered: Vec::new(),
            }
        }
        (QuestionKind::Fill { accept }, Answer::Text(text)) => all_or_nothing(
            accept.iter().any(|a| same_fill(a, text)),
            format!(
                "Accepted: {}",
                accept
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        (QuestionKind::SpotTheBug { code, bug_line }, Answer::Line(line)) => all_or_nothing(
            line == bug_line,
            format!(
                "The faulty line is {bug_line}: `{}`",
                code.lines()
                    .nth(bug_line.saturating_sub(1))
                    .unwrap_or("")
                    .trim()
            ),
        ),
        (QuestionKind::Explain { rubric, .. }, Answer::Text(text)) => score_explain(rubric, text),
        _ => return Err(AnswerError::Empty),
    };
    Ok(outcome)
}

fn all_or_nothing(correct: bool, wrong_feedback: String) -> Outcome {
    Outcome {
        correct,
        percent: if correct { 100 } else { 0 },
        feedback: if correct {
            "Correct.".to_owned()
        } else {
            wrong_feedback
        },
        covered: Vec::new(),
    }
}

fn percent_of(part: usize, whole: usize) -> u8 {
    if whole == 0 {
        return 0;
    }
    u8::try_from((part.min(whole) * 100) / whole).unwrap_or(100)
}

/// A fill answer matches after normalisation, also when it differs only in spaces
/// (`clusterIP:None`) or a final full stop.
fn same_fill(accepted: &str, given: &str) -> bool {
    let clean = |s: &str| {
        let normal = normalize_answer(s);
        normal.trim_end_matches('.').trim().to_owned()
    };
    let (a, g) = (clean(accepted), clean(given));
    let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    a == g || compact(&a) == compact(&g)
}

/// An explain answer covers a rubric point when any of its keywords appears as whole words.
/// It counts as right when it covers at least two thirds of the points.
fn score_explain(rubric: &[RubricPoint], text: &str) -> Outcome {
    let words = words_of(text);
    let covered: Vec<bool> = rubric
        .iter()
        .map(|point| {
            point
                .keywords
                .iter()
                .any(|k| contains_phrase(&words, &words_of(k)))
        })
        .collect();
    let hits = covered.iter().filter(|c| **c).count();
    let total = rubric.len();
    let correct = total > 0 && hits * 3 >= total * 2;
    Outcome {
        correct,
        percent: percent_of(hits, total),
        feedback: format!("{hits} of {total} key points covered."),
        covered,
    }
}

/// The rubric points that `text` does not cover (for checking model answers).
pub(crate) fn missed_points<'a>(rubric: &'a [RubricPoint], text: &str) -> Vec<&'a str> {
    let outcome = score_explain(rubric, text);
    rubric
        .iter()
        .zip(outcome.covered)
        .filter(|(_, covered)| !covered)
        .map(|(point, _)| point.point.as_str())
        .collect()
}

/// Lower-case words: letters and digits, everything else separates (so `mysql-0.mysql` and
/// `mysql 0 mysql` are the same words, and `clusterIP:None` is `clusterip none`).
pub(crate) fn words_of(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `phrase` occurs as consecutive words of `words`; a word also matches its plural
/// (`pvc` matches `pvcs`, `class` matches `classes`).
fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    if phrase.is_empty() || phrase.len() > words.len() {
        return false;
    }
    words.windows(phrase.len()).any(|window| {
        window.iter().zip(phrase).all(|(word, wanted)| {
            word == wanted
                || word
                    .strip_prefix(wanted.as_str())
                    .is_some_and(|rest| rest == "s" || rest == "es")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::Question;

    fn question(kind: QuestionKind) -> Question {
        Question {
            id: "q".into(),
            section: "s".into(),
            prompt: "P".into(),
            explanation: "E".into(),
            kind,
        }
    }

    fn single() -> Question {
        question(QuestionKind::Single {
            choices: vec!["a".into(), "b".into(), "c".into()],
            answer: 1,
        })
    }

    fn scored(q: &Question, raw: &str) -> Result<Outcome, AnswerError> {
        score(q, &Answer::parse(q, raw)?)
    }

    #[test]
    fn single_and_scenario_are_all_or_nothing() -> Result<(), AnswerError> {
        let q = single();
        assert!(scored(&q, "1")?.correct);
        let wrong = scored(&q, " 2 ")?;
        assert!(!wrong.correct && wrong.percent == 0);
        assert!(wrong.feedback.contains("b"));
        let scenario = question(QuestionKind::Scenario {
            choices: vec!["x".into(), "y".into()],
            answer: 0,
        });
        assert_eq!(scored(&scenario, "0")?.percent, 100);
        assert_eq!(scored(&scenario, "1")?.percent, 0);
        Ok(())
    }

    #[test]
    fn malformed_choices_are_errors_not_panics() {
        let q = single();
        assert_eq!(
            Answer::parse(&q, "3"),
            Err(AnswerError::NoSuchChoice { index: 3, count: 3 })
        );
        assert!(matches!(
            Answer::parse(&q, "-1"),
            Err(AnswerError::NotANumber(_))
        ));
        assert_eq!(Answer::parse(&q, "  "), Err(AnswerError::Empty));
        assert!(Answer::parse(&q, "99999999999999999999999999").is_err());
        // An answer of another kind is refused by the scorer too.
        assert!(score(&q, &Answer::Text("b".into())).is_err());
        assert!(score(&q, &Answer::Choice(7)).is_err());
    }

    #[test]
    fn multiple_needs_all_and_only_the_right_choices() -> Result<(), AnswerError> {
        let q = question(QuestionKind::Multiple {
            choices: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            answers: [0, 2].into_iter().collect(),
        });
        let right = scored(&q, "2,0")?;
        assert!(right.correct && right.percent == 100);
        let half = scored(&q, "0")?;
        assert!(!half.correct && half.percent == 50);
        let with_wrong = scored(&q, "0,2,3")?;
        assert!(!with_wrong.correct && with_wrong.percent == 50);
        let everything = scored(&q, "0,1,2,3")?;
        assert_eq!(everything.percent, 0, "ticking every box earns nothing");
        assert_eq!(scored(&q, "1,3")?.percent, 0);
        assert!(Answer::parse(&q, "0,9").is_err());
        assert!(Answer::parse(&q, "").is_err());
        Ok(())
    }

    #[test]
    fn order_must_be_a_permutation_and_credits_items_in_place() -> Result<(), AnswerError> {
        let q = question(QuestionKind::Order {
            items: vec!["pod".into(), "pvc".into(), "pv".into(), "disk".into()],
        });
        assert!(scored(&q, "0,1,2,3")?.correct);
        let swapped = scored(&q, "0,1,3,2")?;
        assert!(!swapped.correct && swapped.percent == 50);
        assert!(swapped.feedback.contains("pod → pvc → pv → disk"));
        assert_eq!(scored(&q, "3,2,1,0")?.percent, 0);
        for bad in ["0,1,2", "0,0,1,2", "0,1,2,4", "0,1,2,3,3", "a,b"] {
            assert!(Answer::parse(&q, bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn fill_is_compared_after_normalisation() -> Result<(), AnswerError> {
        let q = question(QuestionKind::Fill {
            accept: vec!["clusterIP: None".into(), "volumeClaimTemplates".into()],
        });
        for right in [
            "clusterIP: None",
            "  clusterip:   \"None\" ",
            "clusterIP:None",
            "`volumeClaimTemplates`",
            "volumeclaimtemplates.",
        ] {
            assert!(scored(&q, right)?.correct, "{right}");
        }
        for wrong in [
            "clusterIP: none-ish",
            "volumeClaimTemplate",
            "type: ClusterIP",
        ] {
            assert!(!scored(&q, wrong)?.correct, "{wrong}");
        }
        assert_eq!(Answer::parse(&q, " "), Err(AnswerError::Empty));
        Ok(())
    }

    #[test]
    fn spot_the_bug_picks_a_line_that_exists() -> Result<(), AnswerError> {
        let q = question(QuestionKind::SpotTheBug {
            code: "a: 1\nb: 2\nc: 3".into(),
            bug_line: 2,
        });
        assert!(scored(&q, "2")?.correct);
        let wrong = scored(&q, "3")?;
        assert!(!wrong.correct && wrong.feedback.contains("b: 2"));
        assert_eq!(
            Answer::parse(&q, "4"),
            Err(AnswerError::NoSuchLine { line: 4, lines: 3 })
        );
        assert!(Answer::parse(&q, "0").is_err());
        Ok(())
    }

    fn explain() -> Question {
        let point = |p: &str, keywords: &[&str]| RubricPoint {
            point: p.into(),
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        };
        question(QuestionKind::Explain {
            rubric: vec![
                point("identity", &["stable name", "ordinal"]),
                point("storage", &["PVC", "volumeClaimTemplates"]),
                point("dns", &["headless", "clusterIP: None"]),
            ],
            model_answer: "M".into(),
        })
    }

    #[test]
    fn explain_is_scored_on_rubric_points_with_synonyms_and_plurals() -> Result<(), AnswerError> {
        let q = explain();
        let full = scored(
            &q,
            "Each pod keeps its ORDINAL; its PVCs come from the template; the Service has clusterIP:None.",
        )?;
        assert_eq!(full.covered, vec![true, true, true]);
        assert!(full.correct && full.percent == 100);
        let two = scored(&q, "A stable  name and a headless Service.")?;
        assert_eq!(two.covered, vec![true, false, true]);
        assert!(two.correct, "two of three points is enough");
        assert_eq!(two.percent, 66);
        let one = scored(&q, "Ordinals.")?;
        assert!(!one.correct && one.percent == 33);
        // Whole words only: `pvcx` and `headlessness` are not the keywords.
        let none = scored(&q, "pvcx headlessness stablename")?;
        assert_eq!(none.covered, vec![false, false, false]);
        assert_eq!(none.percent, 0);
        Ok(())
    }

    #[test]
    fn free_text_is_length_limited() {
        let q = explain();
        let long = "a".repeat(MAX_FREE_TEXT + 1);
        assert_eq!(
            Answer::parse(&q, &long),
            Err(AnswerError::TooLong {
                length: MAX_FREE_TEXT + 1
            })
        );
        assert!(Answer::parse(&q, &"é".repeat(MAX_FREE_TEXT)).is_ok());
        assert!(score(&q, &Answer::Text(long)).is_err());
    }

    #[test]
    fn right_answers_round_trip_through_form_text() -> Result<(), AnswerError> {
        let q = question(QuestionKind::Multiple {
            choices: vec!["a".into(), "b".into(), "c".into()],
            answers: [0, 2].into_iter().collect(),
        });
        let right = Answer::right_answer(&q);
        assert_eq!(right.to_form_text(), "0,2");
        assert_eq!(Answer::parse(&q, &right.to_form_text())?, right);
        Ok(())
    }
}

/// The real question banks: every right answer (including each model answer against its own
/// rubric) scores 100%.
#[cfg(test)]
mod course_tests {
    use super::*;
    use crate::{Catalog, LessonSource};

    #[test]
    fn every_right_answer_in_the_course_scores_full_marks() -> Result<(), Box<dyn std::error::Error>>
    {
        let catalog = Catalog::load(&LessonSource::Embedded)?;
        let mut failures = Vec::new();
        for lesson in catalog.lessons() {
            for question in lesson.quiz.iter().flat_map(|q| &q.questions) {
                let answer = Answer::right_answer(question);
                let parsed = Answer::parse(question, &answer.to_form_text())?;
                let outcome = score(question, &parsed)?;
                if !outcome.correct || outcome.percent != 100 {
                    failures.push(format!("{}: {}", question.id, outcome.feedback));
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        Ok(())
    }
}
