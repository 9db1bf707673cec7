//! Locks shared with other processes, held by JavaScript across awaits: a dataset's directory
//! (its properties are changed under it) and whole arrays (while they are replaced).

use crate::task::{spawn, Work};
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use std::path::Path;
use std::sync::Mutex;
use storage::LockGuard;

/// A held lock; `release()` (or garbage collection) frees it.
#[napi]
pub struct HeldLock {
    guard: Mutex<Option<LockGuard>>,
}

impl HeldLock {
    pub fn new(guard: LockGuard) -> Self {
        HeldLock { guard: Mutex::new(Some(guard)) }
    }
}

#[napi]
impl HeldLock {
    #[napi]
    pub fn release(&self) {
        self.guard.lock().unwrap().take();
    }
}

/// Takes the exclusive lock of directory `path`, waiting on a worker thread until it is free.
#[napi(ts_return_type = "Promise<HeldLock>")]
pub fn lock_directory(path: String) -> AsyncTask<Work<HeldLock>> {
    spawn(move || Ok(HeldLock::new(LockGuard::new(storage::lock_directory(Path::new(&path))?))))
}
