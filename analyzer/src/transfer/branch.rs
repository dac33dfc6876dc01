//! Conditional jumps: each edge refines the state with what its condition tells.
//!
//! - Two numbers: the domain's refinement of both operands.
//! - A pointer (or function address) against the immediate 0: NULL on one edge, non-NULL
//!   on the other, for every copy of the same helper result.
//! - A pointer that may be NULL equal to one that is not: not NULL (the kernel's jeq/jne
//!   inference). A non-NULL pointer is never 0 only while its
//!   offset is small (see [`crate::value::SMALL_OFFSET`]).
//! - A non-NULL packet pointer with a small offset against `data_end`: the edge where it is
//!   at most `data_end` learns a lower bound on the packet's length (see
//!   [`crate::state::PacketFacts`]).
//! - Two non-NULL pointers into one object, both offsets small: their offsets are compared
//!   as signed numbers (64-bit only), whatever the comparison's signedness, since such
//!   addresses do not wrap.
//!
//! Anything else (pointers that may wrap, pointers into different objects of one region)
//! refines nothing.

use bpfprove_domains::Lattice;
use bpfprove_domains::Relation;
use bpfprove_semantics::isa::{Cond, Operand, Reg, Width};

use super::Env;
use crate::state::{Reach, State};
use crate::ties::Place;
use crate::value::{Functions, Nullness, Pointer, Region, Value};

impl Env<'_> {
    /// The states on the taken and fall-through edges of `if dst cond src`.
    pub(super) fn branch(
        &self,
        state: &State,
        _pc: usize,
        width: Width,
        cond: Cond,
        dst: Reg,
        src: Operand,
    ) -> (Reach, Reach) {
        let a = state.reg(dst).clone();
        let (b, src_reg) = match src {
            Operand::Reg(r) => (state.reg(r).clone(), Some(r)),
            Operand::Imm(imm) => (Value::constant(self.domain, imm as i64 as u64), None),
        };
        match (&a, &b) {
            (Value::Scalar(x), Value::Scalar(y)) => {
                let edge = |relation: Relation| {
                    let (x2, y2) = x.refine(relation, width, y);
                    if x2.is_bottom() || y2.is_bottom() {
                        return None;
                    }
                    let mut s = state.clone();
                    match src_reg {
                        Some(r) if r == dst => s.refine(dst, Value::Scalar(x2.meet(&y2))),
                        Some(r) => {
                            s.refine(dst, Value::Scalar(x2));
                            s.refine(r, Value::Scalar(y2));
                        }
                        None => s.refine(dst, Value::Scalar(x2)),
                    }
                    // What the condition says of an operand holds of every place tied to it.
                    let spread = s.spread_ties(Place::Reg(dst)) && src_reg.is_none_or(|r| s.spread_ties(Place::Reg(r)));
                    spread.then_some(s)
                };
                (edge(Relation::taken(cond)), edge(Relation::not_taken(cond)))
            }
            // Only against the immediate 0, as the kernel infers (a register holding 0
            // refines nothing there).
            (nullable, zero) | (zero, nullable)
                if zero.is_null_constant()
                    && src_reg.is_none()
                    && matches!(cond, Cond::Eq | Cond::Ne)
                    && width == Width::W64
                    && matches!(nullable, Value::Pointer(_) | Value::Func(_)) =>
            {
                let (null, non_null) = null_split(state, nullable, if zero == &a { src_reg } else { Some(dst) }, self);
                if cond == Cond::Eq { (null, non_null) } else { (non_null, null) }
            }
            (Value::Pointer(p), Value::Pointer(q)) if width == Width::W64 => {
                // Equal to a pointer that is not NULL (and cannot have wrapped to 0): not NULL.
                let known = |p: &Pointer| !p.null.may_be_null() && p.has_small_offset();
                let nullable = match () {
                    _ if known(p) && q.null.may_be_null() => Some((q, src_reg)),
                    _ if known(q) && p.null.may_be_null() => Some((p, Some(dst))),
                    _ => None,
                };
                if let Some((nullable, reg)) = nullable
                    && matches!(cond, Cond::Eq | Cond::Ne)
                {
                    let (_, non_null) = null_split(state, &Value::Pointer(nullable.clone()), reg, self);
                    return if cond == Cond::Eq {
                        (non_null, Some(state.clone()))
                    } else {
                        (Some(state.clone()), non_null)
                    };
                }
                let comparable = cond != Cond::Set
                    && !p.null.may_be_null()
                    && !q.null.may_be_null()
                    && p.has_small_offset()
                    && q.has_small_offset();
                if !comparable {
                    return (Some(state.clone()), Some(state.clone()));
                }
                if let Some(split) = self.packet_check(state, p, q, cond) {
                    return split;
                }
                if let Some(split) = self.packet_meta_check(state, p, q, cond) {
                    return split;
                }
                if p.same_object(q) {
                    return self.compare_offsets(state, p, q, cond, dst, src_reg);
                }
                (Some(state.clone()), Some(state.clone()))
            }
            _ => (Some(state.clone()), Some(state.clone())),
        }
    }

    /// `data + x <cond> data_end` (either way round): the edge where the packet pointer is at
    /// most `data_end` (by `extra` bytes for strict comparisons) learns the packet's length.
    fn packet_check(&self, state: &State, p: &Pointer, q: &Pointer, cond: Cond) -> Option<(Reach, Reach)> {
        // (packet pointer, its margin below data_end on the taken edge, on the fall-through edge)
        let (packet, taken, fallthrough) = match (p.region, q.region, cond) {
            (Region::Packet, Region::PacketEnd, Cond::Gt) => (p, None, Some(0)),
            (Region::Packet, Region::PacketEnd, Cond::Ge) => (p, None, Some(1)),
            (Region::Packet, Region::PacketEnd, Cond::Lt) => (p, Some(1), None),
            (Region::Packet, Region::PacketEnd, Cond::Le) => (p, Some(0), None),
            (Region::PacketEnd, Region::Packet, Cond::Gt) => (q, Some(1), None),
            (Region::PacketEnd, Region::Packet, Cond::Ge) => (q, Some(0), None),
            (Region::PacketEnd, Region::Packet, Cond::Lt) => (q, None, Some(0)),
            (Region::PacketEnd, Region::Packet, Cond::Le) => (q, None, Some(1)),
            _ => return None,
        };
        let learn = |margin: Option<i64>| {
            let mut s = state.clone();
            if let Some(extra) = margin {
                if let Some((lo, _)) = packet.offset.signed_bounds()
                    && lo >= 0
                {
                    s.packet.learn_min_len((lo + extra) as u64);
                }
                if let Some(var) = packet.var {
                    s.packet.learn_range(var.id, var.fixed + extra);
                }
            }
            Some(s)
        };
        Some((learn(taken), learn(fallthrough)))
    }

    /// Two pointers into one object with small offsets compare as their offsets, signed
    /// (the addresses do not wrap).
    fn compare_offsets(
        &self,
        state: &State,
        p: &Pointer,
        q: &Pointer,
        cond: Cond,
        dst: Reg,
        src: Option<Reg>,
    ) -> (Reach, Reach) {
        let cond = as_signed(cond);
        let edge = |relation: Relation| {
            let (x, y) = p.offset.refine(relation, Width::W64, &q.offset);
            if x.is_bottom() || y.is_bottom() {
                return None;
            }
            let mut s = state.clone();
            s.set(dst, Value::Pointer(Pointer { offset: x, ..p.clone() }));
            if let Some(r) = src
                && r != dst
            {
                s.set(r, Value::Pointer(Pointer { offset: y, ..q.clone() }));
            }
            Some(s)
        };
        (edge(Relation::taken(cond)), edge(Relation::not_taken(cond)))
    }
}

/// The signed form of an unsigned comparison.
fn as_signed(cond: Cond) -> Cond {
    match cond {
        Cond::Gt => Cond::SGt,
        Cond::Ge => Cond::SGe,
        Cond::Lt => Cond::SLt,
        Cond::Le => Cond::SLe,
        other => other,
    }
}

/// The states where `value` (in register `reg`) is NULL and where it is not.
fn null_split(state: &State, value: &Value, reg: Option<Reg>, env: &Env) -> (Reach, Reach) {
    // A non-NULL pointer with a large offset may still have wrapped to address 0.
    let (may_be_null, shared) = match value {
        Value::Pointer(p) => (p.null.may_be_null() || !p.has_small_offset(), p.null.id()),
        Value::Func(f) => (f.nullable, None),
        _ => (false, None),
    };
    // Copies of one result are NULL together; the checked pointer is NULL exactly when the
    // result is unless its offset may wrap it to 0.
    let shares_null = matches!(value, Value::Pointer(p) if p.has_small_offset());
    let refine = |to_null: bool| {
        let mut s = state.clone();
        let refined = |v: &Value| -> Value {
            match v {
                _ if to_null => Value::constant(env.domain, 0),
                Value::Pointer(p) => Value::Pointer(Pointer { null: Nullness::NonNull, ..p.clone() }),
                Value::Func(f) => Value::Func(Functions { set: f.set.clone(), nullable: false }),
                other => other.clone(),
            }
        };
        match shared {
            Some(id) if shares_null || !to_null => s.map_values(&|v| match v {
                Value::Pointer(p) if p.null.id() == Some(id) => Some(refined(v)),
                _ => None,
            }),
            _ => {
                if let Some(r) = reg {
                    s.set(r, refined(value));
                }
            }
        }
        s
    };
    let null = may_be_null.then(|| refine(true));
    let is_null_only = matches!(value, Value::Func(f) if f.set.is_empty());
    let non_null = (!is_null_only).then(|| refine(false));
    (null, non_null)
}
