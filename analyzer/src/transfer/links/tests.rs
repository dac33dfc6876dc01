//! Randomised soundness of the link transfer against the one semantics: a concrete point
//! (four registers holding numbers or packet pointers, two 8-byte stack slots, a packet
//! length) inside a random abstract state with random true links, one random instruction
//! run on both, and on the edge the concrete run takes every stored link must hold of the
//! concrete words, every number and packet offset must lie in its refined value, and every
//! packet range must hold of the packet's length.

use bpfprove_domains::{DomainKind, Relation};
use bpfprove_semantics::alu;
use bpfprove_semantics::isa::{Cond, Reg, Size};

use super::*;
use crate::counterexample::Rng;
use crate::transfer::one_instruction::post_alone;
use crate::value::PacketVar;

const D: DomainKind = DomainKind::Product;
/// Where the concrete packet starts.
const DATA: u64 = 0x9_0000_0000;
const REGS: [Reg; 4] = [Reg::R1, Reg::R2, Reg::R3, Reg::R4];
/// The two stack slots' offsets from `r10`.
const SLOTS: [i16; 2] = [-8, -16];

/// The concrete point: each register's and slot's word, and the packet's length.
#[derive(Clone, Debug)]
struct Point {
    regs: [u64; 4],
    slots: [u64; 2],
    len: u64,
}

impl Point {
    fn word(&self, place: Place) -> Option<u64> {
        match place {
            Place::Reg(r) => REGS.iter().position(|&x| x == r).map(|i| self.regs[i]),
            Place::Slot { frame: 0, start, size: 8 } => SLOTS.iter().position(|&s| s == start).map(|i| self.slots[i]),
            Place::Slot { .. } => None,
        }
    }
}

fn constant(c: u64) -> Num {
    match Value::constant(D, c) {
        Value::Scalar(n) => n,
        _ => unreachable!("constants are numbers"),
    }
}

fn between(lo: u64, hi: u64, signed: bool) -> Num {
    let Value::Scalar(top) = Value::top(D) else { unreachable!("top is a number") };
    let (ge, le) = if signed { (Cond::SGe, Cond::SLe) } else { (Cond::Ge, Cond::Le) };
    let n = top.refine(Relation::Holds(ge), Width::W64, &constant(lo)).0;
    n.refine(Relation::Holds(le), Width::W64, &constant(hi)).0
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

/// A random value around `w`, a number.
fn number_around(rng: &mut Rng, w: u64) -> Value {
    let slack = |rng: &mut Rng| if rng.below(3) == 0 { rng.below(1 << 40) } else { rng.below(8) };
    match rng.below(4) {
        0 => Value::top(D),
        _ => Value::Scalar(between(w.saturating_sub(slack(rng)), w.saturating_add(slack(rng)), false)),
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
    let off = SLOTS[rng.below(2) as usize];
    let conds =
        [Cond::Eq, Cond::Ne, Cond::Gt, Cond::Ge, Cond::Lt, Cond::Le, Cond::SGt, Cond::SGe, Cond::SLt, Cond::SLe];
    let cond = conds[rng.below(10) as usize];
    match rng.below(10) {
        0 => Insn::Alu { width, op: BinOp::Mov, dst, src: Operand::Reg(src) },
        1 => Insn::Alu { width, op: BinOp::Add, dst, src: Operand::Imm(imm) },
        2 => Insn::Alu { width, op: BinOp::Sub, dst, src: Operand::Imm(imm) },
        3 => Insn::Alu { width, op: BinOp::Add, dst, src: Operand::Reg(src) },
        4 => Insn::Store { size: Size::DW, dst: Reg::R10, off, src: Operand::Reg(src) },
        5 => Insn::Store { size: Size::W, dst: Reg::R10, off: off + 4 * rng.below(2) as i16, src: Operand::Imm(imm) },
        6 => Insn::Load { size: Size::DW, signed: false, dst, src: Reg::R10, off },
        7 => Insn::Jump { width, cond, dst, src: Operand::Reg(src), off: 1 },
        _ => Insn::Jump { width, cond, dst, src: Operand::Imm(imm), off: 1 },
    }
}

/// A random abstract state holding `point`, with random true links.
fn random_state(rng: &mut Rng, point: &mut Point) -> State {
    let mut state = State::entry(D);
    state.packet.min_len = rng.below(point.len + 1);
    for (i, &r) in REGS.iter().enumerate() {
        let value = if rng.below(3) == 0 {
            // A packet pointer, with a variable part (its own id) half the time.
            let o = rng.below(90) as i64 - 8;
            point.regs[i] = DATA.wrapping_add(o as u64);
            let (lo, hi) = (o - rng.below(8) as i64, o + rng.below(8) as i64);
            let mut pointer =
                Pointer { offset: between(lo as u64, hi as u64, true), ..Pointer::at(Region::Packet, D, 0) };
            if rng.below(2) == 0 {
                let id = 100 + i as u32;
                let fixed = rng.below(5) as i64;
                pointer.var = Some(PacketVar { id, fixed });
                let base = o - fixed;
                // A true range: len >= base + range.
                if rng.below(2) == 0 {
                    state.packet.learn_range(id, point.len as i64 - base - rng.below(4) as i64);
                }
            }
            Value::Pointer(pointer)
        } else {
            point.regs[i] = random_word(rng);
            number_around(rng, point.regs[i])
        };
        state.set(r, value);
    }
    for (i, &start) in SLOTS.iter().enumerate() {
        point.slots[i] = random_word(rng);
        let value = number_around(rng, point.slots[i]);
        if let Some(frame) = state.frame_mut(0) {
            frame.write(start, 8, value, D);
        }
    }
    let places: Vec<Place> = REGS
        .iter()
        .map(|&r| Place::Reg(r))
        .chain(SLOTS.iter().map(|&start| Place::Slot { frame: 0, start, size: 8 }))
        .collect();
    let mut facts = Vec::new();
    for _ in 0..rng.below(5) {
        let (p, q) = (places[rng.below(6) as usize], places[rng.below(6) as usize]);
        let (Some(wp), Some(wq)) = (point.word(p), point.word(q)) else { continue };
        facts.push(Link { place: p, base: q, offset: wp.wrapping_sub(wq) });
    }
    state.links = Links::from_facts(facts);
    state.drop_stale_ties();
    state
}

/// The concrete successor of `insn` from `point`: the next pc and the new point.
fn run(insn: Insn, point: &Point) -> (usize, Point) {
    let mut after = point.clone();
    let word = |r: Reg| point.word(Place::Reg(r)).expect("a test register");
    let index = |r: Reg| REGS.iter().position(|&x| x == r).expect("a test register");
    let slot = |off: i16| SLOTS.iter().position(|&s| s == off);
    match insn {
        Insn::Alu { width, op, dst, src } => {
            let s = match src {
                Operand::Reg(r) => word(r),
                Operand::Imm(i) => i64::from(i) as u64,
            };
            after.regs[index(dst)] = alu::binary(op, width, &word(dst), &s);
            (1, after)
        }
        Insn::Store { size: Size::DW, off, src: Operand::Reg(src), .. } => {
            after.slots[slot(off).expect("a test slot")] = word(src);
            (1, after)
        }
        Insn::Store { off, src: Operand::Imm(imm), .. } => {
            // A 4-byte store into the low (at -8/-16) or high (at -4/-12) half.
            let (i, shift) = match slot(off) {
                Some(i) => (i, 0),
                None => (slot(off - 4).expect("a test slot"), 32),
            };
            let mask = 0xffff_ffffu64 << shift;
            after.slots[i] = (after.slots[i] & !mask) | ((u64::from(imm as u32)) << shift);
            (1, after)
        }
        Insn::Load { dst, off, .. } => {
            after.regs[index(dst)] = point.slots[slot(off).expect("a test slot")];
            (1, after)
        }
        Insn::Jump { width, cond, dst, src, .. } => {
            let s = match src {
                Operand::Reg(r) => word(r),
                Operand::Imm(i) => i64::from(i) as u64,
            };
            let taken: bool = Relation::Holds(cond).holds(width, &word(dst), &s);
            (if taken { 2 } else { 1 }, after)
        }
        other => unreachable!("not generated: {other:?}"),
    }
}

/// Whether `link` is true of the words `word` gives (`None`: a place without one).
fn holds(link: &Link, word: impl Fn(Place) -> Option<u64>) -> Option<bool> {
    Some(word(link.place)? == word(link.base)?.wrapping_add(link.offset))
}

#[test]
fn random_instructions_keep_concrete_states_in_the_links() {
    let mut rng = Rng::new(0x0e66_11c5);
    let (mut linked, mut refined) = (0, 0);
    for round in 0..20_000 {
        let mut point = Point { regs: [0; 4], slots: [0; 2], len: rng.below(100) };
        let state = random_state(&mut rng, &mut point);
        let insn = random_insn(&mut rng);
        let post = post_alone(insn, &state, crate::domain_spec::Zones::Off, true);
        let (next_pc, after) = run(insn, &point);
        let Some((_, successor)) = post.edges.iter().find(|(pc, _)| *pc == next_pc) else {
            panic!("round {round}: {insn:?} from {point:?}, links {:?}: the edge to {next_pc} is pruned", state.links);
        };
        let context = || format!("round {round}: {insn:?} from {point:?} to {after:?}, links {:?}", state.links);
        if !successor.links.is_empty() {
            linked += 1;
        }
        for link in successor.links.facts() {
            match holds(&link, |p| after.word(p)) {
                Some(true) => {}
                Some(false) => panic!("{}: {link:?} fails, links after {:?}", context(), successor.links),
                None => panic!("{}: {link:?} names a place the test does not track", context()),
            }
        }
        for (i, &r) in REGS.iter().enumerate() {
            let w = after.regs[i];
            match successor.reg(r) {
                Value::Scalar(n) => assert!(n.contains(&w), "{}: {r} holds {w:#x}, not in {n:?}", context()),
                Value::Pointer(p) if p.region == Region::Packet => {
                    let o = w.wrapping_sub(DATA);
                    assert!(p.offset.contains(&o), "{}: {r} at offset {o:#x}, not in {:?}", context(), p.offset);
                    if let Some(var) = p.var
                        && let Some(&range) = successor.packet.ranges.get(&var.id)
                    {
                        let base = (o as i64) - var.fixed;
                        assert!(
                            i128::from(point.len) >= i128::from(base) + i128::from(range),
                            "{}: {r}'s variable {} has range {range}, past the length",
                            context(),
                            var.id
                        );
                    }
                }
                _ => {}
            }
            if let (Value::Scalar(before), Value::Scalar(now)) = (state.reg(r), successor.reg(r))
                && matches!(insn, Insn::Jump { .. })
                && before != now
            {
                refined += 1;
            }
        }
        for (i, &start) in SLOTS.iter().enumerate() {
            if let Some(Value::Scalar(n)) = successor.value_at(Place::Slot { frame: 0, start, size: 8 }) {
                let w = after.slots[i];
                assert!(n.contains(&w), "{}: slot {start} holds {w:#x}, not in {n:?}", context());
            }
        }
        assert!(successor.packet.min_len <= point.len, "{}: min_len past the length", context());
    }
    assert!(linked > 5_000, "only {linked} successors kept a link");
    assert!(refined > 500, "only {refined} registers refined by branches");
}
