//! Chunk keys: `c/0/1/2/3` (Zarr v3 `default`), `0.1.2.3` or `0/1/2/3` (Zarr v2 and the v3 `v2`
//! encoding); indices in array order.

use storage::Store;
use voxel::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEncoding {
    /// "c" for the v3 default encoding, none otherwise.
    prefix: Option<&'static str>,
    separator: char,
}

impl KeyEncoding {
    pub fn v3_default(separator: char) -> Self {
        KeyEncoding { prefix: Some("c"), separator }
    }

    pub fn v2(separator: char) -> Self {
        KeyEncoding { prefix: None, separator }
    }

    /// From a v3 `chunk_key_encoding` name and separator.
    pub fn parse(name: &str, separator: Option<&str>, location: &str) -> Result<Self> {
        let separator = match separator {
            None => None,
            Some("/") => Some('/'),
            Some(".") => Some('.'),
            Some(other) => {
                return Err(Error::corrupt(location, format!("The chunk key separator {other:?} is invalid")))
            }
        };
        match name {
            "default" => Ok(Self::v3_default(separator.unwrap_or('/'))),
            "v2" => Ok(Self::v2(separator.unwrap_or('.'))),
            other => {
                Err(Error::invalid(format!("The chunk key encoding \"{other}\" in \"{location}\" is not supported")))
            }
        }
    }

    pub fn key(&self, indices: &[u64]) -> String {
        let parts: Vec<String> =
            self.prefix.iter().map(|p| p.to_string()).chain(indices.iter().map(u64::to_string)).collect();
        parts.join(&self.separator.to_string())
    }

    fn parse_key(&self, key: &str, ndim: usize) -> Option<Vec<u64>> {
        let mut parts = key.split(self.separator);
        if let Some(prefix) = self.prefix {
            if parts.next()? != prefix {
                return None;
            }
        }
        let indices: Vec<u64> = parts
            .map(|p| (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten())
            .collect::<Option<_>>()?;
        (indices.len() == ndim).then_some(indices)
    }

    /// The chunk indices (array order) of every key of `ndim` dimensions in `store`.
    pub fn list(&self, store: &dyn Store, ndim: usize) -> Result<Vec<Vec<u64>>> {
        if self.separator == '.' {
            return Ok(store.list("")?.iter().filter_map(|name| self.parse_key(name, ndim)).collect());
        }
        // With "/" every index is a directory level.
        let mut found = Vec::new();
        let mut level: Vec<String> = match self.prefix {
            Some(prefix) => vec![prefix.to_string()],
            None => vec![String::new()],
        };
        for depth in 0..ndim {
            let mut next = Vec::new();
            for prefix in &level {
                for name in store.list(prefix)? {
                    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
                        next.push(if prefix.is_empty() { name } else { format!("{prefix}/{name}") });
                    }
                }
            }
            if depth == ndim - 1 {
                found = next;
                break;
            }
            level = next;
        }
        Ok(found.iter().filter_map(|key| self.parse_key(key, ndim)).collect())
    }
}
