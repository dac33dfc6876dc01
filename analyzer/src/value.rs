//! Abstract register values: uninitialised, a number (a value of the chosen domain), a
//! pointer into a region, a set of functions, or a code address from a jump table.
//!
//! The order: every initialised value is below `Scalar(top)` (a pointer, a function address
//! and a code address are all machine words), and `Uninit` is above everything ("may be
//! uninitialised": reading it is an error). Joins of values of different kinds go to
//! `Scalar(top)`, except that a NULL constant joins a pointer or a function set by making it
//! nullable.

use std::collections::BTreeSet;
use std::fmt;

use bpfprove_domains::{AnyValue, DomainKind, Lattice};
use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::model::context::{AttachedBuffer, BtfStruct, ContextLayout, sock, tcp_sock, xdp_sock};
use bpfprove_semantics::model::kfuncs::{IterKind, ObjectKind};
use bpfprove_semantics::program::{FunctionId, JumpTableId};

use crate::widening::Thresholds;

/// A 64-bit number of the chosen domain.
pub type Num = AnyValue<u64>;

/// Where a pointer points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// The program's context.
    Context,
    /// The stack of call frame `frame` (0 is the program's own); offsets are relative to
    /// that frame's `r10`, so valid ones are `-512..0`.
    Stack {
        /// Frame depth.
        frame: u8,
    },
    /// Packet data, from `data`.
    Packet,
    /// The end of the packet (`data_end`); never dereferenced.
    PacketEnd,
    /// Packet metadata (`data_meta`); the analyzer proves no bytes of it accessible.
    PacketMeta,
    /// The value of an element of one of a set of maps.
    MapValue(MapSet),
    /// A global data section (a one-element array map).
    GlobalData(MapId),
    /// One of a set of maps (`r1 = map ll`, joined at merge points); only helpers take it.
    MapHandle(MapSet),
    /// A jump table, loaded by its `lddw`.
    JumpTable(JumpTableId),
    /// A socket: one a context field points to (`__sk_buff.sk`, `bpf_sockopt.sk`) or a
    /// socket helper returned, read-only, through the rules of its `view`.
    Socket {
        /// Which of the socket's structures the pointer reads.
        view: SocketView,
        /// The acquiring call (a lookup) of the reference the pointer depends on: releasing
        /// it makes every such pointer unusable.
        reference: Option<u32>,
    },
    /// The plain read-write block of `size` bytes a context field points to
    /// (`__sk_buff.flow_keys`); a context has at most one.
    Block {
        /// Its size.
        size: u32,
    },
    /// A ring-buffer record reserved at `pc`, of `size` bytes.
    Record {
        /// The reserving call.
        pc: u32,
        /// Its size.
        size: u32,
    },
    /// A kernel structure whose layout the model describes (`bpf_iter_meta`), read-only
    /// through its base with its layout's rules.
    BtfStruct(BtfStruct),
    /// A buffer whose size the kernel checks when the program is attached (`PTR_TO_BUF`:
    /// an iterated map element's key or value): only constant, non-negative offsets.
    AttachedBuffer {
        /// Which buffer.
        buffer: AttachedBuffer,
        /// Whether the program may write it.
        writable: bool,
    },
    /// What the kfunc call at `pc` returned.
    Kernel {
        /// The call (0 for iterator items, which every `next` of one iterator shares; the
        /// pointer's `object` names the call).
        pc: u32,
        /// What it points to.
        kind: KernelKind,
    },
}

/// How many maps a [`MapSet`] holds at most; a join of more is any number.
pub const MAP_SET_CAP: usize = 8;

/// A set of 1 to [`MAP_SET_CAP`] maps, the maps a handle or a value pointer may belong to
/// after paths loading different maps join. Every check on such a pointer must hold for
/// every member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MapSet {
    /// How many of `ids` are members.
    len: u8,
    /// The members, ascending, then `MapId(0)` fillers (so derived equality is set equality).
    ids: [MapId; MAP_SET_CAP],
}

impl MapSet {
    /// The set of `map` alone.
    pub fn one(map: MapId) -> MapSet {
        let mut ids = [MapId(0); MAP_SET_CAP];
        ids[0] = map;
        MapSet { len: 1, ids }
    }

    /// The set of `maps`, or `None` when there are none or more than [`MAP_SET_CAP`].
    pub fn of(maps: impl IntoIterator<Item = MapId>) -> Option<MapSet> {
        let members: BTreeSet<MapId> = maps.into_iter().collect();
        if members.is_empty() || members.len() > MAP_SET_CAP {
            return None;
        }
        let mut ids = [MapId(0); MAP_SET_CAP];
        for (slot, map) in ids.iter_mut().zip(&members) {
            *slot = *map;
        }
        Some(MapSet { len: members.len() as u8, ids })
    }

    /// The members, ascending.
    pub fn iter(&self) -> impl Iterator<Item = MapId> + '_ {
        self.ids[..usize::from(self.len)].iter().copied()
    }

    /// The only member, if there is one.
    pub fn single(&self) -> Option<MapId> {
        (self.len == 1).then_some(self.ids[0])
    }

    /// Whether `map` is a member.
    pub fn contains(&self, map: MapId) -> bool {
        self.iter().any(|m| m == map)
    }

    /// Whether every member of `self` is one of `other`.
    pub fn is_subset(&self, other: &MapSet) -> bool {
        self.iter().all(|m| other.contains(m))
    }

    /// The union, or `None` when it would hold more than [`MAP_SET_CAP`] maps.
    pub fn union(&self, other: &MapSet) -> Option<MapSet> {
        MapSet::of(self.iter().chain(other.iter()))
    }
}

impl fmt::Display for MapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.iter().map(|m| m.0.to_string()).collect();
        f.write_str(&names.join(","))
    }
}

/// The kernel's socket pointer types: which UAPI structure a load through the pointer
/// reads, by that structure's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SocketView {
    /// `PTR_TO_SOCK_COMMON`: `bpf_sock` without the fields only full sockets have.
    Common,
    /// `PTR_TO_SOCKET`: a full socket's `bpf_sock`.
    Full,
    /// `PTR_TO_TCP_SOCK`: `bpf_tcp_sock`.
    Tcp,
    /// `PTR_TO_XDP_SOCK`: `bpf_xdp_sock`.
    Xdp,
    /// `PTR_TO_BTF_ID` of `struct tcp_sock` (`bpf_skc_to_tcp_sock`): the kernel's own
    /// structure, whose layout the model does not know (no field readable).
    BtfTcp,
}

impl SocketView {
    /// The rules for loads through a pointer of this view.
    pub fn layout(self) -> &'static ContextLayout {
        match self {
            SocketView::Common => &sock::SOCK_COMMON,
            SocketView::Full => &sock::SOCKET,
            SocketView::Tcp => &tcp_sock::TCP_SOCK,
            SocketView::Xdp => &xdp_sock::XDP_SOCK,
            SocketView::BtfTcp => &tcp_sock::BTF_TCP_SOCK,
        }
    }

    /// The view whose rules are `layout`, if any.
    pub fn of_layout(layout: &'static ContextLayout) -> Option<SocketView> {
        SocketView::ALL.into_iter().find(|view| std::ptr::eq(view.layout(), layout))
    }

    /// Its name in logs and displays.
    pub fn name(self) -> &'static str {
        match self {
            SocketView::Common => "sock_common",
            SocketView::Full => "socket",
            SocketView::Tcp => "tcp_sock",
            SocketView::Xdp => "xdp_sock",
            SocketView::BtfTcp => "btf_tcp_sock",
        }
    }

    /// The view named `name`.
    pub fn named(name: &str) -> Option<SocketView> {
        SocketView::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Every view.
    pub const ALL: [SocketView; 5] =
        [SocketView::Common, SocketView::Full, SocketView::Tcp, SocketView::Xdp, SocketView::BtfTcp];

    /// Whether it is a BTF pointer (`PTR_TO_BTF_ID`), which only `ARG_PTR_TO_BTF_ID_*`
    /// arguments take.
    pub fn is_btf(self) -> bool {
        self == SocketView::BtfTcp
    }
}

/// What a pointer a kfunc returned points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KernelKind {
    /// A kernel object; its layout is not modelled, so no instruction may access it.
    Object(ObjectKind),
    /// The current item of the iterator at `offset` of stack frame `frame`: 4 read-only
    /// bytes.
    Item {
        /// The iterator's kind.
        kind: IterKind,
        /// The frame the iterator lives in.
        frame: u8,
        /// The offset of the iterator in its frame.
        offset: i16,
    },
}

impl KernelKind {
    /// A name for logs and displays (`task_struct`, `item_num`, ...).
    pub fn name(self) -> String {
        match self {
            KernelKind::Object(object) => object.name().to_owned(),
            KernelKind::Item { kind, .. } => format!("item_{}", kind.name()),
        }
    }
}

impl Region {
    /// Whether pointers into this region may point into different objects: map values
    /// (of different keys or lookups) and ring-buffer records (of different reservations
    /// at one call). Every other region is one object.
    pub fn holds_many_objects(self) -> bool {
        matches!(self, Region::MapValue(_) | Region::Record { .. } | Region::Kernel { .. })
    }

    /// The region of pointers into `self` or `other`: the same region, or the union of
    /// two sets of maps of one kind (value pointers, handles) up to [`MAP_SET_CAP`].
    pub fn join(self, other: Region) -> Option<Region> {
        match (self, other) {
            _ if self == other => Some(self),
            (Region::MapValue(a), Region::MapValue(b)) => a.union(&b).map(Region::MapValue),
            (Region::MapHandle(a), Region::MapHandle(b)) => a.union(&b).map(Region::MapHandle),
            _ => None,
        }
    }

    /// Whether every address a pointer into `self` may hold, a pointer into `other` may hold.
    pub fn leq(self, other: Region) -> bool {
        match (self, other) {
            _ if self == other => true,
            (Region::MapValue(a), Region::MapValue(b)) | (Region::MapHandle(a), Region::MapHandle(b)) => {
                a.is_subset(&b)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Region::Context => f.write_str("ctx"),
            Region::Stack { frame } => write!(f, "stack{frame}"),
            Region::Packet => f.write_str("packet"),
            Region::PacketEnd => f.write_str("packet_end"),
            Region::PacketMeta => f.write_str("packet_meta"),
            Region::MapValue(maps) => write!(f, "map_value({maps})"),
            Region::GlobalData(map) => write!(f, "global({})", map.0),
            Region::MapHandle(maps) => write!(f, "map({maps})"),
            Region::JumpTable(table) => write!(f, "jump_table({})", table.0),
            Region::Record { pc, size } => write!(f, "record({pc}, {size})"),
            Region::Socket { view, reference: None } => f.write_str(view.name()),
            Region::Socket { view, reference: Some(pc) } => write!(f, "{}@{pc}", view.name()),
            Region::Block { size } => write!(f, "block({size})"),
            Region::Kernel { pc, kind } => write!(f, "{}({pc})", kind.name()),
            Region::BtfStruct(structure) => f.write_str(structure.name()),
            Region::AttachedBuffer { buffer, writable } => {
                write!(f, "{}({})", buffer_name(*buffer), if *writable { "rw" } else { "ro" })
            }
        }
    }
}

/// The short name of an attached buffer in displays and logs.
pub fn buffer_name(buffer: AttachedBuffer) -> &'static str {
    match buffer {
        AttachedBuffer::MapKey => "iter_key",
        AttachedBuffer::MapValue => "iter_value",
    }
}

/// Whether a pointer may be NULL, and which check refines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nullness {
    /// Never NULL.
    NonNull,
    /// Possibly NULL. Copies of the latest result of one helper call share `id` (the pc of
    /// the call), so checking one copy refines them all; `None` after a join of different
    /// results. Executing the call again takes the id from the older copies (see
    /// [`crate::state::State::forget_identities`]).
    MaybeNull {
        /// The helper call it came from.
        id: Option<u32>,
    },
}

impl Nullness {
    /// Whether NULL is possible.
    pub fn may_be_null(self) -> bool {
        matches!(self, Nullness::MaybeNull { .. })
    }

    /// The helper call whose result this is a copy of, if it is one.
    pub fn id(self) -> Option<u32> {
        match self {
            Nullness::MaybeNull { id } => id,
            Nullness::NonNull => None,
        }
    }
}

/// The variable part of a packet pointer's offset, shared by the pointers derived from it:
/// the offset is `base(id) + fixed`, where `base(id)` is the (unknown) value the pointer
/// had when the variable was added at pc `id`. A bounds check of one such pointer against
/// `data_end` covers all of them (see [`crate::state::PacketFacts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketVar {
    /// The pc that added the variable part.
    pub id: u32,
    /// The constant added since.
    pub fixed: i64,
}

/// Offsets strictly within this distance of a region's start are "small": the address
/// `start + offset` neither wraps around 2^64 or 2^63 nor reaches NULL, so comparing such
/// addresses (unsigned or signed) compares their offsets as signed numbers. The interpreter
/// places regions at or above 2^32 and below 2^48; the kernel places them in the top half,
/// far from its ends. Only small offsets are refined by comparisons.
pub const SMALL_OFFSET: i64 = 1 << 31;

/// A pointer: a region, an offset in it, and whether it may be NULL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pointer {
    /// The region.
    pub region: Region,
    /// The byte offset from the region's start (from `r10` for stack frames).
    pub offset: Num,
    /// NULL or not.
    pub null: Nullness,
    /// For packet pointers with a variable offset: its shared base.
    pub var: Option<PacketVar>,
    /// For regions holding many objects (map values, ring-buffer records): the helper call
    /// whose latest result this pointer points into, when known. Two pointers of such a
    /// region point into one object only when they share it.
    pub object: Option<u32>,
    /// Whether it points into the map value whose `bpf_spin_lock` the program holds. Set
    /// on every copy when the lock is taken, kept through copies, offsets and joins of
    /// marked pointers, and cleared everywhere when it is released; so it survives joins
    /// of paths that locked different lookups' values through the same register.
    pub locked: bool,
}

impl Pointer {
    /// A non-NULL pointer to `region` at constant `offset`.
    pub fn at(region: Region, domain: DomainKind, offset: i64) -> Pointer {
        Pointer {
            region,
            offset: domain.constant(&(offset as u64)),
            null: Nullness::NonNull,
            var: None,
            object: None,
            locked: false,
        }
    }

    /// Whether every offset the pointer may have is small (see [`SMALL_OFFSET`]).
    pub fn has_small_offset(&self) -> bool {
        self.offset.signed_bounds().is_some_and(|(lo, hi)| lo > -SMALL_OFFSET && hi < SMALL_OFFSET)
    }

    /// Whether, when neither is NULL, `self` and `other` surely point into one object.
    pub fn same_object(&self, other: &Pointer) -> bool {
        self.region == other.region
            && (!self.region.holds_many_objects() || (self.object.is_some() && self.object == other.object))
    }

    /// The join of two pointers into `region` (their regions' join; offsets joined by
    /// `num`).
    fn join(&self, other: &Pointer, region: Region, num: &dyn Fn(&Num, &Num) -> Num) -> Pointer {
        // A non-NULL pointer stays in a class of copies of result `id` only when it points
        // into that result: then the result is not NULL where the pointer is not.
        let copy_of = |id: Option<u32>, p: &Pointer| id.filter(|&id| p.object == Some(id));
        let null = match (self.null, other.null) {
            (Nullness::NonNull, Nullness::NonNull) => Nullness::NonNull,
            (Nullness::MaybeNull { id: a }, Nullness::MaybeNull { id: b }) => {
                Nullness::MaybeNull { id: if a == b { a } else { None } }
            }
            (Nullness::MaybeNull { id }, Nullness::NonNull) => Nullness::MaybeNull { id: copy_of(id, other) },
            (Nullness::NonNull, Nullness::MaybeNull { id }) => Nullness::MaybeNull { id: copy_of(id, self) },
        };
        Pointer {
            region,
            offset: num(&self.offset, &other.offset),
            null,
            var: if self.var == other.var { self.var } else { None },
            object: if self.object == other.object { self.object } else { None },
            locked: self.locked && other.locked,
        }
    }

    /// `self ⊑ other`.
    fn leq(&self, other: &Pointer) -> bool {
        let null = match (self.null, other.null) {
            (Nullness::MaybeNull { .. }, Nullness::NonNull) => false,
            (Nullness::MaybeNull { id: a }, Nullness::MaybeNull { id: b }) => b.is_none() || a == b,
            (Nullness::NonNull, Nullness::NonNull) => true,
            (Nullness::NonNull, Nullness::MaybeNull { id }) => id.is_none() || self.object == id,
        };
        self.region.leq(other.region)
            && self.offset.leq(&other.offset)
            && null
            && (other.var.is_none() || self.var == other.var)
            && (other.object.is_none() || self.object == other.object)
            && (!other.locked || self.locked)
    }

    /// The pointer without the identities `keep` rejects (NULL-check class, packet
    /// variable, object), as seen by code that cannot tell which execution made them.
    pub fn keeping_identities(&self, keep: &dyn Fn(u32) -> bool) -> Pointer {
        let kept = |id: Option<u32>| id.filter(|&id| keep(id));
        Pointer {
            null: match self.null {
                Nullness::MaybeNull { id } => Nullness::MaybeNull { id: kept(id) },
                Nullness::NonNull => Nullness::NonNull,
            },
            var: self.var.filter(|v| keep(v.id)),
            object: kept(self.object),
            ..self.clone()
        }
    }
}

/// A set of functions a register may point to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Functions {
    /// The functions.
    pub set: BTreeSet<FunctionId>,
    /// Whether the register may also be NULL.
    pub nullable: bool,
}

/// A code address read from a jump table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CodeAddress {
    /// The table.
    pub table: JumpTableId,
    /// The entries it may have been read from.
    pub index: Num,
}

/// An abstract register (or spilled stack) value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// Possibly never written.
    Uninit,
    /// A number.
    Scalar(Num),
    /// A pointer.
    Pointer(Pointer),
    /// The address of one of some functions (or NULL if `nullable`).
    Func(Functions),
    /// A code address from a jump table.
    Code(CodeAddress),
    /// An arena pointer (the verifier's `PTR_TO_ARENA`, made by `addr_space_cast(r, 0, 1)`):
    /// the low 32 bits of an arena address. Loads and stores through it are the kernel's
    /// faulting-safe `PROBE_MEM32` accesses, so its value needs no tracking; it is no
    /// pointer to anything else.
    Arena,
}

impl Value {
    /// Any number.
    pub fn top(domain: DomainKind) -> Value {
        Value::Scalar(domain.top(&0))
    }

    /// The number `value`.
    pub fn constant(domain: DomainKind, value: u64) -> Value {
        Value::Scalar(domain.constant(&value))
    }

    /// The value without the identities `keep` rejects (see
    /// [`Pointer::keeping_identities`]).
    pub fn keeping_identities(&self, keep: &dyn Fn(u32) -> bool) -> Value {
        match self {
            Value::Pointer(p) => Value::Pointer(p.keeping_identities(keep)),
            other => other.clone(),
        }
    }

    /// Whether this is the number 0 and nothing else.
    pub fn is_null_constant(&self) -> bool {
        matches!(self, Value::Scalar(n) if n.as_constant() == Some(0))
    }

    /// Whether this is a number that may be anything.
    pub fn is_scalar_top(&self) -> bool {
        matches!(self, Value::Scalar(n) if n.kind().top(&0).leq(n))
    }

    /// The least upper bound (or, across kinds, an upper bound).
    pub fn join(&self, other: &Value, domain: DomainKind) -> Value {
        self.combine(other, domain, &|a: &Num, b: &Num| a.join(b))
    }

    /// Widening: as [`Value::join`], with numbers widened (against `thresholds`).
    pub fn widen(&self, newer: &Value, domain: DomainKind, thresholds: &Thresholds) -> Value {
        self.combine(newer, domain, &|a: &Num, b: &Num| thresholds.widen(a, b))
    }

    /// Narrowing: numbers narrowed where the shapes agree, otherwise the newer value (which
    /// narrowing only applies when `newer ⊑ self`).
    pub fn narrow(&self, newer: &Value) -> Value {
        match (self, newer) {
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(a.narrow(b)),
            (Value::Pointer(a), Value::Pointer(b)) if a.region == b.region => {
                Value::Pointer(Pointer { offset: a.offset.narrow(&b.offset), ..b.clone() })
            }
            (Value::Code(a), Value::Code(b)) if a.table == b.table => {
                Value::Code(CodeAddress { table: a.table, index: a.index.narrow(&b.index) })
            }
            _ => newer.clone(),
        }
    }

    fn combine(&self, other: &Value, domain: DomainKind, num: &dyn Fn(&Num, &Num) -> Num) -> Value {
        match (self, other) {
            (Value::Uninit, _) | (_, Value::Uninit) => Value::Uninit,
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(num(a, b)),
            (Value::Pointer(a), Value::Pointer(b)) => match a.region.join(b.region) {
                Some(region) => Value::Pointer(a.join(b, region, num)),
                None => Value::top(domain),
            },
            (Value::Pointer(p), scalar) | (scalar, Value::Pointer(p)) if scalar.is_null_constant() => {
                Value::Pointer(Pointer { null: Nullness::MaybeNull { id: None }, ..p.clone() })
            }
            (Value::Func(a), Value::Func(b)) => Value::Func(Functions {
                set: a.set.union(&b.set).copied().collect(),
                nullable: a.nullable || b.nullable,
            }),
            (Value::Func(f), scalar) | (scalar, Value::Func(f)) if scalar.is_null_constant() => {
                Value::Func(Functions { set: f.set.clone(), nullable: true })
            }
            (Value::Code(a), Value::Code(b)) if a.table == b.table => {
                Value::Code(CodeAddress { table: a.table, index: num(&a.index, &b.index) })
            }
            (Value::Arena, Value::Arena) => Value::Arena,
            _ => Value::top(domain),
        }
    }

    /// `self ⊑ other`: every machine value `self` stands for, `other` stands for too.
    pub fn leq(&self, other: &Value) -> bool {
        match (self, other) {
            (_, Value::Uninit) => true,
            (Value::Uninit, _) => false,
            (_, scalar) if scalar.is_scalar_top() => true,
            (Value::Scalar(a), Value::Scalar(b)) => a.leq(b),
            (Value::Pointer(a), Value::Pointer(b)) => a.leq(b),
            (scalar, Value::Pointer(p)) => scalar.is_null_constant() && p.null.may_be_null(),
            (Value::Func(a), Value::Func(b)) => a.set.is_subset(&b.set) && (!a.nullable || b.nullable),
            (scalar, Value::Func(f)) => scalar.is_null_constant() && f.nullable,
            (Value::Code(a), Value::Code(b)) => a.table == b.table && a.index.leq(&b.index),
            (Value::Arena, Value::Arena) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: DomainKind = DomainKind::Product;

    fn map_value(null: Nullness) -> Value {
        Value::Pointer(Pointer { null, ..Pointer::at(Region::MapValue(MapSet::one(MapId(0))), D, 0) })
    }

    #[test]
    fn null_joins_pointers_and_functions_into_nullable_ones() {
        let null = Value::constant(D, 0);
        let joined = map_value(Nullness::NonNull).join(&null, D);
        assert_eq!(joined, map_value(Nullness::MaybeNull { id: None }));
        assert!(null.leq(&joined) && map_value(Nullness::NonNull).leq(&joined));
        let f = Value::Func(Functions { set: [FunctionId(1)].into(), nullable: false });
        let joined = f.join(&null, D);
        assert!(matches!(&joined, Value::Func(Functions { nullable: true, .. })));
        assert!(f.leq(&joined) && null.leq(&joined) && !joined.leq(&f));
    }

    #[test]
    fn mixed_kinds_join_to_any_number_and_uninit_absorbs() {
        let p = map_value(Nullness::NonNull);
        let five = Value::constant(D, 5);
        let joined = p.join(&five, D);
        assert!(joined.is_scalar_top());
        assert!(p.leq(&joined) && five.leq(&joined));
        assert_eq!(five.join(&Value::Uninit, D), Value::Uninit);
        assert!(five.leq(&Value::Uninit) && !Value::Uninit.leq(&five));
    }

    fn result_of(call: u32, null: bool) -> Pointer {
        let null = if null { Nullness::MaybeNull { id: Some(call) } } else { Nullness::NonNull };
        Pointer { null, object: Some(call), ..Pointer::at(Region::MapValue(MapSet::one(MapId(0))), D, 0) }
    }

    #[test]
    fn a_checked_pointer_stays_a_copy_only_of_the_result_it_points_into() {
        let unchecked = Value::Pointer(result_of(3, true));
        let same = Value::Pointer(result_of(3, false));
        let other = Value::Pointer(result_of(4, false));
        assert_eq!(same.join(&unchecked, D), unchecked);
        assert!(same.leq(&unchecked));
        let Value::Pointer(joined) = other.join(&unchecked, D) else { panic!("a pointer") };
        assert_eq!((joined.null, joined.object), (Nullness::MaybeNull { id: None }, None));
        assert!(!other.leq(&unchecked) && other.leq(&Value::Pointer(joined)));
    }

    #[test]
    fn only_pointers_sharing_an_object_are_one_object() {
        let (a, b) = (result_of(3, false), result_of(4, false));
        assert!(a.same_object(&a.clone()) && !a.same_object(&b));
        let unknown = Pointer { object: None, ..a.clone() };
        assert!(!unknown.same_object(&unknown.clone()));
        let stack = Pointer::at(Region::Stack { frame: 0 }, D, -8);
        assert!(stack.same_object(&Pointer::at(Region::Stack { frame: 0 }, D, 0)));
    }

    #[test]
    fn pointers_into_different_maps_join_into_a_set_up_to_the_cap() {
        let handle = |ids: &[u32]| {
            let set = MapSet::of(ids.iter().map(|&i| MapId(i))).expect("a few maps");
            Value::Pointer(Pointer::at(Region::MapHandle(set), D, 0))
        };
        let (a, b) = (handle(&[0]), handle(&[1]));
        let joined = a.join(&b, D);
        assert_eq!(joined, handle(&[0, 1]));
        assert!(a.leq(&joined) && b.leq(&joined) && !joined.leq(&a));
        let many = handle(&[0, 1, 2, 3, 4, 5, 6, 7]);
        assert!(many.join(&handle(&[8]), D).is_scalar_top());
        // Values and handles of one map stay apart.
        let value = Value::Pointer(Pointer::at(Region::MapValue(MapSet::one(MapId(0))), D, 0));
        assert!(value.join(&a, D).is_scalar_top());
        let locked =
            Value::Pointer(Pointer { locked: true, ..Pointer::at(Region::MapValue(MapSet::one(MapId(0))), D, 0) });
        assert_eq!(locked.join(&value, D), value);
        assert!(locked.leq(&value) && !value.leq(&locked));
    }

    #[test]
    fn small_offsets_stay_clear_of_wrapping() {
        assert!(Pointer::at(Region::Context, D, -8).has_small_offset());
        assert!(!Pointer::at(Region::Context, D, SMALL_OFFSET).has_small_offset());
        let any = Pointer { offset: D.top(&0), ..Pointer::at(Region::Context, D, 0) };
        assert!(!any.has_small_offset());
    }

    #[test]
    fn copies_of_one_result_keep_their_id_only_when_equal() {
        let a = map_value(Nullness::MaybeNull { id: Some(3) });
        let b = map_value(Nullness::MaybeNull { id: Some(4) });
        assert_eq!(a.join(&a, D), a);
        assert_eq!(a.join(&b, D), map_value(Nullness::MaybeNull { id: None }));
        assert!(a.leq(&a.join(&b, D)) && !a.join(&b, D).leq(&a));
    }
}
