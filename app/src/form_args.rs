//! How each learner form's fields become its server function's arguments, for
//! [`PostForm`](crate::components::PostForm). The names are the forms' `name` attributes; a
//! missing or malformed field is an error naming it, shown where the form shows failures.

use crate::api::{AnswerInterview, AnswerQuestion, FinishInterview, SetLessonRead, StartInterview};
use crate::components::post_form::{Fields, FromFields};
use crate::lab::api::{
    CheckLab, ResetLab, RevealHint, RunLabAction, SetLabPace, ShowSolution, StartLab,
};
use crate::lab::model::PaceView;
use crate::workshop::api::JoinWorkshop;

/// Checkbox and ordering questions send their choices as `picks[]`, one field per choice.
fn picks(f: &Fields) -> Option<Vec<String>> {
    let picks = f.all("picks[]");
    (!picks.is_empty()).then_some(picks)
}

impl FromFields for SetLessonRead {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            slug: f.text("slug")?,
            read: f.parse("read")?,
        })
    }
}

impl FromFields for AnswerQuestion {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            question_id: f.text("question_id")?,
            version: f.parse("version")?,
            answer: f.text("answer")?,
            picks: picks(f),
        })
    }
}

impl FromFields for StartInterview {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            parts: f.all("parts[]"),
            count: f.parse("count")?,
            minutes: f.parse("minutes")?,
            say_it_back: f.parse("say_it_back")?,
        })
    }
}

impl FromFields for AnswerInterview {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            session_id: f.text("session_id")?,
            position: f.parse("position")?,
            answer: f.text("answer")?,
            picks: picks(f),
        })
    }
}

impl FromFields for FinishInterview {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            session_id: f.text("session_id")?,
        })
    }
}

/// The lab forms that name only the lab.
macro_rules! lab_slug_only {
    ($($args:ident),*) => {$(
        impl FromFields for $args {
            fn from_fields(f: &Fields) -> Result<Self, String> {
                Ok(Self { slug: f.text("slug")? })
            }
        }
    )*};
}
lab_slug_only!(StartLab, CheckLab, ResetLab);

impl FromFields for RevealHint {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            slug: f.text("slug")?,
            task: f.text("task")?,
        })
    }
}

impl FromFields for ShowSolution {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            slug: f.text("slug")?,
            task: f.text("task")?,
        })
    }
}

impl FromFields for RunLabAction {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            slug: f.text("slug")?,
            action: f.text("action")?,
        })
    }
}

impl FromFields for SetLabPace {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        let pace = match f.text("pace")?.as_str() {
            "lifelike" => PaceView::Lifelike,
            "instant" => PaceView::Instant,
            other => return Err(format!("`pace` cannot be `{other}`")),
        };
        Ok(Self {
            slug: f.text("slug")?,
            pace,
        })
    }
}

impl FromFields for JoinWorkshop {
    fn from_fields(f: &Fields) -> Result<Self, String> {
        Ok(Self {
            code: f.text("code")?,
            name: f.text("name")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_carry_their_picks_only_when_there_are_some() -> Result<(), String> {
        let one = AnswerQuestion::from_fields(&Fields::of(&[
            ("question_id", "02-q1"),
            ("version", "3"),
            ("answer", "1"),
        ]))?;
        assert_eq!(
            (one.version, one.answer.as_str(), one.picks),
            (3, "1", None)
        );
        let many = AnswerInterview::from_fields(&Fields::of(&[
            ("session_id", "s"),
            ("position", "0"),
            ("answer", ""),
            ("picks[]", "2"),
            ("picks[]", "0"),
        ]))?;
        assert_eq!(many.picks, Some(vec!["2".into(), "0".into()]));
        Ok(())
    }

    #[test]
    fn the_interview_setup_reads_its_parts_and_choices() -> Result<(), String> {
        let start = StartInterview::from_fields(&Fields::of(&[
            ("parts[]", ""),
            ("parts[]", "02-bare-pod-data-loss"),
            ("count", "10"),
            ("minutes", "20"),
            ("say_it_back", "true"),
        ]))?;
        assert_eq!(start.parts, ["", "02-bare-pod-data-loss"]);
        assert_eq!(
            (start.count, start.minutes, start.say_it_back),
            (10, 20, true)
        );
        Ok(())
    }

    #[test]
    fn a_bad_field_is_named() {
        let pace = SetLabPace::from_fields(&Fields::of(&[("slug", "02"), ("pace", "warp")]));
        assert_eq!(pace.err(), Some("`pace` cannot be `warp`".into()));
        let version = AnswerQuestion::from_fields(&Fields::of(&[
            ("question_id", "q"),
            ("version", "x"),
            ("answer", ""),
        ]));
        assert_eq!(version.err(), Some("`version` cannot be `x`".into()));
        let join = JoinWorkshop::from_fields(&Fields::of(&[("code", "ABCD-EFGH")]));
        assert_eq!(join.err(), Some("the form has no `name` field".into()));
    }
}
