//! Bare LZ4 blocks (no frame, no size prefix), one per WKW block, through the C liblz4 that
//! `lz4-sys` builds.

use crate::header::BlockType;
use lz4_sys::{c_char, c_int, LZ4_compress_default, LZ4_decompress_safe};
use std::cell::RefCell;
use std::ffi::c_void;

/// The reference compresses block type 3 with LZ4HC at this level (the liblz4 default).
pub const LZ4HC_LEVEL: i32 = 9;

// Part of liblz4 (lz4hc.h) but not declared by lz4-sys.
extern "C" {
    fn LZ4_sizeofStateHC() -> c_int;
    fn LZ4_initStreamHC(buffer: *mut c_void, size: usize) -> *mut c_void;
    fn LZ4_compress_HC_extStateHC_fastReset(
        state: *mut c_void,
        src: *const c_char,
        dst: *mut c_char,
        src_size: c_int,
        dst_capacity: c_int,
        level: c_int,
    ) -> c_int;
}

thread_local! {
    /// One LZ4HC state per thread. `LZ4_compress_HC` allocates and clears a fresh 256 KiB state
    /// for every block, which made our LZ4HC a third slower than the reference's.
    static HC_STATE: RefCell<Vec<u64>> = RefCell::new({
        // SAFETY: plain size query.
        let bytes = unsafe { LZ4_sizeofStateHC() } as usize;
        let mut state = vec![0u64; bytes.div_ceil(8)];
        // SAFETY: `state` is 8-byte aligned and `bytes` long, as liblz4 requires.
        unsafe { LZ4_initStreamHC(state.as_mut_ptr().cast(), bytes) };
        state
    });
}

/// Largest compressed size of `raw_len` bytes; a span longer than this cannot be a valid block.
pub fn compress_bound(raw_len: usize) -> usize {
    raw_len + raw_len / 255 + 16
}

/// Compresses `raw` as one block of `block_type` (LZ4 or LZ4HC) into the start of `out`, which
/// must hold at least `compress_bound(raw.len())` bytes, and returns the compressed length.
pub fn compress(raw: &[u8], block_type: BlockType, out: &mut [u8]) -> Result<usize, &'static str> {
    if raw.len() > i32::MAX as usize / 2 {
        return Err("Block too large for LZ4");
    }
    if out.len() < compress_bound(raw.len()) {
        return Err("Output buffer below the LZ4 compress bound");
    }
    let (src, dst) = (raw.as_ptr().cast::<c_char>(), out.as_mut_ptr().cast::<c_char>());
    let (src_size, capacity) = (raw.len() as c_int, out.len().min(i32::MAX as usize) as c_int);
    // SAFETY: `out` holds at least the compress bound of `raw`, so liblz4 never writes past it.
    let n = match block_type {
        BlockType::Lz4Hc => HC_STATE.with_borrow_mut(|state| unsafe {
            LZ4_compress_HC_extStateHC_fastReset(state.as_mut_ptr().cast(), src, dst, src_size, capacity, LZ4HC_LEVEL)
        }),
        BlockType::Lz4 => unsafe { LZ4_compress_default(src, dst, src_size, capacity) },
        BlockType::Raw => return Err("Raw blocks are not compressed"),
    };
    if n <= 0 {
        return Err("Error in LZ4 compression");
    }
    Ok(n as usize)
}

/// Decompresses one block into `out`, which must be exactly the block's raw size.
pub fn decompress(compressed: &[u8], out: &mut [u8]) -> Result<(), &'static str> {
    if compressed.is_empty() || compressed.len() > i32::MAX as usize || out.len() > i32::MAX as usize {
        return Err("Empty or oversized LZ4 block");
    }
    // SAFETY: liblz4's safe decoder never reads or writes outside the given lengths.
    let n = unsafe {
        LZ4_decompress_safe(
            compressed.as_ptr().cast(),
            out.as_mut_ptr().cast(),
            compressed.len() as c_int,
            out.len() as c_int,
        )
    };
    if n < 0 {
        return Err("Error in LZ4_decompress_safe");
    }
    if n as usize != out.len() {
        return Err("Unexpected length after decompression");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compressed(raw: &[u8], block_type: BlockType) -> Vec<u8> {
        let mut out = vec![0u8; compress_bound(raw.len())];
        let n = compress(raw, block_type, &mut out).unwrap();
        out.truncate(n);
        out
    }

    fn from_hex(s: &str) -> Vec<u8> {
        s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
    }

    /// wkw-format.md §4: the reference's all-zero 32³ uint8 block.
    #[test]
    fn decodes_the_reference_zero_block() {
        let mut block = from_hex("1F 00 01 00");
        block.extend(std::iter::repeat_n(0xFF, 128));
        block.extend(from_hex("67 50 00 00 00 00 00"));
        assert_eq!(block.len(), 139);
        let mut out = vec![1u8; 32 * 32 * 32];
        decompress(&block, &mut out).unwrap();
        assert!(out.iter().all(|&b| b == 0));
    }

    /// wkw-format.md §7.5: a 4³ zero block and a 4³ ramp block.
    #[test]
    fn decodes_small_reference_blocks() {
        let mut out = [9u8; 64];
        decompress(&from_hex("1F 00 01 00 27 50 00 00 00 00 00"), &mut out).unwrap();
        assert_eq!(out, [0u8; 64]);
        let mut ramp = from_hex("F0 31");
        ramp.extend(0u8..64);
        decompress(&ramp, &mut out).unwrap();
        assert_eq!(out.to_vec(), (0u8..64).collect::<Vec<_>>());
    }

    /// wkw-format.md §7.6: compressed sizes of all-zero 32³ blocks.
    #[test]
    fn zero_blocks_compress_to_the_reference_sizes() {
        for (bytes_per_voxel, size) in [(1, 139), (2, 267), (4, 524), (8, 1038)] {
            assert_eq!(compressed(&vec![0u8; 32768 * bytes_per_voxel], BlockType::Lz4Hc).len(), size);
        }
    }

    /// wkw-format.md §7.6: the deterministic pattern block compresses to 2 697 bytes with LZ4HC-9
    /// (liblz4 1.9.4); later liblz4 versions may differ by a few bytes, so the size is bounded.
    #[test]
    fn pattern_block_round_trips() {
        let mut raw = vec![0u8; 32768];
        for z in 0..32usize {
            for y in 0..32usize {
                for x in 0..32usize {
                    raw[x + 32 * y + 1024 * z] =
                        (((7 * x) ^ (13 * y) ^ (29 * z)) & 0xF0) as u8 | ((x + y + z) & 3) as u8;
                }
            }
        }
        assert_eq!(raw[1 + 2 * 32 + 3 * 1024], 66);
        assert_eq!(raw[32767], 193);
        let hc = compressed(&raw, BlockType::Lz4Hc);
        assert!((2600..=2800).contains(&hc.len()), "{}", hc.len());
        let mut out = vec![0u8; 32768];
        decompress(&hc, &mut out).unwrap();
        assert_eq!(out, raw);
        decompress(&compressed(&raw, BlockType::Lz4), &mut out).unwrap();
        assert_eq!(out, raw);
        assert_eq!(
            compress(&raw, BlockType::Lz4Hc, &mut [0u8; 100]),
            Err("Output buffer below the LZ4 compress bound")
        );
    }

    #[test]
    fn rejects_bad_data() {
        let mut out = [0u8; 64];
        assert_eq!(decompress(&[0xF0, 0x31, 1, 2], &mut out), Err("Error in LZ4_decompress_safe"));
        // Valid LZ4 of 16 zero bytes is too short for a 64-byte block.
        assert!(decompress(&compressed(&[0u8; 16], BlockType::Lz4Hc), &mut out).is_err());
        assert!(decompress(&[], &mut out).is_err());
    }
}
