//! Sockets as the socket helpers see them: each socket the run meets (the context's, or
//! one a lookup found) is an object with views — read-only virtual structures
//! (`bpf_sock` whole or its common part, `bpf_tcp_sock`, `bpf_xdp_sock`) read by their
//! layouts' rules — and a count of the references the program holds.
//!
//! A lookup (`bpf_sk_lookup_*`, `bpf_skc_lookup_tcp`, a sockmap or sockhash lookup)
//! finds nothing or a socket of the environment, chosen arbitrarily, and gives the program
//! one reference to it. `bpf_sk_release` takes a view of a socket the program holds a
//! reference to (anything else traps) and gives the reference back; with the last one, every
//! view of the socket dies and any later access through one traps. The context's socket is
//! no reference of the program's: releasing it traps. `bpf_get_listener_sock` finds a
//! listening socket (freed only after an RCU grace period, so no reference) or nothing.

use std::collections::BTreeMap;

use crate::interp::context::StructView;
use crate::interp::helpers::HelperError;
use crate::interp::memory::{Access, Memory, RegionId, RegionKind, region_base};
use crate::model::context::{ContextLayout, sock, tcp_sock, xdp_sock};

use super::KernelHelpers;

/// Which structure a view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ViewKind {
    /// `bpf_sock` without the full socket's fields.
    Common,
    /// `bpf_sock`.
    Full,
    /// `bpf_tcp_sock`.
    Tcp,
    /// `bpf_xdp_sock`.
    Xdp,
    /// The kernel's `struct tcp_sock` (a BTF pointer): no field readable.
    BtfTcp,
}

impl ViewKind {
    fn layout(self) -> &'static ContextLayout {
        match self {
            ViewKind::Common => &sock::SOCK_COMMON,
            ViewKind::Full => &sock::SOCKET,
            ViewKind::Tcp => &tcp_sock::TCP_SOCK,
            ViewKind::Xdp => &xdp_sock::XDP_SOCK,
            ViewKind::BtfTcp => &tcp_sock::BTF_TCP_SOCK,
        }
    }

    fn of_layout(layout: &'static ContextLayout) -> Option<ViewKind> {
        [ViewKind::Common, ViewKind::Full, ViewKind::Tcp, ViewKind::Xdp, ViewKind::BtfTcp]
            .into_iter()
            .find(|kind| std::ptr::eq(kind.layout(), layout))
    }
}

/// `IPPROTO_UDP` and `SOCK_DGRAM`, where a UDP socket's `bpf_sock` differs from the
/// layout's TCP defaults.
const UDP: (u32, u32) = (17, 2);
/// Offsets of `bpf_sock.type` and `bpf_sock.protocol`.
const TYPE_OFFSET: usize = 8;
const PROTOCOL_OFFSET: usize = 12;

/// One socket.
#[derive(Clone, Debug)]
struct Socket {
    /// A full socket (not a request or time-wait minisocket).
    full: bool,
    /// A TCP socket.
    tcp: bool,
    /// References the program holds.
    references: u32,
    /// Its views so far, by kind.
    views: Vec<(ViewKind, RegionId)>,
}

/// The run's sockets.
#[derive(Clone, Debug, Default)]
pub(super) struct Sockets {
    sockets: Vec<Socket>,
    /// The socket each view region shows.
    owners: BTreeMap<RegionId, usize>,
}

/// The protocol a lookup helper looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lookup {
    /// `bpf_sk_lookup_tcp`: a full TCP socket.
    Tcp,
    /// `bpf_sk_lookup_udp`: a UDP socket.
    Udp,
    /// `bpf_skc_lookup_tcp`: a TCP socket, maybe a minisocket, as its common part.
    TcpCommon,
    /// A sockmap or sockhash element: a full socket.
    Map,
}

fn invalid(register: u8, value: u64, reason: &'static str) -> HelperError {
    HelperError::InvalidArgument { register, value, reason }
}

impl Sockets {
    /// The socket and view kind of the live view at `address` (argument `register`).
    /// The context's socket joins the run's sockets when first passed to a helper.
    pub(super) fn view(
        &mut self,
        memory: &Memory,
        address: u64,
        register: u8,
    ) -> Result<(usize, ViewKind), HelperError> {
        let not_socket = || invalid(register, address, "not a live socket");
        let (region, offset) = memory.locate(address).ok_or_else(not_socket)?;
        let layout = memory.struct_view(region).map(|v| v.layout).filter(|_| offset == 0).ok_or_else(not_socket)?;
        let kind = ViewKind::of_layout(layout).ok_or_else(not_socket)?;
        let socket = match self.owners.get(&region) {
            Some(&socket) => socket,
            None => {
                // A context's socket: the environment's established TCP connection.
                self.sockets.push(Socket { full: true, tcp: true, references: 0, views: vec![(kind, region)] });
                self.owners.insert(region, self.sockets.len() - 1);
                self.sockets.len() - 1
            }
        };
        Ok((socket, kind))
    }

    /// The address of `socket`'s view of `kind`, made on first use from its `bpf_sock`
    /// bytes (`from`).
    fn view_of(&mut self, memory: &mut Memory, socket: usize, kind: ViewKind) -> Result<u64, HelperError> {
        if let Some(&(_, region)) = self.sockets[socket].views.iter().find(|(k, _)| *k == kind) {
            return Ok(region_base(region));
        }
        let bytes = match kind {
            ViewKind::Common | ViewKind::Full => {
                let existing =
                    self.sockets[socket].views.iter().find(|(k, _)| matches!(k, ViewKind::Common | ViewKind::Full));
                match existing.and_then(|&(_, region)| memory.region(region)) {
                    Some(region) => region.bytes().to_vec(),
                    None => self.fresh_sock_bytes(socket),
                }
            }
            ViewKind::Tcp | ViewKind::Xdp | ViewKind::BtfTcp => kind.layout().initial_bytes(&[]),
        };
        let region = memory.add_region(RegionKind::Other, bytes, Access::None)?;
        memory.add_struct_view(StructView { region, layout: kind.layout() });
        self.sockets[socket].views.push((kind, region));
        self.owners.insert(region, socket);
        Ok(region_base(region))
    }

    fn fresh_sock_bytes(&self, socket: usize) -> Vec<u8> {
        let mut bytes = sock::SOCKET.initial_bytes(&[]);
        if !self.sockets[socket].tcp {
            bytes[TYPE_OFFSET..TYPE_OFFSET + 4].copy_from_slice(&UDP.1.to_le_bytes());
            bytes[PROTOCOL_OFFSET..PROTOCOL_OFFSET + 4].copy_from_slice(&UDP.0.to_le_bytes());
        }
        bytes
    }

    /// A new socket with one reference held by the program, shown as `kind`.
    fn acquire_new(&mut self, memory: &mut Memory, full: bool, tcp: bool, kind: ViewKind) -> Result<u64, HelperError> {
        self.sockets.push(Socket { full, tcp, references: 1, views: Vec::new() });
        self.view_of(memory, self.sockets.len() - 1, kind)
    }

    /// Gives back one reference to `socket`; with the last, every view of it dies.
    fn release(&mut self, memory: &mut Memory, address: u64) -> Result<u64, HelperError> {
        let (socket, _) = self.view(memory, address, 1)?;
        let entry = &mut self.sockets[socket];
        if entry.references == 0 {
            return Err(invalid(1, address, "no reference to this socket is held"));
        }
        entry.references -= 1;
        if entry.references == 0 {
            for &(_, region) in &entry.views {
                memory.remove_struct_view(region);
                memory.set_access(region, Access::None);
                self.owners.remove(&region);
            }
            entry.views.clear();
        }
        Ok(0)
    }
}

impl KernelHelpers {
    /// `bpf_sk_fullsock(sk)`: the full socket, or NULL for a minisocket.
    pub(super) fn sk_fullsock(&mut self, memory: &mut Memory, sk: u64) -> Result<u64, HelperError> {
        let (socket, _) = self.sockets.view(memory, sk, 1)?;
        if !self.sockets.sockets[socket].full {
            return Ok(0);
        }
        self.sockets.view_of(memory, socket, ViewKind::Full)
    }

    /// `bpf_tcp_sock(sk)`: the full TCP socket's statistics, or NULL.
    pub(super) fn tcp_sock(&mut self, memory: &mut Memory, sk: u64) -> Result<u64, HelperError> {
        let (socket, _) = self.sockets.view(memory, sk, 1)?;
        let entry = &self.sockets.sockets[socket];
        if !(entry.full && entry.tcp) {
            return Ok(0);
        }
        self.sockets.view_of(memory, socket, ViewKind::Tcp)
    }

    /// `bpf_skc_to_tcp_sock(sk)`: the kernel's `tcp_sock` of a full TCP socket (the same
    /// socket, its reference), or NULL.
    pub(super) fn skc_to_tcp_sock(&mut self, memory: &mut Memory, sk: u64) -> Result<u64, HelperError> {
        let (socket, _) = self.sockets.view(memory, sk, 1)?;
        let entry = &self.sockets.sockets[socket];
        if !(entry.full && entry.tcp) {
            return Ok(0);
        }
        self.sockets.view_of(memory, socket, ViewKind::BtfTcp)
    }

    /// `bpf_get_listener_sock(sk)`: a listening socket of the environment, or NULL.
    pub(super) fn get_listener_sock(&mut self, memory: &mut Memory, sk: u64) -> Result<u64, HelperError> {
        let (socket, _) = self.sockets.view(memory, sk, 1)?;
        if !self.sockets.sockets[socket].tcp || self.arbitrary().is_multiple_of(2) {
            return Ok(0);
        }
        self.sockets.sockets.push(Socket { full: true, tcp: true, references: 0, views: Vec::new() });
        let listener = self.sockets.sockets.len() - 1;
        self.sockets.view_of(memory, listener, ViewKind::Full)
    }

    /// A lookup: nothing, or a socket of the environment with a reference for the program.
    pub(super) fn sk_lookup(&mut self, memory: &mut Memory, lookup: Lookup) -> Result<u64, HelperError> {
        if self.arbitrary().is_multiple_of(2) {
            return Ok(0);
        }
        let (full, tcp, kind) = match lookup {
            Lookup::Tcp | Lookup::Map => (true, true, ViewKind::Full),
            Lookup::Udp => (true, false, ViewKind::Full),
            Lookup::TcpCommon => (self.arbitrary().is_multiple_of(2), true, ViewKind::Common),
        };
        self.sockets.acquire_new(memory, full, tcp, kind)
    }

    /// An XSK map lookup: nothing, or an XDP socket (the map holds its reference).
    pub(super) fn xsk_lookup(&mut self, memory: &mut Memory) -> Result<u64, HelperError> {
        if self.arbitrary().is_multiple_of(2) {
            return Ok(0);
        }
        self.sockets.sockets.push(Socket { full: true, tcp: false, references: 0, views: Vec::new() });
        let socket = self.sockets.sockets.len() - 1;
        self.sockets.view_of(memory, socket, ViewKind::Xdp)
    }

    /// `bpf_sk_release(sk)`.
    pub(super) fn sk_release(&mut self, memory: &mut Memory, sk: u64) -> Result<u64, HelperError> {
        self.sockets.release(memory, sk)
    }

    /// Checks that `address` is a live socket view (an `ARG_PTR_TO_SOCK_COMMON` or
    /// `ARG_PTR_TO_BTF_ID_SOCK_COMMON` argument), of a full socket if `full`, and not a BTF
    /// one unless `btf` (the kernel's `sock_types` hold no `PTR_TO_BTF_ID`).
    pub(super) fn socket_argument(
        &self,
        memory: &Memory,
        address: u64,
        register: u8,
        full: bool,
        btf: bool,
    ) -> Result<(), HelperError> {
        let kind = memory
            .locate(address)
            .filter(|&(_, offset)| offset == 0)
            .and_then(|(region, _)| memory.struct_view(region))
            .and_then(|view| ViewKind::of_layout(view.layout));
        match kind {
            Some(ViewKind::BtfTcp) if !btf => Err(invalid(register, address, "a BTF socket")),
            Some(ViewKind::Full) => Ok(()),
            Some(_) if !full => Ok(()),
            Some(_) => Err(invalid(register, address, "not a full socket")),
            None => Err(invalid(register, address, "not a live socket")),
        }
    }
}
