//! Zarr v3 (sharded with `sharding_indexed`, or one chunk per file) and Zarr v2 as formats of the
//! `array` engine, byte-compatible with what today's Python `webknossos` writes through
//! tensorstore. The codecs (zstd, blosc, gzip, crc32c) and the metadata types come from `zarrs`;
//! the shard layout (index, chunk order), the transposition of chunks into the engine's voxel
//! order and the reuse of stored chunks in partial writes are here, so that shards are written
//! from a bounded buffer and a small write into a compressed shard re-encodes only its chunks.

mod axes;
mod codec;
mod format;
mod index;
mod keys;
mod metadata;

pub use format::{ZarrFormat, METADATA_V2, METADATA_V3};

use array::{ArrayInfo, ShardedArray};
use std::sync::Arc;
use storage::Store;
use voxel::{Error, ErrorKind, Result};

pub type ZarrArray = ShardedArray<ZarrFormat>;

/// Opens the Zarr array (v3 or v2) in `store`: `NotFound` without `zarr.json` or `.zarray`.
pub fn open(store: Arc<dyn Store>) -> Result<ZarrArray> {
    ShardedArray::open(store)
}

/// Creates an array of `info` (format zarr3 or zarr) in `store`, as the Python library does;
/// `AlreadyExists` if the store holds array metadata.
pub fn create(store: Arc<dyn Store>, info: &ArrayInfo) -> Result<ZarrArray> {
    for key in [METADATA_V3, METADATA_V2] {
        if store.open(key)?.is_some() {
            return Err(Error::new(ErrorKind::AlreadyExists, format!("\"{}\" already exists", store.location(key))));
        }
    }
    ShardedArray::create(store, ZarrFormat::new(info)?)
}
