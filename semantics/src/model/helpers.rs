//! Every helper of Linux 6.12's uapi helper list (`___BPF_FUNC_MAPPER`), with its prototype
//! in the kernel's own vocabulary: [`HELPERS`], one helper per line, and [`VARIANTS`], the
//! prototypes some program types get instead. The analyzer maps each argument and return
//! type to its checks (or refuses a call whose kinds it does not model yet); the interpreter
//! checks the same arguments concretely and gives every helper a model
//! (`interp::kernel_helpers`). Availability per program type is [`super::availability`].
//!
//! # Vocabulary
//!
//! An argument is an [`ArgType`] (the kernel's `enum bpf_arg_type` base types) with
//! [`TypeFlags`] (its `enum bpf_type_flag` bits), a fixed size for `MEM_FIXED_SIZE` memory
//! (`argN_size`) and, for BTF pointers, the kernel type it points to ([`BtfType`],
//! `argN_btf_id`). The constants are named as in the kernel: `ARG_PTR_TO_UNINIT_MEM` is
//! `ARG_PTR_TO_MEM` with `MEM_UNINIT | MEM_WRITE`, `ARG_PTR_TO_MAP_VALUE_OR_NULL` is
//! `ARG_PTR_TO_MAP_VALUE` with `PTR_MAYBE_NULL`, and so on. What they mean:
//!
//! - `ARG_ANYTHING`: any initialised register; `ARG_SCALAR`: an initialised number.
//! - `ARG_CONST_MAP_PTR`: a map handle; `ARG_PTR_TO_MAP_KEY`/`_VALUE`: memory of that map's key
//!   or value size (read, or written when `MEM_UNINIT | MEM_WRITE`).
//! - `ARG_PTR_TO_MEM`: memory (stack, packet, map value, ...) whose size is the next
//!   `ARG_CONST_SIZE` (at least 1) or `ARG_CONST_SIZE_OR_ZERO` argument, or `argN_size` with
//!   `MEM_FIXED_SIZE`. `MEM_RDONLY`: the helper only reads it (so it must be initialised);
//!   `MEM_UNINIT`: it may be uninitialised, the helper fills it; `MEM_WRITE`: the helper
//!   writes it; `PTR_MAYBE_NULL`: NULL is allowed (with size 0); `MEM_ALIGNED`: aligned to its
//!   size.
//! - `ARG_PTR_TO_CTX`: the program's context; `ARG_PTR_TO_STACK`: a stack pointer;
//!   `ARG_PTR_TO_FUNC`: a static subprogram (a callback); `ARG_PTR_TO_CONST_STR`: a
//!   NUL-terminated string in frozen read-only data.
//! - `ARG_PTR_TO_SOCKET`, `ARG_PTR_TO_SOCK_COMMON`, `ARG_PTR_TO_BTF_ID_SOCK_COMMON`,
//!   `ARG_PTR_TO_BTF_ID`, `ARG_PTR_TO_PERCPU_BTF_ID`: kernel objects; `ARG_PTR_TO_SPIN_LOCK`,
//!   `ARG_PTR_TO_TIMER`: a `bpf_spin_lock`/`bpf_timer` inside a map value;
//!   `ARG_PTR_TO_DYNPTR`: a `bpf_dynptr` on the stack; `ARG_PTR_TO_RINGBUF_MEM`: a record
//!   from `ringbuf_reserve`; `ARG_CONST_ALLOC_SIZE_OR_ZERO`: the constant size of memory the
//!   helper returns; `ARG_KPTR_XCHG_DEST`: a kptr slot in a map value. `OBJ_RELEASE`: the
//!   call releases the referenced object.
//!
//! A return is a [`RetType`] (`enum bpf_return_type`) with flags, the BTF type of a returned
//! kernel object, and for `RET_INTEGER` the range the helper's value lies in where it is
//! known (`-MAX_ERRNO..=0` for "0 or a negative error"; unknown ranges are the full 64 bits).
//!
//! [`Facts`] are what the verifier knows beyond the prototype: `CHANGES_PKT_DATA` (the
//! kernel's `bpf_helper_changes_pkt_data`: packet pointers die), `ACQUIRES` (the result is a
//! reference the program must release), `MIGHT_SLEEP`, `GPL_ONLY`, `PKT_ACCESS` (memory
//! arguments may point into the packet).
//!
//! # Variants
//!
//! The kernel gives some helpers different prototypes per program type: each program type's
//! `*_func_proto` function returns one `bpf_func_proto` per helper. [`HELPERS`] holds the
//! prototype most program types get (the kernel's `bpf_<name>_proto`); [`VARIANTS`] lists the
//! others that differ in their arguments, result or facts, each with the kernel
//! `*_func_proto` functions that return it. [`prototype_for`] picks one by those function
//! names.
//!
//! The prototypes were read from Linux 6.12's `bpf_func_proto` definitions (kernel/bpf,
//! kernel/trace/bpf_trace.c, net/core/filter.c, ...); the table is ours.

/// The kernel's `enum bpf_arg_type` base types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgType {
    /// `ARG_CONST_MAP_PTR`.
    ConstMapPtr,
    /// `ARG_PTR_TO_MAP_KEY`.
    PtrToMapKey,
    /// `ARG_PTR_TO_MAP_VALUE`.
    PtrToMapValue,
    /// `ARG_PTR_TO_MEM`.
    PtrToMem,
    /// `ARG_CONST_SIZE`.
    ConstSize,
    /// `ARG_CONST_SIZE_OR_ZERO`.
    ConstSizeOrZero,
    /// `ARG_PTR_TO_CTX`.
    PtrToCtx,
    /// `ARG_ANYTHING`.
    Anything,
    /// `ARG_SCALAR`.
    Scalar,
    /// `ARG_PTR_TO_SPIN_LOCK`.
    PtrToSpinLock,
    /// `ARG_PTR_TO_SOCK_COMMON`.
    PtrToSockCommon,
    /// `ARG_PTR_TO_SOCKET`.
    PtrToSocket,
    /// `ARG_PTR_TO_BTF_ID`.
    PtrToBtfId,
    /// `ARG_PTR_TO_RINGBUF_MEM`.
    PtrToRingbufMem,
    /// `ARG_CONST_ALLOC_SIZE_OR_ZERO`.
    ConstAllocSizeOrZero,
    /// `ARG_PTR_TO_BTF_ID_SOCK_COMMON`.
    PtrToBtfIdSockCommon,
    /// `ARG_PTR_TO_PERCPU_BTF_ID`.
    PtrToPercpuBtfId,
    /// `ARG_PTR_TO_FUNC`.
    PtrToFunc,
    /// `ARG_PTR_TO_STACK`.
    PtrToStack,
    /// `ARG_PTR_TO_CONST_STR`.
    PtrToConstStr,
    /// `ARG_PTR_TO_TIMER`.
    PtrToTimer,
    /// `ARG_KPTR_XCHG_DEST`.
    KptrXchgDest,
    /// `ARG_PTR_TO_DYNPTR`.
    PtrToDynptr,
}

impl ArgType {
    /// The kernel's name, without `ARG_`.
    pub const fn kernel_name(self) -> &'static str {
        match self {
            ArgType::ConstMapPtr => "CONST_MAP_PTR",
            ArgType::PtrToMapKey => "PTR_TO_MAP_KEY",
            ArgType::PtrToMapValue => "PTR_TO_MAP_VALUE",
            ArgType::PtrToMem => "PTR_TO_MEM",
            ArgType::ConstSize => "CONST_SIZE",
            ArgType::ConstSizeOrZero => "CONST_SIZE_OR_ZERO",
            ArgType::PtrToCtx => "PTR_TO_CTX",
            ArgType::Anything => "ANYTHING",
            ArgType::Scalar => "SCALAR",
            ArgType::PtrToSpinLock => "PTR_TO_SPIN_LOCK",
            ArgType::PtrToSockCommon => "PTR_TO_SOCK_COMMON",
            ArgType::PtrToSocket => "PTR_TO_SOCKET",
            ArgType::PtrToBtfId => "PTR_TO_BTF_ID",
            ArgType::PtrToRingbufMem => "PTR_TO_RINGBUF_MEM",
            ArgType::ConstAllocSizeOrZero => "CONST_ALLOC_SIZE_OR_ZERO",
            ArgType::PtrToBtfIdSockCommon => "PTR_TO_BTF_ID_SOCK_COMMON",
            ArgType::PtrToPercpuBtfId => "PTR_TO_PERCPU_BTF_ID",
            ArgType::PtrToFunc => "PTR_TO_FUNC",
            ArgType::PtrToStack => "PTR_TO_STACK",
            ArgType::PtrToConstStr => "PTR_TO_CONST_STR",
            ArgType::PtrToTimer => "PTR_TO_TIMER",
            ArgType::KptrXchgDest => "KPTR_XCHG_DEST",
            ArgType::PtrToDynptr => "PTR_TO_DYNPTR",
        }
    }
}

/// The kernel's `enum bpf_type_flag` bits that prototypes use, as a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TypeFlags(u32);

/// `PTR_MAYBE_NULL`: NULL is allowed (arguments) or possible (results).
pub const PTR_MAYBE_NULL: u32 = 1 << 0;
/// `MEM_RDONLY`: the memory is only read.
pub const MEM_RDONLY: u32 = 1 << 1;
/// `MEM_RINGBUF`: the memory is a ring-buffer record.
pub const MEM_RINGBUF: u32 = 1 << 2;
/// `OBJ_RELEASE`: the call releases the argument's reference.
pub const OBJ_RELEASE: u32 = 1 << 3;
/// `MEM_UNINIT`: the memory may be uninitialised; the helper fills it.
pub const MEM_UNINIT: u32 = 1 << 4;
/// `MEM_WRITE`: the helper writes the memory.
pub const MEM_WRITE: u32 = 1 << 5;
/// `MEM_FIXED_SIZE`: the memory's size is the prototype's, not a size argument's.
pub const MEM_FIXED_SIZE: u32 = 1 << 6;
/// `MEM_ALIGNED`: the memory is aligned to its size.
pub const MEM_ALIGNED: u32 = 1 << 7;
/// `DYNPTR_TYPE_LOCAL`: a dynptr over local memory.
pub const DYNPTR_TYPE_LOCAL: u32 = 1 << 8;
/// `DYNPTR_TYPE_RINGBUF`: a dynptr over a ring-buffer record.
pub const DYNPTR_TYPE_RINGBUF: u32 = 1 << 9;
/// `PTR_TRUSTED`: a trusted kernel pointer.
pub const PTR_TRUSTED: u32 = 1 << 10;

/// The flags' kernel names, in bit order.
const FLAG_NAMES: [(u32, &str); 11] = [
    (PTR_MAYBE_NULL, "PTR_MAYBE_NULL"),
    (MEM_RDONLY, "MEM_RDONLY"),
    (MEM_RINGBUF, "MEM_RINGBUF"),
    (OBJ_RELEASE, "OBJ_RELEASE"),
    (MEM_UNINIT, "MEM_UNINIT"),
    (MEM_WRITE, "MEM_WRITE"),
    (MEM_FIXED_SIZE, "MEM_FIXED_SIZE"),
    (MEM_ALIGNED, "MEM_ALIGNED"),
    (DYNPTR_TYPE_LOCAL, "DYNPTR_TYPE_LOCAL"),
    (DYNPTR_TYPE_RINGBUF, "DYNPTR_TYPE_RINGBUF"),
    (PTR_TRUSTED, "PTR_TRUSTED"),
];

impl TypeFlags {
    /// The bits, of the constants below.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `flags` is set.
    pub const fn has(self, flags: u32) -> bool {
        self.0 & flags == flags
    }

    /// The set flags' kernel names, joined by ` | `.
    pub fn names(self) -> String {
        let names: Vec<&str> = FLAG_NAMES.iter().filter(|(bit, _)| self.0 & bit != 0).map(|(_, name)| *name).collect();
        names.join(" | ")
    }
}

/// The kernel type a BTF pointer argument or result points to (`argN_btf_id`, `ret_btf_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BtfType {
    /// Taken from the argument itself (the kernel's `BPF_PTR_POISON`: a map's kptr or lock
    /// field type).
    FromArgument,
    /// `struct task_struct`.
    TaskStruct,
    /// `struct sk_buff`.
    SkBuff,
    /// `struct xdp_buff`.
    XdpBuff,
    /// `struct seq_file`.
    SeqFile,
    /// `struct file`.
    File,
    /// `struct inode`.
    Inode,
    /// `struct path`.
    Path,
    /// `struct linux_binprm`.
    LinuxBinprm,
    /// `struct cgroup`.
    Cgroup,
    /// `struct pt_regs`.
    PtRegs,
    /// `struct socket`.
    Socket,
    /// `struct sock_common`.
    SockCommon,
    /// `struct tcp_sock`.
    TcpSock,
    /// `struct tcp6_sock`.
    Tcp6Sock,
    /// `struct tcp_timewait_sock`.
    TcpTimewaitSock,
    /// `struct tcp_request_sock`.
    TcpRequestSock,
    /// `struct udp6_sock`.
    Udp6Sock,
    /// `struct unix_sock`.
    UnixSock,
    /// `struct mptcp_sock`.
    MptcpSock,
}

impl BtfType {
    /// The kernel-object kind of `model::kfuncs` this type is, where the model has one: a
    /// helper's trusted result of this type is the same object the kfuncs take.
    pub fn object(self) -> Option<super::kfuncs::ObjectKind> {
        use super::kfuncs::ObjectKind;
        match self {
            BtfType::TaskStruct => Some(ObjectKind::Task),
            BtfType::Cgroup => Some(ObjectKind::Cgroup),
            BtfType::File => Some(ObjectKind::File),
            BtfType::SeqFile => Some(ObjectKind::SeqFile),
            _ => None,
        }
    }
}

/// One argument: its type, flags, fixed size (`MEM_FIXED_SIZE`) and BTF type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    /// The base type.
    pub ty: ArgType,
    /// The flags.
    pub flags: TypeFlags,
    /// The memory's size with `MEM_FIXED_SIZE`, else 0.
    pub size: u32,
    /// The pointed-to kernel type of a BTF pointer.
    pub btf: Option<BtfType>,
}

impl Arg {
    const fn of(ty: ArgType) -> Arg {
        Arg { ty, flags: TypeFlags(0), size: 0, btf: None }
    }

    /// This argument with `flags` added.
    pub const fn with(self, flags: u32) -> Arg {
        Arg { flags: TypeFlags(self.flags.0 | flags), ..self }
    }

    /// This fixed-size memory argument of `size` bytes.
    pub const fn sized(self, size: u32) -> Arg {
        Arg { size, ..self }
    }

    /// This BTF pointer argument to a `btf`.
    pub const fn btf(self, btf: BtfType) -> Arg {
        Arg { btf: Some(btf), ..self }
    }

    /// Whether NULL is allowed.
    pub const fn maybe_null(self) -> bool {
        self.flags.has(PTR_MAYBE_NULL)
    }

    /// Whether the helper writes the memory (`MEM_WRITE` or `MEM_UNINIT`).
    pub const fn writes(self) -> bool {
        self.flags.0 & (MEM_WRITE | MEM_UNINIT) != 0
    }

    /// The kernel's spelling, e.g. `ARG_PTR_TO_MEM | MEM_RDONLY`.
    pub fn kernel_name(self) -> String {
        let flags = self.flags.names();
        match flags.is_empty() {
            true => format!("ARG_{}", self.ty.kernel_name()),
            false => format!("ARG_{} | {flags}", self.ty.kernel_name()),
        }
    }
}

/// `ARG_CONST_MAP_PTR`.
pub const ARG_CONST_MAP_PTR: Arg = Arg::of(ArgType::ConstMapPtr);
/// `ARG_PTR_TO_MAP_KEY`.
pub const ARG_PTR_TO_MAP_KEY: Arg = Arg::of(ArgType::PtrToMapKey);
/// `ARG_PTR_TO_MAP_VALUE`.
pub const ARG_PTR_TO_MAP_VALUE: Arg = Arg::of(ArgType::PtrToMapValue);
/// `ARG_PTR_TO_MAP_VALUE_OR_NULL`.
pub const ARG_PTR_TO_MAP_VALUE_OR_NULL: Arg = ARG_PTR_TO_MAP_VALUE.with(PTR_MAYBE_NULL);
/// `ARG_PTR_TO_MEM`.
pub const ARG_PTR_TO_MEM: Arg = Arg::of(ArgType::PtrToMem);
/// `ARG_PTR_TO_MEM_OR_NULL`.
pub const ARG_PTR_TO_MEM_OR_NULL: Arg = ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL);
/// `ARG_PTR_TO_UNINIT_MEM`.
pub const ARG_PTR_TO_UNINIT_MEM: Arg = ARG_PTR_TO_MEM.with(MEM_UNINIT | MEM_WRITE);
/// `ARG_PTR_TO_FIXED_SIZE_MEM`.
pub const ARG_PTR_TO_FIXED_SIZE_MEM: Arg = ARG_PTR_TO_MEM.with(MEM_FIXED_SIZE);
/// `ARG_CONST_SIZE`.
pub const ARG_CONST_SIZE: Arg = Arg::of(ArgType::ConstSize);
/// `ARG_CONST_SIZE_OR_ZERO`.
pub const ARG_CONST_SIZE_OR_ZERO: Arg = Arg::of(ArgType::ConstSizeOrZero);
/// `ARG_PTR_TO_CTX`.
pub const ARG_PTR_TO_CTX: Arg = Arg::of(ArgType::PtrToCtx);
/// `ARG_PTR_TO_CTX_OR_NULL`.
pub const ARG_PTR_TO_CTX_OR_NULL: Arg = ARG_PTR_TO_CTX.with(PTR_MAYBE_NULL);
/// `ARG_ANYTHING`.
pub const ARG_ANYTHING: Arg = Arg::of(ArgType::Anything);
/// `ARG_SCALAR`.
pub const ARG_SCALAR: Arg = Arg::of(ArgType::Scalar);
/// `ARG_PTR_TO_SPIN_LOCK`.
pub const ARG_PTR_TO_SPIN_LOCK: Arg = Arg::of(ArgType::PtrToSpinLock);
/// `ARG_PTR_TO_SOCK_COMMON`.
pub const ARG_PTR_TO_SOCK_COMMON: Arg = Arg::of(ArgType::PtrToSockCommon);
/// `ARG_PTR_TO_SOCKET_OR_NULL`.
pub const ARG_PTR_TO_SOCKET_OR_NULL: Arg = Arg::of(ArgType::PtrToSocket).with(PTR_MAYBE_NULL);
/// `ARG_PTR_TO_BTF_ID`.
pub const ARG_PTR_TO_BTF_ID: Arg = Arg::of(ArgType::PtrToBtfId);
/// `ARG_PTR_TO_BTF_ID_OR_NULL`.
pub const ARG_PTR_TO_BTF_ID_OR_NULL: Arg = ARG_PTR_TO_BTF_ID.with(PTR_MAYBE_NULL);
/// `ARG_PTR_TO_RINGBUF_MEM`.
pub const ARG_PTR_TO_RINGBUF_MEM: Arg = Arg::of(ArgType::PtrToRingbufMem);
/// `ARG_CONST_ALLOC_SIZE_OR_ZERO`.
pub const ARG_CONST_ALLOC_SIZE_OR_ZERO: Arg = Arg::of(ArgType::ConstAllocSizeOrZero);
/// `ARG_PTR_TO_BTF_ID_SOCK_COMMON`.
pub const ARG_PTR_TO_BTF_ID_SOCK_COMMON: Arg = Arg::of(ArgType::PtrToBtfIdSockCommon);
/// `ARG_PTR_TO_PERCPU_BTF_ID`.
pub const ARG_PTR_TO_PERCPU_BTF_ID: Arg = Arg::of(ArgType::PtrToPercpuBtfId);
/// `ARG_PTR_TO_FUNC`.
pub const ARG_PTR_TO_FUNC: Arg = Arg::of(ArgType::PtrToFunc);
/// `ARG_PTR_TO_STACK_OR_NULL`.
pub const ARG_PTR_TO_STACK_OR_NULL: Arg = Arg::of(ArgType::PtrToStack).with(PTR_MAYBE_NULL);
/// `ARG_PTR_TO_CONST_STR`.
pub const ARG_PTR_TO_CONST_STR: Arg = Arg::of(ArgType::PtrToConstStr);
/// `ARG_PTR_TO_TIMER`.
pub const ARG_PTR_TO_TIMER: Arg = Arg::of(ArgType::PtrToTimer);
/// `ARG_KPTR_XCHG_DEST`.
pub const ARG_KPTR_XCHG_DEST: Arg = Arg::of(ArgType::KptrXchgDest);
/// `ARG_PTR_TO_DYNPTR`.
pub const ARG_PTR_TO_DYNPTR: Arg = Arg::of(ArgType::PtrToDynptr);

/// The kernel's `enum bpf_return_type` base types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetType {
    /// `RET_INTEGER`.
    Integer,
    /// `RET_VOID`: r0 is undefined afterwards.
    Void,
    /// `RET_PTR_TO_MAP_VALUE`: a value of the map argument's map.
    PtrToMapValue,
    /// `RET_PTR_TO_SOCKET`.
    PtrToSocket,
    /// `RET_PTR_TO_TCP_SOCK`.
    PtrToTcpSock,
    /// `RET_PTR_TO_SOCK_COMMON`.
    PtrToSockCommon,
    /// `RET_PTR_TO_MEM`: memory of the `ARG_CONST_ALLOC_SIZE_OR_ZERO` argument's size.
    PtrToMem,
    /// `RET_PTR_TO_MEM_OR_BTF_ID`.
    PtrToMemOrBtfId,
    /// `RET_PTR_TO_BTF_ID`.
    PtrToBtfId,
}

impl RetType {
    /// The kernel's name, without `RET_`.
    pub const fn kernel_name(self) -> &'static str {
        match self {
            RetType::Integer => "INTEGER",
            RetType::Void => "VOID",
            RetType::PtrToMapValue => "PTR_TO_MAP_VALUE",
            RetType::PtrToSocket => "PTR_TO_SOCKET",
            RetType::PtrToTcpSock => "PTR_TO_TCP_SOCK",
            RetType::PtrToSockCommon => "PTR_TO_SOCK_COMMON",
            RetType::PtrToMem => "PTR_TO_MEM",
            RetType::PtrToMemOrBtfId => "PTR_TO_MEM_OR_BTF_ID",
            RetType::PtrToBtfId => "PTR_TO_BTF_ID",
        }
    }
}

/// What r0 holds after the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ret {
    /// The base type.
    pub ty: RetType,
    /// The flags (`PTR_MAYBE_NULL`, `MEM_RINGBUF`, `MEM_RDONLY`, `PTR_TRUSTED`).
    pub flags: TypeFlags,
    /// The kernel type a `RET_PTR_TO_BTF_ID` points to.
    pub btf: Option<BtfType>,
    /// The signed range of a `RET_INTEGER`, where known.
    pub range: Option<(i64, i64)>,
}

impl Ret {
    const fn of(ty: RetType) -> Ret {
        Ret { ty, flags: TypeFlags(0), btf: None, range: None }
    }

    /// This result with `flags` added.
    pub const fn with(self, flags: u32) -> Ret {
        Ret { flags: TypeFlags(self.flags.0 | flags), ..self }
    }

    /// This result pointing to a `btf`.
    pub const fn btf(self, btf: BtfType) -> Ret {
        Ret { btf: Some(btf), ..self }
    }

    /// This integer result within `[lo, hi]`.
    pub const fn range(self, lo: i64, hi: i64) -> Ret {
        Ret { range: Some((lo, hi)), ..self }
    }

    /// The kernel's spelling, e.g. `RET_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL`.
    pub fn kernel_name(self) -> String {
        let base = format!("RET_{}", self.ty.kernel_name());
        let flags = self.flags.names();
        match flags.is_empty() {
            true => base,
            false => format!("{base} | {flags}"),
        }
    }
}

/// `RET_INTEGER`.
pub const RET_INTEGER: Ret = Ret::of(RetType::Integer);
/// `RET_VOID`.
pub const RET_VOID: Ret = Ret::of(RetType::Void);
/// `RET_PTR_TO_MAP_VALUE`.
pub const RET_PTR_TO_MAP_VALUE: Ret = Ret::of(RetType::PtrToMapValue);
/// `RET_PTR_TO_MAP_VALUE_OR_NULL`.
pub const RET_PTR_TO_MAP_VALUE_OR_NULL: Ret = RET_PTR_TO_MAP_VALUE.with(PTR_MAYBE_NULL);
/// `RET_PTR_TO_SOCKET_OR_NULL`.
pub const RET_PTR_TO_SOCKET_OR_NULL: Ret = Ret::of(RetType::PtrToSocket).with(PTR_MAYBE_NULL);
/// `RET_PTR_TO_TCP_SOCK_OR_NULL`.
pub const RET_PTR_TO_TCP_SOCK_OR_NULL: Ret = Ret::of(RetType::PtrToTcpSock).with(PTR_MAYBE_NULL);
/// `RET_PTR_TO_SOCK_COMMON_OR_NULL`.
pub const RET_PTR_TO_SOCK_COMMON_OR_NULL: Ret = Ret::of(RetType::PtrToSockCommon).with(PTR_MAYBE_NULL);
/// `RET_PTR_TO_RINGBUF_MEM_OR_NULL`.
pub const RET_PTR_TO_RINGBUF_MEM_OR_NULL: Ret = Ret::of(RetType::PtrToMem).with(PTR_MAYBE_NULL | MEM_RINGBUF);
/// `RET_PTR_TO_DYNPTR_MEM_OR_NULL`.
pub const RET_PTR_TO_DYNPTR_MEM_OR_NULL: Ret = Ret::of(RetType::PtrToMem).with(PTR_MAYBE_NULL);
/// `RET_PTR_TO_MEM_OR_BTF_ID`.
pub const RET_PTR_TO_MEM_OR_BTF_ID: Ret = Ret::of(RetType::PtrToMemOrBtfId);
/// `RET_PTR_TO_BTF_ID`.
pub const RET_PTR_TO_BTF_ID: Ret = Ret::of(RetType::PtrToBtfId);
/// `RET_PTR_TO_BTF_ID_OR_NULL`.
pub const RET_PTR_TO_BTF_ID_OR_NULL: Ret = RET_PTR_TO_BTF_ID.with(PTR_MAYBE_NULL);
/// `RET_PTR_TO_BTF_ID_TRUSTED`.
pub const RET_PTR_TO_BTF_ID_TRUSTED: Ret = RET_PTR_TO_BTF_ID.with(PTR_TRUSTED);

/// Linux's `MAX_ERRNO`: error results are `-MAX_ERRNO..=-1`.
pub const MAX_ERRNO: i64 = 4095;
const U32_MAX: i64 = u32::MAX as i64;
const I32_MAX: i64 = i32::MAX as i64;

/// What the verifier knows about a helper beyond its prototype, as a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Facts(u8);

impl Facts {
    /// Whether every fact of `facts` (bits of the constants below) holds.
    pub const fn has(self, facts: u8) -> bool {
        self.0 & facts == facts
    }
}

/// No facts.
pub const NONE: u8 = 0;
/// Only GPL-compatible programs may call it (`gpl_only`).
pub const GPL_ONLY: u8 = 1 << 0;
/// It may sleep: only sleepable programs may call it (`might_sleep`).
pub const MIGHT_SLEEP: u8 = 1 << 1;
/// Its memory arguments may point into the packet (`pkt_access`).
pub const PKT_ACCESS: u8 = 1 << 2;
/// It may move or resize the packet (`bpf_helper_changes_pkt_data`).
pub const CHANGES_PKT_DATA: u8 = 1 << 3;
/// Its result is a reference the program must release (`is_acquire_function`).
pub const ACQUIRES: u8 = 1 << 4;

/// One helper: its number (`enum bpf_func_id`), name without `bpf_`, and prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Helper {
    /// The stable number.
    pub id: i32,
    /// The name without `bpf_`.
    pub name: &'static str,
    /// The prototype.
    pub proto: Proto,
}

/// A prototype: arguments (r1 first), result and facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proto {
    /// The checked arguments, r1 first; registers past them are not checked (the kernel's
    /// `ARG_DONTCARE`).
    pub args: &'static [Arg],
    /// What r0 holds afterwards.
    pub ret: Ret,
    /// The facts.
    pub facts: Facts,
}

impl Proto {
    /// Whether every fact of `facts` holds.
    pub const fn has(&self, facts: u8) -> bool {
        self.facts.has(facts)
    }
}

/// A prototype some program types get instead of the helper's usual one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// The helper's number.
    pub id: i32,
    /// The kernel's name for this prototype.
    pub kernel_proto: &'static str,
    /// The kernel's `*_func_proto` functions that return it.
    pub chosen_by: &'static [&'static str],
    /// The prototype.
    pub proto: Proto,
}

const fn h(id: i32, name: &'static str, args: &'static [Arg], ret: Ret, facts: u8) -> Helper {
    Helper { id, name, proto: Proto { args, ret, facts: Facts(facts) } }
}

const fn v(
    id: i32,
    kernel_proto: &'static str,
    chosen_by: &'static [&'static str],
    args: &'static [Arg],
    ret: Ret,
    facts: u8,
) -> Variant {
    Variant { id, kernel_proto, chosen_by, proto: Proto { args, ret, facts: Facts(facts) } }
}

/// The helper numbered `id`.
pub fn helper(id: i32) -> Option<&'static Helper> {
    HELPERS.iter().find(|h| h.id == id)
}

/// The helper named `name` (without `bpf_`).
pub fn helper_named(name: &str) -> Option<&'static Helper> {
    HELPERS.iter().find(|h| h.name == name)
}

/// The prototype of helper `id` for a program type whose kernel `*_func_proto` functions
/// are `func_protos`: the first variant one of them returns, else the usual prototype.
pub fn prototype_for(id: i32, func_protos: &[&str]) -> Option<Proto> {
    let variant = VARIANTS.iter().find(|v| v.id == id && v.chosen_by.iter().any(|f| func_protos.contains(f)));
    variant.map(|v| v.proto).or_else(|| helper(id).map(|h| h.proto))
}

/// Every helper of `___BPF_FUNC_MAPPER` but `unspec`, by number. One per line.
#[rustfmt::skip]
pub const HELPERS: &[Helper] = &[
    h(1, "map_lookup_elem", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY], RET_PTR_TO_MAP_VALUE_OR_NULL, PKT_ACCESS),
    h(2, "map_update_elem", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), PKT_ACCESS),
    h(3, "map_delete_elem", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY], RET_INTEGER.range(-MAX_ERRNO, 0), PKT_ACCESS),
    h(4, "probe_read", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), GPL_ONLY),
    h(5, "ktime_get_ns", &[], RET_INTEGER, NONE),
    h(6, "trace_printk", &[ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, GPL_ONLY),
    h(7, "get_prandom_u32", &[], RET_INTEGER.range(0, U32_MAX), NONE),
    h(8, "get_smp_processor_id", &[], RET_INTEGER.range(0, U32_MAX), NONE),
    h(9, "skb_store_bytes", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), CHANGES_PKT_DATA),
    h(10, "l3_csum_replace", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), CHANGES_PKT_DATA),
    h(11, "l4_csum_replace", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), CHANGES_PKT_DATA),
    h(12, "tail_call", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_VOID, CHANGES_PKT_DATA),
    h(13, "clone_redirect", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), CHANGES_PKT_DATA),
    h(14, "get_current_pid_tgid", &[], RET_INTEGER, NONE),
    h(15, "get_current_uid_gid", &[], RET_INTEGER, NONE),
    h(16, "get_current_comm", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER.range(-MAX_ERRNO, 0), NONE),
    h(17, "get_cgroup_classid", &[ARG_PTR_TO_CTX], RET_INTEGER.range(0, U32_MAX), NONE),
    h(18, "skb_vlan_push", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(19, "skb_vlan_pop", &[ARG_PTR_TO_CTX], RET_INTEGER, CHANGES_PKT_DATA),
    h(20, "skb_get_tunnel_key", &[ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, NONE),
    h(21, "skb_set_tunnel_key", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, NONE),
    h(22, "perf_event_read", &[ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(23, "redirect", &[ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER.range(0, U32_MAX), NONE),
    h(24, "get_route_realm", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(25, "perf_event_output", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO], RET_INTEGER.range(-MAX_ERRNO, 0), GPL_ONLY),
    h(26, "skb_load_bytes", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER.range(-MAX_ERRNO, 0), NONE),
    h(27, "get_stackid", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, I32_MAX), GPL_ONLY),
    h(28, "csum_diff", &[ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL | MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL | MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, PKT_ACCESS),
    h(29, "skb_get_tunnel_opt", &[ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(30, "skb_set_tunnel_opt", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(31, "skb_change_proto", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(32, "skb_change_type", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, NONE),
    h(33, "skb_under_cgroup", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_INTEGER, NONE),
    h(34, "get_hash_recalc", &[ARG_PTR_TO_CTX], RET_INTEGER.range(0, U32_MAX), NONE),
    h(35, "get_current_task", &[], RET_INTEGER, GPL_ONLY),
    h(36, "probe_write_user", &[ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, GPL_ONLY),
    h(37, "current_task_under_cgroup", &[ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_INTEGER, NONE),
    h(38, "skb_change_tail", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(39, "skb_pull_data", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), CHANGES_PKT_DATA),
    h(40, "csum_update", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, NONE),
    h(41, "set_hash_invalid", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(42, "get_numa_node_id", &[], RET_INTEGER.range(0, I32_MAX), NONE),
    h(43, "skb_change_head", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(44, "xdp_adjust_head", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), CHANGES_PKT_DATA),
    h(45, "probe_read_str", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, I32_MAX), GPL_ONLY),
    h(46, "get_socket_cookie", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(47, "get_socket_uid", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(48, "set_hash", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, NONE),
    h(49, "setsockopt", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(50, "skb_adjust_room", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(51, "redirect_map", &[ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER.range(0, U32_MAX), NONE),
    h(52, "sk_redirect_map", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, NONE),
    h(53, "sock_map_update", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING], RET_INTEGER, PKT_ACCESS),
    h(54, "xdp_adjust_meta", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), CHANGES_PKT_DATA),
    h(55, "perf_event_read_value", &[ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, GPL_ONLY),
    h(56, "perf_prog_read_value", &[ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, GPL_ONLY),
    h(57, "getsockopt", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(58, "override_return", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(59, "sock_ops_cb_flags_set", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, NONE),
    h(60, "msg_redirect_map", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, NONE),
    h(61, "msg_apply_bytes", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, NONE),
    h(62, "msg_cork_bytes", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, NONE),
    h(63, "msg_pull_data", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(64, "bind", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(65, "xdp_adjust_tail", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), CHANGES_PKT_DATA),
    h(66, "skb_get_xfrm_state", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, NONE),
    h(67, "get_stack", &[ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(68, "skb_load_bytes_relative", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, NONE),
    h(69, "fib_lookup", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(70, "sock_hash_update", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING], RET_INTEGER, PKT_ACCESS),
    h(71, "msg_redirect_hash", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING], RET_INTEGER, NONE),
    h(72, "sk_redirect_hash", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING], RET_INTEGER, NONE),
    h(73, "lwt_push_encap", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, CHANGES_PKT_DATA),
    h(74, "lwt_seg6_store_bytes", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, CHANGES_PKT_DATA),
    h(75, "lwt_seg6_adjust_srh", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(76, "lwt_seg6_action", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, CHANGES_PKT_DATA),
    h(77, "rc_repeat", &[ARG_PTR_TO_CTX], RET_INTEGER, GPL_ONLY),
    h(78, "rc_keydown", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(79, "skb_cgroup_id", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(80, "get_current_cgroup_id", &[], RET_INTEGER, NONE),
    h(81, "get_local_storage", &[ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_PTR_TO_MAP_VALUE, NONE),
    h(82, "sk_select_reuseport", &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING], RET_INTEGER, NONE),
    h(83, "skb_ancestor_cgroup_id", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, NONE),
    h(84, "sk_lookup_tcp", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_ANYTHING], RET_PTR_TO_SOCKET_OR_NULL, PKT_ACCESS | ACQUIRES),
    h(85, "sk_lookup_udp", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_ANYTHING], RET_PTR_TO_SOCKET_OR_NULL, PKT_ACCESS | ACQUIRES),
    h(86, "sk_release", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON.with(OBJ_RELEASE)], RET_INTEGER, NONE),
    h(87, "map_push_elem", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING], RET_INTEGER, PKT_ACCESS),
    h(88, "map_pop_elem", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE.with(MEM_UNINIT | MEM_WRITE)], RET_INTEGER, NONE),
    h(89, "map_peek_elem", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE.with(MEM_UNINIT | MEM_WRITE)], RET_INTEGER, NONE),
    h(90, "msg_push_data", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(91, "msg_pop_data", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(92, "rc_pointer_rel", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(93, "spin_lock", &[ARG_PTR_TO_SPIN_LOCK.btf(BtfType::FromArgument)], RET_VOID, NONE),
    h(94, "spin_unlock", &[ARG_PTR_TO_SPIN_LOCK.btf(BtfType::FromArgument)], RET_VOID, NONE),
    h(95, "sk_fullsock", &[ARG_PTR_TO_SOCK_COMMON], RET_PTR_TO_SOCKET_OR_NULL, NONE),
    h(96, "tcp_sock", &[ARG_PTR_TO_SOCK_COMMON], RET_PTR_TO_TCP_SOCK_OR_NULL, NONE),
    h(97, "skb_ecn_set_ce", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(98, "get_listener_sock", &[ARG_PTR_TO_SOCK_COMMON], RET_PTR_TO_SOCKET_OR_NULL, NONE),
    h(99, "skc_lookup_tcp", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_ANYTHING], RET_PTR_TO_SOCK_COMMON_OR_NULL, PKT_ACCESS | ACQUIRES),
    h(100, "tcp_check_syncookie", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, GPL_ONLY | PKT_ACCESS),
    h(101, "sysctl_get_name", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, NONE),
    h(102, "sysctl_get_current_value", &[ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(103, "sysctl_get_new_value", &[ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(104, "sysctl_set_new_value", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(105, "strtol", &[ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_ANYTHING, ARG_PTR_TO_FIXED_SIZE_MEM.with(MEM_UNINIT | MEM_WRITE | MEM_ALIGNED).sized(8)], RET_INTEGER, NONE),
    h(106, "strtoul", &[ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_ANYTHING, ARG_PTR_TO_FIXED_SIZE_MEM.with(MEM_UNINIT | MEM_WRITE | MEM_ALIGNED).sized(8)], RET_INTEGER, NONE),
    h(107, "sk_storage_get", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_PTR_TO_MAP_VALUE_OR_NULL, ARG_ANYTHING], RET_PTR_TO_MAP_VALUE_OR_NULL, NONE),
    h(108, "sk_storage_delete", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_SOCK_COMMON], RET_INTEGER, NONE),
    h(109, "send_signal", &[ARG_ANYTHING], RET_INTEGER, NONE),
    h(110, "tcp_gen_syncookie", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, GPL_ONLY | PKT_ACCESS),
    h(111, "skb_output", &[ARG_PTR_TO_BTF_ID.btf(BtfType::SkBuff), ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY),
    h(112, "probe_read_user", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), GPL_ONLY),
    h(113, "probe_read_kernel", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), GPL_ONLY),
    h(114, "probe_read_user_str", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, I32_MAX), GPL_ONLY),
    h(115, "probe_read_kernel_str", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, I32_MAX), GPL_ONLY),
    h(116, "tcp_send_ack", &[ARG_PTR_TO_BTF_ID.btf(BtfType::TcpSock), ARG_ANYTHING], RET_INTEGER, NONE),
    h(117, "send_signal_thread", &[ARG_ANYTHING], RET_INTEGER, NONE),
    h(118, "jiffies64", &[], RET_INTEGER, NONE),
    h(119, "read_branch_records", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM_OR_NULL, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(120, "get_ns_current_pid_tgid", &[ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(121, "xdp_output", &[ARG_PTR_TO_BTF_ID.btf(BtfType::XdpBuff), ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY),
    h(122, "get_netns_cookie", &[ARG_PTR_TO_CTX_OR_NULL], RET_INTEGER, NONE),
    h(123, "get_current_ancestor_cgroup_id", &[ARG_ANYTHING], RET_INTEGER, NONE),
    h(124, "sk_assign", &[ARG_PTR_TO_CTX, ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING], RET_INTEGER, NONE),
    h(125, "ktime_get_boot_ns", &[], RET_INTEGER, NONE),
    h(126, "seq_printf", &[ARG_PTR_TO_BTF_ID.btf(BtfType::SeqFile), ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL | MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY),
    h(127, "seq_write", &[ARG_PTR_TO_BTF_ID.btf(BtfType::SeqFile), ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY),
    h(128, "sk_cgroup_id", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON], RET_INTEGER, NONE),
    h(129, "sk_ancestor_cgroup_id", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING], RET_INTEGER, NONE),
    h(130, "ringbuf_output", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 0), NONE),
    h(131, "ringbuf_reserve", &[ARG_CONST_MAP_PTR, ARG_CONST_ALLOC_SIZE_OR_ZERO, ARG_ANYTHING], RET_PTR_TO_RINGBUF_MEM_OR_NULL, ACQUIRES),
    h(132, "ringbuf_submit", &[ARG_PTR_TO_RINGBUF_MEM.with(OBJ_RELEASE), ARG_ANYTHING], RET_VOID, NONE),
    h(133, "ringbuf_discard", &[ARG_PTR_TO_RINGBUF_MEM.with(OBJ_RELEASE), ARG_ANYTHING], RET_VOID, NONE),
    h(134, "ringbuf_query", &[ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_INTEGER, NONE),
    h(135, "csum_level", &[ARG_PTR_TO_CTX, ARG_ANYTHING], RET_INTEGER, NONE),
    h(136, "skc_to_tcp6_sock", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::Tcp6Sock), NONE),
    h(137, "skc_to_tcp_sock", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::TcpSock), NONE),
    h(138, "skc_to_tcp_timewait_sock", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::TcpTimewaitSock), NONE),
    h(139, "skc_to_tcp_request_sock", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::TcpRequestSock), NONE),
    h(140, "skc_to_udp6_sock", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::Udp6Sock), NONE),
    h(141, "get_task_stack", &[ARG_PTR_TO_BTF_ID.btf(BtfType::TaskStruct), ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, NONE),
    h(142, "load_hdr_opt", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_WRITE), ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, NONE),
    h(143, "store_hdr_opt", &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, CHANGES_PKT_DATA),
    h(144, "reserve_hdr_opt", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, NONE),
    h(145, "inode_storage_get", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::Inode), ARG_PTR_TO_MAP_VALUE_OR_NULL, ARG_ANYTHING], RET_PTR_TO_MAP_VALUE_OR_NULL, NONE),
    h(146, "inode_storage_delete", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::Inode)], RET_INTEGER, NONE),
    h(147, "d_path", &[ARG_PTR_TO_BTF_ID.btf(BtfType::Path), ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, NONE),
    h(148, "copy_from_user", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, MIGHT_SLEEP),
    h(149, "snprintf_btf", &[ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_ANYTHING], RET_INTEGER, NONE),
    h(150, "seq_printf_btf", &[ARG_PTR_TO_BTF_ID.btf(BtfType::SeqFile), ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(151, "skb_cgroup_classid", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(152, "redirect_neigh", &[ARG_ANYTHING, ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL | MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, NONE),
    h(153, "per_cpu_ptr", &[ARG_PTR_TO_PERCPU_BTF_ID, ARG_ANYTHING], RET_PTR_TO_MEM_OR_BTF_ID.with(PTR_MAYBE_NULL | MEM_RDONLY), NONE),
    h(154, "this_cpu_ptr", &[ARG_PTR_TO_PERCPU_BTF_ID], RET_PTR_TO_MEM_OR_BTF_ID.with(MEM_RDONLY), NONE),
    h(155, "redirect_peer", &[ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, NONE),
    h(156, "task_storage_get", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::TaskStruct), ARG_PTR_TO_MAP_VALUE_OR_NULL, ARG_ANYTHING], RET_PTR_TO_MAP_VALUE_OR_NULL, NONE),
    h(157, "task_storage_delete", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::TaskStruct)], RET_INTEGER, NONE),
    h(158, "get_current_task_btf", &[], RET_PTR_TO_BTF_ID_TRUSTED.btf(BtfType::TaskStruct), GPL_ONLY),
    h(159, "bprm_opts_set", &[ARG_PTR_TO_BTF_ID.btf(BtfType::LinuxBinprm), ARG_ANYTHING], RET_INTEGER, NONE),
    h(160, "ktime_get_coarse_ns", &[], RET_INTEGER, NONE),
    h(161, "ima_inode_hash", &[ARG_PTR_TO_BTF_ID.btf(BtfType::Inode), ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, MIGHT_SLEEP),
    h(162, "sock_from_file", &[ARG_PTR_TO_BTF_ID.btf(BtfType::File)], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::Socket), NONE),
    h(163, "check_mtu", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_FIXED_SIZE_MEM.with(MEM_WRITE | MEM_ALIGNED).sized(4), ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(164, "for_each_map_elem", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING], RET_INTEGER, NONE),
    h(165, "snprintf", &[ARG_PTR_TO_MEM_OR_NULL, ARG_CONST_SIZE_OR_ZERO, ARG_PTR_TO_CONST_STR, ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL | MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY),
    h(166, "sys_bpf", &[ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, MIGHT_SLEEP),
    h(167, "btf_find_by_name_kind", &[ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, MIGHT_SLEEP),
    h(168, "sys_close", &[ARG_ANYTHING], RET_INTEGER, MIGHT_SLEEP),
    h(169, "timer_init", &[ARG_PTR_TO_TIMER, ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(170, "timer_set_callback", &[ARG_PTR_TO_TIMER, ARG_PTR_TO_FUNC], RET_INTEGER, GPL_ONLY),
    h(171, "timer_start", &[ARG_PTR_TO_TIMER, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    h(172, "timer_cancel", &[ARG_PTR_TO_TIMER], RET_INTEGER, GPL_ONLY),
    h(173, "get_func_ip", &[ARG_PTR_TO_CTX], RET_INTEGER, GPL_ONLY),
    h(174, "get_attach_cookie", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(175, "task_pt_regs", &[ARG_PTR_TO_BTF_ID.btf(BtfType::TaskStruct)], RET_PTR_TO_BTF_ID.btf(BtfType::PtRegs), GPL_ONLY),
    h(176, "get_branch_snapshot", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY),
    h(177, "trace_vprintk", &[ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL | MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY),
    h(178, "skc_to_unix_sock", &[ARG_PTR_TO_BTF_ID_SOCK_COMMON], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::UnixSock), NONE),
    h(179, "kallsyms_lookup_name", &[ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_PTR_TO_FIXED_SIZE_MEM.with(MEM_UNINIT | MEM_WRITE | MEM_ALIGNED).sized(8)], RET_INTEGER, NONE),
    h(180, "find_vma", &[ARG_PTR_TO_BTF_ID.btf(BtfType::TaskStruct), ARG_ANYTHING, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING], RET_INTEGER, NONE),
    h(181, "loop", &[ARG_SCALAR, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, 8388608), NONE),
    h(182, "strncmp", &[ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_PTR_TO_CONST_STR], RET_INTEGER, NONE),
    h(183, "get_func_arg", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_FIXED_SIZE_MEM.with(MEM_UNINIT | MEM_WRITE | MEM_ALIGNED).sized(8)], RET_INTEGER, NONE),
    h(184, "get_func_ret", &[ARG_PTR_TO_CTX, ARG_PTR_TO_FIXED_SIZE_MEM.with(MEM_UNINIT | MEM_WRITE | MEM_ALIGNED).sized(8)], RET_INTEGER, NONE),
    h(185, "get_func_arg_cnt", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(186, "get_retval", &[], RET_INTEGER, NONE),
    h(187, "set_retval", &[ARG_ANYTHING], RET_INTEGER, NONE),
    h(188, "xdp_get_buff_len", &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    h(189, "xdp_load_bytes", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(190, "xdp_store_bytes", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, NONE),
    h(191, "copy_from_user_task", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_PTR_TO_BTF_ID.btf(BtfType::TaskStruct), ARG_ANYTHING], RET_INTEGER, GPL_ONLY | MIGHT_SLEEP),
    h(192, "skb_set_tstamp", &[ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, NONE),
    h(193, "ima_file_hash", &[ARG_PTR_TO_BTF_ID.btf(BtfType::File), ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, MIGHT_SLEEP),
    h(194, "kptr_xchg", &[ARG_KPTR_XCHG_DEST, ARG_PTR_TO_BTF_ID_OR_NULL.with(OBJ_RELEASE).btf(BtfType::FromArgument)], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::FromArgument), NONE),
    h(195, "map_lookup_percpu_elem", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING], RET_PTR_TO_MAP_VALUE_OR_NULL, PKT_ACCESS),
    h(196, "skc_to_mptcp_sock", &[ARG_PTR_TO_SOCK_COMMON], RET_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::MptcpSock), NONE),
    h(197, "dynptr_from_mem", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_PTR_TO_DYNPTR.with(DYNPTR_TYPE_LOCAL | MEM_UNINIT | MEM_WRITE)], RET_INTEGER, NONE),
    h(198, "ringbuf_reserve_dynptr", &[ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_DYNPTR.with(DYNPTR_TYPE_RINGBUF | MEM_UNINIT | MEM_WRITE)], RET_INTEGER, NONE),
    h(199, "ringbuf_submit_dynptr", &[ARG_PTR_TO_DYNPTR.with(DYNPTR_TYPE_RINGBUF | OBJ_RELEASE), ARG_ANYTHING], RET_VOID, NONE),
    h(200, "ringbuf_discard_dynptr", &[ARG_PTR_TO_DYNPTR.with(DYNPTR_TYPE_RINGBUF | OBJ_RELEASE), ARG_ANYTHING], RET_VOID, NONE),
    h(201, "dynptr_read", &[ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_PTR_TO_DYNPTR.with(MEM_RDONLY), ARG_ANYTHING, ARG_ANYTHING], RET_INTEGER, NONE),
    h(202, "dynptr_write", &[ARG_PTR_TO_DYNPTR.with(MEM_RDONLY), ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, NONE),
    h(203, "dynptr_data", &[ARG_PTR_TO_DYNPTR.with(MEM_RDONLY), ARG_ANYTHING, ARG_CONST_ALLOC_SIZE_OR_ZERO], RET_PTR_TO_DYNPTR_MEM_OR_NULL, NONE),
    h(204, "tcp_raw_gen_syncookie_ipv4", &[ARG_PTR_TO_FIXED_SIZE_MEM.sized(20), ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY | PKT_ACCESS),
    h(205, "tcp_raw_gen_syncookie_ipv6", &[ARG_PTR_TO_FIXED_SIZE_MEM.sized(40), ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO], RET_INTEGER, GPL_ONLY | PKT_ACCESS),
    h(206, "tcp_raw_check_syncookie_ipv4", &[ARG_PTR_TO_FIXED_SIZE_MEM.sized(20), ARG_PTR_TO_FIXED_SIZE_MEM.sized(20)], RET_INTEGER, GPL_ONLY | PKT_ACCESS),
    h(207, "tcp_raw_check_syncookie_ipv6", &[ARG_PTR_TO_FIXED_SIZE_MEM.sized(40), ARG_PTR_TO_FIXED_SIZE_MEM.sized(20)], RET_INTEGER, GPL_ONLY | PKT_ACCESS),
    h(208, "ktime_get_tai_ns", &[], RET_INTEGER, NONE),
    h(209, "user_ringbuf_drain", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING], RET_INTEGER, NONE),
    h(210, "cgrp_storage_get", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::Cgroup), ARG_PTR_TO_MAP_VALUE_OR_NULL, ARG_ANYTHING], RET_PTR_TO_MAP_VALUE_OR_NULL, NONE),
    h(211, "cgrp_storage_delete", &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::Cgroup)], RET_INTEGER, NONE),
];

/// The prototypes some program types get instead, with the kernel functions that choose them.
#[rustfmt::skip]
pub const VARIANTS: &[Variant] = &[
    v(17, "bpf_get_cgroup_classid_curr_proto", &["cgroup_current_func_proto", "sk_msg_func_proto"], &[], RET_INTEGER.range(0, U32_MAX), NONE),
    v(27, "bpf_get_stackid_proto_pe", &["pe_prog_func_proto"], &[ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING], RET_INTEGER.range(-MAX_ERRNO, I32_MAX), NONE),
    v(46, "bpf_get_socket_ptr_cookie_proto", &["sk_reuseport_func_proto", "tracing_prog_func_proto"], &[ARG_PTR_TO_BTF_ID_SOCK_COMMON.with(PTR_MAYBE_NULL)], RET_INTEGER, NONE),
    v(49, "bpf_sk_setsockopt_proto", &["bpf_iter_tcp_get_func_proto", "bpf_iter_unix_get_func_proto", "bpf_lsm_func_proto", "bpf_tcp_ca_get_func_proto", "cg_sockopt_func_proto"], &[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, NONE),
    v(49, "bpf_unlocked_sk_setsockopt_proto", &["bpf_lsm_func_proto"], &[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE], RET_INTEGER, NONE),
    v(57, "bpf_sk_getsockopt_proto", &["bpf_iter_tcp_get_func_proto", "bpf_iter_unix_get_func_proto", "bpf_lsm_func_proto", "bpf_tcp_ca_get_func_proto", "cg_sockopt_func_proto"], &[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, NONE),
    v(57, "bpf_unlocked_sk_getsockopt_proto", &["bpf_lsm_func_proto"], &[ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE], RET_INTEGER, NONE),
    v(67, "bpf_get_stack_sleepable_proto", &["kprobe_prog_func_proto"], &[ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, GPL_ONLY | MIGHT_SLEEP),
    v(67, "bpf_get_stack_proto_raw_tp", &["raw_tp_prog_func_proto"], &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, GPL_ONLY),
    v(84, "bpf_sock_addr_sk_lookup_tcp_proto", &["sock_addr_func_proto"], &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_ANYTHING], RET_PTR_TO_SOCKET_OR_NULL, ACQUIRES),
    v(85, "bpf_sock_addr_sk_lookup_udp_proto", &["sock_addr_func_proto"], &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_ANYTHING], RET_PTR_TO_SOCKET_OR_NULL, ACQUIRES),
    v(99, "bpf_sock_addr_skc_lookup_tcp_proto", &["sock_addr_func_proto"], &[ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, ARG_ANYTHING], RET_PTR_TO_SOCK_COMMON_OR_NULL, ACQUIRES),
    v(107, "bpf_sk_storage_get_cg_sock_proto", &["sock_filter_func_proto"], &[ARG_CONST_MAP_PTR, ARG_PTR_TO_CTX, ARG_PTR_TO_MAP_VALUE_OR_NULL, ARG_ANYTHING], RET_PTR_TO_MAP_VALUE_OR_NULL, NONE),
    v(107, "bpf_sk_storage_get_tracing_proto", &["tracing_prog_func_proto"], &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::SockCommon), ARG_PTR_TO_MAP_VALUE_OR_NULL, ARG_ANYTHING], RET_PTR_TO_MAP_VALUE_OR_NULL, NONE),
    v(108, "bpf_sk_storage_delete_tracing_proto", &["tracing_prog_func_proto"], &[ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL.btf(BtfType::SockCommon)], RET_INTEGER, NONE),
    v(124, "bpf_sk_lookup_assign_proto", &["sk_lookup_func_proto"], &[ARG_PTR_TO_CTX, ARG_PTR_TO_SOCKET_OR_NULL, ARG_ANYTHING], RET_INTEGER, NONE),
    v(141, "bpf_get_task_stack_sleepable_proto", &["bpf_tracing_func_proto"], &[ARG_PTR_TO_BTF_ID.btf(BtfType::TaskStruct), ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING], RET_INTEGER, MIGHT_SLEEP),
    v(173, "bpf_get_func_ip_proto_kprobe_multi", &["kprobe_prog_func_proto"], &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    v(173, "bpf_get_func_ip_proto_uprobe_multi", &["kprobe_prog_func_proto"], &[ARG_PTR_TO_CTX], RET_INTEGER, NONE),
    v(188, "bpf_xdp_get_buff_len_trace_proto", &["tracing_prog_func_proto"], &[ARG_PTR_TO_BTF_ID.btf(BtfType::XdpBuff)], RET_INTEGER, NONE),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_uapi_helper_is_listed_once_in_order() {
        assert_eq!(HELPERS.len(), 211);
        for (i, helper) in HELPERS.iter().enumerate() {
            assert_eq!(helper.id, i as i32 + 1, "{} out of order", helper.name);
            assert!(HELPERS[..i].iter().all(|h| h.name != helper.name), "{} listed twice", helper.name);
        }
        assert_eq!(helper_named("sk_release").map(|h| h.id), Some(86));
        assert!(VARIANTS.iter().all(|v| helper(v.id).is_some_and(|h| h.proto != v.proto)));
    }

    /// Every variable-size memory argument is followed by its size, and every size follows
    /// memory, as the kernel's `check_arg_pair_ok` demands.
    #[test]
    fn memory_and_size_arguments_come_in_pairs() {
        let protos =
            HELPERS.iter().map(|h| (h.name, h.proto)).chain(VARIANTS.iter().map(|v| (v.kernel_proto, v.proto)));
        for (name, proto) in protos {
            assert!(proto.args.len() <= 5, "{name}");
            for (i, arg) in proto.args.iter().enumerate() {
                let sized_memory = arg.ty == ArgType::PtrToMem && !arg.flags.has(MEM_FIXED_SIZE);
                let next_is_size = proto
                    .args
                    .get(i + 1)
                    .is_some_and(|a| matches!(a.ty, ArgType::ConstSize | ArgType::ConstSizeOrZero));
                assert_eq!(sized_memory, next_is_size, "{name} argument {}", i + 1);
                assert_eq!(arg.flags.has(MEM_FIXED_SIZE), arg.size > 0, "{name} argument {}", i + 1);
            }
        }
    }

    #[test]
    fn facts_and_variants_follow_the_kernel() {
        let facts = |name| helper_named(name).expect(name).proto;
        assert!(facts("xdp_adjust_head").has(CHANGES_PKT_DATA) && !facts("xdp_load_bytes").has(CHANGES_PKT_DATA));
        assert!(facts("sk_lookup_tcp").has(ACQUIRES) && facts("sk_release").args[0].flags.has(OBJ_RELEASE));
        assert_eq!(facts("perf_event_output").args[4].ty, ArgType::ConstSizeOrZero);
        assert_eq!(facts("map_update_elem").ret.range, Some((-MAX_ERRNO, 0)));
        assert_eq!(
            facts("strtol").args[3].kernel_name(),
            "ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE | MEM_FIXED_SIZE | MEM_ALIGNED"
        );
        assert_eq!(RET_PTR_TO_MAP_VALUE_OR_NULL.kernel_name(), "RET_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL");
        // sk_storage_get takes the context in cgroup/sock programs, a BTF socket elsewhere.
        let cg_sock = prototype_for(107, &["sock_filter_func_proto"]).expect("listed");
        assert_eq!(cg_sock.args[1].ty, ArgType::PtrToCtx);
        assert_eq!(
            prototype_for(107, &["tc_cls_act_func_proto"]).expect("listed").args[1].ty,
            ArgType::PtrToBtfIdSockCommon
        );
    }
}
