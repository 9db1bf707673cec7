//! One downsampling or upsampling step between two arrays, on native threads.

use crate::array::{to_box, to_shards, to_vec3, NativeArray};
use crate::control::{AbortFlag, JobControl, ProgressCallback};
use crate::task::{spawn, Work};
use jobs::sample::{run, Resampling, Step};
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use sampling::InterpolationMode;
use voxel::{Error, Timings};

#[napi(object)]
pub struct SamplingStep {
    /// The region in source voxels.
    pub source_offset: Vec<f64>,
    pub source_size: Vec<f64>,
    /// The same region in target voxels.
    pub target_offset: Vec<f64>,
    pub target_size: Vec<f64>,
    /// Per axis: target/source mag when downsampling, source/target when upsampling.
    pub factors: Vec<f64>,
    /// An interpolation mode ("median", "mode", "max", "min", "nearest", "bilinear", "bicubic"), or "upsample".
    pub mode: String,
    pub buffer_edge_len: u32,
}

/// Thread-seconds per stage of the step, summed over threads.
#[napi(object)]
pub struct SamplingTimings {
    pub files: f64,
    pub read_seconds: f64,
    pub kernel_seconds: f64,
    pub compress_seconds: f64,
    pub write_seconds: f64,
}

/// Computes `shards` of `target` from `source`, each under its lock.
#[napi(ts_return_type = "Promise<SamplingTimings>")]
pub fn sample_array(
    source: &NativeArray,
    target: &NativeArray,
    step: SamplingStep,
    #[napi(ts_arg_type = "Array<[number, number, number]>")] shards: Vec<Vec<f64>>,
    jobs: Option<u32>,
    #[napi(ts_arg_type = "((done: number, total: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
    abort: Option<&AbortFlag>,
) -> AsyncTask<Work<SamplingTimings>> {
    let control = JobControl::new(abort, on_progress, jobs);
    let (source, target) = (source.inner(), target.inner());
    spawn(move || {
        let resampling = match step.mode.as_str() {
            "upsample" => Resampling::Up,
            name => Resampling::Down(
                InterpolationMode::parse(name)
                    .ok_or_else(|| Error::invalid(format!("Unknown interpolation mode \"{name}\"")))?,
            ),
        };
        let step = Step {
            source: &*source,
            target: &*target,
            source_box: to_box(&step.source_offset, &step.source_size)?,
            target_box: to_box(&step.target_offset, &step.target_size)?,
            factors: to_vec3("factors", &step.factors)?,
            resampling,
            buffer_edge_len: step.buffer_edge_len as u64,
        };
        let shards = to_shards(&shards)?;
        let _lock = target.lock_shards(&shards)?;
        control.run(|c| {
            run(&step, &shards, c)?;
            let t = &c.timings;
            Ok(SamplingTimings {
                files: shards.len() as f64,
                read_seconds: Timings::seconds(&t.read),
                kernel_seconds: Timings::seconds(&t.kernel),
                compress_seconds: Timings::seconds(&t.compress),
                write_seconds: Timings::seconds(&t.write),
            })
        })
    })
}
