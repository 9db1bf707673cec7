//! Behaviour of whole datasets: round trips, file borders, compressed-write rules (wkw-format.md
//! §7.7) and every corrupt-input case.

mod common;

use array::ChunkedArray;
use common::*;
use std::fs;
use std::os::unix::fs::FileExt;
use voxel::{Control, ErrorKind, VoxelType};
use wkw::BlockType;

#[test]
fn round_trips_across_file_and_block_borders() {
    for block_type in [BlockType::Raw, BlockType::Lz4, BlockType::Lz4Hc] {
        for (voxel_type, channels) in
            [(VoxelType::U8, 1), (VoxelType::U16, 3), (VoxelType::F64, 2), (VoxelType::I32, 1)]
        {
            let dir = tempfile::tempdir().unwrap();
            let ds = create(dir.path(), header(voxel_type, channels, 4, 4, block_type));
            let vs = header_of(&ds).voxel_size as usize;
            let region = bbox([5, 13, 30], [23, 17, 9]);
            let data = noise(region.byte_len(vs).unwrap(), 3);
            ds.write(&region, &data).unwrap();
            assert_eq!(read(&ds, region.min, region.size), data, "{block_type:?} {voxel_type:?}");
            // A larger read sees zeros around the written box.
            let outer = read(&ds, [4, 12, 29], [25, 19, 11]);
            let at = |x: usize, y: usize, z: usize| &outer[((z * 19 + y) * 25 + x) * vs..][..vs];
            assert!(at(0, 0, 0).iter().all(|&b| b == 0));
            assert!(at(24, 18, 10).iter().all(|&b| b == 0));
            assert_eq!(at(1, 1, 1), &data[..vs]);
        }
    }
}

#[test]
fn unwritten_regions_read_as_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U32, 1, 32, 32, BlockType::Lz4Hc));
    assert!(read(&ds, [100_000, 5, 7], [3, 4, 5]).iter().all(|&b| b == 0));
    assert!(ds.shards().unwrap().is_empty());
}

#[test]
fn partial_raw_writes_keep_the_rest_of_each_block() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 8, 2, BlockType::Raw));
    let full = noise(16 * 16 * 16, 1);
    ds.write(&bbox([0, 0, 0], [16, 16, 16]), &full).unwrap();
    ds.write(&bbox([3, 4, 5], [2, 2, 2]), &[7; 8]).unwrap();
    let back = read(&ds, [0, 0, 0], [16, 16, 16]);
    for z in 0..16 {
        for y in 0..16 {
            for x in 0..16 {
                let i = x + 16 * y + 256 * z;
                let inside = (3..5).contains(&x) && (4..6).contains(&y) && (5..7).contains(&z);
                assert_eq!(back[i], if inside { 7 } else { full[i] });
            }
        }
    }
}

/// §7.7: whole-file writes of compressed datasets create exactly their files; unaligned ones
/// read, modify and write each touched file (the reference refused them; the TypeScript
/// `WkwDataset` still does, the dataset API pads them).
#[test]
fn compressed_writes_create_only_touched_files() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 32, 4, BlockType::Lz4Hc));
    let cube = 128u64;
    ds.write(&bbox([0, 0, 0], [cube; 3]), &vec![1; 128 * 128 * 128]).unwrap();
    ds.write(&bbox([128, 0, 0], [256, 128, 128]), &vec![2; 256 * 128 * 128]).unwrap();
    assert_eq!(ds.shards().unwrap(), vec![[0, 0, 0], [1, 0, 0], [2, 0, 0]]);
    assert_eq!(read(&ds, [126, 0, 0], [4, 1, 1]), [1, 1, 2, 2]);
    ds.write(&bbox([127, 5, 5], [2, 1, 1]), &[7, 8]).unwrap();
    assert_eq!(read(&ds, [126, 5, 5], [4, 1, 1]), [1, 7, 8, 2]);
    assert_eq!(ds.shards().unwrap().len(), 3);
}

/// §7.7: rewriting a compressed (LZ4) cube with zeros shrinks it to 80 + 8·11 bytes, through a
/// temporary file that does not remain.
#[test]
fn rewriting_a_compressed_file_replaces_it_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 4, 2, BlockType::Lz4));
    let ramp = fill([8, 8, 8], |x, y, z| (x + 8 * y + 64 * z) as u8);
    ds.write(&bbox([0, 0, 0], [8, 8, 8]), &ramp).unwrap();
    ds.write(&bbox([0, 0, 0], [8, 8, 8]), &[0; 512]).unwrap();
    assert_eq!(fs::metadata(dir.path().join("z0/y0/x0.wkw")).unwrap().len(), 168);
    assert_eq!(walk(dir.path()).len(), 2);
}

#[test]
fn padded_compressed_writes_keep_the_rest_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U16, 1, 4, 4, BlockType::Lz4Hc));
    let full = noise(16 * 16 * 16 * 2, 9);
    ds.write(&bbox([0, 0, 0], [16, 16, 16]), &full).unwrap();
    ds.write(&bbox([1, 2, 3], [1, 1, 1]), &[0xAA, 0xBB]).unwrap();
    let back = read(&ds, [0, 0, 0], [16, 16, 16]);
    let i = (1 + 2 * 16 + 3 * 256) * 2;
    assert_eq!(back[i..i + 2], [0xAA, 0xBB]);
    assert_eq!(back[..i], full[..i]);
    assert_eq!(back[i + 2..], full[i + 2..]);
}

#[test]
fn compresses_in_place_and_into_a_new_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let src = create(&dir.path().join("src"), header(VoxelType::U8, 3, 8, 2, BlockType::Raw));
    let region = bbox([3, 9, 17], [40, 20, 30]);
    let data = noise(region.byte_len(3).unwrap(), 5);
    src.write(&region, &data).unwrap();
    let progress = std::sync::Mutex::new(Vec::new());
    let report = |done, total| progress.lock().unwrap().push((done, total));
    let copy = compress_into(&src, &dir.path().join("dst"), &Control::new(None, Some(&report))).unwrap();
    assert_eq!(header_of(&copy).block_type, BlockType::Lz4Hc);
    assert_eq!(read(&copy, region.min, region.size), data);
    let progress = progress.into_inner().unwrap();
    assert_eq!(progress.first(), Some(&(0, 12)));
    assert_eq!(progress.last(), Some(&(12, 12)));

    compress_in_place(&src, &dir.path().join("src"), &Control::default()).unwrap();
    // Nothing is left beside the array.
    let mut names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["dst", "src"]);
    let reopened = open_at(&dir.path().join("src")).unwrap();
    assert_eq!(header_of(&reopened).block_type, BlockType::Lz4Hc);
    assert_eq!(read(&reopened, region.min, region.size), data);
    assert_eq!(walk(&dir.path().join("src")).len(), 13);
    let err = compress_into(&src, &dir.path().join("dst"), &Control::default()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists);
}

#[test]
fn a_cancelled_compression_leaves_only_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = create(&dir.path().join("src"), header(VoxelType::U8, 1, 8, 1, BlockType::Raw));
    src.write(&bbox([0, 0, 0], [64, 64, 8]), &noise(64 * 64 * 8, 2)).unwrap();
    let cancelled = std::sync::atomic::AtomicBool::new(false);
    let cancel_after_some = |done: u64, _| {
        if done >= 3 {
            cancelled.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let err = compress_into(&src, &dir.path().join("dst"), &Control::new(Some(&cancelled), Some(&cancel_after_some)))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Cancelled);
    let written = walk(&dir.path().join("dst"));
    assert!(written.iter().all(|p| p == "header.wkw" || p.ends_with(".wkw")), "{written:?}");
    let dst = open_at(&dir.path().join("dst")).unwrap();
    for cube in dst.shards().unwrap() {
        let b = bbox(cube.map(|c| c * 8), [8, 8, 8]);
        assert_eq!(read(&dst, b.min, b.size), read(&src, b.min, b.size));
    }
}

#[test]
fn rejects_buffers_of_the_wrong_length() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U16, 1, 32, 32, BlockType::Raw));
    assert_eq!(ds.write(&bbox([0, 0, 0], [2, 2, 2]), &[0; 8]).unwrap_err().kind, ErrorKind::InvalidArgument);
    let mut out = [0u8; 15];
    assert_eq!(ds.read(&bbox([0, 0, 0], [2, 2, 2]), &mut out).unwrap_err().kind, ErrorKind::InvalidArgument);
}

#[test]
fn create_and_open_report_missing_and_existing_headers() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(open_at(dir.path()).unwrap_err().kind, ErrorKind::NotFound);
    create(dir.path(), header(VoxelType::U8, 1, 32, 32, BlockType::Raw));
    let store = std::sync::Arc::new(storage::LocalStore::new(dir.path()));
    let again = wkw::create(store, header(VoxelType::U8, 1, 32, 32, BlockType::Raw)).unwrap_err();
    assert_eq!(again.kind, ErrorKind::AlreadyExists);
    assert!(again.message.contains("header.wkw"));
}

/// A compressed 2×2×2-block file (B=4) with one data file, for the corruption cases.
fn compressed_fixture() -> (tempfile::TempDir, wkw::WkwArray, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 4, 2, BlockType::Lz4Hc));
    ds.write(&bbox([0, 0, 0], [8, 8, 8]), &fill([8, 8, 8], |x, y, z| (x * y + z) as u8)).unwrap();
    let path = dir.path().join("z0/y0/x0.wkw");
    (dir, ds, path)
}

fn corrupt_read(ds: &wkw::WkwArray, size: u64) -> voxel::Error {
    let region = bbox([0, 0, 0], [size; 3]);
    let mut out = vec![0u8; region.byte_len(1).unwrap()];
    let err = ds.read(&region, &mut out).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Corrupt, "{}", err.message);
    assert!(err.message.contains("x0.wkw"), "{}", err.message);
    err
}

fn patch(path: &std::path::Path, offset: u64, bytes: &[u8]) {
    fs::OpenOptions::new().write(true).open(path).unwrap().write_all_at(bytes, offset).unwrap();
}

#[test]
fn corrupt_headers_are_errors() {
    let (_dir, ds, path) = compressed_fixture();
    patch(&path, 0, b"WKX");
    assert!(corrupt_read(&ds, 8).message.starts_with("Sequence of magic bytes [87, 75, 88] is invalid"));
    patch(&path, 0, b"WKW");
    patch(&path, 6, &[7]);
    assert!(corrupt_read(&ds, 8).message.contains("does not match the dataset"));
    patch(&path, 6, &[1]);
    fs::write(&path, b"").unwrap();
    assert!(corrupt_read(&ds, 8).message.starts_with("Header is truncated"));
}

#[test]
fn corrupt_jump_tables_are_errors() {
    let (_dir, ds, path) = compressed_fixture();
    let original = fs::read(&path).unwrap();
    patch(&path, 16, &[0; 64]);
    assert!(corrupt_read(&ds, 8).message.starts_with("Corrupt jump table"));
    fs::write(&path, &original[..40]).unwrap();
    assert!(corrupt_read(&ds, 8).message.starts_with("Jump table is truncated"));
    // An end offset past the compress bound of a block.
    fs::write(&path, &original).unwrap();
    patch(&path, 16, &(80u64 + 200).to_le_bytes());
    assert!(corrupt_read(&ds, 8).message.starts_with("Corrupt jump table"));
}

#[test]
fn truncated_and_garbled_blocks_are_errors() {
    let (_dir, ds, path) = compressed_fixture();
    let original = fs::read(&path).unwrap();
    // Missing its last 3 bytes: the last block fails, the first still reads.
    fs::write(&path, &original[..original.len() - 3]).unwrap();
    assert!(corrupt_read(&ds, 8).message.contains("truncated"));
    let mut first = vec![0u8; 64];
    ds.read(&bbox([0, 0, 0], [4, 4, 4]), &mut first).unwrap();
    // Trailing garbage after the last block is ignored.
    let mut longer = original.clone();
    longer.extend([1, 2, 3]);
    fs::write(&path, &longer).unwrap();
    let mut all = vec![0u8; 512];
    ds.read(&bbox([0, 0, 0], [8, 8, 8]), &mut all).unwrap();
    // Garbage in the payload of block 0.
    let mut garbled = original.clone();
    for b in &mut garbled[80..90] {
        *b = 0xFF;
    }
    fs::write(&path, &garbled).unwrap();
    let message = corrupt_read(&ds, 4).message;
    assert!(message.contains("LZ4") || message.contains("length"), "{message}");
}

#[test]
fn truncated_raw_files_fail_only_beyond_their_end() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 2, 2, BlockType::Raw));
    ds.write(&bbox([0, 0, 0], [4, 4, 4]), &[5; 64]).unwrap();
    let path = dir.path().join("z0/y0/x0.wkw");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..16 + 3 * 8 + 4]).unwrap();
    let mut first = [0u8; 8];
    ds.read(&bbox([0, 0, 0], [2, 2, 2]), &mut first).unwrap();
    assert_eq!(first, [5; 8]);
    assert!(corrupt_read(&ds, 4).message.contains("truncated"));
    // A partial write into the missing tail needs the old block and fails too.
    assert_eq!(ds.write(&bbox([3, 3, 3], [1, 1, 1]), &[1]).unwrap_err().kind, ErrorKind::Corrupt);
}

#[test]
fn temporary_files_are_not_data_files() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 4, 1, BlockType::Raw));
    fs::create_dir_all(dir.path().join("z0/y0")).unwrap();
    fs::write(dir.path().join("z0/y0/x0.wkw_tmp"), b"partial").unwrap();
    fs::write(dir.path().join("z0/y0/.x1.wkw.1-1.tmp"), b"partial").unwrap();
    assert!(ds.shards().unwrap().is_empty());
    assert!(read(&ds, [0, 0, 0], [8, 4, 4]).iter().all(|&b| b == 0));
}

#[test]
fn copies_a_region_into_files_of_another_layout() {
    let dir = tempfile::tempdir().unwrap();
    let source = create(&dir.path().join("src"), header(VoxelType::U16, 2, 8, 2, BlockType::Lz4Hc));
    let all = bbox([0, 0, 0], [48, 32, 32]);
    let data = noise(all.byte_len(4).unwrap(), 4);
    source.write(&all, &data).unwrap();
    let target = create(&dir.path().join("dst"), header(VoxelType::U16, 2, 4, 4, BlockType::Raw));
    let region = bbox([5, 3, 7], [30, 20, 10]);
    let shards = region.cells([16; 3]);
    array::copy(&source, &target, &region, &shards, &Control::default()).unwrap();
    assert_eq!(read(&target, region.min, region.size), read(&source, region.min, region.size));
    // Outside the region the copied files hold zeros.
    assert!(read(&target, [0, 0, 0], [5, 16, 16]).iter().all(|&b| b == 0));
    assert_eq!(target.shards().unwrap().len(), 3 * 2 * 2);
    let wrong = create(&dir.path().join("u8"), header(VoxelType::U8, 1, 4, 4, BlockType::Raw));
    let error = array::copy(&source, &wrong, &region, &shards, &Control::default()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
}
