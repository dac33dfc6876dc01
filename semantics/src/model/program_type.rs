//! Program types: the kinds of program the kernel loads, the values each may return, and
//! which context each gets.
//!
//! A [`ProgramType`] is a kernel `enum bpf_prog_type` refined by the expected attach type
//! wherever the attach type changes the verifier's rules (return values, context fields,
//! helpers): `cgroup_skb` ingress and egress are two types, so are the seventeen
//! `cgroup_sock_addr` hooks. Attach types the verifier ignores (tcx and netkit for tc
//! programs, the probe flavours of kprobes) are not separate types.
//!
//! Sleepable programs (`BPF_F_SLEEPABLE`, libbpf's `.s` sections) are separate variants
//! (`FentrySleepable`, `LsmSleepable`, ...) rather than a flag beside the type: sleepability
//! changes which helpers and kfuncs a program may call, so every table keyed by the type
//! (availability, the analyzer's rules, the interpreter's checks) sees it without any
//! reader having to carry a second value. [`ProgramType::sleepable`] says which they are.
//!
//! The section-name rules that choose a type are in [`super::section`].

use super::context::{
    ContextKind, PT_REGS_BYTES, XDP_MD, cgroup_dev, iter, nf, perf_event, sk_buff, sk_lookup, sk_msg, sk_reuseport,
    sock, sock_addr, sock_ops, sockopt, sysctl, xdp_md,
};

/// A program type as the verifier sees it: kernel program type plus the expected attach
/// type where that changes the rules, plus sleepability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProgramType {
    /// `BPF_PROG_TYPE_SOCKET_FILTER`: `__sk_buff`, no direct packet access.
    SocketFilter,
    /// `BPF_PROG_TYPE_KPROBE` (kprobes, uprobes, ksyscalls, USDTs): x86-64 `pt_regs`.
    Kprobe,
    /// `BPF_PROG_TYPE_KPROBE`, sleepable (`uprobe.s`, `uretprobe.s`, `usdt.s`).
    UprobeSleepable,
    /// `BPF_PROG_TYPE_KPROBE` with `BPF_TRACE_KPROBE_MULTI` (`kprobe.multi`, `kretprobe.multi`).
    KprobeMulti,
    /// `BPF_PROG_TYPE_KPROBE` with `BPF_TRACE_KPROBE_SESSION` (`kprobe.session`).
    KprobeSession,
    /// `BPF_PROG_TYPE_KPROBE` with `BPF_TRACE_UPROBE_MULTI` (`uprobe.multi`, `uretprobe.multi`).
    UprobeMulti,
    /// As [`ProgramType::UprobeMulti`], sleepable (`uprobe.multi.s`).
    UprobeMultiSleepable,
    /// `BPF_PROG_TYPE_SCHED_CLS` (tc classifier, tcx, netkit): `__sk_buff` with direct
    /// packet access.
    SchedCls,
    /// `BPF_PROG_TYPE_SCHED_ACT` (tc action): as [`ProgramType::SchedCls`].
    SchedAct,
    /// `BPF_PROG_TYPE_TRACEPOINT`: the tracepoint's raw record.
    Tracepoint,
    /// `BPF_PROG_TYPE_XDP` (`BPF_XDP`): `xdp_md`.
    Xdp,
    /// `BPF_PROG_TYPE_XDP` with `BPF_XDP_DEVMAP`: programs run by a devmap entry.
    XdpDevmap,
    /// `BPF_PROG_TYPE_XDP` with `BPF_XDP_CPUMAP`: programs run by a cpumap entry.
    XdpCpumap,
    /// `BPF_PROG_TYPE_PERF_EVENT`: `bpf_perf_event_data`.
    PerfEvent,
    /// `BPF_PROG_TYPE_CGROUP_SKB` with `BPF_CGROUP_INET_INGRESS` (also `cgroup/skb`).
    CgroupSkbIngress,
    /// `BPF_PROG_TYPE_CGROUP_SKB` with `BPF_CGROUP_INET_EGRESS`.
    CgroupSkbEgress,
    /// `BPF_PROG_TYPE_CGROUP_SOCK`, one of its hooks.
    CgroupSock(CgroupSockHook),
    /// `BPF_PROG_TYPE_LWT_IN`.
    LwtIn,
    /// `BPF_PROG_TYPE_LWT_OUT`.
    LwtOut,
    /// `BPF_PROG_TYPE_LWT_XMIT`.
    LwtXmit,
    /// `BPF_PROG_TYPE_LWT_SEG6LOCAL`.
    LwtSeg6local,
    /// `BPF_PROG_TYPE_SOCK_OPS`.
    SockOps,
    /// `BPF_PROG_TYPE_SK_SKB` with no attach type (`sk_skb`).
    SkSkb,
    /// `BPF_PROG_TYPE_SK_SKB` with `BPF_SK_SKB_STREAM_PARSER`.
    SkSkbStreamParser,
    /// `BPF_PROG_TYPE_SK_SKB` with `BPF_SK_SKB_STREAM_VERDICT`.
    SkSkbStreamVerdict,
    /// `BPF_PROG_TYPE_SK_SKB` with `BPF_SK_SKB_VERDICT`.
    SkSkbVerdict,
    /// `BPF_PROG_TYPE_CGROUP_DEVICE`.
    CgroupDevice,
    /// `BPF_PROG_TYPE_SK_MSG`.
    SkMsg,
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT`: the tracepoint's arguments as u64s.
    RawTracepoint,
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE` (`raw_tp.w`).
    RawTracepointWritable,
    /// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`, one of its hooks.
    CgroupSockAddr(SockAddrHook),
    /// `BPF_PROG_TYPE_LIRC_MODE2`.
    LircMode2,
    /// `BPF_PROG_TYPE_SK_REUSEPORT` with `BPF_SK_REUSEPORT_SELECT`.
    SkReuseport,
    /// `BPF_PROG_TYPE_SK_REUSEPORT` with `BPF_SK_REUSEPORT_SELECT_OR_MIGRATE`.
    SkReuseportMigrate,
    /// `BPF_PROG_TYPE_FLOW_DISSECTOR`.
    FlowDissector,
    /// `BPF_PROG_TYPE_CGROUP_SYSCTL`.
    CgroupSysctl,
    /// `BPF_PROG_TYPE_CGROUP_SOCKOPT` with `BPF_CGROUP_GETSOCKOPT`.
    CgroupGetsockopt,
    /// `BPF_PROG_TYPE_CGROUP_SOCKOPT` with `BPF_CGROUP_SETSOCKOPT`.
    CgroupSetsockopt,
    /// `BPF_PROG_TYPE_TRACING` with `BPF_TRACE_RAW_TP` (`tp_btf`).
    TpBtf,
    /// `BPF_PROG_TYPE_TRACING` with `BPF_TRACE_FENTRY`.
    Fentry,
    /// As [`ProgramType::Fentry`], sleepable.
    FentrySleepable,
    /// `BPF_PROG_TYPE_TRACING` with `BPF_TRACE_FEXIT`.
    Fexit,
    /// As [`ProgramType::Fexit`], sleepable.
    FexitSleepable,
    /// `BPF_PROG_TYPE_TRACING` with `BPF_MODIFY_RETURN`.
    FmodRet,
    /// As [`ProgramType::FmodRet`], sleepable.
    FmodRetSleepable,
    /// `BPF_PROG_TYPE_TRACING` with `BPF_TRACE_ITER`.
    Iter,
    /// As [`ProgramType::Iter`], sleepable.
    IterSleepable,
    /// `BPF_PROG_TYPE_STRUCT_OPS`.
    StructOps,
    /// As [`ProgramType::StructOps`], sleepable.
    StructOpsSleepable,
    /// `BPF_PROG_TYPE_EXT` (`freplace`): replaces a function of another program.
    Ext,
    /// `BPF_PROG_TYPE_LSM` with `BPF_LSM_MAC`.
    Lsm,
    /// As [`ProgramType::Lsm`], sleepable.
    LsmSleepable,
    /// `BPF_PROG_TYPE_LSM` with `BPF_LSM_CGROUP`.
    LsmCgroup,
    /// `BPF_PROG_TYPE_SK_LOOKUP`.
    SkLookup,
    /// `BPF_PROG_TYPE_SYSCALL`, always sleepable.
    Syscall,
    /// `BPF_PROG_TYPE_NETFILTER`.
    Netfilter,
}

/// The hooks of `BPF_PROG_TYPE_CGROUP_SOCK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CgroupSockHook {
    /// `BPF_CGROUP_INET_SOCK_CREATE` (`cgroup/sock_create`, `cgroup/sock`).
    Create,
    /// `BPF_CGROUP_INET_SOCK_RELEASE`.
    Release,
    /// `BPF_CGROUP_INET4_POST_BIND`.
    PostBind4,
    /// `BPF_CGROUP_INET6_POST_BIND`.
    PostBind6,
}

/// The hooks of `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SockAddrHook {
    /// `BPF_CGROUP_INET4_BIND`.
    Bind4,
    /// `BPF_CGROUP_INET6_BIND`.
    Bind6,
    /// `BPF_CGROUP_INET4_CONNECT`.
    Connect4,
    /// `BPF_CGROUP_INET6_CONNECT`.
    Connect6,
    /// `BPF_CGROUP_UNIX_CONNECT`.
    ConnectUnix,
    /// `BPF_CGROUP_UDP4_SENDMSG`.
    Sendmsg4,
    /// `BPF_CGROUP_UDP6_SENDMSG`.
    Sendmsg6,
    /// `BPF_CGROUP_UNIX_SENDMSG`.
    SendmsgUnix,
    /// `BPF_CGROUP_UDP4_RECVMSG`.
    Recvmsg4,
    /// `BPF_CGROUP_UDP6_RECVMSG`.
    Recvmsg6,
    /// `BPF_CGROUP_UNIX_RECVMSG`.
    RecvmsgUnix,
    /// `BPF_CGROUP_INET4_GETPEERNAME`.
    Getpeername4,
    /// `BPF_CGROUP_INET6_GETPEERNAME`.
    Getpeername6,
    /// `BPF_CGROUP_UNIX_GETPEERNAME`.
    GetpeernameUnix,
    /// `BPF_CGROUP_INET4_GETSOCKNAME`.
    Getsockname4,
    /// `BPF_CGROUP_INET6_GETSOCKNAME`.
    Getsockname6,
    /// `BPF_CGROUP_UNIX_GETSOCKNAME`.
    GetsocknameUnix,
}

/// `enum bpf_prog_type` numbers (include/uapi/linux/bpf.h).
pub(crate) mod prog_type {
    pub const SOCKET_FILTER: u32 = 1;
    pub const KPROBE: u32 = 2;
    pub const SCHED_CLS: u32 = 3;
    pub const SCHED_ACT: u32 = 4;
    pub const TRACEPOINT: u32 = 5;
    pub const XDP: u32 = 6;
    pub const PERF_EVENT: u32 = 7;
    pub const CGROUP_SKB: u32 = 8;
    pub const CGROUP_SOCK: u32 = 9;
    pub const LWT_IN: u32 = 10;
    pub const LWT_OUT: u32 = 11;
    pub const LWT_XMIT: u32 = 12;
    pub const SOCK_OPS: u32 = 13;
    pub const SK_SKB: u32 = 14;
    pub const CGROUP_DEVICE: u32 = 15;
    pub const SK_MSG: u32 = 16;
    pub const RAW_TRACEPOINT: u32 = 17;
    pub const CGROUP_SOCK_ADDR: u32 = 18;
    pub const LWT_SEG6LOCAL: u32 = 19;
    pub const LIRC_MODE2: u32 = 20;
    pub const SK_REUSEPORT: u32 = 21;
    pub const FLOW_DISSECTOR: u32 = 22;
    pub const CGROUP_SYSCTL: u32 = 23;
    pub const RAW_TRACEPOINT_WRITABLE: u32 = 24;
    pub const CGROUP_SOCKOPT: u32 = 25;
    pub const TRACING: u32 = 26;
    pub const STRUCT_OPS: u32 = 27;
    pub const EXT: u32 = 28;
    pub const LSM: u32 = 29;
    pub const SK_LOOKUP: u32 = 30;
    pub const SYSCALL: u32 = 31;
    pub const NETFILTER: u32 = 32;
}

/// `enum bpf_attach_type` numbers (include/uapi/linux/bpf.h).
pub mod attach_type {
    /// `BPF_CGROUP_INET_INGRESS`.
    pub const CGROUP_INET_INGRESS: u32 = 0;
    /// `BPF_CGROUP_INET_EGRESS`.
    pub const CGROUP_INET_EGRESS: u32 = 1;
    /// `BPF_CGROUP_INET_SOCK_CREATE`.
    pub const CGROUP_INET_SOCK_CREATE: u32 = 2;
    /// `BPF_CGROUP_SOCK_OPS`.
    pub const CGROUP_SOCK_OPS: u32 = 3;
    /// `BPF_SK_SKB_STREAM_PARSER`.
    pub const SK_SKB_STREAM_PARSER: u32 = 4;
    /// `BPF_SK_SKB_STREAM_VERDICT`.
    pub const SK_SKB_STREAM_VERDICT: u32 = 5;
    /// `BPF_CGROUP_DEVICE`.
    pub const CGROUP_DEVICE: u32 = 6;
    /// `BPF_SK_MSG_VERDICT`.
    pub const SK_MSG_VERDICT: u32 = 7;
    /// `BPF_CGROUP_INET4_BIND`.
    pub const CGROUP_INET4_BIND: u32 = 8;
    /// `BPF_CGROUP_INET6_BIND`.
    pub const CGROUP_INET6_BIND: u32 = 9;
    /// `BPF_CGROUP_INET4_CONNECT`.
    pub const CGROUP_INET4_CONNECT: u32 = 10;
    /// `BPF_CGROUP_INET6_CONNECT`.
    pub const CGROUP_INET6_CONNECT: u32 = 11;
    /// `BPF_CGROUP_INET4_POST_BIND`.
    pub const CGROUP_INET4_POST_BIND: u32 = 12;
    /// `BPF_CGROUP_INET6_POST_BIND`.
    pub const CGROUP_INET6_POST_BIND: u32 = 13;
    /// `BPF_CGROUP_UDP4_SENDMSG`.
    pub const CGROUP_UDP4_SENDMSG: u32 = 14;
    /// `BPF_CGROUP_UDP6_SENDMSG`.
    pub const CGROUP_UDP6_SENDMSG: u32 = 15;
    /// `BPF_LIRC_MODE2`.
    pub const LIRC_MODE2: u32 = 16;
    /// `BPF_FLOW_DISSECTOR`.
    pub const FLOW_DISSECTOR: u32 = 17;
    /// `BPF_CGROUP_SYSCTL`.
    pub const CGROUP_SYSCTL: u32 = 18;
    /// `BPF_CGROUP_UDP4_RECVMSG`.
    pub const CGROUP_UDP4_RECVMSG: u32 = 19;
    /// `BPF_CGROUP_UDP6_RECVMSG`.
    pub const CGROUP_UDP6_RECVMSG: u32 = 20;
    /// `BPF_CGROUP_GETSOCKOPT`.
    pub const CGROUP_GETSOCKOPT: u32 = 21;
    /// `BPF_CGROUP_SETSOCKOPT`.
    pub const CGROUP_SETSOCKOPT: u32 = 22;
    /// `BPF_TRACE_RAW_TP`.
    pub const TRACE_RAW_TP: u32 = 23;
    /// `BPF_TRACE_FENTRY`.
    pub const TRACE_FENTRY: u32 = 24;
    /// `BPF_TRACE_FEXIT`.
    pub const TRACE_FEXIT: u32 = 25;
    /// `BPF_MODIFY_RETURN`.
    pub const MODIFY_RETURN: u32 = 26;
    /// `BPF_LSM_MAC`.
    pub const LSM_MAC: u32 = 27;
    /// `BPF_TRACE_ITER`.
    pub const TRACE_ITER: u32 = 28;
    /// `BPF_CGROUP_INET4_GETPEERNAME`.
    pub const CGROUP_INET4_GETPEERNAME: u32 = 29;
    /// `BPF_CGROUP_INET6_GETPEERNAME`.
    pub const CGROUP_INET6_GETPEERNAME: u32 = 30;
    /// `BPF_CGROUP_INET4_GETSOCKNAME`.
    pub const CGROUP_INET4_GETSOCKNAME: u32 = 31;
    /// `BPF_CGROUP_INET6_GETSOCKNAME`.
    pub const CGROUP_INET6_GETSOCKNAME: u32 = 32;
    /// `BPF_XDP_DEVMAP`.
    pub const XDP_DEVMAP: u32 = 33;
    /// `BPF_CGROUP_INET_SOCK_RELEASE`.
    pub const CGROUP_INET_SOCK_RELEASE: u32 = 34;
    /// `BPF_XDP_CPUMAP`.
    pub const XDP_CPUMAP: u32 = 35;
    /// `BPF_SK_LOOKUP`.
    pub const SK_LOOKUP: u32 = 36;
    /// `BPF_XDP`.
    pub const XDP: u32 = 37;
    /// `BPF_SK_SKB_VERDICT`.
    pub const SK_SKB_VERDICT: u32 = 38;
    /// `BPF_SK_REUSEPORT_SELECT`.
    pub const SK_REUSEPORT_SELECT: u32 = 39;
    /// `BPF_SK_REUSEPORT_SELECT_OR_MIGRATE`.
    pub const SK_REUSEPORT_SELECT_OR_MIGRATE: u32 = 40;
    /// `BPF_TRACE_KPROBE_MULTI`.
    pub const TRACE_KPROBE_MULTI: u32 = 42;
    /// `BPF_LSM_CGROUP`.
    pub const LSM_CGROUP: u32 = 43;
    /// `BPF_NETFILTER`.
    pub const NETFILTER: u32 = 45;
    /// `BPF_TRACE_UPROBE_MULTI`.
    pub const TRACE_UPROBE_MULTI: u32 = 48;
    /// `BPF_CGROUP_UNIX_CONNECT`.
    pub const CGROUP_UNIX_CONNECT: u32 = 49;
    /// `BPF_CGROUP_UNIX_SENDMSG`.
    pub const CGROUP_UNIX_SENDMSG: u32 = 50;
    /// `BPF_CGROUP_UNIX_RECVMSG`.
    pub const CGROUP_UNIX_RECVMSG: u32 = 51;
    /// `BPF_CGROUP_UNIX_GETPEERNAME`.
    pub const CGROUP_UNIX_GETPEERNAME: u32 = 52;
    /// `BPF_CGROUP_UNIX_GETSOCKNAME`.
    pub const CGROUP_UNIX_GETSOCKNAME: u32 = 53;
    /// `BPF_TRACE_KPROBE_SESSION`.
    pub const TRACE_KPROBE_SESSION: u32 = 56;
}

/// Size of x86-64 `struct bpf_perf_event_data`: `pt_regs`, then `sample_period` and `addr`.
pub const PERF_EVENT_DATA_BYTES: usize = PT_REGS_BYTES + 16;

/// The access rules a program type applies to `__sk_buff` fields: each skb program type
/// has its own `*_is_valid_access` in net/core/filter.c.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SkBuffRules {
    /// `sk_filter_is_valid_access`: socket filters.
    SocketFilter,
    /// `tc_cls_act_is_valid_access`: tc classifiers and actions.
    TcClsAct,
    /// `cg_skb_is_valid_access`: cgroup skb programs (a privileged loader).
    CgroupSkb,
    /// `lwt_is_valid_access`: the lightweight tunnel types.
    Lwt,
    /// `sk_skb_is_valid_access`: sk_skb programs.
    SkSkb,
    /// `flow_dissector_is_valid_access`: only `data`, `data_end` (and `flow_keys`).
    FlowDissector,
}

/// Fields no skb program type may read beyond the ones each type also forbids.
const SOCKET_FIELDS: &[&str] =
    &["family", "remote_ip4", "local_ip4", "remote_ip6", "local_ip6", "remote_port", "local_port"];

impl SkBuffRules {
    /// Whether a program with these rules may load `__sk_buff` field `field` (by its UAPI
    /// name; `cb[0]`..`cb[4]` as in [`SK_BUFF`]). Sizes and alignment are the layout's.
    pub fn may_load(self, field: &str) -> bool {
        let socket = SOCKET_FIELDS.contains(&field);
        match self {
            SkBuffRules::SocketFilter => !(matches!(field, "tc_classid" | "data" | "data_meta" | "data_end") || socket),
            SkBuffRules::TcClsAct => !socket,
            SkBuffRules::CgroupSkb => !matches!(field, "tc_classid" | "data_meta"),
            SkBuffRules::Lwt => !(matches!(field, "tc_classid" | "data_meta") || socket),
            SkBuffRules::SkSkb => !matches!(field, "tc_classid" | "data_meta" | "mark"),
            SkBuffRules::FlowDissector => matches!(field, "data" | "data_end"),
        }
    }

    /// Whether a program with these rules may store to `__sk_buff` field `field`.
    pub fn may_store(self, field: &str) -> bool {
        let cb = field.starts_with("cb[");
        match self {
            SkBuffRules::SocketFilter => cb,
            SkBuffRules::TcClsAct => {
                cb || matches!(field, "mark" | "tc_index" | "priority" | "tc_classid" | "queue_mapping")
            }
            SkBuffRules::CgroupSkb | SkBuffRules::Lwt => cb || matches!(field, "mark" | "priority"),
            SkBuffRules::SkSkb => matches!(field, "tc_index" | "priority"),
            SkBuffRules::FlowDissector => false,
        }
    }
}

impl ProgramType {
    /// Every program type, in `enum bpf_prog_type` order.
    pub const ALL: &'static [ProgramType] = &[
        ProgramType::SocketFilter,
        ProgramType::Kprobe,
        ProgramType::UprobeSleepable,
        ProgramType::KprobeMulti,
        ProgramType::KprobeSession,
        ProgramType::UprobeMulti,
        ProgramType::UprobeMultiSleepable,
        ProgramType::SchedCls,
        ProgramType::SchedAct,
        ProgramType::Tracepoint,
        ProgramType::Xdp,
        ProgramType::XdpDevmap,
        ProgramType::XdpCpumap,
        ProgramType::PerfEvent,
        ProgramType::CgroupSkbIngress,
        ProgramType::CgroupSkbEgress,
        ProgramType::CgroupSock(CgroupSockHook::Create),
        ProgramType::CgroupSock(CgroupSockHook::Release),
        ProgramType::CgroupSock(CgroupSockHook::PostBind4),
        ProgramType::CgroupSock(CgroupSockHook::PostBind6),
        ProgramType::LwtIn,
        ProgramType::LwtOut,
        ProgramType::LwtXmit,
        ProgramType::SockOps,
        ProgramType::SkSkb,
        ProgramType::SkSkbStreamParser,
        ProgramType::SkSkbStreamVerdict,
        ProgramType::SkSkbVerdict,
        ProgramType::CgroupDevice,
        ProgramType::SkMsg,
        ProgramType::RawTracepoint,
        ProgramType::CgroupSockAddr(SockAddrHook::Bind4),
        ProgramType::CgroupSockAddr(SockAddrHook::Bind6),
        ProgramType::CgroupSockAddr(SockAddrHook::Connect4),
        ProgramType::CgroupSockAddr(SockAddrHook::Connect6),
        ProgramType::CgroupSockAddr(SockAddrHook::ConnectUnix),
        ProgramType::CgroupSockAddr(SockAddrHook::Sendmsg4),
        ProgramType::CgroupSockAddr(SockAddrHook::Sendmsg6),
        ProgramType::CgroupSockAddr(SockAddrHook::SendmsgUnix),
        ProgramType::CgroupSockAddr(SockAddrHook::Recvmsg4),
        ProgramType::CgroupSockAddr(SockAddrHook::Recvmsg6),
        ProgramType::CgroupSockAddr(SockAddrHook::RecvmsgUnix),
        ProgramType::CgroupSockAddr(SockAddrHook::Getpeername4),
        ProgramType::CgroupSockAddr(SockAddrHook::Getpeername6),
        ProgramType::CgroupSockAddr(SockAddrHook::GetpeernameUnix),
        ProgramType::CgroupSockAddr(SockAddrHook::Getsockname4),
        ProgramType::CgroupSockAddr(SockAddrHook::Getsockname6),
        ProgramType::CgroupSockAddr(SockAddrHook::GetsocknameUnix),
        ProgramType::LwtSeg6local,
        ProgramType::LircMode2,
        ProgramType::SkReuseport,
        ProgramType::SkReuseportMigrate,
        ProgramType::FlowDissector,
        ProgramType::CgroupSysctl,
        ProgramType::RawTracepointWritable,
        ProgramType::CgroupGetsockopt,
        ProgramType::CgroupSetsockopt,
        ProgramType::TpBtf,
        ProgramType::Fentry,
        ProgramType::FentrySleepable,
        ProgramType::Fexit,
        ProgramType::FexitSleepable,
        ProgramType::FmodRet,
        ProgramType::FmodRetSleepable,
        ProgramType::Iter,
        ProgramType::IterSleepable,
        ProgramType::StructOps,
        ProgramType::StructOpsSleepable,
        ProgramType::Ext,
        ProgramType::Lsm,
        ProgramType::LsmSleepable,
        ProgramType::LsmCgroup,
        ProgramType::SkLookup,
        ProgramType::Syscall,
        ProgramType::Netfilter,
    ];

    /// The signed range `r0` must lie in when a program of this type returns, if the type
    /// restricts it, for an unknown attach target (see [`ProgramType::return_range_at`]).
    pub fn return_range(self) -> Option<(i64, i64)> {
        self.return_range_at(None)
    }

    /// The signed range `r0` must lie in when a program of this type attached to `target`
    /// (the LSM hook of `lsm/file_open`: what follows the section's first `/`) returns, if
    /// the type restricts it: the kernel's `check_return_code`. The analyzer proves it; the
    /// interpreter reports a run that breaks it ([`crate::interp::TrapKind::ReturnOutOfRange`]).
    ///
    /// Only LSM programs depend on the target. Without one, the range is the one every hook
    /// allows, so that nothing the kernel would refuse for some hook passes.
    pub fn return_range_at(self, target: Option<&str>) -> Option<(i64, i64)> {
        use ProgramType as T;
        /// `-MAX_ERRNO`.
        const MIN_ERRNO: i64 = -4095;
        let hook = target.map(lsm_hook_returns);
        match self {
            // Not the kernel's rule: its verifier takes any XDP return value and the
            // driver drops a packet with an unknown action at run time. bpfprove keeps
            // XDP_ABORTED ..= XDP_REDIRECT as an obligation (the adversarial suite's
            // `-1 is not an XDP action` cases).
            T::Xdp | T::XdpDevmap | T::XdpCpumap => Some((0, 4)),
            T::CgroupSkbIngress => Some((0, 1)),
            // Bit 1 is congestion notification.
            T::CgroupSkbEgress => Some((0, 3)),
            T::CgroupSockAddr(hook) => Some(hook.return_range()),
            T::CgroupSock(_) | T::SockOps | T::CgroupDevice | T::CgroupSysctl => Some((0, 1)),
            T::CgroupGetsockopt | T::CgroupSetsockopt => Some((0, 1)),
            // SK_DROP ..= SK_PASS; NF_DROP ..= NF_ACCEPT.
            T::SkLookup | T::Netfilter => Some((0, 1)),
            T::Fentry | T::FentrySleepable | T::Fexit | T::FexitSleepable => Some((0, 0)),
            T::Iter | T::IterSleepable => Some((0, 1)),
            T::KprobeSession => Some((0, 1)),
            T::Lsm | T::LsmSleepable => match hook {
                Some(LsmHookReturns::Nothing) => None,
                Some(LsmHookReturns::Bool) => Some((0, 1)),
                Some(LsmHookReturns::Errno) => Some((MIN_ERRNO, 0)),
                // What every kind of hook allows.
                None => Some((0, 0)),
            },
            T::LsmCgroup => match hook {
                // A void hook's program may not change the (absent) return value.
                Some(LsmHookReturns::Nothing) | None => Some((1, 1)),
                Some(_) => Some((0, 1)),
            },
            // Any value: the kernel's `default: return 0`, and `fmod_ret`/`tp_btf`, which
            // return what they like, and raw tracepoints without a BTF target.
            T::SocketFilter | T::SchedCls | T::SchedAct | T::Kprobe | T::UprobeSleepable | T::KprobeMulti => None,
            T::UprobeMulti | T::UprobeMultiSleepable | T::Tracepoint | T::PerfEvent => None,
            T::LwtIn | T::LwtOut | T::LwtXmit | T::LwtSeg6local | T::SkMsg | T::LircMode2 => None,
            T::SkSkb | T::SkSkbStreamParser | T::SkSkbStreamVerdict | T::SkSkbVerdict => None,
            T::RawTracepoint | T::RawTracepointWritable | T::SkReuseport | T::SkReuseportMigrate => None,
            T::FlowDissector | T::TpBtf | T::FmodRet | T::FmodRetSleepable => None,
            T::StructOps | T::StructOpsSleepable | T::Ext | T::Syscall => None,
        }
    }

    /// Whether the kernel judges the return value by its low 32 bits, sign-extended
    /// (`return_32bit` in `check_return_code`: LSM hooks return `int`), rather than by all 64.
    pub fn return_value_is_32_bit(self) -> bool {
        matches!(self, ProgramType::Lsm | ProgramType::LsmSleepable)
    }

    /// The kernel's `enum bpf_prog_type` number (`BPF_PROG_LOAD`'s `prog_type`).
    pub fn kernel_type(self) -> u32 {
        use ProgramType as T;
        use prog_type::*;
        match self {
            T::SocketFilter => SOCKET_FILTER,
            T::Kprobe | T::UprobeSleepable | T::KprobeMulti | T::KprobeSession => KPROBE,
            T::UprobeMulti | T::UprobeMultiSleepable => KPROBE,
            T::SchedCls => SCHED_CLS,
            T::SchedAct => SCHED_ACT,
            T::Tracepoint => TRACEPOINT,
            T::Xdp | T::XdpDevmap | T::XdpCpumap => XDP,
            T::PerfEvent => PERF_EVENT,
            T::CgroupSkbIngress | T::CgroupSkbEgress => CGROUP_SKB,
            T::CgroupSock(_) => CGROUP_SOCK,
            T::LwtIn => LWT_IN,
            T::LwtOut => LWT_OUT,
            T::LwtXmit => LWT_XMIT,
            T::LwtSeg6local => LWT_SEG6LOCAL,
            T::SockOps => SOCK_OPS,
            T::SkSkb | T::SkSkbStreamParser | T::SkSkbStreamVerdict | T::SkSkbVerdict => SK_SKB,
            T::CgroupDevice => CGROUP_DEVICE,
            T::SkMsg => SK_MSG,
            T::RawTracepoint => RAW_TRACEPOINT,
            T::RawTracepointWritable => RAW_TRACEPOINT_WRITABLE,
            T::CgroupSockAddr(_) => CGROUP_SOCK_ADDR,
            T::LircMode2 => LIRC_MODE2,
            T::SkReuseport | T::SkReuseportMigrate => SK_REUSEPORT,
            T::FlowDissector => FLOW_DISSECTOR,
            T::CgroupSysctl => CGROUP_SYSCTL,
            T::CgroupGetsockopt | T::CgroupSetsockopt => CGROUP_SOCKOPT,
            T::TpBtf | T::Fentry | T::FentrySleepable | T::Fexit | T::FexitSleepable => TRACING,
            T::FmodRet | T::FmodRetSleepable | T::Iter | T::IterSleepable => TRACING,
            T::StructOps | T::StructOpsSleepable => STRUCT_OPS,
            T::Ext => EXT,
            T::Lsm | T::LsmSleepable | T::LsmCgroup => LSM,
            T::SkLookup => SK_LOOKUP,
            T::Syscall => SYSCALL,
            T::Netfilter => NETFILTER,
        }
    }

    /// The `expected_attach_type` libbpf passes to `BPF_PROG_LOAD` for it, if any.
    pub fn expected_attach_type(self) -> Option<u32> {
        use ProgramType as T;
        use attach_type::*;
        Some(match self {
            T::SocketFilter | T::Kprobe | T::UprobeSleepable | T::SchedCls | T::SchedAct | T::Tracepoint => {
                return None;
            }
            T::PerfEvent | T::LwtIn | T::LwtOut | T::LwtXmit | T::LwtSeg6local | T::SkSkb => return None,
            T::RawTracepoint | T::RawTracepointWritable | T::StructOps | T::StructOpsSleepable | T::Ext => return None,
            T::Syscall => return None,
            T::KprobeMulti => TRACE_KPROBE_MULTI,
            T::KprobeSession => TRACE_KPROBE_SESSION,
            T::UprobeMulti | T::UprobeMultiSleepable => TRACE_UPROBE_MULTI,
            T::Xdp => XDP,
            T::XdpDevmap => XDP_DEVMAP,
            T::XdpCpumap => XDP_CPUMAP,
            T::CgroupSkbIngress => CGROUP_INET_INGRESS,
            T::CgroupSkbEgress => CGROUP_INET_EGRESS,
            T::CgroupSock(hook) => hook.attach_type(),
            T::SockOps => CGROUP_SOCK_OPS,
            T::SkSkbStreamParser => SK_SKB_STREAM_PARSER,
            T::SkSkbStreamVerdict => SK_SKB_STREAM_VERDICT,
            T::SkSkbVerdict => SK_SKB_VERDICT,
            T::CgroupDevice => CGROUP_DEVICE,
            T::SkMsg => SK_MSG_VERDICT,
            T::CgroupSockAddr(hook) => hook.attach_type(),
            T::LircMode2 => LIRC_MODE2,
            T::SkReuseport => SK_REUSEPORT_SELECT,
            T::SkReuseportMigrate => SK_REUSEPORT_SELECT_OR_MIGRATE,
            T::FlowDissector => FLOW_DISSECTOR,
            T::CgroupSysctl => CGROUP_SYSCTL,
            T::CgroupGetsockopt => CGROUP_GETSOCKOPT,
            T::CgroupSetsockopt => CGROUP_SETSOCKOPT,
            T::TpBtf => TRACE_RAW_TP,
            T::Fentry | T::FentrySleepable => TRACE_FENTRY,
            T::Fexit | T::FexitSleepable => TRACE_FEXIT,
            T::FmodRet | T::FmodRetSleepable => MODIFY_RETURN,
            T::Iter | T::IterSleepable => TRACE_ITER,
            T::Lsm | T::LsmSleepable => LSM_MAC,
            T::LsmCgroup => LSM_CGROUP,
            T::SkLookup => SK_LOOKUP,
            T::Netfilter => NETFILTER,
        })
    }

    /// Whether `BPF_PROG_LOAD` needs the BTF id of its attach target (a kernel function,
    /// hook, tracepoint or struct_ops member of the running kernel, or the program an
    /// `freplace` replaces): tracing, LSM, struct_ops and extension programs.
    pub fn needs_attach_btf_id(self) -> bool {
        use prog_type::*;
        matches!(self.kernel_type(), TRACING | STRUCT_OPS | EXT | LSM)
    }

    /// Whether it is loaded with `BPF_F_SLEEPABLE`.
    pub fn sleepable(self) -> bool {
        use ProgramType as T;
        matches!(
            self,
            T::UprobeSleepable
                | T::UprobeMultiSleepable
                | T::FentrySleepable
                | T::FexitSleepable
                | T::FmodRetSleepable
                | T::IterSleepable
                | T::StructOpsSleepable
                | T::LsmSleepable
                | T::Syscall
        )
    }

    /// The name it goes by: the kernel's type name where one type has one rule set
    /// (`socket_filter`, `sched_cls`), else the libbpf section name that selects it
    /// (`cgroup_skb/egress`, `fentry.s`, `cgroup/bind4`).
    pub fn name(self) -> &'static str {
        use ProgramType as T;
        match self {
            T::SocketFilter => "socket_filter",
            T::Kprobe => "kprobe",
            T::UprobeSleepable => "uprobe.s",
            T::KprobeMulti => "kprobe.multi",
            T::KprobeSession => "kprobe.session",
            T::UprobeMulti => "uprobe.multi",
            T::UprobeMultiSleepable => "uprobe.multi.s",
            T::SchedCls => "sched_cls",
            T::SchedAct => "sched_act",
            T::Tracepoint => "tracepoint",
            T::Xdp => "xdp",
            T::XdpDevmap => "xdp/devmap",
            T::XdpCpumap => "xdp/cpumap",
            T::PerfEvent => "perf_event",
            T::CgroupSkbIngress => "cgroup_skb/ingress",
            T::CgroupSkbEgress => "cgroup_skb/egress",
            T::CgroupSock(hook) => hook.name(),
            T::LwtIn => "lwt_in",
            T::LwtOut => "lwt_out",
            T::LwtXmit => "lwt_xmit",
            T::LwtSeg6local => "lwt_seg6local",
            T::SockOps => "sockops",
            T::SkSkb => "sk_skb",
            T::SkSkbStreamParser => "sk_skb/stream_parser",
            T::SkSkbStreamVerdict => "sk_skb/stream_verdict",
            T::SkSkbVerdict => "sk_skb/verdict",
            T::CgroupDevice => "cgroup/dev",
            T::SkMsg => "sk_msg",
            T::RawTracepoint => "raw_tracepoint",
            T::RawTracepointWritable => "raw_tracepoint.w",
            T::CgroupSockAddr(hook) => hook.name(),
            T::LircMode2 => "lirc_mode2",
            T::SkReuseport => "sk_reuseport",
            T::SkReuseportMigrate => "sk_reuseport/migrate",
            T::FlowDissector => "flow_dissector",
            T::CgroupSysctl => "cgroup/sysctl",
            T::CgroupGetsockopt => "cgroup/getsockopt",
            T::CgroupSetsockopt => "cgroup/setsockopt",
            T::TpBtf => "tp_btf",
            T::Fentry => "fentry",
            T::FentrySleepable => "fentry.s",
            T::Fexit => "fexit",
            T::FexitSleepable => "fexit.s",
            T::FmodRet => "fmod_ret",
            T::FmodRetSleepable => "fmod_ret.s",
            T::Iter => "iter",
            T::IterSleepable => "iter.s",
            T::StructOps => "struct_ops",
            T::StructOpsSleepable => "struct_ops.s",
            T::Ext => "freplace",
            T::Lsm => "lsm",
            T::LsmSleepable => "lsm.s",
            T::LsmCgroup => "lsm_cgroup",
            T::SkLookup => "sk_lookup",
            T::Syscall => "syscall",
            T::Netfilter => "netfilter",
        }
    }

    /// The type named `name` (as [`ProgramType::name`] gives it).
    pub fn from_name(name: &str) -> Option<ProgramType> {
        ProgramType::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// What the program's context is. Types whose context structure is not modelled yet
    /// get [`ContextKind::NotModelled`], which both the interpreter and the analyzer
    /// refuse: a guessed context could accept accesses the kernel rejects.
    pub fn context(self) -> ContextKind {
        self.context_at(None)
    }

    /// As [`ProgramType::context`], for a program attached to `target`: an iterator's
    /// context is its target's (a target the model does not describe keeps raw bytes).
    pub fn context_at(self, target: Option<&str>) -> ContextKind {
        use ProgramType as T;
        let not_modelled = |structure| ContextKind::NotModelled { structure };
        match self {
            T::Xdp | T::XdpCpumap => ContextKind::Packet(&XDP_MD),
            T::XdpDevmap => ContextKind::Packet(&xdp_md::XDP_DEVMAP),
            T::SocketFilter => ContextKind::Packet(&sk_buff::SOCKET_FILTER),
            T::SchedCls | T::SchedAct => ContextKind::Packet(&sk_buff::TC),
            T::CgroupSkbIngress | T::CgroupSkbEgress => ContextKind::Packet(&sk_buff::CGROUP_SKB),
            T::LwtIn | T::LwtOut | T::LwtSeg6local => ContextKind::Packet(&sk_buff::LWT),
            T::LwtXmit => ContextKind::Packet(&sk_buff::LWT_XMIT),
            T::SkSkb | T::SkSkbStreamParser | T::SkSkbStreamVerdict | T::SkSkbVerdict => {
                ContextKind::Packet(&sk_buff::SK_SKB)
            }
            T::FlowDissector => ContextKind::Packet(&sk_buff::FLOW_DISSECTOR),
            T::Kprobe | T::UprobeSleepable | T::KprobeMulti | T::KprobeSession => {
                ContextKind::Raw { size: Some(PT_REGS_BYTES) }
            }
            T::UprobeMulti | T::UprobeMultiSleepable => ContextKind::Raw { size: Some(PT_REGS_BYTES) },
            T::PerfEvent => ContextKind::Packet(&perf_event::PERF_EVENT),
            // Records and u64 argument arrays whose length depends on the attach target.
            T::Tracepoint | T::RawTracepoint | T::RawTracepointWritable | T::TpBtf => ContextKind::Raw { size: None },
            T::Fentry | T::FentrySleepable | T::Fexit | T::FexitSleepable => ContextKind::Raw { size: None },
            T::Iter | T::IterSleepable => match target.and_then(iter::target) {
                Some(target) => ContextKind::Iterator(target),
                None => ContextKind::Raw { size: None },
            },
            T::FmodRet | T::FmodRetSleepable => ContextKind::Raw { size: None },
            T::StructOps | T::StructOpsSleepable | T::Lsm | T::LsmSleepable | T::LsmCgroup => {
                ContextKind::Raw { size: None }
            }
            // The user's buffer of `ctx_size_in` bytes.
            T::Syscall => ContextKind::Raw { size: None },
            T::CgroupSock(CgroupSockHook::Create | CgroupSockHook::Release) => ContextKind::Packet(&sock::SOCK_CREATE),
            T::CgroupSock(CgroupSockHook::PostBind4) => ContextKind::Packet(&sock::POST_BIND4),
            T::CgroupSock(CgroupSockHook::PostBind6) => ContextKind::Packet(&sock::POST_BIND6),
            T::CgroupSockAddr(hook) => ContextKind::Packet(sock_addr::for_hook(hook)),
            T::SockOps => ContextKind::Packet(&sock_ops::SOCK_OPS),
            T::CgroupDevice => ContextKind::Packet(&cgroup_dev::CGROUP_DEV),
            T::SkMsg => ContextKind::Packet(&sk_msg::SK_MSG),
            T::LircMode2 => not_modelled("the lirc_mode2 sample"),
            T::SkReuseport | T::SkReuseportMigrate => ContextKind::Packet(&sk_reuseport::SK_REUSEPORT),
            T::CgroupSysctl => ContextKind::Packet(&sysctl::SYSCTL),
            T::CgroupGetsockopt => ContextKind::Packet(&sockopt::GETSOCKOPT),
            T::CgroupSetsockopt => ContextKind::Packet(&sockopt::SETSOCKOPT),
            T::Ext => not_modelled("the replaced function's context"),
            T::SkLookup => ContextKind::Packet(&sk_lookup::SK_LOOKUP),
            T::Netfilter => ContextKind::Packet(&nf::NF),
        }
    }

    /// The `__sk_buff` access rules of an skb program type.
    pub fn sk_buff_rules(self) -> Option<SkBuffRules> {
        use ProgramType as T;
        Some(match self {
            T::SocketFilter => SkBuffRules::SocketFilter,
            T::SchedCls | T::SchedAct => SkBuffRules::TcClsAct,
            T::CgroupSkbIngress | T::CgroupSkbEgress => SkBuffRules::CgroupSkb,
            T::LwtIn | T::LwtOut | T::LwtXmit | T::LwtSeg6local => SkBuffRules::Lwt,
            T::SkSkb | T::SkSkbStreamParser | T::SkSkbStreamVerdict | T::SkSkbVerdict => SkBuffRules::SkSkb,
            T::FlowDissector => SkBuffRules::FlowDissector,
            _ => return None,
        })
    }

    /// Whether it may read the packet directly (`data`..`data_end`): the kernel's
    /// `may_access_direct_pkt_data` for reads.
    pub fn direct_packet_access(self) -> bool {
        self.direct_packet_writes()
            || matches!(
                self.sk_buff_rules(),
                Some(SkBuffRules::CgroupSkb | SkBuffRules::Lwt | SkBuffRules::FlowDissector)
            )
    }

    /// Whether it may also write the packet directly (`may_access_direct_pkt_data` for
    /// writes: tc, XDP, `lwt_xmit`, sk_skb; not cgroup skb, `lwt_in`/`out`/`seg6local`,
    /// flow dissectors).
    pub fn direct_packet_writes(self) -> bool {
        use ProgramType as T;
        matches!(self, T::SchedCls | T::SchedAct | T::Xdp | T::XdpDevmap | T::XdpCpumap | T::LwtXmit)
            || self.sk_buff_rules() == Some(SkBuffRules::SkSkb)
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

impl CgroupSockHook {
    fn attach_type(self) -> u32 {
        use attach_type::*;
        match self {
            CgroupSockHook::Create => CGROUP_INET_SOCK_CREATE,
            CgroupSockHook::Release => CGROUP_INET_SOCK_RELEASE,
            CgroupSockHook::PostBind4 => CGROUP_INET4_POST_BIND,
            CgroupSockHook::PostBind6 => CGROUP_INET6_POST_BIND,
        }
    }

    fn name(self) -> &'static str {
        match self {
            CgroupSockHook::Create => "cgroup/sock_create",
            CgroupSockHook::Release => "cgroup/sock_release",
            CgroupSockHook::PostBind4 => "cgroup/post_bind4",
            CgroupSockHook::PostBind6 => "cgroup/post_bind6",
        }
    }
}

/// What an LSM hook returns, which decides the values its BPF programs may return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LsmHookReturns {
    /// `void` hooks: any value (an `lsm_cgroup` program must return 1).
    Nothing,
    /// The `bool` hooks (`bool_lsm_hooks` in kernel/bpf/bpf_lsm.c): 0 or 1.
    Bool,
    /// Every other hook: 0 or a negative errno.
    Errno,
}

/// The `void` hooks of include/linux/lsm_hook_defs.h (6.12).
const VOID_LSM_HOOKS: &[&str] = &[
    "bprm_committing_creds",
    "bprm_committed_creds",
    "sb_delete",
    "sb_free_security",
    "sb_free_mnt_opts",
    "path_post_mknod",
    "inode_free_security",
    "inode_free_security_rcu",
    "inode_post_create_tmpfile",
    "inode_post_setattr",
    "inode_post_setxattr",
    "inode_post_removexattr",
    "inode_post_set_acl",
    "inode_post_remove_acl",
    "inode_getsecid",
    "file_release",
    "file_free_security",
    "backing_file_free",
    "file_set_fowner",
    "task_free",
    "cred_free",
    "cred_transfer",
    "cred_getsecid",
    "current_getsecid_subj",
    "task_getsecid_obj",
    "task_to_inode",
    "ipc_getsecid",
    "msg_msg_free_security",
    "msg_queue_free_security",
    "shm_free_security",
    "sem_free_security",
    "d_instantiate",
    "release_secctx",
    "inode_invalidate_secctx",
    "sk_free_security",
    "sk_clone_security",
    "sk_getsecid",
    "sock_graft",
    "inet_csk_clone",
    "inet_conn_established",
    "secmark_refcount_inc",
    "secmark_refcount_dec",
    "req_classify_flow",
    "sctp_sk_clone",
    "xfrm_policy_free_security",
    "xfrm_state_free_security",
    "key_post_create_or_update",
    "audit_rule_free",
    "bpf_map_free",
    "bpf_prog_free",
    "bpf_token_free",
    "initramfs_populated",
    "bdev_free_security",
];

/// The `bool` hooks.
const BOOL_LSM_HOOKS: &[&str] = &["xfrm_state_pol_flow_match", "audit_rule_known", "inode_xattr_skipcap"];

/// What LSM hook `hook` returns.
fn lsm_hook_returns(hook: &str) -> LsmHookReturns {
    if VOID_LSM_HOOKS.contains(&hook) {
        LsmHookReturns::Nothing
    } else if BOOL_LSM_HOOKS.contains(&hook) {
        LsmHookReturns::Bool
    } else {
        LsmHookReturns::Errno
    }
}

impl SockAddrHook {
    /// `check_return_code`: the address-reporting hooks must return 1, bind may also ask
    /// for the port check to be bypassed (bit 1).
    fn return_range(self) -> (i64, i64) {
        use SockAddrHook as H;
        match self {
            H::Recvmsg4 | H::Recvmsg6 | H::RecvmsgUnix => (1, 1),
            H::Getpeername4 | H::Getpeername6 | H::GetpeernameUnix => (1, 1),
            H::Getsockname4 | H::Getsockname6 | H::GetsocknameUnix => (1, 1),
            H::Bind4 | H::Bind6 => (0, 3),
            H::Connect4 | H::Connect6 | H::ConnectUnix | H::Sendmsg4 | H::Sendmsg6 | H::SendmsgUnix => (0, 1),
        }
    }

    fn attach_type(self) -> u32 {
        use SockAddrHook as H;
        use attach_type::*;
        match self {
            H::Bind4 => CGROUP_INET4_BIND,
            H::Bind6 => CGROUP_INET6_BIND,
            H::Connect4 => CGROUP_INET4_CONNECT,
            H::Connect6 => CGROUP_INET6_CONNECT,
            H::ConnectUnix => CGROUP_UNIX_CONNECT,
            H::Sendmsg4 => CGROUP_UDP4_SENDMSG,
            H::Sendmsg6 => CGROUP_UDP6_SENDMSG,
            H::SendmsgUnix => CGROUP_UNIX_SENDMSG,
            H::Recvmsg4 => CGROUP_UDP4_RECVMSG,
            H::Recvmsg6 => CGROUP_UDP6_RECVMSG,
            H::RecvmsgUnix => CGROUP_UNIX_RECVMSG,
            H::Getpeername4 => CGROUP_INET4_GETPEERNAME,
            H::Getpeername6 => CGROUP_INET6_GETPEERNAME,
            H::GetpeernameUnix => CGROUP_UNIX_GETPEERNAME,
            H::Getsockname4 => CGROUP_INET4_GETSOCKNAME,
            H::Getsockname6 => CGROUP_INET6_GETSOCKNAME,
            H::GetsocknameUnix => CGROUP_UNIX_GETSOCKNAME,
        }
    }

    fn name(self) -> &'static str {
        use SockAddrHook as H;
        match self {
            H::Bind4 => "cgroup/bind4",
            H::Bind6 => "cgroup/bind6",
            H::Connect4 => "cgroup/connect4",
            H::Connect6 => "cgroup/connect6",
            H::ConnectUnix => "cgroup/connect_unix",
            H::Sendmsg4 => "cgroup/sendmsg4",
            H::Sendmsg6 => "cgroup/sendmsg6",
            H::SendmsgUnix => "cgroup/sendmsg_unix",
            H::Recvmsg4 => "cgroup/recvmsg4",
            H::Recvmsg6 => "cgroup/recvmsg6",
            H::RecvmsgUnix => "cgroup/recvmsg_unix",
            H::Getpeername4 => "cgroup/getpeername4",
            H::Getpeername6 => "cgroup/getpeername6",
            H::GetpeernameUnix => "cgroup/getpeername_unix",
            H::Getsockname4 => "cgroup/getsockname4",
            H::Getsockname6 => "cgroup/getsockname6",
            H::GetsocknameUnix => "cgroup/getsockname_unix",
        }
    }
}

impl std::fmt::Display for ProgramType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, t) in ProgramType::ALL.iter().enumerate() {
            assert!(ProgramType::ALL[..i].iter().all(|u| u.name() != t.name()), "{t} twice");
            assert_eq!(ProgramType::from_name(t.name()), Some(*t));
        }
        assert_eq!(ProgramType::from_name("nonsense"), None);
    }

    #[test]
    fn kernel_numbers_follow_the_uapi_enums() {
        let cases = [
            (ProgramType::SocketFilter, 1, None),
            (ProgramType::Xdp, 6, Some(37)),
            (ProgramType::XdpDevmap, 6, Some(33)),
            (ProgramType::XdpCpumap, 6, Some(35)),
            (ProgramType::CgroupSkbEgress, 8, Some(1)),
            (ProgramType::CgroupSock(CgroupSockHook::Release), 9, Some(34)),
            (ProgramType::CgroupSockAddr(SockAddrHook::GetsocknameUnix), 18, Some(53)),
            (ProgramType::CgroupSockAddr(SockAddrHook::Recvmsg6), 18, Some(20)),
            (ProgramType::FmodRetSleepable, 26, Some(26)),
            (ProgramType::KprobeSession, 2, Some(56)),
            (ProgramType::UprobeMulti, 2, Some(48)),
            (ProgramType::LsmCgroup, 29, Some(43)),
            (ProgramType::Syscall, 31, None),
            (ProgramType::Netfilter, 32, Some(45)),
            (ProgramType::SkReuseportMigrate, 21, Some(40)),
            (ProgramType::RawTracepointWritable, 24, None),
        ];
        for (t, kernel, attach) in cases {
            assert_eq!((t.kernel_type(), t.expected_attach_type()), (kernel, attach), "{t}");
        }
        // Every kernel type from SOCKET_FILTER to NETFILTER is represented.
        for number in 1..=32 {
            assert!(ProgramType::ALL.iter().any(|t| t.kernel_type() == number), "prog type {number}");
        }
    }

    #[test]
    fn sleepable_types_are_the_dot_s_ones_and_syscall() {
        let sleepable: Vec<_> = ProgramType::ALL.iter().filter(|t| t.sleepable()).map(|t| t.name()).collect();
        assert!(sleepable.iter().all(|n| n.ends_with(".s") || *n == "syscall"), "{sleepable:?}");
        assert_eq!(sleepable.len(), 9);
    }

    #[test]
    fn skb_rules_follow_each_types_is_valid_access() {
        let rules = |t: ProgramType| t.sk_buff_rules().expect("an skb type");
        // Socket filters: no tc_classid, no packet pointers, no socket fields; write cb only.
        let filter = rules(ProgramType::SocketFilter);
        assert!(!filter.may_load("tc_classid") && !filter.may_load("data") && !filter.may_load("remote_port"));
        assert!(filter.may_load("mark") && filter.may_store("cb[2]") && !filter.may_store("mark"));
        // tc writes mark, tc_index, priority, tc_classid, queue_mapping, cb.
        let tc = rules(ProgramType::SchedCls);
        assert!(tc.may_store("tc_classid") && tc.may_store("queue_mapping") && !tc.may_store("len"));
        assert!(tc.may_load("data_meta") && !tc.may_load("family"));
        // cgroup skb: packet reads, mark/priority/cb writes, no data_meta, socket fields readable.
        let cg = rules(ProgramType::CgroupSkbEgress);
        assert!(cg.may_load("data") && !cg.may_load("data_meta") && cg.may_load("remote_ip4"));
        assert!(cg.may_store("mark") && !cg.may_store("tc_index"));
        // sk_skb: no mark at all, writes tc_index and priority only.
        let sk = rules(ProgramType::SkSkbStreamVerdict);
        assert!(!sk.may_load("mark") && sk.may_load("cb[0]") && sk.may_store("tc_index") && !sk.may_store("cb[0]"));
        // lwt: no socket fields.
        assert!(!rules(ProgramType::LwtXmit).may_load("local_port"));
        // flow dissector: packet pointers only, no writes.
        let flow = rules(ProgramType::FlowDissector);
        assert!(flow.may_load("data_end") && !flow.may_load("len") && !flow.may_store("cb[0]"));
    }

    #[test]
    fn direct_packet_access_follows_may_access_direct_pkt_data() {
        use ProgramType as T;
        for t in [T::SchedCls, T::Xdp, T::XdpCpumap, T::LwtXmit, T::SkSkbVerdict] {
            assert!(t.direct_packet_access() && t.direct_packet_writes(), "{t}");
        }
        for t in [T::CgroupSkbIngress, T::LwtIn, T::LwtSeg6local, T::FlowDissector] {
            assert!(t.direct_packet_access() && !t.direct_packet_writes(), "{t}");
        }
        for t in [T::SocketFilter, T::Kprobe, T::Tracepoint] {
            assert!(!t.direct_packet_access() && !t.direct_packet_writes(), "{t}");
        }
    }

    #[test]
    fn return_ranges_follow_check_return_code() {
        use ProgramType as T;
        let cases = [
            (T::CgroupSkbIngress, Some((0, 1))),
            (T::CgroupSkbEgress, Some((0, 3))),
            (T::CgroupSock(CgroupSockHook::PostBind6), Some((0, 1))),
            (T::CgroupSockAddr(SockAddrHook::Bind6), Some((0, 3))),
            (T::CgroupSockAddr(SockAddrHook::Connect4), Some((0, 1))),
            (T::CgroupSockAddr(SockAddrHook::SendmsgUnix), Some((0, 1))),
            (T::CgroupSockAddr(SockAddrHook::Recvmsg6), Some((1, 1))),
            (T::CgroupSockAddr(SockAddrHook::GetpeernameUnix), Some((1, 1))),
            (T::CgroupSockAddr(SockAddrHook::Getsockname4), Some((1, 1))),
            (T::SockOps, Some((0, 1))),
            (T::CgroupDevice, Some((0, 1))),
            (T::CgroupSysctl, Some((0, 1))),
            (T::CgroupGetsockopt, Some((0, 1))),
            (T::SkLookup, Some((0, 1))),
            (T::Netfilter, Some((0, 1))),
            (T::Fentry, Some((0, 0))),
            (T::FexitSleepable, Some((0, 0))),
            (T::FmodRet, None),
            (T::TpBtf, None),
            (T::IterSleepable, Some((0, 1))),
            (T::KprobeSession, Some((0, 1))),
            (T::KprobeMulti, None),
            (T::RawTracepoint, None),
            (T::RawTracepointWritable, None),
            (T::StructOps, None),
            (T::Ext, None),
            (T::SocketFilter, None),
            (T::SchedCls, None),
            (T::Syscall, None),
        ];
        for (t, range) in cases {
            assert_eq!(t.return_range(), range, "{t}");
        }
    }

    #[test]
    fn lsm_return_ranges_depend_on_the_hook() {
        use ProgramType as T;
        assert_eq!(T::Lsm.return_range_at(Some("file_open")), Some((-4095, 0)));
        assert_eq!(T::LsmSleepable.return_range_at(Some("bprm_check_security")), Some((-4095, 0)));
        assert_eq!(T::Lsm.return_range_at(Some("bprm_committed_creds")), None);
        assert_eq!(T::Lsm.return_range_at(Some("audit_rule_known")), Some((0, 1)));
        // Unknown hook: only what every hook allows.
        assert_eq!(T::Lsm.return_range(), Some((0, 0)));
        assert_eq!(T::LsmCgroup.return_range_at(Some("socket_bind")), Some((0, 1)));
        assert_eq!(T::LsmCgroup.return_range_at(Some("sk_free_security")), Some((1, 1)));
        assert_eq!(T::LsmCgroup.return_range(), Some((1, 1)));
        assert_eq!(VOID_LSM_HOOKS.len(), 53);
    }

    #[test]
    fn contexts_are_modelled_except_lirc_and_freplace() {
        for t in ProgramType::ALL {
            match t.context() {
                ContextKind::NotModelled { structure } => {
                    assert!(matches!(t, ProgramType::LircMode2 | ProgramType::Ext), "{t}: {structure}")
                }
                ContextKind::Packet(layout) => assert!(!layout.flavour.is_empty(), "{t}"),
                ContextKind::Raw { .. } => {}
                ContextKind::Iterator(target) => panic!("{t}: iterator context {} without a target", target.name),
            }
        }
        let iterator = ProgramType::IterSleepable.context_in("iter.s/bpf_map_elem");
        assert!(matches!(iterator, ContextKind::Iterator(target) if target.name == "bpf_map_elem"));
        assert_eq!(ProgramType::Iter.context_in("iter/task_vma"), ContextKind::Raw { size: None });
        let layout = |t: ProgramType| match t.context() {
            ContextKind::Packet(layout) => (layout.name, layout.flavour),
            other => panic!("{t}: {other:?}"),
        };
        assert_eq!(layout(ProgramType::CgroupSockAddr(SockAddrHook::Bind4)), ("bpf_sock_addr", "sock_addr4"));
        assert_eq!(layout(ProgramType::CgroupSockAddr(SockAddrHook::Sendmsg6)), ("bpf_sock_addr", "sendmsg6"));
        assert_eq!(layout(ProgramType::CgroupSockAddr(SockAddrHook::RecvmsgUnix)), ("bpf_sock_addr", "sock_addr_unix"));
        assert_eq!(layout(ProgramType::CgroupSock(CgroupSockHook::Release)), ("bpf_sock", "sock_create"));
        assert_eq!(layout(ProgramType::CgroupSock(CgroupSockHook::PostBind6)), ("bpf_sock", "post_bind6"));
        assert_eq!(layout(ProgramType::CgroupSkbEgress), ("__sk_buff", "cgroup_skb"));
        assert_eq!(layout(ProgramType::LwtSeg6local), ("__sk_buff", "lwt"));
        assert_eq!(layout(ProgramType::SkSkbVerdict), ("__sk_buff", "sk_skb"));
        assert_eq!(layout(ProgramType::XdpDevmap), ("xdp_md", "xdp_devmap"));
        assert_eq!(layout(ProgramType::XdpCpumap), ("xdp_md", "xdp"));
        assert_eq!(layout(ProgramType::CgroupGetsockopt), ("bpf_sockopt", "getsockopt"));
        assert_eq!(layout(ProgramType::SkReuseportMigrate), ("sk_reuseport_md", "sk_reuseport"));
        assert_eq!(layout(ProgramType::PerfEvent), ("bpf_perf_event_data", "perf_event"));
        assert_eq!(PERF_EVENT_DATA_BYTES, perf_event::PERF_EVENT.size as usize);
    }
}
