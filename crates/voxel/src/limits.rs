//! Sizes no dataset needs and no allocation may exceed: checked before memory is allocated, so
//! that a crafted header or a mistaken argument is an error instead of an abort of the process.

/// The largest chunk (one WKW block, one Zarr inner chunk) in bytes: 256 MiB, 16 times a 256³
/// uint64 chunk, far beyond the 32³ that WEBKNOSSOS writes.
pub const MAX_CHUNK_BYTES: u64 = 256 << 20;

/// The most chunks one shard (WKW file, Zarr shard) may hold: a 128³ grid, the largest a WKW
/// header can describe.
pub const MAX_CHUNKS_PER_SHARD: u64 = 128 * 128 * 128;
