//! The byte-level test vectors of wkw-format.md §1.2, §7.3–§7.5, written by the reference library.

mod common;

use array::ChunkedArray;
use common::*;
use std::fs;
use voxel::VoxelType;
use wkw::BlockType;

#[test]
fn raw_two_channel_file_is_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 2, 2, 1, BlockType::Raw));
    let mut data = Vec::new();
    for v in 0..8u8 {
        data.extend([v, 100 + v]);
    }
    ds.write(&bbox([0, 0, 0], [2, 2, 2]), &data).unwrap();
    let bytes = fs::read(dir.path().join("z0/y0/x0.wkw")).unwrap();
    assert_eq!(
        bytes,
        from_hex("57 4B 57 01 01 01 01 02 10 00 00 00 00 00 00 00 00 64 01 65 02 66 03 67 04 68 05 69 06 6A 07 6B")
    );
    assert_eq!(
        fs::read(dir.path().join("header.wkw")).unwrap(),
        from_hex("57 4B 57 01 01 01 01 02 00 00 00 00 00 00 00 00")
    );
}

#[test]
fn lz4hc_zero_and_ramp_files_are_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 4, 1, BlockType::Lz4Hc));
    ds.write(&bbox([0, 0, 0], [4, 4, 4]), &[0u8; 64]).unwrap();
    let path = dir.path().join("z0/y0/x0.wkw");
    assert_eq!(
        fs::read(&path).unwrap(),
        from_hex(
            "57 4B 57 01 02 03 01 01 18 00 00 00 00 00 00 00 23 00 00 00 00 00 00 00 1F 00 01 00 27 50 00 00 00 00 00"
        )
    );
    let ramp: Vec<u8> = (0..64).collect();
    ds.write(&bbox([0, 0, 0], [4, 4, 4]), &ramp).unwrap();
    let mut expected = from_hex("57 4B 57 01 02 03 01 01 18 00 00 00 00 00 00 00 5A 00 00 00 00 00 00 00 F0 31");
    expected.extend(0u8..64);
    assert_eq!(fs::read(&path).unwrap(), expected);
    assert_eq!(read(&ds, [0, 0, 0], [4, 4, 4]), ramp);
}

/// Eight 4³ blocks, block m constant m·17 except block 5 = the ramp: 223 bytes with the jump
/// table [91, 102, 113, 124, 135, 201, 212, 223].
#[test]
fn lz4hc_multi_block_file_is_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 4, 2, BlockType::Lz4Hc));
    let data = fill([8, 8, 8], |x, y, z| {
        let m = wkw::morton::encode([x / 4, y / 4, z / 4]);
        if m == 5 {
            (x % 4 + 4 * (y % 4) + 16 * (z % 4)) as u8
        } else {
            (m * 17) as u8
        }
    });
    ds.write(&bbox([0, 0, 0], [8, 8, 8]), &data).unwrap();
    let bytes = fs::read(dir.path().join("z0/y0/x0.wkw")).unwrap();
    assert_eq!(bytes.len(), 223);
    assert_eq!(bytes[..16], from_hex("57 4B 57 01 12 03 01 01 50 00 00 00 00 00 00 00")[..]);
    let table: Vec<u64> = bytes[16..80].chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(table, [91, 102, 113, 124, 135, 201, 212, 223]);
    assert_eq!(bytes[80..91], from_hex("1F 00 01 00 27 50 00 00 00 00 00")[..]);
    assert_eq!(bytes[91..102], from_hex("1F 11 01 00 27 50 11 11 11 11 11")[..]);
    assert_eq!(bytes[135..137], from_hex("F0 31")[..]);
    assert_eq!(read(&ds, [0, 0, 0], [8, 8, 8]), data);
}

/// §7.3: B=2, F=4, uint16, value x + 8y + 64z: Morton order of blocks, Fortran order inside.
#[test]
fn raw_block_order_matches_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U16, 1, 2, 4, BlockType::Raw));
    let mut data = Vec::new();
    for z in 0..8u16 {
        for y in 0..8u16 {
            for x in 0..8u16 {
                data.extend((x + 8 * y + 64 * z).to_le_bytes());
            }
        }
    }
    ds.write(&bbox([0, 0, 0], [8, 8, 8]), &data).unwrap();
    let bytes = fs::read(dir.path().join("z0/y0/x0.wkw")).unwrap();
    assert_eq!(bytes.len(), 1040);
    let voxel = |i: usize| u16::from_le_bytes([bytes[16 + 2 * i], bytes[17 + 2 * i]]);
    let value = |x: u16, y: u16, z: u16| x + 8 * y + 64 * z;
    let block1: Vec<u16> = (8..16).map(voxel).collect();
    assert_eq!(
        block1,
        [
            value(2, 0, 0),
            value(3, 0, 0),
            value(2, 1, 0),
            value(3, 1, 0),
            value(2, 0, 1),
            value(3, 0, 1),
            value(2, 1, 1),
            value(3, 1, 1)
        ]
    );
    assert_eq!(voxel(4 * 8), value(0, 0, 2));
    assert_eq!(voxel(8 * 8), value(4, 0, 0));
    assert_eq!(voxel(63 * 8), value(6, 6, 6));
}

/// §1.2 and §7.4: a single voxel lands at the documented byte offset of the documented file, and
/// nothing else is created.
#[test]
fn single_voxels_land_at_the_reference_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 32, 32, BlockType::Raw));
    ds.write(&bbox([1000, 2050, 70], [1, 1, 1]), &[0xAB]).unwrap();
    let path = dir.path().join("z0/y2/x0.wkw");
    assert_eq!(fs::metadata(&path).unwrap().len(), 1_073_741_840);
    assert_eq!(bytes_at(&path, 154_441_815, 3), [0, 0xAB, 0]);
    assert_eq!(bytes_at(&path, 0, 16), from_hex("57 4B 57 01 55 01 01 01 10 00 00 00 00 00 00 00"));
    let mut entries: Vec<_> = walk(dir.path());
    entries.sort();
    assert_eq!(entries, ["header.wkw", "z0/y2/x0.wkw"]);

    ds.write(&bbox([33, 1, 2], [1, 1, 1]), &[9]).unwrap();
    assert_eq!(bytes_at(&dir.path().join("z0/y0/x0.wkw"), 34_865, 1), [9]);

    let dir2 = tempfile::tempdir().unwrap();
    let ds2 = create(dir2.path(), header(VoxelType::U16, 2, 32, 32, BlockType::Raw));
    ds2.write(&bbox([1000, 2050, 70], [1, 1, 1]), &[0x34, 0x12, 0xEF, 0xBE]).unwrap();
    assert_eq!(bytes_at(&dir2.path().join("z0/y2/x0.wkw"), 617_767_216, 4), [0x34, 0x12, 0xEF, 0xBE]);
}

fn bytes_at(path: &std::path::Path, offset: u64, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; len];
    fs::File::open(path).unwrap().read_exact_at(&mut buf, offset).unwrap();
    buf
}

/// §7.4: a 30×30×2 box at (5123, 3048, 8191) creates exactly four files.
#[test]
fn a_box_across_file_borders_creates_exactly_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let ds = create(dir.path(), header(VoxelType::U8, 1, 32, 32, BlockType::Lz4Hc));
    let size = [30, 30, 2];
    let data = noise(1800, 7);
    ds.write(&bbox([5123, 3048, 8191], size), &data).unwrap();
    let mut entries = walk(dir.path());
    entries.sort();
    assert_eq!(entries, ["header.wkw", "z7/y2/x5.wkw", "z7/y3/x5.wkw", "z8/y2/x5.wkw", "z8/y3/x5.wkw"]);
    assert_eq!(read(&ds, [5123, 3048, 8191], size), data);
    let reopened = open_at(dir.path()).unwrap();
    assert_eq!(reopened.shards().unwrap(), vec![[5, 2, 7], [5, 3, 7], [5, 2, 8], [5, 3, 8]]);
}

/// §7.5: an 8³ ramp written raw, then compressed: 608 bytes, LZ4HC header.
#[test]
fn compressing_a_raw_file_gives_the_reference_size() {
    let dir = tempfile::tempdir().unwrap();
    let raw = create(&dir.path().join("raw"), header(VoxelType::U8, 1, 4, 2, BlockType::Raw));
    let data = fill([8, 8, 8], |x, y, z| (x + 8 * y + 64 * z) as u8);
    raw.write(&bbox([0, 0, 0], [8, 8, 8]), &data).unwrap();
    let compressed = compress_into(&raw, &dir.path().join("lz4hc"), &voxel::Control::default()).unwrap();
    let bytes = fs::read(dir.path().join("lz4hc/z0/y0/x0.wkw")).unwrap();
    assert_eq!(bytes.len(), 608);
    assert_eq!(bytes[..16], from_hex("57 4B 57 01 12 03 01 01 50 00 00 00 00 00 00 00")[..]);
    assert_eq!(fs::read(dir.path().join("lz4hc/header.wkw")).unwrap()[5], 3);
    assert_eq!(read(&compressed, [0, 0, 0], [8, 8, 8]), data);
    // Compressing again (in place) keeps the bytes.
    compress_in_place(&compressed, &dir.path().join("lz4hc"), &voxel::Control::default()).unwrap();
    assert_eq!(fs::read(dir.path().join("lz4hc/z0/y0/x0.wkw")).unwrap(), bytes);
}
