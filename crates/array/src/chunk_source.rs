//! What fills the chunks of a shard that is written whole.

use bytes::Bytes;
use voxel::{BoundingBox, Result};

/// What a source made of one chunk.
pub enum Chunk {
    /// Every byte of the chunk buffer holds the chunk's voxels.
    Filled,
    /// The chunk is all zeros (the fill value).
    Zero,
    /// The chunk's bytes as stored, already in the target's encoding.
    Stored(Bytes),
}

/// The voxels of the chunks of a shard, produced in batches: `prepare` sees the boxes of a batch
/// before `produce` is called for each of them, in parallel.
pub trait ChunkSource: Send + Sync {
    fn prepare(&mut self, _chunks: &[BoundingBox]) -> Result<()> {
        Ok(())
    }

    /// Fills `buffer` (one chunk; its content on entry is unspecified) with the voxels of `chunk`,
    /// a box in the array's voxels.
    fn produce(&self, chunk: &BoundingBox, buffer: &mut [u8]) -> Result<Chunk>;
}
