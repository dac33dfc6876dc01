//! Which places an instruction leaves linked (see [`crate::links`]), and what a branch
//! learns through links.
//!
//! Every place the instruction may write loses its links first; then what it computed is
//! stated as equations and saturated ([`crate::links::terms`]), which keeps the facts the
//! old word of the written place carried:
//! - `dst = src` (64-bit): `dst' = src`;
//! - `dst += k`, `dst -= k` (64-bit, immediate, numbers and pointers alike): `dst' = old + k`
//!   modulo 2^64 (exact: the machine adds the same way, so no wrap condition is needed);
//! - an 8-byte spill of a register to a known stack slot: `slot = src`;
//! - an 8-byte fill from a known stack slot: `dst = slot`.
//!
//! 32-bit operations and everything else write without a link. A store through a stack
//! pointer of unknown offset may write any slot: every slot loses its links. Calls and
//! `LD_ABS`/`LD_IND` keep only the links among `r6`–`r9` (a callee or helper may write any
//! slot it is given a pointer to, and `r0`–`r5`); atomics and exits keep none.
//!
//! A branch refines its operands; [`Env::spread_links`] then refines every place linked to
//! one: `meet(value(p), value(base) + c)` with the value domain's own wrapping addition, for
//! two numbers, or two non-NULL pointers into one object (offsets); and between linked
//! packet pointers with variable offsets, the bytes known below `data_end` for one variable
//! are known for the other.

use bpfprove_domains::Lattice;
use bpfprove_semantics::isa::{BinOp, Insn, Operand, Size, Width};

use super::Env;
use super::ties::stack_target;
use crate::links::terms::{self, Atom, Expr};
use crate::links::{Link, Links};
use crate::state::State;
use crate::ties::Place;
use crate::value::{Num, Pointer, Region, Value};

/// The 8-byte slot at `start` of `frame`, as a place.
fn slot(frame: u8, start: i64) -> Option<Place> {
    Some(Place::Slot { frame, start: i16::try_from(start).ok()?, size: 8 })
}

/// `links` after `written` takes `base`'s word (a copy, spill or fill): it leaves its class
/// and joins `base`'s, which needs no term rewriting.
fn copy(links: &Links, written: Place, base: Place) -> Links {
    let mut unlinked = links.clone();
    unlinked.forget(written);
    Links::from_facts(unlinked.facts().chain([Link { place: written, base, offset: 0 }]))
}

/// `links` after `place` moves by `k` (`place += k`): its class is stated as equations over
/// its old word and saturated with `place = old + k`, so every member keeps its relation to
/// the moved place; the other classes are kept as they are.
fn shift(links: &Links, place: Place, k: u64) -> Links {
    let class = links.class_of(place);
    let atom = |p: Place| if p == place { Atom::Old } else { Atom::Now(p) };
    // Each member from the class's root, the moved place's facts now about its old word.
    let mut equations: Vec<(Atom, Expr)> = class
        .iter()
        .filter_map(|&(member, _)| {
            let (root, offset) = links.root_of(member);
            (root != member).then(|| (atom(member), Expr::offset(atom(root), offset)))
        })
        .collect();
    equations.push((Atom::Now(place), Expr::offset(Atom::Old, k)));
    let mut rest = links.clone();
    rest.retain(|p| !class.iter().any(|&(m, _)| m == p));
    let derived = terms::saturate(&equations);
    Links::from_facts(rest.facts().chain(derived.facts()))
}

impl Env<'_> {
    /// The links after `insn` runs from `before`, for every successor.
    pub(super) fn links_after(&self, insn: &Insn, before: &State) -> Links {
        let mut links = before.links.clone();
        match *insn {
            Insn::Alu { width: Width::W64, op: BinOp::Mov, dst, src: Operand::Reg(src) } => {
                if src == dst {
                    return links;
                }
                return copy(&links, Place::Reg(dst), Place::Reg(src));
            }
            Insn::Alu { width: Width::W64, op: op @ (BinOp::Add | BinOp::Sub), dst, src: Operand::Imm(imm) } => {
                let k = i64::from(imm) as u64;
                let k = if op == BinOp::Add { k } else { k.wrapping_neg() };
                if links.class_of(Place::Reg(dst)).is_empty() {
                    return links;
                }
                return shift(&links, Place::Reg(dst), k);
            }
            Insn::Alu { dst, .. }
            | Insn::Neg { dst, .. }
            | Insn::MovSx { dst, .. }
            | Insn::Endian { dst, .. }
            | Insn::AddrSpaceCast { dst, .. }
            | Insn::Lddw { dst, .. } => links.forget(Place::Reg(dst)),
            Insn::Load { size, signed, dst, src, off } => {
                links.forget(Place::Reg(dst));
                if size == Size::DW
                    && !signed
                    && let Ok(Some((frame, start))) = stack_target(before, src, off)
                    && let Some(filled) = slot(frame, start)
                {
                    return copy(&links, Place::Reg(dst), filled);
                }
            }
            Insn::Store { size, dst, off, src } => match stack_target(before, dst, off) {
                Ok(Some((frame, start))) => {
                    links.retain(|p| !p.overlaps(frame, start, i64::from(size.bytes())));
                    if size == Size::DW
                        && let Operand::Reg(src) = src
                        && let Some(spilled) = slot(frame, start)
                    {
                        return copy(&links, spilled, Place::Reg(src));
                    }
                }
                Ok(None) => {}
                Err(()) => links.retain(|p| matches!(p, Place::Reg(_))),
            },
            Insn::Call(_) | Insn::Callx { .. } | Insn::LoadPacket { .. } => {
                links.retain(|p| matches!(p, Place::Reg(r) if (6..=9).contains(&r.number())));
            }
            Insn::Atomic { .. } | Insn::Exit => return Links::none(),
            Insn::Ja { .. } | Insn::Ja32 { .. } | Insn::MayGoto { .. } | Insn::Jump { .. } | Insn::Gotox { .. } => {}
        }
        links
    }

    /// Refines every place linked to `place` by what `state` knows of each of them (see the
    /// module documentation). `false` if they cannot agree: the state is unreachable.
    pub(super) fn spread_links(&self, state: &mut State, place: Place) -> bool {
        let class = state.links.class_of(place);
        if class.is_empty() {
            return true;
        }
        self.spread_numbers(state, &class) && self.spread_offsets(state, &class) && {
            spread_packet_ranges(state, &class);
            true
        }
    }

    /// `k` as a number of the domain.
    fn word(&self, k: u64) -> Num {
        match Value::constant(self.domain, k) {
            Value::Scalar(n) => n,
            _ => unreachable!("constants are numbers"),
        }
    }

    /// The numbers of `class` (members with offsets from one place): each meets the others
    /// moved by their offsets.
    fn spread_numbers(&self, state: &mut State, class: &[(Place, u64)]) -> bool {
        let numbers: Vec<(Place, u64, Num)> =
            class.iter().filter_map(|&(p, o)| state.number_at(p).map(|n| (p, o, n.clone()))).collect();
        if numbers.len() < 2 {
            return true;
        }
        // What the class's origin (offset 0) may hold, by every member.
        let mut origin: Option<Num> = None;
        for (_, o, n) in &numbers {
            let candidate = n.binary(BinOp::Sub, Width::W64, &self.word(*o));
            origin = Some(match origin {
                None => candidate,
                Some(known) => known.meet(&candidate),
            });
        }
        let Some(origin) = origin else { return true };
        if origin.is_bottom() {
            return false;
        }
        for (p, o, n) in numbers {
            let refined = n.meet(&origin.binary(BinOp::Add, Width::W64, &self.word(o)));
            if refined.is_bottom() {
                return false;
            }
            if refined != n {
                state.refine_place(p, Value::Scalar(refined));
                if !state.spread_ties(p) {
                    return false;
                }
            }
        }
        true
    }

    /// The offsets of the non-NULL pointers of `class` into one object, as
    /// [`Env::spread_numbers`] does for numbers: one word apart by `c`, their offsets are.
    fn spread_offsets(&self, state: &mut State, class: &[(Place, u64)]) -> bool {
        let pointers: Vec<(Place, u64, Pointer)> = class
            .iter()
            .filter_map(|&(p, o)| match state.value_at(p) {
                Some(Value::Pointer(q)) if !q.null.may_be_null() => Some((p, o, q.clone())),
                _ => None,
            })
            .collect();
        for (i, (_, o, first)) in pointers.iter().enumerate() {
            let object: Vec<&(Place, u64, Pointer)> =
                pointers[i..].iter().filter(|(_, _, q)| one_object(first, q)).collect();
            if object.len() < 2 || pointers[..i].iter().any(|(_, _, q)| one_object(first, q)) {
                continue;
            }
            let mut origin: Option<Num> = None;
            for (_, o2, q) in &object {
                let candidate = q.offset.binary(BinOp::Sub, Width::W64, &self.word(o2.wrapping_sub(*o)));
                origin = Some(match origin {
                    None => candidate,
                    Some(known) => known.meet(&candidate),
                });
            }
            let Some(origin) = origin else { continue };
            if origin.is_bottom() {
                return false;
            }
            for (p, o2, q) in object {
                let offset = q.offset.meet(&origin.binary(BinOp::Add, Width::W64, &self.word(o2.wrapping_sub(*o))));
                if offset.is_bottom() {
                    return false;
                }
                if offset != q.offset {
                    state.refine_place(*p, Value::Pointer(Pointer { offset, ..q.clone() }));
                }
            }
        }
        true
    }
}

/// Whether two non-NULL pointers surely point into one object, placed at one address: then
/// their words differ as their offsets do. Only regions whose objects the model names.
fn one_object(p: &Pointer, q: &Pointer) -> bool {
    let named = matches!(
        p.region,
        Region::Packet | Region::Stack { .. } | Region::Context | Region::MapValue(_) | Region::Record { .. }
    );
    named && p.same_object(q)
}

/// Between linked non-NULL packet pointers with small offsets and variable parts: a range
/// known for one variable is known, moved by the link and the fixed parts, for the other.
/// With `off(q) = off(p) + c` (small offsets: as integers), `len >= base(p) + r` gives
/// `len >= base(q) + fixed(q) - fixed(p) - c + r`.
fn spread_packet_ranges(state: &mut State, class: &[(Place, u64)]) {
    let packets: Vec<(u64, crate::value::PacketVar)> = class
        .iter()
        .filter_map(|&(p, o)| match state.value_at(p) {
            Some(Value::Pointer(q)) if crate::state::is_packet_offset(q) => Some((o, q.var?)),
            _ => None,
        })
        .collect();
    for &(op, vp) in &packets {
        let Some(&range) = state.packet.ranges.get(&vp.id) else { continue };
        for &(oq, vq) in &packets {
            let c = oq.wrapping_sub(op) as i64;
            let moved =
                vq.fixed.checked_sub(vp.fixed).and_then(|d| d.checked_sub(c)).and_then(|d| d.checked_add(range));
            if vq.id != vp.id
                && let Some(moved) = moved
            {
                state.packet.learn_range(vq.id, moved);
            }
        }
    }
}

#[cfg(test)]
mod tests;
