//! What a format contributes to the engine: names of shard files, where a shard's chunks are
//! and how each is encoded. The engine ([`crate::ShardedArray`]) does the rest, the same way for
//! every format.

use crate::info::ArrayInfo;
use storage::{Store, StoredFile};
use voxel::Result;

/// Where the chunks of one shard file are.
#[derive(Debug, Clone)]
pub enum Spans {
    /// Chunk in slot `i` is at `offset + i * stride`, `stride` bytes long (raw WKW).
    Fixed { offset: u64, stride: u64 },
    /// Byte range `[start, end)` per slot; `None` for a chunk that is not stored (fill value).
    Table(Vec<Option<(u64, u64)>>),
}

/// A shard file's framing, read once when the file is opened.
#[derive(Debug, Clone)]
pub struct ShardLayout<E> {
    pub spans: Spans,
    /// How the chunks of this file are encoded (a WKW file says so in its own header).
    pub encoding: E,
}

impl<E> ShardLayout<E> {
    /// The byte range of the chunk in `slot`, `None` when it is not stored.
    pub fn span(&self, slot: u64) -> Option<(u64, u64)> {
        match &self.spans {
            Spans::Fixed { offset, stride } => Some((offset + slot * stride, offset + (slot + 1) * stride)),
            Spans::Table(table) => table[slot as usize],
        }
    }
}

/// How the file of a new shard is laid out.
pub enum Framing {
    /// A header, then every chunk unencoded at its fixed place; chunks of zeros stay holes.
    /// Files of this framing can be updated in place.
    Fixed { header: Vec<u8>, offset: u64 },
    /// Encoded chunks appended one after the other in slot order after `reserve` bytes, which
    /// the format fills at the end ([`ShardFormat::finish`]).
    Appended { reserve: u64, zero_chunks: ZeroChunks },
    /// The file is the one encoded chunk of the shard; a chunk of zeros has no file.
    Single,
}

/// What becomes of a chunk of zeros in an appended shard.
pub enum ZeroChunks {
    /// It is stored, encoded like any other (WKW needs every block).
    Stored,
    /// It is left out (Zarr's fill value), and a shard of only such chunks has no file.
    Omitted,
}

pub trait ShardFormat: Send + Sync + Sized + Clone + 'static {
    /// How one shard file's chunks are encoded.
    type Encoding: Copy + PartialEq + Send + Sync + std::fmt::Debug;

    /// Reads the array's metadata from `store`.
    fn open(store: &dyn Store) -> Result<Self>;

    /// The key of the metadata file, whose replacement by another writer makes open arrays
    /// read it again.
    fn metadata_key(&self) -> &'static str;

    /// Writes the metadata (creation, and changes such as a new compression or shape).
    fn save(&self, store: &dyn Store) -> Result<()>;

    fn info(&self) -> &ArrayInfo;

    /// The key of the file of shard `shard` (shard coordinates).
    fn shard_key(&self, shard: [u64; 3]) -> String;

    /// The shards whose files exist, sorted by z, then y, then x.
    fn list_shards(&self, store: &dyn Store) -> Result<Vec<[u64; 3]>>;

    /// The slot (position in the shard's index) of the chunk at chunk coordinates `chunk` of its
    /// shard, and back.
    fn slot(&self, chunk: [u64; 3]) -> u64;
    fn chunk_of_slot(&self, slot: u64) -> [u64; 3];

    /// Reads the framing of the shard file `file` (at `location`): every way it can be invalid is
    /// `Corrupt`.
    fn read_layout(&self, file: &dyn StoredFile, location: &str) -> Result<ShardLayout<Self::Encoding>>;

    /// Whether chunks of `encoding` are stored as the voxels themselves, so that reads need no
    /// decoding and files of a fixed framing can be written in place.
    fn is_unencoded(&self, encoding: Self::Encoding) -> bool;

    /// Decodes the stored bytes of one chunk into `chunk` (exactly one chunk of voxels).
    fn decode(&self, encoding: Self::Encoding, stored: &[u8], chunk: &mut [u8], location: &str) -> Result<()>;

    /// The encoding of new chunks.
    fn encoding(&self) -> Self::Encoding;

    /// Encodes one chunk of voxels for a new shard.
    fn encode(&self, chunk: &[u8]) -> Result<Vec<u8>>;

    fn framing(&self) -> Framing;

    /// For an appended framing: the bytes to write at offset 0 (into the reserved space) and
    /// after the last chunk, given each slot's byte range.
    fn finish(&self, spans: &[Option<(u64, u64)>]) -> Result<(Vec<u8>, Vec<u8>)>;

    /// Grows the recorded extent to hold `end` (exclusive corner), for formats that record one;
    /// returns whether the metadata changed.
    fn grow_to(&mut self, _end: [u64; 3]) -> bool {
        false
    }
}
