//! `struct sk_msg_md` (`sk_msg_is_valid_access`): the message bytes (`data` .. `data_end`,
//! 64-bit pointers, readable and writable), 32-bit reads of the socket's addresses and the
//! message size, and the socket itself; no field is writable.

use super::sock::SOCKET;
use super::{ContextField, ContextLayout, FieldInit, FieldKind, Fields, PacketEdge, Shape, packet, pointer, value};
use FieldInit::{Const, PacketLen};
use Shape::{Whole, Word};

const FIELDS: &[ContextField] = &[
    packet("data", 0, 8, PacketEdge::Start),
    packet("data_end", 8, 8, PacketEdge::End),
    value("family", 16, 4, Whole, Const(2)),
    value("remote_ip4", 20, 4, Whole, Const(0x0100_007f)),
    value("local_ip4", 24, 4, Whole, Const(0x0100_007f)),
    value("remote_ip6", 28, 16, Word, Const(0)),
    value("local_ip6", 44, 16, Word, Const(0)),
    value("remote_port", 60, 4, Whole, Const(0x5000)),
    value("local_port", 64, 4, Whole, Const(8080)),
    value("size", 68, 4, Whole, PacketLen),
    pointer("sk", 72, 8, FieldKind::Struct { target: &SOCKET, nullable: false }),
];

/// sk_msg programs.
pub static SK_MSG: ContextLayout = ContextLayout {
    name: "sk_msg_md",
    flavour: "sk_msg",
    size: 80,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: true,
};

/// Every flavour of `sk_msg_md`.
pub static LAYOUTS: &[&ContextLayout] = &[&SK_MSG];
