//! Kernel maps (`BPF_MAP_CREATE`) for the programs that use them, and their contents.

use std::os::fd::{AsRawFd, OwnedFd};

use crate::error::KernelError;
use crate::sys;

/// The shape of a map, as `BPF_MAP_CREATE` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapShape {
    /// The kernel's `BPF_MAP_TYPE_*` number.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Largest number of entries.
    pub max_entries: u32,
    /// `BPF_F_*` creation flags.
    pub flags: u32,
}

/// A map in the kernel; dropping it closes the descriptor.
#[derive(Debug)]
pub struct KernelMap {
    fd: OwnedFd,
    shape: MapShape,
}

impl KernelMap {
    /// Creates a map of `shape`.
    pub fn create(shape: MapShape) -> Result<KernelMap, KernelError> {
        KernelMap::create_with_extra(shape, 0)
    }

    /// Creates a map of `shape` with `map_extra` (a bloom filter's hash count, an arena's
    /// start address).
    pub fn create_with_extra(shape: MapShape, map_extra: u64) -> Result<KernelMap, KernelError> {
        let mut attr = sys::MapCreateAttr {
            map_type: shape.map_type,
            key_size: shape.key_size,
            value_size: shape.value_size,
            max_entries: shape.max_entries,
            map_flags: shape.flags,
            map_extra,
            ..Default::default()
        };
        let fd = sys::bpf_fd(sys::MAP_CREATE, &mut attr).map_err(|e| KernelError::syscall("BPF_MAP_CREATE", e))?;
        Ok(KernelMap { fd, shape })
    }

    /// The descriptor number a program's `lddw` names the map by.
    pub fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Its shape.
    pub fn shape(&self) -> MapShape {
        self.shape
    }

    /// Writes `value` at `key` (`BPF_ANY`).
    pub fn update(&self, key: &[u8], value: &[u8]) -> Result<(), KernelError> {
        self.check_sizes(key, value)?;
        let mut attr = sys::MapElemAttr {
            map_fd: self.fd.as_raw_fd() as u32,
            key: sys::address(key),
            value: sys::address(value),
            ..Default::default()
        };
        sys::bpf(sys::MAP_UPDATE_ELEM, &mut attr).map_err(|e| KernelError::syscall("BPF_MAP_UPDATE_ELEM", e))?;
        Ok(())
    }

    /// The value at `key`, or `None` when there is none.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KernelError> {
        let mut value = vec![0u8; self.shape.value_size as usize];
        self.check_sizes(key, &value)?;
        let mut attr = sys::MapElemAttr {
            map_fd: self.fd.as_raw_fd() as u32,
            key: sys::address(key),
            value: sys::address_mut(&mut value),
            ..Default::default()
        };
        match sys::bpf(sys::MAP_LOOKUP_ELEM, &mut attr) {
            Ok(_) => Ok(Some(value)),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
            Err(e) => Err(KernelError::syscall("BPF_MAP_LOOKUP_ELEM", e)),
        }
    }

    fn check_sizes(&self, key: &[u8], value: &[u8]) -> Result<(), KernelError> {
        if key.len() != self.shape.key_size as usize || value.len() != self.shape.value_size as usize {
            return Err(KernelError::Unsupported(format!(
                "map element of {}+{} bytes, the map holds {}+{}",
                key.len(),
                value.len(),
                self.shape.key_size,
                self.shape.value_size
            )));
        }
        Ok(())
    }
}
