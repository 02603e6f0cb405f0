//! Fine-grained progress and prompt cancellation for work spread over a rayon pool, reported on the
//! caller's thread.
//!
//! The caller's progress callback is not `Send` (a C function pointer with its `user` pointer, a Python
//! callable) and must run on the caller's thread. So [`run_reporting`] sends the work to the pool and keeps
//! the caller's thread as a monitor: it wakes whenever a worker advances the shared [`Tracker`] (or every
//! [`POLL`] at the latest), passes the new fraction to the callback, and raises the tracker's cancel flag
//! when the callback asks to stop. Workers test the flag between units of work (a feature class of one
//! image, a filter), so a cancel takes effect as soon as the units running at that moment end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::extract::Progress;

/// The longest the monitoring thread sleeps between two looks at the tracker.
pub const POLL: Duration = Duration::from_millis(20);

#[derive(Debug, Default)]
struct State {
    fraction: f64,
    finished: bool,
}

/// The progress of one piece of work, shared by its workers and the thread that reports it.
#[derive(Debug, Default)]
pub struct Tracker {
    state: Mutex<State>,
    changed: Condvar,
    cancelled: AtomicBool,
}

impl Tracker {
    /// A tracker at 0, not cancelled.
    pub fn new() -> Tracker {
        Tracker::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A worker that panicked while holding the lock left a plain number behind: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `delta` to the fraction done (kept within [0, 1]) and wakes the reporting thread. Errors with
    /// [`ErrorKind::Cancelled`] when the caller has asked to stop, so that a worker can end its unit of
    /// work with `?`.
    pub fn advance(&self, delta: f64) -> Result<()> {
        {
            let mut s = self.lock();
            s.fraction = (s.fraction + delta.max(0.0)).min(1.0);
        }
        self.changed.notify_all();
        self.check()
    }

    /// Raises the fraction done to `fraction` (if it is below), as [`advance`](Self::advance) does.
    pub fn advance_to(&self, fraction: f64) -> Result<()> {
        {
            let mut s = self.lock();
            s.fraction = s.fraction.max(fraction.min(1.0));
        }
        self.changed.notify_all();
        self.check()
    }

    /// [`ErrorKind::Cancelled`] when the caller has asked to stop.
    pub fn check(&self) -> Result<()> {
        if self.cancelled.load(Ordering::Relaxed) {
            Err(cancelled())
        } else {
            Ok(())
        }
    }

    /// Asks the workers to stop.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// The fraction done so far.
    pub fn fraction(&self) -> f64 {
        self.lock().fraction
    }

    fn finish(&self) {
        self.lock().finished = true;
        self.changed.notify_all();
    }

    /// Waits until the fraction changes from `seen` or the work finishes, at most [`POLL`]; returns the
    /// fraction and whether the work has finished.
    fn wait(&self, seen: f64) -> (f64, bool) {
        let s = self.lock();
        let (s, _) = self
            .changed
            .wait_timeout_while(s, POLL, |s| !s.finished && s.fraction == seen)
            .unwrap_or_else(|e| e.into_inner());
        (s.fraction, s.finished)
    }
}

/// The error of a cancelled run.
pub fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, "extraction cancelled by the caller")
}

/// Marks the tracker finished when dropped, also when the work panics, so that the monitor never waits
/// for work that has ended.
struct FinishOnDrop<'a>(&'a Tracker);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Spawns `work` into `scope` and reports its progress from the calling thread until it ends; returns
/// whether `progress` asked to stop, and the last fraction reported.
fn monitor<'scope, T: Send + 'scope>(
    scope: &rayon::Scope<'scope>,
    tracker: &'scope Tracker,
    result: &'scope mut Option<Result<T>>,
    work: impl FnOnce(&Tracker) -> Result<T> + Send + 'scope,
    progress: Progress<'_>,
) -> (bool, f64) {
    scope.spawn(move |_| {
        let _finish = FinishOnDrop(tracker);
        *result = Some(work(tracker));
    });
    let mut seen = 0.0;
    let mut stopped = false;
    loop {
        let (fraction, finished) = tracker.wait(seen);
        if finished {
            return (stopped, seen);
        }
        if fraction != seen {
            seen = fraction;
            if !stopped && !progress(fraction) {
                stopped = true;
                tracker.cancel();
            }
        }
    }
}

/// Runs `work` with a fresh [`Tracker`], calling `progress` on the calling thread with the fraction done:
/// 0 first, then whenever the workers advance it, then 1 at the end (each value at most once, increasing).
/// When `progress` returns `false` the tracker is cancelled, no further report is made, and the result is
/// [`ErrorKind::Cancelled`].
///
/// The work runs in `pool` (or rayon's global pool when `None`) while the calling thread monitors it. When
/// the calling thread is itself a worker of the pool the work would go to, blocking it could starve the
/// work, so the work runs inline instead and progress is reported only at its start and end.
pub fn run_reporting<T: Send>(
    pool: Option<&rayon::ThreadPool>,
    progress: Progress<'_>,
    work: impl FnOnce(&Tracker) -> Result<T> + Send,
) -> Result<T> {
    if !progress(0.0) {
        return Err(cancelled());
    }
    let tracker = Tracker::new();
    let mut result: Option<Result<T>> = None;
    let (stopped, reported) = match pool {
        Some(pool) if pool.current_thread_index().is_none() => {
            pool.in_place_scope(|s| monitor(s, &tracker, &mut result, work, progress))
        }
        None if rayon::current_thread_index().is_none() => {
            rayon::in_place_scope(|s| monitor(s, &tracker, &mut result, work, progress))
        }
        _ => {
            result = Some(work(&tracker));
            (false, 0.0)
        }
    };
    if stopped {
        return Err(cancelled());
    }
    let value =
        result.unwrap_or_else(|| Err(Error::internal("the work ended without a result")))?;
    if reported < 1.0 && !progress(1.0) {
        return Err(cancelled());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_rise_from_zero_to_one_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let mut seen = Vec::new();
        let out = run_reporting(
            None,
            &mut |f| {
                assert_eq!(std::thread::current().id(), caller);
                seen.push(f);
                true
            },
            |t| {
                for _ in 0..4 {
                    std::thread::sleep(Duration::from_millis(30));
                    t.advance(0.25)?;
                }
                Ok(7)
            },
        );
        assert_eq!(out.unwrap(), 7);
        assert_eq!(seen.first(), Some(&0.0));
        assert_eq!(seen.last(), Some(&1.0));
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        // The intermediate steps were seen (each 30 ms apart, the monitor wakes on each).
        assert!(seen.len() >= 4, "{seen:?}");
    }

    #[test]
    fn a_cancel_stops_the_workers_at_their_next_step() {
        let steps = std::sync::atomic::AtomicUsize::new(0);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let out: Result<()> = run_reporting(Some(&pool), &mut |f| f < 0.1, |t| {
            for _ in 0..1000 {
                std::thread::sleep(Duration::from_millis(5));
                steps.fetch_add(1, Ordering::Relaxed);
                t.advance(0.001)?;
            }
            Ok(())
        });
        assert_eq!(out.unwrap_err().kind(), ErrorKind::Cancelled);
        // Cancelled at 10 % (about 100 steps of 5 ms): far from the 1000 steps of the whole run.
        assert!(steps.load(Ordering::Relaxed) < 300);
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_failure_of_the_work_is_returned_and_a_cancel_at_the_start_runs_nothing() {
        let e = run_reporting(None, &mut |_| true, |_| -> Result<()> {
            Err(Error::invalid("bad"))
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let mut ran = false;
        let e = run_reporting(None, &mut |_| false, |_| {
            ran = true;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
        assert!(!ran);
    }

    #[test]
    fn inside_a_pool_worker_the_work_runs_inline() {
        let out = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| {
                let mut seen = Vec::new();
                let r = run_reporting(
                    None,
                    &mut |f| {
                        seen.push(f);
                        true
                    },
                    |t| {
                        t.advance(0.5)?;
                        Ok(3)
                    },
                );
                (r.unwrap(), seen)
            });
        assert_eq!(out, (3, vec![0.0, 1.0]));
    }
}
