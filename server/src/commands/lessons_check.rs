//! `kubedojo lessons check [DIR]`.

use kubedojo_course::{Catalog, LessonSource, LoadError};

use crate::cli::LessonsCheckArgs;

/// Checks the lessons in `args.dir` (and their labs, `lab.toml`), printing every problem as
/// `file:line: message`.
///
/// # Errors
/// When the folder cannot be read or any lesson or lab has a problem (the process exits with 1).
pub fn run(args: &LessonsCheckArgs) -> anyhow::Result<()> {
    let lab_problems = kubedojo_grader::validate_lessons(&args.dir);
    for problem in &lab_problems {
        let mut problem = problem.clone();
        problem.file = args.dir.join(&problem.file);
        println!("{problem}");
    }
    match Catalog::load(&LessonSource::Directory(args.dir.clone())) {
        Ok(_) if !lab_problems.is_empty() => anyhow::bail!(
            "{} problem(s) found in {}",
            lab_problems.len(),
            args.dir.display()
        ),
        Ok(catalog) => {
            let words: usize = catalog.lessons().iter().map(|l| l.word_count).sum();
            let questions: usize = catalog
                .lessons()
                .iter()
                .filter_map(|l| l.quiz.as_ref())
                .map(|q| q.questions.len())
                .sum();
            println!(
                "{}: {} lessons OK ({words} words of prose, {questions} quiz questions)",
                args.dir.display(),
                catalog.lessons().len()
            );
            Ok(())
        }
        Err(LoadError::Invalid(problems)) => {
            for problem in &problems {
                let mut problem = problem.clone();
                problem.file = args.dir.join(&problem.file);
                println!("{problem}");
            }
            anyhow::bail!(
                "{} problem(s) found in {}",
                problems.len() + lab_problems.len(),
                args.dir.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}
