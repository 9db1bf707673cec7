//! Which of the engine's axes (channel, x, y, z) each dimension of a Zarr array is.

use voxel::{Error, Result};

pub const C: usize = 0;
pub const X: usize = 1;
pub const Y: usize = 2;
pub const Z: usize = 3;
const NAMES: [&str; 4] = ["c", "x", "y", "z"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axes {
    /// The engine axis of each array dimension, in the array's order.
    dims: Vec<usize>,
}

impl Axes {
    /// From the array's `dimension_names`; without them, 4-D arrays are (c, x, y, z) and 3-D ones
    /// (x, y, z), as the Python library writes and reads them.
    pub fn new(names: Option<&[Option<String>]>, ndim: usize, location: &str) -> Result<Axes> {
        let unsupported =
            |what: String| Error::invalid(format!("{what} in \"{location}\": only (c,) x, y, z arrays are supported"));
        let dims: Vec<usize> = match names {
            Some(names) if names.iter().all(Option::is_some) => names
                .iter()
                .map(|n| {
                    let n = n.as_deref().unwrap();
                    NAMES.iter().position(|&a| a == n).ok_or_else(|| unsupported(format!("The dimension \"{n}\"")))
                })
                .collect::<Result<_>>()?,
            _ if ndim == 4 => vec![C, X, Y, Z],
            _ if ndim == 3 => vec![X, Y, Z],
            _ => return Err(unsupported(format!("An array of {ndim} unnamed dimensions"))),
        };
        let has = |a: usize| dims.iter().filter(|&&d| d == a).count();
        if dims.len() != ndim || has(X) != 1 || has(Y) != 1 || has(Z) != 1 || has(C) > 1 {
            return Err(unsupported(format!("The dimensions {names:?}")));
        }
        Ok(Axes { dims })
    }

    pub fn ndim(&self) -> usize {
        self.dims.len()
    }

    /// The engine axis of each dimension, in array order.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The (x, y, z) components of a vector in array order.
    pub fn xyz(&self, v: &[u64]) -> [u64; 3] {
        [X, Y, Z].map(|a| v[self.dims.iter().position(|&d| d == a).unwrap()])
    }

    /// The channel component of a vector in array order (1 for arrays without a channel axis).
    pub fn channels(&self, v: &[u64]) -> u64 {
        self.dims.iter().position(|&d| d == C).map_or(1, |i| v[i])
    }

    /// A vector in array order from its channel and (x, y, z) components.
    pub fn array_order(&self, c: u64, xyz: [u64; 3]) -> Vec<u64> {
        self.dims.iter().map(|&d| if d == C { c } else { xyz[d - 1] }).collect()
    }
}
