//! One chunk's codecs: `transpose` and `bytes` (done here, because they decide where each voxel
//! lands in the engine's voxel order), then the compressors and checksums of `zarrs`.

use crate::axes::{Axes, C, X, Y};
use array::Compression;
use std::borrow::Cow;
use std::sync::Arc;
use voxel::{Error, Result};
use zarrs::array::{BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecOptions};
use zarrs::metadata::v3::MetadataV3;

pub struct ChunkCodec {
    /// Extents of a chunk along the engine's axes (c, x, y, z).
    extents: [usize; 4],
    element: usize,
    /// Where each engine axis steps in the stored bytes, in elements.
    strides: [usize; 4],
    /// Whether the stored bytes are the engine's order (c fastest, then x, y, z).
    natural: bool,
    big_endian: bool,
    compressors: Vec<Arc<dyn BytesToBytesCodecTraits>>,
    compression: Compression,
}

impl std::fmt::Debug for ChunkCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChunkCodec({:?}, natural {}, {} compressors)", self.extents, self.natural, self.compressors.len())
    }
}

fn options() -> CodecOptions {
    CodecOptions::default()
}

impl ChunkCodec {
    /// The codecs `codecs` (array order `axes`) of chunks of `extents` (c, x, y, z) voxels of
    /// `element`-byte elements.
    pub fn new(
        codecs: &[MetadataV3],
        axes: &Axes,
        extents: [usize; 4],
        element: usize,
        location: &str,
    ) -> Result<Self> {
        let unsupported = |what: String| Error::invalid(format!("{what} in \"{location}\" is not supported"));
        // The order of the stored dimensions, slowest first, as engine axes.
        let mut order: Vec<usize> = axes.dims().to_vec();
        let mut rest = codecs;
        while let Some((first, tail)) = rest.split_first() {
            if first.name() != "transpose" {
                break;
            }
            let permutation: Vec<usize> = first
                .configuration()
                .and_then(|c| c.get("order"))
                .and_then(|o| serde_json::from_value(o.clone()).ok())
                .ok_or_else(|| unsupported("A transpose codec without an order".into()))?;
            let mut sorted = permutation.clone();
            sorted.sort_unstable();
            if sorted != (0..order.len()).collect::<Vec<_>>() {
                return Err(unsupported(format!("The transpose order {permutation:?}")));
            }
            order = permutation.iter().map(|&i| order[i]).collect();
            rest = tail;
        }
        let Some((bytes, compressors)) = rest.split_first().filter(|(b, _)| b.name() == "bytes") else {
            return Err(unsupported(format!(
                "The codecs {:?} (expected transpose, then bytes)",
                codecs.iter().map(|c| c.name()).collect::<Vec<_>>()
            )));
        };
        let endian = bytes.configuration().and_then(|c| c.get("endian")).and_then(|e| e.as_str());
        let big_endian = endian == Some("big") && element > 1;
        let compressors = compressors
            .iter()
            .map(|m| match Codec::from_metadata(m) {
                Ok(Codec::BytesToBytes(codec)) => Ok(codec),
                _ => Err(unsupported(format!("The codec \"{}\"", m.name()))),
            })
            .collect::<Result<Vec<_>>>()?;
        let compression = compressors_compression(codecs);
        let mut strides = [0usize; 4];
        let mut step = 1;
        for &axis in order.iter().rev() {
            strides[axis] = step;
            step *= extents[axis];
        }
        if !order.contains(&C) {
            // One channel: its stride never multiplies anything but 0.
            strides[C] = 1;
        }
        let natural = strides == [1, extents[C], extents[C] * extents[X], extents[C] * extents[X] * extents[Y]];
        Ok(ChunkCodec { extents, element, strides, natural, big_endian, compressors, compression })
    }

    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Whether stored chunks are the voxels themselves, in the engine's order.
    pub fn is_identity(&self) -> bool {
        self.natural && !self.big_endian && self.compressors.is_empty()
    }

    fn chunk_bytes(&self) -> usize {
        self.extents.iter().product::<usize>() * self.element
    }

    /// Decodes one stored chunk into `out` (a chunk in the engine's voxel order).
    pub fn decode(&self, stored: &[u8], out: &mut [u8], location: &str) -> Result<()> {
        let mut bytes = Cow::Borrowed(stored);
        for (i, codec) in self.compressors.iter().enumerate().rev() {
            let representation = if i == 0 {
                BytesRepresentation::FixedSize(self.chunk_bytes() as u64)
            } else {
                BytesRepresentation::UnboundedSize
            };
            bytes = Cow::Owned(
                codec
                    .decode(bytes, &representation, &options())
                    .map_err(|e| {
                        Error::corrupt(location, format!("Chunk fails its codec {}: {e}", codec_name(&**codec)))
                    })?
                    .into_owned(),
            );
        }
        if bytes.len() != out.len() {
            return Err(Error::corrupt(
                location,
                format!("A chunk decodes to {} bytes, not {}", bytes.len(), out.len()),
            ));
        }
        if self.natural {
            out.copy_from_slice(&bytes);
        } else {
            self.permute(&bytes, out, true);
        }
        if self.big_endian {
            swap_bytes(out, self.element);
        }
        Ok(())
    }

    /// Encodes one chunk given in the engine's voxel order.
    pub fn encode(&self, chunk: &[u8]) -> Result<Vec<u8>> {
        let mut bytes: Cow<[u8]> = Cow::Borrowed(chunk);
        if !self.natural || self.big_endian {
            let mut stored = vec![0u8; chunk.len()];
            if self.natural {
                stored.copy_from_slice(chunk);
            } else {
                self.permute(chunk, &mut stored, false);
            }
            if self.big_endian {
                swap_bytes(&mut stored, self.element);
            }
            bytes = Cow::Owned(stored);
        }
        for codec in &self.compressors {
            bytes = Cow::Owned(
                codec
                    .encode(bytes, &options())
                    .map_err(|e| Error::invalid(format!("Codec {} failed: {e}", codec_name(&**codec))))?
                    .into_owned(),
            );
        }
        Ok(bytes.into_owned())
    }

    /// Copies between the stored order and the engine's: `from_stored` reads `src` in the stored
    /// order into `dst` in the engine's, otherwise the other way.
    fn permute(&self, src: &[u8], dst: &mut [u8], from_stored: bool) {
        let [ec, ex, ey, ez] = self.extents;
        let [sc, sx, sy, sz] = self.strides;
        let e = self.element;
        let mut natural = 0;
        for z in 0..ez {
            for y in 0..ey {
                for x in 0..ex {
                    let base = z * sz + y * sy + x * sx;
                    for c in 0..ec {
                        let stored = (base + c * sc) * e;
                        let (from, to) = if from_stored { (stored, natural) } else { (natural, stored) };
                        dst[to..to + e].copy_from_slice(&src[from..from + e]);
                        natural += e;
                    }
                }
            }
        }
        debug_assert_eq!(natural, ez * ey * ex * ec * e);
    }
}

fn swap_bytes(bytes: &mut [u8], element: usize) {
    for value in bytes.chunks_exact_mut(element) {
        value.reverse();
    }
}

fn codec_name(codec: &dyn BytesToBytesCodecTraits) -> String {
    codec.name_v3().map(|n| n.to_string()).unwrap_or_else(|| "?".into())
}

/// The compression a list of codecs stands for: its first compressor.
fn compressors_compression(codecs: &[MetadataV3]) -> Compression {
    codecs
        .iter()
        .find_map(|c| match c.name() {
            "zstd" => Some(Compression::Zstd),
            "blosc" => Some(Compression::Blosc),
            "gzip" => Some(Compression::Gzip),
            _ => None,
        })
        .unwrap_or(Compression::None)
}
