//! All lessons of the course, loaded once and kept in course order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::lab_files::{LAB_FILE, LabFiles, MANIFESTS_DIR};
use crate::lesson::{self, LESSON_FILE, Lesson, LessonFiles, QUIZ_FILE};
use crate::problem::{LoadError, Problem};
use crate::quiz::Question;

/// Where lessons come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LessonSource {
    /// The `lessons/` folder embedded in the binary at build time (the default).
    Embedded,
    /// A folder on disk, for authors editing lessons (`--lessons DIR`).
    Directory(PathBuf),
}

/// A lesson with the lessons before and after it.
#[derive(Debug, Clone, Copy)]
pub struct Neighbours<'a> {
    pub previous: Option<&'a Arc<Lesson>>,
    pub lesson: &'a Arc<Lesson>,
    pub next: Option<&'a Arc<Lesson>>,
}

/// The checked, rendered course. Cheap to share: lessons are behind `Arc`s.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    lessons: Vec<Arc<Lesson>>,
    by_slug: HashMap<String, usize>,
}

impl Catalog {
    /// Loads, checks and renders every `NN-slug/lesson.md`.
    ///
    /// # Errors
    /// [`LoadError::Read`] when a folder or file cannot be read, and [`LoadError::Invalid`] with
    /// every problem found (all lessons are checked, not just the first bad one) — a course is
    /// served whole or not at all.
    pub fn load(source: &LessonSource) -> Result<Self, LoadError> {
        let files = match source {
            LessonSource::Embedded => embedded_lesson_files(),
            LessonSource::Directory(dir) => read_lesson_files(dir)?,
        };
        Self::from_files(files)
    }

    /// Builds a catalog from the files of each lesson folder.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem found.
    pub fn from_files(files: Vec<LessonFiles>) -> Result<Self, LoadError> {
        let mut problems = Vec::new();
        let mut lessons = Vec::new();
        if files.is_empty() {
            problems.push(Problem::new(
                ".",
                1,
                "no lessons found (expected folders NN-slug holding lesson.md)",
            ));
        }
        for folder in &files {
            match lesson::build(folder) {
                Ok(lesson) => lessons.push(lesson),
                Err(found) => problems.extend(found),
            }
        }
        lessons.sort_by_key(|l| l.number);
        problems.extend(duplicate_question_ids(&lessons));
        for pair in lessons.windows(2) {
            if pair[0].number == pair[1].number {
                problems.push(Problem::new(
                    Path::new(&pair[1].slug).join(LESSON_FILE),
                    1,
                    format!(
                        "lesson number {} is also used by {}",
                        pair[1].number, pair[0].slug
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(LoadError::Invalid(problems));
        }
        let by_slug = lessons
            .iter()
            .enumerate()
            .map(|(i, l)| (l.slug.clone(), i))
            .collect();
        Ok(Self {
            lessons: lessons.into_iter().map(Arc::new).collect(),
            by_slug,
        })
    }

    /// Lessons in course order.
    pub fn lessons(&self) -> &[Arc<Lesson>] {
        &self.lessons
    }

    /// The lesson with this slug and its neighbours in course order.
    pub fn lesson_with_neighbours(&self, slug: &str) -> Option<Neighbours<'_>> {
        let i = *self.by_slug.get(slug)?;
        Some(Neighbours {
            previous: i.checked_sub(1).and_then(|p| self.lessons.get(p)),
            lesson: self.lessons.get(i)?,
            next: self.lessons.get(i + 1),
        })
    }

    /// A question by its id (ids are unique across the course) with the lesson it belongs to.
    pub fn question(&self, id: &str) -> Option<(&Arc<Lesson>, &Question)> {
        self.lessons.iter().find_map(|lesson| {
            let quiz = lesson.quiz.as_ref()?;
            quiz.questions
                .iter()
                .find(|q| q.id == id)
                .map(|q| (lesson, q))
        })
    }

    /// The lesson with this slug.
    pub fn get(&self, slug: &str) -> Option<&Arc<Lesson>> {
        self.by_slug.get(slug).map(|&i| &self.lessons[i])
    }
}

/// Question ids are unique across the course (progress and review records refer to them).
fn duplicate_question_ids(lessons: &[Lesson]) -> Vec<Problem> {
    let mut owners: HashMap<&str, &str> = HashMap::new();
    let mut problems = Vec::new();
    for lesson in lessons {
        for question in lesson.quiz.iter().flat_map(|q| &q.questions) {
            if let Some(first) = owners.insert(&question.id, &lesson.slug) {
                problems.push(Problem::new(
                    Path::new(&lesson.slug).join(QUIZ_FILE),
                    1,
                    format!("question id `{}` is also used in {first}", question.id),
                ));
            }
        }
    }
    problems
}

fn embedded_lesson_files() -> Vec<LessonFiles> {
    let file = |folder: &str, name: &str| {
        crate::embedded::FILES
            .iter()
            .find(|(path, _)| path.split_once('/') == Some((folder, name)))
            .map(|(_, text)| (*text).to_owned())
    };
    crate::embedded::FILES
        .iter()
        .filter_map(|(path, text)| {
            let (folder, name) = path.split_once('/')?;
            (name == LESSON_FILE).then(|| LessonFiles {
                folder: folder.to_owned(),
                lesson: (*text).to_owned(),
                quiz: file(folder, QUIZ_FILE),
                lab: embedded_lab(folder),
            })
        })
        .collect()
}

/// The embedded `folder/lab.toml` and `folder/manifests/**`.
fn embedded_lab(folder: &str) -> Option<LabFiles> {
    let in_folder = |path: &'static str| {
        path.strip_prefix(folder)
            .and_then(|rest| rest.strip_prefix('/'))
    };
    let text = crate::embedded::FILES
        .iter()
        .find(|(path, _)| in_folder(path) == Some(LAB_FILE))?
        .1
        .to_owned();
    let manifests = crate::embedded::FILES
        .iter()
        .filter_map(|(path, content)| {
            let relative = in_folder(path)?;
            relative
                .starts_with(&format!("{MANIFESTS_DIR}/"))
                .then(|| (relative.to_owned(), (*content).to_owned()))
        })
        .collect();
    Some(LabFiles { text, manifests })
}

fn read_lesson_files(dir: &Path) -> Result<Vec<LessonFiles>, LoadError> {
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| LoadError::Read { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error(dir))? {
        let entry = entry.map_err(read_error(dir))?;
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let lesson_path = path.join(LESSON_FILE);
        if !lesson_path.exists() {
            continue;
        }
        let lesson = std::fs::read_to_string(&lesson_path).map_err(read_error(&lesson_path))?;
        let quiz_path = path.join(QUIZ_FILE);
        let quiz = if quiz_path.exists() {
            Some(std::fs::read_to_string(&quiz_path).map_err(read_error(&quiz_path))?)
        } else {
            None
        };
        let lab = LabFiles::read(&path).map_err(read_error(&path))?;
        files.push(LessonFiles {
            folder: entry.file_name().to_string_lossy().into_owned(),
            lesson,
            quiz,
            lab,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::tests::{files, valid_lesson_text};

    #[test]
    fn lessons_are_ordered_and_have_neighbours() {
        let catalog = Catalog::from_files(vec![
            files("02-b", &valid_lesson_text("B"), None),
            files("01-a", &valid_lesson_text("A"), None),
            files("03-c", &valid_lesson_text("C"), None),
        ])
        .expect("valid");
        let slugs: Vec<_> = catalog.lessons().iter().map(|l| l.slug.as_str()).collect();
        assert_eq!(slugs, ["01-a", "02-b", "03-c"]);
        let found = catalog.lesson_with_neighbours("02-b").expect("exists");
        assert_eq!(found.lesson.front.title, "B");
        assert_eq!(found.previous.map(|l| l.slug.as_str()), Some("01-a"));
        assert_eq!(found.next.map(|l| l.slug.as_str()), Some("03-c"));
        assert!(catalog.get("99-nope").is_none());
    }

    #[test]
    fn every_bad_lesson_is_reported_and_nothing_is_served() {
        let err = Catalog::from_files(vec![
            files("01-a", "no front matter", None),
            files("02-b", &valid_lesson_text("B"), None),
            files("bad", &valid_lesson_text("C"), None),
        ])
        .expect_err("invalid");
        let LoadError::Invalid(problems) = err else {
            panic!("expected Invalid, got {err}");
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].file, Path::new("01-a/lesson.md"));
    }

    #[test]
    fn question_ids_are_unique_across_the_course() {
        let quiz = crate::quiz::tests::valid_quiz();
        let err = Catalog::from_files(vec![
            files("01-a", &valid_lesson_text("A"), Some(&quiz)),
            files("02-b", &valid_lesson_text("B"), Some(&quiz)),
        ])
        .expect_err("duplicate ids");
        assert!(err.to_string().contains("is also used in 01-a"), "{err}");
    }

    #[test]
    fn duplicate_numbers_and_empty_courses_are_refused() {
        assert!(Catalog::from_files(vec![]).is_err());
        assert!(
            Catalog::from_files(vec![
                files("01-a", &valid_lesson_text("A"), None),
                files("01-b", &valid_lesson_text("B"), None),
            ])
            .is_err()
        );
    }

    #[test]
    fn reads_lessons_from_a_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lesson_dir = dir.path().join("01-a");
        std::fs::create_dir(&lesson_dir).expect("mkdir");
        std::fs::write(lesson_dir.join("lesson.md"), valid_lesson_text("A")).expect("write");
        let catalog =
            Catalog::load(&LessonSource::Directory(dir.path().to_owned())).expect("valid");
        assert_eq!(catalog.lessons().len(), 1);

        let missing = Catalog::load(&LessonSource::Directory(dir.path().join("nope")));
        assert!(matches!(missing, Err(LoadError::Read { .. })));
    }
}
