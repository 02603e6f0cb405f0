//! The log channel: warnings and failures passed to a callback the caller installs on its thread.

use std::cell::Cell;
use std::ffi::{c_char, c_void, CString};

use super::error::{boundary, rad_status};

/// Severity of a message passed to a `rad_log_fn`. Numbered with gaps, so that levels can be added
/// between them; a callback should treat an unknown value by its order.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum rad_log_level {
    /// Detail for debugging the library's use.
    RadLogDebug = 10,
    /// Something worth knowing that needs no action.
    RadLogInfo = 20,
    /// The call succeeded, but something in its result deserves attention: a LoG sigma skipped because
    /// the image is too small for it, a feature that is NaN, an option that was ignored.
    RadLogWarning = 30,
    /// The call failed; the message is also `rad_last_error_message()`'s.
    RadLogError = 40,
}

/// A log callback: `level` is a `rad_log_level` value, `message` a NUL-terminated UTF-8 text valid only
/// during the call (copy it to keep it), `user` the pointer given to `rad_set_log_callback`.
///
/// Called on the thread that made the `rad_*` call the message is about, before that call returns, never
/// from another thread. It must return normally: it must not unwind (a C++ exception, a Rust panic) or
/// `longjmp` out of the library, which would abort the process or leak. It may call `rad_*` functions,
/// except `rad_set_log_callback`.
pub type rad_log_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, level: i32, message: *const c_char)>;

#[derive(Clone, Copy)]
struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, i32, *const c_char),
    user: *mut c_void,
    min_level: i32,
}

thread_local! {
    static SINK: Cell<Option<Sink>> = const { Cell::new(None) };
}

/// Installs `callback` as the calling thread's log callback: from now on, `rad_*` calls made **on this
/// thread** pass it their messages of level `min_level` and above (a `rad_log_level`: `RAD_LOG_WARNING`
/// for the warnings of each extraction, `RAD_LOG_ERROR` for failures). `user` is passed through untouched.
/// A NULL `callback` removes the thread's callback. Other threads are not affected: each thread installs
/// its own (per-thread, so that concurrent calls never share a callback they did not ask for).
///
/// The warnings of an extraction are delivered before `rad_extract*` returns, in the order they were
/// raised; they are also kept with the feature set (`rad_features_warning`). A failing call delivers its
/// message (the text of `rad_last_error_message()`) at `RAD_LOG_ERROR`.
///
/// Returns `RAD_OK`, or `RAD_INVALID_ARGUMENT` for a `min_level` that is not a `rad_log_level` value.
#[no_mangle]
pub extern "C" fn rad_set_log_callback(
    callback: rad_log_fn,
    user: *mut c_void,
    min_level: i32,
) -> rad_status {
    boundary(|| {
        if ![10, 20, 30, 40].contains(&min_level) {
            return Err(crate::error::Error::new(
                crate::error::ErrorKind::InvalidArgument,
                format!(
                    "min_level {min_level} is not a rad_log_level (RAD_LOG_DEBUG = 10, RAD_LOG_INFO = 20, \
                     RAD_LOG_WARNING = 30, RAD_LOG_ERROR = 40)"
                ),
            ));
        }
        let sink = callback.map(|callback| Sink {
            callback,
            user,
            min_level,
        });
        let _ = SINK.try_with(|s| s.set(sink));
        Ok(())
    })
}

/// Passes `message` to the calling thread's log callback, if one is installed for `level`.
pub(crate) fn log(level: rad_log_level, message: &str) {
    let Some(sink) = SINK.try_with(Cell::get).ok().flatten() else {
        return;
    };
    if (level as i32) < sink.min_level {
        return;
    }
    let text = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    // The callback may install another one (a documented misuse): it is taken again for each message.
    // SAFETY: a C function pointer the caller installed on this thread, called with its own `user`
    // pointer and a NUL-terminated string that lives for the call, as documented.
    unsafe { (sink.callback)(sink.user, level as i32, text.as_ptr()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    unsafe extern "C" fn collect(user: *mut c_void, level: i32, message: *const c_char) {
        // SAFETY: the test passes a pointer to a Vec and a NUL-terminated message.
        let seen = unsafe { &mut *user.cast::<Vec<(i32, String)>>() };
        let text = unsafe { CStr::from_ptr(message) };
        seen.push((level, text.to_string_lossy().into_owned()));
    }

    #[test]
    fn messages_reach_the_thread_callback_above_its_level() {
        let mut seen: Vec<(i32, String)> = Vec::new();
        let user = (&mut seen as *mut Vec<(i32, String)>).cast();
        assert_eq!(
            rad_set_log_callback(Some(collect), user, 30),
            rad_status::RadOk
        );
        log(rad_log_level::RadLogInfo, "not shown");
        log(rad_log_level::RadLogWarning, "a warning");
        // Another thread has no callback: its messages go nowhere.
        std::thread::spawn(|| log(rad_log_level::RadLogError, "elsewhere"))
            .join()
            .unwrap();
        // A failing call logs its message as an error.
        assert_eq!(
            rad_set_log_callback(Some(collect), user, 31),
            rad_status::RadInvalidArgument
        );
        assert_eq!(rad_set_log_callback(None, user, 10), rad_status::RadOk);
        log(rad_log_level::RadLogError, "after removal");
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0], (30, "a warning".to_string()));
        assert_eq!(seen[1].0, 40);
        assert!(
            seen[1].1.starts_with("RAD_INVALID_ARGUMENT: min_level 31"),
            "{seen:?}"
        );
    }
}
