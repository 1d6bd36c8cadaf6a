//! Quiz, review and interview data the server sends to the pages. Questions travel without
//! their answers; the server scores every answer and sends back [`Feedback`].

use serde::{Deserialize, Serialize};

/// A question as the learner sees it before answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionView {
    pub id: String,
    pub lesson_slug: String,
    pub lesson_number: u32,
    pub lesson_title: String,
    /// Server-rendered HTML of the prompt (course content, not learner text).
    pub prompt_html: String,
    /// Human name of the kind ("Single choice", "Order", …).
    pub kind_label: String,
    pub input: QuestionInput,
}

/// What answering a question needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuestionInput {
    /// Radio buttons (`multiple == false`) or checkboxes; choices as inline HTML rendered on
    /// the server from the course's Markdown.
    Choices {
        choices: Vec<String>,
        multiple: bool,
    },
    /// Items to put in order, as (index as written, inline HTML), shown shuffled.
    Order { items: Vec<(usize, String)> },
    /// A one-line text answer.
    Fill,
    /// A manifest whose faulty line is picked.
    SpotTheBug { lines: Vec<String> },
    /// A free answer scored against key points.
    Explain,
}

/// The server's verdict on an answer, with everything needed to learn from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub question_id: String,
    pub correct: bool,
    pub percent: u8,
    pub summary: String,
    /// The answer as given (learner text: always shown escaped).
    pub your_answer: String,
    pub explanation_html: String,
    /// Link to the lesson section the question tests.
    pub section_href: String,
    pub section_title: String,
    /// Explain questions: (rubric point, covered).
    pub rubric: Vec<(String, bool)>,
    /// Explain questions: the model answer, as server-rendered HTML (course content).
    pub model_answer_html: Option<String>,
}

/// A question with the learner's last feedback on it (if answered in this quiz version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizItem {
    pub question: QuestionView,
    pub feedback: Option<Feedback>,
}

/// A part's end-of-lesson quiz.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizView {
    pub slug: String,
    pub number: u32,
    pub title: String,
    pub version: u32,
    pub items: Vec<QuizItem>,
    pub best_percent: Option<u8>,
}

/// The answer endpoint's reply: feedback and the part's score so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerReply {
    pub feedback: Feedback,
    /// Sum of the latest answers' credit over the bank size (unanswered questions count 0).
    pub quiz_percent: u8,
    pub best_percent: u8,
}

/// Questions due for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub due: Vec<QuizItem>,
    /// Quiz versions of the due questions' parts, by lesson slug (sent back with answers).
    pub versions: Vec<(String, u32)>,
}

/// A part that interview practice can draw from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartChoice {
    pub slug: String,
    pub number: u32,
    pub title: String,
    pub questions: usize,
}

/// Interview practice, in whichever state the learner's latest session is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InterviewView {
    /// No session open: choose parts and length.
    Setup {
        parts: Vec<PartChoice>,
    },
    /// A question to answer, with the time left (the server's deadline is the truth).
    Running {
        session_id: String,
        position: usize,
        total: usize,
        seconds_left: i64,
        question: QuestionView,
    },
    Results(InterviewResults),
}

/// A finished session: score per topic (part), weakest topics, every answer with feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterviewResults {
    pub total: usize,
    pub answered: usize,
    pub percent: u8,
    pub timed_out: bool,
    pub topics: Vec<TopicScore>,
    pub weakest: Vec<TopicScore>,
    pub items: Vec<(QuestionView, Option<Feedback>)>,
    pub parts: Vec<PartChoice>,
}

/// How a session went on one part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicScore {
    pub slug: String,
    pub number: u32,
    pub title: String,
    pub questions: usize,
    pub correct: usize,
    pub percent: u8,
    /// Sections to revisit: (href, title) of the questions missed.
    pub revisit: Vec<(String, String)>,
}
