//! The storage seam of the core: a [`ChunkedArray`] is an array of voxels in chunks and shards,
//! whatever its format. Formats implement [`ShardFormat`] and run on one engine,
//! [`ShardedArray`], over a byte store of the `storage` crate; the jobs (downsampling, copies,
//! compression) are written against [`ChunkedArray`] only.

mod chunk_source;
mod chunked;
mod copy;
mod format;
mod info;
mod shard_writer;
mod sharded;

pub use chunk_source::{Chunk, ChunkSource};
pub use chunked::ChunkedArray;
pub use copy::{copy, BoxReader};
pub use format::{Framing, ShardFormat, ShardLayout, Spans, ZeroChunks};
pub use info::{ArrayInfo, Compression, DataFormat};
pub use sharded::ShardedArray;
