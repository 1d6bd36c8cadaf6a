//! All lessons of the course, loaded once and kept in course order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::lesson::{self, Lesson};
use crate::problem::{LoadError, Problem};

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

const LESSON_FILE: &str = "lesson.md";

impl Catalog {
    /// Loads, checks and renders every `NN-slug/lesson.md`.
    ///
    /// # Errors
    /// [`LoadError::Read`] when a folder or file cannot be read, and [`LoadError::Invalid`] with
    /// every problem found (all lessons are checked, not just the first bad one) — a course is
    /// served whole or not at all.
    pub fn load(source: &LessonSource) -> Result<Self, LoadError> {
        let files = match source {
            LessonSource::Embedded => crate::embedded::FILES
                .iter()
                .filter_map(|(path, text)| {
                    let (folder, file) = path.split_once('/')?;
                    (file == LESSON_FILE).then(|| (folder.to_owned(), (*text).to_owned()))
                })
                .collect(),
            LessonSource::Directory(dir) => read_lesson_files(dir)?,
        };
        Self::from_files(files)
    }

    /// Builds a catalog from `(folder name, lesson.md text)` pairs.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem found.
    pub fn from_files(files: Vec<(String, String)>) -> Result<Self, LoadError> {
        let mut problems = Vec::new();
        let mut lessons = Vec::new();
        if files.is_empty() {
            problems.push(Problem::new(
                ".",
                1,
                "no lessons found (expected folders NN-slug holding lesson.md)",
            ));
        }
        for (folder, text) in files {
            let file = Path::new(&folder).join(LESSON_FILE);
            match lesson::build(&folder, &file, &text) {
                Ok(lesson) => lessons.push(lesson),
                Err(found) => problems.extend(found),
            }
        }
        lessons.sort_by_key(|l| l.number);
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

    /// The lesson with this slug.
    pub fn get(&self, slug: &str) -> Option<&Arc<Lesson>> {
        self.by_slug.get(slug).map(|&i| &self.lessons[i])
    }
}

fn read_lesson_files(dir: &Path) -> Result<Vec<(String, String)>, LoadError> {
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
        let text = std::fs::read_to_string(&lesson_path).map_err(read_error(&lesson_path))?;
        files.push((entry.file_name().to_string_lossy().into_owned(), text));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::tests::valid_lesson_text;

    #[test]
    fn lessons_are_ordered_and_have_neighbours() {
        let catalog = Catalog::from_files(vec![
            ("02-b".into(), valid_lesson_text("B")),
            ("01-a".into(), valid_lesson_text("A")),
            ("03-c".into(), valid_lesson_text("C")),
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
            ("01-a".into(), "no front matter".into()),
            ("02-b".into(), valid_lesson_text("B")),
            ("bad".into(), valid_lesson_text("C")),
        ])
        .expect_err("invalid");
        let LoadError::Invalid(problems) = err else {
            panic!("expected Invalid, got {err}");
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].file, Path::new("01-a/lesson.md"));
    }

    #[test]
    fn duplicate_numbers_and_empty_courses_are_refused() {
        assert!(Catalog::from_files(vec![]).is_err());
        assert!(
            Catalog::from_files(vec![
                ("01-a".into(), valid_lesson_text("A")),
                ("01-b".into(), valid_lesson_text("B")),
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
