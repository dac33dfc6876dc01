//! Which helpers and kfuncs a program of each type may call: the kernel's `*_func_proto`
//! tables as data. The one place both the interpreter ([`crate::interp::KernelHelpers`] refuses a
//! call its program type may not make) and the analyzer (which refuses the program) read.
//!
//! The kernel decides availability per program type with one function per type
//! (`tc_cls_act_func_proto`, `xdp_func_proto`, `kprobe_prog_func_proto`, ...), each
//! listing its own helpers and falling back to shared ones (`bpf_sk_base_func_proto`,
//! `bpf_tracing_func_proto`, `bpf_base_func_proto`). [`FuncProtoTable`] names those functions; a
//! program type consults a chain of them in the kernel's order
//! ([`ProgramType::func_proto_tables`]), and the first table that mentions a helper decides:
//! - [`HELPER_TABLES`]: every helper of the uapi list (`enum bpf_func_id`, kernel numbers
//!   and names without `bpf_`), one per line, with the tables that offer it outright;
//! - [`NARROWED`]: helpers a table offers only to some attach types (`bind` only to
//!   `cgroup/connect4`/`6`, `seq_printf` only to iterators, ...) and refuses the rest;
//! - [`DENIED`]: helpers a table refuses although a table it falls back to offers them;
//! - [`MIGHT_SLEEP`]: helpers only sleepable programs may call (`might_sleep` protos).
//!
//! The model is a privileged loader (`CAP_BPF`, `CAP_PERFMON`, `CAP_NET_ADMIN`, no
//! lockdown): the capability-gated parts of `bpf_base_func_proto` and
//! `bpf_sk_base_func_proto` are offered. Not modelled, so refused: the helpers only iterator
//! targets (`bpf_iter_get_func_proto`), struct_ops types (`tcp_send_ack`, ...) and lirc
//! (`rc_*`, the driver's source is not in the tree read) add; `freplace` and struct_ops
//! programs get only `bpf_base_func_proto`, which every chain ends in.

use super::program_type::{ProgramType, SockAddrHook};

/// One of the kernel's `*_func_proto` functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FuncProtoTable {
    /// `bpf_base_func_proto` (kernel/bpf/helpers.c), with its `CAP_BPF`/`CAP_PERFMON` parts.
    Base,
    /// `bpf_sk_base_func_proto` (net/core/filter.c): the networking types' shared table.
    SkBase,
    /// `cgroup_common_func_proto` (kernel/bpf/cgroup.c).
    CgroupCommon,
    /// `cgroup_current_func_proto`.
    CgroupCurrent,
    /// `sk_filter_func_proto`: socket filters (and cgroup skb's fallback).
    SocketFilter,
    /// `cg_skb_func_proto`.
    CgroupSkb,
    /// `tc_cls_act_func_proto`: tc classifiers and actions.
    TcClsAct,
    /// `xdp_func_proto`.
    Xdp,
    /// `sock_filter_func_proto`: `BPF_PROG_TYPE_CGROUP_SOCK`.
    CgroupSock,
    /// `sock_addr_func_proto`.
    SockAddr,
    /// `sock_ops_func_proto`.
    SockOps,
    /// `sk_msg_func_proto`.
    SkMsg,
    /// `sk_skb_func_proto`.
    SkSkb,
    /// `flow_dissector_func_proto`.
    FlowDissector,
    /// `lwt_out_func_proto` (also the other lwt types' fallback).
    LwtOut,
    /// `lwt_in_func_proto`.
    LwtIn,
    /// `lwt_xmit_func_proto`.
    LwtXmit,
    /// `lwt_seg6local_func_proto`.
    LwtSeg6local,
    /// `sk_reuseport_func_proto`.
    SkReuseport,
    /// `sk_lookup_func_proto`.
    SkLookup,
    /// `cgroup_dev_func_proto`.
    CgroupDevice,
    /// `sysctl_func_proto`.
    Sysctl,
    /// `cg_sockopt_func_proto`.
    CgroupSockopt,
    /// `bpf_tracing_func_proto` (kernel/trace/bpf_trace.c): the tracing types' shared table.
    Tracing,
    /// `kprobe_prog_func_proto`'s own entries.
    Kprobe,
    /// `tp_prog_func_proto`'s own entries.
    Tracepoint,
    /// `pe_prog_func_proto`'s own entries.
    PerfEvent,
    /// `raw_tp_prog_func_proto`'s own entries (raw and writable raw tracepoints).
    RawTracepoint,
    /// `tracing_prog_func_proto`: `BPF_PROG_TYPE_TRACING`, and LSM and syscall programs'
    /// fallback.
    TracingProg,
    /// `bpf_lsm_func_proto` (kernel/bpf/bpf_lsm.c).
    Lsm,
    /// `syscall_prog_func_proto` (kernel/bpf/syscall.c).
    Syscall,
    /// `bpf_nf_func_proto` (net/netfilter/nf_bpf_link.c): nothing of its own.
    Netfilter,
}

use FuncProtoTable::*;

/// Every helper of the uapi list: number (`enum bpf_func_id`), name without `bpf_`, and
/// the tables that offer it to every program consulting them. One per line.
pub const HELPER_TABLES: &[(i32, &str, &[FuncProtoTable])] = &[
    (1, "map_lookup_elem", &[Base, Tracing]),
    (2, "map_update_elem", &[Base, Tracing]),
    (3, "map_delete_elem", &[Base, Tracing]),
    (4, "probe_read", &[Tracing]),
    (5, "ktime_get_ns", &[Base, Tracing]),
    (6, "trace_printk", &[Base, Tracing]),
    (7, "get_prandom_u32", &[Base, Tracing]),
    (8, "get_smp_processor_id", &[Base, TcClsAct, Xdp, LwtOut, Tracing]),
    (9, "skb_store_bytes", &[TcClsAct, SkSkb, LwtXmit]),
    (10, "l3_csum_replace", &[TcClsAct, LwtXmit]),
    (11, "l4_csum_replace", &[TcClsAct, LwtXmit]),
    (12, "tail_call", &[Base, Tracing]),
    (13, "clone_redirect", &[TcClsAct, LwtXmit]),
    (14, "get_current_pid_tgid", &[Base]),
    (15, "get_current_uid_gid", &[CgroupCurrent, SkMsg, Tracing]),
    (16, "get_current_comm", &[CgroupCurrent, Tracing]),
    (17, "get_cgroup_classid", &[CgroupCurrent, TcClsAct, SkMsg, LwtOut]),
    (18, "skb_vlan_push", &[TcClsAct]),
    (19, "skb_vlan_pop", &[TcClsAct]),
    (20, "skb_get_tunnel_key", &[TcClsAct, LwtXmit]),
    (21, "skb_set_tunnel_key", &[TcClsAct, LwtXmit]),
    (22, "perf_event_read", &[Tracing]),
    (23, "redirect", &[TcClsAct, Xdp, LwtXmit]),
    (24, "get_route_realm", &[TcClsAct, LwtOut]),
    (
        25,
        "perf_event_output",
        &[
            SocketFilter,
            CgroupSkb,
            TcClsAct,
            Xdp,
            CgroupSock,
            SockAddr,
            SockOps,
            SkMsg,
            SkSkb,
            LwtOut,
            SkLookup,
            CgroupDevice,
            Sysctl,
            CgroupSockopt,
            Kprobe,
            Tracepoint,
            PerfEvent,
            RawTracepoint,
        ],
    ),
    (26, "skb_load_bytes", &[SocketFilter, TcClsAct, SkSkb, FlowDissector, LwtOut, SkReuseport]),
    (27, "get_stackid", &[Kprobe, Tracepoint, PerfEvent, RawTracepoint]),
    (28, "csum_diff", &[TcClsAct, Xdp, LwtOut]),
    (29, "skb_get_tunnel_opt", &[TcClsAct, LwtXmit]),
    (30, "skb_set_tunnel_opt", &[TcClsAct, LwtXmit]),
    (31, "skb_change_proto", &[TcClsAct]),
    (32, "skb_change_type", &[TcClsAct]),
    (33, "skb_under_cgroup", &[TcClsAct, LwtOut]),
    (34, "get_hash_recalc", &[TcClsAct, LwtOut]),
    (35, "get_current_task", &[Base, Tracing]),
    (36, "probe_write_user", &[Tracing]),
    (37, "current_task_under_cgroup", &[CgroupCurrent, Tracing]),
    (38, "skb_change_tail", &[TcClsAct, SkSkb, LwtXmit]),
    (39, "skb_pull_data", &[TcClsAct, SkSkb, LwtOut]),
    (40, "csum_update", &[TcClsAct, LwtXmit]),
    (41, "set_hash_invalid", &[TcClsAct, LwtXmit]),
    (42, "get_numa_node_id", &[Base, Tracing]),
    (43, "skb_change_head", &[TcClsAct, SkSkb, LwtXmit]),
    (44, "xdp_adjust_head", &[Xdp]),
    (45, "probe_read_str", &[Tracing]),
    (
        46,
        "get_socket_cookie",
        &[SocketFilter, TcClsAct, CgroupSock, SockAddr, SockOps, SkSkb, SkReuseport, TracingProg],
    ),
    (47, "get_socket_uid", &[SocketFilter, TcClsAct, SkSkb]),
    (48, "set_hash", &[TcClsAct]),
    (49, "setsockopt", &[SockOps]),
    (50, "skb_adjust_room", &[TcClsAct, SkSkb]),
    (51, "redirect_map", &[Xdp]),
    (52, "sk_redirect_map", &[SkSkb]),
    (53, "sock_map_update", &[SockOps]),
    (54, "xdp_adjust_meta", &[Xdp]),
    (55, "perf_event_read_value", &[Tracing]),
    (56, "perf_prog_read_value", &[PerfEvent]),
    (57, "getsockopt", &[SockOps]),
    (58, "override_return", &[Kprobe]),
    (59, "sock_ops_cb_flags_set", &[SockOps]),
    (60, "msg_redirect_map", &[SkMsg]),
    (61, "msg_apply_bytes", &[SkMsg]),
    (62, "msg_cork_bytes", &[SkMsg]),
    (63, "msg_pull_data", &[SkMsg]),
    (64, "bind", &[]),
    (65, "xdp_adjust_tail", &[Xdp]),
    (66, "skb_get_xfrm_state", &[TcClsAct]),
    (67, "get_stack", &[Kprobe, Tracepoint, PerfEvent, RawTracepoint]),
    (68, "skb_load_bytes_relative", &[SocketFilter, TcClsAct, SkReuseport]),
    (69, "fib_lookup", &[TcClsAct, Xdp]),
    (70, "sock_hash_update", &[SockOps]),
    (71, "msg_redirect_hash", &[SkMsg]),
    (72, "sk_redirect_hash", &[SkSkb]),
    (73, "lwt_push_encap", &[LwtIn, LwtXmit]),
    (74, "lwt_seg6_store_bytes", &[LwtSeg6local]),
    (75, "lwt_seg6_adjust_srh", &[LwtSeg6local]),
    (76, "lwt_seg6_action", &[LwtSeg6local]),
    (77, "rc_repeat", &[]),
    (78, "rc_keydown", &[]),
    (79, "skb_cgroup_id", &[CgroupSkb, TcClsAct]),
    (80, "get_current_cgroup_id", &[Base]),
    (81, "get_local_storage", &[CgroupCommon]),
    (82, "sk_select_reuseport", &[SkReuseport]),
    (83, "skb_ancestor_cgroup_id", &[CgroupSkb, TcClsAct]),
    (84, "sk_lookup_tcp", &[CgroupSkb, TcClsAct, Xdp, SockAddr, SkSkb]),
    (85, "sk_lookup_udp", &[CgroupSkb, TcClsAct, Xdp, SockAddr, SkSkb]),
    (86, "sk_release", &[CgroupSkb, TcClsAct, Xdp, SockAddr, SkSkb, SkLookup]),
    (87, "map_push_elem", &[Base, Tracing]),
    (88, "map_pop_elem", &[Base, Tracing]),
    (89, "map_peek_elem", &[Base, Tracing]),
    (90, "msg_push_data", &[SkMsg]),
    (91, "msg_pop_data", &[SkMsg]),
    (92, "rc_pointer_rel", &[]),
    (93, "spin_lock", &[Base, Lsm]),
    (94, "spin_unlock", &[Base, Lsm]),
    (95, "sk_fullsock", &[CgroupSkb, TcClsAct]),
    (96, "tcp_sock", &[CgroupSkb, TcClsAct, SockOps, CgroupSockopt]),
    (97, "skb_ecn_set_ce", &[CgroupSkb, TcClsAct]),
    (98, "get_listener_sock", &[CgroupSkb, TcClsAct]),
    (99, "skc_lookup_tcp", &[CgroupSkb, TcClsAct, Xdp, SockAddr, SkSkb]),
    (100, "tcp_check_syncookie", &[TcClsAct, Xdp]),
    (101, "sysctl_get_name", &[Sysctl]),
    (102, "sysctl_get_current_value", &[Sysctl]),
    (103, "sysctl_get_new_value", &[Sysctl]),
    (104, "sysctl_set_new_value", &[Sysctl]),
    (105, "strtol", &[Base]),
    (106, "strtoul", &[Base]),
    (
        107,
        "sk_storage_get",
        &[CgroupSkb, TcClsAct, CgroupSock, SockAddr, SockOps, SkMsg, CgroupSockopt, TracingProg, Lsm],
    ),
    (108, "sk_storage_delete", &[CgroupSkb, TcClsAct, SockAddr, SockOps, SkMsg, CgroupSockopt, TracingProg, Lsm]),
    (109, "send_signal", &[Tracing]),
    (110, "tcp_gen_syncookie", &[TcClsAct, Xdp]),
    (111, "skb_output", &[TracingProg]),
    (112, "probe_read_user", &[Base, Tracing]),
    (113, "probe_read_kernel", &[Base, Tracing]),
    (114, "probe_read_user_str", &[Base, Tracing]),
    (115, "probe_read_kernel_str", &[Base, Tracing]),
    (116, "tcp_send_ack", &[]),
    (117, "send_signal_thread", &[Tracing]),
    (118, "jiffies64", &[Base, Tracing]),
    (119, "read_branch_records", &[PerfEvent]),
    (120, "get_ns_current_pid_tgid", &[Base]),
    (121, "xdp_output", &[TracingProg]),
    (122, "get_netns_cookie", &[CgroupSock, SockAddr, SockOps, SkMsg, CgroupSockopt]),
    (123, "get_current_ancestor_cgroup_id", &[Base]),
    (124, "sk_assign", &[TcClsAct, SkLookup]),
    (125, "ktime_get_boot_ns", &[Base, Tracing]),
    (126, "seq_printf", &[]),
    (127, "seq_write", &[]),
    (128, "sk_cgroup_id", &[CgroupSkb]),
    (129, "sk_ancestor_cgroup_id", &[CgroupSkb]),
    (130, "ringbuf_output", &[Base, Tracing]),
    (131, "ringbuf_reserve", &[Base, Tracing]),
    (132, "ringbuf_submit", &[Base, Tracing]),
    (133, "ringbuf_discard", &[Base, Tracing]),
    (134, "ringbuf_query", &[Base, Tracing]),
    (135, "csum_level", &[TcClsAct, LwtXmit]),
    (136, "skc_to_tcp6_sock", &[SkBase, TracingProg]),
    (137, "skc_to_tcp_sock", &[SkBase, TracingProg]),
    (138, "skc_to_tcp_timewait_sock", &[SkBase, TracingProg]),
    (139, "skc_to_tcp_request_sock", &[SkBase, TracingProg]),
    (140, "skc_to_udp6_sock", &[SkBase, TracingProg]),
    (141, "get_task_stack", &[Tracing]),
    (142, "load_hdr_opt", &[SockOps]),
    (143, "store_hdr_opt", &[SockOps]),
    (144, "reserve_hdr_opt", &[SockOps]),
    (145, "inode_storage_get", &[Lsm]),
    (146, "inode_storage_delete", &[Lsm]),
    (147, "d_path", &[TracingProg]),
    (148, "copy_from_user", &[Tracing]),
    (149, "snprintf_btf", &[Base, Tracing]),
    (150, "seq_printf_btf", &[]),
    (151, "skb_cgroup_classid", &[TcClsAct]),
    (152, "redirect_neigh", &[TcClsAct]),
    (153, "per_cpu_ptr", &[Base, Tracing]),
    (154, "this_cpu_ptr", &[Base, Tracing]),
    (155, "redirect_peer", &[TcClsAct]),
    (156, "task_storage_get", &[Tracing]),
    (157, "task_storage_delete", &[Tracing]),
    (158, "get_current_task_btf", &[Base, Tracing]),
    (159, "bprm_opts_set", &[Lsm]),
    (160, "ktime_get_coarse_ns", &[SkBase, CgroupSock, SkReuseport, Sysctl]),
    (161, "ima_inode_hash", &[Lsm]),
    (162, "sock_from_file", &[TracingProg]),
    (163, "check_mtu", &[TcClsAct, Xdp]),
    (164, "for_each_map_elem", &[Base, Tracing]),
    (165, "snprintf", &[Base, Tracing]),
    (166, "sys_bpf", &[Syscall]),
    (167, "btf_find_by_name_kind", &[Syscall]),
    (168, "sys_close", &[Syscall]),
    (169, "timer_init", &[Base]),
    (170, "timer_set_callback", &[Base]),
    (171, "timer_start", &[Base]),
    (172, "timer_cancel", &[Base]),
    (173, "get_func_ip", &[Tracing, Kprobe]),
    (174, "get_attach_cookie", &[Kprobe, Tracepoint, PerfEvent, RawTracepoint]),
    (175, "task_pt_regs", &[Base, Tracing]),
    (176, "get_branch_snapshot", &[Tracing]),
    (177, "trace_vprintk", &[Base, Tracing]),
    (178, "skc_to_unix_sock", &[SkBase, TracingProg]),
    (179, "kallsyms_lookup_name", &[Syscall]),
    (180, "find_vma", &[Tracing]),
    (181, "loop", &[Base]),
    (182, "strncmp", &[Base]),
    (183, "get_func_arg", &[]),
    (184, "get_func_ret", &[]),
    (185, "get_func_arg_cnt", &[]),
    (186, "get_retval", &[]),
    (187, "set_retval", &[]),
    (188, "xdp_get_buff_len", &[Xdp, TracingProg]),
    (189, "xdp_load_bytes", &[Xdp]),
    (190, "xdp_store_bytes", &[Xdp]),
    (191, "copy_from_user_task", &[Tracing]),
    (192, "skb_set_tstamp", &[TcClsAct]),
    (193, "ima_file_hash", &[Lsm]),
    (194, "kptr_xchg", &[Base]),
    (195, "map_lookup_percpu_elem", &[Base, Tracing]),
    (196, "skc_to_mptcp_sock", &[SkBase, TracingProg]),
    (197, "dynptr_from_mem", &[Base]),
    (198, "ringbuf_reserve_dynptr", &[Base]),
    (199, "ringbuf_submit_dynptr", &[Base]),
    (200, "ringbuf_discard_dynptr", &[Base]),
    (201, "dynptr_read", &[Base]),
    (202, "dynptr_write", &[Base]),
    (203, "dynptr_data", &[Base]),
    (204, "tcp_raw_gen_syncookie_ipv4", &[TcClsAct, Xdp]),
    (205, "tcp_raw_gen_syncookie_ipv6", &[TcClsAct, Xdp]),
    (206, "tcp_raw_check_syncookie_ipv4", &[TcClsAct, Xdp]),
    (207, "tcp_raw_check_syncookie_ipv6", &[TcClsAct, Xdp]),
    (208, "ktime_get_tai_ns", &[Base]),
    (209, "user_ringbuf_drain", &[Base]),
    (210, "cgrp_storage_get", &[Base, Tracing]),
    (211, "cgrp_storage_delete", &[Base, Tracing]),
];

/// Helpers a table offers only to the listed program types (the kernel switches on the
/// attach type, or on whether the program has a trampoline); the table refuses them to
/// every other type that consults it.
pub const NARROWED: &[(FuncProtoTable, i32, &[ProgramType])] = {
    use ProgramType as T;
    use SockAddrHook as H;
    /// `bpf_prog_has_trampoline`: fentry, fexit, fmod_ret and LSM (not lsm_cgroup).
    const TRAMPOLINE: &[ProgramType] = &[
        T::Fentry,
        T::FentrySleepable,
        T::Fexit,
        T::FexitSleepable,
        T::FmodRet,
        T::FmodRetSleepable,
        T::Lsm,
        T::LsmSleepable,
    ];
    /// The sock_addr hooks that may set and get socket options.
    const SOCKOPT_HOOKS: &[ProgramType] = &[
        T::CgroupSockAddr(H::Bind4),
        T::CgroupSockAddr(H::Bind6),
        T::CgroupSockAddr(H::Connect4),
        T::CgroupSockAddr(H::Connect6),
        T::CgroupSockAddr(H::ConnectUnix),
        T::CgroupSockAddr(H::Recvmsg4),
        T::CgroupSockAddr(H::Recvmsg6),
        T::CgroupSockAddr(H::RecvmsgUnix),
        T::CgroupSockAddr(H::Sendmsg4),
        T::CgroupSockAddr(H::Sendmsg6),
        T::CgroupSockAddr(H::SendmsgUnix),
        T::CgroupSockAddr(H::Getpeername4),
        T::CgroupSockAddr(H::Getpeername6),
        T::CgroupSockAddr(H::Getsockname4),
        T::CgroupSockAddr(H::Getsockname6),
    ];
    /// The cgroup types that may read and set the hook's return value: all but cgroup skb,
    /// sockops and the address-reporting sock_addr hooks.
    const RETVAL_TYPES: &[ProgramType] = &[
        T::CgroupSock(super::program_type::CgroupSockHook::Create),
        T::CgroupSock(super::program_type::CgroupSockHook::Release),
        T::CgroupSock(super::program_type::CgroupSockHook::PostBind4),
        T::CgroupSock(super::program_type::CgroupSockHook::PostBind6),
        T::CgroupSockAddr(H::Bind4),
        T::CgroupSockAddr(H::Bind6),
        T::CgroupSockAddr(H::Connect4),
        T::CgroupSockAddr(H::Connect6),
        T::CgroupSockAddr(H::ConnectUnix),
        T::CgroupSockAddr(H::Sendmsg4),
        T::CgroupSockAddr(H::Sendmsg6),
        T::CgroupSockAddr(H::SendmsgUnix),
        T::CgroupDevice,
        T::CgroupSysctl,
        T::CgroupGetsockopt,
        T::CgroupSetsockopt,
        T::LsmCgroup,
    ];
    const ITER: &[ProgramType] = &[T::Iter, T::IterSleepable];
    const COOKIE: &[ProgramType] = &[
        T::TpBtf,
        T::Fentry,
        T::FentrySleepable,
        T::Fexit,
        T::FexitSleepable,
        T::FmodRet,
        T::FmodRetSleepable,
        T::Lsm,
        T::LsmSleepable,
    ];
    &[
        (SockAddr, 64, &[T::CgroupSockAddr(H::Connect4), T::CgroupSockAddr(H::Connect6)]), // bind
        (SockAddr, 49, SOCKOPT_HOOKS),                                                     // setsockopt
        (SockAddr, 57, SOCKOPT_HOOKS),                                                     // getsockopt
        (CgroupCommon, 186, RETVAL_TYPES),                                                 // get_retval
        (CgroupCommon, 187, RETVAL_TYPES),                                                 // set_retval
        // The kernel tests for BPF_CGROUP_SETSOCKOPT in both cases.
        (CgroupSockopt, 49, &[T::CgroupSetsockopt]), // setsockopt
        (CgroupSockopt, 57, &[T::CgroupSetsockopt]), // getsockopt
        (TracingProg, 126, ITER),                    // seq_printf
        (TracingProg, 127, ITER),                    // seq_write
        (TracingProg, 150, ITER),                    // seq_printf_btf
        (TracingProg, 183, TRAMPOLINE),              // get_func_arg
        (TracingProg, 184, TRAMPOLINE),              // get_func_ret
        (TracingProg, 185, TRAMPOLINE),              // get_func_arg_cnt
        (TracingProg, 174, COOKIE),                  // get_attach_cookie
        (Lsm, 174, &[T::Lsm, T::LsmSleepable]),      // get_attach_cookie
        (Lsm, 49, &[T::LsmCgroup]),                  // setsockopt
        (Lsm, 57, &[T::LsmCgroup]),                  // getsockopt
    ]
};

/// Helpers a table refuses although a table after it in the chain offers them.
pub const DENIED: &[(FuncProtoTable, i32)] = &[
    (LwtSeg6local, 39), // skb_pull_data
];

/// Helpers whose prototype `might_sleep`: only sleepable programs may call them
/// (`helper call might sleep in a non-sleepable prog`).
pub const MIGHT_SLEEP: &[i32] = &[
    148, // copy_from_user
    161, // ima_inode_hash
    166, // sys_bpf
    167, // btf_find_by_name_kind
    168, // sys_close
    191, // copy_from_user_task
    193, // ima_file_hash
];

impl ProgramType {
    /// The kernel tables this type's `get_func_proto` consults, in the kernel's order: the
    /// first that mentions a helper decides.
    pub fn func_proto_tables(self) -> &'static [FuncProtoTable] {
        use ProgramType as T;
        const TRACING_PROG: &[FuncProtoTable] = &[TracingProg, RawTracepoint, Tracing, Base];
        match self {
            T::SocketFilter => &[SocketFilter, SkBase, Base],
            T::SchedCls | T::SchedAct => &[TcClsAct, SkBase, Base],
            T::Xdp | T::XdpDevmap | T::XdpCpumap => &[Xdp, SkBase, Base],
            T::CgroupSkbIngress | T::CgroupSkbEgress => &[CgroupCommon, CgroupSkb, SocketFilter, SkBase, Base],
            T::CgroupSock(_) => &[CgroupCommon, CgroupCurrent, CgroupSock, Base],
            T::CgroupSockAddr(_) => &[CgroupCommon, CgroupCurrent, SockAddr, SkBase, Base],
            T::SockOps => &[CgroupCommon, SockOps, SkBase, Base],
            T::SkMsg => &[SkMsg, SkBase, Base],
            T::SkSkb | T::SkSkbStreamParser | T::SkSkbStreamVerdict | T::SkSkbVerdict => &[SkSkb, SkBase, Base],
            T::FlowDissector => &[FlowDissector, SkBase, Base],
            T::LwtIn => &[LwtIn, LwtOut, SkBase, Base],
            T::LwtOut => &[LwtOut, SkBase, Base],
            T::LwtXmit => &[LwtXmit, LwtOut, SkBase, Base],
            T::LwtSeg6local => &[LwtSeg6local, LwtOut, SkBase, Base],
            T::SkReuseport | T::SkReuseportMigrate => &[SkReuseport, Base],
            T::SkLookup => &[SkLookup, SkBase, Base],
            T::CgroupDevice => &[CgroupCommon, CgroupCurrent, CgroupDevice, Base],
            T::CgroupSysctl => &[CgroupCommon, CgroupCurrent, Sysctl, Base],
            T::CgroupGetsockopt | T::CgroupSetsockopt => &[CgroupCommon, CgroupCurrent, CgroupSockopt, Base],
            T::Kprobe | T::UprobeSleepable | T::KprobeMulti | T::KprobeSession => &[Kprobe, Tracing, Base],
            T::UprobeMulti | T::UprobeMultiSleepable => &[Kprobe, Tracing, Base],
            T::Tracepoint => &[Tracepoint, Tracing, Base],
            T::PerfEvent => &[PerfEvent, Tracing, Base],
            T::RawTracepoint | T::RawTracepointWritable => &[RawTracepoint, Tracing, Base],
            T::TpBtf | T::Fentry | T::FentrySleepable | T::Fexit | T::FexitSleepable => TRACING_PROG,
            T::FmodRet | T::FmodRetSleepable | T::Iter | T::IterSleepable => TRACING_PROG,
            T::Lsm | T::LsmSleepable => &[Lsm, TracingProg, RawTracepoint, Tracing, Base],
            T::LsmCgroup => &[CgroupCommon, Lsm, TracingProg, RawTracepoint, Tracing, Base],
            T::Syscall => &[Syscall, TracingProg, RawTracepoint, Tracing, Base],
            T::Netfilter => &[Netfilter, Base],
            // Per-target tables not modelled (see the module docs): the shared base only.
            T::LircMode2 | T::StructOps | T::StructOpsSleepable | T::Ext => &[Base],
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

/// Whether a `program_type` program may call helper `id`: the first table of its chain
/// that mentions the helper decides; sleepable-only helpers need a sleepable type.
pub fn helper_availability(id: i32, program_type: ProgramType) -> Availability {
    let Some((_, _, offering)) = HELPER_TABLES.iter().find(|h| h.0 == id) else {
        return Availability::Unknown;
    };
    if MIGHT_SLEEP.contains(&id) && !program_type.sleepable() {
        return Availability::NotForProgramType;
    }
    for &table in program_type.func_proto_tables() {
        if let Some((_, _, types)) = NARROWED.iter().find(|n| n.0 == table && n.1 == id) {
            return if types.contains(&program_type) {
                Availability::Available
            } else {
                Availability::NotForProgramType
            };
        }
        if DENIED.contains(&(table, id)) {
            return Availability::NotForProgramType;
        }
        if offering.contains(&table) {
            return Availability::Available;
        }
    }
    Availability::NotForProgramType
}

/// Whether a `program_type` program may call the kfunc named `name`.
/// The kfunc sets it is registered in are data in [`super::kfuncs`].
pub fn kfunc_availability(name: &str, program_type: ProgramType) -> Availability {
    match super::kfuncs::kfunc(name) {
        // The kernel's check_kfunc_call: a KF_SLEEPABLE kfunc needs a sleepable program.
        Some(kfunc) if kfunc.has(super::kfuncs::KfuncFlags::SLEEPABLE) && !program_type.sleepable() => {
            Availability::NotForProgramType
        }
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

    /// The kernel number of helper `name`.
    fn id(name: &str) -> i32 {
        HELPER_TABLES.iter().find(|h| h.1 == name).unwrap_or_else(|| panic!("no helper {name}")).0
    }

    #[test]
    fn every_uapi_helper_has_a_line_and_the_hand_written_ids_name_the_right_ones() {
        assert_eq!(HELPER_TABLES.len(), 211);
        for (i, &(number, name, _)) in HELPER_TABLES.iter().enumerate() {
            assert_eq!(number, i as i32 + 1, "{name}: the uapi numbers run 1..=211");
        }
        let narrowed = ["bind", "setsockopt", "getsockopt", "get_retval", "set_retval", "seq_printf", "seq_write"];
        for name in narrowed.iter().chain(&["seq_printf_btf", "get_func_arg", "get_func_ret", "get_attach_cookie"]) {
            assert!(NARROWED.iter().any(|n| n.1 == id(name)), "{name}");
        }
        let sleeping = ["copy_from_user", "ima_inode_hash", "sys_bpf", "btf_find_by_name_kind", "sys_close"];
        for name in sleeping.iter().chain(&["copy_from_user_task", "ima_file_hash"]) {
            assert!(MIGHT_SLEEP.contains(&id(name)), "{name}");
        }
        assert_eq!(DENIED, &[(LwtSeg6local, id("skb_pull_data"))]);
    }

    #[test]
    fn availability_follows_the_kernels_func_proto_tables() {
        use Availability::*;
        use ProgramType as T;
        let may = |name: &str, t: ProgramType| helper_availability(id(name), t);
        // No redirect, packet writes or checksum helpers in a socket filter.
        for name in
            ["skb_store_bytes", "l3_csum_replace", "l4_csum_replace", "clone_redirect", "redirect", "skb_pull_data"]
        {
            assert_eq!(may(name, T::SocketFilter), NotForProgramType, "{name}");
        }
        assert_eq!(may("skb_load_bytes", T::SocketFilter), Available);
        assert_eq!(may("skb_load_bytes", T::Kprobe), NotForProgramType);
        // 6.12 moved get_current_pid_tgid to the base table; get_current_comm stays in
        // the tracing and cgroup ones.
        assert_eq!(may("get_current_pid_tgid", T::Xdp), Available);
        assert_eq!(may("get_current_comm", T::Xdp), NotForProgramType);
        assert_eq!(may("get_current_comm", T::CgroupSysctl), Available);
        assert_eq!(may("xdp_adjust_head", T::SchedCls), NotForProgramType);
        assert_eq!(may("get_current_pid_tgid", T::Tracepoint), Available);
        assert_eq!(may("get_stackid", T::RawTracepoint), Available);
        assert_eq!(may("redirect", T::SchedAct), Available);
        assert_eq!(may("map_lookup_elem", T::SocketFilter), Available);
        assert_eq!(helper_availability(9999, T::Xdp), Unknown);
        // The networking shared table: sk_lookup_tcp in tc and XDP, not in socket filters.
        assert_eq!(may("sk_lookup_tcp", T::SchedCls), Available);
        assert_eq!(may("sk_lookup_tcp", T::Xdp), Available);
        assert_eq!(may("sk_lookup_tcp", T::SocketFilter), NotForProgramType);
        // cgroup skb: its own table, then the socket filter's (skb_load_bytes).
        assert_eq!(may("skb_load_bytes", T::CgroupSkbEgress), Available);
        assert_eq!(may("sk_storage_get", T::CgroupSkbIngress), Available);
        assert_eq!(may("get_local_storage", T::CgroupSkbIngress), Available);
        assert_eq!(may("get_retval", T::CgroupSkbIngress), NotForProgramType);
        assert_eq!(may("get_retval", T::CgroupSock(super::super::program_type::CgroupSockHook::Create)), Available);
        // sock_addr: bind only from connect hooks, setsockopt not from getsockname6's sibling unix hooks.
        assert_eq!(may("bind", T::CgroupSockAddr(SockAddrHook::Connect4)), Available);
        assert_eq!(may("bind", T::CgroupSockAddr(SockAddrHook::Sendmsg4)), NotForProgramType);
        assert_eq!(may("setsockopt", T::CgroupSockAddr(SockAddrHook::Bind6)), Available);
        assert_eq!(may("setsockopt", T::CgroupSockAddr(SockAddrHook::GetsocknameUnix)), NotForProgramType);
        // sockopt programs: both option helpers only with BPF_CGROUP_SETSOCKOPT.
        assert_eq!(may("getsockopt", T::CgroupSetsockopt), Available);
        assert_eq!(may("getsockopt", T::CgroupGetsockopt), NotForProgramType);
        // lwt: seg6local refuses skb_pull_data that lwt_out offers; xmit may redirect.
        assert_eq!(may("skb_pull_data", T::LwtOut), Available);
        assert_eq!(may("skb_pull_data", T::LwtSeg6local), NotForProgramType);
        assert_eq!(may("redirect", T::LwtXmit), Available);
        assert_eq!(may("redirect", T::LwtIn), NotForProgramType);
        assert_eq!(may("lwt_push_encap", T::LwtIn), Available);
        // Tracing: seq_printf only for iterators, get_func_arg only with a trampoline,
        // get_attach_cookie not for iterators although raw_tp's table offers it.
        assert_eq!(may("seq_printf", T::Iter), Available);
        assert_eq!(may("seq_printf", T::Fentry), NotForProgramType);
        assert_eq!(may("get_func_arg", T::Fexit), Available);
        assert_eq!(may("get_func_arg", T::TpBtf), NotForProgramType);
        assert_eq!(may("get_func_arg", T::Lsm), Available);
        assert_eq!(may("get_attach_cookie", T::TpBtf), Available);
        assert_eq!(may("get_attach_cookie", T::Iter), NotForProgramType);
        assert_eq!(may("get_attach_cookie", T::RawTracepoint), Available);
        assert_eq!(may("get_attach_cookie", T::LsmCgroup), NotForProgramType);
        assert_eq!(may("skb_output", T::Fentry), Available);
        assert_eq!(may("skb_output", T::Kprobe), NotForProgramType);
        assert_eq!(may("perf_prog_read_value", T::PerfEvent), Available);
        assert_eq!(may("perf_prog_read_value", T::Kprobe), NotForProgramType);
        assert_eq!(may("override_return", T::KprobeMulti), Available);
        assert_eq!(may("inode_storage_get", T::LsmSleepable), Available);
        assert_eq!(may("inode_storage_get", T::Fentry), NotForProgramType);
        assert_eq!(may("setsockopt", T::LsmCgroup), Available);
        assert_eq!(may("setsockopt", T::Lsm), NotForProgramType);
        // Sleepable-only helpers.
        assert_eq!(may("copy_from_user", T::FentrySleepable), Available);
        assert_eq!(may("copy_from_user", T::Fentry), NotForProgramType);
        assert_eq!(may("sys_bpf", T::Syscall), Available);
        assert_eq!(may("sys_bpf", T::Kprobe), NotForProgramType);
        // Other types.
        assert_eq!(may("sk_select_reuseport", T::SkReuseportMigrate), Available);
        assert_eq!(may("sk_assign", T::SkLookup), Available);
        assert_eq!(may("msg_redirect_map", T::SkMsg), Available);
        assert_eq!(may("sk_redirect_map", T::SkSkbVerdict), Available);
        assert_eq!(may("sysctl_get_name", T::CgroupSysctl), Available);
        assert_eq!(may("sock_ops_cb_flags_set", T::SockOps), Available);
        assert_eq!(may("map_lookup_elem", T::Netfilter), Available);
        assert_eq!(may("ktime_get_ns", T::StructOps), Available);
        assert_eq!(kfunc_availability("bpf_rcu_read_lock", T::Kprobe), Available);
        assert_eq!(kfunc_availability("bpf_nothing", T::Kprobe), Unknown);
    }

    #[test]
    fn every_chain_ends_in_the_base_table() {
        for t in ProgramType::ALL {
            assert_eq!(t.func_proto_tables().last(), Some(&FuncProtoTable::Base), "{t}");
        }
    }
}
