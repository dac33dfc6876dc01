//! `struct bpf_sock`: the context of cgroup/sock programs (rules per attach point, from
//! `__sock_filter_check_attach_type`), and what socket pointers (`__sk_buff.sk`,
//! `bpf_sock_ops.sk`, ...) point to: read-only, all of it for a full socket, without
//! `type` ..= `priority` for a socket's common part (`bpf_sock_common_is_valid_access`).
//! Defaults: an established IPv4 TCP socket from 127.0.0.1:8080 to 127.0.0.1:80.

use super::{ContextField, ContextLayout, FieldInit, Fields, Shape, value};
use FieldInit::Const;
use Shape::{Narrow, Padded, Whole};

const FIELDS: &[ContextField] = &[
    value("bound_dev_if", 0, 4, Whole, Const(0)),
    value("family", 4, 4, Narrow, Const(2)),
    value("type", 8, 4, Narrow, Const(1)),
    value("protocol", 12, 4, Narrow, Const(6)),
    value("mark", 16, 4, Whole, Const(0)),
    value("priority", 20, 4, Whole, Const(0)),
    value("src_ip4", 24, 4, Narrow, Const(0x0100_007f)),
    value("src_ip6", 28, 16, Narrow, Const(0)),
    value("src_port", 44, 4, Narrow, Const(8080)),
    value("dst_port", 48, 2, Padded, Const(0x5000)),
    value("dst_ip4", 52, 4, Narrow, Const(0x0100_007f)),
    value("dst_ip6", 56, 16, Narrow, Const(0)),
    value("state", 72, 4, Narrow, Const(1)),
    value("rx_queue_mapping", 76, 4, Narrow, Const(0)),
];

const fn layout(flavour: &'static str, readable: Fields, writable: Fields) -> ContextLayout {
    ContextLayout { name: "bpf_sock", flavour, size: 80, fields: FIELDS, readable, writable, packet_writes: false }
}

/// A full socket (`PTR_TO_SOCKET`).
pub static SOCKET: ContextLayout = layout("socket", Fields::All, Fields::None);

/// A socket's common part (`PTR_TO_SOCK_COMMON`).
pub static SOCK_COMMON: ContextLayout =
    layout("sock_common", Fields::AllBut(&["type", "protocol", "mark", "priority"]), Fields::None);

/// cgroup/sock_create and cgroup/sock_release: no addresses yet; device, mark and
/// priority writable.
pub static SOCK_CREATE: ContextLayout = layout(
    "sock_create",
    Fields::AllBut(&["src_ip4", "src_ip6", "src_port"]),
    Fields::Only(&["bound_dev_if", "mark", "priority"]),
);

/// cgroup/post_bind4: the bound IPv4 address and port, read-only.
pub static POST_BIND4: ContextLayout =
    layout("post_bind4", Fields::AllBut(&["bound_dev_if", "mark", "priority", "src_ip6"]), Fields::None);

/// cgroup/post_bind6: the bound IPv6 address and port, read-only.
pub static POST_BIND6: ContextLayout =
    layout("post_bind6", Fields::AllBut(&["bound_dev_if", "mark", "priority", "src_ip4"]), Fields::None);

/// Every flavour of `bpf_sock`.
pub static LAYOUTS: &[&ContextLayout] = &[&SOCKET, &SOCK_COMMON, &SOCK_CREATE, &POST_BIND4, &POST_BIND6];
