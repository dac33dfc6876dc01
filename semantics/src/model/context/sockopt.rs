//! `struct bpf_sockopt` (kernel/bpf/cgroup.c `cg_sockopt_is_valid_access`): the socket, the
//! option's value (`optval` .. `optval_end`, read and written like packet bytes), and the
//! option's level, name, length and return value, writable per hook: getsockopt may set
//! `optlen` and `retval`, setsockopt `level`, `optname` and `optlen`; only getsockopt sees
//! `retval`. Defaults: `SOL_SOCKET`/`SO_MARK`, the value being the run's bytes.

use super::sock::SOCKET;
use super::{ContextField, ContextLayout, FieldInit, FieldKind, Fields, PacketEdge, Shape, packet, pointer, value};
use FieldInit::{Const, PacketLen};
use Shape::Whole;

const FIELDS: &[ContextField] = &[
    pointer("sk", 0, 8, FieldKind::Struct { target: &SOCKET, nullable: false }),
    packet("optval", 8, 8, PacketEdge::Start),
    packet("optval_end", 16, 8, PacketEdge::End),
    value("level", 24, 4, Whole, Const(1)),
    value("optname", 28, 4, Whole, Const(36)),
    value("optlen", 32, 4, Whole, PacketLen),
    value("retval", 36, 4, Whole, Const(0)),
];

/// cgroup/getsockopt programs.
pub static GETSOCKOPT: ContextLayout = ContextLayout {
    name: "bpf_sockopt",
    flavour: "getsockopt",
    size: 40,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::Only(&["optlen", "retval"]),
    packet_writes: true,
};

/// cgroup/setsockopt programs.
pub static SETSOCKOPT: ContextLayout = ContextLayout {
    flavour: "setsockopt",
    readable: Fields::AllBut(&["retval"]),
    writable: Fields::Only(&["level", "optname", "optlen"]),
    ..GETSOCKOPT
};

/// Every flavour of `bpf_sockopt`.
pub static LAYOUTS: &[&ContextLayout] = &[&GETSOCKOPT, &SETSOCKOPT];
