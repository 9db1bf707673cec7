//! One downsampling or upsampling step between two mag directories, on native threads.

use crate::control::{AbortFlag, JobControl, ProgressCallback};
use crate::task::{spawn, Work};
use crate::wkw::{to_box, to_vec3};
use ::wkw::{control::Timings, Dataset, Error};
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use sampling::job::{Resampling, Step};
use sampling::InterpolationMode;
use std::path::PathBuf;

#[napi(object)]
pub struct SamplingStep {
    pub source: String,
    pub target: String,
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

#[napi(ts_return_type = "Promise<SamplingTimings>")]
pub fn sample_mag(
    step: SamplingStep,
    jobs: Option<u32>,
    #[napi(ts_arg_type = "((done: number, total: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
    abort: Option<&AbortFlag>,
) -> AsyncTask<Work<SamplingTimings>> {
    let control = JobControl::new(abort, on_progress, jobs);
    spawn(move || {
        let resampling = match step.mode.as_str() {
            "upsample" => Resampling::Up,
            name => Resampling::Down(
                InterpolationMode::parse(name)
                    .ok_or_else(|| Error::invalid(format!("Unknown interpolation mode \"{name}\"")))?,
            ),
        };
        let factors = to_vec3("factors", &step.factors)?;
        let (source, target) =
            (Dataset::open(&PathBuf::from(&step.source))?, Dataset::open(&PathBuf::from(&step.target))?);
        let step = Step {
            source: &source,
            target: &target,
            source_box: to_box(&step.source_offset, &step.source_size)?,
            target_box: to_box(&step.target_offset, &step.target_size)?,
            factors,
            resampling,
            buffer_edge_len: step.buffer_edge_len as u64,
        };
        let files = step.target_box.cells(target.header().file_edge()).len() as f64;
        control.run(|c| {
            sampling::job::run(&step, c)?;
            let t = &c.timings;
            Ok(SamplingTimings {
                files,
                read_seconds: Timings::seconds(&t.read),
                kernel_seconds: Timings::seconds(&t.kernel),
                compress_seconds: Timings::seconds(&t.compress),
                write_seconds: Timings::seconds(&t.write),
            })
        })
    })
}
