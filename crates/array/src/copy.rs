//! Copies between arrays of any formats and layouts.

use crate::chunk_source::{Chunk, ChunkSource};
use crate::chunked::ChunkedArray;
use rayon::prelude::*;
use voxel::{BoundingBox, Control, Error, Result};

/// Copies `region` of `source` into `shards` of `target`: each is written whole (voxels outside
/// the region become 0), from boxes read from `source` a batch of chunks at a time, so memory
/// stays bounded whatever the region. The caller holds the locks of the target shards.
pub fn copy(
    source: &dyn ChunkedArray,
    target: &dyn ChunkedArray,
    region: &BoundingBox,
    shards: &[[u64; 3]],
    control: &Control,
) -> Result<()> {
    let (from, to) = (source.info()?, target.info()?);
    if from.voxel_type != to.voxel_type || from.num_channels != to.num_channels {
        return Err(Error::invalid(format!(
            "Cannot copy {} × {} from \"{}\" into {} × {} in \"{}\"",
            from.num_channels,
            from.voxel_type.name(),
            source.location(),
            to.num_channels,
            to.voxel_type.name(),
            target.location()
        )));
    }
    control.start(shards.len() as u64);
    shards.par_iter().try_for_each(|&shard| {
        control.checkpoint()?;
        let part = BoundingBox::cell(shard, to.shard_shape).intersect(region).expect("shard of the region");
        let mut chunks = BoxReader { source, part, control, batch: None };
        target.write_shard(shard, &mut chunks, control)?;
        control.file_done();
        Ok(())
    })
}

/// Chunks of `part` of `source`, read a batch at a time: one read of the box around a batch
/// costs far less than one read per chunk.
pub struct BoxReader<'a> {
    pub source: &'a dyn ChunkedArray,
    /// Voxels outside it are zero.
    pub part: BoundingBox,
    pub control: &'a Control<'a>,
    pub batch: Option<(BoundingBox, Vec<u8>)>,
}

impl ChunkSource for BoxReader<'_> {
    fn prepare(&mut self, chunks: &[BoundingBox]) -> Result<()> {
        self.batch = None;
        let touched: Vec<BoundingBox> = chunks.iter().filter_map(|c| c.intersect(&self.part)).collect();
        let Some(first) = touched.first() else { return Ok(()) };
        let (mut min, mut max) = (first.min, first.max());
        for b in &touched {
            min = [0, 1, 2].map(|i| min[i].min(b.min[i]));
            max = [0, 1, 2].map(|i| max[i].max(b.max()[i]));
        }
        let bbox = BoundingBox::new(min, [0, 1, 2].map(|i| max[i] - min[i]));
        let mut buffer = vec![0u8; bbox.byte_len(self.source.info()?.voxel_size())?];
        let timings = &self.control.timings;
        timings.time(&timings.read, || self.source.read_into(&bbox, &mut buffer, &bbox))?;
        self.batch = Some((bbox, buffer));
        Ok(())
    }

    fn produce(&self, chunk: &BoundingBox, buffer: &mut [u8]) -> Result<Chunk> {
        let (Some(overlap), Some((bbox, voxels))) = (chunk.intersect(&self.part), &self.batch) else {
            return Ok(Chunk::Zero);
        };
        let voxel_size = voxels.len() / bbox.volume() as usize;
        if overlap != *chunk {
            buffer.fill(0);
        }
        voxel::copy_region(buffer, chunk, voxels, bbox, &overlap, voxel_size);
        Ok(Chunk::Filled)
    }
}
