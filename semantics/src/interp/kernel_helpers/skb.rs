//! The packet helpers of tc and XDP programs that change or summarise the packet:
//! `skb_store_bytes`, `l3/l4_csum_replace`, `csum_diff`, `skb_pull_data`,
//! `clone_redirect` and the `xdp_adjust_*` family.
//!
//! The packet of a run is one linear region with no headroom, tailroom or metadata room,
//! and this environment has no network device. So `xdp_adjust_*` succeed only when they
//! move nothing (delta 0) and fail with `-EINVAL` otherwise, as the kernel does when the
//! room is missing; packet contents are never moved.

use super::super::maps::errno;
use super::super::memory::{Memory, RegionId, region_base};
use super::HelperError;

/// `ETH_HLEN`: the shortest packet `xdp_adjust_head` leaves.
const ETH_HLEN: usize = 14;

/// The packet region of the context `ctx` (argument `register`), which must be the run's
/// packet context.
pub(super) fn packet_of(memory: &Memory, ctx: u64, register: u8) -> Result<RegionId, HelperError> {
    match memory.context_view() {
        Some(view) if region_base(view.region) == ctx => Ok(view.packet),
        _ => Err(HelperError::InvalidArgument { register, value: ctx, reason: "not the packet context" }),
    }
}

fn packet_len(memory: &Memory, packet: RegionId) -> usize {
    memory.region(packet).map_or(0, |r| r.bytes().len())
}

/// `skb_store_bytes(skb, offset, from, len, flags)`: copies `len` bytes into the packet.
pub(super) fn store_bytes(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let packet = packet_of(memory, args[0], 1)?;
    let (offset, len, flags) = (args[1] as u32 as usize, args[3] as u32 as usize, args[4]);
    let bytes = memory.read(args[2], len)?.to_vec();
    // BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH.
    if flags & !3 != 0 {
        return Ok(errno::negative(errno::EINVAL));
    }
    let end = offset.checked_add(len).filter(|&end| offset <= i32::MAX as usize && end <= packet_len(memory, packet));
    let (Some(end), Some(region)) = (end, memory.region_mut(packet)) else {
        return Ok(errno::negative(errno::EFAULT));
    };
    region.bytes_mut()[offset..end].copy_from_slice(&bytes);
    Ok(0)
}

/// Which way `xdp_copy` copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    /// `xdp_load_bytes`: from the packet.
    Load,
    /// `xdp_store_bytes`: into the packet.
    Store,
}

/// `xdp_load_bytes`/`xdp_store_bytes(xdp, offset, buf, len)`: copies `len` bytes between
/// the packet at `offset` and `buf`; `-EFAULT` for an offset or length over 0xffff,
/// `-EINVAL` past the packet's end.
pub(super) fn xdp_copy(memory: &mut Memory, args: [u64; 5], direction: Direction) -> Result<u64, HelperError> {
    let packet = packet_of(memory, args[0], 1)?;
    let (offset, buf, len) = (args[1] as u32 as usize, args[2], args[3] as u32 as usize);
    if offset > 0xffff || len > 0xffff {
        return Ok(errno::negative(errno::EFAULT));
    }
    if offset + len > packet_len(memory, packet) {
        return Ok(errno::negative(errno::EINVAL));
    }
    let packet_address = region_base(packet) + offset as u64;
    let (from, to) = match direction {
        Direction::Load => (packet_address, buf),
        Direction::Store => (buf, packet_address),
    };
    let bytes = memory.read(from, len)?.to_vec();
    memory.write(to, &bytes)?;
    Ok(0)
}

/// Which checksum helper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Layer {
    /// `l3_csum_replace`.
    L3,
    /// `l4_csum_replace`.
    L4,
}

/// One's-complement addition of 32-bit words (end-around carry).
fn add(a: u32, b: u32) -> u32 {
    let (sum, carry) = a.overflowing_add(b);
    sum.wrapping_add(u32::from(carry))
}

/// Folds a 32-bit one's-complement sum to 16 bits.
fn fold(sum: u32) -> u16 {
    let sum = (sum & 0xffff) + (sum >> 16);
    ((sum & 0xffff) + (sum >> 16)) as u16
}

/// `l3_csum_replace(skb, offset, from, to, flags)` and `l4_csum_replace`: updates the
/// 16-bit checksum at `offset` incrementally (RFC 1624) for a field changing from `from`
/// to `to` (2 or 4 bytes, per the low four bits of `flags`), or by the difference `to`
/// (size 0). Values are in packet byte order, as the program loaded them.
pub(super) fn csum_replace(memory: &mut Memory, args: [u64; 5], layer: Layer) -> Result<u64, HelperError> {
    let packet = packet_of(memory, args[0], 1)?;
    let (offset, from, to, flags) = (args[1] as u32 as usize, args[2], args[3], args[4]);
    // BPF_F_HDR_FIELD_MASK, and for L4 BPF_F_PSEUDO_HDR, BPF_F_MARK_MANGLED_0,
    // BPF_F_MARK_ENFORCE and BPF_F_IPV6.
    let allowed = match layer {
        Layer::L3 => 0xf,
        Layer::L4 => 0xff,
    };
    if flags & !allowed != 0 {
        return Ok(errno::negative(errno::EINVAL));
    }
    if offset > 0xffff || offset + 2 > packet_len(memory, packet) {
        return Ok(errno::negative(errno::EFAULT));
    }
    let Some(region) = memory.region_mut(packet) else { return Ok(errno::negative(errno::EFAULT)) };
    let field = &mut region.bytes_mut()[offset..offset + 2];
    let old = u16::from_le_bytes([field[0], field[1]]);
    let mangled_zero = layer == Layer::L4 && flags & 0x20 != 0;
    if mangled_zero && old == 0 {
        return Ok(0);
    }
    let unfolded = u32::from(!old);
    let sum = match flags & 0xf {
        0 => add(unfolded, to as u32),
        2 => add(add(unfolded, u32::from(!(from as u16))), u32::from(to as u16)),
        4 => add(add(unfolded, !(from as u32)), to as u32),
        _ => return Ok(errno::negative(errno::EINVAL)),
    };
    let mut new = !fold(sum);
    if mangled_zero && new == 0 {
        // CSUM_MANGLED_0.
        new = 0xffff;
    }
    field.copy_from_slice(&new.to_le_bytes());
    Ok(0)
}

/// `csum_diff(from, from_size, to, to_size, seed)`: the one's-complement sum of `seed`,
/// the complement of every 32-bit word of `from` and every word of `to`.
pub(super) fn csum_diff(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let (from_size, to_size) = (args[1] as u32 as usize, args[3] as u32 as usize);
    let from = if from_size > 0 { memory.read(args[0], from_size)?.to_vec() } else { Vec::new() };
    let to = if to_size > 0 { memory.read(args[2], to_size)?.to_vec() } else { Vec::new() };
    // Both sizes multiples of 4, at most 512 bytes together.
    if !(from_size | to_size).is_multiple_of(4) || from_size + to_size > 512 {
        return Ok(errno::negative(errno::EINVAL));
    }
    let word = |chunk: &[u8]| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    let mut sum = args[4] as u32;
    for chunk in from.chunks_exact(4) {
        sum = add(sum, !word(chunk));
    }
    for chunk in to.chunks_exact(4) {
        sum = add(sum, word(chunk));
    }
    Ok(u64::from(sum))
}

/// `skb_pull_data(skb, len)`: the packet is linear already; `len` beyond it is `-ENOMEM`.
pub(super) fn pull_data(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let packet = packet_of(memory, args[0], 1)?;
    if args[1] as u32 as usize > packet_len(memory, packet) {
        return Ok(errno::negative(errno::ENOMEM));
    }
    Ok(0)
}

/// `clone_redirect(skb, ifindex, flags)`: no device has any index (`-EINVAL`).
pub(super) fn clone_redirect(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    packet_of(memory, args[0], 1)?;
    Ok(errno::negative(errno::EINVAL))
}

/// Which edge of an XDP packet an `xdp_adjust_*` helper moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum XdpEdge {
    /// `xdp_adjust_head`.
    Head,
    /// `xdp_adjust_meta`.
    Meta,
    /// `xdp_adjust_tail`.
    Tail,
}

/// `xdp_adjust_{head,meta,tail}(xdp, delta)`: see the module docs.
pub(super) fn xdp_adjust(memory: &mut Memory, args: [u64; 5], edge: XdpEdge) -> Result<u64, HelperError> {
    let packet = packet_of(memory, args[0], 1)?;
    let delta = args[1] as u32 as i32;
    let fits = match edge {
        XdpEdge::Head => packet_len(memory, packet) >= ETH_HLEN,
        XdpEdge::Meta | XdpEdge::Tail => true,
    };
    if delta == 0 && fits { Ok(0) } else { Ok(errno::negative(errno::EINVAL)) }
}
