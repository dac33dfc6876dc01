//! Helper prototypes as the analyzer checks them. Helpers come from the kernel model's table
//! (`bpfprove_semantics::model::helpers`), each kernel argument and return type mapped to one
//! of the analyzer's checks ([`ArgKind`], [`RetKind`]); a helper with a kind the analyzer does
//! not model yet keeps the reason ([`Prototype::unmodelled`]) and its calls are refused.
//! Kfuncs are data in `semantics::model::kfuncs`, read by `transfer::kfunc`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bpfprove_semantics::model::helpers as model;
use serde::Deserialize;

/// What a helper or kfunc argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArgKind {
    /// Any initialised value.
    Anything,
    /// An initialised number.
    Scalar,
    /// A map handle.
    Map,
    /// The `bpf_spin_lock` inside a map value.
    SpinLock,
    /// Readable, initialised memory of the map argument's key size.
    MapKey,
    /// Readable, initialised memory of the map argument's value size.
    MapValue,
    /// NULL, or what [`ArgKind::MapValue`] demands (`ARG_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL`:
    /// a storage's initial value).
    MapValueOrNull,
    /// Readable, initialised memory sized by the next argument.
    Mem,
    /// Writable memory sized by the next argument, filled by the call.
    MemUninit,
    /// The size of the memory argument before it, at least 1.
    Size,
    /// The size of the memory argument before it; 0 allowed (and then a NULL pointer).
    SizeOrZero,
    /// A size known exactly.
    ConstSize,
    /// The program's context pointer.
    Ctx,
    /// The program's context pointer, or NULL (`ARG_PTR_TO_CTX | PTR_MAYBE_NULL`).
    CtxOrNull,
    /// A non-NULL pointer to the start of a kernel object of this kind, trusted
    /// (`ARG_PTR_TO_BTF_ID` of the kind's type).
    #[serde(skip)]
    Object(bpfprove_semantics::model::kfuncs::ObjectKind),
    /// The address of a static subprogram.
    Callback,
    /// Any pointer, or 0.
    PtrOrNull,
    /// A non-NULL pointer to at least one accessible byte.
    Pointer,
    /// A non-NULL ring-buffer record at offset 0; the call releases it.
    RingbufMem,
    /// The constant 0.
    Zero,
    /// Readable, initialised memory the helper may also write, sized by the next argument
    /// (the kernel's `ARG_PTR_TO_MEM` without `MEM_RDONLY`).
    MemReadWrite,
    /// A stack pointer, or 0 (`ARG_PTR_TO_STACK_OR_NULL`, a callback's context).
    StackOrNull,
    /// Readable, initialised memory of this many bytes (`MEM_FIXED_SIZE | MEM_RDONLY`).
    #[serde(skip)]
    FixedMem(u32),
    /// Writable memory of this many bytes, filled by the call (`MEM_FIXED_SIZE | MEM_UNINIT`).
    #[serde(skip)]
    FixedMemUninit(u32),
    /// Readable, initialised memory of this many bytes the call may also write
    /// (`MEM_FIXED_SIZE` without `MEM_RDONLY` or `MEM_UNINIT`).
    #[serde(skip)]
    FixedMemReadWrite(u32),
    /// A NUL-terminated string at a constant offset of read-only (frozen) global data
    /// (`ARG_PTR_TO_CONST_STR`).
    ConstStr,
    /// A socket pointer of any kind, not NULL, at its start (`ARG_PTR_TO_SOCK_COMMON`,
    /// `ARG_PTR_TO_BTF_ID_SOCK_COMMON`).
    #[serde(skip)]
    Socket,
    /// A socket pointer of any kind, BTF ones included, not NULL, at its start
    /// (`ARG_PTR_TO_BTF_ID_SOCK_COMMON`; [`ArgKind::Socket`] takes no BTF socket).
    #[serde(skip)]
    BtfSocket,
    /// A full socket or NULL (`ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL`).
    #[serde(skip)]
    FullSocketOrNull,
    /// A socket pointer holding a reference the program acquired, which the call releases
    /// (`ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE`).
    #[serde(skip)]
    SocketRelease,
    /// A kind the analyzer does not model yet: [`Prototype::unmodelled`] says which.
    #[serde(skip)]
    Unmodelled,
}

/// Arguments the kernel supplies itself after the visible ones (KF_IMPLICIT_ARGS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImplicitArg {
    /// The calling program's `struct bpf_prog_aux *`.
    ProgAux,
}

/// What r0 holds after the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(untagged)]
pub enum RetKind {
    /// A named kind.
    Named(NamedRet),
    /// A signed range `[lo, hi]`.
    Range([i64; 2]),
}

/// The named return kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamedRet {
    /// Any number.
    Scalar,
    /// Nothing: r0 is undefined.
    Void,
    /// A pointer to the map argument's value, or NULL.
    MapValueOrNull,
    /// A pointer to the map argument's value, never NULL (`RET_PTR_TO_MAP_VALUE`:
    /// `get_local_storage`'s cgroup storage).
    MapValue,
    /// A ring-buffer record of the `const-size` argument's size, or NULL.
    RingbufMemOrNull,
    /// A trusted, non-NULL pointer to a kernel object of this kind that the program holds
    /// no reference to (`RET_PTR_TO_BTF_ID | PTR_TRUSTED`).
    #[serde(skip)]
    TrustedObject(bpfprove_semantics::model::kfuncs::ObjectKind),
    /// A socket pointer of this view, or NULL (`RET_PTR_TO_SOCKET_OR_NULL`, ...): a new
    /// reference when the helper acquires, the socket argument's reference when it casts.
    #[serde(skip)]
    SocketOrNull(crate::value::SocketView),
}

/// A helper's or kfunc's prototype.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Prototype {
    /// Helper number (absent for kfuncs).
    #[serde(default)]
    pub id: Option<i32>,
    /// Its name (without `bpf_` for helpers; the symbol for kfuncs).
    pub name: String,
    /// The visible arguments, r1 first.
    pub args: Vec<ArgKind>,
    /// How many trailing `args` may be left out (variadic helpers such as trace_printk).
    #[serde(default)]
    pub optional_args: usize,
    /// Arguments the kernel adds after the visible ones.
    #[serde(default)]
    pub implicit: Vec<ImplicitArg>,
    /// What r0 holds afterwards.
    pub ret: RetKind,
    /// Whether the call may move or resize the packet.
    #[serde(default)]
    pub changes_packet: bool,
    /// The range a callback argument's return value must lie in.
    #[serde(default)]
    pub callback_return: Option<[i64; 2]>,
    /// The kinds of map the `map` argument may be (any when empty).
    #[serde(default)]
    pub map_kinds: Vec<MapKindName>,
    /// Whether pointers to the map argument's values may dangle after the call.
    #[serde(default)]
    pub invalidates_map_values: bool,
    /// Whether a successful call replaces the running function by another program, whose
    /// `r0` the function's caller receives (`bpf_tail_call` from a subprogram).
    #[serde(default)]
    pub tail_call: bool,
    /// Whether the call opens or closes an RCU read section.
    #[serde(default)]
    pub rcu: Option<RcuEffect>,
    /// Bit `i` set: memory argument `i` must be a non-NULL pointer even when its size is 0
    /// (a helper's `ARG_PTR_TO_MEM` without `PTR_MAYBE_NULL`).
    #[serde(skip)]
    pub non_null_memory: u8,
    /// Whether the result is a reference the program must release (the kernel's
    /// `is_acquire_function`; map lookups acquire by the map's type).
    #[serde(skip)]
    pub acquires: bool,
    /// Whether the result depends on the socket argument's reference (the kernel's
    /// `is_ptr_cast_function`: `bpf_sk_fullsock`, `bpf_tcp_sock`).
    #[serde(skip)]
    pub casts_reference: bool,
    /// Why calls are refused: the first argument or result kind the analyzer does not model
    /// yet (helpers only).
    #[serde(skip)]
    pub unmodelled: Option<String>,
}

/// What a call does to the RCU read sections (`bpf_rcu_read_lock`/`_unlock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RcuEffect {
    /// Opens one.
    Lock,
    /// Closes the innermost one, which must be open.
    Unlock,
}

/// A kind of map, as prototypes name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapKindName {
    /// Arrays (and per-CPU arrays).
    Array,
    /// Hash tables (plain, per-CPU, LRU).
    Hash,
    /// Global data sections.
    GlobalData,
    /// Ring buffers.
    Ringbuf,
    /// Perf event arrays.
    PerfEventArray,
    /// Longest-prefix-match tries.
    LpmTrie,
    /// Arrays and hash tables of maps (a lookup gives an inner map).
    MapOfMaps,
    /// Sockmaps and sockhashes (a lookup gives a referenced socket).
    SocketMap,
    /// XSK maps (a lookup gives an XDP socket).
    XskMap,
    /// Cgroup storage maps, shared or per-CPU (`get_local_storage` gives their value).
    CgroupStorage,
}

impl MapKindName {
    /// Whether the interpreter's model `kind` is this kind.
    pub fn matches(self, kind: bpfprove_semantics::interp::maps::MapKind) -> bool {
        use bpfprove_semantics::interp::maps::MapKind;
        matches!(
            (self, kind),
            (MapKindName::Array, MapKind::Array)
                | (MapKindName::Hash, MapKind::Hash)
                | (MapKindName::GlobalData, MapKind::GlobalData)
                | (MapKindName::Ringbuf, MapKind::RingBuffer)
                | (MapKindName::PerfEventArray, MapKind::PerfEventArray)
                | (MapKindName::LpmTrie, MapKind::LpmTrie)
                | (MapKindName::MapOfMaps, MapKind::ArrayOfMaps | MapKind::HashOfMaps)
                | (MapKindName::SocketMap, MapKind::SocketMap)
                | (MapKindName::XskMap, MapKind::XskMap)
                | (MapKindName::CgroupStorage, MapKind::CgroupStorage)
        )
    }
}

/// The prototype tables.
#[derive(Debug)]
pub struct Prototypes {
    helpers: BTreeMap<i32, Prototype>,
}

impl Prototypes {
    /// The compiled-in tables.
    pub fn builtin() -> &'static Prototypes {
        static TABLES: OnceLock<Prototypes> = OnceLock::new();
        TABLES.get_or_init(|| {
            // The model is part of the build; a test checks every prototype's shape, so this
            // cannot fail in a tested build.
            Prototypes::from_model().expect("model::helpers gives well-shaped prototypes (checked by a unit test)")
        })
    }

    /// The analyzer's prototypes of every helper of the kernel model, each checked for its
    /// shape (memory arguments followed by their sizes, at most five arguments).
    pub fn from_model() -> Result<Prototypes, String> {
        let mut by_id = BTreeMap::new();
        for helper in model::HELPERS {
            let proto = super::helper_kinds::from_kernel(helper);
            check_shape(&proto)?;
            by_id.insert(helper.id, proto);
        }
        Ok(Prototypes { helpers: by_id })
    }

    /// Helper number `id`.
    pub fn helper(&self, id: i32) -> Option<&Prototype> {
        self.helpers.get(&id)
    }

    /// Every helper, by number.
    pub fn helpers(&self) -> impl Iterator<Item = &Prototype> {
        self.helpers.values()
    }
}

/// Checks what the analyzer relies on: at most five register arguments, and every size
/// argument following a memory argument.
fn check_shape(proto: &Prototype) -> Result<(), String> {
    if proto.args.len() > 5 {
        return Err(format!("`{}` has more than five arguments", proto.name));
    }
    for (i, arg) in proto.args.iter().enumerate() {
        let needs_memory_before = matches!(arg, ArgKind::Size | ArgKind::SizeOrZero);
        let memory = |kind| matches!(kind, ArgKind::Mem | ArgKind::MemUninit | ArgKind::MemReadWrite);
        let unmodelled = proto.unmodelled.is_some();
        if needs_memory_before && !unmodelled && !i.checked_sub(1).is_some_and(|j| memory(proto.args[j])) {
            return Err(format!("`{}`: argument {} is a size without a memory argument before it", proto.name, i + 1));
        }
        let needs_size_after = memory(*arg);
        if needs_size_after && !matches!(proto.args.get(i + 1), Some(ArgKind::Size | ArgKind::SizeOrZero)) {
            return Err(format!("`{}`: memory argument {} has no size after it", proto.name, i + 1));
        }
    }
    if proto.optional_args > proto.args.len() {
        return Err(format!("`{}`: more optional arguments than arguments", proto.name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_parse_and_cover_the_corpus() {
        let tables = Prototypes::from_model().expect("tables are well shaped");
        assert_eq!(tables.helpers().count(), model::HELPERS.len());
        // Every helper the corpus calls is modelled.
        for id in [1, 2, 3, 5, 6, 14, 15, 16, 25, 113, 114, 131, 132, 181] {
            let helper = tables.helper(id).expect("listed");
            assert_eq!(helper.unmodelled, None, "helper {id}");
        }
        let lookup = tables.helper(1).expect("map_lookup_elem");
        assert_eq!(lookup.args, vec![ArgKind::Map, ArgKind::MapKey]);
        assert_eq!(lookup.ret, RetKind::Named(NamedRet::MapValueOrNull));
        assert_eq!(tables.helper(7).expect("prandom").ret, RetKind::Range([0, 4294967295]));
        // perf_event_output's size may be zero, as in the kernel.
        assert_eq!(tables.helper(25).expect("perf_event_output").args[4], ArgKind::SizeOrZero);
    }
}

#[cfg(test)]
mod environment_agreement {
    use bpfprove_semantics::interp::availability::HELPER_TABLES;
    use bpfprove_semantics::interp::kernel_helpers::{helper_name, kfunc_implemented};
    use bpfprove_semantics::model::helpers::HELPERS;
    use bpfprove_semantics::model::kfuncs::{BUILTINS, KFUNCS};

    use super::Prototypes;

    /// The analyzer, the interpreter and the availability tables read one helper table:
    /// every helper of the kernel model has an analyzer prototype and an interpreter model
    /// under the same name, and every helper the availability tables place is in the model.
    /// Every kfunc the analyzer accepts is one the interpreter runs and the tables place.
    #[test]
    fn every_helper_and_kfunc_has_a_prototype_an_interpreter_model_and_an_availability() {
        let tables = Prototypes::builtin();
        for helper in HELPERS {
            let proto = tables.helper(helper.id).expect("every model helper has a prototype");
            assert_eq!(proto.name, helper.name);
            assert_eq!(helper_name(helper.id), Some(helper.name), "helper {} has no interpreter model", helper.name);
        }
        for &(id, name, _) in HELPER_TABLES {
            let model = HELPERS.iter().find(|h| h.id == id).map(|h| h.name);
            assert_eq!(model, Some(name), "helper {id} ({name}) is available but not in the model");
        }
        for name in KFUNCS.iter().map(|k| k.name).chain(BUILTINS.iter().map(|b| b.0)) {
            assert!(kfunc_implemented(name), "kfunc {name} has no interpreter model");
        }
    }
}
