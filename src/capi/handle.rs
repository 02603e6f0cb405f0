//! Opaque handles: each C type is a private zero-sized struct tied to the Rust value it stands for.
//!
//! A handle pointer is always a `Box<Inner>` turned into a raw pointer and cast to the C type, so the
//! casts live here and nowhere else.

use crate::error::Result;

use super::error::null_arg;

/// A C handle type standing for a boxed `Inner`, owned by the caller until its `_free`.
pub(crate) trait BoxHandle: Sized {
    /// The Rust value behind the handle.
    type Inner;

    /// Gives `value` to C as a new handle.
    fn into_handle(value: Self::Inner) -> *mut Self {
        Box::into_raw(Box::new(value)).cast::<Self>()
    }

    /// Borrows the value behind a handle argument; NULL is an error naming the argument.
    fn borrow<'a>(p: *const Self, name: &str) -> Result<&'a Self::Inner> {
        if p.is_null() {
            return Err(null_arg(name));
        }
        // SAFETY: a non-NULL handle was made by `into_handle` and not yet freed (the C contract), so it
        // points to a live `Inner`; shared borrows of it may coexist (handles are read-only).
        Ok(unsafe { &*p.cast::<Self::Inner>() })
    }

    /// Borrows the value behind a handle argument mutably; NULL is an error naming the argument.
    fn borrow_mut<'a>(p: *mut Self, name: &str) -> Result<&'a mut Self::Inner> {
        if p.is_null() {
            return Err(null_arg(name));
        }
        // SAFETY: as in `borrow`; the C contract of the mutating functions forbids concurrent use of
        // the same handle.
        Ok(unsafe { &mut *p.cast::<Self::Inner>() })
    }

    /// Drops the value behind a handle; NULL is ignored.
    fn free(p: *mut Self) {
        if !p.is_null() {
            // SAFETY: made by `into_handle`, freed once (the C contract).
            drop(unsafe { Box::from_raw(p.cast::<Self::Inner>()) });
        }
    }
}
