//! The `bpf(2)` system call: the attribute blocks of the commands this crate uses, laid out
//! as in `include/uapi/linux/bpf.h`, and [`bpf`], the one place that calls into the kernel.
//!
//! Every block is `repr(C)` and zero-initialised through `Default`: the kernel requires the
//! bytes of fields it knows but the caller does not use to be zero.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// `BPF_MAP_CREATE`.
pub const MAP_CREATE: u32 = 0;
/// `BPF_MAP_LOOKUP_ELEM`.
pub const MAP_LOOKUP_ELEM: u32 = 1;
/// `BPF_MAP_UPDATE_ELEM`.
pub const MAP_UPDATE_ELEM: u32 = 2;
/// `BPF_PROG_LOAD`.
pub const PROG_LOAD: u32 = 5;
/// `BPF_PROG_TEST_RUN`.
pub const PROG_TEST_RUN: u32 = 10;
/// `BPF_BTF_LOAD`.
pub const BTF_LOAD: u32 = 18;

/// `attr` of `BPF_MAP_CREATE` (the fields up to `map_extra`).
#[repr(C)]
#[derive(Default)]
pub struct MapCreateAttr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; 16],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
}

/// `attr` of `BPF_MAP_*_ELEM`.
#[repr(C)]
#[derive(Default)]
pub struct MapElemAttr {
    pub map_fd: u32,
    pub pad: u32,
    pub key: u64,
    pub value: u64,
    pub flags: u64,
}

/// `attr` of `BPF_PROG_LOAD` (the fields up to `fd_array`).
#[repr(C)]
#[derive(Default)]
pub struct ProgLoadAttr {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; 16],
    pub prog_ifindex: u32,
    pub expected_attach_type: u32,
    pub prog_btf_fd: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub func_info_cnt: u32,
    pub line_info_rec_size: u32,
    pub line_info: u64,
    pub line_info_cnt: u32,
    pub attach_btf_id: u32,
    pub attach_prog_fd: u32,
    pub core_relo_cnt: u32,
    pub fd_array: u64,
}

/// `attr` of `BPF_PROG_TEST_RUN`.
#[repr(C)]
#[derive(Default)]
pub struct TestRunAttr {
    pub prog_fd: u32,
    pub retval: u32,
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
    pub pad: u32,
}

/// `attr` of `BPF_BTF_LOAD`.
#[repr(C)]
#[derive(Default)]
pub struct BtfLoadAttr {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    pub btf_log_true_size: u32,
}

/// An attribute block the kernel reads (and, for some commands, writes back).
///
/// # Safety
///
/// Implementors must be `repr(C)` plain data whose pointer fields (stored as `u64`) are
/// either zero or point to buffers that outlive the call, with the sizes the neighbouring
/// length fields state.
pub unsafe trait Attr {}

// SAFETY: each is repr(C) plain data; the callers in this crate fill pointer fields only
// from live slices and vectors whose lengths they store beside them.
unsafe impl Attr for MapCreateAttr {}
// SAFETY: as above.
unsafe impl Attr for MapElemAttr {}
// SAFETY: as above.
unsafe impl Attr for ProgLoadAttr {}
// SAFETY: as above.
unsafe impl Attr for TestRunAttr {}
// SAFETY: as above.
unsafe impl Attr for BtfLoadAttr {}

/// Runs `bpf(cmd, attr, sizeof attr)`, returning its non-negative result.
pub fn bpf<A: Attr>(cmd: u32, attr: &mut A) -> io::Result<i64> {
    // SAFETY: `attr` is a live, exclusively borrowed repr(C) block of the stated size, and
    // the `Attr` contract makes every pointer inside it valid for the call; the kernel
    // writes back only inside the block and into buffers those pointers name.
    let result = unsafe {
        libc::syscall(libc::SYS_bpf, cmd as libc::c_long, attr as *mut A as *mut libc::c_void, size_of::<A>())
    };
    if result < 0 { Err(io::Error::last_os_error()) } else { Ok(result) }
}

/// Runs a command that returns a new file descriptor, and takes ownership of it.
pub fn bpf_fd<A: Attr>(cmd: u32, attr: &mut A) -> io::Result<OwnedFd> {
    let fd = bpf(cmd, attr)?;
    let fd = i32::try_from(fd).map_err(|_| io::Error::other("bpf(2) returned a descriptor over i32"))?;
    // SAFETY: on success these commands return a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The address of a slice, as the kernel's `__aligned_u64` pointer fields want it.
pub fn address<T>(slice: &[T]) -> u64 {
    if slice.is_empty() { 0 } else { slice.as_ptr() as u64 }
}

/// The address of a buffer the kernel writes into.
pub fn address_mut<T>(slice: &mut [T]) -> u64 {
    if slice.is_empty() { 0 } else { slice.as_mut_ptr() as u64 }
}
