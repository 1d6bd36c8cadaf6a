//! The `lessons/` folder as it was when the binary was built (see build.rs).

include!(concat!(env!("OUT_DIR"), "/embedded_lessons.rs"));
