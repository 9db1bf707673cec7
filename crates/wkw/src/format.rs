//! WKW as a format of the array engine: a directory with `header.wkw` and one data file
//! `z<Z>/y<Y>/x<X>.wkw` per shard, each with its own header, raw blocks at fixed places or
//! LZ4 blocks behind a jump table, in Morton order.

use crate::header::{BlockType, Header, HEADER_SIZE};
use crate::{lz4, morton};
use array::{ArrayInfo, Framing, ShardFormat, ShardLayout, Spans, ZeroChunks};
use storage::{Store, StoredFile};
use voxel::scratch::{with_buffer, COMPRESSED};
use voxel::{Error, ErrorKind, Result};

pub const HEADER_FILE: &str = "header.wkw";

#[derive(Debug, Clone)]
pub struct WkwFormat {
    /// The dataset's header (data offset 0).
    header: Header,
    info: ArrayInfo,
}

impl WkwFormat {
    pub fn new(header: Header) -> Self {
        let header = header.for_dataset();
        WkwFormat { info: header.info(), header }
    }

    pub fn header(&self) -> &Header {
        &self.header
    }
}

impl ShardFormat for WkwFormat {
    type Encoding = BlockType;

    /// Reads the 16 bytes of `header.wkw` that a header has, whatever the length of the file.
    fn open(store: &dyn Store) -> Result<Self> {
        let location = store.location(HEADER_FILE);
        let Some(file) = store.open(HEADER_FILE)? else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("No WKW dataset at \"{}\": \"{HEADER_FILE}\" is missing", store.location("")),
            ));
        };
        let mut bytes = [0u8; HEADER_SIZE];
        let len = (file.len() as usize).min(HEADER_SIZE);
        file.read_at(&mut bytes[..len], 0)?;
        Ok(WkwFormat::new(Header::parse(&bytes[..len], &location)?))
    }

    fn metadata_key(&self) -> &'static str {
        HEADER_FILE
    }

    fn save(&self, store: &dyn Store) -> Result<()> {
        store.put(HEADER_FILE, &self.header.to_bytes())
    }

    fn info(&self) -> &ArrayInfo {
        &self.info
    }

    fn shard_key(&self, [x, y, z]: [u64; 3]) -> String {
        format!("z{z}/y{y}/x{x}.wkw")
    }

    fn list_shards(&self, store: &dyn Store) -> Result<Vec<[u64; 3]>> {
        let mut shards = Vec::new();
        for (z, z_dir) in numbered(store.list("")?, "z", "") {
            for (y, y_dir) in numbered(store.list(&z_dir)?, "y", "") {
                for (x, _) in numbered(store.list(&format!("{z_dir}/{y_dir}"))?, "x", ".wkw") {
                    shards.push([x, y, z]);
                }
            }
        }
        shards.sort_by_key(|&[x, y, z]| (z, y, x));
        Ok(shards)
    }

    fn slot(&self, chunk: [u64; 3]) -> u64 {
        morton::encode(chunk)
    }

    fn chunk_of_slot(&self, slot: u64) -> [u64; 3] {
        morton::decode(slot)
    }

    fn read_layout(&self, file: &dyn StoredFile, location: &str) -> Result<ShardLayout<BlockType>> {
        let mut bytes = [0u8; HEADER_SIZE];
        if file.len() < HEADER_SIZE as u64 {
            return Err(Error::corrupt(location, "Header is truncated"));
        }
        file.read_at(&mut bytes, 0)?;
        let header = Header::parse(&bytes, location)?;
        if !self.header.is_layout_compatible(&header) {
            return Err(Error::corrupt(
                location,
                format!(
                    "Data file header ({} × {} bytes, blocks of {}, files of {} blocks) does not match the dataset ({} × {} bytes, blocks of {}, files of {} blocks)",
                    header.voxel_type.name(),
                    header.voxel_size,
                    header.block_len(),
                    header.file_len(),
                    self.header.voxel_type.name(),
                    self.header.voxel_size,
                    self.header.block_len(),
                    self.header.file_len()
                ),
            ));
        }
        let spans = match header.block_type {
            BlockType::Raw if header.data_offset < HEADER_SIZE as u64 => {
                return Err(Error::corrupt(location, format!("Data offset {} is invalid", header.data_offset)));
            }
            BlockType::Raw => Spans::Fixed { offset: header.data_offset, stride: header.block_bytes() as u64 },
            _ => Spans::Table(read_jump_table(file, &header, location)?),
        };
        Ok(ShardLayout { spans, encoding: header.block_type })
    }

    fn is_unencoded(&self, encoding: BlockType) -> bool {
        encoding == BlockType::Raw
    }

    fn decode(&self, _encoding: BlockType, stored: &[u8], chunk: &mut [u8], location: &str) -> Result<()> {
        lz4::decompress(stored, chunk).map_err(|what| Error::corrupt(location, what))
    }

    fn encoding(&self) -> BlockType {
        self.header.block_type
    }

    fn encode(&self, chunk: &[u8]) -> Result<Vec<u8>> {
        // Into a reused buffer: a fresh one of the compress bound per block was zero-filled first,
        // which cost as much memory traffic as a raw write.
        with_buffer(&COMPRESSED, lz4::compress_bound(chunk.len()), |out| {
            let n = lz4::compress(chunk, self.header.block_type, out).map_err(Error::invalid)?;
            Ok(out[..n].to_vec())
        })
    }

    fn framing(&self) -> Framing {
        let file = self.header.for_data_file();
        match file.block_type {
            BlockType::Raw => Framing::Fixed { header: file.to_bytes().to_vec(), offset: file.data_offset },
            _ => Framing::Appended { reserve: file.data_offset, zero_chunks: ZeroChunks::Stored },
        }
    }

    fn finish(&self, spans: &[Option<(u64, u64)>]) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut head = Vec::with_capacity(HEADER_SIZE + 8 * spans.len());
        head.extend_from_slice(&self.header.for_data_file().to_bytes());
        for span in spans {
            let (_, end) = span.expect("WKW stores every block");
            head.extend_from_slice(&end.to_le_bytes());
        }
        Ok((head, Vec::new()))
    }
}

/// Entries `<prefix><number><suffix>` of a listing, with their numbers.
fn numbered(names: Vec<String>, prefix: &str, suffix: &str) -> Vec<(u64, String)> {
    names
        .into_iter()
        .filter_map(|name| {
            let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let valid = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            Some((digits.parse().ok().filter(|_| valid)?, name))
        })
        .collect()
}

/// Reads and checks the jump table: end offsets must increase, and no span may exceed what LZ4
/// can produce from one block, otherwise decoding would read garbage.
fn read_jump_table(file: &dyn StoredFile, header: &Header, location: &str) -> Result<Vec<Option<(u64, u64)>>> {
    let expected = header.for_data_file().data_offset;
    if header.data_offset != expected {
        return Err(Error::corrupt(
            location,
            format!("Data offset {} is invalid, expected {expected}", header.data_offset),
        ));
    }
    let n = header.blocks_per_file() as usize;
    if file.len() < (HEADER_SIZE + 8 * n) as u64 {
        return Err(Error::corrupt(location, "Jump table is truncated"));
    }
    let mut bytes = vec![0u8; 8 * n];
    file.read_at(&mut bytes, HEADER_SIZE as u64)?;
    let bound = lz4::compress_bound(header.block_bytes()) as u64;
    let mut previous = header.data_offset;
    let mut table = Vec::with_capacity(n);
    for (i, entry) in bytes.chunks_exact(8).enumerate() {
        let end = u64::from_le_bytes(entry.try_into().unwrap());
        if end <= previous || end - previous > bound {
            return Err(Error::corrupt(
                location,
                format!("Corrupt jump table (entry {i} is {end}, previous end {previous})"),
            ));
        }
        table.push(Some((previous, end)));
        previous = end;
    }
    Ok(table)
}
