//! `struct bpf_sk_lookup` (`sk_lookup_is_valid_access`): read-only; the selected socket
//! (`sk`, NULL until a program assigns one), narrow reads of the addresses, and the 16-bit
//! `remote_port` read as 32 bits or narrowly, with its zero padding.

use super::sock::SOCKET;
use super::{ContextField, ContextLayout, FieldInit, FieldKind, Fields, Shape, pointer, value};
use FieldInit::Const;
use Shape::{Narrow, Padded};

const FIELDS: &[ContextField] = &[
    pointer("sk", 0, 8, FieldKind::Struct { target: &SOCKET, nullable: true }),
    value("family", 8, 4, Narrow, Const(2)),
    value("protocol", 12, 4, Narrow, Const(6)),
    value("remote_ip4", 16, 4, Narrow, Const(0x0100_007f)),
    value("remote_ip6", 20, 16, Narrow, Const(0)),
    value("remote_port", 36, 2, Padded, Const(0x5000)),
    value("remote_port padding", 38, 2, Narrow, Const(0)),
    value("local_ip4", 40, 4, Narrow, Const(0x0100_007f)),
    value("local_ip6", 44, 16, Narrow, Const(0)),
    value("local_port", 60, 4, Narrow, Const(8080)),
    value("ingress_ifindex", 64, 4, Narrow, Const(1)),
];

/// sk_lookup programs.
pub static SK_LOOKUP: ContextLayout = ContextLayout {
    name: "bpf_sk_lookup",
    flavour: "sk_lookup",
    size: 72,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// Every flavour of `bpf_sk_lookup`.
pub static LAYOUTS: &[&ContextLayout] = &[&SK_LOOKUP];
