use std::fmt;
use std::io;
use std::path::Path;

/// What went wrong, in the categories a caller can act on. The Node binding maps each kind to one
/// stable `ERR_WK_*` code, so a kind must never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    AlreadyExists,
    InvalidArgument,
    /// Bytes on disk that no valid writer could have produced.
    Corrupt,
    Io,
    /// A write to a location that cannot be written (a web server).
    ReadOnly,
    Cancelled,
}

#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub source: Option<io::Error>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), source: None }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Bytes at `location` (a path or URL) that no valid writer could have produced.
    pub fn corrupt(location: impl fmt::Display, what: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Corrupt, format!("{what} in \"{location}\""))
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "The operation was aborted")
    }

    /// An operating-system error while doing `action` on `location`; the OS error stays attached.
    pub fn io(action: &str, location: impl fmt::Display, source: io::Error) -> Self {
        let kind = match source.kind() {
            io::ErrorKind::NotFound => ErrorKind::NotFound,
            io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
            _ => ErrorKind::Io,
        };
        Error { kind, message: format!("Could not {action} \"{location}\": {source}"), source: Some(source) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// Attaches the action and path to an `io::Result`.
pub trait IoContext<T> {
    fn at(self, action: &str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, action: &str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::io(action, path.display(), e))
    }
}
