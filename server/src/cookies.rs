//! Signed cookie values: an HMAC-SHA256 tag, keyed by a secret kept in the progress database,
//! proves the server issued a value, so a learner id or an instructor session cannot be made
//! up by hand. Tags are compared in constant time (`ring::hmac::verify`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kubedojo_progress::ProgressStore;
use ring::hmac;

/// The secret's name in the progress database.
const SECRET_NAME: &str = "cookie-signing-key";

/// What a tag is for: the same value signed for one purpose is not valid for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Learner,
    Instructor,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Learner => b"learner",
            Self::Instructor => b"instructor",
        }
    }
}

/// Signs and checks cookie values.
#[derive(Clone)]
pub struct Signer {
    key: hmac::Key,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    /// A signer keyed by `secret`.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// The signer whose key is stored in `progress` (made on first use), so cookies stay valid
    /// across restarts for as long as the database is kept.
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub fn from_store(progress: &ProgressStore) -> Result<Self, kubedojo_progress::Error> {
        let secret = progress.server_secret(SECRET_NAME, || {
            use rand::RngCore as _;
            let mut bytes = vec![0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            bytes
        })?;
        Ok(Self::new(&secret))
    }

    /// A fresh signer with a random key (tests, throwaway servers).
    pub fn random() -> Self {
        use rand::RngCore as _;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self::new(&bytes)
    }

    fn message(purpose: Purpose, value: &str) -> Vec<u8> {
        let mut message = purpose.label().to_vec();
        message.push(0);
        message.extend_from_slice(value.as_bytes());
        message
    }

    /// The tag of `value` for `purpose`, base64url.
    pub fn tag(&self, purpose: Purpose, value: &str) -> String {
        let tag = hmac::sign(&self.key, &Self::message(purpose, value));
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    /// Whether `tag` is the tag of `value` for `purpose` (constant time).
    pub fn verify(&self, purpose: Purpose, value: &str, tag: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        hmac::verify(&self.key, &Self::message(purpose, value), &tag).is_ok()
    }

    /// `value.tag`: a value that carries its own proof.
    pub fn seal(&self, purpose: Purpose, value: &str) -> String {
        format!("{value}.{}", self.tag(purpose, value))
    }

    /// The value of a sealed `value.tag`, if the tag is right.
    pub fn open<'a>(&self, purpose: Purpose, sealed: &'a str) -> Option<&'a str> {
        let (value, tag) = sealed.rsplit_once('.')?;
        self.verify(purpose, value, tag).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_purpose() {
        let signer = Signer::new(b"k1");
        let sealed = signer.seal(Purpose::Learner, "abc");
        assert_eq!(signer.open(Purpose::Learner, &sealed), Some("abc"));
        assert_eq!(signer.open(Purpose::Instructor, &sealed), None);
        assert_eq!(Signer::new(b"k2").open(Purpose::Learner, &sealed), None);
        let forged = sealed.replacen("abc", "abd", 1);
        assert_eq!(signer.open(Purpose::Learner, &forged), None);
        for junk in ["", "abc", "abc.", ".", "abc.!!!", "abc.AAAA"] {
            assert_eq!(signer.open(Purpose::Learner, junk), None, "{junk}");
        }
    }

    #[test]
    fn the_key_is_kept_in_the_database() {
        let store = ProgressStore::in_memory().expect("store");
        let a = Signer::from_store(&store).expect("signer");
        let b = Signer::from_store(&store).expect("signer");
        let sealed = a.seal(Purpose::Learner, "x");
        assert_eq!(b.open(Purpose::Learner, &sealed), Some("x"));
    }
}
