//! A wake-up between two threads that never takes a lock: one thread bumps a counter and wakes
//! whoever waits on it; the other waits, with a deadline, until the counter moves past a value
//! it read. On Linux this is a futex (a waiter sleeps in the kernel, costs no CPU, and is woken
//! at once); elsewhere the waiter sleeps in short steps. Neither side allocates, so the audio
//! thread may wait on it for a bounded time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

#[derive(Debug, Default)]
pub struct Signal {
    count: AtomicU32,
}

impl Signal {
    /// The value to pass to `wait_past`, read before checking whatever is awaited, so that a
    /// notification in between is not missed.
    pub fn seen(&self) -> u32 {
        self.count.load(Ordering::Acquire)
    }

    pub fn notify(&self) {
        self.count.fetch_add(1, Ordering::Release);
        wake(&self.count);
    }

    /// Sleeps until the counter differs from `seen` or `deadline` passes. It may also return
    /// early (spuriously): callers check again what they wait for.
    pub fn wait_past(&self, seen: u32, deadline: Instant) {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return;
        };
        if self.count.load(Ordering::Acquire) != seen {
            return;
        }
        sleep_while(&self.count, seen, left);
    }
}

#[cfg(target_os = "linux")]
fn wake(count: &AtomicU32) {
    // Safety: FUTEX_WAKE only reads the address, which outlives the call.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            count.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        );
    }
}

#[cfg(target_os = "linux")]
fn sleep_while(count: &AtomicU32, seen: u32, left: std::time::Duration) {
    let timeout = libc::timespec {
        tv_sec: left.as_secs() as libc::time_t,
        tv_nsec: left.subsec_nanos() as libc::c_long,
    };
    // Safety: the kernel compares the word with `seen` and sleeps until a wake or the relative
    // timeout; both pointers outlive the call.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            count.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            seen,
            &timeout as *const libc::timespec,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn wake(_: &AtomicU32) {}

#[cfg(not(target_os = "linux"))]
fn sleep_while(count: &AtomicU32, seen: u32, left: std::time::Duration) {
    // No futex: short sleeps until the value moves (a waiter notices within 50 us).
    let until = Instant::now() + left;
    while count.load(Ordering::Acquire) == seen && Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_micros(50).min(left));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_waiter_wakes_on_notify_and_otherwise_at_its_deadline() {
        let signal = Arc::new(Signal::default());
        let seen = signal.seen();
        let started = Instant::now();
        signal.wait_past(seen, started + Duration::from_millis(30));
        assert!(started.elapsed() >= Duration::from_millis(29), "woke early");

        let other = signal.clone();
        let notifier = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            other.notify();
        });
        let seen = signal.seen();
        let started = Instant::now();
        while signal.seen() == seen && started.elapsed() < Duration::from_secs(5) {
            signal.wait_past(seen, started + Duration::from_secs(5));
        }
        let waited = started.elapsed();
        notifier.join().unwrap();
        assert!(signal.seen() != seen);
        assert!(
            waited < Duration::from_secs(1),
            "the notify did not wake it: {waited:?}"
        );
    }
}
