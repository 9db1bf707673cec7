//! Cancellation, progress and threads of long operations, handed from JavaScript to the core.

use napi::bindgen_prelude::FnArgs;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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

/// Every piece of work runs on rayon's global pool (one thread per core), the same for reads,
/// writes and long operations; a long operation that asks for another number of threads gets a
/// pool of that size, made once and kept.
fn pool_of(threads: usize) -> voxel::Result<Option<Arc<rayon::ThreadPool>>> {
    if threads == rayon::current_num_threads() {
        return Ok(None);
    }
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS.get_or_init(Default::default).lock().unwrap();
    if let Some(pool) = pools.get(&threads) {
        return Ok(Some(pool.clone()));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| voxel::Error::new(voxel::ErrorKind::Io, format!("Could not start {threads} threads: {e}")))?;
    Ok(Some(pools.entry(threads).or_insert(Arc::new(pool)).clone()))
}

/// What a task needs to build a core `Control` on its worker thread.
pub struct JobControl {
    abort: Option<Arc<AtomicBool>>,
    progress: Option<ProgressCallback>,
    threads: Option<usize>,
}

impl JobControl {
    pub fn new(abort: Option<&AbortFlag>, progress: Option<ProgressCallback>, jobs: Option<u32>) -> Self {
        JobControl { abort: abort.map(|a| a.flag.clone()), progress, threads: jobs.map(|j| j.max(1) as usize) }
    }

    /// Runs `work` with a core `Control`, on `jobs` threads if the caller asked for a number.
    pub fn run<T: Send>(&self, work: impl FnOnce(&voxel::Control) -> voxel::Result<T> + Send) -> voxel::Result<T> {
        let report = |done: u64, total: u64| {
            if let Some(progress) = &self.progress {
                progress.call((done as f64, total as f64).into(), ThreadsafeFunctionCallMode::NonBlocking);
            }
        };
        let control = voxel::Control::new(self.abort.as_deref(), Some(&report));
        match self.threads.map(pool_of).transpose()?.flatten() {
            Some(pool) => pool.install(|| work(&control)),
            None => work(&control),
        }
    }
}
