//! Deserializing the app's internally tagged enums (`{"state": "…", …fields}`) without
//! buffering.
//!
//! serde's derived `#[serde(tag = "…")]` reads the whole object into an intermediate `Content`
//! tree before it knows the variant, which compiles a second deserializer for every type inside
//! (for the cluster picture, every snapshot type) and was about a twentieth of the browser
//! bundle. The server always writes the tag first (derived `Serialize` does), so the browser can
//! read the tag, then deserialize the variant's fields straight from the rest of the object.
//! A message whose tag is not first is refused with a clear error, never misread.

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Error, IgnoredAny, MapAccess};

/// Reads the tag, which must be the object's first key, named `tag`.
///
/// # Errors
/// The first key is not `tag`, or its value is not a string.
pub fn read_tag<'de, A: MapAccess<'de>>(
    map: &mut A,
    tag: &'static str,
) -> Result<String, A::Error> {
    match map.next_key::<String>()? {
        Some(key) if key == tag => map.next_value(),
        Some(key) => Err(A::Error::custom(format_args!(
            "expected `{tag}` as the first field, found `{key}`"
        ))),
        None => Err(A::Error::missing_field(tag)),
    }
}

/// The variant's fields: the rest of the object, as a `T`.
///
/// # Errors
/// Whatever `T`'s deserializer finds wrong with the fields.
pub fn rest<'de, T: Deserialize<'de>, A: MapAccess<'de>>(map: A) -> Result<T, A::Error> {
    T::deserialize(MapAccessDeserializer::new(map))
}

/// A variant without fields: skips whatever else the object holds.
///
/// # Errors
/// A malformed remainder.
pub fn skip_rest<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}
