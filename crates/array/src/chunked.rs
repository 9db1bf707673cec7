//! The storage seam: what the jobs (downsampling, copies, compression) and the binding know of
//! an array, whatever its format.

use crate::chunk_source::ChunkSource;
use crate::info::ArrayInfo;
use std::sync::Arc;
use storage::{LockGuard, Store};
use voxel::{huge_pages, BoundingBox, Control, Result};

pub trait ChunkedArray: Send + Sync {
    /// The array's layout as its metadata says now.
    fn info(&self) -> Result<ArrayInfo>;

    /// Where the array lives, for messages.
    fn location(&self) -> String;

    /// Reads `region` into the part it covers of `out`, a buffer covering `out_box` (voxel order
    /// of the crate `voxel`); data that was never written reads as zeros.
    fn read_into(&self, region: &BoundingBox, out: &mut [u8], out_box: &BoundingBox) -> Result<()>;

    /// Reads `region` into `out`, which covers exactly `region`.
    fn read(&self, region: &BoundingBox, out: &mut [u8]) -> Result<()> {
        huge_pages::advise(out);
        self.read_into(region, out, region)
    }

    /// Writes `data` (covering `region`). Each shard is changed under its lock, so concurrent
    /// writers of one shard never lose each other's voxels; every file stays valid throughout.
    fn write(&self, region: &BoundingBox, data: &[u8]) -> Result<()>;

    /// Writes shard `shard` whole from `source`, atomically. The caller holds its lock
    /// ([`ChunkedArray::lock_shards`] or [`ChunkedArray::lock_all`]).
    fn write_shard(&self, shard: [u64; 3], source: &mut dyn ChunkSource, control: &Control) -> Result<()>;

    /// The shards whose files exist, sorted by z, then y, then x.
    fn shards(&self) -> Result<Vec<[u64; 3]>>;

    /// Locks `shards` against every other writer, and the array against [`ChunkedArray::lock_all`],
    /// after growing the recorded extent (where the format records one) to hold them.
    fn lock_shards(&self, shards: &[[u64; 3]]) -> Result<LockGuard>;

    /// Locks the whole array against every other writer.
    fn lock_all(&self) -> Result<LockGuard>;

    /// Grows the extent the metadata records (where the format records one) to hold `end`.
    fn grow_to(&self, end: [u64; 3]) -> Result<()>;

    /// The store the array's files are in.
    fn store(&self) -> &Arc<dyn Store>;
}
