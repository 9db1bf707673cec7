//! Block order inside a data file: Morton (Z-order) with x in bit 0, y in bit 1, z in bit 2.

/// Spreads the low 21 bits of `v` so that bit i lands on bit 3i.
fn spread(v: u64) -> u64 {
    let mut x = v & 0x1f_ffff;
    x = (x | x << 32) & 0x001f_0000_0000_ffff;
    x = (x | x << 16) & 0x001f_0000_ff00_00ff;
    x = (x | x << 8) & 0x100f_00f0_0f00_f00f;
    x = (x | x << 4) & 0x10c3_0c30_c30c_30c3;
    x = (x | x << 2) & 0x1249_2492_4924_9249;
    x
}

/// Inverse of [`spread`]: gathers every third bit starting at bit 0.
fn compact(v: u64) -> u64 {
    let mut x = v & 0x1249_2492_4924_9249;
    x = (x ^ (x >> 2)) & 0x10c3_0c30_c30c_30c3;
    x = (x ^ (x >> 4)) & 0x100f_00f0_0f00_f00f;
    x = (x ^ (x >> 8)) & 0x001f_0000_ff00_00ff;
    x = (x ^ (x >> 16)) & 0x001f_0000_0000_ffff;
    x = (x ^ (x >> 32)) & 0x1f_ffff;
    x
}

/// Morton index of the block at block coordinates `(x, y, z)` inside a file.
pub fn encode([x, y, z]: [u64; 3]) -> u64 {
    spread(x) | spread(y) << 1 | spread(z) << 2
}

/// Block coordinates of the block with Morton index `m`.
pub fn decode(m: u64) -> [u64; 3] {
    [compact(m), compact(m >> 1), compact(m >> 2)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of wkw-format.md §7.2, written by the reference library.
    const VECTORS: &[([u64; 3], u64)] = &[
        ([0, 0, 0], 0),
        ([1, 0, 0], 1),
        ([0, 1, 0], 2),
        ([1, 1, 0], 3),
        ([0, 0, 1], 4),
        ([1, 0, 1], 5),
        ([0, 1, 1], 6),
        ([1, 1, 1], 7),
        ([2, 0, 0], 8),
        ([3, 0, 0], 9),
        ([2, 1, 0], 10),
        ([3, 1, 0], 11),
        ([2, 0, 1], 12),
        ([0, 2, 0], 16),
        ([0, 0, 2], 32),
        ([1, 2, 3], 53),
        ([2, 2, 2], 56),
        ([3, 3, 3], 63),
        ([4, 0, 0], 64),
        ([0, 4, 0], 128),
        ([0, 0, 4], 256),
        ([7, 7, 7], 511),
        ([8, 0, 0], 512),
        ([31, 0, 0], 4681),
        ([0, 31, 0], 9362),
        ([0, 0, 31], 18724),
        ([23, 20, 3], 12525),
        ([29, 20, 3], 13029),
        ([5, 9, 17], 17479),
        ([16, 16, 16], 28672),
        ([10, 20, 30], 27560),
        ([31, 31, 31], 32767),
        ([127, 127, 127], 2_097_151),
        ([1023, 0, 0], 153_391_689),
    ];

    #[test]
    fn encodes_reference_vectors() {
        for &(xyz, m) in VECTORS {
            assert_eq!(encode(xyz), m, "{xyz:?}");
        }
    }

    #[test]
    fn decodes_reference_vectors() {
        for &(xyz, m) in VECTORS {
            assert_eq!(decode(m), xyz, "{m}");
        }
        assert_eq!(decode(100), [4, 0, 3]);
        assert_eq!(decode(4095), [15, 15, 15]);
        assert_eq!(decode(64), [4, 0, 0]);
    }

    #[test]
    fn round_trips_every_block_of_a_32_cube() {
        for m in 0..32u64.pow(3) {
            assert_eq!(encode(decode(m)), m);
        }
    }
}
