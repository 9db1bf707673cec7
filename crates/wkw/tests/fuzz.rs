//! A fuzz harness for the WKW reader that runs on the stable toolchain: valid files (raw, LZ4,
//! LZ4HC; header, jump table, payload) are mutated at random with a fixed seed and read through
//! the array engine from memory. Every execution must end without a panic, within a second, with
//! either the right voxels or a `Corrupt` error naming the file:
//! - raw files are checked against voxels taken straight from the mutated bytes at the offsets
//!   their header announces (or a `Corrupt` error where a block lies beyond the end);
//! - compressed files whose mutations touched only the header or the jump table must read as the
//!   original or fail.
//!
//! CI runs `WK_FUZZ_EXECUTIONS` executions (default 200 000); a long local run:
//! `WK_FUZZ_EXECUTIONS=5000000 cargo test --release -p wkw --test fuzz -- --nocapture`.

mod common;

use array::ChunkedArray;
use common::{bbox, noise};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage::MemoryStore;
use voxel::{ErrorKind, VoxelType};
use wkw::{BlockType, Header};

const FILE: &str = "z0/y0/x0.wkw";

struct Seed {
    header: Header,
    /// `header.wkw` and the data file, as a valid writer made them.
    dataset: Vec<u8>,
    file: Vec<u8>,
    /// The voxels of the whole file.
    voxels: Vec<u8>,
}

fn seed(voxel_type: VoxelType, channels: u32, block_len: u32, block_type: BlockType, data_seed: u64) -> Seed {
    let header = Header::new(voxel_type, channels, block_len, 2, block_type).unwrap();
    let store = Arc::new(MemoryStore::new());
    let array = wkw::create(store.clone(), header).unwrap();
    let edge = header.file_edge();
    let region = bbox([0, 0, 0], [edge; 3]);
    // Runs of equal bytes, so that LZ4 finds matches and the payload has back-references.
    let voxels: Vec<u8> = noise(region.byte_len(header.voxel_size as usize).unwrap(), data_seed)
        .chunks(7)
        .flat_map(|c| std::iter::repeat_n(c[0] & 0x0f, c.len()))
        .collect();
    array.write(&region, &voxels).unwrap();
    let get = |key: &str| storage::Store::get(&*store, key).unwrap().unwrap();
    Seed { header, dataset: get("header.wkw"), file: get(FILE), voxels }
}

/// xorshift64*: the harness's only source of randomness, so a seed replays a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Where a mutation changed the data file.
#[derive(Default)]
struct Touched {
    header: bool,
    jump_table: bool,
    payload: bool,
    length: bool,
}

/// Applies one to three random mutations: bit flips, header bytes, extreme data offsets and
/// jump-table entries, truncation, appended garbage, payload bytes.
fn mutate(rng: &mut Rng, file: &mut Vec<u8>, table_end: usize) {
    for _ in 0..1 + rng.below(3) {
        let extreme = [0, 1, u64::MAX, u64::MAX - 7, 1 << 63, 16, 24, 80, file.len() as u64, file.len() as u64 + 1];
        match rng.below(7) {
            0 if !file.is_empty() => {
                let at = rng.below(file.len() as u64) as usize;
                file[at] ^= 1 << rng.below(8);
            }
            1 => {
                let at = rng.below(16) as usize;
                if at < file.len() {
                    file[at] = rng.next() as u8;
                }
            }
            2 if file.len() >= 16 => {
                let value = extreme[rng.below(extreme.len() as u64) as usize];
                file[8..16].copy_from_slice(&value.to_le_bytes());
            }
            3 if table_end > 16 && file.len() >= table_end => {
                let entry = 16 + 8 * rng.below(((table_end - 16) / 8) as u64) as usize;
                let old = u64::from_le_bytes(file[entry..entry + 8].try_into().unwrap());
                let value = match rng.below(3) {
                    0 => extreme[rng.below(extreme.len() as u64) as usize],
                    1 => old.wrapping_add(rng.below(9)).wrapping_sub(4),
                    _ => rng.next(),
                };
                file[entry..entry + 8].copy_from_slice(&value.to_le_bytes());
            }
            4 => file.truncate(rng.below(file.len() as u64 + 1) as usize),
            5 => file.extend((0..rng.below(64)).map(|_| rng.next() as u8)),
            _ if file.len() > table_end => {
                let at = table_end + rng.below((file.len() - table_end) as u64) as usize;
                file[at] = rng.next() as u8;
            }
            _ => {}
        }
    }
}

/// Which regions of the data file differ between `before` and `after`.
fn diff(before: &[u8], after: &[u8], table_end: usize) -> Touched {
    let mut touched = Touched { length: before.len() != after.len(), ..Touched::default() };
    for i in 0..before.len().min(after.len()) {
        if before[i] != after[i] {
            match i {
                0..16 => touched.header = true,
                _ if i < table_end => touched.jump_table = true,
                _ => touched.payload = true,
            }
        }
    }
    if after.len() > before.len() {
        touched.payload = true;
    }
    touched
}

/// The voxels of `region` of a raw data file as its own header says they are laid out, or
/// `None` where a block lies beyond its end.
fn raw_expectation(seed: &Seed, file: &[u8], region: &voxel::BoundingBox) -> Option<Vec<u8>> {
    let header = Header::parse(file.get(..16)?, "x").ok()?;
    let bytes = header.block_bytes() as u64;
    let vs = header.voxel_size as usize;
    let block = seed.header.block_len() as u64;
    let mut out = vec![0u8; region.byte_len(vs).unwrap()];
    for z in region.min[2]..region.max()[2] {
        for y in region.min[1]..region.max()[1] {
            for x in region.min[0]..region.max()[0] {
                let index = wkw::morton::encode([x / block, y / block, z / block]);
                let within = (x % block + block * (y % block + block * (z % block))) * vs as u64;
                let start = header.data_offset.checked_add(index.checked_mul(bytes)?)?;
                let end = start.checked_add(bytes)?;
                if end > file.len() as u64 {
                    return None;
                }
                let at = (start + within) as usize;
                let o = ((x - region.min[0])
                    + region.size[0] * ((y - region.min[1]) + region.size[1] * (z - region.min[2])))
                    as usize
                    * vs;
                out[o..o + vs].copy_from_slice(&file[at..at + vs]);
            }
        }
    }
    Some(out)
}

#[test]
fn mutated_files_never_panic_hang_or_return_wrong_data() {
    let executions: u64 = std::env::var("WK_FUZZ_EXECUTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let seeds = [
        seed(VoxelType::U8, 1, 4, BlockType::Raw, 1),
        seed(VoxelType::U8, 1, 4, BlockType::Lz4Hc, 2),
        seed(VoxelType::U16, 2, 4, BlockType::Lz4, 3),
        seed(VoxelType::U8, 3, 8, BlockType::Raw, 4),
        seed(VoxelType::F32, 1, 8, BlockType::Lz4Hc, 5),
    ];
    let mut rng = Rng(0x5eed_f00d_cafe_d00d);
    let (mut corrupt, mut read_ok, mut slowest) = (0u64, 0u64, Duration::ZERO);
    let started = Instant::now();
    for execution in 0..executions {
        let seed = &seeds[rng.below(seeds.len() as u64) as usize];
        let table_end = if seed.header.block_type == BlockType::Raw { 16 } else { 16 + 8 * 8 };
        let mut file = seed.file.clone();
        mutate(&mut rng, &mut file, table_end);
        let touched = diff(&seed.file, &file, table_end);
        let mut dataset = seed.dataset.clone();
        if rng.below(20) == 0 {
            let at = rng.below(16) as usize;
            dataset[at] = rng.next() as u8;
        }
        let edge = seed.header.file_edge();
        let min = [rng.below(edge), rng.below(edge), rng.below(edge)];
        let region = bbox(min, [0, 1, 2].map(|i| 1 + rng.below(edge - min[i])));
        let store = Arc::new(MemoryStore::new());
        store.insert("header.wkw", dataset.clone());
        store.insert(FILE, file.clone());
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let array = wkw::open(store)?;
            let mut out = vec![0u8; region.byte_len(array.info()?.voxel_size())?];
            array.read(&region, &mut out).map(|()| out)
        }));
        let took = start.elapsed();
        slowest = slowest.max(took);
        assert!(took < Duration::from_secs(1), "execution {execution} took {took:?}");
        let outcome = outcome.unwrap_or_else(|_| panic!("execution {execution} panicked"));
        let dataset_intact = dataset == seed.dataset;
        match outcome {
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Corrupt, "execution {execution}: {}", e.message);
                assert!(e.message.contains(".wkw"), "execution {execution}: {}", e.message);
                corrupt += 1;
            }
            Ok(voxels) if dataset_intact => {
                read_ok += 1;
                let raw = Header::parse(&file[..16.min(file.len())], "x").is_ok_and(|h| h.block_type == BlockType::Raw);
                if raw {
                    let expected = raw_expectation(seed, &file, &region);
                    assert_eq!(
                        Some(&voxels),
                        expected.as_ref(),
                        "execution {execution}: raw voxels not at their offsets"
                    );
                } else if !touched.payload && !touched.length {
                    let vs = seed.header.voxel_size as usize;
                    let all = bbox([0; 3], [edge; 3]);
                    let mut expected = vec![0u8; region.byte_len(vs).unwrap()];
                    voxel::copy_region(&mut expected, &region, &seed.voxels, &all, &region, vs);
                    assert_eq!(
                        voxels, expected,
                        "execution {execution}: header or jump-table mutation read wrong voxels"
                    );
                }
            }
            Ok(_) => read_ok += 1,
        }
    }
    println!(
        "{executions} executions in {:.1} s: {corrupt} Corrupt errors, {read_ok} successful reads, slowest {slowest:?}; no panic, hang or wrong data",
        started.elapsed().as_secs_f64()
    );
}
