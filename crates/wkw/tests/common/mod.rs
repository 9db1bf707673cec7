#![allow(dead_code)]

use array::ChunkedArray;
use std::path::Path;
use std::sync::Arc;
use storage::LocalStore;
use voxel::{BoundingBox, Control, VoxelType, MAX_COORDINATE};
use wkw::{BlockType, Header, WkwArray};

pub fn from_hex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

pub fn header(voxel_type: VoxelType, channels: u32, block_len: u32, file_len: u32, block_type: BlockType) -> Header {
    Header::new(voxel_type, channels, block_len, file_len, block_type).unwrap()
}

pub fn create(dir: &Path, header: Header) -> WkwArray {
    wkw::create(Arc::new(LocalStore::new(dir)), header).unwrap()
}

pub fn open_at(dir: &Path) -> voxel::Result<WkwArray> {
    wkw::open(Arc::new(LocalStore::new(dir)))
}

pub fn header_of(ds: &WkwArray) -> Header {
    *ds.format().unwrap().header()
}

/// Compresses `source` with LZ4HC into a new dataset at `dir`, as `wk compress` with a target.
pub fn compress_into(source: &WkwArray, dir: &Path, control: &Control) -> voxel::Result<WkwArray> {
    let target = wkw::create(Arc::new(LocalStore::new(dir)), header_of(source).with_block_type(BlockType::Lz4Hc))?;
    let everything = BoundingBox::new([0; 3], [MAX_COORDINATE; 3]);
    let _lock = target.lock_all()?;
    let shards = source.shards()?;
    array::copy(source, &target, &everything, &shards, control)?;
    Ok(target)
}

/// Compresses `ds` with LZ4HC in place, as `wk compress` does: into an array beside it, which
/// then replaces it.
pub fn compress_in_place(ds: &WkwArray, dir: &Path, control: &Control) -> voxel::Result<()> {
    let _lock = ds.lock_all()?;
    let beside = dir.with_file_name(format!(".{}.compressing", dir.file_name().unwrap().to_string_lossy()));
    let compressed = compress_into(ds, &beside, control)?;
    ds.store().replace_with(&**compressed.store())
}

pub fn bbox(min: [u64; 3], size: [u64; 3]) -> BoundingBox {
    BoundingBox::new(min, size)
}

/// A buffer of `size` voxels (one byte each) with value f(x, y, z) in Fortran order.
pub fn fill(size: [u64; 3], f: impl Fn(u64, u64, u64) -> u8) -> Vec<u8> {
    let mut v = Vec::with_capacity(size.iter().product::<u64>() as usize);
    for z in 0..size[2] {
        for y in 0..size[1] {
            for x in 0..size[0] {
                v.push(f(x, y, z));
            }
        }
    }
    v
}

pub fn read(ds: &WkwArray, min: [u64; 3], size: [u64; 3]) -> Vec<u8> {
    let b = bbox(min, size);
    let mut out = vec![0xEEu8; b.byte_len(header_of(ds).voxel_size as usize).unwrap()];
    ds.read(&b, &mut out).unwrap();
    out
}

/// A deterministic pseudo-random byte stream.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Paths of all files under `root`, relative to it, but the lock file writers share.
pub fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.ends_with(".wklock") {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}
