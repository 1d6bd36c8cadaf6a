//! Join codes: eight characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z),
//! so they can be read off a projector and typed on a phone. 27^8 ≈ 2.8·10^11 codes: with joins
//! rate-limited per address (see `rate_limit`), guessing one is hopeless.

use rand::Rng as _;

const ALPHABET: &[u8] = b"346789ABCDEFGHJKMNPQRTUVWXY";
pub const LENGTH: usize = 8;

/// A new random code, shown as `ABCD-EFGH`'s letters without the dash (`ABCDEFGH`).
pub fn generate() -> String {
    let mut rng = rand::rng();
    (0..LENGTH)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// What a learner typed, as a stored code: case, spaces and dashes ignored. `None` when it
/// cannot be a code (so it is refused without a database lookup).
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The code as shown: `ABCD-EFGH`.
pub fn display(code: &str) -> String {
    if code.len() == LENGTH && code.is_ascii() {
        format!("{}-{}", &code[..LENGTH / 2], &code[LENGTH / 2..])
    } else {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_normalize_to_themselves() {
        for _ in 0..100 {
            let code = generate();
            assert_eq!(normalize(&code).as_deref(), Some(code.as_str()));
            assert_eq!(
                normalize(&display(&code).to_lowercase()),
                Some(code.clone())
            );
        }
    }

    #[test]
    fn typing_slack_is_forgiven_and_nonsense_refused() {
        assert_eq!(normalize(" abcd-efgh ").as_deref(), Some("ABCDEFGH"));
        assert_eq!(display("ABCDEFGH"), "ABCD-EFGH");
        for bad in ["", "ABC", "ABCDEFGHJ", "ABCD0FGH", "ABCDÉFGH", "'; DROP"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
