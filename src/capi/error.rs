//! Status codes, the thread-local last error message, and the panic boundary around every export.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, ErrorKind, Result};

/// What a fallible function of the C API returned. `RAD_OK` (0) is success; every other value names one
/// kind of failure, and `rad_last_error_message()` then says what failed and why.
///
/// Numbered in blocks: 1xx the caller's arguments or settings, 2xx the input data, 3xx the run,
/// 9xx the library itself. Numbers are never reused; new codes are appended to their block. In C the type
/// is `int32_t`, so that a newer library's codes are still representable.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum rad_status {
    /// Success.
    RadOk = 0,
    /// An argument is NULL, out of range or inconsistent (a buffer smaller than its dimensions, a bad
    /// dtype, an index past the end, a name that is not there).
    RadInvalidArgument = 100,
    /// A setting is unknown, has the wrong type or value, or is not implemented.
    RadUnsupportedSetting = 101,
    /// A file could not be opened, read or written.
    RadIo = 200,
    /// A file or buffer is malformed (corrupt image, unparsable parameter file, non-integer mask).
    RadFormat = 201,
    /// Image and mask do not share a grid.
    RadGeometryMismatch = 202,
    /// The region of interest is empty, or too small for the settings.
    RadEmptyRoi = 203,
    /// A model does not fit its input (a feature it needs is missing), or a model file is not a valid
    /// model (unparsable, unknown format version, failed checksum).
    RadModelMismatch = 204,
    /// The progress callback asked to stop.
    RadCancelled = 300,
    /// A configured limit (voxels, memory, grey levels) would be exceeded.
    RadLimitExceeded = 301,
    /// A bug in this library (a caught panic, a broken invariant). Please report it with the message.
    RadInternal = 900,
}

/// Every status, in numeric order.
const STATUSES: [rad_status; 11] = [
    rad_status::RadOk,
    rad_status::RadInvalidArgument,
    rad_status::RadUnsupportedSetting,
    rad_status::RadIo,
    rad_status::RadFormat,
    rad_status::RadGeometryMismatch,
    rad_status::RadEmptyRoi,
    rad_status::RadModelMismatch,
    rad_status::RadCancelled,
    rad_status::RadLimitExceeded,
    rad_status::RadInternal,
];

impl rad_status {
    /// The status of a number; `None` for a number this library does not define.
    pub fn from_i32(code: i32) -> Option<rad_status> {
        STATUSES.into_iter().find(|s| *s as i32 == code)
    }

    /// The C name of the status (`"RAD_OK"`, ...).
    pub fn name(self) -> &'static CStr {
        match self {
            rad_status::RadOk => c"RAD_OK",
            rad_status::RadInvalidArgument => c"RAD_INVALID_ARGUMENT",
            rad_status::RadUnsupportedSetting => c"RAD_UNSUPPORTED_SETTING",
            rad_status::RadIo => c"RAD_IO",
            rad_status::RadFormat => c"RAD_FORMAT",
            rad_status::RadGeometryMismatch => c"RAD_GEOMETRY_MISMATCH",
            rad_status::RadEmptyRoi => c"RAD_EMPTY_ROI",
            rad_status::RadModelMismatch => c"RAD_MODEL_MISMATCH",
            rad_status::RadCancelled => c"RAD_CANCELLED",
            rad_status::RadLimitExceeded => c"RAD_LIMIT_EXCEEDED",
            rad_status::RadInternal => c"RAD_INTERNAL",
        }
    }
}

impl From<ErrorKind> for rad_status {
    fn from(kind: ErrorKind) -> rad_status {
        match kind {
            ErrorKind::InvalidArgument => rad_status::RadInvalidArgument,
            ErrorKind::Io => rad_status::RadIo,
            ErrorKind::Format => rad_status::RadFormat,
            ErrorKind::GeometryMismatch => rad_status::RadGeometryMismatch,
            ErrorKind::EmptyRoi => rad_status::RadEmptyRoi,
            ErrorKind::UnsupportedSetting => rad_status::RadUnsupportedSetting,
            ErrorKind::ModelMismatch => rad_status::RadModelMismatch,
            ErrorKind::Cancelled => rad_status::RadCancelled,
            ErrorKind::LimitExceeded => rad_status::RadLimitExceeded,
            ErrorKind::Internal => rad_status::RadInternal,
        }
    }
}

/// The name of a status code, e.g. `"RAD_EMPTY_ROI"`; `"RAD_UNKNOWN"` for a number this library does not
/// define (one from a newer library, or garbage).
///
/// Static storage: never free it. Thread-safe. Never NULL.
#[no_mangle]
pub extern "C" fn rad_status_name(status: i32) -> *const c_char {
    boundary_or(c"RAD_UNKNOWN".as_ptr(), || {
        rad_status::from_i32(status).map_or(c"RAD_UNKNOWN".as_ptr(), |s| s.name().as_ptr())
    })
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records the message of a failure on this thread.
pub(crate) fn set_last_error(status: rad_status, message: &str) {
    let name = status.name().to_string_lossy();
    let text = format!("{name}: {message}").replace('\0', "\u{FFFD}");
    let text = CString::new(text).unwrap_or_default();
    // The thread's log callback hears of every failure.
    super::log::log(
        super::log::rad_log_level::RadLogError,
        &text.to_string_lossy(),
    );
    // `try_with`: during thread teardown there is nowhere left to put it.
    let _ = LAST_ERROR.try_with(|m| *m.borrow_mut() = text);
}

/// A human-readable message about the most recent failure of a `rad_*` function on the calling thread,
/// starting with the status name (`"RAD_IO: cannot read 'x.nii': No such file or directory"`); the empty
/// string when nothing has failed on this thread yet.
///
/// Successful calls leave the message as it is. The string belongs to the library: do not free it. It
/// stays valid until another `rad_*` call fails on the same thread (copy it to keep it longer). Never
/// NULL. Each thread has its own message.
#[no_mangle]
pub extern "C" fn rad_last_error_message() -> *const c_char {
    boundary_or(c"".as_ptr(), || {
        LAST_ERROR
            .try_with(|m| m.borrow().as_ptr())
            .unwrap_or(c"".as_ptr())
    })
}

/// The text of a caught panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Runs the body of a status-returning export: `Ok` becomes `RAD_OK`; an error its status, with its
/// message recorded; a panic `RAD_INTERNAL`, with the panic's message recorded.
pub(crate) fn boundary(body: impl FnOnce() -> Result<()>) -> rad_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => rad_status::RadOk,
        Ok(Err(e)) => fail(&e),
        Err(payload) => {
            let status = rad_status::RadInternal;
            set_last_error(
                status,
                &format!(
                    "the library panicked (a bug; please report it): {}",
                    panic_text(payload.as_ref())
                ),
            );
            status
        }
    }
}

/// Runs the body of an export that returns a value rather than a status; a panic yields `default`, with
/// the panic's message recorded.
pub(crate) fn boundary_or<T>(default: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(payload) => {
            set_last_error(
                rad_status::RadInternal,
                &format!(
                    "the library panicked (a bug; please report it): {}",
                    panic_text(payload.as_ref())
                ),
            );
            default
        }
    }
}

/// Records `e` and returns its status.
pub(crate) fn fail(e: &Error) -> rad_status {
    let status = rad_status::from(e.kind());
    set_last_error(status, e.message());
    status
}

/// `name` is NULL.
pub(crate) fn null_arg(name: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("argument '{name}' is NULL"),
    )
}

/// Checks an output pointer before any work is done.
pub(crate) fn out_ptr<T>(p: *mut T, name: &str) -> Result<*mut T> {
    if p.is_null() {
        Err(null_arg(name))
    } else {
        Ok(p)
    }
}

/// Writes `value` through an output pointer already checked by [`out_ptr`].
pub(crate) fn write_out<T>(p: *mut T, value: T) {
    // SAFETY: `p` is non-NULL (checked by `out_ptr`) and, by the function's C contract, points to a
    // writable `T`. `write` does not read or drop the old (possibly uninitialised) value.
    unsafe { p.write(value) }
}

/// A borrowed, NUL-terminated UTF-8 string argument.
pub(crate) fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: non-NULL, and by the C contract a NUL-terminated string that outlives the call.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("argument '{name}' is not valid UTF-8 ({e})"),
        )
    })
}

/// A borrowed array argument of `N` elements.
pub(crate) fn array_arg<T: Copy, const N: usize>(p: *const T, name: &str) -> Result<[T; N]> {
    if p.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: non-NULL, and by the C contract points to N readable elements (the header spells the
    // length, e.g. `const double spacing[3]`). Read unaligned: C arrays of doubles are aligned, but a
    // caller's buffer need not be.
    Ok(unsafe { std::ptr::read_unaligned(p.cast::<[T; N]>()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last() -> String {
        // SAFETY: never NULL, NUL-terminated.
        unsafe { CStr::from_ptr(rad_last_error_message()) }
            .to_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn every_status_has_its_c_name_and_number() {
        for s in STATUSES {
            assert_eq!(rad_status::from_i32(s as i32), Some(s));
            // SAFETY: static NUL-terminated strings.
            let name = unsafe { CStr::from_ptr(rad_status_name(s as i32)) };
            assert!(name.to_str().unwrap().starts_with("RAD_"));
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(rad_status_name(12345)) };
        assert_eq!(unknown.to_str().unwrap(), "RAD_UNKNOWN");
        assert_eq!(rad_status::RadOk as i32, 0);
    }

    #[test]
    fn panics_are_contained_and_reported() {
        let status = boundary(|| panic!("boom in a test"));
        assert_eq!(status, rad_status::RadInternal);
        let msg = last();
        assert!(msg.starts_with("RAD_INTERNAL"), "{msg}");
        assert!(msg.contains("boom in a test"), "{msg}");
        let v: usize = boundary_or(7, || panic!("again"));
        assert_eq!(v, 7);
        assert!(last().contains("again"));
    }

    #[test]
    fn errors_keep_kind_and_message() {
        let status = boundary(|| Err(Error::new(ErrorKind::EmptyRoi, "nothing there")));
        assert_eq!(status, rad_status::RadEmptyRoi);
        assert_eq!(last(), "RAD_EMPTY_ROI: nothing there");
    }

    #[test]
    fn messages_are_per_thread() {
        boundary(|| Err(Error::new(ErrorKind::Io, "main thread")));
        std::thread::spawn(|| {
            assert_eq!(last(), "");
            boundary(|| Err(Error::new(ErrorKind::Format, "other thread")));
            assert!(last().contains("other thread"));
        })
        .join()
        .unwrap();
        assert!(last().contains("main thread"));
    }
}
