//! The targeted search: the program's paths to an obligation's pc run symbolically, the
//! input a set of Z3 variables (the packet's or the raw context's bytes, the packet's length,
//! the context fields a run may choose), and a model of one path's constraints together
//! with the failure at the pc is an input to try.
//!
//! Registers and stack hold bit-vector terms built by the one semantics ([`crate`] reads
//! `bpfprove_semantics::alu` over [`Z3Word`]). Only what the input decides is tracked
//! precisely: packet and context pointers with their offsets, the stack of every frame,
//! packet stores. What the model does not follow (helper results, map values, pointers to
//! kernel objects) is an unconstrained term, so a path through it gives a guess, not a
//! proof: every input found here is a candidate the interpreter must confirm, and
//! [`super::search`] reports only those it does.
//!
//! Paths are explored depth first, a branch taken only when the solver finds its side
//! feasible; every instruction and every solver query is charged to the [`Budget`], and
//! each query's time is bounded by what is left of the deadline.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bpfprove_domains::check::z3word::Z3Word;
use bpfprove_semantics::alu;
use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::interp::context::{FieldSelector, ProgramType};
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::isa::{
    AtomicOp, BinOp, CallTarget, Cond, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width,
};
use bpfprove_semantics::model::context::{ContextKind, ContextLayout, FieldInit, FieldKind, PacketEdge};
use bpfprove_semantics::program::Program;
use bpfprove_semantics::word::Word;
use z3::ast::{Array, Ast, BV, Bool};
use z3::{Params, SatResult, Solver, Sort};

use super::budget::Budget;
use super::generate::MapShape;
use super::input::{Counterexample, MapEntry};

/// Solver queries are charged as this many instructions of work.
pub const STEPS_PER_QUERY: u64 = 64;
/// Longest path followed (instructions), so loops unroll only so far.
const MAX_PATH_LEN: usize = 4096;
/// Most candidate inputs produced for one obligation.
const MAX_CANDIDATES: usize = 8;
/// Most candidate inputs for an obligation whose failure the model cannot state.
const MAX_REACHING_CANDIDATES: usize = 3;
/// Most frames of bpf-to-bpf calls followed (the kernel's limit).
const MAX_FRAMES: usize = 8;
/// Longest a single solver query may take, in milliseconds.
const MAX_QUERY_MS: u64 = 500;

/// What a register or spilled stack slot holds.
#[derive(Clone, Debug)]
enum Sym {
    /// A number.
    Scalar(BV),
    /// The packet's start plus this offset.
    Packet(BV),
    /// The packet's end plus this offset.
    PacketEnd(BV),
    /// The context plus a known offset.
    Context(i64),
    /// A frame's stack pointer plus a known offset (0 is `r10`).
    Stack { frame: usize, offset: i64 },
    /// A map (an `lddw` of its handle).
    Map(MapId),
    /// The value [`State::lookups`]`[lookup]` found, plus this offset; NULL unless it is
    /// present.
    MapValue { lookup: usize, offset: BV },
    /// A pointer this model does not follow.
    Opaque,
}

/// One `bpf_map_lookup_elem` of a path: its key, whether it finds an entry and the
/// entry's value as the run starts (`initial`) and as the path's stores left it.
#[derive(Clone, Debug)]
struct Lookup {
    map: usize,
    key: Vec<BV>,
    present: Bool,
    initial: Array,
    current: Array,
}

/// `bpf_map_lookup_elem`.
const MAP_LOOKUP_ELEM: i32 = 1;

/// One byte of a stack.
#[derive(Clone, Debug)]
enum StackByte {
    Value(BV),
    /// Byte `index` of an 8-byte pointer spill.
    Pointer(Sym, u8),
}

/// The inputs as variables.
struct Inputs {
    /// The packet's or raw context's bytes, by 64-bit index.
    bytes: Array,
    /// The packet's length (64 bits); for a raw context its fixed length.
    len: BV,
    /// Context words a run may choose, by byte offset of the word: the selector and the
    /// 32-bit variable.
    fields: BTreeMap<u32, (FieldSelector, BV)>,
}

/// One path's state.
#[derive(Clone)]
struct State {
    pc: usize,
    regs: Vec<Sym>,
    /// Return pc and callee-saved registers of each caller frame.
    frames: Vec<(usize, Vec<Sym>)>,
    stack: BTreeMap<(usize, i64), StackByte>,
    packet: Array,
    constraints: Vec<Bool>,
    lookups: Vec<Lookup>,
    length: usize,
}

/// A symbolic explorer for one program.
pub struct Explorer<'p> {
    program: &'p Program,
    program_type: ProgramType,
    layout: Option<&'static ContextLayout>,
    /// Bytes of a raw context (fixed).
    raw_len: Option<usize>,
    max_packet_len: usize,
    /// The maps runs may fill.
    maps: Vec<MapShape>,
}

fn constant(value: u64) -> BV {
    BV::from_u64(value, 64)
}

fn scalar_word(sym: &Sym) -> Option<BV> {
    match sym {
        Sym::Scalar(bv) => Some(bv.clone()),
        _ => None,
    }
}

/// A known value of a term, if it simplifies to a constant.
fn known(bv: &BV) -> Option<u64> {
    bv.simplify().as_u64()
}

impl<'p> Explorer<'p> {
    /// An explorer for `program` run as `program_type`, with packets of at most
    /// `max_packet_len` bytes and a raw context of `raw_len` bytes.
    pub fn new(
        program: &'p Program,
        program_type: ProgramType,
        raw_len: Option<usize>,
        max_packet_len: usize,
        maps: Vec<MapShape>,
    ) -> Explorer<'p> {
        let layout = match program_type.context() {
            ContextKind::Packet(layout) => Some(layout),
            _ => None,
        };
        Explorer { program, program_type, layout, raw_len, max_packet_len, maps }
    }

    /// Up to [`MAX_CANDIDATES`] inputs, each a model of one path that reaches `target`
    /// and, where the model can say so, fails there; `accept` is offered each at once
    /// (and may run it) and stops the exploration by returning true.
    pub fn explore(
        &self,
        target: usize,
        budget: &mut Budget,
        accept: &mut dyn FnMut(Counterexample, &mut Budget) -> bool,
    ) {
        // One obligation takes at most half of what is left, so the next ones and the
        // random search after this one still get their turn.
        let mut allowance = budget.half();
        self.explore_within(target, &mut allowance, budget, accept);
        budget.charge_steps(allowance.spent().symbolic_steps);
    }

    /// [`Explorer::explore`], its symbolic work drawn from `allowance` and its runs from
    /// `budget`.
    fn explore_within(
        &self,
        target: usize,
        allowance: &mut Budget,
        budget: &mut Budget,
        accept: &mut dyn FnMut(Counterexample, &mut Budget) -> bool,
    ) {
        let solver = Solver::new();
        let byte_sort = Sort::bitvector(8);
        let index_sort = Sort::bitvector(64);
        let bytes = Array::fresh_const("input", &index_sort, &byte_sort);
        let len = match self.raw_len {
            Some(raw) => constant(raw as u64),
            None => BV::fresh_const("len", 64),
        };
        solver.assert(len.bvule(constant(self.max_packet_len as u64)));
        let mut inputs = Inputs { bytes: bytes.clone(), len, fields: BTreeMap::new() };
        let mut regs = vec![Sym::Opaque; Reg::COUNT];
        regs[1] = Sym::Context(0);
        regs[10] = Sym::Stack { frame: 0, offset: 0 };
        let mut pending = vec![State {
            pc: 0,
            regs,
            frames: Vec::new(),
            stack: BTreeMap::new(),
            packet: bytes,
            constraints: Vec::new(),
            lookups: Vec::new(),
            length: 0,
        }];
        let mut candidates = 0;
        while let Some(mut state) = pending.pop() {
            loop {
                if state.length >= MAX_PATH_LEN || !allowance.take_steps(1) {
                    break;
                }
                if state.pc == target {
                    let failure = self.failure_at(&state, &inputs);
                    // A model that only reaches the pc is worth a few tries, not many.
                    let most = if failure.is_some() { MAX_CANDIDATES } else { MAX_REACHING_CANDIDATES };
                    let mut assumptions = state.constraints.clone();
                    assumptions.extend(failure);
                    if let Some(input) = self.solve(&solver, &assumptions, &inputs, &state.lookups, allowance) {
                        candidates += 1;
                        if accept(input, budget) || candidates >= most {
                            return;
                        }
                    }
                    // A path that passes the pc without failing may fail on a later visit.
                }
                match self.step(&mut state, &mut inputs, &solver, allowance) {
                    Step::Next => state.length += 1,
                    Step::Fork(other) => {
                        state.length += 1;
                        pending.push(*other);
                    }
                    Step::End => break,
                }
            }
            if allowance.exhausted() {
                return;
            }
        }
    }

    /// Whether the solver finds `assumptions` satisfiable, charged to `budget`.
    fn feasible(&self, solver: &Solver, assumptions: &[Bool], budget: &mut Budget) -> bool {
        if !budget.take_steps(STEPS_PER_QUERY) {
            return false;
        }
        set_timeout(solver, budget);
        solver.check_assumptions(assumptions) == SatResult::Sat
    }

    /// A model of `assumptions` as an input.
    fn solve(
        &self,
        solver: &Solver,
        assumptions: &[Bool],
        inputs: &Inputs,
        lookups: &[Lookup],
        budget: &mut Budget,
    ) -> Option<Counterexample> {
        if !self.feasible(solver, assumptions, budget) {
            return None;
        }
        let model = solver.get_model()?;
        let len = model.eval(&inputs.len, true)?.as_u64()?;
        let len = usize::try_from(len).ok()?.min(self.raw_len.unwrap_or(self.max_packet_len));
        let bytes = (0..len)
            .map(|i| model.eval(&inputs.bytes.select(&constant(i as u64)), true)?.as_bv()?.as_u64().map(|b| b as u8))
            .collect::<Option<Vec<u8>>>()?;
        let fields = inputs
            .fields
            .values()
            .map(|(selector, word)| Some((selector.clone(), model.eval(word, true)?.as_u64()? as u32)))
            .collect::<Option<Vec<_>>>()?;
        let mut maps: Vec<MapEntry> = Vec::new();
        for lookup in lookups {
            if model.eval(&lookup.present, true)?.as_bool() != Some(true) {
                continue;
            }
            let shape = &self.maps[lookup.map];
            let key = lookup
                .key
                .iter()
                .map(|b| model.eval(b, true)?.as_u64().map(|b| b as u8))
                .collect::<Option<Vec<u8>>>()?;
            if maps.iter().any(|e| e.map == shape.id && e.key == key) {
                continue;
            }
            let value = (0..shape.value_size)
                .map(|i| {
                    let byte = model.eval(&lookup.initial.select(&constant(i as u64)), true)?.as_bv()?;
                    byte.as_u64().map(|b| b as u8)
                })
                .collect::<Option<Vec<u8>>>()?;
            maps.push(MapEntry { map: shape.id, name: shape.name.clone(), key, value });
        }
        Some(Counterexample { program_type: self.program_type, bytes, fields, maps })
    }

    /// The condition under which the instruction at `state.pc` fails, when the model can
    /// state it (a packet access past either end); `None` leaves only reaching it.
    fn failure_at(&self, state: &State, inputs: &Inputs) -> Option<Bool> {
        let insn = self.program.insn_at(state.pc)?;
        let (base, off, size) = match *insn {
            Insn::Load { size, src, off, .. } => (src, off, size),
            Insn::Store { size, dst, off, .. } | Insn::Atomic { size, dst, off, .. } => (dst, off, size),
            _ => return None,
        };
        let outside = |offset: &BV, limit: &BV| {
            let start = offset.bvadd(constant(i64::from(off) as u64));
            let end = start.bvadd(constant(u64::from(size.bytes())));
            Bool::or(&[&start.bvslt(constant(0)), &end.bvsgt(limit)])
        };
        match &state.regs[base.index()] {
            Sym::Packet(offset) => Some(outside(offset, &inputs.len)),
            Sym::MapValue { lookup, offset } => {
                let lookup = &state.lookups[*lookup];
                let value_size = constant(self.maps[lookup.map].value_size as u64);
                Some(Bool::or(&[&lookup.present.not(), &outside(offset, &value_size)]))
            }
            _ => None,
        }
    }

    /// Runs one instruction of `state`.
    fn step(&self, state: &mut State, inputs: &mut Inputs, solver: &Solver, budget: &mut Budget) -> Step {
        let Some(insn) = self.program.insn_at(state.pc).copied() else { return Step::End };
        let next = state.pc + insn.slots();
        match insn {
            Insn::Alu { width, op, dst, src } => {
                let rhs = self.operand(state, src);
                state.regs[dst.index()] = alu_sym(width, op, &state.regs[dst.index()], &rhs);
            }
            Insn::Neg { width, dst } => {
                state.regs[dst.index()] = match scalar_word(&state.regs[dst.index()]) {
                    Some(bv) => Sym::Scalar(alu::negate(width, &Z3Word(bv)).0),
                    None => fresh(),
                };
            }
            Insn::MovSx { width, dst, src, from } => {
                state.regs[dst.index()] = match scalar_word(&state.regs[src.index()]) {
                    Some(bv) => Sym::Scalar(alu::move_sign_extend(width, &Z3Word(bv), from).0),
                    None => fresh(),
                };
            }
            Insn::Endian { order, dst, bits } => {
                state.regs[dst.index()] = match scalar_word(&state.regs[dst.index()]) {
                    Some(bv) => Sym::Scalar(alu::byte_order(order, bits, &Z3Word(bv)).0),
                    None => fresh(),
                };
            }
            Insn::AddrSpaceCast { dst, .. } => state.regs[dst.index()] = fresh(),
            Insn::Lddw { dst, kind, imm, next_imm } => {
                state.regs[dst.index()] = match kind {
                    LddwKind::Imm64 => Sym::Scalar(constant(Insn::lddw_value(imm, next_imm))),
                    LddwKind::MapIdx | LddwKind::MapFd => Sym::Map(MapId(imm as u32)),
                    _ => Sym::Opaque,
                };
            }
            Insn::LoadPacket { size, addr, imm } => {
                let index = match addr {
                    PacketAddr::Abs => Some(constant(i64::from(imm) as u64)),
                    PacketAddr::Ind(src) => scalar_word(&state.regs[src.index()])
                        .map(|bv| bv.extract(31, 0).bvadd(BV::from_u64(imm as u32 as u64, 32)).zero_ext(32)),
                };
                let Some(index) = index else { return Step::End };
                let end = index.bvadd(constant(u64::from(size.bytes())));
                // A legacy load past the end ends the program: the path continues only inside.
                state.constraints.push(end.bvule(&inputs.len));
                state.constraints.push(index.bvule(&end));
                let big_endian = read_bytes(&state.packet, &index, size).map(|b| b.swap_bytes_low(size.bits()));
                state.regs[0] = Sym::Scalar(big_endian.map_or_else(|| constant(0), |w| w.0));
                for reg in 1..=5 {
                    state.regs[reg] = Sym::Opaque;
                }
            }
            Insn::Load { size, signed, dst, src, off } => {
                let loaded = self.load(state, inputs, src, off, size);
                state.regs[dst.index()] = match loaded {
                    Sym::Scalar(bv) => Sym::Scalar(alu::extend_load(&Z3Word(bv), size, signed).0),
                    other => other,
                };
            }
            Insn::Store { size, dst, off, src } => {
                let value = self.operand(state, src);
                self.store(state, dst, off, size, value);
            }
            Insn::Atomic { size, op, dst, off, src, fetch } => {
                // The memory's new value is not followed; the fetched old one is unknown.
                self.store(state, dst, off, size, fresh());
                if op == AtomicOp::CmpXchg {
                    state.regs[0] = fresh();
                } else if fetch {
                    state.regs[src.index()] = fresh();
                }
            }
            Insn::Ja { .. } | Insn::Ja32 { .. } => {
                let Some(to) = insn.branch_target(state.pc).and_then(|t| usize::try_from(t).ok()) else {
                    return Step::End;
                };
                state.pc = to;
                return Step::Next;
            }
            Insn::MayGoto { .. } => {
                // Falls through while its budget lasts; the jump is the other path.
                let Some(to) = insn.branch_target(state.pc).and_then(|t| usize::try_from(t).ok()) else {
                    return Step::End;
                };
                let mut other = state.clone();
                other.pc = to;
                state.pc = next;
                return Step::Fork(Box::new(other));
            }
            Insn::Jump { width, cond, dst, src, .. } => {
                let Some(to) = insn.branch_target(state.pc).and_then(|t| usize::try_from(t).ok()) else {
                    return Step::End;
                };
                let rhs = self.operand(state, src);
                let taken = comparison(width, cond, &state.regs[dst.index()], &rhs, inputs, &state.lookups);
                return self.branch(state, taken, to, next, solver, budget);
            }
            Insn::Call(CallTarget::Local(_)) => {
                let Some(to) = insn.branch_target(state.pc).and_then(|t| usize::try_from(t).ok()) else {
                    return Step::End;
                };
                if state.frames.len() + 1 >= MAX_FRAMES {
                    return Step::End;
                }
                let frame = state.frames.len() + 1;
                state.frames.push((next, state.regs[6..=9].to_vec()));
                for reg in 6..=9 {
                    state.regs[reg] = Sym::Opaque;
                }
                state.regs[0] = Sym::Opaque;
                state.regs[10] = Sym::Stack { frame, offset: 0 };
                // A frame reused after a return starts from zeroed stack, as a fresh call's does not: drop it.
                state.stack.retain(|(f, _), _| *f < frame);
                state.pc = to;
                return Step::Next;
            }
            Insn::Call(CallTarget::Helper(MAP_LOOKUP_ELEM)) => {
                state.regs[0] = self.lookup(state).unwrap_or_else(fresh);
                for reg in 1..=5 {
                    state.regs[reg] = Sym::Opaque;
                }
            }
            Insn::Call(_) => {
                // A helper's or kfunc's result is not modelled.
                state.regs[0] = fresh();
                for reg in 1..=5 {
                    state.regs[reg] = Sym::Opaque;
                }
            }
            Insn::Callx { .. } | Insn::Gotox { .. } => return Step::End,
            Insn::Exit => {
                let Some((back, saved)) = state.frames.pop() else { return Step::End };
                for (reg, value) in (6..=9).zip(saved) {
                    state.regs[reg] = value;
                }
                state.regs[10] = Sym::Stack { frame: state.frames.len(), offset: 0 };
                state.pc = back;
                return Step::Next;
            }
        }
        state.pc = next;
        Step::Next
    }

    /// Continues `state` on the side of a branch the solver finds feasible, forking when
    /// both are.
    fn branch(
        &self,
        state: &mut State,
        taken: Option<Bool>,
        to: usize,
        next: usize,
        solver: &Solver,
        budget: &mut Budget,
    ) -> Step {
        let Some(taken) = taken else {
            // Undecided by the model: both sides, unconstrained.
            let mut other = state.clone();
            other.pc = to;
            state.pc = next;
            return Step::Fork(Box::new(other));
        };
        if let Some(value) = taken.simplify().as_bool() {
            state.pc = if value { to } else { next };
            return Step::Next;
        }
        let mut with = |cond: &Bool| {
            let mut assumptions = state.constraints.clone();
            assumptions.push(cond.clone());
            self.feasible(solver, &assumptions, budget)
        };
        let (jump, fall) = (with(&taken), with(&taken.not()));
        match (jump, fall) {
            (true, true) => {
                let mut other = state.clone();
                other.pc = to;
                other.constraints.push(taken.clone());
                state.pc = next;
                state.constraints.push(taken.not());
                Step::Fork(Box::new(other))
            }
            (true, false) => {
                state.pc = to;
                state.constraints.push(taken);
                Step::Next
            }
            (false, true) => {
                state.pc = next;
                state.constraints.push(taken.not());
                Step::Next
            }
            (false, false) => Step::End,
        }
    }

    fn operand(&self, state: &State, operand: Operand) -> Sym {
        match operand {
            Operand::Reg(reg) => state.regs[reg.index()].clone(),
            Operand::Imm(imm) => Sym::Scalar(constant(i64::from(imm) as u64)),
        }
    }

    /// A load of `size` bytes at `base + off`.
    fn load(&self, state: &mut State, inputs: &mut Inputs, base: Reg, off: i16, size: Size) -> Sym {
        let off = i64::from(off);
        match state.regs[base.index()].clone() {
            Sym::Packet(offset) => {
                let index = offset.bvadd(constant(off as u64));
                // Every load before the target succeeded: it was inside the packet.
                let end = index.bvadd(constant(u64::from(size.bytes())));
                state.constraints.push(end.bvule(&inputs.len));
                state.constraints.push(index.bvule(&end));
                read_bytes(&state.packet, &index, size).map_or_else(fresh, |w| Sym::Scalar(w.0))
            }
            Sym::MapValue { lookup, offset } => {
                let value_size = constant(self.maps[state.lookups[lookup].map].value_size as u64);
                let index = offset.bvadd(constant(off as u64));
                let end = index.bvadd(constant(u64::from(size.bytes())));
                let lookup = &state.lookups[lookup];
                let inside = Bool::and(&[&lookup.present, &index.bvsge(constant(0)), &end.bvsle(&value_size)]);
                let read = read_bytes(&lookup.current, &index, size);
                state.constraints.push(inside);
                read.map_or_else(fresh, |w| Sym::Scalar(w.0))
            }
            Sym::Context(at) => self.context_load(inputs, at + off, size),
            Sym::Stack { frame, offset } => stack_load(state, frame, offset + off, size),
            _ => fresh(),
        }
    }

    /// A load of a context field (or of raw context bytes).
    fn context_load(&self, inputs: &mut Inputs, at: i64, size: Size) -> Sym {
        let Ok(at) = u64::try_from(at) else { return fresh() };
        let Some(layout) = self.layout else {
            return read_bytes(&inputs.bytes, &constant(at), size).map_or_else(fresh, |w| Sym::Scalar(w.0));
        };
        let Some(field) = layout.field_at(at) else { return fresh() };
        let within = at - u64::from(field.offset);
        match field.kind {
            FieldKind::PacketPointer(PacketEdge::Start) => Sym::Packet(constant(0)),
            FieldKind::PacketPointer(PacketEdge::End) => Sym::PacketEnd(constant(0)),
            FieldKind::PacketPointer(PacketEdge::Meta) => Sym::Opaque,
            FieldKind::Value => {
                let chosen = layout.choosable_fields().any(|f| f.offset == field.offset);
                let bits = size.bits();
                if chosen {
                    let word_start = field.offset + (within as u32 / 4) * 4;
                    let selector = if field.size == 4 {
                        FieldSelector::Name(field.name.to_owned())
                    } else {
                        FieldSelector::Offset(word_start)
                    };
                    let word = inputs
                        .fields
                        .entry(word_start)
                        .or_insert_with(|| (selector, BV::fresh_const(field.name, 32)))
                        .1
                        .clone();
                    let shift = (at - u64::from(word_start)) as u32 * 8;
                    if shift + bits > 32 {
                        return fresh();
                    }
                    return Sym::Scalar(word.extract(shift + bits - 1, shift).zero_ext(64 - bits));
                }
                match field.init {
                    FieldInit::PacketLen if within == 0 => Sym::Scalar(Z3Word(inputs.len.clone()).zext_low(bits).0),
                    FieldInit::Const(value) if !chosen => {
                        let shifted = u64::from(value).checked_shr(8 * within as u32).unwrap_or(0);
                        Sym::Scalar(constant(shifted).extract(bits - 1, 0).zero_ext(64 - bits))
                    }
                    _ => fresh(),
                }
            }
            _ => Sym::Opaque,
        }
    }

    /// A store of `value` (its low `size` bytes) at `base + off`: followed on the stack
    /// and the packet.
    fn store(&self, state: &mut State, base: Reg, off: i16, size: Size, value: Sym) {
        let off = i64::from(off);
        match state.regs[base.index()].clone() {
            Sym::Stack { frame, offset } => {
                let at = offset + off;
                match (&value, size) {
                    (Sym::Scalar(bv), _) => {
                        for i in 0..size.bytes() {
                            let byte = bv.extract(8 * i + 7, 8 * i);
                            state.stack.insert((frame, at + i64::from(i)), StackByte::Value(byte));
                        }
                    }
                    (_, Size::DW) => {
                        for i in 0..8u8 {
                            state.stack.insert((frame, at + i64::from(i)), StackByte::Pointer(value.clone(), i));
                        }
                    }
                    _ => {
                        for i in 0..size.bytes() {
                            state
                                .stack
                                .insert((frame, at + i64::from(i)), StackByte::Value(BV::fresh_const("spill", 8)));
                        }
                    }
                }
            }
            Sym::Packet(offset) => {
                let index = offset.bvadd(constant(off as u64));
                state.packet = store_bytes(&state.packet, &index, size, &value);
            }
            Sym::MapValue { lookup, offset } => {
                let index = offset.bvadd(constant(off as u64));
                let lookup = &mut state.lookups[lookup];
                lookup.current = store_bytes(&lookup.current, &index, size, &value);
            }
            _ => {}
        }
    }
}

impl Explorer<'_> {
    /// The value `bpf_map_lookup_elem(r1, r2)` finds, when `r1` is a map runs may fill
    /// and `r2` points to the key on a stack.
    fn lookup(&self, state: &mut State) -> Option<Sym> {
        let Sym::Map(id) = state.regs[1] else { return None };
        let Sym::Stack { frame, offset } = state.regs[2] else { return None };
        let map = self.maps.iter().position(|shape| shape.id == id)?;
        let shape = &self.maps[map];
        let key = (0..shape.key_size as i64)
            .map(|i| match state.stack.get(&(frame, offset + i)) {
                Some(StackByte::Value(byte)) => Some(byte.clone()),
                Some(StackByte::Pointer(..)) => None,
                None => Some(BV::from_u64(0, 8)),
            })
            .collect::<Option<Vec<BV>>>()?;
        let present = if shape.kind == MapKind::Array {
            // Every index below `max_entries` holds an element.
            let index = key.iter().rev().cloned().reduce(|high, low| high.concat(&low))?;
            index.bvult(BV::from_u64(u64::from(shape.max_entries), 32))
        } else {
            Bool::fresh_const("present")
        };
        let initial = Array::fresh_const("value", &Sort::bitvector(64), &Sort::bitvector(8));
        state.lookups.push(Lookup { map, key, present, initial: initial.clone(), current: initial });
        Some(Sym::MapValue { lookup: state.lookups.len() - 1, offset: constant(0) })
    }
}

/// `memory` with the low `size` bytes of `value` stored from `index` (unknown bytes when
/// `value` is not a number).
fn store_bytes(memory: &Array, index: &BV, size: Size, value: &Sym) -> Array {
    let bv = scalar_word(value).unwrap_or_else(|| BV::fresh_const("stored", 64));
    let mut memory = memory.clone();
    for i in 0..size.bytes() {
        let at = index.bvadd(constant(u64::from(i)));
        memory = memory.store(&at, &bv.extract(8 * i + 7, 8 * i));
    }
    memory
}

/// What one step left.
enum Step {
    /// The path goes on.
    Next,
    /// The path goes on, and so does this other one.
    Fork(Box<State>),
    /// The path ends (exit, a jump the model does not follow, or no feasible side).
    End,
}

fn fresh() -> Sym {
    Sym::Scalar(BV::fresh_const("unknown", 64))
}

/// The little-endian value of `size` bytes of `memory` from `index`.
fn read_bytes(memory: &Array, index: &BV, size: Size) -> Option<Z3Word> {
    let mut value: Option<BV> = None;
    for i in (0..size.bytes()).rev() {
        let byte = memory.select(&index.bvadd(constant(u64::from(i)))).as_bv()?;
        value = Some(match value {
            Some(high) => high.concat(&byte),
            None => byte,
        });
    }
    value.map(|v| Z3Word(v.zero_ext(64 - 8 * size.bytes())))
}

/// A load from a stack slot: a spilled pointer read back whole, else the bytes (zero
/// where nothing was written: the interpreter's stacks start zeroed).
fn stack_load(state: &State, frame: usize, at: i64, size: Size) -> Sym {
    if let Some(StackByte::Pointer(sym, 0)) = state.stack.get(&(frame, at))
        && size == Size::DW
    {
        return sym.clone();
    }
    let mut value: Option<BV> = None;
    for i in (0..i64::from(size.bytes())).rev() {
        let byte = match state.stack.get(&(frame, at + i)) {
            Some(StackByte::Value(byte)) => byte.clone(),
            Some(StackByte::Pointer(..)) => return fresh(),
            None => BV::from_u64(0, 8),
        };
        value = Some(match value {
            Some(high) => high.concat(&byte),
            None => byte,
        });
    }
    value.map_or_else(fresh, |v| Sym::Scalar(v.zero_ext(64 - 8 * size.bytes())))
}

/// `dst op src` on symbolic values: the one semantics on numbers, offsets moved on
/// pointers, anything else unknown.
fn alu_sym(width: Width, op: BinOp, dst: &Sym, src: &Sym) -> Sym {
    let moved = |offset: &BV, delta: &BV, add: bool| if add { offset.bvadd(delta) } else { offset.bvsub(delta) };
    match (op, width, dst, src) {
        (BinOp::Mov, Width::W64, _, _) => src.clone(),
        (_, _, Sym::Scalar(a), Sym::Scalar(b)) => {
            Sym::Scalar(alu::binary(op, width, &Z3Word(a.clone()), &Z3Word(b.clone())).0)
        }
        (BinOp::Mov, Width::W32, _, Sym::Scalar(b)) => {
            Sym::Scalar(alu::binary(op, width, &Z3Word(b.clone()), &Z3Word(b.clone())).0)
        }
        (BinOp::Add | BinOp::Sub, Width::W64, pointer, Sym::Scalar(delta)) => {
            let add = op == BinOp::Add;
            match pointer {
                Sym::Packet(offset) => Sym::Packet(moved(offset, delta, add)),
                Sym::MapValue { lookup, offset } => {
                    Sym::MapValue { lookup: *lookup, offset: moved(offset, delta, add) }
                }
                Sym::PacketEnd(offset) => Sym::PacketEnd(moved(offset, delta, add)),
                Sym::Context(at) | Sym::Stack { offset: at, .. } => {
                    let Some(delta) = known(delta) else { return Sym::Opaque };
                    let at = if add { at.wrapping_add(delta as i64) } else { at.wrapping_sub(delta as i64) };
                    match pointer {
                        Sym::Context(_) => Sym::Context(at),
                        Sym::Stack { frame, .. } => Sym::Stack { frame: *frame, offset: at },
                        _ => Sym::Opaque,
                    }
                }
                _ => Sym::Opaque,
            }
        }
        (BinOp::Add, Width::W64, Sym::Scalar(_), Sym::Packet(_) | Sym::PacketEnd(_)) => alu_sym(width, op, src, dst),
        (BinOp::Sub, Width::W64, Sym::Packet(a), Sym::Packet(b))
        | (BinOp::Sub, Width::W64, Sym::PacketEnd(a), Sym::PacketEnd(b)) => Sym::Scalar(a.bvsub(b)),
        _ => fresh(),
    }
}

/// The condition under which a conditional jump is taken, when the model can state it.
fn comparison(width: Width, cond: Cond, dst: &Sym, src: &Sym, inputs: &Inputs, lookups: &[Lookup]) -> Option<Bool> {
    // A looked-up value against NULL: whether the lookup found an entry.
    if let (Sym::MapValue { lookup, .. }, Sym::Scalar(zero)) = (dst, src)
        && known(zero) == Some(0)
    {
        let present = lookups[*lookup].present.clone();
        return match cond {
            Cond::Eq => Some(present.not()),
            Cond::Ne => Some(present),
            _ => None,
        };
    }
    let packet_address = |sym: &Sym| match sym {
        Sym::Packet(offset) => Some(offset.clone()),
        Sym::PacketEnd(offset) => Some(inputs.len.bvadd(offset)),
        _ => None,
    };
    let (a, b) = match (dst, src) {
        (Sym::Scalar(a), Sym::Scalar(b)) => (a.clone(), b.clone()),
        // Addresses of the same packet compare as their offsets from its start.
        _ => (packet_address(dst)?, packet_address(src)?),
    };
    Some(alu::condition(cond, width, &Z3Word(a), &Z3Word(b)).0)
}

/// Starts the solver on this thread if it has not started yet (Z3 builds its context on
/// first use, tens of milliseconds once per thread); returns how long that took.
pub fn start_solver() -> Duration {
    thread_local! {
        static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if STARTED.replace(true) {
        return Duration::ZERO;
    }
    let started = Instant::now();
    let solver = Solver::new();
    solver.assert(BV::fresh_const("start", 8).bvult(BV::from_u64(1, 8)));
    solver.check();
    started.elapsed()
}

/// Bounds the next query by what is left of the deadline.
fn set_timeout(solver: &Solver, budget: &Budget) {
    let millis = budget.time_left().map_or(MAX_QUERY_MS, |left| (left.as_millis() as u64).clamp(1, MAX_QUERY_MS));
    let mut params = Params::new();
    params.set_u32("timeout", millis as u32);
    solver.set_params(&params);
}
