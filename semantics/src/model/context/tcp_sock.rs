//! `struct bpf_tcp_sock`: what `bpf_tcp_sock` returns (`PTR_TO_TCP_SOCK`), read-only, every
//! field whole (`bpf_tcp_sock_is_valid_access`). Defaults: an established connection with
//! the initial congestion window of ten segments.

use super::{ContextField, ContextLayout, FieldInit, Fields, Shape, value};
use FieldInit::Const;
use Shape::Whole;

const FIELDS: &[ContextField] = &[
    value("snd_cwnd", 0, 4, Whole, Const(10)),
    value("srtt_us", 4, 4, Whole, Const(0)),
    value("rtt_min", 8, 4, Whole, Const(0)),
    value("snd_ssthresh", 12, 4, Whole, Const(0x7fff_ffff)),
    value("rcv_nxt", 16, 4, Whole, Const(0)),
    value("snd_nxt", 20, 4, Whole, Const(0)),
    value("snd_una", 24, 4, Whole, Const(0)),
    value("mss_cache", 28, 4, Whole, Const(1460)),
    value("ecn_flags", 32, 4, Whole, Const(0)),
    value("rate_delivered", 36, 4, Whole, Const(0)),
    value("rate_interval_us", 40, 4, Whole, Const(0)),
    value("packets_out", 44, 4, Whole, Const(0)),
    value("retrans_out", 48, 4, Whole, Const(0)),
    value("total_retrans", 52, 4, Whole, Const(0)),
    value("segs_in", 56, 4, Whole, Const(0)),
    value("data_segs_in", 60, 4, Whole, Const(0)),
    value("segs_out", 64, 4, Whole, Const(0)),
    value("data_segs_out", 68, 4, Whole, Const(0)),
    value("lost_out", 72, 4, Whole, Const(0)),
    value("sacked_out", 76, 4, Whole, Const(0)),
    value("bytes_received", 80, 8, Whole, Const(0)),
    value("bytes_acked", 88, 8, Whole, Const(0)),
    value("dsack_dups", 96, 4, Whole, Const(0)),
    value("delivered", 100, 4, Whole, Const(0)),
    value("delivered_ce", 104, 4, Whole, Const(0)),
    value("icsk_retransmits", 108, 4, Whole, Const(0)),
];

/// A TCP socket's statistics (`PTR_TO_TCP_SOCK`).
pub static TCP_SOCK: ContextLayout = ContextLayout {
    name: "bpf_tcp_sock",
    flavour: "tcp_sock",
    size: 112,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// The kernel's own `struct tcp_sock` as `bpf_skc_to_tcp_sock` returns it (a BTF pointer,
/// `PTR_TO_BTF_ID`): the kernel lets programs read it with `PROBE_MEM` loads, but its
/// layout is the running kernel's, which the model does not know, so no field is readable.
/// It is a socket still: helpers taking BTF sockets take it, and it carries its socket's
/// reference.
pub static BTF_TCP_SOCK: ContextLayout = ContextLayout {
    name: "tcp_sock",
    flavour: "BTF tcp_sock",
    size: 0,
    fields: &[],
    readable: Fields::None,
    writable: Fields::None,
    packet_writes: false,
};

/// Every flavour of `bpf_tcp_sock`.
pub static LAYOUTS: &[&ContextLayout] = &[&TCP_SOCK];
