//! Large output buffers backed by transparent huge pages where the kernel offers them.
//!
//! A read of a large box writes each page of a freshly allocated output once, so with 4 KiB pages
//! the page faults cost more than decoding the blocks (3 million faults for 4 GiB). numpy asks
//! for huge pages on its arrays, which is why the Python reference did not pay this; we ask the
//! same for our outputs.

/// Below this a buffer gains nothing: it holds at most one huge page.
const MIN_BYTES: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;

/// Advises the kernel to back the 2 MiB-aligned interior of `buffer` with huge pages. Pages that
/// are already present keep their contents; it is a hint, so any failure is ignored.
pub fn advise(buffer: &mut [u8]) {
    if buffer.len() < MIN_BYTES {
        return;
    }
    let start = buffer.as_mut_ptr() as usize;
    let first = start.next_multiple_of(HUGE_PAGE);
    let end = (start + buffer.len()) / HUGE_PAGE * HUGE_PAGE;
    if end > first {
        #[cfg(target_os = "linux")]
        // SAFETY: the range lies inside `buffer`, which we borrow mutably; MADV_HUGEPAGE neither
        // changes nor frees memory.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}
