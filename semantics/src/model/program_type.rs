//! Program types: the kinds of program the kernel loads, how libbpf chooses one from an ELF
//! section name, the values each may return, and which context each gets.

use super::context::{ContextKind, PT_REGS_BYTES, XDP_MD, sk_buff};

/// The kinds of program the interpreter can give a context to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgramType {
    /// `BPF_PROG_TYPE_SOCKET_FILTER`: `__sk_buff`, no direct packet access.
    SocketFilter,
    /// `BPF_PROG_TYPE_XDP`: `xdp_md`.
    Xdp,
    /// `BPF_PROG_TYPE_SCHED_CLS` (tc classifier): `__sk_buff` with direct packet access.
    SchedCls,
    /// `BPF_PROG_TYPE_SCHED_ACT` (tc action): as [`ProgramType::SchedCls`].
    SchedAct,
    /// `BPF_PROG_TYPE_KPROBE` (kprobes, uprobes): x86-64 `pt_regs`.
    Kprobe,
    /// `BPF_PROG_TYPE_TRACEPOINT`: the tracepoint's raw record.
    Tracepoint,
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT`: the tracepoint's arguments as u64s.
    RawTracepoint,
}

/// Section-name prefixes and the program type they select. A section matches a prefix when
/// it equals it or continues it with `/`: libbpf's rule for `kprobe+`-style names, applied
/// to all (libbpf takes only some names, like `xdp/devmap`, after a bare `xdp`).
const SECTION_PREFIXES: &[(&str, ProgramType)] = &[
    ("socket", ProgramType::SocketFilter),
    ("kprobe", ProgramType::Kprobe),
    ("kretprobe", ProgramType::Kprobe),
    ("uprobe", ProgramType::Kprobe),
    ("uretprobe", ProgramType::Kprobe),
    ("ksyscall", ProgramType::Kprobe),
    ("kretsyscall", ProgramType::Kprobe),
    ("tc", ProgramType::SchedCls),
    ("tcx/ingress", ProgramType::SchedCls),
    ("tcx/egress", ProgramType::SchedCls),
    ("classifier", ProgramType::SchedCls),
    ("action", ProgramType::SchedAct),
    ("tracepoint", ProgramType::Tracepoint),
    ("tp", ProgramType::Tracepoint),
    ("raw_tracepoint", ProgramType::RawTracepoint),
    ("raw_tp", ProgramType::RawTracepoint),
    ("xdp", ProgramType::Xdp),
    ("xdp.frags", ProgramType::Xdp),
];

/// The values programs of a type may return, signed, one type per line (types not listed
/// return any number). The kernel's `check_return_code`.
const RETURN_RANGES: &[(ProgramType, i64, i64)] = &[
    // XDP_ABORTED ..= XDP_REDIRECT.
    (ProgramType::Xdp, 0, 4),
];

impl ProgramType {
    /// The signed range `r0` must lie in when a program of this type returns, if the type
    /// restricts it. The analyzer proves it; the interpreter reports a run that breaks it
    /// ([`super::TrapKind::ReturnOutOfRange`]).
    pub fn return_range(self) -> Option<(i64, i64)> {
        RETURN_RANGES.iter().find(|(t, _, _)| *t == self).map(|&(_, lo, hi)| (lo, hi))
    }

    /// The program type of ELF section `section` (a `SEC(...)` name), as libbpf decides it.
    pub fn of_section(section: &str) -> Option<ProgramType> {
        SECTION_PREFIXES.iter().find_map(|&(prefix, program_type)| {
            let rest = section.strip_prefix(prefix)?;
            (rest.is_empty() || rest.starts_with('/')).then_some(program_type)
        })
    }

    /// The kernel's name for it.
    pub fn name(self) -> &'static str {
        match self {
            ProgramType::SocketFilter => "socket_filter",
            ProgramType::Xdp => "xdp",
            ProgramType::SchedCls => "sched_cls",
            ProgramType::SchedAct => "sched_act",
            ProgramType::Kprobe => "kprobe",
            ProgramType::Tracepoint => "tracepoint",
            ProgramType::RawTracepoint => "raw_tracepoint",
        }
    }

    /// What the program's context is.
    pub fn context(self) -> ContextKind {
        match self {
            ProgramType::Xdp => ContextKind::Packet(&XDP_MD),
            ProgramType::SocketFilter => ContextKind::Packet(&sk_buff::SOCKET_FILTER),
            ProgramType::SchedCls | ProgramType::SchedAct => ContextKind::Packet(&sk_buff::TC),
            ProgramType::Kprobe => ContextKind::Raw { size: Some(PT_REGS_BYTES) },
            ProgramType::Tracepoint | ProgramType::RawTracepoint => ContextKind::Raw { size: None },
        }
    }

    /// Whether it may read and write the packet directly (`data`..`data_end`).
    pub fn direct_packet_access(self) -> bool {
        matches!(self, ProgramType::Xdp | ProgramType::SchedCls | ProgramType::SchedAct)
    }

    /// Whether it may use the legacy packet loads LD_ABS and LD_IND (Linux's
    /// `may_access_skb`: socket filters and tc).
    pub fn legacy_packet_loads(self) -> bool {
        matches!(self, ProgramType::SocketFilter | ProgramType::SchedCls | ProgramType::SchedAct)
    }

    /// Whether it may write the `__sk_buff` fields tc programs may write.
    pub fn tc(self) -> bool {
        matches!(self, ProgramType::SchedCls | ProgramType::SchedAct)
    }
}

impl std::fmt::Display for ProgramType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
