//! Framed files written atomically: a one-line header (magic, format, length, FNV-1a 64 of
//! the body) then the body, written to a temporary file, fsynced and renamed into place.

use super::{PersistError, Result};
use std::io::Write as _;
use std::path::Path;

const MAGIC: &str = "kubedojo-persist";
const FORMAT: u32 = 1;

fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The header line followed by `body`.
pub fn encode_framed(body: &[u8]) -> Vec<u8> {
    let header = format!("{MAGIC} {FORMAT} {} {:016x}\n", body.len(), fnv1a64(body));
    let mut out = Vec::with_capacity(header.len() + body.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(body);
    out
}

/// The body of a framed file, checked against its header.
///
/// # Errors
/// [`PersistError::Corrupt`] for a missing or malformed header, a short or long body, or a
/// checksum mismatch (`path` only names the file in the message).
pub fn decode_framed<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a [u8]> {
    let corrupt = |reason: String| PersistError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| corrupt("no header line".into()))?;
    let header = std::str::from_utf8(&bytes[..end]).map_err(|_| corrupt("bad header".into()))?;
    let body = &bytes[end + 1..];
    let parts: Vec<&str> = header.split(' ').collect();
    let [magic, format, len, sum] = parts[..] else {
        return Err(corrupt(format!("bad header {header:?}")));
    };
    if magic != MAGIC {
        return Err(corrupt(format!("not a kubedojo file (header {header:?})")));
    }
    if format != FORMAT.to_string() {
        return Err(corrupt(format!("unknown format {format}")));
    }
    let len: usize = len
        .parse()
        .map_err(|_| corrupt(format!("bad length {len:?}")))?;
    if body.len() != len {
        return Err(corrupt(format!(
            "{} bytes of {len} (truncated or overwritten)",
            body.len()
        )));
    }
    if format!("{:016x}", fnv1a64(body)) != sum {
        return Err(corrupt("checksum mismatch".into()));
    }
    Ok(body)
}

/// Write `bytes` to `path` so that a crash at any point leaves the old file or the new one:
/// write `path.tmp`, fsync it, rename it over `path`, fsync the directory. The directory
/// must exist (a removed cluster's directory is never brought back by a late write).
///
/// # Errors
/// Any failing step, naming the file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| PersistError::Io { path: p, source }
    };
    let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    if let Some(dir) = path.parent() {
        // NB: the rename is durable only once the directory entry is.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_framed_body_round_trips() {
        let framed = encode_framed(b"{\"a\":1}");
        let body = decode_framed(Path::new("f"), &framed).expect("intact");
        assert_eq!(body, b"{\"a\":1}");
    }

    #[test]
    fn truncation_flips_and_foreign_files_are_corrupt() {
        let framed = encode_framed(b"{\"objects\":[1,2,3]}");
        let p = Path::new("f");
        for bad in [
            &framed[..framed.len() - 3],
            &framed[..10],
            b"" as &[u8],
            b"{\"objects\":[]}",
        ] {
            assert!(
                matches!(decode_framed(p, bad), Err(PersistError::Corrupt { .. })),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let mut flipped = framed.clone();
        let last = flipped.len() - 2;
        flipped[last] = b'9';
        let err = decode_framed(p, &flipped).expect_err("a flipped byte is caught");
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn atomic_writes_replace_the_file_and_leave_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.snapshot");
        write_atomically(&p, b"one").expect("write");
        write_atomically(&p, b"two").expect("rewrite");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        assert!(!dir.path().join("x.tmp").exists());
        let gone = dir.path().join("removed").join("x.snapshot");
        assert!(write_atomically(&gone, b"late").is_err());
        assert!(!dir.path().join("removed").exists());
    }
}
