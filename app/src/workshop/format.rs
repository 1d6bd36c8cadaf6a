//! How the workshop pages put the server's numbers and states into words: pure functions,
//! tested natively, shared by the instructor's grid, the join page and the learner's banner.

use leptos::prelude::ServerFnError;

use super::model::{CellState, WorkshopLab, WorkshopState};

/// Part of the message of the server's "not signed in" answer (a 401 from every instructor
/// function); the instructor pages show the sign-in form when they get it.
pub const NOT_SIGNED_IN: &str = "sign in with the instructor token";

/// What a grid cell shows: a class for its colour, an icon and a word, so the state is never
/// told by colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellLook {
    /// Also the `data-state` of the cell (`not_started`, `working`, `passed`, `stuck`).
    pub class: &'static str,
    pub icon: &'static str,
    pub label: &'static str,
}

/// The look of a cell in each state.
pub fn cell_look(state: CellState) -> CellLook {
    match state {
        CellState::NotStarted => CellLook {
            class: "not_started",
            icon: "·",
            label: "not started",
        },
        CellState::Working => CellLook {
            class: "working",
            icon: "…",
            label: "working",
        },
        CellState::Passed => CellLook {
            class: "passed",
            icon: "✓",
            label: "passed",
        },
        CellState::Stuck => CellLook {
            class: "stuck",
            icon: "!",
            label: "stuck",
        },
    }
}

/// A countdown as a clock: `12:05`, or `1:02:05` from an hour up.
pub fn clock(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// The time left of a workshop, in words for a banner or a list.
pub fn time_left(state: WorkshopState, seconds: u64) -> String {
    match state {
        WorkshopState::Ended => "ended".to_owned(),
        WorkshopState::Running if seconds == 0 => "time is up".to_owned(),
        WorkshopState::Running => format!("{} left", clock(seconds)),
    }
}

/// How long a learner has done nothing: `—` before they started, then `now`, `4 min`, `1 h 20 min`.
pub fn idle(seconds: Option<u64>) -> String {
    match seconds {
        None => "—".to_owned(),
        Some(s) if s < 60 => "now".to_owned(),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) => format!("{} h {} min", s / 3600, s / 60 % 60),
    }
}

/// Seats taken: `12 of 30 seats`.
pub fn seats(learners: u32, capacity: u32) -> String {
    format!("{learners} of {capacity} seats")
}

/// The bottom row of a task's column: how many passed and how many are stuck.
pub fn task_totals(passed: u32, stuck: u32) -> String {
    format!("✓ {passed} · ! {stuck}")
}

/// The full join link from the page's origin (`http://host:port`) and the server's join path.
pub fn join_url(origin: &str, join_path: &str) -> String {
    format!("{}{join_path}", origin.trim_end_matches('/'))
}

/// Where a learner goes after joining: the first lab's lesson (the course map if the workshop
/// has no lab).
pub fn first_lab_path(labs: &[WorkshopLab]) -> String {
    labs.first()
        .map_or_else(|| "/".to_owned(), |lab| lesson_path(&lab.slug))
}

/// The lesson page of a lab (the route `/lessons/:slug`).
pub fn lesson_path(slug: &str) -> String {
    format!("/lessons/{slug}")
}

/// How the create form offers a backend.
pub fn backend_choice(name: &str) -> String {
    match name {
        "sandbox" => "the embedded sandbox: a whole cluster each".to_string(),
        "cluster" => "the real cluster: a namespace each".to_string(),
        other => other.to_string(),
    }
}

/// Where a workshop's clusters run, after "on ".
pub fn backend_place(name: &str) -> &str {
    match name {
        "sandbox" => "embedded sandbox",
        "cluster" => "real cluster",
        other => other,
    }
}

/// A server function's error as one sentence for the page (without the codec's prefix).
pub fn error_text(error: &ServerFnError) -> String {
    let text = error.to_string();
    let text = text
        .strip_prefix("error running server function: ")
        .unwrap_or(&text);
    // NB: a form the codec cannot read (an empty number field, say) gets the codec's message;
    // say what to do instead of showing it.
    if text.starts_with("error deserializing server function arguments") {
        return "some fields are missing or not numbers; check the form and send it again"
            .to_owned();
    }
    text.to_owned()
}

/// A message as a sentence: capital first letter, full stop at the end.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Whether the error is the server's "not signed in as the instructor".
pub fn is_signed_out(error: &ServerFnError) -> bool {
    error.to_string().contains(NOT_SIGNED_IN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_state_has_its_own_icon_and_word() {
        let looks = [
            CellState::NotStarted,
            CellState::Working,
            CellState::Passed,
            CellState::Stuck,
        ]
        .map(cell_look);
        for (i, a) in looks.iter().enumerate() {
            for b in &looks[i + 1..] {
                assert_ne!(a.icon, b.icon);
                assert_ne!(a.label, b.label);
                assert_ne!(a.class, b.class);
            }
        }
        assert_eq!(cell_look(CellState::Passed).class, "passed");
    }

    #[test]
    fn cell_classes_are_the_wire_names_of_the_states() {
        for state in [
            CellState::NotStarted,
            CellState::Working,
            CellState::Passed,
            CellState::Stuck,
        ] {
            let wire = serde_json::to_string(&state).expect("a cell state serialises");
            assert_eq!(wire, format!("\"{}\"", cell_look(state).class));
        }
    }

    #[test]
    fn clock_shows_minutes_and_seconds_then_hours() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(59), "00:59");
        assert_eq!(clock(60 * 12 + 5), "12:05");
        assert_eq!(clock(3599), "59:59");
        assert_eq!(clock(3600), "1:00:00");
        assert_eq!(clock(2 * 3600 + 61), "2:01:01");
    }

    #[test]
    fn time_left_says_when_a_workshop_is_over() {
        assert_eq!(time_left(WorkshopState::Running, 90), "01:30 left");
        assert_eq!(time_left(WorkshopState::Running, 0), "time is up");
        assert_eq!(time_left(WorkshopState::Ended, 90), "ended");
    }

    #[test]
    fn idle_time_rounds_down_to_minutes() {
        assert_eq!(idle(None), "—");
        assert_eq!(idle(Some(0)), "now");
        assert_eq!(idle(Some(59)), "now");
        assert_eq!(idle(Some(60)), "1 min");
        assert_eq!(idle(Some(3599)), "59 min");
        assert_eq!(idle(Some(3600 + 20 * 60 + 30)), "1 h 20 min");
    }

    #[test]
    fn totals_seats_and_join_url_read_well() {
        assert_eq!(task_totals(12, 3), "✓ 12 · ! 3");
        assert_eq!(seats(12, 30), "12 of 30 seats");
        assert_eq!(
            join_url("http://10.0.0.5:3000/", "/join/K7QM4P"),
            "http://10.0.0.5:3000/join/K7QM4P"
        );
        assert_eq!(join_url("", "/join/K7QM4P"), "/join/K7QM4P");
    }

    #[test]
    fn joining_leads_to_the_first_lab() {
        let lab = |slug: &str| WorkshopLab {
            slug: slug.to_owned(),
            title: slug.to_uppercase(),
        };
        assert_eq!(
            first_lab_path(&[lab("02-bare-pod-data-loss"), lab("07-statefulsets")]),
            "/lessons/02-bare-pod-data-loss"
        );
        assert_eq!(first_lab_path(&[]), "/");
    }

    #[test]
    fn errors_lose_the_codec_prefix_and_sign_in_is_recognised() {
        let e = ServerFnError::new("the workshop is full (30 seats)");
        assert_eq!(error_text(&e), "the workshop is full (30 seats)");
        assert!(!is_signed_out(&e));
        let e = ServerFnError::new(
            "this page is for the instructor: sign in with the instructor token",
        );
        assert!(is_signed_out(&e));
        let e = ServerFnError::Args("invalid digit found in string".to_owned());
        assert!(error_text(&e).starts_with("some fields are missing"));
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            sentence("the workshop has ended"),
            "The workshop has ended."
        );
        assert_eq!(
            sentence("too many attempts: wait 30 seconds and try again"),
            "Too many attempts: wait 30 seconds and try again."
        );
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence("  "), "");
    }

    /// The page recognises the server's own message (guards against rewording it).
    #[cfg(feature = "ssr")]
    #[test]
    fn the_servers_not_instructor_error_is_recognised() {
        let e = ServerFnError::new(super::super::service::WorkshopError::NotInstructor);
        assert!(is_signed_out(&e));
        let e = ServerFnError::new(super::super::service::WorkshopError::BadToken);
        assert!(!is_signed_out(&e));
    }
}
