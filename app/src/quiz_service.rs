//! Server side of quizzes, review and interview practice: look questions up in the catalog,
//! score answers (never trusting the client) and keep them in the progress store.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;

use chrono::Utc;
use kubedojo_course::{Answer, Lesson, Question, QuestionKind, render_markdown, score};
use kubedojo_progress::{AnswerRecord, InterviewSession, LearnerId};

use crate::quiz_model::{
    AnswerReply, Feedback, InterviewResults, InterviewView, PartChoice, QuestionInput,
    QuestionView, QuizItem, QuizView, ReviewView, TopicScore,
};
use crate::ssr::{CourseContext, CourseError};

/// Interview sessions: at most this many questions and minutes.
pub const MAX_INTERVIEW_QUESTIONS: usize = 30;
pub const MAX_INTERVIEW_MINUTES: u32 = 90;
/// The part whose summary is the "say it back" exercise.
const SAY_IT_BACK_LESSON: u32 = 18;
/// A topic scoring under this is one of the weakest to revisit.
const WEAK_PERCENT: u8 = 70;

impl CourseContext {
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&kubedojo_progress::ProgressStore) -> Result<T, kubedojo_progress::Error>
        + Send
        + 'static,
    ) -> Result<T, CourseError> {
        let progress = self.progress.clone();
        tokio::task::spawn_blocking(move || work(&progress))
            .await
            .map_err(|_| CourseError::TaskFailed)?
            .map_err(CourseError::from)
    }

    /// A part's quiz with the learner's feedback on questions already answered.
    ///
    /// # Errors
    /// [`CourseError::UnknownLesson`] (or a lesson without a quiz); progress errors.
    pub async fn quiz(&self, learner: LearnerId, slug: &str) -> Result<QuizView, CourseError> {
        let lesson = self
            .catalog
            .get(slug)
            .filter(|l| l.quiz.is_some())
            .ok_or_else(|| CourseError::UnknownLesson(slug.to_owned()))?;
        let Some(quiz) = &lesson.quiz else {
            return Err(CourseError::UnknownLesson(slug.to_owned()));
        };
        let answers = self
            .progress
            .answers_for_lesson(learner, slug, quiz.version)?;
        let best = self
            .progress
            .quiz_scores(learner)?
            .get(&(slug.to_owned(), quiz.version))
            .map(|s| s.best_percent);
        let items = quiz
            .questions
            .iter()
            .map(|q| QuizItem {
                question: question_view(lesson, q),
                feedback: answers
                    .get(&q.id)
                    .and_then(|a| feedback_for(lesson, q, &a.answer)),
            })
            .collect();
        Ok(QuizView {
            slug: lesson.slug.clone(),
            number: lesson.number,
            title: lesson.front.title.clone(),
            version: quiz.version,
            items,
            best_percent: best,
        })
    }

    /// Scores and records an answer to a quiz (or review) question.
    ///
    /// # Errors
    /// Unknown question, a quiz version that is no longer current, an answer that does not fit
    /// the question; progress errors.
    pub async fn answer(
        &self,
        learner: LearnerId,
        question_id: &str,
        version: u32,
        raw: &str,
    ) -> Result<AnswerReply, CourseError> {
        let (lesson, question) = self.find_question(question_id)?;
        let quiz_version = lesson.quiz.as_ref().map_or(0, |q| q.version);
        if version != quiz_version {
            return Err(CourseError::StaleQuiz {
                lesson: lesson.slug.clone(),
            });
        }
        let answer = Answer::parse(question, raw)?;
        let outcome = score(question, &answer)?;
        let record = AnswerRecord {
            lesson_slug: lesson.slug.clone(),
            question_id: question.id.clone(),
            quiz_version,
            answer: answer.to_form_text(),
            correct: outcome.correct,
            percent: outcome.percent,
        };
        let feedback = make_feedback(&lesson, question, &answer);
        let slug = lesson.slug.clone();
        let total = lesson.quiz.as_ref().map_or(1, |q| q.questions.len().max(1));
        let (quiz_percent, best_percent) = self
            .blocking(move |store| {
                store.record_answer(learner, &record, Utc::now())?;
                let answers = store.answers_for_lesson(learner, &slug, quiz_version)?;
                let credit: usize = answers.values().map(|a| usize::from(a.percent)).sum();
                let percent = u8::try_from(credit / total).unwrap_or(100);
                let best = store.record_quiz_score(learner, &slug, quiz_version, percent)?;
                Ok((percent, best.best_percent))
            })
            .await?;
        Ok(AnswerReply {
            feedback,
            quiz_percent,
            best_percent,
        })
    }

    fn find_question(&self, id: &str) -> Result<(Arc<Lesson>, &Question), CourseError> {
        self.catalog
            .question(id)
            .map(|(lesson, question)| (lesson.clone(), question))
            .ok_or_else(|| CourseError::UnknownQuestion(id.chars().take(80).collect()))
    }

    /// Questions due for review now (questions removed from the course are skipped).
    ///
    /// # Errors
    /// Progress errors.
    pub async fn review(&self, learner: LearnerId) -> Result<ReviewView, CourseError> {
        let due = self.progress.due_for_review(learner, Utc::now())?;
        let mut versions = BTreeMap::new();
        let due = due
            .iter()
            .filter_map(|id| self.catalog.question(id))
            .map(|(lesson, question)| {
                if let Some(quiz) = &lesson.quiz {
                    versions.insert(lesson.slug.clone(), quiz.version);
                }
                QuizItem {
                    question: question_view(lesson, question),
                    feedback: None,
                }
            })
            .collect();
        Ok(ReviewView {
            due,
            versions: versions.into_iter().collect(),
        })
    }

    /// How many questions are due for review now.
    ///
    /// # Errors
    /// Progress errors.
    pub fn due_count(&self, learner: LearnerId) -> Result<usize, CourseError> {
        let due = self.progress.due_for_review(learner, Utc::now())?;
        Ok(due
            .iter()
            .filter(|id| self.catalog.question(id).is_some())
            .count())
    }

    /// Best quiz score per lesson slug, for the current quiz versions only.
    ///
    /// # Errors
    /// Progress errors.
    pub fn best_scores(&self, learner: LearnerId) -> Result<HashMap<String, u8>, CourseError> {
        let scores = self.progress.quiz_scores(learner)?;
        Ok(self
            .catalog
            .lessons()
            .iter()
            .filter_map(|lesson| {
                let version = lesson.quiz.as_ref()?.version;
                let score = scores.get(&(lesson.slug.clone(), version))?;
                Some((lesson.slug.clone(), score.best_percent))
            })
            .collect())
    }

    fn part_choices(&self) -> Vec<PartChoice> {
        self.catalog
            .lessons()
            .iter()
            .filter_map(|lesson| {
                Some(PartChoice {
                    slug: lesson.slug.clone(),
                    number: lesson.number,
                    title: lesson.front.title.clone(),
                    questions: lesson.quiz.as_ref()?.questions.len(),
                })
            })
            .collect()
    }

    /// The learner's interview practice: setup, the current question, or the results.
    ///
    /// # Errors
    /// Progress errors.
    pub async fn interview(&self, learner: LearnerId) -> Result<InterviewView, CourseError> {
        let Some(session) = self.progress.latest_interview(learner)? else {
            return Ok(InterviewView::Setup {
                parts: self.part_choices(),
            });
        };
        let now = Utc::now();
        if session.is_over(now) {
            if !session.finished {
                let id = session.id.clone();
                self.blocking(move |store| store.finish_interview(learner, &id))
                    .await?;
            }
            return Ok(InterviewView::Results(self.results(&session, now)));
        }
        let position = session.answers.len();
        let question = session
            .question_ids
            .get(position)
            .and_then(|id| self.catalog.question(id));
        match question {
            Some((lesson, question)) => Ok(InterviewView::Running {
                session_id: session.id.clone(),
                position,
                total: session.question_ids.len(),
                seconds_left: (session.deadline - now).num_seconds().max(0),
                question: question_view(lesson, question),
            }),
            // The course changed under the session: end it rather than fail.
            None => {
                let id = session.id.clone();
                self.blocking(move |store| store.finish_interview(learner, &id))
                    .await?;
                Ok(InterviewView::Results(self.results(&session, now)))
            }
        }
    }

    /// Starts a session of `count` random questions from `parts` (slugs; empty means all),
    /// with `minutes` on the clock, optionally ending with lesson 18's "say it back".
    ///
    /// # Errors
    /// [`CourseError::BadRequest`] for unknown parts or sizes out of range; progress errors.
    pub async fn start_interview(
        &self,
        learner: LearnerId,
        parts: &[String],
        count: usize,
        minutes: u32,
        say_it_back: bool,
    ) -> Result<(), CourseError> {
        if !(1..=MAX_INTERVIEW_QUESTIONS).contains(&count) {
            return Err(CourseError::BadRequest(format!(
                "choose between 1 and {MAX_INTERVIEW_QUESTIONS} questions"
            )));
        }
        if !(1..=MAX_INTERVIEW_MINUTES).contains(&minutes) {
            return Err(CourseError::BadRequest(format!(
                "choose between 1 and {MAX_INTERVIEW_MINUTES} minutes"
            )));
        }
        // A set: a part named twice must not double its questions.
        let parts: std::collections::BTreeSet<String> = parts
            .iter()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        let lessons: Vec<&Arc<Lesson>> = if parts.is_empty() {
            self.catalog.lessons().iter().collect()
        } else {
            parts
                .iter()
                .map(|slug| {
                    self.catalog
                        .get(slug)
                        .ok_or_else(|| CourseError::UnknownLesson(slug.chars().take(80).collect()))
                })
                .collect::<Result<_, _>>()?
        };
        let mut pool: Vec<(String, u64)> = lessons
            .iter()
            .flat_map(|l| l.quiz.iter().flat_map(|q| &q.questions))
            .map(|q| (q.id.clone(), rand::random::<u64>()))
            .collect();
        pool.sort_by_key(|(_, key)| *key);
        let mut ids: Vec<String> = pool.into_iter().take(count).map(|(id, _)| id).collect();
        if say_it_back {
            let summary = self
                .catalog
                .lessons()
                .iter()
                .find(|l| l.number == SAY_IT_BACK_LESSON)
                .and_then(|l| l.quiz.as_ref())
                .and_then(|q| {
                    q.questions
                        .iter()
                        .find(|q| matches!(q.kind, QuestionKind::Explain { .. }))
                });
            if let Some(summary) = summary {
                ids.retain(|id| *id != summary.id);
                ids.push(summary.id.clone());
            }
        }
        if ids.is_empty() {
            return Err(CourseError::BadRequest(
                "the chosen parts have no questions".to_owned(),
            ));
        }
        let started = Utc::now();
        let deadline = started + chrono::Duration::minutes(i64::from(minutes));
        let part_slugs: Vec<String> = lessons.iter().map(|l| l.slug.clone()).collect();
        self.blocking(move |store| {
            store.start_interview(learner, &part_slugs, &ids, started, deadline)
        })
        .await?;
        Ok(())
    }

    /// Records the answer to the session's current question. An answer for another position
    /// (a second tab, a double submit) or after the deadline is not recorded.
    ///
    /// # Errors
    /// No such session, an unknown question, an answer that does not fit; progress errors.
    pub async fn answer_interview(
        &self,
        learner: LearnerId,
        session_id: &str,
        position: usize,
        raw: &str,
    ) -> Result<(), CourseError> {
        let session = self
            .progress
            .latest_interview(learner)?
            .filter(|s| s.id == session_id)
            .ok_or(CourseError::NoInterview)?;
        if session.is_over(Utc::now()) || position != session.answers.len() {
            return Ok(());
        }
        let question_id = session
            .question_ids
            .get(position)
            .ok_or(CourseError::NoInterview)?;
        let (lesson, question) = self.find_question(question_id)?;
        let answer = Answer::parse(question, raw)?;
        let outcome = score(question, &answer)?;
        let record = AnswerRecord {
            lesson_slug: lesson.slug.clone(),
            question_id: question.id.clone(),
            quiz_version: lesson.quiz.as_ref().map_or(0, |q| q.version),
            answer: answer.to_form_text(),
            correct: outcome.correct,
            percent: outcome.percent,
        };
        let session_id = session_id.to_owned();
        self.blocking(move |store| {
            store.record_interview_answer(learner, &session_id, position, &record, Utc::now())
        })
        .await?;
        Ok(())
    }

    /// Ends the learner's open session now (the results count unanswered questions as wrong).
    ///
    /// # Errors
    /// No such session; progress errors.
    pub async fn finish_interview(
        &self,
        learner: LearnerId,
        session_id: &str,
    ) -> Result<(), CourseError> {
        let session_id = session_id.to_owned();
        let known = self
            .progress
            .latest_interview(learner)?
            .is_some_and(|s| s.id == session_id);
        if !known {
            return Err(CourseError::NoInterview);
        }
        self.blocking(move |store| store.finish_interview(learner, &session_id))
            .await
    }

    fn results(&self, session: &InterviewSession, now: chrono::DateTime<Utc>) -> InterviewResults {
        let mut topics: BTreeMap<u32, TopicScore> = BTreeMap::new();
        // Credit (sum of percents) per part; a topic's score is its mean, unanswered count 0.
        let mut credit_by_topic: BTreeMap<u32, usize> = BTreeMap::new();
        let mut items = Vec::new();
        let mut credit = 0usize;
        for (position, id) in session.question_ids.iter().enumerate() {
            let Some((lesson, question)) = self.catalog.question(id) else {
                continue;
            };
            let given = session.answers.get(position);
            let feedback = given.and_then(|a| feedback_for(lesson, question, &a.answer));
            let percent = given.map_or(0, |a| a.percent);
            credit += usize::from(percent);
            *credit_by_topic.entry(lesson.number).or_default() += usize::from(percent);
            let topic = topics.entry(lesson.number).or_insert_with(|| TopicScore {
                slug: lesson.slug.clone(),
                number: lesson.number,
                title: lesson.front.title.clone(),
                questions: 0,
                correct: 0,
                percent: 0,
                revisit: Vec::new(),
            });
            topic.questions += 1;
            if given.is_some_and(|a| a.correct) {
                topic.correct += 1;
            } else {
                let href = format!("/lessons/{}#{}", lesson.slug, question.section);
                let title = section_title(lesson, &question.section);
                if !topic.revisit.iter().any(|(h, _)| *h == href) {
                    topic.revisit.push((href, title));
                }
            }
            items.push((question_view(lesson, question), feedback));
        }
        for (number, topic) in &mut topics {
            let sum = credit_by_topic.get(number).copied().unwrap_or(0);
            topic.percent = u8::try_from(sum / topic.questions.max(1)).unwrap_or(100);
        }
        let topics: Vec<TopicScore> = topics.into_values().collect();
        let mut weakest: Vec<TopicScore> = topics
            .iter()
            .filter(|t| t.percent < WEAK_PERCENT)
            .cloned()
            .collect();
        weakest.sort_by_key(|t| (t.percent, t.number));
        weakest.truncate(3);
        let total = session.question_ids.len();
        InterviewResults {
            total,
            answered: session.answers.len(),
            percent: u8::try_from(credit / total.max(1)).unwrap_or(100),
            timed_out: now >= session.deadline && session.answers.len() < total,
            topics,
            weakest,
            items,
            parts: self.part_choices(),
        }
    }
}

fn section_title(lesson: &Lesson, section: &str) -> String {
    lesson
        .toc
        .iter()
        .find(|t| t.id == section)
        .map_or_else(|| section.to_owned(), |t| t.text.clone())
}

fn kind_label(kind: &QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Single { .. } => "Single choice",
        QuestionKind::Multiple { .. } => "Multiple choice — pick every right answer",
        QuestionKind::Scenario { .. } => "Scenario",
        QuestionKind::Order { .. } => "Put in order",
        QuestionKind::Fill { .. } => "Fill in",
        QuestionKind::SpotTheBug { .. } => "Spot the bug — pick the faulty line",
        QuestionKind::Explain { .. } => "Explain it like in an interview",
    }
}

/// The question without its answer; order items shuffled the same way on every render (so
/// server HTML and hydration agree) and never already in the right order.
pub(crate) fn question_view(lesson: &Lesson, question: &Question) -> QuestionView {
    let input = match &question.kind {
        QuestionKind::Single { choices, .. } | QuestionKind::Scenario { choices, .. } => {
            QuestionInput::Choices {
                choices: choices.iter().map(|c| inline_html(c)).collect(),
                multiple: false,
            }
        }
        QuestionKind::Multiple { choices, .. } => QuestionInput::Choices {
            choices: choices.iter().map(|c| inline_html(c)).collect(),
            multiple: true,
        },
        QuestionKind::Order { items } => QuestionInput::Order {
            items: shuffled(&question.id, items)
                .into_iter()
                .map(|(i, text)| (i, inline_html(&text)))
                .collect(),
        },
        QuestionKind::Fill { .. } => QuestionInput::Fill,
        QuestionKind::SpotTheBug { code, .. } => QuestionInput::SpotTheBug {
            lines: code.lines().map(str::to_owned).collect(),
        },
        QuestionKind::Explain { .. } => QuestionInput::Explain,
    };
    QuestionView {
        id: question.id.clone(),
        lesson_slug: lesson.slug.clone(),
        lesson_number: lesson.number,
        lesson_title: lesson.front.title.clone(),
        prompt_html: render_markdown(&question.prompt).html,
        kind_label: kind_label(&question.kind).to_owned(),
        input,
    }
}

/// A one-line Markdown text (a choice, an item) as inline HTML: `code` becomes `<code>`, and
/// raw HTML is escaped by the course renderer.
fn inline_html(text: &str) -> String {
    let html = render_markdown(text).html;
    let trimmed = html.trim();
    trimmed
        .strip_prefix("<p>")
        .and_then(|t| t.strip_suffix("</p>"))
        .unwrap_or(trimmed)
        .to_owned()
}

fn shuffled(seed: &str, items: &[String]) -> Vec<(usize, String)> {
    let key = |i: usize| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        seed.hash(&mut hasher);
        i.hash(&mut hasher);
        hasher.finish()
    };
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| key(i));
    if order.iter().enumerate().all(|(i, v)| i == *v) {
        order.rotate_left(1);
    }
    order
        .into_iter()
        .filter_map(|i| items.get(i).map(|text| (i, text.clone())))
        .collect()
}

/// Feedback for a stored answer (`None` if it no longer fits the question).
fn feedback_for(lesson: &Lesson, question: &Question, stored: &str) -> Option<Feedback> {
    let answer = Answer::parse(question, stored).ok()?;
    Some(make_feedback(lesson, question, &answer))
}

fn make_feedback(lesson: &Lesson, question: &Question, answer: &Answer) -> Feedback {
    let outcome = score(question, answer).ok();
    let (correct, percent, summary, covered) = outcome.map_or_else(
        || {
            (
                false,
                0,
                "This answer does not fit the question.".to_owned(),
                Vec::new(),
            )
        },
        |o| (o.correct, o.percent, o.feedback, o.covered),
    );
    let (rubric, model_answer) = match &question.kind {
        QuestionKind::Explain {
            rubric,
            model_answer,
        } => (
            rubric
                .iter()
                .zip(covered.iter().copied().chain(std::iter::repeat(false)))
                .map(|(p, c)| (p.point.clone(), c))
                .collect(),
            Some(render_markdown(model_answer).html),
        ),
        _ => (Vec::new(), None),
    };
    Feedback {
        question_id: question.id.clone(),
        correct,
        percent,
        summary,
        your_answer: describe_answer(question, answer),
        explanation_html: render_markdown(&question.explanation).html,
        section_href: format!("/lessons/{}#{}", lesson.slug, question.section),
        section_title: section_title(lesson, &question.section),
        rubric,
        model_answer_html: model_answer,
    }
}

/// The answer in words (choice texts rather than indices).
fn describe_answer(question: &Question, answer: &Answer) -> String {
    let pick = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
    match (&question.kind, answer) {
        (
            QuestionKind::Single { choices, .. } | QuestionKind::Scenario { choices, .. },
            Answer::Choice(i),
        ) => pick(choices, *i),
        (QuestionKind::Multiple { choices, .. }, Answer::Choices(set)) => set
            .iter()
            .map(|&i| pick(choices, i))
            .collect::<Vec<_>>()
            .join("; "),
        (QuestionKind::Order { items }, Answer::Order(order)) => order
            .iter()
            .map(|&i| pick(items, i))
            .collect::<Vec<_>>()
            .join(" → "),
        (QuestionKind::SpotTheBug { code, .. }, Answer::Line(line)) => format!(
            "line {line}: {}",
            code.lines()
                .nth(line.saturating_sub(1))
                .unwrap_or("")
                .trim()
        ),
        _ => answer.to_form_text(),
    }
}
