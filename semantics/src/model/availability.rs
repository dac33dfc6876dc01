//! Which helpers and kfuncs a program of each type may call: the kernel's `*_func_proto`
//! tables as data. The one place both the interpreter ([`crate::interp::KernelHelpers`] refuses a
//! call its program type may not make) and the analyzer (which refuses the program) read.
//!
//! The kernel decides availability per program type with one function per type
//! (`tc_cls_act_func_proto`, `xdp_func_proto`, `kprobe_prog_func_proto`, ...), each
//! listing its own helpers and falling back to shared ones (`bpf_base_func_proto`,
//! `bpf_tracing_func_proto`). [`FuncProtoTable`] names those functions; a program type
//! consults a list of them ([`ProgramType::func_proto_tables`]), and each helper lists the
//! tables that offer it ([`HELPER_TABLES`], one helper per line). Adding a helper is one
//! line; adding a program type is one arm of `func_proto_tables`.
//!
//! The model is a privileged loader (`CAP_BPF` and `CAP_PERFMON`): the helpers
//! `bpf_base_func_proto` gates on `perfmon_capable()` (`trace_printk`, `probe_read_kernel`,
//! `get_current_task`, ...) are in [`FuncProtoTable::Base`].

use super::program_type::ProgramType;

/// One of the kernel's `*_func_proto` tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FuncProtoTable {
    /// `bpf_base_func_proto` (with its `perfmon_capable()` part): every program type.
    Base,
    /// `bpf_tracing_func_proto`: kprobes, tracepoints, raw tracepoints.
    Tracing,
    /// `kprobe_prog_func_proto`'s own entries.
    Kprobe,
    /// `tp_prog_func_proto`'s own entries.
    Tracepoint,
    /// `raw_tp_prog_func_proto`'s own entries.
    RawTracepoint,
    /// `sk_filter_func_proto`: socket filters.
    SocketFilter,
    /// `tc_cls_act_func_proto`: tc classifiers and actions.
    TcClsAct,
    /// `xdp_func_proto`.
    Xdp,
}

use FuncProtoTable::{Base, Kprobe, RawTracepoint, SocketFilter, TcClsAct, Tracepoint, Tracing, Xdp};

/// Every helper some program type may call: number (`enum bpf_func_id`), name without
/// `bpf_`, and the tables that offer it. One per line.
pub const HELPER_TABLES: &[(i32, &str, &[FuncProtoTable])] = &[
    (1, "map_lookup_elem", &[Base]),
    (2, "map_update_elem", &[Base]),
    (3, "map_delete_elem", &[Base]),
    (4, "probe_read", &[Tracing]),
    (5, "ktime_get_ns", &[Base]),
    (6, "trace_printk", &[Base]),
    (7, "get_prandom_u32", &[Base]),
    (8, "get_smp_processor_id", &[Base]),
    (9, "skb_store_bytes", &[TcClsAct]),
    (10, "l3_csum_replace", &[TcClsAct]),
    (11, "l4_csum_replace", &[TcClsAct]),
    (12, "tail_call", &[Base]),
    (13, "clone_redirect", &[TcClsAct]),
    (14, "get_current_pid_tgid", &[Tracing]),
    (15, "get_current_uid_gid", &[Tracing]),
    (16, "get_current_comm", &[Tracing]),
    (17, "get_cgroup_classid", &[TcClsAct]),
    (22, "perf_event_read", &[Tracing]),
    (23, "redirect", &[TcClsAct, Xdp]),
    (25, "perf_event_output", &[Kprobe, Tracepoint, RawTracepoint, SocketFilter, TcClsAct, Xdp]),
    (26, "skb_load_bytes", &[SocketFilter, TcClsAct]),
    (27, "get_stackid", &[Kprobe, Tracepoint, RawTracepoint]),
    (28, "csum_diff", &[TcClsAct, Xdp]),
    (34, "get_hash_recalc", &[TcClsAct]),
    (35, "get_current_task", &[Base]),
    (39, "skb_pull_data", &[TcClsAct]),
    (42, "get_numa_node_id", &[Base]),
    (44, "xdp_adjust_head", &[Xdp]),
    (45, "probe_read_str", &[Tracing]),
    (51, "redirect_map", &[Xdp]),
    (54, "xdp_adjust_meta", &[Xdp]),
    (65, "xdp_adjust_tail", &[Xdp]),
    (80, "get_current_cgroup_id", &[Tracing]),
    (112, "probe_read_user", &[Base]),
    (113, "probe_read_kernel", &[Base]),
    (114, "probe_read_user_str", &[Base]),
    (115, "probe_read_kernel_str", &[Base]),
    (125, "ktime_get_boot_ns", &[Base]),
    (130, "ringbuf_output", &[Base]),
    (131, "ringbuf_reserve", &[Base]),
    (132, "ringbuf_submit", &[Base]),
    (133, "ringbuf_discard", &[Base]),
    (160, "ktime_get_coarse_ns", &[Base]),
    (181, "loop", &[Base]),
];

impl ProgramType {
    /// The kernel tables this type's `get_func_proto` consults.
    pub fn func_proto_tables(self) -> &'static [FuncProtoTable] {
        match self {
            ProgramType::SocketFilter => &[Base, SocketFilter],
            ProgramType::Xdp => &[Base, Xdp],
            ProgramType::SchedCls | ProgramType::SchedAct => &[Base, TcClsAct],
            ProgramType::Kprobe => &[Base, Tracing, Kprobe],
            ProgramType::Tracepoint => &[Base, Tracing, Tracepoint],
            ProgramType::RawTracepoint => &[Base, Tracing, RawTracepoint],
        }
    }
}

/// Whether a helper is offered to a program type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Availability {
    /// The type may call it.
    Available,
    /// The helper exists, but not for this program type.
    NotForProgramType,
    /// No helper of this number (or kfunc of this name) is modelled.
    Unknown,
}

fn offered(tables: &[FuncProtoTable], program_type: ProgramType) -> Availability {
    if program_type.func_proto_tables().iter().any(|t| tables.contains(t)) {
        Availability::Available
    } else {
        Availability::NotForProgramType
    }
}

/// Whether a `program_type` program may call helper `id`.
pub fn helper_availability(id: i32, program_type: ProgramType) -> Availability {
    match HELPER_TABLES.iter().find(|h| h.0 == id) {
        Some((_, _, tables)) => offered(tables, program_type),
        None => Availability::Unknown,
    }
}

/// Whether a `program_type` program may call the kfunc named `name`.
/// The kfunc sets it is registered in are data in [`super::kfuncs`].
pub fn kfunc_availability(name: &str, program_type: ProgramType) -> Availability {
    match super::kfuncs::kfunc(name) {
        Some(kfunc) if kfunc.set.offers(program_type) => Availability::Available,
        Some(_) => Availability::NotForProgramType,
        None => Availability::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_helper_is_listed_once() {
        for (i, (id, name, _)) in HELPER_TABLES.iter().enumerate() {
            assert!(HELPER_TABLES[..i].iter().all(|h| h.0 != *id && h.1 != *name), "helper {id} {name} twice");
        }
    }

    #[test]
    fn availability_follows_the_kernels_func_proto_tables() {
        use Availability::*;
        // No redirect, packet writes or checksum helpers in a socket filter.
        for id in [9, 10, 11, 13, 23, 39] {
            assert_eq!(helper_availability(id, ProgramType::SocketFilter), NotForProgramType, "helper {id}");
        }
        assert_eq!(helper_availability(26, ProgramType::SocketFilter), Available);
        // No skb helpers in a kprobe, no task helpers in XDP.
        assert_eq!(helper_availability(26, ProgramType::Kprobe), NotForProgramType);
        assert_eq!(helper_availability(9, ProgramType::Kprobe), NotForProgramType);
        assert_eq!(helper_availability(14, ProgramType::Xdp), NotForProgramType);
        assert_eq!(helper_availability(44, ProgramType::SchedCls), NotForProgramType);
        assert_eq!(helper_availability(14, ProgramType::Tracepoint), Available);
        assert_eq!(helper_availability(27, ProgramType::RawTracepoint), Available);
        assert_eq!(helper_availability(23, ProgramType::SchedAct), Available);
        assert_eq!(helper_availability(1, ProgramType::SocketFilter), Available);
        assert_eq!(helper_availability(9999, ProgramType::Xdp), Unknown);
        assert_eq!(kfunc_availability("bpf_rcu_read_lock", ProgramType::Kprobe), Available);
        assert_eq!(kfunc_availability("bpf_nothing", ProgramType::Kprobe), Unknown);
    }
}
