//! Executable memory under W^X: code is copied into a private read-write mapping, which
//! is then sealed read-execute with `mprotect` before anything runs. No page is ever
//! writable and executable at once.

use crate::error::JitError;

/// A sealed, executable copy of some machine code; unmapped on drop.
#[derive(Debug)]
pub(crate) struct ExecutableCode {
    base: *mut u8,
    mapped: usize,
    len: usize,
}

// The mapping is immutable once sealed, so sharing it across threads is safe.
unsafe impl Send for ExecutableCode {}
unsafe impl Sync for ExecutableCode {}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
}

fn last_os_error(operation: &'static str) -> JitError {
    JitError::Host { operation, message: std::io::Error::last_os_error().to_string() }
}

impl ExecutableCode {
    /// Maps `code` read-write, copies it, and seals it read-execute.
    pub fn new(code: &[u8]) -> Result<ExecutableCode, JitError> {
        let page = page_size();
        let mapped = code.len().max(1).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping with no address hint aliases nothing.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(last_os_error("mmap"));
        }
        let executable = ExecutableCode { base: base.cast(), mapped, len: code.len() };
        // SAFETY: the mapping is `mapped >= code.len()` bytes, writable, and fresh.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), executable.base, code.len()) };
        // SAFETY: `base..base + mapped` is exactly the mapping created above.
        if unsafe { libc::mprotect(base, mapped, libc::PROT_READ | libc::PROT_EXEC) } != 0 {
            return Err(last_os_error("mprotect"));
        }
        Ok(executable)
    }

    /// Host address of the first byte.
    pub fn base(&self) -> *const u8 {
        self.base
    }

    /// The code bytes, read back from the sealed mapping.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is readable and `len` bytes long, and never written again.
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }
}

impl Drop for ExecutableCode {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` created; nothing refers to it any more.
        unsafe { libc::munmap(self.base.cast(), self.mapped) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The permissions `/proc/self/maps` lists for the mapping containing `address`.
    fn permissions_of(address: usize) -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("Linux exposes /proc/self/maps");
        for line in maps.lines() {
            let mut fields = line.split_whitespace();
            let range = fields.next().expect("an address range");
            let permissions = fields.next().expect("permissions");
            let (start, end) = range.split_once('-').expect("start-end");
            let start = usize::from_str_radix(start, 16).expect("hex start");
            let end = usize::from_str_radix(end, 16).expect("hex end");
            if (start..end).contains(&address) {
                return permissions.to_string();
            }
        }
        panic!("no mapping contains {address:#x}");
    }

    #[test]
    fn sealed_code_is_executable_and_not_writable() {
        // mov eax, 42; ret
        let code = ExecutableCode::new(&[0xb8, 42, 0, 0, 0, 0xc3]).expect("mapping succeeds");
        let permissions = permissions_of(code.base() as usize);
        assert!(permissions.starts_with("r-x"), "sealed page is {permissions}, expected r-x");
        assert!(!permissions.contains('w'), "sealed page is writable: {permissions}");
        // SAFETY: the bytes are a complete function returning 42 under the C ABI.
        let function: extern "C" fn() -> u32 = unsafe { std::mem::transmute(code.base()) };
        assert_eq!(function(), 42);
        assert_eq!(code.bytes(), &[0xb8, 42, 0, 0, 0, 0xc3]);
    }
}
