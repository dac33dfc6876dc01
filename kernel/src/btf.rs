//! The smallest BTF the kernel accepts beside a multi-function program: every function
//! typed `int f(void *ctx)`, and one `bpf_func_info` record per function. The kernel asks
//! for it when legacy packet loads (`LD_ABS`/`LD_IND`) and bpf-to-bpf calls meet, because
//! such a load may end the function it is in, which must then return an `int`.

use std::os::fd::OwnedFd;

use crate::error::KernelError;
use crate::sys;

const MAGIC: u16 = 0xeb9f;
const KIND_INT: u32 = 1;
const KIND_PTR: u32 = 2;
const KIND_FUNC: u32 = 12;
const KIND_FUNC_PROTO: u32 = 13;
const INT_SIGNED: u32 = 1;
/// `BTF_FUNC_STATIC`: the verifier checks a static function in its caller's context.
const LINKAGE_STATIC: u32 = 0;
/// `BTF_FUNC_GLOBAL`, for the program's entry function.
const LINKAGE_GLOBAL: u32 = 1;

/// BTF loaded into the kernel plus the `bpf_func_info` records that point into it.
#[derive(Debug)]
pub struct FuncInfo {
    btf: OwnedFd,
    records: Vec<u8>,
}

impl FuncInfo {
    /// Bytes of one `bpf_func_info` record (`insn_off`, `type_id`).
    pub const RECORD_BYTES: u32 = 8;

    /// Builds and loads BTF for functions starting at the slots `entries` (the first is the
    /// program's entry, slot 0).
    pub fn for_entries(entries: &[usize]) -> Result<FuncInfo, KernelError> {
        let bytes = encode(entries.len());
        let mut log = vec![0u8; 64 << 10];
        let mut attr = sys::BtfLoadAttr {
            btf: sys::address(&bytes),
            btf_size: bytes.len() as u32,
            btf_log_buf: sys::address_mut(&mut log),
            btf_log_size: log.len() as u32,
            btf_log_level: 1,
            ..Default::default()
        };
        let btf = sys::bpf_fd(sys::BTF_LOAD, &mut attr).map_err(|e| KernelError::syscall("BPF_BTF_LOAD", e))?;
        let mut records = Vec::new();
        for (index, &entry) in entries.iter().enumerate() {
            let slot = u32::try_from(entry).map_err(|_| KernelError::Unsupported(format!("slot {entry} over u32")))?;
            records.extend_from_slice(&slot.to_le_bytes());
            records.extend_from_slice(&function_type_id(index).to_le_bytes());
        }
        Ok(FuncInfo { btf, records })
    }

    pub(crate) fn btf_fd(&self) -> &OwnedFd {
        &self.btf
    }

    pub(crate) fn records(&self) -> &[u8] {
        &self.records
    }
}

/// Type ids: 1 `int`, 2 `void *`, 3 `int (void *ctx)`, then one `FUNC` per function.
fn function_type_id(index: usize) -> u32 {
    4 + index as u32
}

/// Names are `f0`, `f1`, …; the string section holds `int`, `ctx` and those.
fn encode(functions: usize) -> Vec<u8> {
    let mut strings = b"\0int\0ctx\0".to_vec();
    let int_name = 1u32;
    let ctx_name = 5u32;
    let mut types = Vec::new();
    let mut push = |words: &[u32]| words.iter().for_each(|w| types.extend_from_slice(&w.to_le_bytes()));
    push(&[int_name, KIND_INT << 24, 4, (INT_SIGNED << 24) | 32]);
    push(&[0, KIND_PTR << 24, 0]);
    push(&[0, (KIND_FUNC_PROTO << 24) | 1, 1, ctx_name, 2]);
    for index in 0..functions {
        let name = strings.len() as u32;
        strings.extend_from_slice(format!("f{index}\0").as_bytes());
        let linkage = if index == 0 { LINKAGE_GLOBAL } else { LINKAGE_STATIC };
        push(&[name, (KIND_FUNC << 24) | linkage, 3]);
    }
    let header_len = 24u32;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&MAGIC.to_le_bytes());
    bytes.push(1); // version
    bytes.push(0); // flags
    for word in [header_len, 0, types.len() as u32, types.len() as u32, strings.len() as u32] {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    bytes.extend_from_slice(&types);
    bytes.extend_from_slice(&strings);
    bytes
}
