//! Zarr arrays through the engine: round trips of every layout, the bytes of shards and indexes,
//! partial writes that keep stored chunks, and every corrupt case.

use array::{ArrayInfo, ChunkedArray, Compression, DataFormat};
use std::sync::Arc;
use storage::{LocalStore, MemoryStore, Store};
use voxel::{BoundingBox, Control, ErrorKind, VoxelType};

fn info(
    format: DataFormat,
    voxel_type: VoxelType,
    channels: usize,
    chunk: u64,
    shard: u64,
    compression: Compression,
) -> ArrayInfo {
    ArrayInfo {
        data_format: format,
        voxel_type,
        num_channels: channels,
        chunk_shape: [chunk; 3],
        shard_shape: [shard; 3],
        compression,
        shape: None,
    }
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Few distinct values, so that compressors have something to find.
            ((state >> 24) % 5) as u8
        })
        .collect()
}

fn read(array: &dyn ChunkedArray, region: &BoundingBox) -> Vec<u8> {
    let mut out = vec![0xEE; region.byte_len(array.info().unwrap().voxel_size()).unwrap()];
    array.read(region, &mut out).unwrap();
    out
}

#[test]
fn round_trips_every_layout() {
    let layouts = [
        info(DataFormat::Zarr3, VoxelType::U8, 1, 8, 32, Compression::Zstd),
        info(DataFormat::Zarr3, VoxelType::U16, 3, 8, 16, Compression::None),
        info(DataFormat::Zarr3, VoxelType::F64, 2, 16, 16, Compression::Zstd),
        info(DataFormat::Zarr, VoxelType::U32, 1, 16, 16, Compression::Zstd),
        info(DataFormat::Zarr, VoxelType::I8, 1, 8, 8, Compression::None),
    ];
    for layout in layouts {
        let store = Arc::new(MemoryStore::new());
        let array = zarr::create(store.clone(), &layout).unwrap();
        let vs = layout.voxel_size();
        let region = BoundingBox::new([5, 13, 30], [23, 17, 9]);
        let data = noise(region.byte_len(vs).unwrap(), 3);
        array.write(&region, &data).unwrap();
        assert_eq!(read(&array, &region), data, "{layout:?}");
        let outer = BoundingBox::new([4, 12, 29], [25, 19, 11]);
        let around = read(&array, &outer);
        assert!(around[..vs].iter().all(|&b| b == 0));
        // Reopened from the store, the array reads the same and has grown to whole shards.
        let reopened = zarr::open(store).unwrap();
        assert_eq!(read(&reopened, &region), data);
        let shape = reopened.info().unwrap().shape.unwrap();
        assert!((0..3).all(|i| shape[i] >= region.max()[i] && shape[i] % layout.shard_shape[i] == 0), "{shape:?}");
    }
}

/// What today's Python library writes (through tensorstore) for a uint8 and a uint32 mag.
#[test]
fn writes_the_metadata_of_the_python_library() {
    let store = Arc::new(MemoryStore::new());
    zarr::create(store.clone(), &info(DataFormat::Zarr3, VoxelType::U8, 1, 32, 1024, Compression::Zstd)).unwrap();
    let text = String::from_utf8(store.get("zarr.json").unwrap().unwrap()).unwrap();
    assert_eq!(
        text,
        r#"{"chunk_grid":{"configuration":{"chunk_shape":[1,1024,1024,1024]},"name":"regular"},"chunk_key_encoding":{"name":"default"},"codecs":[{"configuration":{"chunk_shape":[1,32,32,32],"codecs":[{"configuration":{"order":[3,2,1,0]},"name":"transpose"},{"name":"bytes"},{"configuration":{"checksum":true,"level":5},"name":"zstd"}],"index_codecs":[{"configuration":{"endian":"little"},"name":"bytes"},{"name":"crc32c"}]},"name":"sharding_indexed"}],"data_type":"uint8","dimension_names":["c","x","y","z"],"fill_value":0,"node_type":"array","shape":[1,0,0,0],"zarr_format":3}"#
    );
    let store = Arc::new(MemoryStore::new());
    zarr::create(store.clone(), &info(DataFormat::Zarr3, VoxelType::U32, 1, 32, 1024, Compression::Zstd)).unwrap();
    let text = String::from_utf8(store.get("zarr.json").unwrap().unwrap()).unwrap();
    assert!(text.contains(r#"{"configuration":{"endian":"little"},"name":"bytes"},{"configuration":{"checksum":true,"level":5},"name":"zstd"}"#));
    let store = Arc::new(MemoryStore::new());
    zarr::create(store.clone(), &info(DataFormat::Zarr, VoxelType::U16, 1, 32, 32, Compression::Zstd)).unwrap();
    assert_eq!(
        String::from_utf8(store.get(".zarray").unwrap().unwrap()).unwrap(),
        r#"{"chunks":[1,32,32,32],"compressor":{"id":"zstd","level":5},"dimension_separator":"/","dtype":"<u2","fill_value":0,"filters":null,"order":"F","shape":[1,0,0,0],"zarr_format":2}"#
    );
}

/// A shard stores only its chunks that are not all zero, then its index (16 bytes per chunk,
/// u64::MAX twice for a missing one) and the crc32c of the index; keys are c/0/x/y/z.
#[test]
fn shards_hold_their_chunks_then_the_index() {
    let store = Arc::new(MemoryStore::new());
    let array =
        zarr::create(store.clone(), &info(DataFormat::Zarr3, VoxelType::U8, 1, 4, 8, Compression::None)).unwrap();
    let mut data = vec![0u8; 8 * 8 * 8];
    for (i, v) in data.iter_mut().enumerate().take(4) {
        *v = i as u8 + 1;
    }
    array.write(&BoundingBox::new([8, 0, 0], [8, 8, 8]), &data).unwrap();
    assert_eq!(store.keys(), vec!["c/0/1/0/0".to_string(), "zarr.json".to_string()]);
    let shard = store.get("c/0/1/0/0").unwrap().unwrap();
    assert_eq!(shard.len(), 64 + 8 * 16 + 4);
    let index = &shard[64..64 + 128];
    assert_eq!(&index[..16], &[0u8, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0]);
    assert!(index[16..].iter().all(|&b| b == 0xFF));
    // The chunk is stored transposed to (z, y, x, c): the voxel order of the write.
    assert_eq!(&shard[..4], &[1, 2, 3, 4]);
    // A shard written all zeros is no file.
    array.write(&BoundingBox::new([8, 0, 0], [8, 8, 8]), &[0u8; 512]).unwrap();
    assert_eq!(store.keys(), vec!["zarr.json".to_string()]);
}

/// A small write into a compressed shard re-encodes only the chunks it touches: the others keep
/// their stored bytes.
#[test]
fn partial_writes_keep_the_stored_bytes_of_other_chunks() {
    let store = Arc::new(MemoryStore::new());
    let array =
        zarr::create(store.clone(), &info(DataFormat::Zarr3, VoxelType::U8, 1, 8, 32, Compression::Zstd)).unwrap();
    let all = BoundingBox::new([0, 0, 0], [32, 32, 32]);
    let data = noise(all.byte_len(1).unwrap(), 9);
    array.write(&all, &data).unwrap();
    let before = store.get("c/0/0/0/0").unwrap().unwrap();
    let small = BoundingBox::new([1, 2, 3], [3, 3, 3]);
    array.write(&small, &[200u8; 27]).unwrap();
    let after = store.get("c/0/0/0/0").unwrap().unwrap();
    // Chunk (0,0,0) changed; every other chunk's bytes appear unchanged in the new shard.
    let spans = |shard: &[u8]| {
        let index = &shard[shard.len() - 64 * 16 - 4..shard.len() - 4];
        (0..64)
            .map(|i| {
                let offset = u64::from_le_bytes(index[16 * i..16 * i + 8].try_into().unwrap()) as usize;
                let len = u64::from_le_bytes(index[16 * i + 8..16 * i + 16].try_into().unwrap()) as usize;
                shard[offset..offset + len].to_vec()
            })
            .collect::<Vec<_>>()
    };
    let (old, new) = (spans(&before), spans(&after));
    assert_ne!(old[0], new[0]);
    assert!((1..64).all(|i| old[i] == new[i]));
    let mut expected = data.clone();
    for z in 3..6 {
        for y in 2..5 {
            for x in 1..4 {
                expected[x + 32 * (y + 32 * z)] = 200;
            }
        }
    }
    assert_eq!(read(&array, &all), expected);
}

#[test]
fn index_at_the_start_and_c_order_v2_chunks_read_right() {
    let store = Arc::new(MemoryStore::new());
    let array =
        zarr::create(store.clone(), &info(DataFormat::Zarr3, VoxelType::U16, 1, 4, 8, Compression::Zstd)).unwrap();
    let region = BoundingBox::new([0, 0, 0], [8, 8, 8]);
    let data = noise(region.byte_len(2).unwrap(), 4);
    array.write(&region, &data).unwrap();
    // The same array with its index moved to the start of the shard.
    let text = String::from_utf8(store.get("zarr.json").unwrap().unwrap()).unwrap();
    let moved = text.replace(r#""index_codecs""#, r#""index_location":"start","index_codecs""#);
    let shard = store.get("c/0/0/0/0").unwrap().unwrap();
    let index_len = 8 * 16 + 4;
    let (chunks, index) = shard.split_at(shard.len() - index_len);
    let mut index: Vec<u8> = index[..index_len - 4].to_vec();
    for entry in index.chunks_exact_mut(16) {
        let offset = u64::from_le_bytes(entry[..8].try_into().unwrap()) + index_len as u64;
        entry[..8].copy_from_slice(&offset.to_le_bytes());
    }
    let crc = crc32c(&index);
    let mut start = index.clone();
    start.extend_from_slice(&crc.to_le_bytes());
    start.extend_from_slice(chunks);
    let other = Arc::new(MemoryStore::new());
    other.insert("zarr.json", moved.into_bytes());
    other.insert("c/0/0/0/0", start);
    assert_eq!(read(&zarr::open(other).unwrap(), &region), data);

    // A v2 array in C order (z fastest), big-endian, dot-separated keys, read through zarrs' conversion.
    let v2 = Arc::new(MemoryStore::new());
    v2.insert(
        ".zarray",
        br#"{"chunks":[1,2,2,2],"compressor":null,"dtype":">u2","fill_value":0,"filters":null,"order":"C","shape":[1,2,2,2],"zarr_format":2}"#.to_vec(),
    );
    // C order over (c, x, y, z): z fastest.
    let values: Vec<u16> = (0..8).map(|i| 100 + i).collect();
    v2.insert("0.0.0.0", values.iter().flat_map(|v| v.to_be_bytes()).collect());
    let array = zarr::open(v2).unwrap();
    let out = read(&array, &BoundingBox::new([0, 0, 0], [2, 2, 2]));
    let got: Vec<u16> = out.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
    // Voxel (x, y, z) is element x·4 + y·2 + z of the C-order chunk.
    let expected: Vec<u16> =
        (0..8).map(|i| (i % 2, (i / 2) % 2, i / 4)).map(|(x, y, z)| 100 + (x * 4 + y * 2 + z) as u16).collect();
    assert_eq!(got, expected);
}

/// Castagnoli CRC-32, to build a shard by hand.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn corrupt_metadata_indexes_and_chunks_are_errors_naming_the_file() {
    let store = Arc::new(MemoryStore::new());
    let array =
        zarr::create(store.clone(), &info(DataFormat::Zarr3, VoxelType::U8, 1, 4, 8, Compression::Zstd)).unwrap();
    let region = BoundingBox::new([0, 0, 0], [8, 8, 8]);
    array.write(&region, &noise(512, 2)).unwrap();
    let shard = store.get("c/0/0/0/0").unwrap().unwrap();
    let corrupt = |key: &str, bytes: Vec<u8>| {
        let copy = Arc::new(MemoryStore::new());
        for k in store.keys() {
            copy.insert(&k, store.get(&k).unwrap().unwrap());
        }
        copy.insert(key, bytes);
        let result = zarr::open(copy).and_then(|a| {
            let mut out = vec![0u8; 512];
            a.read(&region, &mut out)
        });
        let error = result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Corrupt, "{}", error.message);
        assert!(error.message.contains(key), "{}", error.message);
        error.message
    };
    // A flipped bit in the index fails its crc32c.
    let mut bad_index = shard.clone();
    let n = bad_index.len();
    bad_index[n - 10] ^= 1;
    assert!(corrupt("c/0/0/0/0", bad_index).contains("checksum"));
    // A flipped bit in a chunk fails zstd's checksum.
    let mut bad_chunk = shard.clone();
    bad_chunk[20] ^= 0x10;
    corrupt("c/0/0/0/0", bad_chunk);
    // Too short for its index; an index entry beyond the end.
    corrupt("c/0/0/0/0", shard[..100].to_vec());
    corrupt("zarr.json", b"{ not json".to_vec());
    corrupt("zarr.json", br#"{"zarr_format":3,"node_type":"array"}"#.to_vec());
}

#[test]
fn a_compressed_copy_replaces_the_array_in_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path().join("1")));
    let array = zarr::create(store, &info(DataFormat::Zarr3, VoxelType::U16, 1, 8, 32, Compression::None)).unwrap();
    let region = BoundingBox::new([3, 0, 0], [60, 40, 20]);
    let data = noise(region.byte_len(2).unwrap(), 8);
    array.write(&region, &data).unwrap();
    let compressed = zarr::create(
        Arc::new(LocalStore::new(dir.path().join(".1.compressing"))),
        &ArrayInfo { compression: Compression::Zstd, ..array.info().unwrap() },
    )
    .unwrap();
    let lock = array.lock_all().unwrap();
    let everything = BoundingBox::new([0; 3], [voxel::MAX_COORDINATE; 3]);
    array::copy(&array, &compressed, &everything, &array.shards().unwrap(), &Control::default()).unwrap();
    array.store().replace_with(&**compressed.store()).unwrap();
    drop(lock);
    // The open array reads the new files.
    assert_eq!(array.info().unwrap().compression, Compression::Zstd);
    assert_eq!(read(&array, &region), data);
    // Nothing is left beside the array but the array.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec!["1"]);
    assert_eq!(read(&zarr::open(Arc::new(LocalStore::new(dir.path().join("1")))).unwrap(), &region), data);
}
