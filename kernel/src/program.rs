//! Loading programs into the kernel (`BPF_PROG_LOAD`) and running them
//! (`BPF_PROG_TEST_RUN`).

use std::os::fd::{AsRawFd, OwnedFd};

use crate::btf::FuncInfo;
use crate::error::KernelError;
use crate::sys;

pub use bpfprove_semantics::model::program_type::ProgramType;

/// `BPF_F_SLEEPABLE`.
const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// `BPF_PROG_LOAD`'s `prog_flags` for a program of type `program_type`: sleepable types
/// (`syscall` always, the `.s` sections) are loaded sleepable, as the kernel requires.
fn load_flags(program_type: ProgramType) -> u32 {
    if program_type.sleepable() { BPF_F_SLEEPABLE } else { 0 }
}

/// Size of the verifier log buffer asked for when a load fails.
const LOG_BYTES: usize = 16 << 20;

/// A program the kernel's verifier accepted; dropping it closes the descriptor.
#[derive(Debug)]
pub struct LoadedProgram {
    fd: OwnedFd,
    program_type: ProgramType,
}

/// What a program needs besides its bytecode.
#[derive(Clone, Copy, Debug)]
pub struct LoadRequest<'a> {
    /// The program type.
    pub program_type: ProgramType,
    /// The raw instructions (8-byte slots, little-endian).
    pub bytecode: &'a [u8],
    /// BTF and per-function records, needed for legacy packet loads in multi-function
    /// programs.
    pub func_info: Option<&'a FuncInfo>,
}

impl<'a> LoadRequest<'a> {
    /// A request without BTF.
    pub fn new(program_type: ProgramType, bytecode: &'a [u8]) -> LoadRequest<'a> {
        LoadRequest { program_type, bytecode, func_info: None }
    }
}

/// `BPF_F_XDP_HAS_FRAGS`: libbpf's `xdp.frags` sections.
pub const XDP_HAS_FRAGS: u32 = 1 << 5;

/// `BPF_PROG_LOAD`'s `prog_flags` a program of `section` needs beyond its type's: the
/// `xdp.frags` sections are loaded with [`XDP_HAS_FRAGS`].
pub fn section_flags(section: &str) -> u32 {
    if bpfprove_semantics::model::section::has_xdp_frags(section) { XDP_HAS_FRAGS } else { 0 }
}

/// Loads a program; a rejection carries the verifier log's last line.
pub fn load(request: &LoadRequest<'_>) -> Result<LoadedProgram, KernelError> {
    load_flagged(request, 0)
}

/// [`load`] with `extra_flags` added to the type's `prog_flags` ([`section_flags`]).
pub fn load_flagged(request: &LoadRequest<'_>, extra_flags: u32) -> Result<LoadedProgram, KernelError> {
    refuse_attach_targets(request.program_type)?;
    // A first attempt without a log is fast; only a failure is loaded again for its reason,
    // since a log buffer that fills up would itself fail the load.
    match load_attempt(request, extra_flags, 0, None) {
        Ok(fd) => Ok(LoadedProgram { fd, program_type: request.program_type }),
        Err(_) => {
            let mut log = vec![0u8; LOG_BYTES];
            match load_attempt(request, extra_flags, 1, Some(&mut log)) {
                Ok(fd) => Ok(LoadedProgram { fd, program_type: request.program_type }),
                Err(errno) => {
                    let log = log_text(&log);
                    let last_line = reason_line(&log).to_owned();
                    Err(KernelError::Rejected { errno, last_line, log })
                }
            }
        }
    }
}

/// Types whose load needs the BTF id of an attach target in the running kernel are not
/// loaded here.
pub(crate) fn refuse_attach_targets(program_type: ProgramType) -> Result<(), KernelError> {
    if program_type.needs_attach_btf_id() {
        return Err(KernelError::Unsupported(format!(
            "{program_type} programs need the BTF id of their attach target in the running kernel; not loaded here"
        )));
    }
    Ok(())
}

/// A verifier log buffer's text (up to its NUL).
pub(crate) fn log_text(log: &[u8]) -> String {
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    String::from_utf8_lossy(&log[..end]).into_owned()
}

/// The verifier's reason: the last non-empty line of the log before its statistics.
pub(crate) fn reason_line(log: &str) -> &str {
    let statistics = |line: &str| line.starts_with("processed ") || line.starts_with("verification time");
    log.lines().map(str::trim).rev().find(|l| !l.is_empty() && !statistics(l)).unwrap_or("(empty log)")
}

/// One `BPF_PROG_LOAD` of `request` at `log_level` (0: no log), with `extra_flags` added to
/// the type's `prog_flags`.
pub(crate) fn load_attempt(
    request: &LoadRequest<'_>,
    extra_flags: u32,
    log_level: u32,
    log: Option<&mut [u8]>,
) -> std::io::Result<OwnedFd> {
    let license = b"GPL\0";
    let insn_cnt = u32::try_from(request.bytecode.len() / 8).map_err(|_| std::io::Error::other("too many slots"))?;
    let mut attr = sys::ProgLoadAttr {
        prog_type: request.program_type.kernel_type(),
        expected_attach_type: request.program_type.expected_attach_type().unwrap_or(0),
        insn_cnt,
        insns: sys::address(request.bytecode),
        license: sys::address(license),
        prog_flags: load_flags(request.program_type) | extra_flags,
        ..Default::default()
    };
    attr.prog_name[..8].copy_from_slice(b"bpfprove");
    if let Some(log) = log {
        attr.log_level = log_level;
        attr.log_size = u32::try_from(log.len()).unwrap_or(u32::MAX);
        attr.log_buf = sys::address(log);
    }
    if let Some(info) = request.func_info {
        attr.prog_btf_fd = info.btf_fd().as_raw_fd() as u32;
        attr.func_info_rec_size = FuncInfo::RECORD_BYTES;
        attr.func_info = sys::address(info.records());
        attr.func_info_cnt = (info.records().len() as u32) / FuncInfo::RECORD_BYTES;
    }
    sys::bpf_fd(sys::PROG_LOAD, &mut attr)
}

/// The inputs of one test run.
#[derive(Debug, Default)]
pub struct TestInput<'a> {
    /// The packet (`data_in`), for packet program types.
    pub data: Option<&'a [u8]>,
    /// The context (`ctx_in`); for [`ProgramType::Syscall`] the kernel writes it back.
    pub ctx: Option<&'a mut [u8]>,
}

/// What a test run returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutput {
    /// The low 32 bits of `r0` (the kernel reports no more).
    pub retval: u32,
    /// The packet after the run (for packet program types).
    pub data: Vec<u8>,
}

/// Headroom for a packet that a program grows during a test run.
const DATA_OUT_SLACK: usize = 4096;

impl LoadedProgram {
    /// Runs the program once on `input`.
    pub fn test_run(&self, input: TestInput<'_>) -> Result<TestOutput, KernelError> {
        let too_large = |what, len| KernelError::TooLarge { what, len };
        // Syscall programs run exactly once and refuse a repeat count.
        let repeat = if self.program_type == ProgramType::Syscall { 0 } else { 1 };
        let mut attr = sys::TestRunAttr { prog_fd: self.fd.as_raw_fd() as u32, repeat, ..Default::default() };
        let mut data_out = Vec::new();
        if let Some(data) = input.data {
            data_out = vec![0u8; data.len() + DATA_OUT_SLACK];
            attr.data_in = sys::address(data);
            attr.data_size_in = u32::try_from(data.len()).map_err(|_| too_large("packet", data.len()))?;
            attr.data_out = sys::address_mut(&mut data_out);
            attr.data_size_out = data_out.len() as u32;
        }
        if let Some(ctx) = input.ctx {
            attr.ctx_size_in = u32::try_from(ctx.len()).map_err(|_| too_large("context", ctx.len()))?;
            attr.ctx_in = sys::address_mut(ctx);
        }
        sys::bpf(sys::PROG_TEST_RUN, &mut attr).map_err(|e| KernelError::syscall("BPF_PROG_TEST_RUN", e))?;
        data_out.truncate((attr.data_size_out as usize).min(data_out.len()));
        Ok(TestOutput { retval: attr.retval, data: data_out })
    }

    /// The type it was loaded as.
    pub fn program_type(&self) -> ProgramType {
        self.program_type
    }
}
