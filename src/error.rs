//! Core errors become JavaScript errors whose message starts with the stable `[ERR_WK_*]` code;
//! the TypeScript layer turns them into `WebknossosError`s.

use ::wkw::{Error as CoreError, ErrorKind};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub fn code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "ERR_WK_NOT_FOUND",
        ErrorKind::AlreadyExists => "ERR_WK_ALREADY_EXISTS",
        ErrorKind::InvalidArgument => "ERR_WK_INVALID_ARGUMENT",
        ErrorKind::Corrupt => "ERR_WK_CORRUPT",
        ErrorKind::Io => "ERR_WK_IO",
        ErrorKind::Cancelled => "ABORT_ERR",
    }
}

pub fn to_js(error: CoreError) -> napi::Error {
    napi::Error::from_reason(format!("[{}] {}", code(error.kind), error.message))
}

/// Runs `work`, turning core errors and panics into JavaScript errors: a bug in the core must
/// reject a Promise, never abort the Node process.
pub fn guarded<T>(work: impl FnOnce() -> ::wkw::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(to_js),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(napi::Error::from_reason(format!("[ERR_WK_INTERNAL] Internal error in the native core: {what}")))
        }
    }
}
