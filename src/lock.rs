//! Locks of a directory shared with other processes: the properties of a dataset are changed
//! under one, so that concurrent changes never lose each other.

use crate::task::{spawn, Work};
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use std::path::Path;
use std::sync::Mutex;
use storage::LockGuard;

/// A held lock; `release()` (or garbage collection) frees it.
#[napi]
pub struct DirectoryLock {
    guard: Mutex<Option<LockGuard>>,
}

#[napi]
impl DirectoryLock {
    #[napi]
    pub fn release(&self) {
        self.guard.lock().unwrap().take();
    }
}

/// Takes the exclusive lock of directory `path`, waiting on a worker thread until it is free.
#[napi(ts_return_type = "Promise<DirectoryLock>")]
pub fn lock_directory(path: String) -> AsyncTask<Work<DirectoryLock>> {
    spawn(move || {
        let held = storage::lock_directory(Path::new(&path))?;
        Ok(DirectoryLock { guard: Mutex::new(Some(LockGuard::new(held))) })
    })
}
