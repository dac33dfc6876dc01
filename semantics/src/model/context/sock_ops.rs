//! `struct bpf_sock_ops` (`sock_ops_is_valid_access`): 32-bit reads of the TCP state, 64-bit
//! reads of the byte counters, the socket and the header-option bytes (`skb_data` ..
//! `skb_data_end`, read-only); only `reply` and `sk_txhash` are writable. Defaults: an
//! established IPv4 connection, no packet (`skb_data == skb_data_end` at an empty buffer
//! unless the run gives bytes).

use super::sock::SOCKET;
use super::{ContextField, ContextLayout, FieldInit, FieldKind, Fields, PacketEdge, Shape, packet, pointer, value};
use FieldInit::{Const, PacketLen};
use Shape::{Narrow, Whole, Word};

const FIELDS: &[ContextField] = &[
    value("op", 0, 4, Whole, Const(0)),
    // `args[0]`, `reply` and `replylong[0]` share the first word of the union.
    value("reply", 4, 4, Whole, Const(0)),
    value("args[1..4]", 8, 12, Word, Const(0)),
    value("family", 20, 4, Whole, Const(2)),
    value("remote_ip4", 24, 4, Whole, Const(0x0100_007f)),
    value("local_ip4", 28, 4, Whole, Const(0x0100_007f)),
    value("remote_ip6", 32, 16, Word, Const(0)),
    value("local_ip6", 48, 16, Word, Const(0)),
    value("remote_port", 64, 4, Whole, Const(0x5000)),
    value("local_port", 68, 4, Whole, Const(8080)),
    value("is_fullsock", 72, 4, Whole, Const(1)),
    value("snd_cwnd", 76, 4, Whole, Const(10)),
    value("srtt_us", 80, 4, Whole, Const(0)),
    value("bpf_sock_ops_cb_flags", 84, 4, Whole, Const(0)),
    value("state", 88, 4, Whole, Const(1)),
    value("rtt_min", 92, 4, Whole, Const(0)),
    value("snd_ssthresh", 96, 4, Whole, Const(0)),
    value("rcv_nxt", 100, 4, Whole, Const(0)),
    value("snd_nxt", 104, 4, Whole, Const(0)),
    value("snd_una", 108, 4, Whole, Const(0)),
    value("mss_cache", 112, 4, Whole, Const(1460)),
    value("ecn_flags", 116, 4, Whole, Const(0)),
    value("rate_delivered", 120, 4, Whole, Const(0)),
    value("rate_interval_us", 124, 4, Whole, Const(0)),
    value("packets_out", 128, 4, Whole, Const(0)),
    value("retrans_out", 132, 4, Whole, Const(0)),
    value("total_retrans", 136, 4, Whole, Const(0)),
    value("segs_in", 140, 4, Whole, Const(0)),
    value("data_segs_in", 144, 4, Whole, Const(0)),
    value("segs_out", 148, 4, Whole, Const(0)),
    value("data_segs_out", 152, 4, Whole, Const(0)),
    value("lost_out", 156, 4, Whole, Const(0)),
    value("sacked_out", 160, 4, Whole, Const(0)),
    value("sk_txhash", 164, 4, Whole, Const(0)),
    value("bytes_received", 168, 8, Whole, Const(0)),
    value("bytes_acked", 176, 8, Whole, Const(0)),
    pointer("sk", 184, 8, FieldKind::Struct { target: &SOCKET, nullable: true }),
    packet("skb_data", 192, 8, PacketEdge::Start),
    packet("skb_data_end", 200, 8, PacketEdge::End),
    value("skb_len", 208, 4, Whole, PacketLen),
    value("skb_tcp_flags", 212, 4, Narrow, Const(0)),
    value("skb_hwtstamp", 216, 8, Whole, Const(0)),
];

/// sockops programs.
pub static SOCK_OPS: ContextLayout = ContextLayout {
    name: "bpf_sock_ops",
    flavour: "sockops",
    size: 224,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::Only(&["reply", "sk_txhash"]),
    packet_writes: false,
};

/// Every flavour of `bpf_sock_ops`.
pub static LAYOUTS: &[&ContextLayout] = &[&SOCK_OPS];
