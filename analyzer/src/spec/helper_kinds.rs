//! The kernel's helper argument and return types (`model::helpers`) as the analyzer's
//! checks. Each kernel kind maps to the check that is at least as strict as the kernel's;
//! a kind with no sound check yet makes the helper [`Prototype::unmodelled`], and its calls
//! are refused with that reason.
//!
//! Besides the kernel prototype, the analyzer needs a few facts about what a call does to
//! its abstract state ([`EFFECTS`]): which map kinds the interpreter models for the map
//! argument, whether map values may dangle afterwards, tail calls, and the range a
//! callback must return.

use bpfprove_semantics::model::helpers::{
    self as model, ArgType, MEM_FIXED_SIZE, MEM_RDONLY, MEM_RINGBUF, MEM_UNINIT, MEM_WRITE, OBJ_RELEASE,
    PTR_MAYBE_NULL, PTR_TRUSTED, RetType,
};

use super::prototypes::{ArgKind, MapKindName, NamedRet, Prototype, RetKind};
use crate::value::SocketView;

/// What a call of a helper does beyond its prototype, as far as the analyzer models it.
struct Effects {
    id: i32,
    /// The map kinds the map argument may be (any when empty).
    map_kinds: &'static [MapKindName],
    /// Pointers to the map argument's values may dangle afterwards (a deleted hash element's
    /// value is freed).
    invalidates_map_values: bool,
    /// A successful call replaces the running function by another program.
    tail_call: bool,
    /// The range the callback argument's return value must lie in.
    callback_return: Option<[i64; 2]>,
    /// The result depends on the socket argument's reference (a pointer cast).
    casts_reference: bool,
    /// An argument the verifier demands be the constant 0 whatever its prototype says
    /// (`get_local_storage`'s flags, for a helper that cannot fail).
    zero_argument: Option<usize>,
}

const fn effects(id: i32, map_kinds: &'static [MapKindName]) -> Effects {
    Effects {
        id,
        map_kinds,
        invalidates_map_values: false,
        tail_call: false,
        callback_return: None,
        casts_reference: false,
        zero_argument: None,
    }
}

use MapKindName::{
    Array, CgroupStorage, GlobalData, Hash, LpmTrie, MapOfMaps, PerfEventArray, Ringbuf, SocketMap, XskMap,
};

/// The helpers whose calls do more than their prototype says. One per line.
const EFFECTS: &[Effects] = &[
    effects(1, &[Array, Hash, GlobalData, LpmTrie, MapOfMaps, SocketMap, XskMap]),
    effects(2, &[Array, Hash, GlobalData, LpmTrie, SocketMap]),
    Effects { invalidates_map_values: true, ..effects(3, &[Array, Hash, GlobalData, LpmTrie, SocketMap]) },
    Effects { tail_call: true, ..effects(12, &[]) },
    effects(22, &[PerfEventArray]),
    effects(25, &[PerfEventArray]),
    // The kernel's check_helper_call: get_local_storage(map, flags) demands flags == 0.
    Effects { zero_argument: Some(1), ..effects(81, &[CgroupStorage]) },
    effects(130, &[Ringbuf]),
    effects(131, &[Ringbuf]),
    // bpf_sk_fullsock and bpf_tcp_sock cast their argument (bpf_get_listener_sock does not:
    // a listener is no reference the program holds).
    Effects { casts_reference: true, ..effects(95, &[]) },
    Effects { casts_reference: true, ..effects(96, &[]) },
    // So does bpf_skc_to_tcp_sock (is_ptr_cast_function).
    Effects { casts_reference: true, ..effects(137, &[]) },
    // bpf_loop's callback returns 0 (continue) or 1 (stop): the kernel's callback range.
    Effects { callback_return: Some([0, 1]), ..effects(181, &[]) },
];

/// The analyzer's prototype of `helper`.
pub(super) fn from_kernel(helper: &model::Helper) -> Prototype {
    let extra = EFFECTS.iter().find(|e| e.id == helper.id);
    let callback_return = extra.and_then(|e| e.callback_return);
    let mut unmodelled = None;
    let mut args = Vec::with_capacity(helper.proto.args.len());
    for (i, arg) in helper.proto.args.iter().enumerate() {
        let kind = match extra.and_then(|e| e.zero_argument) {
            Some(zero) if zero == i => ArgKind::Zero,
            _ => arg_kind(*arg, callback_return.is_some()),
        };
        if kind == ArgKind::Unmodelled && unmodelled.is_none() {
            unmodelled =
                Some(format!("argument {} of bpf_{}: {} not modelled yet", i + 1, helper.name, arg.kernel_name()));
        }
        args.push(kind);
    }
    let ret = ret_kind(helper.proto.ret);
    if ret.is_none() && unmodelled.is_none() {
        unmodelled =
            Some(format!("result of bpf_{}: {} not modelled yet", helper.name, helper.proto.ret.kernel_name()));
    }
    Prototype {
        id: Some(helper.id),
        name: helper.name.to_owned(),
        args,
        optional_args: 0,
        implicit: Vec::new(),
        ret: ret.unwrap_or(RetKind::Named(NamedRet::Scalar)),
        changes_packet: helper.proto.has(model::CHANGES_PKT_DATA),
        callback_return,
        map_kinds: extra.map_or_else(Vec::new, |e| e.map_kinds.to_vec()),
        invalidates_map_values: extra.is_some_and(|e| e.invalidates_map_values),
        tail_call: extra.is_some_and(|e| e.tail_call),
        rcu: None,
        acquires: helper.proto.has(model::ACQUIRES),
        casts_reference: extra.is_some_and(|e| e.casts_reference),
        non_null_memory: helper
            .proto
            .args
            .iter()
            .enumerate()
            .filter(|(_, arg)| arg.ty == ArgType::PtrToMem && !arg.maybe_null())
            .fold(0, |bits, (i, _)| bits | 1 << i),
        unmodelled,
    }
}

/// The check for a kernel argument type, or [`ArgKind::Unmodelled`].
fn arg_kind(arg: model::Arg, callbacks_modelled: bool) -> ArgKind {
    let flags = arg.flags;
    // Whether the argument carries no flag outside `allowed`.
    let only = |allowed: u32| flags.bits() & !allowed == 0;
    match arg.ty {
        ArgType::Anything if only(0) => ArgKind::Anything,
        ArgType::Scalar if only(0) => ArgKind::Scalar,
        ArgType::ConstMapPtr if only(0) => ArgKind::Map,
        ArgType::PtrToSpinLock if only(0) => ArgKind::SpinLock,
        ArgType::PtrToMapKey if only(0) => ArgKind::MapKey,
        ArgType::PtrToMapValue if only(0) => ArgKind::MapValue,
        ArgType::PtrToMapValue if only(PTR_MAYBE_NULL) => ArgKind::MapValueOrNull,
        ArgType::PtrToMem if flags.has(MEM_FIXED_SIZE) => fixed_memory(arg),
        ArgType::PtrToMem if only(MEM_RDONLY | PTR_MAYBE_NULL) && flags.has(MEM_RDONLY) => ArgKind::Mem,
        ArgType::PtrToMem if only(MEM_UNINIT | MEM_WRITE) && flags.has(MEM_UNINIT | MEM_WRITE) => ArgKind::MemUninit,
        ArgType::PtrToMem if only(MEM_WRITE | PTR_MAYBE_NULL) => ArgKind::MemReadWrite,
        ArgType::ConstSize if only(0) => ArgKind::Size,
        ArgType::ConstSizeOrZero if only(0) => ArgKind::SizeOrZero,
        ArgType::ConstAllocSizeOrZero if only(0) => ArgKind::ConstSize,
        ArgType::PtrToCtx if only(0) => ArgKind::Ctx,
        ArgType::PtrToCtx if only(PTR_MAYBE_NULL) => ArgKind::CtxOrNull,
        ArgType::PtrToBtfId if only(0) => {
            arg.btf.and_then(|btf| btf.object()).map_or(ArgKind::Unmodelled, ArgKind::Object)
        }
        ArgType::PtrToSockCommon if only(0) => ArgKind::Socket,
        ArgType::PtrToBtfIdSockCommon if only(0) => ArgKind::BtfSocket,
        ArgType::PtrToBtfIdSockCommon if only(OBJ_RELEASE) => ArgKind::SocketRelease,
        ArgType::PtrToSocket if only(PTR_MAYBE_NULL) => ArgKind::FullSocketOrNull,
        ArgType::PtrToFunc if only(0) && callbacks_modelled => ArgKind::Callback,
        ArgType::PtrToStack if only(PTR_MAYBE_NULL) && flags.has(PTR_MAYBE_NULL) => ArgKind::StackOrNull,
        ArgType::PtrToConstStr if only(0) => ArgKind::ConstStr,
        ArgType::PtrToRingbufMem if only(OBJ_RELEASE) && flags.has(OBJ_RELEASE) => ArgKind::RingbufMem,
        _ => ArgKind::Unmodelled,
    }
}

/// The check for fixed-size memory (`argN_size` bytes). Alignment (`MEM_ALIGNED`) is not
/// checked: the interpreter's memory allows unaligned accesses, so it is no safety matter.
fn fixed_memory(arg: model::Arg) -> ArgKind {
    let flags = arg.flags;
    let allowed = MEM_FIXED_SIZE | MEM_RDONLY | MEM_UNINIT | MEM_WRITE | model::MEM_ALIGNED;
    match () {
        _ if flags.bits() & !allowed != 0 => ArgKind::Unmodelled,
        _ if flags.has(MEM_UNINIT) => ArgKind::FixedMemUninit(arg.size),
        _ if flags.has(MEM_RDONLY) => ArgKind::FixedMem(arg.size),
        _ => ArgKind::FixedMemReadWrite(arg.size),
    }
}

/// The analyzer's result kind for a kernel return type, if it models it.
fn ret_kind(ret: model::Ret) -> Option<RetKind> {
    let flags = ret.flags;
    match ret.ty {
        RetType::Integer => Some(match ret.range {
            Some((lo, hi)) => RetKind::Range([lo, hi]),
            None => RetKind::Named(NamedRet::Scalar),
        }),
        RetType::Void => Some(RetKind::Named(NamedRet::Void)),
        RetType::PtrToMapValue if flags.has(PTR_MAYBE_NULL) => Some(RetKind::Named(NamedRet::MapValueOrNull)),
        RetType::PtrToMapValue if flags.bits() == 0 => Some(RetKind::Named(NamedRet::MapValue)),
        RetType::PtrToBtfId if flags.bits() == PTR_TRUSTED => {
            ret.btf.and_then(|btf| btf.object()).map(|object| RetKind::Named(NamedRet::TrustedObject(object)))
        }
        RetType::PtrToMem if flags.has(PTR_MAYBE_NULL | MEM_RINGBUF) => {
            Some(RetKind::Named(NamedRet::RingbufMemOrNull))
        }
        RetType::PtrToSocket if flags.bits() == PTR_MAYBE_NULL => {
            Some(RetKind::Named(NamedRet::SocketOrNull(SocketView::Full)))
        }
        RetType::PtrToTcpSock if flags.bits() == PTR_MAYBE_NULL => {
            Some(RetKind::Named(NamedRet::SocketOrNull(SocketView::Tcp)))
        }
        RetType::PtrToBtfId if flags.bits() == PTR_MAYBE_NULL && ret.btf == Some(model::BtfType::TcpSock) => {
            Some(RetKind::Named(NamedRet::SocketOrNull(SocketView::BtfTcp)))
        }
        RetType::PtrToSockCommon if flags.bits() == PTR_MAYBE_NULL => {
            Some(RetKind::Named(NamedRet::SocketOrNull(SocketView::Common)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto(name: &str) -> Prototype {
        from_kernel(model::helper_named(name).expect("listed"))
    }

    #[test]
    fn kernel_kinds_map_to_the_analyzers_checks() {
        let probe = proto("probe_read_kernel");
        assert_eq!(probe.args, vec![ArgKind::MemUninit, ArgKind::SizeOrZero, ArgKind::Anything]);
        assert_eq!(proto("csum_diff").args[..2], [ArgKind::Mem, ArgKind::SizeOrZero]);
        assert_eq!(proto("fib_lookup").args[1], ArgKind::MemReadWrite);
        assert_eq!(
            proto("loop").args,
            vec![ArgKind::Scalar, ArgKind::Callback, ArgKind::StackOrNull, ArgKind::Anything]
        );
        assert_eq!(proto("ringbuf_submit").args[0], ArgKind::RingbufMem);
        assert_eq!(proto("ringbuf_reserve").ret, RetKind::Named(NamedRet::RingbufMemOrNull));
        let task = bpfprove_semantics::model::kfuncs::ObjectKind::Task;
        assert_eq!(proto("get_current_task_btf").ret, RetKind::Named(NamedRet::TrustedObject(task)));
        assert_eq!(proto("get_netns_cookie").args, vec![ArgKind::CtxOrNull]);
        assert_eq!(proto("copy_from_user_task").args[3], ArgKind::Object(task));
        assert!(proto("xdp_adjust_tail").changes_packet);
        assert_eq!(proto("probe_read_kernel").non_null_memory, 1);
        assert_eq!(proto("csum_diff").non_null_memory, 0);
        assert_eq!(proto("strtol").args[3], ArgKind::FixedMemUninit(8));
        assert_eq!(proto("strncmp").args[2], ArgKind::ConstStr);
        assert_eq!(proto("check_mtu").args[2], ArgKind::FixedMemReadWrite(4));
        assert_eq!(proto("tcp_raw_check_syncookie_ipv4").args[0], ArgKind::FixedMemReadWrite(20));
        let storage = proto("get_local_storage");
        assert_eq!(
            (storage.args, storage.ret),
            (vec![ArgKind::Map, ArgKind::Zero], RetKind::Named(NamedRet::MapValue))
        );
        assert_eq!(storage.map_kinds, vec![MapKindName::CgroupStorage]);
    }

    #[test]
    fn socket_kinds_say_what_they_acquire_cast_and_release() {
        let lookup = proto("sk_lookup_tcp");
        assert!(lookup.acquires && !lookup.casts_reference);
        assert_eq!(lookup.ret, RetKind::Named(NamedRet::SocketOrNull(SocketView::Full)));
        assert_eq!(proto("skc_lookup_tcp").ret, RetKind::Named(NamedRet::SocketOrNull(SocketView::Common)));
        let tcp = proto("tcp_sock");
        assert!(tcp.casts_reference && !tcp.acquires && tcp.args == vec![ArgKind::Socket]);
        assert_eq!(tcp.ret, RetKind::Named(NamedRet::SocketOrNull(SocketView::Tcp)));
        assert!(proto("sk_fullsock").casts_reference);
        assert!(!proto("get_listener_sock").casts_reference, "a listener is no reference");
        assert_eq!(proto("sk_release").args, vec![ArgKind::SocketRelease]);
        assert_eq!(proto("sk_assign").args[1], ArgKind::BtfSocket);
        let to_tcp = proto("skc_to_tcp_sock");
        assert!(to_tcp.casts_reference && to_tcp.args == vec![ArgKind::BtfSocket]);
        assert_eq!(to_tcp.ret, RetKind::Named(NamedRet::SocketOrNull(SocketView::BtfTcp)));
        assert!(proto("sk_release").unmodelled.is_none());
    }

    #[test]
    fn unmodelled_kinds_name_the_helper_and_the_argument() {
        assert!(proto("skc_to_udp6_sock").unmodelled.as_deref().is_some_and(|why| why.starts_with("result of")));
        assert_eq!(
            proto("timer_init").unmodelled.as_deref(),
            Some("argument 1 of bpf_timer_init: ARG_PTR_TO_TIMER not modelled yet")
        );
        assert_eq!(proto("spin_lock").args, [ArgKind::SpinLock]);
        assert_eq!(
            proto("task_pt_regs").unmodelled.as_deref(),
            Some("result of bpf_task_pt_regs: RET_PTR_TO_BTF_ID not modelled yet")
        );
        assert_eq!(
            proto("d_path").unmodelled.as_deref(),
            Some("argument 1 of bpf_d_path: ARG_PTR_TO_BTF_ID not modelled yet")
        );
        // Callbacks are modelled only where the callback's calling convention is.
        assert!(proto("for_each_map_elem").unmodelled.is_some());
        assert!(proto("map_pop_elem").unmodelled.is_some());
    }
}
