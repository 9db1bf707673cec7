//! Arrays of any format (one mag each), opened once and kept: their metadata, open shard files
//! and shard indexes stay cached while JavaScript holds the handle.

use crate::control::{AbortFlag, JobControl, ProgressCallback};
use crate::formats;
use crate::lock::HeldLock;
use crate::store::{remote_options, StorageOptions};
use crate::task::{spawn, Work};
use array::{ArrayInfo as CoreInfo, ChunkedArray, Compression, DataFormat};
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;
use std::sync::Arc;
use voxel::{BoundingBox, Error, Result, VoxelType, MAX_COORDINATE};

#[napi(object)]
pub struct ArrayInfo {
    /// "wkw", "zarr3" or "zarr".
    pub data_format: String,
    pub voxel_type: String,
    pub num_channels: u32,
    pub chunk_shape: Vec<f64>,
    pub shard_shape: Vec<f64>,
    /// "none", "lz4", "lz4hc", "zstd", "blosc" or "gzip".
    pub compression: String,
    /// The extent the metadata records (Zarr), in voxels.
    pub shape: Option<Vec<f64>>,
}

impl From<CoreInfo> for ArrayInfo {
    fn from(info: CoreInfo) -> Self {
        let numbers = |v: [u64; 3]| v.iter().map(|&c| c as f64).collect();
        ArrayInfo {
            data_format: info.data_format.name().into(),
            voxel_type: info.voxel_type.name().into(),
            num_channels: info.num_channels as u32,
            chunk_shape: numbers(info.chunk_shape),
            shard_shape: numbers(info.shard_shape),
            compression: info.compression.name().into(),
            shape: info.shape.map(numbers),
        }
    }
}

/// The layout of a new array.
#[napi(object)]
pub struct ArraySpec {
    pub data_format: String,
    pub voxel_type: String,
    pub num_channels: u32,
    pub chunk_shape: Vec<f64>,
    pub shard_shape: Vec<f64>,
    pub compression: String,
}

fn to_core_info(spec: &ArraySpec) -> Result<CoreInfo> {
    let data_format = DataFormat::from_name(&spec.data_format).ok_or_else(|| {
        Error::invalid(format!("dataFormat must be wkw, zarr3 or zarr, but is \"{}\"", spec.data_format))
    })?;
    let voxel_type = VoxelType::from_name(&spec.voxel_type)
        .ok_or_else(|| Error::invalid(format!("\"{}\" is not a voxel type", spec.voxel_type)))?;
    let compression = [
        Compression::None,
        Compression::Lz4,
        Compression::Lz4Hc,
        Compression::Zstd,
        Compression::Blosc,
        Compression::Gzip,
    ]
    .into_iter()
    .find(|c| c.name() == spec.compression)
    .ok_or_else(|| Error::invalid(format!("\"{}\" is not a compression", spec.compression)))?;
    Ok(CoreInfo {
        data_format,
        voxel_type,
        num_channels: spec.num_channels as usize,
        chunk_shape: to_vec3("chunkShape", &spec.chunk_shape)?,
        shard_shape: to_vec3("shardShape", &spec.shard_shape)?,
        compression,
        shape: None,
    })
}

/// Three non-negative integers from JavaScript numbers.
pub fn to_vec3(name: &str, v: &[f64]) -> Result<[u64; 3]> {
    if v.len() != 3 || v.iter().any(|c| !(c.fract() == 0.0 && *c >= 0.0 && *c <= MAX_COORDINATE as f64)) {
        return Err(Error::invalid(format!("{name} must be three integers from 0 to 2^52, but is {v:?}")));
    }
    Ok([v[0] as u64, v[1] as u64, v[2] as u64])
}

/// Shard coordinates from JavaScript numbers.
pub fn to_shards(shards: &[Vec<f64>]) -> Result<Vec<[u64; 3]>> {
    shards.iter().map(|s| to_vec3("shard", s)).collect()
}

/// A box from JavaScript numbers; it must end within the coordinate limit.
pub fn to_box(offset: &[f64], shape: &[f64]) -> Result<BoundingBox> {
    BoundingBox::checked(to_vec3("offset", offset)?, to_vec3("shape", shape)?)
}

/// One array (a mag directory) of any format.
#[napi]
pub struct NativeArray {
    array: Arc<dyn ChunkedArray>,
}

impl NativeArray {
    pub fn inner(&self) -> Arc<dyn ChunkedArray> {
        self.array.clone()
    }
}

/// Opens the array at `path` (a directory or a URL), whatever its format.
#[napi(ts_return_type = "Promise<NativeArray>")]
pub fn open_array(path: String, storage: Option<StorageOptions>) -> AsyncTask<Work<NativeArray>> {
    let options = remote_options(storage);
    spawn(move || Ok(NativeArray { array: formats::open(&path, &options)? }))
}

/// Creates an array at `path` (a directory or a URL): `ERR_WK_ALREADY_EXISTS` if it holds one.
#[napi(ts_return_type = "Promise<NativeArray>")]
pub fn create_array(path: String, spec: ArraySpec, storage: Option<StorageOptions>) -> AsyncTask<Work<NativeArray>> {
    let options = remote_options(storage);
    spawn(move || Ok(NativeArray { array: formats::create(&path, &to_core_info(&spec)?, &options)? }))
}

#[napi]
impl NativeArray {
    #[napi(ts_return_type = "Promise<ArrayInfo>")]
    pub fn info(&self) -> AsyncTask<Work<ArrayInfo>> {
        let array = self.inner();
        spawn(move || Ok(array.info()?.into()))
    }

    /// Reads the box into `out`, a byte view of the caller's typed array (no copy).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn read(&self, offset: Vec<f64>, shape: Vec<f64>, mut out: Uint8Array) -> AsyncTask<Work<()>> {
        let array = self.inner();
        spawn(move || {
            // SAFETY: the TypeScript layer allocated `out` for this read and does not touch it
            // until the Promise settles.
            let out = unsafe { out.as_mut() };
            array.read(&to_box(&offset, &shape)?, out)
        })
    }

    /// Writes `data`, a byte view of the caller's typed array, under the locks of its shards.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write(&self, offset: Vec<f64>, shape: Vec<f64>, data: Uint8Array) -> AsyncTask<Work<()>> {
        let array = self.inner();
        spawn(move || array.write(&to_box(&offset, &shape)?, &data))
    }

    /// Shard coordinates `[x, y, z]` of the shard files that exist.
    #[napi(ts_return_type = "Promise<Array<[number, number, number]>>")]
    pub fn shards(&self) -> AsyncTask<Work<Vec<Vec<f64>>>> {
        let array = self.inner();
        spawn(move || Ok(array.shards()?.into_iter().map(|c| c.iter().map(|&v| v as f64).collect()).collect()))
    }

    /// Locks the whole array against every other writer until the lock is released.
    #[napi(ts_return_type = "Promise<HeldLock>")]
    pub fn lock_all(&self) -> AsyncTask<Work<HeldLock>> {
        let array = self.inner();
        spawn(move || Ok(HeldLock::new(array.lock_all()?)))
    }
}

/// Puts the files of `replacement`, an array beside `target`, in place of `target`'s in one step,
/// and deletes the old ones. `target` reads the new files from then on.
#[napi(ts_return_type = "Promise<void>")]
pub fn replace_array(target: &NativeArray, replacement: &NativeArray) -> AsyncTask<Work<()>> {
    let (target, replacement) = (target.inner(), replacement.inner());
    spawn(move || target.store().replace_with(&**replacement.store()))
}

/// Copies the box `offset`/`shape` of `source` into `shards` of `target`, each written whole
/// (zeros outside the box) under its lock.
#[napi(ts_return_type = "Promise<void>")]
#[allow(clippy::too_many_arguments)]
pub fn copy_array(
    source: &NativeArray,
    target: &NativeArray,
    offset: Vec<f64>,
    shape: Vec<f64>,
    #[napi(ts_arg_type = "Array<[number, number, number]>")] shards: Vec<Vec<f64>>,
    jobs: Option<u32>,
    #[napi(ts_arg_type = "((done: number, total: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
    abort: Option<&AbortFlag>,
) -> AsyncTask<Work<()>> {
    let (source, target) = (source.inner(), target.inner());
    let control = JobControl::new(abort, on_progress, jobs);
    spawn(move || {
        let region = to_box(&offset, &shape)?;
        let shards = to_shards(&shards)?;
        let _lock = target.lock_shards(&shards)?;
        control.run(|c| array::copy(&*source, &*target, &region, &shards, c))
    })
}
