//! Keys name files relative to a store's root; a key can never reach outside it.

use voxel::{Error, Result};

/// Checks that `key` is a relative path of plain names: no empty, `.` or `..` component, no
/// leading `/`, no NUL or backslash. Keys come from formats, and from files for some of them.
pub fn check_key(key: &str) -> Result<()> {
    let plain = |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains(['\0', '\\']);
    if key.split('/').all(plain) {
        Ok(())
    } else {
        Err(Error::invalid(format!("The key {key:?} is not a relative path of plain names")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_relative_paths_of_plain_names() {
        for key in ["zarr.json", "z0/y1/x2.wkw", "c/0/0/0/0", ".wklock"] {
            assert!(check_key(key).is_ok(), "{key}");
        }
        for key in ["", "/etc/passwd", "../x", "a/../b", "a//b", "a/./b", "a/", "a\0b", "a\\..\\b", ".."] {
            assert!(check_key(key).is_err(), "{key:?}");
        }
    }
}
