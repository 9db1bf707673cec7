//! Core errors become JavaScript errors with a stable `code` property (`ERR_WK_*`, or
//! `ABORT_ERR` for an aborted operation) and, for operating-system errors, a `cause` carrying
//! the OS error number.

use napi::bindgen_prelude::{Env, JsObjectValue, Object};
use std::panic::{catch_unwind, AssertUnwindSafe};
use voxel::{Error as CoreError, ErrorKind};

pub fn code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "ERR_WK_NOT_FOUND",
        ErrorKind::AlreadyExists => "ERR_WK_ALREADY_EXISTS",
        ErrorKind::InvalidArgument => "ERR_WK_INVALID_ARGUMENT",
        ErrorKind::Corrupt => "ERR_WK_CORRUPT",
        ErrorKind::Io => "ERR_WK_IO",
        ErrorKind::ReadOnly => "ERR_WK_READ_ONLY",
        ErrorKind::Cancelled => "ABORT_ERR",
    }
}

/// Why a native task failed.
pub enum Failure {
    Core(CoreError),
    /// A bug in the core: it rejects a Promise instead of aborting the Node process.
    Panic(String),
}

/// Runs `work`, catching panics.
pub fn guarded<T>(work: impl FnOnce() -> voxel::Result<T>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(Failure::Core),
        Err(payload) => Err(Failure::Panic(
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into()),
        )),
    }
}

/// The JavaScript error object of a failure.
pub fn to_js_error(env: &Env, failure: Failure) -> napi::Result<Object<'_>> {
    let (code, message, os_error) = match failure {
        Failure::Core(e) => (code(e.kind), e.message, e.source),
        Failure::Panic(what) => ("ERR_WK_INTERNAL", format!("Internal error in the native core: {what}"), None),
    };
    let mut error = env.create_error(napi::Error::new(napi::Status::GenericFailure, message))?;
    error.set_named_property("code", code)?;
    if let Some(os) = os_error {
        let mut cause = env.create_error(napi::Error::new(napi::Status::GenericFailure, os.to_string()))?;
        if let Some(errno) = os.raw_os_error() {
            cause.set_named_property("errno", errno)?;
        }
        error.set_named_property("cause", cause)?;
    }
    Ok(error)
}
