//! Cancellation and progress of long operations, handed from JavaScript to the core.

use napi::bindgen_prelude::FnArgs;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag the TypeScript layer raises when the caller's `AbortSignal` fires.
#[napi]
#[derive(Default)]
pub struct AbortFlag {
    flag: Arc<AtomicBool>,
}

#[napi]
impl AbortFlag {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    #[napi]
    pub fn abort(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }
}

/// `(done, total)` callbacks into JavaScript, called from worker threads without blocking them.
pub type ProgressCallback = ThreadsafeFunction<FnArgs<(f64, f64)>, (), FnArgs<(f64, f64)>, napi::Status, false>;

/// What a task needs to build a core `Control` on its worker thread.
pub struct JobControl {
    abort: Option<Arc<AtomicBool>>,
    progress: Option<ProgressCallback>,
    pub threads: usize,
}

impl JobControl {
    pub fn new(abort: Option<&AbortFlag>, progress: Option<ProgressCallback>, jobs: Option<u32>) -> Self {
        let threads = jobs
            .map(|j| j.max(1) as usize)
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        JobControl { abort: abort.map(|a| a.flag.clone()), progress, threads }
    }

    /// Runs `work` on a pool of `threads` native threads with a core `Control` for it.
    pub fn run<T: Send>(&self, work: impl FnOnce(&::wkw::Control) -> ::wkw::Result<T> + Send) -> ::wkw::Result<T> {
        let report = |done: u64, total: u64| {
            if let Some(progress) = &self.progress {
                progress.call((done as f64, total as f64).into(), ThreadsafeFunctionCallMode::NonBlocking);
            }
        };
        let control = ::wkw::Control::new(self.abort.as_deref(), Some(&report));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(self.threads).build().map_err(|e| {
            ::wkw::Error::new(::wkw::ErrorKind::Io, format!("Could not start {} threads: {e}", self.threads))
        })?;
        pool.install(|| work(&control))
    }
}
