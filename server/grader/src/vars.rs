//! Per-learner randomised values and `{{ name }}` templating.

use crate::model::VarSpec;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The values drawn for one learner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

static PLACEHOLDER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}").ok());

/// A placeholder with no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{{{{ {0} }}}}` (declare it under [vars])")]
pub struct UnknownVar(pub String);

impl Vars {
    /// Draws every value from `seed`. Each value depends only on the seed and its own name, so
    /// adding a value to a lab does not change the others a learner already has.
    pub fn generate(specs: &BTreeMap<String, VarSpec>, seed: u64) -> Self {
        let values = specs
            .iter()
            .map(|(name, spec)| {
                let r = splitmix64(seed ^ fnv1a(name.as_bytes()));
                let value = match spec {
                    VarSpec::Range { min, max } => {
                        let (lo, hi) = if min <= max {
                            (*min, *max)
                        } else {
                            (*max, *min)
                        };
                        let span = hi.abs_diff(lo).saturating_add(1);
                        let offset = r % span;
                        lo.saturating_add_unsigned(offset).to_string()
                    }
                    VarSpec::Choice { choices } => {
                        let n = choices.len().max(1) as u64;
                        let i = usize::try_from(r % n).unwrap_or(0);
                        choices.get(i).cloned().unwrap_or_default()
                    }
                };
                (name.clone(), value)
            })
            .collect();
        Self { values }
    }

    /// Values given explicitly (tests, previews).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Replaces every `{{ name }}`.
    ///
    /// # Errors
    /// [`UnknownVar`] for the first placeholder without a value.
    pub fn render(&self, text: &str) -> Result<String, UnknownVar> {
        let Some(re) = PLACEHOLDER.as_ref() else {
            return Ok(text.to_string());
        };
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in re.captures_iter(text) {
            let (Some(whole), Some(name)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let value = self
                .values
                .get(name.as_str())
                .ok_or_else(|| UnknownVar(name.as_str().to_string()))?;
            out.push_str(&text[last..whole.start()]);
            out.push_str(value);
            last = whole.end();
        }
        out.push_str(&text[last..]);
        Ok(out)
    }

    /// Renders, leaving unknown placeholders as they are (for text shown to people).
    pub fn render_lossy(&self, text: &str) -> String {
        self.render(text).unwrap_or_else(|_| text.to_string())
    }
}

/// The names of the placeholders used in `text`.
pub fn placeholders(text: &str) -> Vec<String> {
    PLACEHOLDER
        .as_ref()
        .map(|re| {
            re.captures_iter(text)
                .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> BTreeMap<String, VarSpec> {
        let mut m = BTreeMap::new();
        m.insert("rows".to_string(), VarSpec::Range { min: 3, max: 9 });
        m.insert(
            "label".to_string(),
            VarSpec::Choice {
                choices: vec!["a".into(), "b".into()],
            },
        );
        m
    }

    #[test]
    fn values_are_deterministic_per_seed_and_in_range() {
        let a = Vars::generate(&specs(), 42);
        assert_eq!(a, Vars::generate(&specs(), 42));
        for seed in 0..200 {
            let v = Vars::generate(&specs(), seed);
            let rows: i64 = v.get("rows").expect("rows").parse().expect("a number");
            assert!((3..=9).contains(&rows), "{rows}");
            assert!(matches!(v.get("label"), Some("a" | "b")));
        }
        let distinct: std::collections::BTreeSet<_> = (0..50)
            .map(|s| Vars::generate(&specs(), s).get("rows").map(str::to_string))
            .collect();
        assert!(
            distinct.len() > 3,
            "seeds give different values: {distinct:?}"
        );
    }

    #[test]
    fn render_replaces_placeholders_with_or_without_spaces() {
        let v = Vars::from_pairs([("rows", "7"), ("db", "shop")]);
        assert_eq!(
            v.render("insert {{ rows }} into {{db}}.orders")
                .expect("render"),
            "insert 7 into shop.orders"
        );
        assert_eq!(
            v.render("no placeholders").expect("render"),
            "no placeholders"
        );
        assert_eq!(v.render("{{ nope }}"), Err(UnknownVar("nope".into())));
        assert_eq!(placeholders("{{ a }} and {{b}}"), vec!["a", "b"]);
    }
}
