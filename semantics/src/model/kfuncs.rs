//! The kfuncs the model knows, as data: each one's arguments, result, the kernel's flags
//! (`KF_ACQUIRE`, `KF_RELEASE`, `KF_RET_NULL`, `KF_TRUSTED_ARGS`, `KF_RCU`, `KF_SLEEPABLE`,
//! `KF_ITER_*`, `KF_DESTRUCTIVE`; `KF_IMPLICIT_ARGS` as the list of implicit arguments) and
//! the program types it is registered for. One table, read by the analyzer (argument and
//! reference rules) and by the interpreter (`interp::kernel_helpers` runs a body for every
//! row; a test checks that none is missing).
//!
//! Facts come from Linux 6.12's kfunc definitions and `BTF_ID_FLAGS` sets (`kernel/bpf/
//! helpers.c`, `cpumask.c`, `bpf_iter.c`, `net/core/filter.c`), except `bpf_res_spin_lock`
//! and `bpf_res_spin_unlock`, which later kernels add (modelled by their later prototypes),
//! and Linux's selftest kfuncs, which the corpus calls.
//!
//! Besides kfuncs, a call of an undefined symbol may be one of the C library functions
//! older clang leaves as calls (`memset`, `memcpy`, `memmove`, `memcmp`): [`builtin`] names
//! them. They are not kfuncs of any kernel; both readers give them their C meaning.

use super::program_type::ProgramType;

/// The kernel's `KF_*` flags of one kfunc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct KfuncFlags(u16);

impl KfuncFlags {
    /// No flag.
    pub const NONE: KfuncFlags = KfuncFlags(0);
    /// `KF_ACQUIRE`: the result is a new reference the program must release.
    pub const ACQUIRE: KfuncFlags = KfuncFlags(1);
    /// `KF_RELEASE`: the call releases the reference its first argument holds.
    pub const RELEASE: KfuncFlags = KfuncFlags(1 << 1);
    /// `KF_RET_NULL`: the result may be NULL and must be tested before use.
    pub const RET_NULL: KfuncFlags = KfuncFlags(1 << 2);
    /// `KF_TRUSTED_ARGS`: object arguments must be trusted (acquired, or given by the kernel).
    pub const TRUSTED_ARGS: KfuncFlags = KfuncFlags(1 << 3);
    /// `KF_RCU`: object arguments may also be RCU-protected pointers.
    pub const RCU: KfuncFlags = KfuncFlags(1 << 4);
    /// `KF_SLEEPABLE`: only sleepable programs may call it.
    pub const SLEEPABLE: KfuncFlags = KfuncFlags(1 << 5);
    /// `KF_ITER_NEW`: initialises the iterator its first argument points to.
    pub const ITER_NEW: KfuncFlags = KfuncFlags(1 << 6);
    /// `KF_ITER_NEXT`: advances an initialised iterator.
    pub const ITER_NEXT: KfuncFlags = KfuncFlags(1 << 7);
    /// `KF_ITER_DESTROY`: ends an initialised iterator.
    pub const ITER_DESTROY: KfuncFlags = KfuncFlags(1 << 8);
    /// `KF_DESTRUCTIVE`: may change the system's state destructively.
    pub const DESTRUCTIVE: KfuncFlags = KfuncFlags(1 << 9);
    /// `KF_RCU_PROTECTED`: callable only inside an RCU read section.
    pub const RCU_PROTECTED: KfuncFlags = KfuncFlags(1 << 10);

    /// Both sets of flags.
    pub const fn with(self, other: KfuncFlags) -> KfuncFlags {
        KfuncFlags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub const fn has(self, other: KfuncFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A kind of kernel object a helper or kfunc takes or returns by pointer (the kernel's
/// `PTR_TO_BTF_ID` of one BTF type).
///
/// A program may load from such an object but not store to it: the kernel turns loads
/// through BTF pointers into `PROBE_MEM` loads, which cannot fault, and refuses stores to
/// these types. The model does not know the structures' layouts, so a load yields an
/// unknown number of its width, and it must lie, at a constant offset, within
/// [`ObjectKind::probe_bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// `struct task_struct`.
    Task,
    /// `struct cgroup`.
    Cgroup,
    /// `struct bpf_cpumask` (also accepted where a `const struct cpumask *` is expected: the
    /// `cpumask` is its first member).
    Cpumask,
    /// `struct file`.
    File,
    /// `struct bpf_key`: a key (or a system keyring's id) for signature checks.
    Key,
    /// The kernel's own context structure of the program type (`struct sk_buff` for a
    /// `__sk_buff` program, ...), as `bpf_cast_to_kern_ctx` gives it.
    KernelContext,
    /// Any kernel type, untrusted (`bpf_rdonly_cast`'s `PTR_UNTRUSTED` result): readable
    /// only, never an argument.
    Untrusted,
    /// `struct seq_file`: an iterator's output (`bpf_iter_meta.seq`), which only the
    /// `seq_*` helpers take.
    SeqFile,
}

impl ObjectKind {
    /// Every kind.
    pub const ALL: [ObjectKind; 8] = [
        ObjectKind::Task,
        ObjectKind::Cgroup,
        ObjectKind::Cpumask,
        ObjectKind::File,
        ObjectKind::Key,
        ObjectKind::KernelContext,
        ObjectKind::Untrusted,
        ObjectKind::SeqFile,
    ];

    /// The kernel's struct name.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Task => "task_struct",
            ObjectKind::Cgroup => "cgroup",
            ObjectKind::Cpumask => "bpf_cpumask",
            ObjectKind::File => "file",
            ObjectKind::Key => "bpf_key",
            ObjectKind::KernelContext => "kernel_ctx",
            ObjectKind::Untrusted => "untrusted",
            ObjectKind::SeqFile => "seq_file",
        }
    }

    /// The bytes from the object's start a program may load: a bound above the structure's
    /// size in the configurations the model follows (`task_struct` is 3 to 13 KiB, a
    /// `bpf_cpumask` holds `NR_CPUS` bits, up to 8192). Loads are `PROBE_MEM` loads, so the
    /// bound is no safety matter for the kernel; the kernel also refuses loads past the
    /// structure's own size, which this bound does not follow.
    pub fn probe_bytes(self) -> u32 {
        match self {
            ObjectKind::Task => 16384,
            ObjectKind::Cgroup => 8192,
            ObjectKind::Cpumask => 2048,
            ObjectKind::File => 512,
            // `struct bpf_key`: the key pointer and `has_ref`.
            ObjectKind::Key => 16,
            ObjectKind::KernelContext => 1024,
            ObjectKind::Untrusted => 4096,
            ObjectKind::SeqFile => 256,
        }
    }
}

/// A kind of open-coded iterator (`struct bpf_iter_<kind>` on the program's stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IterKind {
    /// `struct bpf_iter_num`: the integers of `[start, end)`.
    Num,
    /// `struct bpf_iter_bits`: the indices of the set bits of a copied bitmap.
    Bits,
}

impl IterKind {
    /// The size of the iterator's stack object.
    pub fn size(self) -> u32 {
        match self {
            IterKind::Num => 8,
            IterKind::Bits => 16,
        }
    }

    /// The kernel's name (`bpf_iter_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            IterKind::Num => "num",
            IterKind::Bits => "bits",
        }
    }

    /// The size of the item `next` points to (an `int`).
    pub fn item_size(self) -> u32 {
        4
    }
}

/// Size of `struct bpf_dynptr` on the stack.
pub const DYNPTR_BYTES: u32 = 16;

/// What a kfunc argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KfuncArg {
    /// Any initialised value.
    Anything,
    /// An initialised number.
    Scalar,
    /// A number known exactly (`__k`).
    Constant,
    /// Not checked (`__ign`).
    Ignored,
    /// Readable, initialised memory sized by the next argument.
    Mem,
    /// The size of the memory argument before it, at least 1.
    Size,
    /// The size of the memory argument before it; 0 allowed.
    SizeOrZero,
    /// A map handle.
    Map,
    /// The address of a static subprogram.
    Callback,
    /// A non-NULL pointer to at least one accessible byte.
    Pointer,
    /// The program's context.
    Context,
    /// A non-NULL pointer to a kernel object of this kind, at its start.
    Object(ObjectKind),
    /// A pointer to an iterator of this kind on the stack.
    Iterator(IterKind),
    /// A pointer to an initialised `struct bpf_dynptr` on the stack.
    Dynptr,
    /// A pointer to a `struct bpf_dynptr` on the stack that the call initialises.
    DynptrUninit,
    /// Writable memory or NULL, sized by the next argument (`buffer__opt`).
    BufferOrNull,
    /// The constant size of the buffer argument before it (`buffer__szk`).
    BufferSize,
    /// A `struct bpf_res_spin_lock` inside a map value.
    ResSpinLock,
}

/// Arguments the kernel supplies itself after the visible ones (KF_IMPLICIT_ARGS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImplicitArg {
    /// The calling program's `struct bpf_prog_aux *`.
    ProgAux,
}

/// What r0 holds after a kfunc call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KfuncRet {
    /// Nothing: r0 is undefined.
    Void,
    /// Any number.
    Scalar,
    /// A number in the signed range `[lo, hi]`.
    Range(i64, i64),
    /// A pointer to a kernel object of this kind (NULL too with `KF_RET_NULL`).
    Object(ObjectKind),
    /// A pointer to the iterator's current item, read-only, or NULL at the end.
    IterItem(IterKind),
    /// A pointer to the requested bytes of the dynptr's memory, or NULL.
    Slice,
}

/// What else a call does that no flag says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KfuncEffect {
    /// Nothing else.
    None,
    /// Opens an RCU read section (`bpf_rcu_read_lock`).
    RcuLock,
    /// Closes the innermost RCU read section, which must be open.
    RcuUnlock,
    /// Takes a resilient spin lock when it returns 0.
    ResLock,
    /// Releases a resilient spin lock the program holds.
    ResUnlock,
}

/// The program types a kfunc is registered for: one of the kernel's kfunc id sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KfuncSet {
    /// `common_kfunc_set` (registered for `BPF_PROG_TYPE_UNSPEC`): every program type.
    Common,
    /// `generic_kfunc_set` (kernel/bpf/helpers.c): registered for tracing, tc, XDP,
    /// struct_ops, syscall and cgroup_skb programs.
    Generic,
    /// `cpumask_kfunc_set` (kernel/bpf/cpumask.c): tracing, struct_ops, syscall.
    Cpumask,
    /// `bpf_kfunc_set_skb` (net/core/filter.c): the skb dynptr kfuncs.
    Skb,
    /// `bpf_kfunc_set_xdp` (net/core/filter.c): the XDP dynptr kfuncs.
    Xdp,
    /// `bpf_fs_kfunc_set` (fs/bpf_fs_kfuncs.c): registered for LSM programs, and its filter
    /// refuses every other type that shares the tracing hook.
    Fs,
    /// `bpf_key_sig_kfunc_set` (kernel/trace/bpf_trace.c): registered for tracing.
    KeySig,
    /// Linux's selftest kfuncs (`bpf_testmod`): offered to every program type here.
    Selftest,
}

/// The kernel's kfunc hooks (`enum btf_kfunc_hook`): `register_btf_kfunc_id_set` files a
/// set under the hook of the program type it names, and a program may call the kfuncs
/// filed under its own type's hook (`bpf_prog_type_to_kfunc_hook`, kernel/bpf/btf.c), so a
/// set registered for `BPF_PROG_TYPE_TRACING` serves tracepoint, perf_event and LSM
/// programs too, and one registered for `BPF_PROG_TYPE_CGROUP_SKB` every cgroup type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KfuncHook {
    /// `BTF_KFUNC_HOOK_XDP`.
    Xdp,
    /// `BTF_KFUNC_HOOK_TC`: sched_cls.
    Tc,
    /// `BTF_KFUNC_HOOK_STRUCT_OPS`.
    StructOps,
    /// `BTF_KFUNC_HOOK_TRACING`: tracing, tracepoint, perf_event and LSM.
    Tracing,
    /// `BTF_KFUNC_HOOK_SYSCALL`.
    Syscall,
    /// `BTF_KFUNC_HOOK_CGROUP`: cgroup_skb, cgroup_sock, cgroup_device, sock_addr,
    /// sockopt and sysctl.
    Cgroup,
    /// `BTF_KFUNC_HOOK_SCHED_ACT`.
    SchedAct,
    /// `BTF_KFUNC_HOOK_SK_SKB`.
    SkSkb,
    /// `BTF_KFUNC_HOOK_SOCKET_FILTER`.
    SocketFilter,
    /// `BTF_KFUNC_HOOK_LWT`: the four lwt types.
    Lwt,
    /// `BTF_KFUNC_HOOK_NETFILTER`.
    Netfilter,
    /// `BTF_KFUNC_HOOK_KPROBE`.
    Kprobe,
}

impl KfuncHook {
    /// The hook of a program of `program_type`, if it has one (raw tracepoints, sockops,
    /// sk_msg, flow dissector, sk_lookup, ... have none: only the common set serves them).
    pub fn of(program_type: ProgramType) -> Option<KfuncHook> {
        use super::program_type::prog_type as T;
        Some(match program_type.kernel_type() {
            T::XDP => KfuncHook::Xdp,
            T::SCHED_CLS => KfuncHook::Tc,
            T::STRUCT_OPS => KfuncHook::StructOps,
            T::TRACING | T::TRACEPOINT | T::PERF_EVENT | T::LSM => KfuncHook::Tracing,
            T::SYSCALL => KfuncHook::Syscall,
            T::CGROUP_SKB | T::CGROUP_SOCK | T::CGROUP_DEVICE | T::CGROUP_SOCK_ADDR => KfuncHook::Cgroup,
            T::CGROUP_SOCKOPT | T::CGROUP_SYSCTL => KfuncHook::Cgroup,
            T::SCHED_ACT => KfuncHook::SchedAct,
            T::SK_SKB => KfuncHook::SkSkb,
            T::SOCKET_FILTER => KfuncHook::SocketFilter,
            T::LWT_IN | T::LWT_OUT | T::LWT_XMIT | T::LWT_SEG6LOCAL => KfuncHook::Lwt,
            T::NETFILTER => KfuncHook::Netfilter,
            T::KPROBE => KfuncHook::Kprobe,
            _ => return None,
        })
    }
}

impl KfuncSet {
    /// The hooks the set is registered under (the program types of its
    /// `register_btf_kfunc_id_set` calls, as hooks); `None` for every program type.
    fn hooks(self) -> Option<&'static [KfuncHook]> {
        use KfuncHook as H;
        match self {
            KfuncSet::Common | KfuncSet::Selftest => None,
            KfuncSet::Generic => Some(&[H::Tracing, H::Tc, H::Xdp, H::StructOps, H::Syscall, H::Cgroup]),
            KfuncSet::Cpumask => Some(&[H::Tracing, H::StructOps, H::Syscall]),
            KfuncSet::Skb => {
                Some(&[H::Tc, H::SchedAct, H::SkSkb, H::SocketFilter, H::Cgroup, H::Lwt, H::Netfilter, H::Tracing])
            }
            KfuncSet::Xdp => Some(&[H::Xdp]),
            KfuncSet::Fs | KfuncSet::KeySig => Some(&[H::Tracing]),
        }
    }

    /// Whether a `program_type` program may call the set's kfuncs: its hook holds the set,
    /// and the set's filter, if any, lets the type through.
    pub fn offers(self, program_type: ProgramType) -> bool {
        let filtered = match self {
            KfuncSet::Fs => program_type.kernel_type() == super::program_type::prog_type::LSM,
            _ => true,
        };
        let hooked = match self.hooks() {
            None => true,
            Some(hooks) => KfuncHook::of(program_type).is_some_and(|hook| hooks.contains(&hook)),
        };
        filtered && hooked
    }
}

/// One kfunc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kfunc {
    /// Its name (the extern `__ksym` symbol).
    pub name: &'static str,
    /// The visible arguments, r1 first.
    pub args: &'static [KfuncArg],
    /// Arguments the kernel adds after the visible ones (KF_IMPLICIT_ARGS).
    pub implicit: &'static [ImplicitArg],
    /// What r0 holds afterwards.
    pub ret: KfuncRet,
    /// The kernel's flags.
    pub flags: KfuncFlags,
    /// What else it does.
    pub effect: KfuncEffect,
    /// Who may call it.
    pub set: KfuncSet,
}

impl Kfunc {
    const fn new(name: &'static str, args: &'static [KfuncArg], ret: KfuncRet, set: KfuncSet) -> Kfunc {
        Kfunc { name, args, implicit: &[], ret, flags: KfuncFlags::NONE, effect: KfuncEffect::None, set }
    }

    const fn flags(mut self, flags: KfuncFlags) -> Kfunc {
        self.flags = flags;
        self
    }

    const fn effect(mut self, effect: KfuncEffect) -> Kfunc {
        self.effect = effect;
        self
    }

    const fn implicit(mut self, implicit: &'static [ImplicitArg]) -> Kfunc {
        self.implicit = implicit;
        self
    }

    /// Whether the kfunc has flag `flag`.
    pub fn has(&self, flag: KfuncFlags) -> bool {
        self.flags.has(flag)
    }

    /// The iterator kind of its first argument, for `KF_ITER_*` kfuncs.
    pub fn iterator(&self) -> Option<IterKind> {
        match self.args.first() {
            Some(KfuncArg::Iterator(kind)) => Some(*kind),
            _ => None,
        }
    }
}

use IterKind::{Bits, Num};
use KfuncArg as A;
use KfuncFlags as F;
use KfuncRet as R;
use KfuncSet::{Common, Cpumask, Fs, Generic, KeySig, Selftest, Skb, Xdp};
use ObjectKind::{Cgroup, Task};

const ACQUIRE_OR_NULL: KfuncFlags = F::ACQUIRE.with(F::RET_NULL);
const CPUMASK: KfuncArg = A::Object(ObjectKind::Cpumask);
const ERRNO_OR_ZERO: KfuncRet = R::Range(-4095, 0);
const BOOL: KfuncRet = R::Range(0, 1);
const U32: KfuncRet = R::Range(0, 4_294_967_295);

/// Every kfunc of the model. One per line (after `rustfmt`, per entry).
pub const KFUNCS: &[Kfunc] = &[
    // Casts (`common_kfunc_set`): the program's kernel context, any object read-only.
    Kfunc::new("bpf_cast_to_kern_ctx", &[A::Context], R::Object(ObjectKind::KernelContext), Common),
    Kfunc::new("bpf_rdonly_cast", &[A::Ignored, A::Constant], R::Object(ObjectKind::Untrusted), Common),
    // RCU read sections.
    Kfunc::new("bpf_rcu_read_lock", &[], R::Void, Common).effect(KfuncEffect::RcuLock),
    Kfunc::new("bpf_rcu_read_unlock", &[], R::Void, Common).effect(KfuncEffect::RcuUnlock),
    // Open-coded iterators.
    Kfunc::new("bpf_iter_num_new", &[A::Iterator(Num), A::Scalar, A::Scalar], R::Range(-4095, 0), Common)
        .flags(F::ITER_NEW),
    Kfunc::new("bpf_iter_num_next", &[A::Iterator(Num)], R::IterItem(Num), Common)
        .flags(F::ITER_NEXT.with(F::RET_NULL)),
    Kfunc::new("bpf_iter_num_destroy", &[A::Iterator(Num)], R::Void, Common).flags(F::ITER_DESTROY),
    Kfunc::new("bpf_iter_bits_new", &[A::Iterator(Bits), A::Ignored, A::Scalar], ERRNO_OR_ZERO, Common)
        .flags(F::ITER_NEW),
    Kfunc::new("bpf_iter_bits_next", &[A::Iterator(Bits)], R::IterItem(Bits), Common)
        .flags(F::ITER_NEXT.with(F::RET_NULL)),
    Kfunc::new("bpf_iter_bits_destroy", &[A::Iterator(Bits)], R::Void, Common).flags(F::ITER_DESTROY),
    // Dynptrs.
    Kfunc::new("bpf_dynptr_from_skb", &[A::Context, A::Scalar, A::DynptrUninit], ERRNO_OR_ZERO, Skb),
    Kfunc::new("bpf_dynptr_from_xdp", &[A::Context, A::Scalar, A::DynptrUninit], ERRNO_OR_ZERO, Xdp),
    Kfunc::new("bpf_dynptr_slice", &[A::Dynptr, A::Scalar, A::BufferOrNull, A::BufferSize], R::Slice, Common)
        .flags(F::RET_NULL),
    Kfunc::new("bpf_dynptr_slice_rdwr", &[A::Dynptr, A::Scalar, A::BufferOrNull, A::BufferSize], R::Slice, Common)
        .flags(F::RET_NULL),
    Kfunc::new("bpf_dynptr_adjust", &[A::Dynptr, A::Scalar, A::Scalar], ERRNO_OR_ZERO, Common),
    Kfunc::new("bpf_dynptr_is_null", &[A::Dynptr], BOOL, Common),
    Kfunc::new("bpf_dynptr_is_rdonly", &[A::Dynptr], BOOL, Common),
    Kfunc::new("bpf_dynptr_size", &[A::Dynptr], U32, Common),
    Kfunc::new("bpf_dynptr_clone", &[A::Dynptr, A::DynptrUninit], ERRNO_OR_ZERO, Common),
    // Tasks and cgroups (`generic_kfunc_set`).
    Kfunc::new("bpf_task_from_pid", &[A::Scalar], R::Object(Task), Generic).flags(ACQUIRE_OR_NULL),
    Kfunc::new("bpf_task_acquire", &[A::Object(Task)], R::Object(Task), Generic).flags(ACQUIRE_OR_NULL.with(F::RCU)),
    Kfunc::new("bpf_task_release", &[A::Object(Task)], R::Void, Generic).flags(F::RELEASE),
    Kfunc::new("bpf_cgroup_from_id", &[A::Scalar], R::Object(Cgroup), Generic).flags(ACQUIRE_OR_NULL),
    Kfunc::new("bpf_cgroup_acquire", &[A::Object(Cgroup)], R::Object(Cgroup), Generic)
        .flags(ACQUIRE_OR_NULL.with(F::RCU)),
    Kfunc::new("bpf_cgroup_release", &[A::Object(Cgroup)], R::Void, Generic).flags(F::RELEASE),
    // CPU masks (`cpumask_kfunc_set`).
    Kfunc::new("bpf_cpumask_create", &[], R::Object(ObjectKind::Cpumask), Cpumask).flags(ACQUIRE_OR_NULL),
    Kfunc::new("bpf_cpumask_acquire", &[CPUMASK], R::Object(ObjectKind::Cpumask), Cpumask)
        .flags(F::ACQUIRE.with(F::TRUSTED_ARGS)),
    Kfunc::new("bpf_cpumask_release", &[CPUMASK], R::Void, Cpumask).flags(F::RELEASE),
    Kfunc::new("bpf_cpumask_set_cpu", &[A::Scalar, CPUMASK], R::Void, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_clear_cpu", &[A::Scalar, CPUMASK], R::Void, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_test_cpu", &[A::Scalar, CPUMASK], BOOL, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_test_and_set_cpu", &[A::Scalar, CPUMASK], BOOL, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_test_and_clear_cpu", &[A::Scalar, CPUMASK], BOOL, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_setall", &[CPUMASK], R::Void, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_clear", &[CPUMASK], R::Void, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_first", &[CPUMASK], U32, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_first_zero", &[CPUMASK], U32, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_empty", &[CPUMASK], BOOL, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_full", &[CPUMASK], BOOL, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_weight", &[CPUMASK], U32, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_and", &[CPUMASK, CPUMASK, CPUMASK], BOOL, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_or", &[CPUMASK, CPUMASK, CPUMASK], R::Void, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_xor", &[CPUMASK, CPUMASK, CPUMASK], R::Void, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_equal", &[CPUMASK, CPUMASK], BOOL, Cpumask).flags(F::RCU),
    Kfunc::new("bpf_cpumask_copy", &[CPUMASK, CPUMASK], R::Void, Cpumask).flags(F::RCU),
    // Files (`bpf_fs_kfunc_set`, fs/bpf_fs_kfuncs.c).
    Kfunc::new("bpf_get_task_exe_file", &[A::Object(Task)], R::Object(ObjectKind::File), Fs)
        .flags(ACQUIRE_OR_NULL.with(F::TRUSTED_ARGS)),
    Kfunc::new("bpf_put_file", &[A::Object(ObjectKind::File)], R::Void, Fs).flags(F::RELEASE),
    // Keys (`key_sig_kfunc_set`): a user key by serial (a reference to it), a system
    // keyring by id (no key reference, but the `bpf_key` is still the program's to put).
    Kfunc::new("bpf_lookup_user_key", &[A::Scalar, A::Scalar], R::Object(ObjectKind::Key), KeySig)
        .flags(ACQUIRE_OR_NULL.with(F::SLEEPABLE)),
    Kfunc::new("bpf_lookup_system_key", &[A::Scalar], R::Object(ObjectKind::Key), KeySig).flags(ACQUIRE_OR_NULL),
    Kfunc::new("bpf_key_put", &[A::Object(ObjectKind::Key)], R::Void, KeySig).flags(F::RELEASE),
    // Arenas (kernel/bpf/arena.c, `common_kfunc_set`): pages of the arena map the first
    // argument names (any other map gets NULL / nothing). The address arguments are
    // `__ign` and the result is `void *`, a number to the verifier; the program casts it.
    Kfunc::new("bpf_arena_alloc_pages", &[A::Map, A::Ignored, A::Scalar, A::Scalar, A::Scalar], R::Scalar, Common)
        .flags(F::TRUSTED_ARGS.with(F::SLEEPABLE)),
    Kfunc::new("bpf_arena_free_pages", &[A::Map, A::Ignored, A::Scalar], R::Void, Common)
        .flags(F::TRUSTED_ARGS.with(F::SLEEPABLE)),
    // Resilient spin locks (after 6.12: `int bpf_res_spin_lock(struct bpf_res_spin_lock *)`).
    Kfunc::new("bpf_res_spin_lock", &[A::ResSpinLock], ERRNO_OR_ZERO, Common).effect(KfuncEffect::ResLock),
    Kfunc::new("bpf_res_spin_unlock", &[A::ResSpinLock], R::Void, Common).effect(KfuncEffect::ResUnlock),
    // Linux's selftest kfuncs and helpers-as-kfuncs the corpus calls.
    Kfunc::new("bpf_ktime_get_coarse_ns", &[], R::Scalar, Selftest),
    Kfunc::new("bpf_kfunc_implicit_arg", &[A::Scalar], R::Scalar, Selftest).implicit(&[ImplicitArg::ProgAux]),
    Kfunc::new("bpf_kfunc_implicit_arg_legacy", &[A::Scalar, A::Scalar], R::Scalar, Selftest)
        .implicit(&[ImplicitArg::ProgAux]),
    Kfunc::new("bpf_wq_set_callback", &[A::Pointer, A::Callback, A::Scalar], ERRNO_OR_ZERO, Selftest)
        .implicit(&[ImplicitArg::ProgAux]),
    Kfunc::new(
        "bpf_task_work_schedule_signal",
        &[A::Anything, A::Pointer, A::Map, A::Callback],
        ERRNO_OR_ZERO,
        Selftest,
    )
    .implicit(&[ImplicitArg::ProgAux]),
    Kfunc::new(
        "bpf_task_work_schedule_resume",
        &[A::Anything, A::Pointer, A::Map, A::Callback],
        ERRNO_OR_ZERO,
        Selftest,
    )
    .implicit(&[ImplicitArg::ProgAux]),
    Kfunc::new(
        "bpf_stream_vprintk",
        &[A::Scalar, A::Pointer, A::Mem, A::SizeOrZero],
        R::Range(-4095, 2_147_483_647),
        Selftest,
    )
    .implicit(&[ImplicitArg::ProgAux]),
];

/// The kfunc named `name`.
pub fn kfunc(name: &str) -> Option<&'static Kfunc> {
    KFUNCS.iter().find(|k| k.name == name)
}

/// A C library function older clang leaves as a call of an undefined symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `void *memset(void *dst, int c, size_t n)`.
    Memset,
    /// `void *memcpy(void *dst, const void *src, size_t n)` (the areas may not overlap).
    Memcpy,
    /// `void *memmove(void *dst, const void *src, size_t n)`.
    Memmove,
    /// `int memcmp(const void *a, const void *b, size_t n)`.
    Memcmp,
}

/// The builtins, by symbol.
pub const BUILTINS: &[(&str, Builtin)] = &[
    ("memset", Builtin::Memset),
    ("memcpy", Builtin::Memcpy),
    ("memmove", Builtin::Memmove),
    ("memcmp", Builtin::Memcmp),
];

/// The builtin named `name`.
pub fn builtin(name: &str) -> Option<Builtin> {
    BUILTINS.iter().find(|b| b.0 == name).map(|b| b.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kfunc_is_listed_once_with_a_consistent_shape() {
        for (i, k) in KFUNCS.iter().enumerate() {
            assert!(KFUNCS[..i].iter().all(|o| o.name != k.name), "{} listed twice", k.name);
            assert!(k.args.len() + k.implicit.len() <= 5, "{} has more than five arguments", k.name);
            for (j, arg) in k.args.iter().enumerate() {
                let before = j.checked_sub(1).map(|b| k.args[b]);
                match arg {
                    A::Size | A::SizeOrZero => assert_eq!(before, Some(A::Mem), "{}: size without memory", k.name),
                    A::BufferSize => assert_eq!(before, Some(A::BufferOrNull), "{}: size without buffer", k.name),
                    _ => {}
                }
            }
            let iterating = [F::ITER_NEW, F::ITER_NEXT, F::ITER_DESTROY].iter().filter(|f| k.has(**f)).count();
            assert!(iterating <= 1, "{}", k.name);
            assert_eq!(iterating == 1, k.iterator().is_some(), "{}: iterator flag and argument disagree", k.name);
            if k.has(F::RELEASE) {
                assert!(matches!(k.args.first(), Some(A::Object(_))), "{} releases its first argument", k.name);
            }
            if k.has(F::ACQUIRE) {
                assert!(matches!(k.ret, R::Object(_)), "{} acquires an object", k.name);
            }
        }
        assert!(kfunc("bpf_task_acquire").is_some_and(|k| k.has(F::ACQUIRE) && k.has(F::RET_NULL)));
        assert!(kfunc("bpf_no_such_kfunc").is_none());
    }

    #[test]
    fn sets_follow_the_kernel_registrations() {
        let tc = ProgramType::SchedCls;
        assert!(KfuncSet::Common.offers(ProgramType::Kprobe));
        assert!(KfuncSet::Generic.offers(tc) && !KfuncSet::Generic.offers(ProgramType::Kprobe));
        assert!(!KfuncSet::Cpumask.offers(tc));
        assert!(KfuncSet::Skb.offers(tc) && !KfuncSet::Skb.offers(ProgramType::Xdp));
        assert!(KfuncSet::Xdp.offers(ProgramType::Xdp));
        // Sets registered for BPF_PROG_TYPE_TRACING serve the whole tracing hook.
        for tracing in [ProgramType::TpBtf, ProgramType::Fentry, ProgramType::Tracepoint, ProgramType::PerfEvent] {
            assert!(KfuncSet::Generic.offers(tracing) && KfuncSet::Cpumask.offers(tracing), "{tracing}");
        }
        assert!(KfuncSet::Cpumask.offers(ProgramType::Lsm) && KfuncSet::Skb.offers(ProgramType::Fentry));
        // Raw tracepoints and kprobes have no hook for them.
        for other in [ProgramType::RawTracepoint, ProgramType::Kprobe, ProgramType::SockOps] {
            assert!(!KfuncSet::Generic.offers(other) && !KfuncSet::Cpumask.offers(other), "{other}");
            assert!(KfuncSet::Common.offers(other));
        }
        // One registration for cgroup_skb serves every cgroup type.
        assert!(KfuncSet::Generic.offers(ProgramType::CgroupSysctl));
        // The fs set's filter keeps it to LSM programs within the tracing hook.
        assert!(KfuncSet::Fs.offers(ProgramType::Lsm) && KfuncSet::Fs.offers(ProgramType::LsmSleepable));
        assert!(!KfuncSet::Fs.offers(ProgramType::Fentry) && !KfuncSet::Fs.offers(ProgramType::SchedCls));
        // The key set serves the tracing hook; its KF_SLEEPABLE kfunc only sleepable programs.
        use crate::model::availability::{Availability, kfunc_availability};
        assert!(KfuncSet::KeySig.offers(ProgramType::Fentry) && !KfuncSet::KeySig.offers(tc));
        assert_eq!(kfunc_availability("bpf_lookup_user_key", ProgramType::LsmSleepable), Availability::Available);
        assert_eq!(kfunc_availability("bpf_lookup_user_key", ProgramType::Lsm), Availability::NotForProgramType);
        assert_eq!(kfunc_availability("bpf_lookup_system_key", ProgramType::Lsm), Availability::Available);
    }

    #[test]
    fn object_kinds_have_distinct_names_and_windows() {
        for (i, kind) in ObjectKind::ALL.iter().enumerate() {
            assert!(ObjectKind::ALL[..i].iter().all(|o| o.name() != kind.name()), "{kind:?}");
            assert!(kind.probe_bytes() >= 8, "{kind:?}: too small a window for one load");
        }
    }

    #[test]
    fn builtins_are_not_kfuncs() {
        for (name, b) in BUILTINS {
            assert_eq!(builtin(name), Some(*b));
            assert!(kfunc(name).is_none());
        }
    }
}
