//! Data the server sends to the pages (serialised into the page for hydration).

use serde::{Deserialize, Serialize};

/// A lesson as it appears on the course map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonSummary {
    pub number: u32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub estimated_minutes: u32,
    pub read: bool,
    /// Best end-of-lesson quiz score (current quiz version), if taken.
    pub quiz_best: Option<u8>,
    pub has_quiz: bool,
}

/// A group of consecutive lessons on the course map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseSection {
    pub title: String,
    pub lessons: Vec<LessonSummary>,
}

/// The whole course as the home page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseMap {
    pub sections: Vec<CourseSection>,
    /// Questions due for review now (Leitner schedule).
    pub due_for_review: usize,
}

impl CourseMap {
    /// (lessons read, lessons in the course).
    pub fn progress(&self) -> (usize, usize) {
        let lessons = self.sections.iter().flat_map(|s| &s.lessons);
        let (read, total) = lessons.fold((0, 0), |(r, t), l| (r + usize::from(l.read), t + 1));
        (read, total)
    }

    /// Total estimated minutes of the lessons not read yet.
    pub fn minutes_left(&self) -> u32 {
        self.sections
            .iter()
            .flat_map(|s| &s.lessons)
            .filter(|l| !l.read)
            .map(|l| l.estimated_minutes)
            .sum()
    }
}

/// The course map's sections: which lesson numbers each holds. Lessons outside every range
/// (a course that grew) land in a final "More" section.
pub const SECTIONS: &[(&str, std::ops::RangeInclusive<u32>)] = &[
    ("Pods and their data", 1..=3),
    ("Services, identity and StatefulSets", 4..=8),
    ("Volumes and storage", 9..=12),
    ("Databases in production", 13..=16),
    ("Becoming the expert", 17..=18),
];

/// A link to a neighbouring lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonLink {
    pub number: u32,
    pub slug: String,
    pub title: String,
}

/// An entry of a lesson's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TocItem {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// Everything the lesson page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonView {
    pub number: u32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub objectives: Vec<String>,
    pub estimated_minutes: u32,
    pub tags: Vec<String>,
    /// Server-rendered, sanitised HTML of the lesson body.
    ///
    /// NB: not serialised. The page already carries this HTML in the DOM, and hydration leaves
    /// `inner_html` content from the server untouched, so sending it a second time inside the
    /// hydration data would only double the page (≈40% of its bytes). Server-function calls
    /// carry it in [`LessonPayload`] instead.
    #[serde(skip)]
    pub html: String,
    pub toc: Vec<TocItem>,
    pub previous: Option<LessonLink>,
    pub next: Option<LessonLink>,
    pub total_lessons: usize,
    pub read: bool,
    /// The part has a hands-on lab: the page shows the lab panel.
    pub has_lab: bool,
}

/// What the lesson server function returns: the view plus its body HTML (which
/// [`LessonView`] does not serialise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonPayload {
    pub view: LessonView,
    pub html: String,
}

impl LessonPayload {
    pub fn into_view(self) -> LessonView {
        LessonView {
            html: self.html,
            ..self.view
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(number: u32, read: bool) -> LessonSummary {
        LessonSummary {
            number,
            slug: format!("{number:02}-x"),
            title: "t".into(),
            summary: "s".into(),
            estimated_minutes: 10,
            read,
            quiz_best: None,
            has_quiz: true,
        }
    }

    #[test]
    fn progress_counts_read_lessons() {
        let map = CourseMap {
            sections: vec![CourseSection {
                title: "A".into(),
                lessons: vec![summary(1, true), summary(2, false), summary(3, false)],
            }],
            due_for_review: 0,
        };
        assert_eq!(map.progress(), (1, 3));
        assert_eq!(map.minutes_left(), 20);
    }
}
