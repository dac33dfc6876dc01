//! `struct xdp_md` (net/core/filter.c `xdp_is_valid_access`): whole 32-bit reads only, no
//! writes, `egress_ifindex` only for devmap programs. The packet has no metadata
//! (`data_meta == data`) and arrived on interface 1, queue 0.

use super::{ContextField, ContextLayout, FieldInit, Fields, PacketEdge, Shape, packet, value};
use FieldInit::Const;

const FIELDS: &[ContextField] = &[
    packet("data", 0, 4, PacketEdge::Start),
    packet("data_end", 4, 4, PacketEdge::End),
    packet("data_meta", 8, 4, PacketEdge::Meta),
    value("ingress_ifindex", 12, 4, Shape::Whole, Const(1)),
    value("rx_queue_index", 16, 4, Shape::Whole, Const(0)),
    value("egress_ifindex", 20, 4, Shape::Whole, Const(0)),
];

/// XDP programs (also cpumap ones).
pub static XDP_MD: ContextLayout = ContextLayout {
    name: "xdp_md",
    flavour: "xdp",
    size: 24,
    fields: FIELDS,
    readable: Fields::AllBut(&["egress_ifindex"]),
    writable: Fields::None,
    packet_writes: true,
};

/// XDP programs run by a devmap (`xdp/devmap`), which see the egress interface.
pub static XDP_DEVMAP: ContextLayout = ContextLayout { flavour: "xdp_devmap", readable: Fields::All, ..XDP_MD };

/// Every flavour of `xdp_md`.
pub static LAYOUTS: &[&ContextLayout] = &[&XDP_MD, &XDP_DEVMAP];
