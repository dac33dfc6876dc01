//! ELF section names and the program type each selects, as loaders read them.
//!
//! Three readings, tried in order ([`SectionType::of`]):
//! 1. **libbpf 1.x** (`section_defs` in tools/lib/bpf/libbpf.c): a leading `?` only turns
//!    autoload off; then the first table entry that matches wins. An entry written `name+`
//!    matches `name` itself or `name/anything`; any other entry matches only itself.
//! 2. **Older loaders** (libbpf 0.x's `SEC_SLOPPY_PFX`, which 1.0 dropped): the name
//!    continues a table name after a separator (`socket1`, `xdp_prog`, `classifier/egress`,
//!    `kprobe/...`). The longest table name wins, so `sk_skb/stream_parser_x` is a parser.
//! 3. **iproute2 conventions**: `tc` and `ip` load every program of an object as the one
//!    type their command line names, whatever the section is called. Tail-call slots
//!    (`1/0`, `2/1`: prog-array id and key) and the customary `ingress`, `egress` and `prog`
//!    take the type the object's other programs share ([`SectionType::Inherit`]).
//!
//! Anything else names no type: [`resolve`] gives that program its own error and leaves the
//! object's other programs alone.

use thiserror::Error;

use super::context::ContextKind;
use super::program_type::{CgroupSockHook, ProgramType, SockAddrHook};

/// What a section name says about its program's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionType {
    /// libbpf 1.x chooses this type.
    Libbpf(ProgramType),
    /// A loader from before libbpf 1.0 chose this type (sloppy prefix match).
    Legacy(ProgramType),
    /// An iproute2-style name: the loader's command line chooses, so the program takes the
    /// type of the object's other programs.
    Inherit,
}

/// A section name with what it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section<'a> {
    /// The name without libbpf's `?` prefix.
    pub name: &'a str,
    /// Whether libbpf loads it by default (no `?` prefix).
    pub autoload: bool,
    /// The type it selects, if any.
    pub kind: Option<SectionType>,
}

/// How a table entry matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pattern {
    /// The name exactly.
    Exact,
    /// The name, or the name followed by `/` and anything (libbpf's `+`).
    Plus,
}

use Pattern::{Exact, Plus};
use ProgramType as T;

/// libbpf 1.x's `section_defs`, in its order (first match wins), with the program type
/// each entry selects.
const LIBBPF_SECTIONS: &[(&str, Pattern, ProgramType)] = &[
    ("socket", Exact, T::SocketFilter),
    ("sk_reuseport/migrate", Exact, T::SkReuseportMigrate),
    ("sk_reuseport", Exact, T::SkReuseport),
    ("kprobe", Plus, T::Kprobe),
    ("uprobe", Plus, T::Kprobe),
    ("uprobe.s", Plus, T::UprobeSleepable),
    ("kretprobe", Plus, T::Kprobe),
    ("uretprobe", Plus, T::Kprobe),
    ("uretprobe.s", Plus, T::UprobeSleepable),
    ("kprobe.multi", Plus, T::KprobeMulti),
    ("kretprobe.multi", Plus, T::KprobeMulti),
    ("kprobe.session", Plus, T::KprobeSession),
    ("uprobe.multi", Plus, T::UprobeMulti),
    ("uretprobe.multi", Plus, T::UprobeMulti),
    ("uprobe.multi.s", Plus, T::UprobeMultiSleepable),
    ("uretprobe.multi.s", Plus, T::UprobeMultiSleepable),
    ("ksyscall", Plus, T::Kprobe),
    ("kretsyscall", Plus, T::Kprobe),
    ("usdt", Plus, T::Kprobe),
    ("usdt.s", Plus, T::UprobeSleepable),
    ("tc/ingress", Exact, T::SchedCls),
    ("tc/egress", Exact, T::SchedCls),
    ("tcx/ingress", Exact, T::SchedCls),
    ("tcx/egress", Exact, T::SchedCls),
    ("tc", Exact, T::SchedCls),
    ("classifier", Exact, T::SchedCls),
    ("action", Exact, T::SchedAct),
    ("netkit/primary", Exact, T::SchedCls),
    ("netkit/peer", Exact, T::SchedCls),
    ("tracepoint", Plus, T::Tracepoint),
    ("tp", Plus, T::Tracepoint),
    ("raw_tracepoint", Plus, T::RawTracepoint),
    ("raw_tp", Plus, T::RawTracepoint),
    ("raw_tracepoint.w", Plus, T::RawTracepointWritable),
    ("raw_tp.w", Plus, T::RawTracepointWritable),
    ("tp_btf", Plus, T::TpBtf),
    ("fentry", Plus, T::Fentry),
    ("fmod_ret", Plus, T::FmodRet),
    ("fexit", Plus, T::Fexit),
    ("fentry.s", Plus, T::FentrySleepable),
    ("fmod_ret.s", Plus, T::FmodRetSleepable),
    ("fexit.s", Plus, T::FexitSleepable),
    ("freplace", Plus, T::Ext),
    ("lsm", Plus, T::Lsm),
    ("lsm.s", Plus, T::LsmSleepable),
    ("lsm_cgroup", Plus, T::LsmCgroup),
    ("iter", Plus, T::Iter),
    ("iter.s", Plus, T::IterSleepable),
    ("syscall", Exact, T::Syscall),
    ("xdp.frags/devmap", Exact, T::XdpDevmap),
    ("xdp/devmap", Exact, T::XdpDevmap),
    ("xdp.frags/cpumap", Exact, T::XdpCpumap),
    ("xdp/cpumap", Exact, T::XdpCpumap),
    ("xdp.frags", Exact, T::Xdp),
    ("xdp", Exact, T::Xdp),
    ("perf_event", Exact, T::PerfEvent),
    ("lwt_in", Exact, T::LwtIn),
    ("lwt_out", Exact, T::LwtOut),
    ("lwt_xmit", Exact, T::LwtXmit),
    ("lwt_seg6local", Exact, T::LwtSeg6local),
    ("sockops", Exact, T::SockOps),
    ("sk_skb/stream_parser", Exact, T::SkSkbStreamParser),
    ("sk_skb/stream_verdict", Exact, T::SkSkbStreamVerdict),
    ("sk_skb/verdict", Exact, T::SkSkbVerdict),
    ("sk_skb", Exact, T::SkSkb),
    ("sk_msg", Exact, T::SkMsg),
    ("lirc_mode2", Exact, T::LircMode2),
    ("flow_dissector", Exact, T::FlowDissector),
    ("cgroup_skb/ingress", Exact, T::CgroupSkbIngress),
    ("cgroup_skb/egress", Exact, T::CgroupSkbEgress),
    ("cgroup/skb", Exact, T::CgroupSkbIngress),
    ("cgroup/sock_create", Exact, T::CgroupSock(CgroupSockHook::Create)),
    ("cgroup/sock_release", Exact, T::CgroupSock(CgroupSockHook::Release)),
    ("cgroup/sock", Exact, T::CgroupSock(CgroupSockHook::Create)),
    ("cgroup/post_bind4", Exact, T::CgroupSock(CgroupSockHook::PostBind4)),
    ("cgroup/post_bind6", Exact, T::CgroupSock(CgroupSockHook::PostBind6)),
    ("cgroup/bind4", Exact, T::CgroupSockAddr(SockAddrHook::Bind4)),
    ("cgroup/bind6", Exact, T::CgroupSockAddr(SockAddrHook::Bind6)),
    ("cgroup/connect4", Exact, T::CgroupSockAddr(SockAddrHook::Connect4)),
    ("cgroup/connect6", Exact, T::CgroupSockAddr(SockAddrHook::Connect6)),
    ("cgroup/connect_unix", Exact, T::CgroupSockAddr(SockAddrHook::ConnectUnix)),
    ("cgroup/sendmsg4", Exact, T::CgroupSockAddr(SockAddrHook::Sendmsg4)),
    ("cgroup/sendmsg6", Exact, T::CgroupSockAddr(SockAddrHook::Sendmsg6)),
    ("cgroup/sendmsg_unix", Exact, T::CgroupSockAddr(SockAddrHook::SendmsgUnix)),
    ("cgroup/recvmsg4", Exact, T::CgroupSockAddr(SockAddrHook::Recvmsg4)),
    ("cgroup/recvmsg6", Exact, T::CgroupSockAddr(SockAddrHook::Recvmsg6)),
    ("cgroup/recvmsg_unix", Exact, T::CgroupSockAddr(SockAddrHook::RecvmsgUnix)),
    ("cgroup/getpeername4", Exact, T::CgroupSockAddr(SockAddrHook::Getpeername4)),
    ("cgroup/getpeername6", Exact, T::CgroupSockAddr(SockAddrHook::Getpeername6)),
    ("cgroup/getpeername_unix", Exact, T::CgroupSockAddr(SockAddrHook::GetpeernameUnix)),
    ("cgroup/getsockname4", Exact, T::CgroupSockAddr(SockAddrHook::Getsockname4)),
    ("cgroup/getsockname6", Exact, T::CgroupSockAddr(SockAddrHook::Getsockname6)),
    ("cgroup/getsockname_unix", Exact, T::CgroupSockAddr(SockAddrHook::GetsocknameUnix)),
    ("cgroup/sysctl", Exact, T::CgroupSysctl),
    ("cgroup/getsockopt", Exact, T::CgroupGetsockopt),
    ("cgroup/setsockopt", Exact, T::CgroupSetsockopt),
    ("cgroup/dev", Exact, T::CgroupDevice),
    ("struct_ops", Plus, T::StructOps),
    ("struct_ops.s", Plus, T::StructOpsSleepable),
    ("sk_lookup", Exact, T::SkLookup),
    ("netfilter", Exact, T::Netfilter),
];

/// Names only loaders before libbpf 1.0 knew, matched like the legacy reading of the table.
const LEGACY_ONLY_SECTIONS: &[(&str, ProgramType)] = &[("xdp_devmap", T::XdpDevmap), ("xdp_cpumap", T::XdpCpumap)];

/// Names iproute2's examples and older tc objects give programs whose type the command
/// line chooses.
const IPROUTE2_NAMES: &[&str] = &["ingress", "egress", "prog"];

impl SectionType {
    /// What section name `name` (without a `?` prefix) says about its program's type.
    pub fn of(name: &str) -> Option<SectionType> {
        if let Some(t) = libbpf(name) {
            return Some(SectionType::Libbpf(t));
        }
        if let Some(t) = legacy(name) {
            return Some(SectionType::Legacy(t));
        }
        (IPROUTE2_NAMES.contains(&name) || is_tail_call_slot(name)).then_some(SectionType::Inherit)
    }

    /// The type the name itself chooses (none for [`SectionType::Inherit`]).
    pub fn program_type(self) -> Option<ProgramType> {
        match self {
            SectionType::Libbpf(t) | SectionType::Legacy(t) => Some(t),
            SectionType::Inherit => None,
        }
    }
}

impl<'a> Section<'a> {
    /// Reads section name `raw` (as in the ELF file, possibly with libbpf's `?` prefix).
    pub fn parse(raw: &'a str) -> Section<'a> {
        let (name, autoload) = match raw.strip_prefix('?') {
            Some(rest) => (rest, false),
            None => (raw, true),
        };
        Section { name, autoload, kind: SectionType::of(name) }
    }
}

/// The libbpf 1.x reading.
fn libbpf(name: &str) -> Option<ProgramType> {
    LIBBPF_SECTIONS.iter().find_map(|&(pattern, how, t)| {
        let matched = match how {
            Exact => name == pattern,
            Plus => name.strip_prefix(pattern).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
        };
        matched.then_some(t)
    })
}

/// The pre-1.0 reading: a table name followed by a separator (`/`, `_`, `-`, `.`) or a
/// digit, longest name first. A bare continuation (`xdpfoo`) is not taken: it is more
/// likely another word than a program type.
fn legacy(name: &str) -> Option<ProgramType> {
    let table = LIBBPF_SECTIONS.iter().map(|&(pattern, _, t)| (pattern, t)).chain(LEGACY_ONLY_SECTIONS.iter().copied());
    table
        .filter(|(pattern, _)| {
            name.strip_prefix(pattern).is_some_and(|rest| {
                rest.is_empty()
                    || rest.starts_with(['/', '_', '-', '.'])
                    || rest.starts_with(|c: char| c.is_ascii_digit())
            })
        })
        .max_by_key(|(pattern, _)| pattern.len())
        .map(|(_, t)| t)
}

/// iproute2's `__section_tail(ID, KEY)` names: `ID/KEY`, both decimal.
fn is_tail_call_slot(name: &str) -> bool {
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    name.split_once('/').is_some_and(|(id, key)| decimal(id) && decimal(key))
}

/// Why a program got no type.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SectionError {
    /// The section name selects no program type and no override or default was given.
    #[error("section `{section}` names no program type; pass --program-type NAME to choose one")]
    Unknown {
        /// The section name.
        section: String,
    },
    /// An iproute2-style name whose type would come from the object's other programs, but
    /// they do not agree on one (or there are none).
    #[error(
        "section `{section}` takes its type from the loader (iproute2 style), and the object's other programs {why}; pass --program-type NAME"
    )]
    NoTypeToInherit {
        /// The section name.
        section: String,
        /// What the other programs are.
        why: String,
    },
}

/// How a caller wants program types chosen for an object's programs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypeChoice {
    /// Every program gets this type, whatever its section says.
    pub force: Option<ProgramType>,
    /// Programs whose section names no type get this one.
    pub default: Option<ProgramType>,
}

/// Whether `section` is one of libbpf's `xdp.frags` sections, which load with
/// `BPF_F_XDP_HAS_FRAGS` (the program accepts multi-buffer packets).
pub fn has_xdp_frags(section: &str) -> bool {
    let section = section.strip_prefix('?').unwrap_or(section);
    section == "xdp.frags" || section.starts_with("xdp.frags/")
}

/// The program type of each program of an object, given the programs' section names in
/// order: one result per section, each independent (an unknown section fails only its own
/// program).
pub fn resolve(sections: &[&str], choice: TypeChoice) -> Vec<Result<ProgramType, SectionError>> {
    if let Some(t) = choice.force {
        return sections.iter().map(|_| Ok(t)).collect();
    }
    let parsed: Vec<Section> = sections.iter().map(|s| Section::parse(s)).collect();
    let mut own: Vec<ProgramType> = parsed.iter().filter_map(|s| s.kind?.program_type()).collect();
    own.sort();
    own.dedup();
    parsed
        .iter()
        .map(|section| match section.kind {
            Some(kind @ (SectionType::Libbpf(_) | SectionType::Legacy(_))) => {
                Ok(kind.program_type().expect("named types have one"))
            }
            Some(SectionType::Inherit) => match (own.as_slice(), choice.default) {
                ([t], _) => Ok(*t),
                (_, Some(t)) => Ok(t),
                ([], None) => {
                    Err(SectionError::NoTypeToInherit { section: section.name.to_owned(), why: "name no type".into() })
                }
                (many, None) => Err(SectionError::NoTypeToInherit {
                    section: section.name.to_owned(),
                    why: format!(
                        "have {} types ({})",
                        many.len(),
                        many.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
                    ),
                }),
            },
            None => choice.default.ok_or_else(|| SectionError::Unknown { section: section.name.to_owned() }),
        })
        .collect()
}

/// What follows the section's first `/` (`file_open` in `lsm/file_open`), ignoring a `?`.
fn attach_target(section: &str) -> Option<&str> {
    let name = section.strip_prefix('?').unwrap_or(section);
    name.split_once('/').map(|(_, target)| target)
}

impl ProgramType {
    /// The program type that ELF section `section` (a `SEC(...)` name, possibly with `?`)
    /// selects by itself, as libbpf or an older loader decides it. Object-wide choices
    /// (iproute2 names, overrides) are [`resolve`]'s.
    pub fn of_section(section: &str) -> Option<ProgramType> {
        Section::parse(section).kind?.program_type()
    }

    /// The values a program of this type in section `section` may return: the attach
    /// target is what follows the section's first `/` (`lsm/file_open`).
    pub fn return_range_in(self, section: &str) -> Option<(i64, i64)> {
        self.return_range_at(attach_target(section))
    }

    /// The context of a program of this type in section `section`, whose attach target
    /// chooses it for iterators (`iter/bpf_map_elem`).
    pub fn context_in(self, section: &str) -> ContextKind {
        self.context_at(attach_target(section))
    }

    /// A section name that selects this type by itself: its libbpf name where that is a
    /// section name, else the first libbpf section that selects it.
    pub fn section(self) -> &'static str {
        if libbpf(self.name()) == Some(self) {
            return self.name();
        }
        LIBBPF_SECTIONS.iter().find(|entry| entry.2 == self).map_or(self.name(), |entry| entry.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdp_frags_sections_are_recognised() {
        assert!(has_xdp_frags("xdp.frags") && has_xdp_frags("?xdp.frags/devmap"));
        assert!(!has_xdp_frags("xdp") && !has_xdp_frags("xdp.fragsx"));
    }

    #[test]
    fn libbpf_sections_select_types() {
        let cases = [
            ("socket", T::SocketFilter),
            ("sk_reuseport/migrate", T::SkReuseportMigrate),
            ("sk_reuseport", T::SkReuseport),
            ("kprobe", T::Kprobe),
            ("kprobe/do_sys_openat2", T::Kprobe),
            ("kretprobe/tcp_sendmsg", T::Kprobe),
            ("uprobe//proc/self/exe:func", T::Kprobe),
            ("uprobe.s//bin/bash:readline", T::UprobeSleepable),
            ("uretprobe.s", T::UprobeSleepable),
            ("kprobe.multi/tcp_*", T::KprobeMulti),
            ("kretprobe.multi", T::KprobeMulti),
            ("kprobe.session/bpf_fentry_test*", T::KprobeSession),
            ("uprobe.multi/libc.so.6:*", T::UprobeMulti),
            ("uretprobe.multi.s", T::UprobeMultiSleepable),
            ("ksyscall/openat", T::Kprobe),
            ("usdt/libc:probe", T::Kprobe),
            ("usdt.s", T::UprobeSleepable),
            ("tc", T::SchedCls),
            ("tc/ingress", T::SchedCls),
            ("tcx/egress", T::SchedCls),
            ("netkit/peer", T::SchedCls),
            ("classifier", T::SchedCls),
            ("action", T::SchedAct),
            ("tracepoint/syscalls/sys_enter_execve", T::Tracepoint),
            ("tp/sched/sched_switch", T::Tracepoint),
            ("raw_tp/sys_enter", T::RawTracepoint),
            ("raw_tracepoint", T::RawTracepoint),
            ("raw_tp.w/bpf_testmod_test_writable_bare", T::RawTracepointWritable),
            ("raw_tracepoint.w", T::RawTracepointWritable),
            ("tp_btf/task_newtask", T::TpBtf),
            ("fentry/bpf_fentry_test1", T::Fentry),
            ("fentry.s/bpf_fentry_test1", T::FentrySleepable),
            ("fexit/bpf_fentry_test1", T::Fexit),
            ("fexit.s", T::FexitSleepable),
            ("fmod_ret/bpf_modify_return_test", T::FmodRet),
            ("fmod_ret.s/x", T::FmodRetSleepable),
            ("freplace/get_constant", T::Ext),
            ("lsm/file_open", T::Lsm),
            ("lsm.s/bprm_committed_creds", T::LsmSleepable),
            ("lsm_cgroup/socket_bind", T::LsmCgroup),
            ("iter/task", T::Iter),
            ("iter.s/bpf_map_elem", T::IterSleepable),
            ("syscall", T::Syscall),
            ("xdp", T::Xdp),
            ("xdp.frags", T::Xdp),
            ("xdp/devmap", T::XdpDevmap),
            ("xdp.frags/devmap", T::XdpDevmap),
            ("xdp/cpumap", T::XdpCpumap),
            ("xdp.frags/cpumap", T::XdpCpumap),
            ("perf_event", T::PerfEvent),
            ("lwt_in", T::LwtIn),
            ("lwt_out", T::LwtOut),
            ("lwt_xmit", T::LwtXmit),
            ("lwt_seg6local", T::LwtSeg6local),
            ("sockops", T::SockOps),
            ("sk_skb/stream_parser", T::SkSkbStreamParser),
            ("sk_skb/stream_verdict", T::SkSkbStreamVerdict),
            ("sk_skb/verdict", T::SkSkbVerdict),
            ("sk_skb", T::SkSkb),
            ("sk_msg", T::SkMsg),
            ("lirc_mode2", T::LircMode2),
            ("flow_dissector", T::FlowDissector),
            ("cgroup_skb/ingress", T::CgroupSkbIngress),
            ("cgroup_skb/egress", T::CgroupSkbEgress),
            ("cgroup/skb", T::CgroupSkbIngress),
            ("cgroup/sock", T::CgroupSock(CgroupSockHook::Create)),
            ("cgroup/sock_create", T::CgroupSock(CgroupSockHook::Create)),
            ("cgroup/sock_release", T::CgroupSock(CgroupSockHook::Release)),
            ("cgroup/post_bind4", T::CgroupSock(CgroupSockHook::PostBind4)),
            ("cgroup/post_bind6", T::CgroupSock(CgroupSockHook::PostBind6)),
            ("cgroup/bind4", T::CgroupSockAddr(SockAddrHook::Bind4)),
            ("cgroup/connect_unix", T::CgroupSockAddr(SockAddrHook::ConnectUnix)),
            ("cgroup/sendmsg6", T::CgroupSockAddr(SockAddrHook::Sendmsg6)),
            ("cgroup/recvmsg4", T::CgroupSockAddr(SockAddrHook::Recvmsg4)),
            ("cgroup/getpeername_unix", T::CgroupSockAddr(SockAddrHook::GetpeernameUnix)),
            ("cgroup/getsockname6", T::CgroupSockAddr(SockAddrHook::Getsockname6)),
            ("cgroup/sysctl", T::CgroupSysctl),
            ("cgroup/getsockopt", T::CgroupGetsockopt),
            ("cgroup/setsockopt", T::CgroupSetsockopt),
            ("cgroup/dev", T::CgroupDevice),
            ("struct_ops/test_1", T::StructOps),
            ("struct_ops.s/test_2", T::StructOpsSleepable),
            ("sk_lookup", T::SkLookup),
            ("netfilter", T::Netfilter),
        ];
        for (name, expected) in cases {
            assert_eq!(SectionType::of(name), Some(SectionType::Libbpf(expected)), "{name}");
            assert_eq!(ProgramType::of_section(&format!("?{name}")), Some(expected), "?{name}");
        }
        // Every type some libbpf section selects is reachable by name too.
        for &(_, _, t) in LIBBPF_SECTIONS {
            assert!(ProgramType::ALL.contains(&t), "{t}");
        }
    }

    #[test]
    fn every_type_has_a_section_that_selects_it() {
        for &t in ProgramType::ALL {
            assert_eq!(ProgramType::of_section(t.section()), Some(t), "{t}: {}", t.section());
        }
        assert_eq!(T::SocketFilter.section(), "socket");
        assert_eq!(T::SchedCls.section(), "tc/ingress");
    }

    #[test]
    fn question_mark_only_turns_autoload_off() {
        let section = Section::parse("?fentry/x");
        assert_eq!((section.name, section.autoload), ("fentry/x", false));
        assert_eq!(section.kind, Some(SectionType::Libbpf(T::Fentry)));
        assert!(Section::parse("xdp").autoload);
    }

    #[test]
    fn older_loaders_names_select_types_by_prefix() {
        let cases = [
            ("socket1", T::SocketFilter),
            ("socket/1", T::SocketFilter),
            ("xdp_prog", T::Xdp),
            ("xdp/foo", T::Xdp),
            ("xdp_devmap/redirect", T::XdpDevmap),
            ("xdp_cpumap/x", T::XdpCpumap),
            ("classifier/egress", T::SchedCls),
            ("classifier_tc_redirect", T::SchedCls),
            ("action/drop", T::SchedAct),
            ("tc/foo", T::SchedCls),
            ("sk_skb/stream_parser_x", T::SkSkbStreamParser),
            ("sk_skb1", T::SkSkb),
            ("cgroup/sock_create_v2", T::CgroupSock(CgroupSockHook::Create)),
            ("perf_event_x", T::PerfEvent),
            ("sockops_prog", T::SockOps),
            ("lwt_xmit/encap", T::LwtXmit),
        ];
        for (name, expected) in cases {
            assert_eq!(SectionType::of(name), Some(SectionType::Legacy(expected)), "{name}");
        }
    }

    #[test]
    fn other_names_select_nothing_or_defer_to_the_loader() {
        for name in ["xdpfoo", ".text", "license", "maps/counters", "foo", "tcp_probe", "kprobefoo", "1/x", "/0"] {
            assert_eq!(SectionType::of(name), None, "{name}");
        }
        for name in ["1/0", "2/1", "10/255", "ingress", "egress", "prog"] {
            assert_eq!(SectionType::of(name), Some(SectionType::Inherit), "{name}");
        }
    }

    #[test]
    fn an_unknown_section_fails_only_its_own_program() {
        let resolved = resolve(&["xdp", "foo", "xdp/devmap"], TypeChoice::default());
        assert_eq!(resolved[0], Ok(T::Xdp));
        assert_eq!(resolved[1], Err(SectionError::Unknown { section: "foo".into() }));
        assert_eq!(resolved[2], Ok(T::XdpDevmap));
        let message = resolved[1].as_ref().unwrap_err().to_string();
        assert!(message.contains("`foo`") && message.contains("--program-type"), "{message}");
    }

    #[test]
    fn tail_call_slots_take_the_objects_one_type() {
        let resolved = resolve(&["classifier", "1/0", "1/1", "ingress"], TypeChoice::default());
        assert!(resolved.iter().all(|r| *r == Ok(T::SchedCls)), "{resolved:?}");
        let mixed = resolve(&["xdp", "tc", "1/0"], TypeChoice::default());
        assert!(matches!(&mixed[2], Err(SectionError::NoTypeToInherit { why, .. }) if why.contains("2 types")));
        let alone = resolve(&["2/1"], TypeChoice::default());
        assert!(matches!(&alone[0], Err(SectionError::NoTypeToInherit { .. })));
        let defaulted = resolve(&["2/1", "foo"], TypeChoice { force: None, default: Some(T::SchedAct) });
        assert_eq!(defaulted, vec![Ok(T::SchedAct), Ok(T::SchedAct)]);
    }

    #[test]
    fn a_forced_type_applies_to_every_program() {
        let choice = TypeChoice { force: Some(T::LwtXmit), default: None };
        assert_eq!(resolve(&["xdp", "foo", "1/0"], choice), vec![Ok(T::LwtXmit); 3]);
    }
}
