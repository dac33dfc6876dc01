//! `struct bpf_xdp_sock`: what a lookup in an XSK map returns (`PTR_TO_XDP_SOCK`).

use super::{ContextLayout, FieldInit, Fields, Shape, value};

/// An XDP socket: its receive queue, read-only, whole (`bpf_xdp_sock_is_valid_access`).
pub static XDP_SOCK: ContextLayout = ContextLayout {
    name: "bpf_xdp_sock",
    flavour: "xdp_sock",
    size: 4,
    fields: &[value("queue_id", 0, 4, Shape::Whole, FieldInit::Const(0))],
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// Every flavour of `bpf_xdp_sock`.
pub static LAYOUTS: &[&ContextLayout] = &[&XDP_SOCK];
