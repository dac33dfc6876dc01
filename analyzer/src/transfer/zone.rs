//! The zone transfer (see [`crate::zone`] for the variables and what they mean).
//!
//! Every register an instruction may write loses its constraints; then the relation of
//! the new value to the old ones is added, only where the values' bounds show that machine
//! arithmetic computes the mathematical one:
//! - `dst = src` (64-bit; 32-bit when `src` fits in 32 bits): `dst' = src`;
//! - `dst += c`, `dst -= c` (64-bit): `dst' = dst + c`, for numbers when the sum stays in
//!   `[0, 2^64)`, for packet offsets always (they are small);
//! - `dst += src` (64-bit; number + number without wrap, packet pointer + number or
//!   number + packet pointer with the number below 2^62): `dst' - dst ∈ bounds(src)` and
//!   `dst' - src ∈ bounds(dst)`;
//! - `dst -= src` (64-bit): a number minus a number it cannot exceed, a packet pointer minus
//!   a number below 2^62, a packet pointer minus one it cannot exceed, `data_end` minus a
//!   packet pointer known to be at most `data_end`: `dst' - dst ∈ -bounds(src)`.
//!
//! Calls, `LD_ABS`/`LD_IND`, atomics and exits forget the whole zone. A branch comparing two
//! registers adds `x - y <= -1` or `<= 0` on each edge where the comparison orders the
//! variables as it orders the words: numbers compared unsigned (or signed when both are
//! below 2^63; 32-bit when both fit), packet offsets and `data_end` compared 64-bit.
//!
//! Each successor is then settled: the variables' bounds from the non-relational values and
//! the packet facts are added (so the zone knows what the values know), and what the closed
//! zone implies flows back: bounds of numbers, the packet's minimum length, and per packet
//! variable the bytes known below `data_end`. A contradiction makes the edge unreachable.

use bpfprove_domains::{Lattice, Relation};
use bpfprove_semantics::isa::{BinOp, Cond, Insn, Operand, Reg, Width};

use super::Env;
use super::ties::stack_target;
use crate::domain_spec::Zones;
use crate::state::{State, is_packet_offset};
use crate::ties::Place;
use crate::value::{Region, Value};
use crate::zone::{Var, Zone};

/// Numbers added to packet offsets stay below this, so offsets stay far from wrapping.
const SMALL_ADDEND: i128 = 1 << 62;

/// Largest unsigned 64-bit number.
const U64_MAX: i128 = u64::MAX as i128;

/// The zone variable register `reg` holds in `state`, if any.
pub fn var_of(state: &State, reg: Reg) -> Option<Var> {
    match state.reg(reg) {
        Value::Scalar(_) => Some(Var::Num(reg)),
        Value::Pointer(p) if is_packet_offset(p) => Some(Var::Off(reg)),
        Value::Pointer(p)
            if p.region == Region::PacketEnd && !p.null.may_be_null() && p.offset.as_constant() == Some(0) =>
        {
            Some(Var::Len)
        }
        _ => None,
    }
}

/// What the non-relational parts of `state` know of `var`: (lower, upper) bounds.
fn bounds(state: &State, var: Var) -> (Option<i128>, Option<i128>) {
    match var {
        Var::Zero => (Some(0), Some(0)),
        Var::Len => (Some(i128::from(state.packet.min_len)), None),
        Var::Num(_) | Var::Slot { .. } => match state.zone_number(var).and_then(|n| n.unsigned_bounds()) {
            Some((lo, hi)) => (Some(i128::from(lo)), Some(i128::from(hi))),
            None => (None, None),
        },
        Var::Off(r) => match state.reg(r) {
            Value::Pointer(p) => match p.offset.signed_bounds() {
                Some((lo, hi)) => (Some(i128::from(lo)), Some(i128::from(hi))),
                None => (None, None),
            },
            _ => (None, None),
        },
        Var::Old => (None, None),
    }
}

/// Both bounds of `var`, when it has both.
fn range(state: &State, var: Var) -> Option<(i128, i128)> {
    match bounds(state, var) {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        _ => None,
    }
}

/// Whether `x <= y` always holds in `state` (by the zone or the bounds).
fn at_most(state: &State, x: Var, y: Var) -> bool {
    state.zone.bound(x, y).is_some_and(|c| c <= 0)
        || matches!((bounds(state, x).1, bounds(state, y).0), (Some(hi), Some(lo)) if hi <= lo)
}

impl Env<'_> {
    /// The zone after the non-jump instruction `insn`, run from `before` to `after`.
    pub(super) fn zone_after(&self, insn: &Insn, before: &State, after: &State) -> Zone {
        let mut zone = before.zone.clone();
        match *insn {
            Insn::Call(_) | Insn::Callx { .. } | Insn::LoadPacket { .. } | Insn::Atomic { .. } | Insn::Exit => {
                return Zone::none();
            }
            Insn::Alu { width, op, dst, src } => {
                let related = relate(&mut zone, before, after, width, op, dst, src);
                if !related {
                    zone.forget_reg(dst);
                }
                // A 64-bit copy, or a constant added without wrapping, is related exactly by
                // the rules: everything else follows by closure.
                let exact = related
                    && matches!(
                        (width, op, src),
                        (Width::W64, BinOp::Mov, Operand::Reg(_))
                            | (Width::W64, BinOp::Add | BinOp::Sub, Operand::Imm(_))
                    );
                if self.zones == Zones::Z3 && !exact {
                    self.z3_zone_after(before, after, insn, &mut zone);
                }
            }
            Insn::Store { size, dst, off, src } => {
                let bytes = i64::from(size.bytes());
                match stack_target(before, dst, off) {
                    Ok(Some((frame, start))) => {
                        zone.forget_where(|v| v.overlaps(frame, start, bytes));
                        // A 64-bit spill: the slot now holds the register's number.
                        if let (8, Operand::Reg(src), Ok(start)) = (bytes, src, i16::try_from(start))
                            && var_of(before, src) == Some(Var::Num(src))
                        {
                            let slot = Var::Slot { frame, start };
                            if !zone.add_range(slot, Var::Num(src), Some(0), Some(0)) {
                                zone.forget(slot);
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(()) => zone.forget_where(|v| matches!(v, Var::Slot { .. })),
                }
            }
            Insn::Load { size, dst, src, off, .. } => {
                zone.forget_reg(dst);
                // A 64-bit fill: the register now holds the slot's number.
                if size.bytes() == 8
                    && let Ok(Some((frame, start))) = stack_target(before, src, off)
                    && let Ok(start) = i16::try_from(start)
                    && var_of(after, dst) == Some(Var::Num(dst))
                {
                    let slot = Var::Slot { frame, start };
                    if zone.vars().contains(&slot) && !zone.add_range(Var::Num(dst), slot, Some(0), Some(0)) {
                        zone.forget_reg(dst);
                    }
                }
            }
            _ => {
                for reg in Reg::all().filter(|&r| insn.register_effects().writes.contains(r)) {
                    zone.forget_reg(reg);
                }
            }
        }
        zone.limit();
        zone
    }

    /// `edge`'s zone after the jump `if dst cond src` from `before`, on the edge where
    /// `relation` holds (the rules' zone, tightened by Z3 under zone-z3); `false` if the
    /// edge cannot be taken.
    #[must_use]
    pub(super) fn zone_branch(
        &self,
        before: &State,
        width: Width,
        relation: Relation,
        dst: Reg,
        src: Operand,
        edge: &mut State,
    ) -> bool {
        self.rules_zone_on_edge(before, width, relation, dst, src, edge)
            && (self.zones != Zones::Z3 || self.z3_zone_on_edge(before, width, relation, dst, src, edge))
    }

    /// The rules' part of [`Env::zone_branch`].
    fn rules_zone_on_edge(
        &self,
        before: &State,
        width: Width,
        relation: Relation,
        dst: Reg,
        src: Operand,
        edge: &mut State,
    ) -> bool {
        // The branch only narrows what the registers hold: what held before holds here.
        edge.zone = before.zone.clone();
        let (Operand::Reg(src), Relation::Holds(cond)) = (src, relation) else { return true };
        let (Some(x), Some(y)) = (var_of(before, dst), var_of(before, src)) else { return true };
        if src == dst {
            return true;
        }
        let fits = |bits: u32| {
            let below = |v: Var| range(before, v).is_some_and(|(lo, hi)| lo >= 0 && hi < 1i128 << bits);
            below(x) && below(y)
        };
        let signed = matches!(cond, Cond::SGt | Cond::SGe | Cond::SLt | Cond::SLe);
        let comparable = match (x, y, width) {
            (Var::Num(_), Var::Num(_), Width::W64) => !signed || fits(63),
            (Var::Num(_), Var::Num(_), Width::W32) => fits(if signed { 31 } else { 32 }),
            // Small packet offsets and `data_end`: the addresses order as the offsets.
            (Var::Off(_) | Var::Len, Var::Off(_) | Var::Len, Width::W64) => true,
            _ => false,
        };
        if !comparable {
            return true;
        }
        let zone = &mut edge.zone;
        match cond {
            Cond::Gt | Cond::SGt => zone.add(y, x, -1),
            Cond::Ge | Cond::SGe => zone.add(y, x, 0),
            Cond::Lt | Cond::SLt => zone.add(x, y, -1),
            Cond::Le | Cond::SLe => zone.add(x, y, 0),
            Cond::Eq => zone.add(x, y, 0) && zone.add(y, x, 0),
            Cond::Ne | Cond::Set => true,
        }
    }

    /// Exchanges what the zone and the rest of `state` know (see the module documentation);
    /// `false` if they contradict each other (the state is unreachable).
    #[must_use]
    pub(super) fn settle_zone(&self, state: &mut State) -> bool {
        if state.zone.is_empty() {
            return true;
        }
        state.drop_stale_ties();
        let vars = state.zone.vars();
        for &var in &vars {
            let (lo, hi) = bounds(state, var);
            if !state.zone.add_range(var, Var::Zero, lo, hi) {
                return false;
            }
            if let Var::Off(r) = var
                && let Value::Pointer(p) = state.reg(r)
                && let Some(pv) = p.var
                && let Some(&range) = state.packet.ranges.get(&pv.id)
                && !state.zone.add(var, Var::Len, i128::from(pv.fixed) - i128::from(range))
            {
                return false;
            }
        }
        for &var in &vars {
            match var {
                Var::Num(r) => {
                    let hi = state.zone.bound(var, Var::Zero);
                    let lo = state.zone.bound(Var::Zero, var).map(|c| -c);
                    let Value::Scalar(n) = state.reg(r) else { continue };
                    let Some((now_lo, now_hi)) = n.unsigned_bounds() else { return false };
                    let mut narrowed = n.clone();
                    let to_word = |c: i128| u64::try_from(c.clamp(0, U64_MAX)).expect("clamped");
                    if let Some(hi) = hi.filter(|&hi| hi < i128::from(now_hi)) {
                        let bound = Value::constant(self.domain, to_word(hi));
                        let Value::Scalar(b) = bound else { continue };
                        narrowed = narrowed.refine(Relation::Holds(Cond::Le), Width::W64, &b).0;
                    }
                    if let Some(lo) = lo.filter(|&lo| lo > i128::from(now_lo)) {
                        let bound = Value::constant(self.domain, to_word(lo));
                        let Value::Scalar(b) = bound else { continue };
                        narrowed = narrowed.refine(Relation::Holds(Cond::Ge), Width::W64, &b).0;
                    }
                    if &narrowed != n {
                        if narrowed.is_bottom() {
                            return false;
                        }
                        state.refine(r, Value::Scalar(narrowed));
                        if !state.spread_ties(Place::Reg(r)) {
                            return false;
                        }
                    }
                }
                Var::Off(r) => {
                    if let Value::Pointer(p) = state.reg(r)
                        && let Some(pv) = p.var
                        && let Some(d) = state.zone.bound(var, Var::Len)
                        && let Ok(range) = i64::try_from(i128::from(pv.fixed) - d)
                    {
                        state.packet.learn_range(pv.id, range);
                    }
                }
                Var::Len => {
                    if let Some(c) = state.zone.bound(Var::Zero, Var::Len)
                        && let Ok(min_len) = u64::try_from(-c)
                    {
                        state.packet.learn_min_len(min_len);
                    }
                }
                // A slot's number is not narrowed here: a fill relates it to the register.
                Var::Zero | Var::Slot { .. } | Var::Old => {}
            }
        }
        true
    }
}

/// Adds to `zone` the relation `dst`'s new value (in `after`) has to the values of
/// `before`; `false` when there is none to add (the caller forgets `dst`).
fn relate(zone: &mut Zone, before: &State, after: &State, width: Width, op: BinOp, dst: Reg, src: Operand) -> bool {
    let Some(new) = var_of(after, dst) else { return false };
    let old = var_of(before, dst);
    let source = match src {
        Operand::Reg(r) if r == dst => return false,
        Operand::Reg(r) => var_of(before, r),
        Operand::Imm(_) => None,
    };
    // `dst' - base ∈ [lo, hi]`, with `base` the old value when it is `Old`.
    let mut relations: Vec<(Var, i128, i128)> = Vec::new();
    match (width, op, src) {
        (Width::W64, BinOp::Mov, Operand::Reg(_)) => match (source, new) {
            (Some(s @ Var::Num(_)), Var::Num(_)) | (Some(s @ Var::Off(_)), Var::Off(_)) => relations.push((s, 0, 0)),
            _ => return false,
        },
        (Width::W32, BinOp::Mov, Operand::Reg(r)) => match (source, new) {
            (Some(s @ Var::Num(_)), Var::Num(_))
                if range(before, s).is_some_and(|(_, hi)| hi <= i128::from(u32::MAX))
                    && matches!(before.reg(r), Value::Scalar(_)) =>
            {
                relations.push((s, 0, 0))
            }
            _ => return false,
        },
        (Width::W64, BinOp::Add | BinOp::Sub, Operand::Imm(imm)) => {
            let c = if op == BinOp::Add { i128::from(imm) } else { -i128::from(imm) };
            match (old, new) {
                (Some(Var::Num(_)), Var::Num(_)) => {
                    let Some((lo, hi)) = range(before, Var::Num(dst)) else { return false };
                    if lo + c < 0 || hi + c > U64_MAX {
                        return false;
                    }
                }
                (Some(Var::Off(_)), Var::Off(_)) => {}
                _ => return false,
            }
            relations.push((Var::Old, c, c));
        }
        (Width::W64, BinOp::Add, Operand::Reg(_)) => {
            let (Some(x), Some(y)) = (old, source) else { return false };
            let (Some((x_lo, x_hi)), Some((y_lo, y_hi))) = (range(before, x), range(before, y)) else { return false };
            let allowed = match (x, y, new) {
                (Var::Num(_), Var::Num(_), Var::Num(_)) => x_hi + y_hi <= U64_MAX,
                (Var::Off(_), Var::Num(_), Var::Off(_)) => y_hi < SMALL_ADDEND,
                (Var::Num(_), Var::Off(_), Var::Off(_)) => x_hi < SMALL_ADDEND,
                _ => false,
            };
            if !allowed {
                return false;
            }
            relations.push((Var::Old, y_lo, y_hi));
            relations.push((y, x_lo, x_hi));
        }
        (Width::W64, BinOp::Sub, Operand::Reg(_)) => {
            let (Some(x), Some(y)) = (old, source) else { return false };
            let Some((y_lo, y_hi)) = range(before, y) else { return false };
            let allowed = match (x, y, new) {
                (Var::Num(_), Var::Num(_), Var::Num(_)) => at_most(before, y, x),
                (Var::Off(_), Var::Num(_), Var::Off(_)) => y_hi < SMALL_ADDEND,
                (Var::Off(_) | Var::Len, Var::Off(_), Var::Num(_)) => at_most(before, y, x),
                _ => false,
            };
            if !allowed {
                return false;
            }
            relations.push((if x == Var::Len { Var::Len } else { Var::Old }, -y_hi, -y_lo));
        }
        _ => return false,
    }
    if let Some(old @ (Var::Num(_) | Var::Off(_))) = old {
        zone.rename(old, Var::Old);
    }
    zone.forget_reg(dst);
    // The new value's constraints are satisfiable whenever the old state is: it is one
    // value related to each base, and the bases' bounds come from the state itself.
    let consistent = relations.into_iter().all(|(base, lo, hi)| zone.add_range(new, base, Some(lo), Some(hi)));
    zone.forget(Var::Old);
    if !consistent {
        // Only possible if the before-state was already empty; forgetting is sound.
        zone.forget_reg(dst);
    }
    true
}

#[cfg(test)]
mod tests {
    //! Randomised soundness of the zone transfer against the one semantics: a concrete state
    //! inside a random abstract state (values, packet length, zone), one random instruction
    //! run on both, and the concrete successor must lie in the abstract successor on the edge
    //! the concrete run takes (its zone, its numbers, its packet length).

    use bpfprove_domains::DomainKind;

    use crate::counterexample::Rng;
    use bpfprove_semantics::alu;

    use super::*;
    use crate::transfer::one_instruction::post_alone;
    use crate::value::{Num, Pointer};

    const D: DomainKind = DomainKind::Product;
    /// Where the concrete packet starts.
    const DATA: u64 = 0x9_0000_0000;
    const REGS: [Reg; 4] = [Reg::R1, Reg::R2, Reg::R3, Reg::R4];

    /// What a register holds concretely.
    #[derive(Clone, Copy, Debug)]
    enum Held {
        Num(u64),
        Off(i64),
        End,
    }

    fn num_between(lo: u64, hi: u64) -> Num {
        let Value::Scalar(top) = Value::top(D) else { unreachable!("top is a number") };
        let constant = |c: u64| match Value::constant(D, c) {
            Value::Scalar(n) => n,
            _ => unreachable!("constants are numbers"),
        };
        let n = top.refine(Relation::Holds(Cond::Ge), Width::W64, &constant(lo)).0;
        n.refine(Relation::Holds(Cond::Le), Width::W64, &constant(hi)).0
    }

    fn signed_between(lo: i64, hi: i64) -> Num {
        let Value::Scalar(top) = Value::top(D) else { unreachable!("top is a number") };
        let constant = |c: i64| match Value::constant(D, c as u64) {
            Value::Scalar(n) => n,
            _ => unreachable!("constants are numbers"),
        };
        let n = top.refine(Relation::Holds(Cond::SGe), Width::W64, &constant(lo)).0;
        n.refine(Relation::Holds(Cond::SLe), Width::W64, &constant(hi)).0
    }

    fn random_word(rng: &mut Rng) -> u64 {
        match rng.below(5) {
            0 => rng.below(64),
            1 => u64::MAX - rng.below(64),
            2 => (1 << 32) - 32 + rng.below(64),
            3 => (1 << 63) - 32 + rng.below(64),
            _ => rng.next_u64(),
        }
    }

    fn word(held: Held, len: u64) -> u64 {
        match held {
            Held::Num(v) => v,
            Held::Off(o) => DATA.wrapping_add(o as u64),
            Held::End => DATA + len,
        }
    }

    /// The value of `var` at the concrete point, if the abstract state reads it so.
    fn value_at(var: Var, state: &State, held: &[Held; 4], len: u64) -> Option<i128> {
        let at = |r: Reg| held[REGS.iter().position(|&x| x == r)?].into();
        match var {
            Var::Zero => Some(0),
            Var::Len => Some(i128::from(len)),
            Var::Num(r) => {
                let h: Option<Held> = at(r);
                matches!(state.reg(r), Value::Scalar(_)).then(|| i128::from(word(h.expect("a test register"), len)))
            }
            Var::Off(r) => {
                let h: Option<Held> = at(r);
                Some(i128::from(word(h.expect("a test register"), len).wrapping_sub(DATA) as i64))
            }
            // One instruction on registers alone: no slot has a variable.
            Var::Slot { .. } | Var::Old => None,
        }
    }

    fn random_insn(rng: &mut Rng) -> Insn {
        let reg = |rng: &mut Rng| REGS[rng.below(4) as usize];
        let (dst, src) = (reg(rng), reg(rng));
        let width = if rng.below(3) == 0 { Width::W32 } else { Width::W64 };
        let imm = match rng.below(3) {
            0 => rng.below(64) as i32 - 32,
            1 => i32::MAX - rng.below(4) as i32,
            _ => i32::MIN + rng.below(4) as i32,
        };
        let others = [
            BinOp::Mul,
            BinOp::Div,
            BinOp::Mod,
            BinOp::And,
            BinOp::Or,
            BinOp::Xor,
            BinOp::Lsh,
            BinOp::Rsh,
            BinOp::Arsh,
        ];
        let operand = |rng: &mut Rng| {
            if rng.below(2) == 0 { Operand::Reg(src) } else { Operand::Imm(rng.below(70) as i32 - 3) }
        };
        match rng.below(8) {
            6 => Insn::Alu { width, op: others[rng.below(others.len() as u64) as usize], dst, src: operand(rng) },
            0 => Insn::Alu { width, op: BinOp::Mov, dst, src: Operand::Reg(src) },
            1 => Insn::Alu { width: Width::W64, op: BinOp::Add, dst, src: Operand::Imm(imm) },
            2 => Insn::Alu { width: Width::W64, op: BinOp::Sub, dst, src: Operand::Imm(imm) },
            3 => Insn::Alu { width, op: BinOp::Add, dst, src: Operand::Reg(src) },
            4 => Insn::Alu { width, op: BinOp::Sub, dst, src: Operand::Reg(src) },
            _ => {
                let conds = [
                    Cond::Eq,
                    Cond::Ne,
                    Cond::Gt,
                    Cond::Ge,
                    Cond::Lt,
                    Cond::Le,
                    Cond::SGt,
                    Cond::SGe,
                    Cond::SLt,
                    Cond::SLe,
                ];
                let src = if rng.below(3) == 0 { Operand::Imm(imm) } else { Operand::Reg(src) };
                Insn::Jump { width, cond: conds[rng.below(10) as usize], dst, src, off: 1 }
            }
        }
    }

    #[test]
    fn random_instructions_keep_concrete_states_in_the_zone() {
        let related = random_instructions_keep_concrete_states(Zones::Rules, 0x2014_0e5e, 20_000);
        assert!(related > 5_000, "only {related} successors kept a zone");
    }

    /// The same with Z3's transfers (fewer rounds: each asks the solver).
    #[test]
    fn random_instructions_keep_concrete_states_in_the_z3_zone() {
        let related = random_instructions_keep_concrete_states(Zones::Z3, 0x2026_1205, 800);
        assert!(related > 200, "only {related} successors kept a zone");
    }

    /// Runs `rounds` random instructions from random states (see the module
    /// documentation); the number of successors that kept a zone.
    fn random_instructions_keep_concrete_states(zones: Zones, seed: u64, rounds: usize) -> usize {
        let mut rng = Rng::new(seed);
        let mut related = 0;
        for round in 0..rounds {
            let len = rng.below(100);
            let mut held = [Held::Num(0); 4];
            let mut state = State::entry(D);
            state.packet.min_len = rng.below(len + 1);
            for (i, &r) in REGS.iter().enumerate() {
                let slack = |rng: &mut Rng| if rng.below(3) == 0 { rng.below(1 << 40) } else { rng.below(8) };
                let (h, value) = match rng.below(4) {
                    0 | 1 => {
                        let v = random_word(&mut rng);
                        let (lo, hi) = (v.saturating_sub(slack(&mut rng)), v.saturating_add(slack(&mut rng)));
                        (Held::Num(v), Value::Scalar(num_between(lo, hi)))
                    }
                    2 => {
                        let o = rng.below(90) as i64 - 8;
                        let (lo, hi) = (o - rng.below(8) as i64, o + rng.below(8) as i64);
                        let pointer = Pointer { offset: signed_between(lo, hi), ..Pointer::at(Region::Packet, D, 0) };
                        (Held::Off(o), Value::Pointer(pointer))
                    }
                    _ => (Held::End, Value::Pointer(Pointer::at(Region::PacketEnd, D, 0))),
                };
                held[i] = h;
                state.set(r, value);
            }
            // A random zone the point satisfies.
            let vars: Vec<Var> = [Var::Zero, Var::Len]
                .into_iter()
                .chain(REGS.iter().filter_map(|&r| var_of(&state, r).filter(|v| v.reg().is_some())))
                .collect();
            for _ in 0..rng.below(5) {
                let (x, y) = (vars[rng.below(vars.len() as u64) as usize], vars[rng.below(vars.len() as u64) as usize]);
                let (vx, vy) = (value_at(x, &state, &held, len), value_at(y, &state, &held, len));
                let (Some(vx), Some(vy)) = (vx, vy) else { continue };
                assert!(state.zone.add(x, y, vx - vy + rng.below(3) as i128), "the point satisfies it");
            }
            let insn = random_insn(&mut rng);
            let post = post_alone(insn, &state, zones, false);
            // The concrete run.
            let word_of = |r: Reg| word(held[REGS.iter().position(|&x| x == r).expect("test register")], len);
            let (next_pc, mut after) = match insn {
                Insn::Alu { width, op, dst, src } => {
                    let s = match src {
                        Operand::Reg(r) => word_of(r),
                        Operand::Imm(i) => i64::from(i) as u64,
                    };
                    let result = alu::binary(op, width, &word_of(dst), &s);
                    let mut after = held;
                    after[REGS.iter().position(|&x| x == dst).expect("test register")] = Held::Num(result);
                    (1, after)
                }
                Insn::Jump { width, cond, dst, src, .. } => {
                    let s = match src {
                        Operand::Reg(r) => word_of(r),
                        Operand::Imm(i) => i64::from(i) as u64,
                    };
                    let taken: bool = Relation::Holds(cond).holds(width, &word_of(dst), &s);
                    (if taken { 2 } else { 1 }, held)
                }
                other => unreachable!("not generated: {other:?}"),
            };
            let Some((_, successor)) = post.edges.iter().find(|(pc, _)| *pc == next_pc) else {
                panic!("round {round}: {insn:?} from {held:?} (len {len}) takes the edge to {next_pc}, pruned");
            };
            // A register the analyzer holds as a pointer is read as one.
            for (i, &r) in REGS.iter().enumerate() {
                if let (Held::Num(w), Value::Pointer(p)) = (after[i], successor.reg(r))
                    && p.region == Region::Packet
                {
                    after[i] = Held::Off(w.wrapping_sub(DATA) as i64);
                }
            }
            if !successor.zone.is_empty() {
                related += 1;
            }
            for (x, y, c) in successor.zone.constraints() {
                let (vx, vy) = (value_at(x, successor, &after, len), value_at(y, successor, &after, len));
                let (Some(vx), Some(vy)) = (vx, vy) else {
                    panic!("round {round}: {insn:?}: the zone names {x:?} or {y:?}, which the state does not hold");
                };
                assert!(
                    vx - vy <= c,
                    "round {round}: {insn:?} from {held:?} (len {len}), zone {:?}: {x:?} - {y:?} <= {c} fails at {after:?}",
                    state.zone
                );
            }
            for (i, &r) in REGS.iter().enumerate() {
                if let (Held::Num(v), Value::Scalar(n)) = (after[i], successor.reg(r)) {
                    assert!(n.contains(&v), "round {round}: {insn:?}: {r} holds {v:#x}, not in {n:?}");
                }
            }
            assert!(successor.packet.min_len <= len, "round {round}: {insn:?}: min_len past the length");
        }
        related
    }
}
