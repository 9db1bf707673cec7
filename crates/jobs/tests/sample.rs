//! Whole downsampling and upsampling steps between two arrays: the shards a step writes hold
//! exactly what the kernels give for the source region, tile by tile for the linear modes.

use array::ChunkedArray;
use jobs::sample::{Resampling, Step};
use sampling::{downsample, upsample, InterpolationMode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use storage::LocalStore;
use voxel::{BoundingBox, Control, ErrorKind, VoxelType};
use wkw::{BlockType, Header, WkwArray};

fn dataset(dir: &std::path::Path, name: &str, channels: u32, block_type: BlockType) -> WkwArray {
    let store = Arc::new(LocalStore::new(dir.join(name)));
    wkw::create(store, Header::new(VoxelType::U16, channels, 8, 4, block_type).unwrap()).unwrap()
}

/// Runs a step over every target shard of its region.
fn run(step: &Step, control: &Control) -> voxel::Result<()> {
    let shards = step.target_box.cells(step.target.info()?.shard_shape);
    let _lock = step.target.lock_shards(&shards)?;
    jobs::sample::run(step, &shards, control)
}

fn values(len: usize, seed: u64) -> Vec<u16> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 7) as u16 * 1000 + (state >> 40) as u16 % 3
        })
        .collect()
}

fn to_bytes(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn read(ds: &WkwArray, region: &BoundingBox, channels: usize) -> Vec<u16> {
    let mut out = vec![0u8; region.byte_len(2 * channels).unwrap()];
    ds.read(region, &mut out).unwrap();
    out.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
}

fn scaled(b: &BoundingBox, f: [u64; 3]) -> BoundingBox {
    BoundingBox::new([0, 1, 2].map(|i| b.min[i] * f[i]), [0, 1, 2].map(|i| b.size[i] * f[i]))
}

#[test]
fn downsampling_writes_the_kernel_result_into_every_target_file() {
    for (block_type, mode, factors) in [
        (BlockType::Lz4Hc, InterpolationMode::Median, [2, 2, 2]),
        (BlockType::Raw, InterpolationMode::Mode, [2, 2, 1]),
        (BlockType::Lz4Hc, InterpolationMode::Max, [1, 1, 2]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let source = dataset(dir.path(), "1", 2, BlockType::Raw);
        let target = dataset(dir.path(), "2", 2, block_type);
        // 70 target voxels wide: three 32-voxel files on x, the last one partial.
        let target_box = BoundingBox::new([2, 3, 1], [70, 37, 20]);
        let source_box = scaled(&target_box, factors);
        let data = values(2 * source_box.volume() as usize, 5);
        source.write(&source_box, &to_bytes(&data)).unwrap();
        let step = Step {
            source: &source,
            target: &target,
            target_box,
            source_box,
            factors,
            resampling: Resampling::Down(mode),
            buffer_edge_len: 256,
        };
        let control = Control::default();
        run(&step, &control).unwrap();
        let shape = [2, source_box.size[0] as usize, source_box.size[1] as usize, source_box.size[2] as usize];
        let expected = downsample(&data, shape, factors.map(|f| f as usize), mode).unwrap();
        assert_eq!(read(&target, &target_box, 2), expected, "{mode:?} {factors:?}");
        // Voxels of the written files outside the region stay zero.
        let outside = BoundingBox::new([0, 0, 0], [2, 3, 1]);
        assert!(read(&target, &outside, 2).iter().all(|&v| v == 0));
        assert_eq!(target.shards().unwrap().len(), 3 * 2);
        assert!(control.timings.kernel.load(Ordering::Relaxed) > 0);
    }
}

/// The linear modes resample each tile of `buffer_edge_len` target voxels on its own, starting at
/// each file's part of the region, as the reference does.
#[test]
fn linear_modes_resample_tile_by_tile() {
    let dir = tempfile::tempdir().unwrap();
    let source = dataset(dir.path(), "1", 1, BlockType::Raw);
    let target = dataset(dir.path(), "2", 1, BlockType::Lz4Hc);
    let target_box = BoundingBox::new([0, 0, 0], [24, 16, 8]);
    let source_box = scaled(&target_box, [2, 2, 2]);
    let data = values(source_box.volume() as usize, 9);
    source.write(&source_box, &to_bytes(&data)).unwrap();
    let step = Step {
        source: &source,
        target: &target,
        target_box,
        source_box,
        factors: [2, 2, 2],
        resampling: Resampling::Down(InterpolationMode::Bilinear),
        buffer_edge_len: 16,
    };
    run(&step, &Control::default()).unwrap();
    // Tiles: x in [0,16) and [16,24) within the first file (edge 32); y and z in one tile each.
    for (x0, width) in [(0u64, 16u64), (16, 8)] {
        let tile = BoundingBox::new([x0, 0, 0], [width, 16, 8]);
        let src_tile = scaled(&tile, [2, 2, 2]);
        let input = read(&source, &src_tile, 1);
        let shape = [1, src_tile.size[0] as usize, src_tile.size[1] as usize, src_tile.size[2] as usize];
        let expected = downsample(&input, shape, [2, 2, 2], InterpolationMode::Bilinear).unwrap();
        assert_eq!(read(&target, &tile, 1), expected, "tile at x {x0}");
    }
}

#[test]
fn upsampling_replicates_source_voxels() {
    let dir = tempfile::tempdir().unwrap();
    let source = dataset(dir.path(), "2", 1, BlockType::Lz4Hc);
    let target = dataset(dir.path(), "1", 1, BlockType::Raw);
    let source_box = BoundingBox::new([0, 0, 0], [32, 16, 16]);
    let data = values(source_box.volume() as usize, 3);
    source.write(&source_box, &to_bytes(&data)).unwrap();
    let target_box = scaled(&source_box, [2, 2, 1]);
    let step = Step {
        source: &source,
        target: &target,
        target_box,
        source_box,
        factors: [2, 2, 1],
        resampling: Resampling::Up,
        buffer_edge_len: 256,
    };
    run(&step, &Control::default()).unwrap();
    assert_eq!(read(&target, &target_box, 1), upsample(&data, [1, 32, 16, 16], [2, 2, 1]));
}

#[test]
fn an_aborted_step_leaves_only_complete_files() {
    let dir = tempfile::tempdir().unwrap();
    let source = dataset(dir.path(), "1", 1, BlockType::Raw);
    let target = dataset(dir.path(), "2", 1, BlockType::Lz4Hc);
    let target_box = BoundingBox::new([0, 0, 0], [128, 64, 32]);
    let source_box = scaled(&target_box, [2, 2, 2]);
    source.write(&source_box, &to_bytes(&values(source_box.volume() as usize, 1))).unwrap();
    let step = Step {
        source: &source,
        target: &target,
        target_box,
        source_box,
        factors: [2, 2, 2],
        resampling: Resampling::Down(InterpolationMode::Median),
        buffer_edge_len: 256,
    };
    let cancelled = AtomicBool::new(false);
    let cancel = |done: u64, _| cancelled.store(done >= 2, Ordering::Relaxed);
    let error = run(&step, &Control::new(Some(&cancelled), Some(&cancel))).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Cancelled);
    let written = target.shards().unwrap();
    assert!(written.len() < 4 * 2, "{} files", written.len());
    for cube in written {
        let file = BoundingBox::cell(cube, [32; 3]);
        let mut out = vec![0u8; file.byte_len(2).unwrap()];
        target.read(&file, &mut out).unwrap();
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("2/z0/y0"))
        .map(|d| d.filter_map(|e| e.ok()).filter(|e| !e.file_name().to_string_lossy().ends_with(".wkw")).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn rejects_regions_that_do_not_match_the_factors() {
    let dir = tempfile::tempdir().unwrap();
    let source = dataset(dir.path(), "1", 1, BlockType::Raw);
    let target = dataset(dir.path(), "2", 1, BlockType::Raw);
    let other = dataset(dir.path(), "3", 2, BlockType::Raw);
    let mut step = Step {
        source: &source,
        target: &target,
        target_box: BoundingBox::new([0, 0, 0], [8, 8, 8]),
        source_box: BoundingBox::new([0, 0, 0], [16, 16, 15]),
        factors: [2, 2, 2],
        resampling: Resampling::Down(InterpolationMode::Median),
        buffer_edge_len: 256,
    };
    assert_eq!(run(&step, &Control::default()).unwrap_err().kind, ErrorKind::InvalidArgument);
    step.source_box = BoundingBox::new([0, 0, 0], [16, 16, 16]);
    step.target = &other;
    assert_eq!(run(&step, &Control::default()).unwrap_err().kind, ErrorKind::InvalidArgument);
    assert!(target.shards().unwrap().is_empty());
}
