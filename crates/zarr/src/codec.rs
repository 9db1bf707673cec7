//! One chunk's codecs: `transpose` and `bytes` (done here, because they decide where each voxel
//! lands in the engine's voxel order), then the compressors and checksums of `zarrs`.

use crate::axes::{Axes, C, X, Y};
use array::Compression;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;
use voxel::scratch::{with_buffer, COMPRESSED};
use voxel::{Error, Result};
use zarrs::array::{BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecOptions};
use zarrs::metadata::v3::MetadataV3;
use zarrs::plugin::ExtensionName;

/// One bytes-to-bytes codec: zstd ours (see the crate's Cargo.toml), any other from `zarrs`.
enum Compressor {
    Zstd { level: i32, checksum: bool },
    Other(Arc<dyn BytesToBytesCodecTraits>),
}

thread_local! {
    static ZSTD_COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static ZSTD_DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

fn zstd_compress(data: &[u8], level: i32, checksum: bool) -> std::io::Result<Vec<u8>> {
    ZSTD_COMPRESSOR.with_borrow_mut(|slot| {
        let compressor = match slot {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(level)?),
        };
        compressor.set_compression_level(level)?;
        compressor.include_checksum(checksum)?;
        with_buffer(&COMPRESSED, zstd::zstd_safe::compress_bound(data.len()), |out| {
            let n = compressor.compress_to_buffer(data, out)?;
            Ok(out[..n].to_vec())
        })
    })
}

/// Decompresses one zstd frame into `out`, which it must fill exactly.
fn zstd_decompress_into(stored: &[u8], out: &mut [u8]) -> std::result::Result<(), String> {
    ZSTD_DECOMPRESSOR.with_borrow_mut(|slot| {
        let decompressor = match slot {
            Some(d) => d,
            None => slot.insert(zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?),
        };
        let n = decompressor.decompress_to_buffer(stored, out).map_err(|e| e.to_string())?;
        if n == out.len() {
            Ok(())
        } else {
            Err(format!("the frame holds {n} bytes, not {}", out.len()))
        }
    })
}

impl Compressor {
    fn from_metadata(m: &MetadataV3, unsupported: impl Fn(String) -> Error) -> Result<Self> {
        if m.name() == "zstd" {
            let config = m.configuration();
            let level = config.and_then(|c| c.get("level")).and_then(|l| l.as_i64()).unwrap_or(3) as i32;
            let checksum = config.and_then(|c| c.get("checksum")).and_then(|c| c.as_bool()).unwrap_or(false);
            return Ok(Compressor::Zstd { level, checksum });
        }
        match Codec::from_metadata(m) {
            Ok(Codec::BytesToBytes(codec)) => Ok(Compressor::Other(codec)),
            _ => Err(unsupported(format!("The codec \"{}\"", m.name()))),
        }
    }

    fn name(&self) -> String {
        match self {
            Compressor::Zstd { .. } => "zstd".into(),
            Compressor::Other(codec) => codec.name_v3().map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
        }
    }

    fn encode<'a>(&self, bytes: Cow<'a, [u8]>) -> std::result::Result<Cow<'a, [u8]>, String> {
        match self {
            Compressor::Zstd { level, checksum } => {
                zstd_compress(&bytes, *level, *checksum).map(Cow::Owned).map_err(|e| e.to_string())
            }
            Compressor::Other(codec) => codec.encode(bytes, &options()).map_err(|e| e.to_string()),
        }
    }

    /// Decodes `bytes`, whose decoded length is `len` when known.
    fn decode<'a>(&self, bytes: Cow<'a, [u8]>, len: Option<usize>) -> std::result::Result<Cow<'a, [u8]>, String> {
        match (self, len) {
            (Compressor::Zstd { .. }, Some(len)) => {
                let mut out = vec![0u8; len];
                zstd_decompress_into(&bytes, &mut out)?;
                Ok(Cow::Owned(out))
            }
            (Compressor::Zstd { .. }, None) => {
                zstd::stream::decode_all(&*bytes).map(Cow::Owned).map_err(|e| e.to_string())
            }
            (Compressor::Other(codec), _) => {
                let representation =
                    len.map_or(BytesRepresentation::UnboundedSize, |n| BytesRepresentation::FixedSize(n as u64));
                codec.decode(bytes, &representation, &options()).map_err(|e| e.to_string())
            }
        }
    }
}

pub struct ChunkCodec {
    /// Extents of a chunk along the engine's axes (c, x, y, z).
    extents: [usize; 4],
    element: usize,
    /// Where each engine axis steps in the stored bytes, in elements.
    strides: [usize; 4],
    /// Whether the stored bytes are the engine's order (c fastest, then x, y, z).
    natural: bool,
    big_endian: bool,
    compressors: Vec<Compressor>,
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
        let compressors =
            compressors.iter().map(|m| Compressor::from_metadata(m, unsupported)).collect::<Result<Vec<_>>>()?;
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
        let failed = |codec: &Compressor, e: String| {
            Error::corrupt(location, format!("Chunk fails its codec {}: {e}", codec.name()))
        };
        // The common case (one zstd frame of the voxels in the engine's order) decodes in place.
        if let ([codec @ Compressor::Zstd { .. }], true, false) =
            (self.compressors.as_slice(), self.natural, self.big_endian)
        {
            return zstd_decompress_into(stored, out).map_err(|e| failed(codec, e));
        }
        let mut bytes = Cow::Borrowed(stored);
        for (i, codec) in self.compressors.iter().enumerate().rev() {
            bytes = codec.decode(bytes, (i == 0).then(|| self.chunk_bytes())).map_err(|e| failed(codec, e))?;
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
            bytes = codec.encode(bytes).map_err(|e| Error::invalid(format!("Codec {} failed: {e}", codec.name())))?;
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
