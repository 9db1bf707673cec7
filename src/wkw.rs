//! Low-level WKW datasets (the `wkw` export): one directory with `header.wkw` and data files.

use crate::control::{AbortFlag, JobControl, ProgressCallback};
use crate::task::{spawn, Work};
use ::wkw::{BlockType, BoundingBox, Dataset, Error, Header, Result, VoxelType};
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;
use std::path::PathBuf;

#[napi(object)]
pub struct WkwHeader {
    pub version: u32,
    pub block_len: u32,
    pub file_len: u32,
    /// "raw", "lz4" or "lz4hc".
    pub block_type: String,
    pub voxel_type: String,
    pub num_channels: u32,
}

impl From<&Header> for WkwHeader {
    fn from(h: &Header) -> Self {
        WkwHeader {
            version: 1,
            block_len: h.block_len(),
            file_len: h.file_len(),
            block_type: h.block_type.name().into(),
            voxel_type: h.voxel_type.name().into(),
            num_channels: h.num_channels() as u32,
        }
    }
}

fn to_header(h: &WkwHeader) -> Result<Header> {
    if h.version != 1 {
        return Err(Error::invalid(format!("WKW version must be 1, but is {}", h.version)));
    }
    let block_type = BlockType::from_name(&h.block_type)
        .ok_or_else(|| Error::invalid(format!("blockType must be raw, lz4 or lz4hc, but is \"{}\"", h.block_type)))?;
    let voxel_type = VoxelType::from_name(&h.voxel_type)
        .ok_or_else(|| Error::invalid(format!("voxelType \"{}\" is not a WKW voxel type", h.voxel_type)))?;
    Header::new(voxel_type, h.num_channels, h.block_len, h.file_len, block_type)
}

/// Three non-negative integers from JavaScript numbers.
pub fn to_vec3(name: &str, v: &[f64]) -> Result<[u64; 3]> {
    if v.len() != 3 || v.iter().any(|c| !(c.fract() == 0.0 && *c >= 0.0 && *c < 2f64.powi(53))) {
        return Err(Error::invalid(format!("{name} must be three non-negative integers, but is {v:?}")));
    }
    Ok([v[0] as u64, v[1] as u64, v[2] as u64])
}

/// A box from JavaScript numbers.
pub fn to_box(offset: &[f64], shape: &[f64]) -> Result<BoundingBox> {
    Ok(BoundingBox::new(to_vec3("offset", offset)?, to_vec3("shape", shape)?))
}

#[napi(ts_return_type = "Promise<WkwHeader>")]
pub fn wkw_create(root: String, header: WkwHeader) -> AsyncTask<Work<WkwHeader>> {
    spawn(move || {
        let dataset = Dataset::create(&PathBuf::from(root), to_header(&header)?)?;
        Ok(dataset.header().into())
    })
}

#[napi(ts_return_type = "Promise<WkwHeader>")]
pub fn wkw_open(root: String) -> AsyncTask<Work<WkwHeader>> {
    spawn(move || Ok(Dataset::open(&PathBuf::from(root))?.header().into()))
}

/// Reads the box into `out`, a byte view of the caller's typed array (no copy).
#[napi(ts_return_type = "Promise<void>")]
pub fn wkw_read(root: String, offset: Vec<f64>, shape: Vec<f64>, mut out: Uint8Array) -> AsyncTask<Work<()>> {
    spawn(move || {
        // SAFETY: the TypeScript layer allocated `out` for this read and does not touch it until
        // the Promise settles.
        let out = unsafe { out.as_mut() };
        Dataset::open(&PathBuf::from(root))?.read(&to_box(&offset, &shape)?, out)
    })
}

/// Writes `data`, a byte view of the caller's typed array. With `padCompressed`, unaligned writes
/// to compressed files keep the rest of each file instead of failing.
#[napi(ts_return_type = "Promise<void>")]
pub fn wkw_write(
    root: String,
    offset: Vec<f64>,
    shape: Vec<f64>,
    data: Uint8Array,
    pad_compressed: bool,
) -> AsyncTask<Work<()>> {
    spawn(move || Dataset::open(&PathBuf::from(root))?.write(&to_box(&offset, &shape)?, &data, pad_compressed))
}

/// Compresses every data file with LZ4HC into `target` (in place when it is `root`).
#[napi(ts_return_type = "Promise<WkwHeader>")]
pub fn wkw_compress(
    root: String,
    target: String,
    jobs: Option<u32>,
    #[napi(ts_arg_type = "((done: number, total: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
    abort: Option<&AbortFlag>,
) -> AsyncTask<Work<WkwHeader>> {
    let control = JobControl::new(abort, on_progress, jobs);
    spawn(move || {
        let source = Dataset::open(&PathBuf::from(root))?;
        let compressed = control.run(|c| source.compress(&PathBuf::from(target), c))?;
        Ok(compressed.header().into())
    })
}

/// Cube indices `[x, y, z]` of the data files that exist.
#[napi(ts_return_type = "Promise<Array<[number, number, number]>>")]
pub fn wkw_list_files(root: String) -> AsyncTask<Work<Vec<Vec<f64>>>> {
    spawn(move || {
        let cubes = Dataset::open(&PathBuf::from(root))?.cube_files()?;
        Ok(cubes.into_iter().map(|c| c.iter().map(|&v| v as f64).collect()).collect())
    })
}

/// Copies the box `offset`/`shape` of the dataset at `source` into the one at `target`; every
/// touched target file is written whole (zeros outside the box).
#[napi(ts_return_type = "Promise<void>")]
pub fn wkw_copy(
    source: String,
    target: String,
    offset: Vec<f64>,
    shape: Vec<f64>,
    jobs: Option<u32>,
    #[napi(ts_arg_type = "((done: number, total: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
    abort: Option<&AbortFlag>,
) -> AsyncTask<Work<()>> {
    let control = JobControl::new(abort, on_progress, jobs);
    spawn(move || {
        let region = to_box(&offset, &shape)?;
        let (source, target) = (Dataset::open(&PathBuf::from(source))?, Dataset::open(&PathBuf::from(target))?);
        control.run(|c| target.copy_from(&source, &region, c))
    })
}
