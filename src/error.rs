//! The one error type of the library.
//!
//! Every fallible function returns [`Result`]. An [`Error`] carries a [`ErrorKind`], which front ends map to
//! exit codes (the CLI) or status codes (the C API), and a message written for a person: it names the input,
//! the key or the value that is wrong, and how.

use std::fmt;
use std::path::Path;

/// What went wrong, coarsely. Front ends map each kind to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument is out of its domain (NULL, wrong size, negative spacing, ...).
    InvalidArgument,
    /// A file could not be opened, read or written.
    Io,
    /// A file or buffer is malformed (corrupt NIfTI, unparsable parameter file, bad table).
    Format,
    /// Image and mask (or two images) do not share a grid.
    GeometryMismatch,
    /// The region of interest is empty or too small.
    EmptyRoi,
    /// A setting is unknown, has the wrong type or value, or is recognised but not implemented.
    UnsupportedSetting,
    /// A model file does not fit (unknown version, failed checksum, missing feature).
    ModelMismatch,
    /// A progress callback asked to stop.
    Cancelled,
    /// A configured limit (voxels, memory, grey levels) would be exceeded.
    LimitExceeded,
    /// A bug in this library (e.g. a caught panic).
    Internal,
}

impl ErrorKind {
    /// A short, stable, lower-case name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Io => "i/o error",
            ErrorKind::Format => "format error",
            ErrorKind::GeometryMismatch => "geometry mismatch",
            ErrorKind::EmptyRoi => "empty roi",
            ErrorKind::UnsupportedSetting => "unsupported setting",
            ErrorKind::ModelMismatch => "model mismatch",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::Internal => "internal error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of every fallible operation in this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a message for a person.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong, coarsely.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context: ` put in front of its message.
    pub fn context(self, context: impl fmt::Display) -> Error {
        Error {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub(crate) fn format(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Format, message)
    }

    pub(crate) fn setting(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::UnsupportedSetting, message)
    }

    pub(crate) fn geometry(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::GeometryMismatch, message)
    }

    pub(crate) fn empty_roi(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::EmptyRoi, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// An I/O error on `path`, with the operating system's reason.
    pub(crate) fn io(path: &Path, action: &str, err: &std::io::Error) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("cannot {action} '{}': {err}", path.display()),
        )
    }
}
