//! `struct __sk_buff`: socket filters, tc, cgroup_skb, sk_skb, lwt and flow dissectors, each
//! with the rules of its `*_is_valid_access` (net/core/filter.c). Defaults: interface 1,
//! no VLAN, mark 0, a socket present (`sk`).

use super::sock::SOCK_COMMON;
use super::{ContextField, ContextLayout, FieldInit, FieldKind, Fields, PacketEdge, Shape, packet, pointer, value};
use FieldInit::{Const, EthProtocol, PacketHash, PacketLen};
use Shape::{Any, Narrow, Whole, Word};

/// Size of `struct bpf_flow_keys`, the block `__sk_buff.flow_keys` points to.
pub const FLOW_KEYS_BYTES: u32 = 56;

const FIELDS: &[ContextField] = &[
    value("len", 0, 4, Narrow, PacketLen),
    value("pkt_type", 4, 4, Narrow, Const(0)),
    value("mark", 8, 4, Narrow, Const(0)),
    value("queue_mapping", 12, 4, Narrow, Const(0)),
    value("protocol", 16, 4, Narrow, EthProtocol),
    value("vlan_present", 20, 4, Narrow, Const(0)),
    value("vlan_tci", 24, 4, Narrow, Const(0)),
    value("vlan_proto", 28, 4, Narrow, Const(0)),
    value("priority", 32, 4, Narrow, Const(0)),
    value("ingress_ifindex", 36, 4, Narrow, Const(1)),
    value("ifindex", 40, 4, Narrow, Const(1)),
    value("tc_index", 44, 4, Narrow, Const(0)),
    ContextField { write: Any, ..value("cb", 48, 20, Any, Const(0)) },
    value("hash", 68, 4, Narrow, PacketHash),
    value("tc_classid", 72, 4, Narrow, Const(0)),
    packet("data", 76, 4, PacketEdge::Start),
    packet("data_end", 80, 4, PacketEdge::End),
    value("napi_id", 84, 4, Narrow, Const(0)),
    value("family", 88, 4, Narrow, Const(2)),
    value("remote_ip4", 92, 4, Whole, Const(0x0100_007f)),
    value("local_ip4", 96, 4, Whole, Const(0x0100_007f)),
    value("remote_ip6", 100, 16, Word, Const(0)),
    value("local_ip6", 116, 16, Word, Const(0)),
    value("remote_port", 132, 4, Narrow, Const(0x5000)),
    value("local_port", 136, 4, Narrow, Const(8080)),
    packet("data_meta", 140, 4, PacketEdge::Meta),
    pointer("flow_keys", 144, 8, FieldKind::Block { size: FLOW_KEYS_BYTES }),
    value("tstamp", 152, 8, Whole, Const(0)),
    value("wire_len", 160, 4, Narrow, PacketLen),
    value("gso_segs", 164, 4, Narrow, Const(0)),
    pointer("sk", 168, 8, FieldKind::Struct { target: &SOCK_COMMON, nullable: true }),
    value("gso_size", 176, 4, Narrow, Const(0)),
    value("tstamp_type", 180, 1, Whole, Const(0)),
    value("hwtstamp", 184, 8, Whole, Const(0)),
];

const fn layout(flavour: &'static str, readable: Fields, writable: Fields, packet_writes: bool) -> ContextLayout {
    ContextLayout { name: "__sk_buff", flavour, size: 192, fields: FIELDS, readable, writable, packet_writes }
}

/// Socket filters: no packet pointers, no socket fields, only `cb` writable.
pub static SOCKET_FILTER: ContextLayout = layout(
    "socket_filter",
    Fields::AllBut(&[
        "tc_classid",
        "data",
        "data_meta",
        "data_end",
        "family",
        "remote_ip4",
        "local_ip4",
        "remote_ip6",
        "local_ip6",
        "remote_port",
        "local_port",
        "tstamp",
        "wire_len",
        "hwtstamp",
        "flow_keys",
        "tstamp_type",
    ]),
    Fields::Only(&["cb"]),
    false,
);

/// tc classifiers and actions: direct packet access with metadata, most fields writable.
pub static TC: ContextLayout = layout(
    "tc",
    Fields::AllBut(&[
        "family",
        "remote_ip4",
        "local_ip4",
        "remote_ip6",
        "local_ip6",
        "remote_port",
        "local_port",
        "flow_keys",
    ]),
    Fields::Only(&["mark", "tc_index", "priority", "tc_classid", "cb", "tstamp", "queue_mapping"]),
    true,
);

/// cgroup_skb: packet reads (privileged), no metadata.
pub static CGROUP_SKB: ContextLayout = layout(
    "cgroup_skb",
    Fields::AllBut(&["tc_classid", "data_meta", "wire_len", "flow_keys", "tstamp_type"]),
    Fields::Only(&["mark", "priority", "cb", "tstamp"]),
    false,
);

/// sk_skb (stream parser and verdict): packet reads and writes, no `mark`.
pub static SK_SKB: ContextLayout = layout(
    "sk_skb",
    Fields::AllBut(&["tc_classid", "data_meta", "tstamp", "wire_len", "hwtstamp", "mark", "flow_keys", "tstamp_type"]),
    Fields::Only(&["tc_index", "priority"]),
    true,
);

const LWT_HIDDEN: Fields = Fields::AllBut(&[
    "tc_classid",
    "family",
    "remote_ip4",
    "local_ip4",
    "remote_ip6",
    "local_ip6",
    "remote_port",
    "local_port",
    "data_meta",
    "tstamp",
    "wire_len",
    "hwtstamp",
    "flow_keys",
    "tstamp_type",
]);

/// lwt_in, lwt_out, lwt_seg6local: packet reads only.
pub static LWT: ContextLayout = layout("lwt", LWT_HIDDEN, Fields::Only(&["mark", "priority", "cb"]), false);

/// lwt_xmit: as [`LWT`], with packet writes.
pub static LWT_XMIT: ContextLayout = layout("lwt_xmit", LWT_HIDDEN, Fields::Only(&["mark", "priority", "cb"]), true);

/// Flow dissectors: the packet and the `flow_keys` block they fill, nothing else.
pub static FLOW_DISSECTOR: ContextLayout =
    layout("flow_dissector", Fields::Only(&["data", "data_end", "flow_keys"]), Fields::None, false);

/// Every flavour of `__sk_buff`.
pub static LAYOUTS: &[&ContextLayout] = &[&SOCKET_FILTER, &TC, &CGROUP_SKB, &SK_SKB, &LWT, &LWT_XMIT, &FLOW_DISSECTOR];
