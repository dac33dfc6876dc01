//! The loader's privilege: what the kernel lets a program do depending on who loads it.
//!
//! A root loader (`CAP_BPF`, `CAP_PERFMON`, `CAP_NET_ADMIN`, `CAP_SYS_ADMIN`) gets the
//! kernel's `allow_ptr_leaks`, `allow_uninit_stack`, `bypass_spec_v1` and `bpf_capable`:
//! uninitialised stack reads give unknown values, pointers may be returned, stored, compared
//! and passed to helpers as numbers, and programs may call subprograms, kfuncs and loop.
//! An unprivileged loader gets none of them, may load only socket filters and cgroup skb
//! programs, and may call only the helpers `bpf_base_func_proto` and the socket tables offer
//! without a capability. Both the analyzer (which refuses what the privilege forbids) and the
//! interpreter (which traps on uninitialised stack reads only for unprivileged runs) read it.

use std::fmt;
use std::str::FromStr;

use super::program_type::ProgramType;
use crate::interp::UninitialisedStack;

/// Who loads the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Privilege {
    /// A root loader: what the kernel gives `CAP_BPF` + `CAP_PERFMON` + `CAP_NET_ADMIN` +
    /// `CAP_SYS_ADMIN`. The default.
    Privileged,
    /// A loader without capabilities (`kernel.unprivileged_bpf_disabled = 0`).
    Unprivileged,
}

/// Helpers the kernel offers only with `CAP_BPF` or `CAP_PERFMON`, whatever the program
/// type's table says: the gated parts of `bpf_base_func_proto` and the `skc_to_*` casts
/// `bpf_sk_base_func_proto` gates on `CAP_PERFMON`. By number (`enum bpf_func_id`).
const CAPABILITY_HELPERS: &[(i32, &str)] = &[
    (6, "trace_printk"),
    (35, "get_current_task"),
    (93, "spin_lock"),
    (94, "spin_unlock"),
    (112, "probe_read_user"),
    (113, "probe_read_kernel"),
    (114, "probe_read_user_str"),
    (115, "probe_read_kernel_str"),
    (118, "jiffies64"),
    (136, "skc_to_tcp6_sock"),
    (137, "skc_to_tcp_sock"),
    (138, "skc_to_tcp_timewait_sock"),
    (139, "skc_to_tcp_request_sock"),
    (140, "skc_to_udp6_sock"),
    (149, "snprintf_btf"),
    (153, "per_cpu_ptr"),
    (154, "this_cpu_ptr"),
    (158, "get_current_task_btf"),
    (164, "for_each_map_elem"),
    (165, "snprintf"),
    (169, "timer_init"),
    (170, "timer_set_callback"),
    (171, "timer_start"),
    (172, "timer_cancel"),
    (175, "task_pt_regs"),
    (178, "skc_to_unix_sock"),
    (181, "loop"),
    (194, "kptr_xchg"),
    (196, "skc_to_mptcp_sock"),
    (197, "dynptr_from_mem"),
    (198, "ringbuf_reserve_dynptr"),
    (199, "ringbuf_submit_dynptr"),
    (200, "ringbuf_discard_dynptr"),
    (201, "dynptr_read"),
    (202, "dynptr_write"),
    (203, "dynptr_data"),
    (177, "trace_vprintk"),
    (209, "user_ringbuf_drain"),
    (210, "cgrp_storage_get"),
    (211, "cgrp_storage_delete"),
    (80, "get_current_cgroup_id"),
    (123, "get_current_ancestor_cgroup_id"),
];

impl Privilege {
    /// Both privileges, the default first.
    pub const ALL: [Privilege; 2] = [Privilege::Privileged, Privilege::Unprivileged];

    /// `privileged` or `unprivileged`.
    pub fn name(self) -> &'static str {
        match self {
            Privilege::Privileged => "privileged",
            Privilege::Unprivileged => "unprivileged",
        }
    }

    /// Whether pointers may become visible as numbers (`allow_ptr_leaks`): returned, stored
    /// outside the stack, compared, subtracted, passed to helpers as numbers.
    pub fn allows_pointer_leaks(self) -> bool {
        self == Privilege::Privileged
    }

    /// Whether reads of stack bytes never written give unknown values (`allow_uninit_stack`)
    /// rather than being refused.
    pub fn allows_uninitialised_stack(self) -> bool {
        self == Privilege::Privileged
    }

    /// Whether the program may call subprograms and kfuncs, take function addresses and loop
    /// (`bpf_capable`).
    pub fn allows_calls_and_loops(self) -> bool {
        self == Privilege::Privileged
    }

    /// What the interpreter does on a read of uninitialised stack under this privilege: the
    /// privileged kernel lets it read whatever the stack holds, so the interpreter must not
    /// trap where the analyzer accepts.
    pub fn uninitialised_stack(self) -> UninitialisedStack {
        if self.allows_uninitialised_stack() { UninitialisedStack::Arbitrary } else { UninitialisedStack::Trap }
    }

    /// Whether a loader of this privilege may load programs of `program_type`
    /// (`bpf_prog_load`: socket filters and cgroup skb programs only, for unprivileged ones).
    pub fn allows_program_type(self, program_type: ProgramType) -> bool {
        match self {
            Privilege::Privileged => true,
            Privilege::Unprivileged => matches!(program_type, ProgramType::SocketFilter),
        }
    }

    /// Whether helper `id` is offered to a loader of this privilege, if its program type's
    /// tables offer it at all.
    pub fn allows_helper(self, id: i32) -> bool {
        match self {
            Privilege::Privileged => true,
            Privilege::Unprivileged => !CAPABILITY_HELPERS.iter().any(|&(gated, _)| gated == id),
        }
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is neither `privileged` nor `unprivileged`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown privilege `{0}` (expected `privileged` or `unprivileged`)")]
pub struct UnknownPrivilege(pub String);

impl FromStr for Privilege {
    type Err = UnknownPrivilege;

    fn from_str(name: &str) -> Result<Privilege, UnknownPrivilege> {
        Privilege::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| UnknownPrivilege(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for privilege in Privilege::ALL {
            assert_eq!(privilege.name().parse::<Privilege>(), Ok(privilege));
        }
        assert!("root".parse::<Privilege>().is_err());
    }

    #[test]
    fn unprivileged_runs_trap_on_uninitialised_stack() {
        assert_eq!(Privilege::Privileged.uninitialised_stack(), UninitialisedStack::Arbitrary);
        assert_eq!(Privilege::Unprivileged.uninitialised_stack(), UninitialisedStack::Trap);
    }

    #[test]
    fn unprivileged_loaders_get_socket_filters_and_base_helpers_only() {
        assert!(Privilege::Unprivileged.allows_program_type(ProgramType::SocketFilter));
        assert!(!Privilege::Unprivileged.allows_program_type(ProgramType::Xdp));
        assert!(!Privilege::Unprivileged.allows_program_type(ProgramType::Kprobe));
        // map_lookup_elem and tail_call are offered to all; bpf_loop and spin locks need CAP_BPF.
        assert!(Privilege::Unprivileged.allows_helper(1));
        assert!(Privilege::Unprivileged.allows_helper(12));
        assert!(!Privilege::Unprivileged.allows_helper(181));
        assert!(!Privilege::Unprivileged.allows_helper(93));
        assert!(Privilege::Privileged.allows_helper(181));
    }
}
