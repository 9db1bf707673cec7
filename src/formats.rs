//! Which format an array directory holds, and how a new array of each format is made.

use array::{ArrayInfo, ChunkedArray, DataFormat};
use std::sync::Arc;
use storage::{RemoteOptions, Store};
use voxel::{Error, ErrorKind, Result};

/// Opens the array at `path` (a directory or a URL), by the metadata file it holds.
pub fn open(path: &str, options: &RemoteOptions) -> Result<Arc<dyn ChunkedArray>> {
    let store: Arc<dyn Store> = storage::open_location(path, options)?;
    if store.open(wkw::HEADER_FILE)?.is_some() {
        return Ok(Arc::new(wkw::open(store)?));
    }
    if store.open(zarr::METADATA_V3)?.is_some() || store.open(zarr::METADATA_V2)?.is_some() {
        return Ok(Arc::new(zarr::open(store)?));
    }
    Err(Error::new(
        ErrorKind::NotFound,
        format!(
            "No array at \"{path}\": it holds no {}, {} or {}",
            wkw::HEADER_FILE,
            zarr::METADATA_V3,
            zarr::METADATA_V2
        ),
    ))
}

/// Creates an array of `info` at `path` (a directory or a URL).
pub fn create(path: &str, info: &ArrayInfo, options: &RemoteOptions) -> Result<Arc<dyn ChunkedArray>> {
    let store: Arc<dyn Store> = storage::open_location(path, options)?;
    match info.data_format {
        DataFormat::Wkw => Ok(Arc::new(wkw::create(store, wkw_header(info)?)?)),
        DataFormat::Zarr3 | DataFormat::Zarr => Ok(Arc::new(zarr::create(store, info)?)),
    }
}

fn wkw_header(info: &ArrayInfo) -> Result<wkw::Header> {
    let [c, s] = [info.chunk_shape, info.shard_shape];
    if c.iter().any(|&v| v != c[0]) || s.iter().any(|&v| v != s[0]) || !s[0].is_multiple_of(c[0]) {
        return Err(Error::invalid(format!(
            "WKW needs cubic chunks and shards, the shard a multiple of the chunk: chunk {c:?}, shard {s:?}"
        )));
    }
    let as_u32 = |v: u64| u32::try_from(v).map_err(|_| Error::invalid(format!("{v} is too large for WKW")));
    wkw::Header::new(
        info.voxel_type,
        info.num_channels as u32,
        as_u32(c[0])?,
        as_u32(s[0] / c[0])?,
        wkw::Header::block_type_for(info.compression)?,
    )
}
