//! Which disclosures (`<details>`: a task, its solution's confirmation, the reset confirmation)
//! the learner opened or closed. The panel is drawn again from every new lab view, so it keeps
//! this to draw them as the learner left them instead of resetting them.

use std::collections::HashMap;

use leptos::prelude::*;

/// Open or closed, by key, once the learner toggled it; shared by the panel through context.
#[derive(Clone, Copy)]
pub(crate) struct Disclosures(StoredValue<HashMap<String, bool>>);

impl Disclosures {
    /// The panel's store, provided to everything inside it.
    pub(crate) fn provide() {
        provide_context(Disclosures(StoredValue::new(HashMap::new())));
    }

    /// The panel's store (a fresh one outside a panel, so a disclosure still works).
    pub(crate) fn get() -> Self {
        use_context().unwrap_or_else(|| Disclosures(StoredValue::new(HashMap::new())))
    }

    /// Whether `key` is open: as the learner left it, else `default`.
    pub(crate) fn is_open(self, key: &str, default: bool) -> bool {
        self.0
            .with_value(|open| open.get(key).copied())
            .unwrap_or(default)
    }

    /// The learner clicked the summary of `key`, which the browser opens or closes.
    pub(crate) fn toggled(self, key: &str, default: bool) {
        self.0.update_value(|open| {
            let was = open.get(key).copied().unwrap_or(default);
            open.insert(key.to_owned(), !was);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toggle_is_remembered_over_the_default() {
        let owner = Owner::new();
        owner.with(|| {
            let d = Disclosures(StoredValue::new(HashMap::new()));
            assert!(d.is_open("task:a", true));
            assert!(!d.is_open("reset", false));
            d.toggled("task:a", true);
            d.toggled("reset", false);
            assert!(!d.is_open("task:a", true));
            assert!(d.is_open("reset", false));
            d.toggled("reset", false);
            assert!(!d.is_open("reset", false));
        });
    }
}
