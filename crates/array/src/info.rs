//! What every array reports, whatever its format.

use voxel::limits::{MAX_CHUNKS_PER_SHARD, MAX_CHUNK_BYTES};
use voxel::{Error, Result, VoxelType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Wkw,
    Zarr3,
    /// Zarr version 2.
    Zarr,
}

impl DataFormat {
    /// The `dataFormat` of the properties.
    pub fn name(self) -> &'static str {
        match self {
            DataFormat::Wkw => "wkw",
            DataFormat::Zarr3 => "zarr3",
            DataFormat::Zarr => "zarr",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [DataFormat::Wkw, DataFormat::Zarr3, DataFormat::Zarr].into_iter().find(|f| f.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Lz4,
    Lz4Hc,
    Zstd,
    Blosc,
    Gzip,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Lz4 => "lz4",
            Compression::Lz4Hc => "lz4hc",
            Compression::Zstd => "zstd",
            Compression::Blosc => "blosc",
            Compression::Gzip => "gzip",
        }
    }
}

/// The layout of an array: voxels of `num_channels` × `voxel_type`, stored in chunks (the unit
/// of compression) grouped into shards (the unit of a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayInfo {
    pub data_format: DataFormat,
    pub voxel_type: VoxelType,
    pub num_channels: usize,
    pub chunk_shape: [u64; 3],
    pub shard_shape: [u64; 3],
    pub compression: Compression,
    /// The extent of the array where its format records one (Zarr), in voxels.
    pub shape: Option<[u64; 3]>,
}

impl ArrayInfo {
    /// Bytes per voxel, all channels together.
    pub fn voxel_size(&self) -> usize {
        self.num_channels * self.voxel_type.size()
    }

    pub fn chunk_voxels(&self) -> u64 {
        self.chunk_shape.iter().product()
    }

    pub fn chunk_bytes(&self) -> usize {
        self.chunk_voxels() as usize * self.voxel_size()
    }

    /// Chunks along each axis of a shard.
    pub fn chunks_per_shard(&self) -> [u64; 3] {
        [0, 1, 2].map(|i| self.shard_shape[i] / self.chunk_shape[i])
    }

    pub fn chunks_in_shard(&self) -> u64 {
        self.chunks_per_shard().iter().product()
    }

    /// Checks the shapes before anything is allocated for them: every format reads them from
    /// files, where they may be anything. `location` names the file in the message.
    pub fn check(&self, location: &str, corrupt: bool) -> Result<()> {
        let fail = |what: String| {
            if corrupt {
                Error::corrupt(location, what)
            } else {
                Error::invalid(format!("{what} (\"{location}\")"))
            }
        };
        if self.num_channels == 0 {
            return Err(fail("An array needs at least one channel".into()));
        }
        for (name, shape) in [("chunk", self.chunk_shape), ("shard", self.shard_shape)] {
            if shape.contains(&0) {
                return Err(fail(format!("The {name} shape {shape:?} has an empty axis")));
            }
        }
        if (0..3).any(|i| !self.shard_shape[i].is_multiple_of(self.chunk_shape[i])) {
            return Err(fail(format!(
                "The shard shape {:?} is not a multiple of the chunk shape {:?}",
                self.shard_shape, self.chunk_shape
            )));
        }
        let bytes = self.chunk_shape.iter().try_fold(self.voxel_size() as u64, |a, &s| a.checked_mul(s));
        if bytes.is_none_or(|b| b > MAX_CHUNK_BYTES) {
            return Err(fail(format!(
                "A chunk of {:?} voxels of {} bytes exceeds {} MiB",
                self.chunk_shape,
                self.voxel_size(),
                MAX_CHUNK_BYTES >> 20
            )));
        }
        let chunks = self.chunks_per_shard().iter().try_fold(1u64, |a, &s| a.checked_mul(s));
        if chunks.is_none_or(|c| c > MAX_CHUNKS_PER_SHARD) {
            return Err(fail(format!(
                "A shard of {:?} chunks exceeds {MAX_CHUNKS_PER_SHARD} chunks",
                self.chunks_per_shard()
            )));
        }
        Ok(())
    }
}
