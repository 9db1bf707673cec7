//! One downsampling or upsampling step between two arrays of any format: every target shard
//! that holds voxels computed from existing source shards is computed from the source and
//! written once, whole. Shards are computed in parallel, and inside a shard the chunks are
//! produced batch by batch, so memory stays at a few batches per thread whatever the size of
//! the layer.

use array::{Chunk, ChunkSource, ChunkedArray};
use rayon::prelude::*;
use sampling::{downsample_into, upsample_into, Element, InterpolationMode};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use voxel::{copy_region, BoundingBox, Control, Error, Result};

#[cfg(target_endian = "big")]
compile_error!("voxel buffers are read as little-endian elements in place");

/// How target voxels come from source voxels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resampling {
    Down(InterpolationMode),
    /// Nearest-neighbour replication into a finer mag.
    Up,
}

pub struct Step<'a> {
    pub source: &'a dyn ChunkedArray,
    pub target: &'a dyn ChunkedArray,
    /// The region to compute, in target voxels; `source_box` is the same region in source voxels.
    pub target_box: BoundingBox,
    pub source_box: BoundingBox,
    /// Per axis: target/source mag when downsampling, source/target mag when upsampling.
    pub factors: [u64; 3],
    pub resampling: Resampling,
    /// Edge (target voxels) of the tiles the linear modes resample on their own, as the reference
    /// does; their results depend on it.
    pub buffer_edge_len: u64,
}

/// Source bytes one tile of a tile-independent mode reads at most.
const TILE_SOURCE_BYTES: u64 = 16 << 20;

/// Computes and writes `shards` of the target, in parallel; the caller holds their locks.
/// Shards finished before an error or an abort stay complete.
pub fn run(step: &Step, shards: &[[u64; 3]], control: &Control) -> Result<()> {
    check(step)?;
    let voxel_type = step.source.info()?.voxel_type;
    sampling::with_element_type!(voxel_type, T => run_typed::<T>(step, shards, control))
}

fn check(step: &Step) -> Result<()> {
    let (s, t) = (step.source.info()?, step.target.info()?);
    if s.voxel_type != t.voxel_type || s.num_channels != t.num_channels {
        return Err(Error::invalid(format!(
            "Source \"{}\" and target \"{}\" hold different voxels",
            step.source.location(),
            step.target.location()
        )));
    }
    let f = step.factors;
    let scaled = |b: &BoundingBox, up: bool| {
        let map = |v: u64, i: usize| if up { v * f[i] } else { v / f[i] };
        BoundingBox::new([0, 1, 2].map(|i| map(b.min[i], i)), [0, 1, 2].map(|i| map(b.size[i], i)))
    };
    let (fine, coarse) = match step.resampling {
        Resampling::Down(_) => (&step.source_box, &step.target_box),
        Resampling::Up => (&step.target_box, &step.source_box),
    };
    if f.contains(&0) || scaled(coarse, true) != *fine || step.buffer_edge_len == 0 {
        return Err(Error::invalid(format!(
            "The regions {fine:?} and {coarse:?} do not differ by the factors {f:?} (buffer edge {})",
            step.buffer_edge_len
        )));
    }
    Ok(())
}

/// The tiles a target file is computed in: a grid of `edge` starting at `origin`, clipped to the
/// file's part of the target region.
struct TileGrid {
    origin: [u64; 3],
    edge: [u64; 3],
    part: BoundingBox,
}

impl TileGrid {
    /// The linear modes tile like the reference (from the start of the shard's part, edge
    /// `buffer_edge_len`). The others give the same result for any tiling, so their tiles follow
    /// the shard's chunks and read a bounded amount of source data.
    fn new(step: &Step, file: &BoundingBox, part: BoundingBox, channel_bytes: u64) -> TileGrid {
        if let Resampling::Down(mode) = step.resampling {
            if mode.is_linear() {
                return TileGrid { origin: part.min, edge: [step.buffer_edge_len; 3], part };
            }
        }
        let read_factor = match step.resampling {
            Resampling::Down(_) => step.factors,
            Resampling::Up => [1; 3],
        };
        let mut edge = [64u64; 3];
        while (0..3).map(|i| edge[i] * read_factor[i]).product::<u64>() * channel_bytes > TILE_SOURCE_BYTES {
            let widest = (0..3).max_by_key(|&i| edge[i] * read_factor[i]).unwrap();
            if edge[widest] == 1 {
                break;
            }
            edge[widest] /= 2;
        }
        // Upsampling reads whole source voxels: tiles must start on multiples of the factors.
        if step.resampling == Resampling::Up {
            edge = [0, 1, 2].map(|i| edge[i].max(step.factors[i]));
        }
        TileGrid { origin: file.min, edge, part }
    }

    /// Indices of the tiles that overlap `region`.
    fn overlapping(&self, region: &BoundingBox) -> impl Iterator<Item = [u64; 3]> {
        let lo = [0, 1, 2].map(|i| (region.min[i] - self.origin[i]) / self.edge[i]);
        let hi = [0, 1, 2].map(|i| (region.max()[i] - 1 - self.origin[i]) / self.edge[i]);
        (lo[2]..=hi[2]).flat_map(move |z| (lo[1]..=hi[1]).flat_map(move |y| (lo[0]..=hi[0]).map(move |x| [x, y, z])))
    }

    fn tile_box(&self, tile: [u64; 3]) -> BoundingBox {
        let min = [0, 1, 2].map(|i| self.origin[i] + tile[i] * self.edge[i]);
        BoundingBox::new(min, self.edge).intersect(&self.part).expect("tile of the part")
    }
}

/// The computed voxels of one tile; `None` when they are all zero.
struct Tile<T> {
    bbox: BoundingBox,
    voxels: Option<Vec<T>>,
}

fn run_typed<T: Element>(step: &Step, shards: &[[u64; 3]], control: &Control) -> Result<()> {
    let info = step.target.info()?;
    control.start(shards.len() as u64);
    shards.par_iter().try_for_each(|&shard| {
        control.checkpoint()?;
        let file = BoundingBox::cell(shard, info.shard_shape);
        let Some(part) = file.intersect(&step.target_box) else {
            control.file_done();
            return Ok(());
        };
        let grid = TileGrid::new(step, &file, part, (info.num_channels * size_of::<T>()) as u64);
        let mut source = Tiles::<T> { step, control, grid, channels: info.num_channels, computed: HashMap::new() };
        step.target.write_shard(shard, &mut source, control)?;
        control.file_done();
        Ok(())
    })
}

/// The chunks of a target shard, copied from the tiles that cover them; the tiles a batch of
/// chunks needs are computed before it, those no chunk needs any more are dropped.
struct Tiles<'a, T> {
    step: &'a Step<'a>,
    control: &'a Control<'a>,
    grid: TileGrid,
    channels: usize,
    computed: HashMap<[u64; 3], Arc<Tile<T>>>,
}

impl<T: Element> ChunkSource for Tiles<'_, T> {
    fn prepare(&mut self, chunks: &[BoundingBox]) -> Result<()> {
        let needed: BTreeSet<[u64; 3]> = chunks
            .iter()
            .filter_map(|chunk| chunk.intersect(&self.grid.part))
            .flat_map(|overlap| self.grid.overlapping(&overlap).collect::<Vec<_>>())
            .collect();
        self.computed.retain(|key, _| needed.contains(key));
        let missing: Vec<[u64; 3]> = needed.iter().filter(|key| !self.computed.contains_key(*key)).copied().collect();
        let (step, control, grid, channels) = (self.step, self.control, &self.grid, self.channels);
        let computed = missing
            .into_par_iter()
            .map(|key| Ok((key, Arc::new(compute_tile::<T>(step, control, grid.tile_box(key), channels)?))))
            .collect::<Result<Vec<_>>>()?;
        self.computed.extend(computed);
        Ok(())
    }

    fn produce(&self, chunk: &BoundingBox, buffer: &mut [u8]) -> Result<Chunk> {
        let Some(overlap) = chunk.intersect(&self.grid.part) else { return Ok(Chunk::Zero) };
        let covering: Vec<&Tile<T>> = self.grid.overlapping(&overlap).map(|key| &*self.computed[&key]).collect();
        if covering.iter().all(|tile| tile.voxels.is_none()) {
            return Ok(Chunk::Zero);
        }
        if covering.len() > 1 || overlap != *chunk {
            buffer.fill(0);
        }
        let voxel_size = self.channels * size_of::<T>();
        for tile in covering {
            if let Some(voxels) = &tile.voxels {
                let region = tile.bbox.intersect(&overlap).expect("tile of the chunk");
                copy_region(buffer, chunk, as_bytes(voxels), &tile.bbox, &region, voxel_size);
            }
        }
        Ok(Chunk::Filled)
    }
}

/// Reads the source of one tile and resamples it; an all-zero source gives an all-zero tile in
/// every mode, without running the kernel.
fn compute_tile<T: Element>(step: &Step, control: &Control, bbox: BoundingBox, channels: usize) -> Result<Tile<T>> {
    let f = step.factors;
    let up = step.resampling == Resampling::Up;
    let source_box = if up {
        BoundingBox::new([0, 1, 2].map(|i| bbox.min[i] / f[i]), [0, 1, 2].map(|i| bbox.size[i] / f[i]))
    } else {
        BoundingBox::new([0, 1, 2].map(|i| bbox.min[i] * f[i]), [0, 1, 2].map(|i| bbox.size[i] * f[i]))
    };
    let mut source = vec![T::default(); channels * source_box.volume() as usize];
    let bytes = as_bytes_mut(&mut source);
    control.timings.time(&control.timings.read, || step.source.read_into(&source_box, bytes, &source_box))?;
    if as_bytes(&source).iter().all(|&b| b == 0) {
        return Ok(Tile { bbox, voxels: None });
    }
    let shape = [channels, source_box.size[0] as usize, source_box.size[1] as usize, source_box.size[2] as usize];
    let factors = f.map(|v| v as usize);
    let mut voxels = vec![T::default(); channels * bbox.volume() as usize];
    control.timings.time(&control.timings.kernel, || match step.resampling {
        Resampling::Up => {
            upsample_into(&source, shape, factors, &mut voxels);
            Ok(())
        }
        Resampling::Down(mode) => downsample_into(&source, shape, factors, mode, &mut voxels).map_err(Error::invalid),
    })?;
    Ok(Tile { bbox, voxels: Some(voxels) })
}

fn as_bytes<T: Element>(values: &[T]) -> &[u8] {
    // SAFETY: every Element is a primitive number: no padding, any bit pattern valid as bytes.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), size_of_val(values)) }
}

fn as_bytes_mut<T: Element>(values: &mut [T]) -> &mut [u8] {
    // SAFETY: as in `as_bytes`; every bit pattern is also a valid integer or float.
    unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().cast(), size_of_val(values)) }
}
