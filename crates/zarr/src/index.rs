//! The index of a shard (`sharding_indexed`): one (offset, length) pair of little- or big-endian
//! u64 per inner chunk, in C order of the shard's chunk grid, u64::MAX twice for a chunk that is
//! not stored; encoded by the `index_codecs` (`bytes`, then optionally `crc32c`).

use std::borrow::Cow;
use std::sync::Arc;
use voxel::{Error, Result};
use zarrs::array::{BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecOptions};
use zarrs::metadata::v3::MetadataV3;

const EMPTY: u64 = u64::MAX;

pub struct IndexCodec {
    big_endian: bool,
    /// Appends a 4-byte checksum (`crc32c`), the only index codec of a fixed size besides `bytes`.
    checksum: Option<Arc<dyn BytesToBytesCodecTraits>>,
}

impl std::fmt::Debug for IndexCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IndexCodec(big endian {}, checksum {})", self.big_endian, self.checksum.is_some())
    }
}

impl IndexCodec {
    pub fn new(codecs: &[MetadataV3], location: &str) -> Result<Self> {
        let names: Vec<&str> = codecs.iter().map(|c| c.name()).collect();
        let supported = matches!(names.as_slice(), ["bytes"] | ["bytes", "crc32c"]);
        if !supported {
            return Err(Error::invalid(format!(
                "The shard index codecs {names:?} in \"{location}\" are not supported"
            )));
        }
        let big_endian =
            codecs[0].configuration().and_then(|c| c.get("endian")).and_then(|e| e.as_str()) == Some("big");
        let checksum = match codecs.get(1) {
            None => None,
            Some(m) => match Codec::from_metadata(m) {
                Ok(Codec::BytesToBytes(codec)) => Some(codec),
                _ => {
                    return Err(Error::invalid(format!(
                        "The shard index codec crc32c in \"{location}\" is not available"
                    )))
                }
            },
        };
        Ok(IndexCodec { big_endian, checksum })
    }

    /// Bytes of the encoded index of `chunks` chunks.
    pub fn len(&self, chunks: u64) -> u64 {
        16 * chunks + if self.checksum.is_some() { 4 } else { 0 }
    }

    /// Reads an encoded index of `chunks` chunks of a file of `file_len` bytes: each stored chunk's
    /// byte range, which must lie in the file.
    pub fn decode(
        &self,
        encoded: &[u8],
        chunks: u64,
        file_len: u64,
        location: &str,
    ) -> Result<Vec<Option<(u64, u64)>>> {
        let raw: Cow<[u8]> = match &self.checksum {
            None => Cow::Borrowed(encoded),
            Some(codec) => codec
                .decode(Cow::Borrowed(encoded), &BytesRepresentation::FixedSize(16 * chunks), &CodecOptions::default())
                .map_err(|e| Error::corrupt(location, format!("The shard index fails its checksum ({e})")))?,
        };
        if raw.len() as u64 != 16 * chunks {
            return Err(Error::corrupt(
                location,
                format!("The shard index has {} bytes, not {}", raw.len(), 16 * chunks),
            ));
        }
        let word = |b: &[u8]| {
            let bytes: [u8; 8] = b.try_into().unwrap();
            if self.big_endian {
                u64::from_be_bytes(bytes)
            } else {
                u64::from_le_bytes(bytes)
            }
        };
        raw.chunks_exact(16)
            .enumerate()
            .map(|(i, entry)| {
                let (offset, length) = (word(&entry[..8]), word(&entry[8..]));
                if offset == EMPTY && length == EMPTY {
                    return Ok(None);
                }
                match offset.checked_add(length) {
                    Some(end) if end <= file_len => Ok(Some((offset, end))),
                    _ => Err(Error::corrupt(
                        location,
                        format!("Chunk {i} of the shard index lies at {offset} + {length}, beyond the end of the file ({file_len})"),
                    )),
                }
            })
            .collect()
    }

    /// Encodes each chunk's byte range (`None`: not stored).
    pub fn encode(&self, spans: &[Option<(u64, u64)>]) -> Result<Vec<u8>> {
        let mut raw = Vec::with_capacity(16 * spans.len());
        for span in spans {
            let (offset, length) = span.map_or((EMPTY, EMPTY), |(start, end)| (start, end - start));
            for v in [offset, length] {
                raw.extend_from_slice(&if self.big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
            }
        }
        match &self.checksum {
            None => Ok(raw),
            Some(codec) => Ok(codec
                .encode(Cow::Owned(raw), &CodecOptions::default())
                .map_err(|e| Error::invalid(format!("The shard index checksum failed: {e}")))?
                .into_owned()),
        }
    }
}
