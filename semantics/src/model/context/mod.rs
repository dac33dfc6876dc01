//! Context layouts: the UAPI structures (`xdp_md`, `__sk_buff`, `bpf_sock`, ...) a program's
//! `r1` points to, field by field, with the rules for reading and writing each field. Data
//! only: the interpreter applies it in `interp::context`, the analyzer in its context
//! transfer; both ask [`loadable_field`] and [`storable_field`], the one statement of the
//! rules.
//!
//! Virtual contexts are *virtual*, as in Linux, where the verifier rewrites every context
//! access into a load of the kernel's own structure. One structure serves several program
//! types with different rules (`__sk_buff` in socket filters, tc, cgroup_skb, ...), so a
//! [`ContextLayout`] is a structure's fields (shared) plus one program type's rules: which
//! fields it may read and write and whether it may write the data its packet pointers
//! delimit. Each field says which access shapes it takes ([`Shape`]: whole, narrow, ...,
//! from the kernel's `*_is_valid_access`) and what a load yields ([`FieldKind`]: the value,
//! a packet pointer, a pointer to another virtual structure such as `__sk_buff.sk`, ...).
//! Raw contexts (kprobe `pt_regs`, tracepoint records) are plain read-only bytes.
//!
//! One file per structure: [`sk_buff`], [`xdp_md`], [`sock`], [`sock_addr`], [`sock_ops`],
//! [`sk_msg`], [`sk_lookup`], [`sysctl`], [`sockopt`], [`cgroup_dev`], [`sk_reuseport`],
//! [`perf_event`], [`nf`], and the sockets helpers return: [`tcp_sock`], [`xdp_sock`].
//! Iterator contexts, which depend on the attach target, are in [`iter`].

pub mod cgroup_dev;
pub mod iter;
pub mod nf;
pub mod perf_event;
pub mod sk_buff;
pub mod sk_lookup;
pub mod sk_msg;
pub mod sk_reuseport;
pub mod sock;
pub mod sock_addr;
pub mod sock_ops;
pub mod sockopt;
pub mod sysctl;
pub mod tcp_sock;
pub mod xdp_md;
pub mod xdp_sock;

pub use sk_buff::TC as SK_BUFF;

use super::kfuncs::ObjectKind;
pub use xdp_md::XDP_MD;

/// What a program type's context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextKind {
    /// A virtual structure; the run's input is the buffer its packet pointers delimit (the
    /// packet, the message, the socket option's value), empty when it has none.
    Packet(&'static ContextLayout),
    /// Plain bytes; the run's input is the context itself, zero-padded to `size` when the
    /// structure has a fixed size.
    Raw {
        /// Size of the structure, if fixed.
        size: Option<usize>,
    },
    /// An iterator's context (`struct bpf_iter__<target>`), for the attach target: read-only
    /// pointers to what the iterator visits. A run's input is the visited element.
    Iterator(&'static iter::IterTarget),
    /// A context structure this model does not describe yet: the interpreter and the
    /// analyzer refuse programs of such types rather than guess at their context.
    NotModelled {
        /// The kernel structure (`bpf_sock_addr`, ...).
        structure: &'static str,
    },
}

/// Size of x86-64 `struct pt_regs` (21 registers).
pub const PT_REGS_BYTES: usize = 21 * 8;

/// Bytes of a raw, BTF-typed or `struct_ops` argument array: the kernel's
/// `MAX_BPF_FUNC_ARGS` (12) u64 arguments.
pub const TRACING_ARGS_BYTES: usize = 12 * 8;

/// One program type's view of a virtual structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextLayout {
    /// The UAPI structure's name.
    pub name: &'static str,
    /// Which program types (or attach points) these rules are for, as messages name them.
    pub flavour: &'static str,
    /// Its size in bytes.
    pub size: u32,
    /// Its fields, by offset (shared by every flavour of the structure).
    pub fields: &'static [ContextField],
    /// The fields the program may load.
    pub readable: Fields,
    /// The fields the program may store to.
    pub writable: Fields,
    /// Whether the program may write the bytes its packet pointers delimit (the kernel's
    /// `may_access_direct_pkt_data` for writes).
    pub packet_writes: bool,
}

/// A set of fields, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fields {
    /// Every field.
    All,
    /// Every field but these.
    AllBut(&'static [&'static str]),
    /// Only these.
    Only(&'static [&'static str]),
    /// No field.
    None,
}

impl Fields {
    /// Whether the set holds the field named `name`.
    pub fn contains(self, name: &str) -> bool {
        match self {
            Fields::All => true,
            Fields::AllBut(names) => !names.contains(&name),
            Fields::Only(names) => names.contains(&name),
            Fields::None => false,
        }
    }
}

/// One field of a virtual structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextField {
    /// The UAPI name (an array is one field: `cb`, `remote_ip6`).
    pub name: &'static str,
    /// Byte offset.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// What a load yields.
    pub kind: FieldKind,
    /// The loads it takes.
    pub read: Shape,
    /// The stores it takes (where the flavour lets it be written).
    pub write: Shape,
    /// Its value at the start of a run.
    pub init: FieldInit,
}

/// Which end of the run's buffer a packet pointer marks (the kernel's `PTR_TO_PACKET`,
/// `PTR_TO_PACKET_END`, `PTR_TO_PACKET_META`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketEdge {
    /// Its first byte (`data`, `optval`).
    Start,
    /// One past its last byte (`data_end`, `optval_end`); never dereferenced.
    End,
    /// The start of its metadata, which ends at `Start` (`data_meta`).
    Meta,
}

/// What a load of a context field yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// The stored bytes.
    Value,
    /// The 64-bit address of the buffer byte at the stored offset.
    PacketPointer(PacketEdge),
    /// A pointer to another virtual structure, read with `target`'s rules (`__sk_buff.sk`
    /// is a `bpf_sock` read as a socket's common part). When `nullable`, a stored 0 makes
    /// it NULL and a program must check it before dereferencing it.
    Struct {
        /// The structure and its rules.
        target: &'static ContextLayout,
        /// Whether it may be NULL.
        nullable: bool,
    },
    /// A pointer to a plain read-write block of `size` bytes (`__sk_buff.flow_keys`).
    Block {
        /// Its size.
        size: u32,
    },
    /// A pointer to a kernel object the model does not describe (`bpf_nf_ctx.skb`): a
    /// program may hold it and pass it on, but not dereference it.
    Opaque,
    /// A trusted pointer to a kernel object of `kind` (`bpf_iter_meta.seq`), which the
    /// helpers and kfuncs taking that kind take; its layout is not modelled.
    Object {
        /// Its kind.
        kind: ObjectKind,
        /// Whether it may be NULL.
        nullable: bool,
    },
    /// A pointer to a buffer whose size the kernel checks only when the program is
    /// attached (`PTR_TO_BUF`): the verifier takes any constant, non-negative offset and
    /// records the furthest byte accessed; attaching fails if the buffer is shorter.
    AttachedBuffer {
        /// Which buffer.
        buffer: AttachedBuffer,
        /// Whether it may be NULL.
        nullable: bool,
        /// Whether the program may write it.
        writable: bool,
    },
}

/// A buffer a program reads through a context field whose size is known only when the
/// program is attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttachedBuffer {
    /// The key of the element a map iterator visits: the iterated map's `key_size` bytes.
    MapKey,
    /// The value of the element a map iterator visits: the iterated map's `value_size`
    /// bytes.
    MapValue,
}

impl AttachedBuffer {
    /// What it is, for messages.
    pub fn name(self) -> &'static str {
        match self {
            AttachedBuffer::MapKey => "iterated key",
            AttachedBuffer::MapValue => "iterated value",
        }
    }

    /// What attaching checks against the furthest byte accessed.
    pub fn size_name(self) -> &'static str {
        match self {
            AttachedBuffer::MapKey => "key_size",
            AttachedBuffer::MapValue => "value_size",
        }
    }
}

/// A kernel structure a BTF pointer of the context points to whose layout the model
/// describes (the kernel's `PTR_TO_BTF_ID` of a known type): read-only, through its base,
/// with its layout's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BtfStruct {
    /// `struct bpf_iter_meta`.
    IterMeta,
}

impl BtfStruct {
    /// Every described structure.
    pub const ALL: [BtfStruct; 1] = [BtfStruct::IterMeta];

    /// Its layout.
    pub fn layout(self) -> &'static ContextLayout {
        match self {
            BtfStruct::IterMeta => &iter::ITER_META,
        }
    }

    /// The structure whose rules are `layout`, if any.
    pub fn of_layout(layout: &'static ContextLayout) -> Option<BtfStruct> {
        BtfStruct::ALL.into_iter().find(|s| std::ptr::eq(s.layout(), layout))
    }

    /// The kernel's struct name.
    pub fn name(self) -> &'static str {
        self.layout().name
    }
}

impl FieldKind {
    /// Whether a load yields a pointer.
    pub fn is_pointer(self) -> bool {
        !matches!(self, FieldKind::Value)
    }
}

/// The loads (or stores) a field takes, besides the rule every context access follows: the
/// access is naturally aligned (`offset % size == 0`). The kernel's `*_is_valid_access`
/// functions, each shape named by what it allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Exactly the whole field.
    Whole,
    /// A power-of-two part of one word of the field: its whole width up to 8 bytes, or one
    /// 4-byte word's bytes for wider arrays (`bpf_ctx_narrow_access_ok`).
    Narrow,
    /// As [`Shape::Narrow`], but at least 2 bytes (`sk_reuseport_md.eth_protocol`).
    Narrow2,
    /// Exactly one 4-byte word of an array field.
    Word,
    /// [`Shape::Narrow`], or 8 bytes at an 8-byte aligned offset of the field (the kernel's
    /// `bpf_ctx_wide_access_ok` for `user_ip6`).
    NarrowOrWide,
    /// One 4-byte word, or 8 aligned bytes, of the field.
    WordOrWide,
    /// Any aligned access of 1 to 8 bytes inside the field (`__sk_buff.cb`).
    Any,
    /// 8 bytes at an 8-byte aligned offset of the field (`bpf_perf_event_data.regs`).
    Wide,
    /// The 4 bytes from the field's start (a 2-byte field and its padding), or a narrow
    /// part of the field itself (`bpf_sock.dst_port`).
    Padded,
}

impl Shape {
    /// Whether an access of `len` bytes at byte `offset` of the structure fits `field`.
    pub fn allows(self, field: &ContextField, offset: u64, len: u32) -> bool {
        let start = u64::from(field.offset);
        let at = offset - start;
        let inside = at + u64::from(len) <= u64::from(field.size);
        let word = if field.size > 8 { 4 } else { field.size };
        let narrow = len.is_power_of_two() && len <= word && inside;
        let wide = len == 8 && at.is_multiple_of(8) && inside;
        let one_word = len == 4 && at.is_multiple_of(4) && inside;
        match self {
            Shape::Whole => at == 0 && len == field.size,
            Shape::Narrow => narrow,
            Shape::Narrow2 => narrow && len >= 2,
            Shape::Word => one_word,
            Shape::NarrowOrWide => narrow || wide,
            Shape::WordOrWide => one_word || wide,
            Shape::Any => len.is_power_of_two() && len <= 8 && inside,
            Shape::Wide => wide,
            Shape::Padded => (at == 0 && len == 4) || narrow,
        }
    }
}

/// How a context field starts out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldInit {
    /// A constant (the low bytes of the field; the rest are zero).
    Const(u32),
    /// The buffer's length (also `data_end`'s offset).
    PacketLen,
    /// The Ethernet type as the kernel stores it (network byte order).
    EthProtocol,
    /// A deterministic hash of the buffer's bytes (FNV-1a).
    PacketHash,
}

/// A field that loads as its value; shorthand for the tables.
pub(crate) const fn value(name: &'static str, offset: u32, size: u32, read: Shape, init: FieldInit) -> ContextField {
    ContextField { name, offset, size, kind: FieldKind::Value, read, write: Shape::Whole, init }
}

/// A field that loads as a pointer of `kind`, read whole.
pub(crate) const fn pointer(name: &'static str, offset: u32, size: u32, kind: FieldKind) -> ContextField {
    let init = match kind {
        FieldKind::PacketPointer(PacketEdge::End) => FieldInit::PacketLen,
        FieldKind::PacketPointer(_) => FieldInit::Const(0),
        _ => FieldInit::Const(1),
    };
    ContextField { name, offset, size, kind, read: Shape::Whole, write: Shape::Whole, init }
}

/// A packet pointer field of `size` bytes.
pub(crate) const fn packet(name: &'static str, offset: u32, size: u32, edge: PacketEdge) -> ContextField {
    pointer(name, offset, size, FieldKind::PacketPointer(edge))
}

/// Why a context access is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Outside the structure.
    OutOfBounds,
    /// Not naturally aligned.
    Misaligned,
    /// In no field (padding).
    NoField,
    /// The program type may not read it.
    NotReadable(&'static str),
    /// The program type may not write it.
    NotWritable(&'static str),
    /// The field does not take an access of this size or position.
    BadShape(&'static str),
    /// A sign-extending load of a pointer field.
    SignedPointer(&'static str),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::OutOfBounds => f.write_str("outside the structure"),
            Refusal::Misaligned => f.write_str("not naturally aligned"),
            Refusal::NoField => f.write_str("in no field"),
            Refusal::NotReadable(field) => write!(f, "{field} is not readable here"),
            Refusal::NotWritable(field) => write!(f, "{field} is not writable here"),
            Refusal::BadShape(field) => write!(f, "{field} does not take this access size"),
            Refusal::SignedPointer(field) => write!(f, "{field} is a pointer: no sign-extending load"),
        }
    }
}

impl ContextLayout {
    /// The field holding byte `offset`.
    pub fn field_at(&self, offset: u64) -> Option<&'static ContextField> {
        let fields: &'static [ContextField] = self.fields;
        fields.iter().find(|f| u64::from(f.offset) <= offset && offset < u64::from(f.offset + f.size))
    }

    /// The field named `name`.
    pub fn field_named(&self, name: &str) -> Option<&'static ContextField> {
        let fields: &'static [ContextField] = self.fields;
        fields.iter().find(|f| f.name == name)
    }

    /// The structure's initial bytes for `packet`.
    pub fn initial_bytes(&self, packet: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0; self.size as usize];
        for field in self.fields {
            let value = match field.init {
                FieldInit::Const(value) => value,
                FieldInit::PacketLen => packet.len() as u32,
                FieldInit::EthProtocol => packet.get(12..14).map_or(0, |b| u32::from(u16::from_le_bytes([b[0], b[1]]))),
                FieldInit::PacketHash => fnv1a(packet),
            };
            let start = field.offset as usize;
            let len = field.size.min(4) as usize;
            bytes[start..start + len].copy_from_slice(&value.to_le_bytes()[..len]);
        }
        bytes
    }

    /// The field an access of `len` bytes at `offset` touches, if it is aligned, inside the
    /// structure and inside one field.
    fn accessed_field(&self, offset: i64, len: u32) -> Result<&'static ContextField, Refusal> {
        let offset = u64::try_from(offset).map_err(|_| Refusal::OutOfBounds)?;
        if offset + u64::from(len) > u64::from(self.size) {
            return Err(Refusal::OutOfBounds);
        }
        if len == 0 || offset % u64::from(len) != 0 {
            return Err(Refusal::Misaligned);
        }
        self.field_at(offset).ok_or(Refusal::NoField)
    }
}

/// The field a load of `len` bytes at `offset` of a context with `layout` reads
/// (sign-extending if `signed`), or why the load is refused. The interpreter applies it to
/// concrete offsets, the analyzer to every offset an abstract pointer may hold.
pub fn loadable_field(
    layout: &ContextLayout,
    offset: i64,
    len: u32,
    signed: bool,
) -> Result<&'static ContextField, Refusal> {
    let field = layout.accessed_field(offset, len)?;
    if !layout.readable.contains(field.name) {
        return Err(Refusal::NotReadable(field.name));
    }
    if !field.read.allows(field, offset as u64, len) {
        return Err(Refusal::BadShape(field.name));
    }
    if signed && field.kind.is_pointer() {
        return Err(Refusal::SignedPointer(field.name));
    }
    Ok(field)
}

/// The field a store of `len` bytes at `offset` of a context with `layout` writes, or why
/// the store is refused (the store-side twin of [`loadable_field`]).
pub fn storable_field(layout: &ContextLayout, offset: i64, len: u32) -> Result<&'static ContextField, Refusal> {
    let field = layout.accessed_field(offset, len)?;
    if !layout.writable.contains(field.name) || field.kind.is_pointer() {
        return Err(Refusal::NotWritable(field.name));
    }
    if !field.write.allows(field, offset as u64, len) {
        return Err(Refusal::BadShape(field.name));
    }
    Ok(field)
}

/// A field of a virtual context, by UAPI name (`mark`) or by byte offset (`8`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldSelector {
    /// The field with this name.
    Name(String),
    /// The 4-byte word at this byte offset.
    Offset(u32),
}

impl From<&str> for FieldSelector {
    fn from(name: &str) -> FieldSelector {
        FieldSelector::Name(name.to_owned())
    }
}

impl From<u32> for FieldSelector {
    fn from(offset: u32) -> FieldSelector {
        FieldSelector::Offset(offset)
    }
}

impl std::fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldSelector::Name(name) => f.write_str(name),
            FieldSelector::Offset(offset) => write!(f, "+{offset}"),
        }
    }
}

/// The 32-bit FNV-1a hash.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, &b| (hash ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// Every virtual context layout of the model, for checks over all of them.
pub fn all_layouts() -> Vec<&'static ContextLayout> {
    let mut all = Vec::new();
    all.extend(sk_buff::LAYOUTS);
    all.extend(xdp_md::LAYOUTS);
    all.extend(sock::LAYOUTS);
    all.extend(tcp_sock::LAYOUTS);
    all.extend(xdp_sock::LAYOUTS);
    all.extend(iter::LAYOUTS);
    all.extend(sock_addr::LAYOUTS);
    all.extend(sock_ops::LAYOUTS);
    all.extend(sk_msg::LAYOUTS);
    all.extend(sk_lookup::LAYOUTS);
    all.extend(sysctl::LAYOUTS);
    all.extend(sockopt::LAYOUTS);
    all.extend(cgroup_dev::LAYOUTS);
    all.extend(sk_reuseport::LAYOUTS);
    all.extend(perf_event::LAYOUTS);
    all.extend(nf::LAYOUTS);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_sorted_disjoint_and_inside_their_structure() {
        for layout in all_layouts() {
            let mut end = 0;
            for field in layout.fields {
                assert!(field.offset >= end, "{}.{} overlaps", layout.name, field.name);
                end = field.offset + field.size;
            }
            assert!(end <= layout.size, "{}", layout.name);
            for set in [layout.readable, layout.writable] {
                if let Fields::AllBut(names) | Fields::Only(names) = set {
                    for name in names {
                        assert!(
                            layout.field_named(name).is_some(),
                            "{} ({}) names no field {name}",
                            layout.name,
                            layout.flavour
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn shapes_follow_the_kernels_access_checks() {
        let word = value("w", 0, 4, Shape::Narrow, FieldInit::Const(0));
        assert!(Shape::Narrow.allows(&word, 2, 2) && Shape::Narrow.allows(&word, 3, 1));
        assert!(!Shape::Narrow.allows(&word, 0, 8) && !Shape::Whole.allows(&word, 0, 2));
        let ip6 = value("ip6", 8, 16, Shape::NarrowOrWide, FieldInit::Const(0));
        assert!(Shape::NarrowOrWide.allows(&ip6, 16, 8) && Shape::NarrowOrWide.allows(&ip6, 13, 1));
        assert!(!Shape::NarrowOrWide.allows(&ip6, 12, 8), "a wide access is 8-aligned in the field");
        assert!(!Shape::Word.allows(&ip6, 12, 2) && Shape::Word.allows(&ip6, 12, 4));
        assert!(!Shape::WordOrWide.allows(&ip6, 8, 2) && Shape::WordOrWide.allows(&ip6, 8, 8));
        let port = value("port", 48, 2, Shape::Padded, FieldInit::Const(0));
        assert!(Shape::Padded.allows(&port, 48, 4) && Shape::Padded.allows(&port, 49, 1));
        assert!(!Shape::Padded.allows(&port, 48, 8));
        let cb = value("cb", 48, 20, Shape::Any, FieldInit::Const(0));
        assert!(Shape::Any.allows(&cb, 56, 8) && !Shape::Any.allows(&cb, 64, 8));
    }
}
