//! Cancellation and progress of long operations that work file by file.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Thread-time spent per stage of an operation, in nanoseconds summed over all threads: tells
/// where the time of a long operation goes.
#[derive(Default)]
pub struct Timings {
    pub read: AtomicU64,
    pub kernel: AtomicU64,
    pub compress: AtomicU64,
    pub write: AtomicU64,
}

impl Timings {
    /// Runs `work`, adding its duration to `counter`.
    pub fn time<R>(&self, counter: &AtomicU64, work: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let result = work();
        counter.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        result
    }

    pub fn seconds(counter: &AtomicU64) -> f64 {
        counter.load(Ordering::Relaxed) as f64 / 1e9
    }
}

/// Lets a caller abort an operation and follow its progress. Operations check for cancellation
/// between batches of blocks, so an abort stops within one batch; files finished before stay valid.
#[derive(Default)]
pub struct Control<'a> {
    cancelled: Option<&'a AtomicBool>,
    progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    done: AtomicU64,
    total: AtomicU64,
    pub timings: Timings,
}

impl<'a> Control<'a> {
    pub fn new(cancelled: Option<&'a AtomicBool>, progress: Option<&'a (dyn Fn(u64, u64) + Sync)>) -> Self {
        Control { cancelled, progress, ..Control::default() }
    }

    /// Fails with a `Cancelled` error once the caller has asked to abort.
    pub fn checkpoint(&self) -> Result<()> {
        match self.cancelled {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(Error::cancelled()),
            _ => Ok(()),
        }
    }

    /// Announces how many files the operation will finish.
    pub fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.report(0);
    }

    /// Records one more finished file.
    pub fn file_done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.report(done);
    }

    fn report(&self, done: u64) {
        if let Some(progress) = self.progress {
            progress(done, self.total.load(Ordering::Relaxed));
        }
    }
}
