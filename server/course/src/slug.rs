//! Heading anchors: the same text always gives the same id, and ids are unique in a page.

use std::collections::HashMap;

/// Turns heading text into an anchor id (`Why a PVC stays Pending` → `why-a-pvc-stays-pending`),
/// appending `-2`, `-3`, … when the page already has that id.
#[derive(Default)]
pub(crate) struct AnchorIds {
    seen: HashMap<String, usize>,
}

impl AnchorIds {
    pub(crate) fn next(&mut self, text: &str) -> String {
        let base = slugify(text);
        let count = self.seen.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        }
    }
}

pub(crate) fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if (c.is_whitespace() || c == '-' || c == '_' || c == '/') && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "section".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_and_hyphenated() {
        assert_eq!(
            slugify("Why a PVC stays `Pending`!"),
            "why-a-pvc-stays-pending"
        );
        assert_eq!(slugify("emptyDir / hostPath"), "emptydir-hostpath");
        assert_eq!(slugify("→"), "section");
    }

    #[test]
    fn repeated_headings_get_numbered_ids() {
        let mut ids = AnchorIds::default();
        assert_eq!(ids.next("Example"), "example");
        assert_eq!(ids.next("Example"), "example-2");
        assert_eq!(ids.next("Other"), "other");
    }
}
