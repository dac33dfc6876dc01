//! Context layouts: the UAPI structures (`xdp_md`, `__sk_buff`, ...) a program's `r1`
//! points to, field by field, with the rules for reading and writing each field. Data only:
//! the interpreter applies it in `interp::context`, the analyzer in its context transfer.
//!
//! Packet contexts are *virtual*, as in Linux, where the verifier rewrites every context
//! access into a load of the kernel's own structure; raw contexts (kprobe `pt_regs`,
//! tracepoint records) are plain read-only bytes.

/// What a program type's context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextKind {
    /// A virtual structure describing a packet; the run's input is the packet.
    Packet(&'static ContextLayout),
    /// Plain bytes; the run's input is the context itself, zero-padded to `size` when the
    /// structure has a fixed size.
    Raw {
        /// Size of the structure, if fixed.
        size: Option<usize>,
    },
    /// A context structure this model does not describe yet: the interpreter and the
    /// analyzer refuse programs of such types rather than guess at their context.
    NotModelled {
        /// The kernel structure (`bpf_sock_addr`, ...).
        structure: &'static str,
    },
}

/// Size of x86-64 `struct pt_regs` (21 registers).
pub const PT_REGS_BYTES: usize = 21 * 8;

/// The layout of a virtual packet context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextLayout {
    /// The UAPI structure's name.
    pub name: &'static str,
    /// Its size in bytes.
    pub size: u32,
    /// Whether plain fields may be read narrowly (as `__sk_buff`'s may, `xdp_md`'s not).
    pub narrow_loads: bool,
    /// Its fields, by offset.
    pub fields: &'static [ContextField],
}

/// One field of a [`ContextLayout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextField {
    /// The UAPI name.
    pub name: &'static str,
    /// Byte offset.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// What a load yields.
    pub kind: FieldKind,
    /// Who may access it.
    pub access: FieldAccess,
    /// Its value at the start of a run.
    pub init: FieldInit,
}

/// What a load of a context field yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// The stored bytes.
    Value,
    /// The 64-bit address of the packet byte at the stored offset.
    PacketPointer,
}

/// Which program types may access a context field, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldAccess {
    /// Loads only.
    Read,
    /// Loads, and stores by tc programs.
    ReadTcWrite,
    /// Loads and stores.
    ReadWrite,
    /// Loads only, by program types with direct packet access.
    PacketRead,
}

/// How a context field starts out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldInit {
    /// A constant.
    Const(u32),
    /// The packet's length (also `data_end`'s offset).
    PacketLen,
    /// The Ethernet type as the kernel stores it (network byte order).
    EthProtocol,
    /// A deterministic hash of the packet's bytes (FNV-1a).
    PacketHash,
}

/// Shorthand for the tables below.
const fn field(name: &'static str, offset: u32, size: u32, access: FieldAccess, init: FieldInit) -> ContextField {
    ContextField { name, offset, size, kind: FieldKind::Value, access, init }
}

/// Shorthand for a packet-pointer field.
const fn pointer(name: &'static str, offset: u32, init: FieldInit) -> ContextField {
    ContextField { name, offset, size: 4, kind: FieldKind::PacketPointer, access: FieldAccess::PacketRead, init }
}

use FieldAccess::{Read, ReadTcWrite, ReadWrite};
use FieldInit::{Const, EthProtocol, PacketHash, PacketLen};

/// `struct xdp_md`. The packet has no metadata (`data_meta == data`) and arrived on
/// interface 1, queue 0.
pub static XDP_MD: ContextLayout = ContextLayout {
    name: "xdp_md",
    size: 24,
    narrow_loads: false,
    fields: &[
        pointer("data", 0, Const(0)),
        pointer("data_end", 4, PacketLen),
        pointer("data_meta", 8, Const(0)),
        field("ingress_ifindex", 12, 4, Read, Const(1)),
        field("rx_queue_index", 16, 4, Read, Const(0)),
        field("egress_ifindex", 20, 4, Read, Const(0)),
    ],
};

/// `struct __sk_buff` up to `data_meta` (the fields after it, kernel pointers and
/// timestamps, are not modelled: accessing them faults). Interface 1, no VLAN, mark 0.
pub static SK_BUFF: ContextLayout = ContextLayout {
    name: "__sk_buff",
    size: 144,
    narrow_loads: true,
    fields: &[
        field("len", 0, 4, Read, PacketLen),
        field("pkt_type", 4, 4, Read, Const(0)),
        field("mark", 8, 4, ReadTcWrite, Const(0)),
        field("queue_mapping", 12, 4, ReadTcWrite, Const(0)),
        field("protocol", 16, 4, Read, EthProtocol),
        field("vlan_present", 20, 4, Read, Const(0)),
        field("vlan_tci", 24, 4, Read, Const(0)),
        field("vlan_proto", 28, 4, Read, Const(0)),
        field("priority", 32, 4, ReadTcWrite, Const(0)),
        field("ingress_ifindex", 36, 4, Read, Const(1)),
        field("ifindex", 40, 4, Read, Const(1)),
        field("tc_index", 44, 4, ReadTcWrite, Const(0)),
        field("cb[0]", 48, 4, ReadWrite, Const(0)),
        field("cb[1]", 52, 4, ReadWrite, Const(0)),
        field("cb[2]", 56, 4, ReadWrite, Const(0)),
        field("cb[3]", 60, 4, ReadWrite, Const(0)),
        field("cb[4]", 64, 4, ReadWrite, Const(0)),
        field("hash", 68, 4, Read, PacketHash),
        field("tc_classid", 72, 4, ReadTcWrite, Const(0)),
        pointer("data", 76, Const(0)),
        pointer("data_end", 80, PacketLen),
        field("napi_id", 84, 4, Read, Const(0)),
        field("family", 88, 4, Read, Const(0)),
        field("remote_ip4", 92, 4, Read, Const(0)),
        field("local_ip4", 96, 4, Read, Const(0)),
        field("remote_ip6", 100, 16, Read, Const(0)),
        field("local_ip6", 116, 16, Read, Const(0)),
        field("remote_port", 132, 4, Read, Const(0)),
        field("local_port", 136, 4, Read, Const(0)),
        pointer("data_meta", 140, Const(0)),
    ],
};

impl ContextLayout {
    /// The field holding byte `offset`.
    pub fn field_at(&self, offset: u64) -> Option<&'static ContextField> {
        self.fields.iter().find(|f| u64::from(f.offset) <= offset && offset < u64::from(f.offset + f.size))
    }

    /// The structure's initial bytes for `packet`.
    pub fn initial_bytes(&self, packet: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0; self.size as usize];
        for field in self.fields {
            let value = match field.init {
                Const(value) => value,
                PacketLen => packet.len() as u32,
                EthProtocol => packet.get(12..14).map_or(0, |b| u32::from(u16::from_le_bytes([b[0], b[1]]))),
                PacketHash => fnv1a(packet),
            };
            let start = field.offset as usize;
            bytes[start..start + 4].copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }
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
