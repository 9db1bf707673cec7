//! The WKW (webKnossos-wrap) format of WEBKNOSSOS datasets, byte-compatible with the reference
//! `webknossos-wrap` library: 32³-voxel blocks in Morton order, raw or LZ4/LZ4HC compressed,
//! grouped into data files of `file_len³` blocks. A format of the `array` engine; knows nothing
//! of Node.

pub mod format;
pub mod header;
pub mod lz4;
pub mod morton;

pub use format::{WkwFormat, HEADER_FILE};
pub use header::{BlockType, Header};

use array::ShardedArray;
use std::sync::Arc;
use storage::Store;
use voxel::{Error, ErrorKind, Result};

/// A WKW dataset (one mag directory) as an array.
pub type WkwArray = ShardedArray<WkwFormat>;

/// Opens the WKW dataset in `store`: `NotFound` without `header.wkw`.
pub fn open(store: Arc<dyn Store>) -> Result<WkwArray> {
    ShardedArray::open(store)
}

/// Creates a WKW dataset with `header` in `store`; `AlreadyExists` if it has a `header.wkw`.
pub fn create(store: Arc<dyn Store>, header: Header) -> Result<WkwArray> {
    if store.open(HEADER_FILE)?.is_some() {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("Header \"{}\" already exists", store.location(HEADER_FILE)),
        ));
    }
    ShardedArray::create(store, WkwFormat::new(header))
}
