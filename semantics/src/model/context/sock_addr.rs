//! `struct bpf_sock_addr`: cgroup/bind, connect, getpeername, getsockname, sendmsg and
//! recvmsg programs (`sock_addr_is_valid_access`). Each hook sees the address fields of its
//! family only, and `msg_src_ip*` only in sendmsg; the user address, port and message
//! source are writable, `sk` is a full socket. Defaults: an IPv4 TCP socket, address
//! 127.0.0.1 port 80.

use super::super::program_type::SockAddrHook;
use super::sock::SOCKET;
use super::{ContextField, ContextLayout, FieldInit, FieldKind, Fields, Shape, pointer, value};
use FieldInit::Const;
use Shape::{Narrow, NarrowOrWide, Whole, WordOrWide};

const FIELDS: &[ContextField] = &[
    value("user_family", 0, 4, Whole, Const(2)),
    value("user_ip4", 4, 4, Narrow, Const(0x0100_007f)),
    ContextField { write: WordOrWide, ..value("user_ip6", 8, 16, NarrowOrWide, Const(0)) },
    value("user_port", 24, 4, Narrow, Const(0x5000)),
    value("family", 28, 4, Whole, Const(2)),
    value("type", 32, 4, Whole, Const(1)),
    value("protocol", 36, 4, Whole, Const(6)),
    value("msg_src_ip4", 40, 4, Narrow, Const(0)),
    ContextField { write: WordOrWide, ..value("msg_src_ip6", 44, 16, NarrowOrWide, Const(0)) },
    pointer("sk", 64, 8, FieldKind::Struct { target: &SOCKET, nullable: false }),
];

const fn layout(
    flavour: &'static str,
    hidden: &'static [&'static str],
    writable: &'static [&'static str],
) -> ContextLayout {
    ContextLayout {
        name: "bpf_sock_addr",
        flavour,
        size: 72,
        fields: FIELDS,
        readable: Fields::AllBut(hidden),
        writable: Fields::Only(writable),
        packet_writes: false,
    }
}

/// IPv4 bind, connect, getpeername, getsockname and recvmsg.
pub static INET4: ContextLayout =
    layout("sock_addr4", &["user_ip6", "msg_src_ip4", "msg_src_ip6"], &["user_ip4", "user_port"]);

/// IPv6 bind, connect, getpeername, getsockname and recvmsg.
pub static INET6: ContextLayout =
    layout("sock_addr6", &["user_ip4", "msg_src_ip4", "msg_src_ip6"], &["user_ip6", "user_port"]);

/// UDPv4 sendmsg: also the message's source address.
pub static SENDMSG4: ContextLayout =
    layout("sendmsg4", &["user_ip6", "msg_src_ip6"], &["user_ip4", "user_port", "msg_src_ip4"]);

/// UDPv6 sendmsg: also the message's source address.
pub static SENDMSG6: ContextLayout =
    layout("sendmsg6", &["user_ip4", "msg_src_ip4"], &["user_ip6", "user_port", "msg_src_ip6"]);

/// Unix-socket hooks: no IP address at all.
pub static UNIX: ContextLayout =
    layout("sock_addr_unix", &["user_ip4", "user_ip6", "msg_src_ip4", "msg_src_ip6"], &["user_port"]);

/// Every flavour of `bpf_sock_addr`.
pub static LAYOUTS: &[&ContextLayout] = &[&INET4, &INET6, &SENDMSG4, &SENDMSG6, &UNIX];

/// The rules of the programs of `hook`.
pub fn for_hook(hook: SockAddrHook) -> &'static ContextLayout {
    use SockAddrHook as H;
    match hook {
        H::Bind4 | H::Connect4 | H::Getpeername4 | H::Getsockname4 | H::Recvmsg4 => &INET4,
        H::Bind6 | H::Connect6 | H::Getpeername6 | H::Getsockname6 | H::Recvmsg6 => &INET6,
        H::Sendmsg4 => &SENDMSG4,
        H::Sendmsg6 => &SENDMSG6,
        H::ConnectUnix | H::SendmsgUnix | H::RecvmsgUnix | H::GetpeernameUnix | H::GetsocknameUnix => &UNIX,
    }
}
