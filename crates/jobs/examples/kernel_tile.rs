//! Times one downsampling kernel alone, on one thread, on the tile at the origin of a mag: the
//! counterpart of timing the reference's filter function on the same tile, for `npm run bench`.
//!
//! `cargo run --release -p jobs --example kernel_tile -- <mag dir> <mode> <tile edge> <runs>`
//! prints the best voxels/s of `runs` 2-2-2 downsamplings.

use array::ChunkedArray;
use sampling::{downsample_into, downsampled_shape, Element, InterpolationMode};
use std::sync::Arc;
use std::time::Instant;
use storage::LocalStore;
use voxel::BoundingBox;

fn best_voxels_per_second<T: Element>(bytes: &[u8], shape: [usize; 4], mode: InterpolationMode, runs: usize) -> f64 {
    let input: Vec<T> = bytes.chunks_exact(size_of::<T>()).map(T::read_le).collect();
    let factors = [2, 2, 2];
    let mut output = vec![T::default(); downsampled_shape(shape, factors).unwrap().iter().product()];
    let fastest = (0..runs)
        .map(|_| {
            let start = Instant::now();
            downsample_into(&input, shape, factors, mode, &mut output).unwrap();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    input.len() as f64 / fastest
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mag, mode, edge, runs] = args.as_slice() else {
        panic!("usage: kernel_tile <mag dir> <mode> <tile edge> <runs>");
    };
    let mode = InterpolationMode::parse(mode).unwrap_or_else(|| panic!("unknown mode {mode:?}"));
    let (edge, runs): (usize, usize) = (edge.parse().unwrap(), runs.parse().unwrap());
    let dataset = wkw::open(Arc::new(LocalStore::new(mag))).unwrap();
    let info = dataset.info().unwrap();
    let mut bytes = vec![0; edge.pow(3) * info.voxel_size()];
    dataset.read(&BoundingBox::new([0; 3], [edge as u64; 3]), &mut bytes).unwrap();
    let shape = [info.num_channels, edge, edge, edge];
    let rate =
        sampling::with_element_type!(info.voxel_type, T => best_voxels_per_second::<T>(&bytes, shape, mode, runs));
    println!("{rate}");
}
