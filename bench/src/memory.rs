//! Peak heap memory of one analysis, per thread.
//!
//! [`CountingAllocator`] wraps the system allocator and keeps, per thread, the bytes that
//! thread holds and the most it held since [`measure`] last started. An analysis runs on
//! one thread from start to end, so a worker's peak is that analysis's own, even when
//! other workers analyse other programs at the same time. Memory one thread allocates and
//! another frees moves the two counters apart; the analyzer does not do that (a report is
//! built and dropped on the worker that made it). A binary opts in with
//! `#[global_allocator]`; without it [`measure`] reports `None` rather than a wrong zero.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting per thread. Install it in a binary with
/// `#[global_allocator] static ALLOCATOR: CountingAllocator = CountingAllocator;`.
#[derive(Debug)]
pub struct CountingAllocator;

/// Notes that the allocator is installed. A store on every allocation would bounce the
/// flag's cache line between the cores of a parallel run; after the first, only loads happen.
fn mark_installed() {
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

fn grew(bytes: usize) {
    // `try_with`: a thread being torn down has no counters left; its allocations go
    // uncounted rather than panicking inside the allocator.
    let _ = HELD.try_with(|held| {
        let now = held.get().saturating_add(bytes);
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(bytes: usize) {
    let _ = HELD.try_with(|held| held.set(held.get().saturating_sub(bytes)));
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the counters only observe sizes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        mark_installed();
        // SAFETY: the caller's `layout` contract is passed on.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: `pointer` came from `alloc`/`realloc` above with this `layout`.
        unsafe { System.dealloc(pointer, layout) };
        shrank(layout.size());
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        mark_installed();
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc` and `dealloc`.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        moved
    }
}

/// Runs `work` and returns its result with the most heap bytes this thread held above what
/// it held at the start (`None` when [`CountingAllocator`] is not the global allocator).
pub fn measure<T>(work: impl FnOnce() -> T) -> (T, Option<u64>) {
    let start = HELD.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let result = work();
    let peak = PEAK.with(Cell::get);
    let bytes = INSTALLED.load(Ordering::Relaxed).then(|| peak.saturating_sub(start) as u64);
    (result, bytes)
}
