//! Zarr as a format of the array engine: a shard is a file holding its chunks behind an index
//! (`sharding_indexed`), or a file holding one chunk (unsharded v3 and v2). The metadata file
//! decides the codecs of every shard, so shards are not self-describing.

use crate::axes::Axes;
use crate::codec::ChunkCodec;
use crate::index::IndexCodec;
use crate::keys::KeyEncoding;
use crate::metadata::{new_v2, new_v3, parse_v2, parse_v3, Parsed};
use array::{ArrayInfo, DataFormat, Framing, ShardFormat, ShardLayout, Spans, ZeroChunks};
use serde_json::Value;
use std::sync::Arc;
use storage::{Store, StoredFile};
use voxel::{Error, ErrorKind, Result};

pub const METADATA_V3: &str = "zarr.json";
pub const METADATA_V2: &str = ".zarray";

#[derive(Debug, Clone)]
struct Sharding {
    index: Arc<IndexCodec>,
    at_start: bool,
}

#[derive(Debug, Clone)]
pub struct ZarrFormat {
    info: ArrayInfo,
    metadata_key: &'static str,
    /// The metadata document as stored: a change (a larger shape) keeps everything else of it.
    document: Arc<Value>,
    axes: Axes,
    keys: KeyEncoding,
    codec: Arc<ChunkCodec>,
    sharding: Option<Sharding>,
}

impl ZarrFormat {
    /// The format of a new array of `info` (format zarr3 or zarr), as the Python library makes it.
    pub fn new(info: &ArrayInfo) -> Result<Self> {
        let (document, key) = match info.data_format {
            DataFormat::Zarr3 => (new_v3(info)?, METADATA_V3),
            DataFormat::Zarr => (new_v2(info)?, METADATA_V2),
            DataFormat::Wkw => return Err(Error::invalid("A WKW array is not a Zarr array")),
        };
        let mut format = Self::from_document(document, key, "a new array")?;
        if let Some(shape) = info.shape {
            format.grow_to(shape);
        }
        Ok(format)
    }

    fn from_document(document: Value, key: &'static str, location: &str) -> Result<Self> {
        let bytes = serde_json::to_vec(&document).expect("JSON values serialize");
        let parsed = if key == METADATA_V3 { parse_v3(&bytes, location)? } else { parse_v2(&bytes, location)? };
        Self::from_parsed(parsed, document, key, location)
    }

    fn from_parsed(parsed: Parsed, document: Value, key: &'static str, location: &str) -> Result<Self> {
        let Parsed {
            data_format,
            axes,
            voxel_type,
            num_channels,
            shape,
            shard_shape,
            chunk_shape,
            keys,
            codecs,
            sharding,
        } = parsed;
        let mut info = ArrayInfo {
            data_format,
            voxel_type,
            num_channels,
            chunk_shape,
            shard_shape,
            compression: array::Compression::None,
            shape: Some(shape),
        };
        info.check(location, true)?;
        let extents = [num_channels, chunk_shape[0] as usize, chunk_shape[1] as usize, chunk_shape[2] as usize];
        let codec = ChunkCodec::new(&codecs, &axes, extents, voxel_type.size(), location)?;
        info.compression = codec.compression();
        let sharding = sharding
            .map(|(index_codecs, at_start)| {
                Ok::<_, Error>(Sharding { index: Arc::new(IndexCodec::new(&index_codecs, location)?), at_start })
            })
            .transpose()?;
        Ok(ZarrFormat {
            info,
            metadata_key: key,
            document: Arc::new(document),
            axes,
            keys,
            codec: Arc::new(codec),
            sharding,
        })
    }

    fn index_len(&self) -> u64 {
        self.sharding.as_ref().map_or(0, |s| s.index.len(self.info.chunks_in_shard()))
    }
}

impl ShardFormat for ZarrFormat {
    type Encoding = ();

    fn open(store: &dyn Store) -> Result<Self> {
        for key in [METADATA_V3, METADATA_V2] {
            if let Some(bytes) = store.get(key)? {
                let location = store.location(key);
                let document: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::corrupt(&location, format!("Not valid JSON ({e})")))?;
                if key == METADATA_V3 && document.get("node_type").and_then(Value::as_str) != Some("array") {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!("\"{location}\" describes a group, not an array"),
                    ));
                }
                return Self::from_document(document, key, &location);
            }
        }
        Err(Error::new(
            ErrorKind::NotFound,
            format!("No Zarr array at \"{}\": no {METADATA_V3} or {METADATA_V2}", store.location("")),
        ))
    }

    fn metadata_key(&self) -> &'static str {
        self.metadata_key
    }

    fn save(&self, store: &dyn Store) -> Result<()> {
        store.put(self.metadata_key, &serde_json::to_vec(&*self.document).expect("JSON values serialize"))
    }

    fn info(&self) -> &ArrayInfo {
        &self.info
    }

    fn shard_key(&self, shard: [u64; 3]) -> String {
        self.keys.key(&self.axes.array_order(0, shard))
    }

    fn list_shards(&self, store: &dyn Store) -> Result<Vec<[u64; 3]>> {
        let mut shards: Vec<[u64; 3]> = self
            .keys
            .list(store, self.axes.ndim())?
            .into_iter()
            .filter(|indices| self.axes.channels(indices) == 0 || !self.axes.dims().contains(&crate::axes::C))
            .map(|indices| self.axes.xyz(&indices))
            .collect();
        shards.sort_by_key(|&[x, y, z]| (z, y, x));
        Ok(shards)
    }

    /// C order of the shard's chunk grid, in the array's order of dimensions.
    fn slot(&self, chunk: [u64; 3]) -> u64 {
        let per = self.info.chunks_per_shard();
        self.axes.dims().iter().filter(|&&d| d != crate::axes::C).fold(0, |slot, &d| slot * per[d - 1] + chunk[d - 1])
    }

    fn chunk_of_slot(&self, slot: u64) -> [u64; 3] {
        let per = self.info.chunks_per_shard();
        let mut chunk = [0u64; 3];
        let mut rest = slot;
        for &d in self.axes.dims().iter().rev().filter(|&&d| d != crate::axes::C) {
            chunk[d - 1] = rest % per[d - 1];
            rest /= per[d - 1];
        }
        chunk
    }

    fn read_layout(&self, file: &dyn StoredFile, location: &str) -> Result<ShardLayout<()>> {
        let Some(sharding) = &self.sharding else {
            return Ok(ShardLayout { spans: Spans::Table(vec![Some((0, file.len()))]), encoding: () });
        };
        let len = self.index_len();
        if file.len() < len {
            return Err(Error::corrupt(
                location,
                format!("The shard of {} bytes is shorter than its index ({len})", file.len()),
            ));
        }
        let mut encoded = vec![0u8; len as usize];
        file.read_at(&mut encoded, if sharding.at_start { 0 } else { file.len() - len })?;
        let spans = sharding.index.decode(&encoded, self.info.chunks_in_shard(), file.len(), location)?;
        Ok(ShardLayout { spans: Spans::Table(spans), encoding: () })
    }

    fn is_unencoded(&self, _encoding: ()) -> bool {
        self.codec.is_identity()
    }

    fn decode(&self, _encoding: (), stored: &[u8], chunk: &mut [u8], location: &str) -> Result<()> {
        self.codec.decode(stored, chunk, location)
    }

    fn encoding(&self) {}

    fn encode(&self, chunk: &[u8]) -> Result<Vec<u8>> {
        self.codec.encode(chunk)
    }

    fn framing(&self) -> Framing {
        match &self.sharding {
            None => Framing::Single,
            Some(sharding) => Framing::Appended {
                reserve: if sharding.at_start { self.index_len() } else { 0 },
                zero_chunks: ZeroChunks::Omitted,
            },
        }
    }

    fn finish(&self, spans: &[Option<(u64, u64)>]) -> Result<(Vec<u8>, Vec<u8>)> {
        let sharding = self.sharding.as_ref().expect("only sharded arrays append chunks");
        let index = sharding.index.encode(spans)?;
        Ok(if sharding.at_start { (index, Vec::new()) } else { (Vec::new(), index) })
    }

    /// Grows the shape to whole shards holding `end`, as the Python library resizes its arrays.
    fn grow_to(&mut self, end: [u64; 3]) -> bool {
        let shape = self.info.shape.unwrap_or([0; 3]);
        let grown =
            [0, 1, 2].map(|i| shape[i].max(end[i].div_ceil(self.info.shard_shape[i]) * self.info.shard_shape[i]));
        if grown == shape {
            return false;
        }
        self.info.shape = Some(grown);
        let array_shape = self.axes.array_order(self.info.num_channels as u64, grown);
        let mut document = (*self.document).clone();
        document["shape"] = serde_json::json!(array_shape);
        self.document = Arc::new(document);
        true
    }
}
