//! `zarr.json` (v3) and `.zarray` (v2): parsed with the `zarrs` metadata types into what the
//! format needs, and written for new arrays exactly as tensorstore writes them for the Python
//! library (keys sorted, compact).

use crate::axes::Axes;
use crate::keys::KeyEncoding;
use array::{ArrayInfo, Compression, DataFormat};
use serde_json::{json, Value};
use voxel::{Error, Result, VoxelType};
use zarrs::array::codec::{ShardingCodecConfiguration, ShardingIndexLocation};
use zarrs::array::{ArrayMetadataV2, ArrayMetadataV3};
use zarrs::convert::array_metadata_v2_to_v3;
use zarrs::metadata::v3::MetadataV3;

/// What the format needs of an array's metadata.
pub struct Parsed {
    pub data_format: DataFormat,
    pub axes: Axes,
    pub voxel_type: VoxelType,
    pub num_channels: usize,
    /// Extent (x, y, z) in voxels.
    pub shape: [u64; 3],
    /// Voxels (x, y, z) of one file: the outer chunk of the chunk grid.
    pub shard_shape: [u64; 3],
    /// Voxels (x, y, z) of one encoded chunk: the inner chunk of a shard, or the shard itself.
    pub chunk_shape: [u64; 3],
    pub keys: KeyEncoding,
    /// The codecs of one chunk.
    pub codecs: Vec<MetadataV3>,
    /// For sharded arrays: the index codecs and whether the index is at the start of the file.
    pub sharding: Option<(Vec<MetadataV3>, bool)>,
}

fn corrupt(location: &str, what: impl std::fmt::Display) -> Error {
    Error::corrupt(location, what)
}

/// Parses a `zarr.json`.
pub fn parse_v3(bytes: &[u8], location: &str) -> Result<Parsed> {
    let meta: ArrayMetadataV3 = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(location, format!("Invalid Zarr v3 array metadata ({e})")))?;
    from_v3(&meta, DataFormat::Zarr3, location)
}

/// Parses a `.zarray`, whose codecs `zarrs` turns into their v3 equivalents.
pub fn parse_v2(bytes: &[u8], location: &str) -> Result<Parsed> {
    let meta: ArrayMetadataV2 = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(location, format!("Invalid Zarr v2 array metadata ({e})")))?;
    if meta.filters.as_ref().is_some_and(|f| !f.is_empty()) {
        return Err(Error::invalid(format!("The filters of \"{location}\" are not supported")));
    }
    let v3 = array_metadata_v2_to_v3(&meta).map_err(|e| Error::invalid(format!("\"{location}\": {e}")))?;
    from_v3(&v3, DataFormat::Zarr, location)
}

fn from_v3(meta: &ArrayMetadataV3, data_format: DataFormat, location: &str) -> Result<Parsed> {
    let voxel_type = VoxelType::from_name(meta.data_type.name()).ok_or_else(|| {
        Error::invalid(format!("The data type \"{}\" of \"{location}\" is not supported", meta.data_type.name()))
    })?;
    let fill = serde_json::to_value(&meta.fill_value).unwrap_or(Value::Null);
    if fill.as_f64() != Some(0.0) {
        return Err(Error::invalid(format!("The fill value {fill} of \"{location}\" is not supported (only 0)")));
    }
    let ndim = meta.shape.len();
    let axes = Axes::new(meta.dimension_names.as_deref(), ndim, location)?;
    let grid: Vec<u64> = match meta.chunk_grid.name() {
        "regular" => meta
            .chunk_grid
            .configuration()
            .and_then(|c| c.get("chunk_shape"))
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .ok_or_else(|| corrupt(location, "The regular chunk grid has no chunk_shape"))?,
        other => return Err(Error::invalid(format!("The chunk grid \"{other}\" of \"{location}\" is not supported"))),
    };
    if grid.len() != ndim || grid.contains(&0) {
        return Err(corrupt(location, format!("The chunk shape {grid:?} does not fit the shape {:?}", meta.shape)));
    }
    let separator = meta.chunk_key_encoding.configuration().and_then(|c| c.get("separator")).and_then(|s| s.as_str());
    let keys = KeyEncoding::parse(meta.chunk_key_encoding.name(), separator, location)?;
    let num_channels = axes.channels(&meta.shape) as usize;
    let whole_channels = |shape: &[u64], what: &str| {
        if axes.channels(shape) as usize == num_channels {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "{what} of \"{location}\" splits the channels: only chunks of all channels are supported"
            )))
        }
    };
    whole_channels(&grid, "The chunk grid")?;
    let (codecs, chunk, sharding) = match meta.codecs.as_slice() {
        [only] if only.name() == "sharding_indexed" => {
            let ShardingCodecConfiguration::V1(config) = only
                .to_typed_configuration::<ShardingCodecConfiguration>()
                .map_err(|e| corrupt(location, format!("Invalid sharding_indexed configuration ({e})")))?
            else {
                return Err(Error::invalid(format!("The sharding configuration of \"{location}\" is not supported")));
            };
            let inner: Vec<u64> = config.chunk_shape.iter().map(|v| v.get()).collect();
            if inner.len() != ndim || (0..ndim).any(|i| !grid[i].is_multiple_of(inner[i])) {
                return Err(corrupt(
                    location,
                    format!("The inner chunk shape {inner:?} does not divide the shard shape {grid:?}"),
                ));
            }
            whole_channels(&inner, "The inner chunk shape")?;
            let at_start = config.index_location == ShardingIndexLocation::Start;
            (config.codecs, axes.xyz(&inner), Some((config.index_codecs, at_start)))
        }
        codecs => (codecs.to_vec(), axes.xyz(&grid), None),
    };
    Ok(Parsed {
        data_format,
        voxel_type,
        num_channels,
        shape: axes.xyz(&meta.shape),
        shard_shape: axes.xyz(&grid),
        chunk_shape: chunk,
        keys,
        codecs,
        sharding,
        axes,
    })
}

/// The codecs of one chunk of a new array: transposed to (z, y, x, c), which is the engine's
/// voxel order, then bytes, then the compressor.
fn chunk_codecs(info: &ArrayInfo) -> Result<Vec<Value>> {
    let mut codecs = vec![json!({"configuration": {"order": [3, 2, 1, 0]}, "name": "transpose"})];
    codecs.push(if info.voxel_type.size() == 1 {
        json!({"name": "bytes"})
    } else {
        json!({"configuration": {"endian": "little"}, "name": "bytes"})
    });
    match info.compression {
        Compression::None => {}
        Compression::Zstd => codecs.push(json!({"configuration": {"checksum": true, "level": 5}, "name": "zstd"})),
        other => return Err(Error::invalid(format!("New Zarr arrays are compressed with zstd, not {}", other.name()))),
    }
    Ok(codecs)
}

fn fill_value(voxel_type: VoxelType) -> Value {
    match voxel_type {
        VoxelType::F32 | VoxelType::F64 => json!(0.0),
        _ => json!(0),
    }
}

/// The `zarr.json` of a new array of `info`, of extent 0: it grows with the writes, in whole shards.
pub fn new_v3(info: &ArrayInfo) -> Result<Value> {
    let c = info.num_channels as u64;
    let [sx, sy, sz] = info.shard_shape;
    let [cx, cy, cz] = info.chunk_shape;
    let codecs = if info.chunk_shape == info.shard_shape {
        chunk_codecs(info)?
    } else {
        vec![json!({
            "configuration": {
                "chunk_shape": [c, cx, cy, cz],
                "codecs": chunk_codecs(info)?,
                "index_codecs": [{"configuration": {"endian": "little"}, "name": "bytes"}, {"name": "crc32c"}],
            },
            "name": "sharding_indexed",
        })]
    };
    Ok(json!({
        "chunk_grid": {"configuration": {"chunk_shape": [c, sx, sy, sz]}, "name": "regular"},
        "chunk_key_encoding": {"name": "default"},
        "codecs": codecs,
        "data_type": info.voxel_type.name(),
        "dimension_names": ["c", "x", "y", "z"],
        "fill_value": fill_value(info.voxel_type),
        "node_type": "array",
        "shape": [c, 0, 0, 0],
        "zarr_format": 3,
    }))
}

/// The numpy type string of a voxel type, as `.zarray` stores it.
fn numpy_type(voxel_type: VoxelType) -> &'static str {
    match voxel_type {
        VoxelType::U8 => "|u1",
        VoxelType::I8 => "|i1",
        VoxelType::U16 => "<u2",
        VoxelType::I16 => "<i2",
        VoxelType::U32 => "<u4",
        VoxelType::I32 => "<i4",
        VoxelType::U64 => "<u8",
        VoxelType::I64 => "<i8",
        VoxelType::F32 => "<f4",
        VoxelType::F64 => "<f8",
    }
}

/// The `.zarray` of a new Zarr v2 array of `info`: Fortran order (the engine's), zstd level 5.
pub fn new_v2(info: &ArrayInfo) -> Result<Value> {
    if info.chunk_shape != info.shard_shape {
        return Err(Error::invalid("Zarr v2 has no shards: the shard shape must be the chunk shape"));
    }
    let c = info.num_channels as u64;
    let [cx, cy, cz] = info.chunk_shape;
    let compressor = match info.compression {
        Compression::None => Value::Null,
        Compression::Zstd => json!({"id": "zstd", "level": 5}),
        other => return Err(Error::invalid(format!("New Zarr arrays are compressed with zstd, not {}", other.name()))),
    };
    Ok(json!({
        "chunks": [c, cx, cy, cz],
        "compressor": compressor,
        "dimension_separator": "/",
        "dtype": numpy_type(info.voxel_type),
        "fill_value": fill_value(info.voxel_type),
        "filters": null,
        "order": "F",
        "shape": [c, 0, 0, 0],
        "zarr_format": 2,
    }))
}
