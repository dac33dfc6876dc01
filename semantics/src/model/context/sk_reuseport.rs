//! `struct sk_reuseport_md` (`sk_reuseport_is_valid_access`): read-only; the packet from
//! the transport header (`data` .. `data_end`, 64-bit pointers, read-only), narrow reads of
//! its metadata (`eth_protocol` at least 16 bits), the listening socket and the migrating
//! one (NULL unless migrating).

use super::sock::{SOCK_COMMON, SOCKET};
use super::{ContextField, ContextLayout, FieldInit, FieldKind, Fields, PacketEdge, Shape, packet, pointer, value};
use FieldInit::{Const, PacketHash, PacketLen};
use Shape::{Narrow, Narrow2, Whole};

const FIELDS: &[ContextField] = &[
    packet("data", 0, 8, PacketEdge::Start),
    packet("data_end", 8, 8, PacketEdge::End),
    value("len", 16, 4, Narrow, PacketLen),
    value("eth_protocol", 20, 4, Narrow2, Const(0x0008)),
    value("ip_protocol", 24, 4, Narrow, Const(17)),
    value("bind_inany", 28, 4, Narrow, Const(0)),
    value("hash", 32, 4, Whole, PacketHash),
    pointer("sk", 40, 8, FieldKind::Struct { target: &SOCKET, nullable: false }),
    ContextField {
        init: Const(0),
        ..pointer("migrating_sk", 48, 8, FieldKind::Struct { target: &SOCK_COMMON, nullable: true })
    },
];

/// sk_reuseport programs.
pub static SK_REUSEPORT: ContextLayout = ContextLayout {
    name: "sk_reuseport_md",
    flavour: "sk_reuseport",
    size: 56,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// Every flavour of `sk_reuseport_md`.
pub static LAYOUTS: &[&ContextLayout] = &[&SK_REUSEPORT];
