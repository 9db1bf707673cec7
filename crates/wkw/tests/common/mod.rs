#![allow(dead_code)]

use std::path::Path;
use wkw::{BlockType, BoundingBox, Dataset, Header, VoxelType};

pub fn from_hex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

pub fn header(voxel_type: VoxelType, channels: u32, block_len: u32, file_len: u32, block_type: BlockType) -> Header {
    Header::new(voxel_type, channels, block_len, file_len, block_type).unwrap()
}

pub fn create(dir: &Path, header: Header) -> Dataset {
    Dataset::create(dir, header).unwrap()
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

pub fn read(ds: &Dataset, min: [u64; 3], size: [u64; 3]) -> Vec<u8> {
    let b = bbox(min, size);
    let mut out = vec![0xEEu8; b.byte_len(ds.header().voxel_size as usize).unwrap()];
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

/// Paths of all files under `root`, relative to it.
pub fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}
