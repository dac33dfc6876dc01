//! Random programs for differential testing, built from a [`Choices`] stream.
//!
//! Every program is structurally valid, terminates (loops are counted, calls go to
//! later functions only, except for a rare deliberate recursion that must end in a
//! call-depth trap), and never reads a register it has not written, by the interpreter's
//! rules (`isa::RegisterEffects`): that trap would fire in the interpreter only, since
//! verified programs cannot reach it and the JIT does not check it.
//!
//! Shape: a main function and up to three callees. `r9` holds the context pointer in
//! every function (the callee copies it from `r1`); loops count in `r6`–`r8`. Statements
//! are ALU operations on edge values, loads, stores and atomics on the stack, context,
//! packet, map value, read-only data, jump tables and wild pointers, branches of both
//! widths, counted loops, local calls, helper calls, `callx` (through `lddw` code addresses
//! and through a call table in the context), `gotox` switches through jump tables, legacy
//! packet loads, early exits, and rarely an instruction that traps outright.

use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::{CallxModel, RunConfig, UninitialisedStack};
use bpfprove_semantics::isa::{
    AtomicOp, BinOp, ByteOrder, CallTarget, Cond, Insn, LddwKind, Operand, PacketAddr, Reg, RegSet, Size, Width,
};
use bpfprove_semantics::program::Program;

use super::builder::{Builder, LabelId};
use super::choices::Choices;
use super::world::{self, World};

/// A generated case: a program, how to run it, and the data it runs on.
#[derive(Clone, Debug)]
pub struct Case {
    /// The program.
    pub program: Program,
    /// The `callx` model and instruction budget.
    pub config: RunConfig,
    /// Context, packet, map and read-only data contents.
    pub world: World,
}

/// Most instructions before the generator stops adding statements.
const MAX_INSNS: usize = 360;
/// Most functions (main included).
const MAX_FUNCTIONS: usize = 4;
/// Deepest nesting of branches, loops and switches.
const MAX_DEPTH: usize = 3;

/// 32-bit immediates that exercise edge cases.
const EDGE_IMMS: [i32; 20] =
    [0, 1, -1, i32::MIN, i32::MAX, 2, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x8000, -2, 7];
/// 64-bit constants that exercise edge cases.
const EDGE_U64S: [u64; 10] = [
    0,
    u64::MAX,
    1 << 63,
    (1 << 63) - 1,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_ffff_ffff,
    0xffff_ffff_8000_0000,
    1,
];

/// Register bit helpers.
fn bit(reg: Reg) -> u16 {
    RegSet::of(reg).bits()
}

const ARGUMENTS: u16 = RegSet::CALLER_SAVED.bits();
const COUNTERS: [Reg; 3] = [Reg::R6, Reg::R7, Reg::R8];
/// Registers statements may overwrite: all but `r9` (the context) and `r10`.
const WRITABLE: [Reg; 9] = [Reg::R0, Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5, Reg::R6, Reg::R7, Reg::R8];

/// What the generator knows at a point of a function.
#[derive(Clone, Copy, Debug)]
struct State {
    /// Registers holding defined values.
    init: u16,
    /// Loop counters in use, which statements must not overwrite.
    reserved: u16,
}

impl State {
    fn has(self, reg: Reg) -> bool {
        self.init & bit(reg) != 0
    }

    /// The registers defined on both paths.
    fn meet(self, other: State) -> State {
        State { init: self.init & other.init, reserved: self.reserved }
    }
}

struct Gen<'c, 'd> {
    c: &'c mut Choices<'d>,
    b: Builder,
    /// Entry label of each function; 0 is main.
    entries: Vec<LabelId>,
    callx_model: CallxModel,
    /// The jump tables declared so far (for loads from one).
    tables: Vec<bpfprove_semantics::program::JumpTableId>,
    /// The virtual context's program type.
    program_type: ProgramType,
}

/// Generates a case from `choices`.
pub fn generate(choices: &mut Choices<'_>) -> Case {
    let function_count = 1 + choices.index(MAX_FUNCTIONS);
    let callx_model = if choices.chance(15) { CallxModel::HelperId } else { CallxModel::Address };
    let budget = if choices.chance(25) { 1 + choices.below(300) } else { 100_000 };
    let world_bytes = World::random(choices);
    let program_type = world_bytes.program_type;
    let mut g =
        Gen { c: choices, b: Builder::default(), entries: Vec::new(), callx_model, tables: Vec::new(), program_type };
    g.entries = (0..function_count).map(|_| g.b.label()).collect();
    for function in 0..function_count {
        g.function(function);
    }
    let entry_slots: Vec<Option<usize>> = g.entries.iter().map(|&l| g.b.slot_of(l)).collect();
    let entries = g.entries.clone();
    let program = g.b.finish(&entries).expect("the generator lays out only valid programs");
    let world = world_bytes.with_call_table(&entry_slots);
    // Random programs read stack they never wrote, and the JIT does not track stack writes:
    // both engines read what the frame holds.
    let config = RunConfig::new(callx_model, budget).with_uninitialised_stack(UninitialisedStack::Arbitrary);
    Case { program, config, world }
}

impl Gen<'_, '_> {
    /// Emits `insn`, checking it reads only defined registers, and updates the state.
    fn emit(&mut self, st: &mut State, insn: Insn) {
        self.check_reads(st, &insn);
        self.b.push(insn);
        self.apply(st, &insn);
    }

    /// Emits `insn` whose target is `label`.
    fn emit_to(&mut self, st: &mut State, insn: Insn, label: LabelId) {
        self.check_reads(st, &insn);
        self.b.push_to(insn, label);
        self.apply(st, &insn);
    }

    fn check_reads(&self, st: &State, insn: &Insn) {
        let reads = insn.register_effects().reads.bits();
        assert!(reads & !st.init == 0, "generator bug: {insn:?} reads an undefined register (defined: {:#b})", st.init);
    }

    fn apply(&self, st: &mut State, insn: &Insn) {
        let effects = insn.register_effects();
        st.init = (st.init | effects.writes.bits()) & !effects.clobbers.bits();
    }

    /// A defined register (never empty: `r10` always is).
    fn defined(&mut self, st: State) -> Reg {
        let regs: Vec<Reg> = Reg::all().filter(|&r| st.has(r) && (r != Reg::R10 || self.c.chance(10))).collect();
        if regs.is_empty() { Reg::R10 } else { self.c.pick(&regs) }
    }

    /// A register statements may overwrite.
    fn writable(&mut self, st: State) -> Reg {
        let regs: Vec<Reg> = WRITABLE.iter().copied().filter(|&r| st.reserved & bit(r) == 0).collect();
        self.c.pick(&regs)
    }

    /// A defined register statements may overwrite, if any.
    fn writable_defined(&mut self, st: State) -> Option<Reg> {
        let regs: Vec<Reg> = WRITABLE.iter().copied().filter(|&r| st.reserved & bit(r) == 0 && st.has(r)).collect();
        (!regs.is_empty()).then(|| self.c.pick(&regs))
    }

    /// A writable register other than `r1`–`r5`, which calls overwrite.
    fn survivor(&mut self, st: State) -> Reg {
        let regs: Vec<Reg> =
            [Reg::R0, Reg::R6, Reg::R7, Reg::R8].into_iter().filter(|&r| st.reserved & bit(r) == 0).collect();
        self.c.pick(&regs)
    }

    fn imm(&mut self) -> i32 {
        if self.c.chance(70) { self.c.pick(&EDGE_IMMS) } else { self.c.raw() as i32 }
    }

    fn value64(&mut self) -> u64 {
        if self.c.chance(70) { self.c.pick(&EDGE_U64S) } else { self.c.raw() }
    }

    fn width(&mut self) -> Width {
        self.c.pick(&[Width::W64, Width::W32])
    }

    fn operand(&mut self, st: State) -> Operand {
        if self.c.chance(50) { Operand::Reg(self.defined(st)) } else { Operand::Imm(self.imm()) }
    }

    fn mov(dst: Reg, src: Operand) -> Insn {
        Insn::Alu { width: Width::W64, op: BinOp::Mov, dst, src }
    }

    fn room(&self) -> bool {
        self.b.len() < MAX_INSNS
    }

    /// One function: `r9 = r1`, statements, and a return.
    fn function(&mut self, index: usize) {
        let entry = self.entries[index];
        self.b.bind(entry);
        // Main starts with r1, r2 (context and length); a callee with r1 (the context).
        let args = if index == 0 { bit(Reg::R1) | bit(Reg::R2) } else { bit(Reg::R1) };
        let mut st = State { init: args | bit(Reg::R10), reserved: 0 };
        self.emit(&mut st, Self::mov(Reg::R9, Operand::Reg(Reg::R1)));
        let count = self.c.below(if index == 0 { 14 } else { 7 });
        for _ in 0..count {
            self.statement(&mut st, index, 0);
        }
        self.ret(&mut st);
    }

    /// `r0 = something; exit`.
    fn ret(&mut self, st: &mut State) {
        let value = self.operand(*st);
        self.emit(st, Self::mov(Reg::R0, value));
        self.emit(st, Insn::Exit);
    }

    fn statements(&mut self, st: &mut State, function: usize, depth: usize) {
        for _ in 0..self.c.below(4) {
            self.statement(st, function, depth);
        }
    }

    fn statement(&mut self, st: &mut State, function: usize, depth: usize) {
        if !self.room() {
            return self.alu(st);
        }
        let nested = depth < MAX_DEPTH;
        match self.c.below(100) {
            0..28 => self.alu(st),
            28..35 => self.unary(st),
            35..55 => self.memory(st),
            55..63 if nested => self.branch(st, function, depth),
            63..69 if nested => self.counted_loop(st, function, depth),
            69..75 => self.local_call(st, function),
            75..80 => self.helper_call(st, function),
            80..85 => self.callx(st, function),
            85..89 if nested => self.switch(st, function, depth),
            89..92 => self.early_exit(st),
            92..96 => self.packet_load(st),
            96 => self.trap(st, function),
            _ => self.alu(st),
        }
    }

    fn alu(&mut self, st: &mut State) {
        let width = self.width();
        let mut op = self.c.pick(&BinOp::ALL);
        let dst = match (op, self.writable_defined(*st)) {
            (BinOp::Mov, _) | (_, None) => {
                op = BinOp::Mov;
                self.writable(*st)
            }
            (_, Some(dst)) => dst,
        };
        let src = self.operand(*st);
        self.emit(st, Insn::Alu { width, op, dst, src });
    }

    fn unary(&mut self, st: &mut State) {
        let Some(defined) = self.writable_defined(*st) else { return self.alu(st) };
        let insn = match self.c.below(4) {
            0 => Insn::Neg { width: self.width(), dst: defined },
            1 => {
                let width = self.width();
                let from = match width {
                    Width::W64 => self.c.pick(&[Size::B, Size::H, Size::W]),
                    Width::W32 => self.c.pick(&[Size::B, Size::H]),
                };
                Insn::MovSx { width, dst: self.writable(*st), src: self.defined(*st), from }
            }
            2 => Insn::Endian {
                order: self.c.pick(&[ByteOrder::ToLe, ByteOrder::ToBe, ByteOrder::Swap]),
                dst: defined,
                bits: self.c.pick(&[16, 32, 64]),
            },
            3 if self.c.chance(30) => {
                let kind = self.c.pick(&[LddwKind::MapIdx, LddwKind::MapIdxValue]);
                let imm = self.c.pick(&[0, 1, 0, 0, 2, -1]);
                let next_imm = if self.c.chance(80) { 8 * self.c.below(4) as i32 } else { self.c.raw() as i32 };
                Insn::Lddw { dst: self.writable(*st), kind, imm, next_imm }
            }
            _ => {
                let (imm, next_imm) = Insn::lddw_split(self.value64());
                Insn::Lddw { dst: self.writable(*st), kind: LddwKind::Imm64, imm, next_imm }
            }
        };
        self.emit(st, insn);
    }

    /// Sets `reg` to a pointer (or a wild value). Returns a plausible range of byte
    /// offsets for accesses through it, and whether the memory there is read-only.
    fn pointer(&mut self, st: &mut State, reg: Reg) -> ((i16, i16), bool) {
        let load_from_ctx = |off| Insn::Load { size: Size::DW, signed: false, dst: reg, src: Reg::R9, off };
        match self.c.below(100) {
            0..30 => {
                self.emit(st, Self::mov(reg, Operand::Reg(Reg::R10)));
                let shift = -8 * self.c.below(64) as i16;
                self.emit(
                    st,
                    Insn::Alu { width: Width::W64, op: BinOp::Add, dst: reg, src: Operand::Imm(shift.into()) },
                );
                ((-512 - shift, -shift), false)
            }
            30..48 => {
                self.emit(st, Self::mov(reg, Operand::Reg(Reg::R9)));
                ((world::CTX_DATA as i16, world::CTX_LEN as i16), false)
            }
            48..62 => {
                self.emit(st, load_from_ctx(world::CTX_PACKET));
                ((0, world::PACKET_LEN as i16), false)
            }
            62..74 => {
                self.emit(st, load_from_ctx(world::CTX_MAP));
                ((0, world::MAP_LEN as i16), false)
            }
            74..82 => {
                self.emit(st, load_from_ctx(world::CTX_RODATA));
                ((0, world::RODATA_LEN as i16), true)
            }
            82..86 if !self.tables.is_empty() => {
                let table = self.c.pick(&self.tables.clone());
                self.b.push_table_load(Insn::Lddw { dst: reg, kind: LddwKind::Imm64, imm: 0, next_imm: 0 }, table);
                st.init |= bit(reg);
                ((0, 8), true)
            }
            86..90 => {
                // The next frame's stack: inaccessible unless a call is active there.
                self.emit(st, Self::mov(reg, Operand::Reg(Reg::R10)));
                let (imm, next_imm) = Insn::lddw_split(1 << 32);
                let scratch = if reg == Reg::R0 { Reg::R1 } else { Reg::R0 };
                if st.reserved & bit(scratch) == 0 {
                    self.emit(st, Insn::Lddw { dst: scratch, kind: LddwKind::Imm64, imm, next_imm });
                    self.emit(
                        st,
                        Insn::Alu { width: Width::W64, op: BinOp::Add, dst: reg, src: Operand::Reg(scratch) },
                    );
                }
                ((-512, 0), false)
            }
            90..93 => {
                // The virtual context: its fields, read through the runtime.
                self.emit(st, load_from_ctx(world::CTX_VIRTUAL));
                ((0, self.virtual_context_len()), false)
            }
            93..96 => {
                // The virtual context's packet, through its `data` field.
                self.emit(st, load_from_ctx(world::CTX_VIRTUAL));
                let data = self.virtual_data_offset();
                self.emit(st, Insn::Load { size: Size::W, signed: false, dst: reg, src: reg, off: data });
                ((0, world::VIRTUAL_PACKET_LEN as i16), false)
            }
            96..98 => {
                // A map value through a map lddw.
                let offset = 8 * self.c.below(3) as i32;
                let map = self.c.pick(&[0, 0, 0, 0, 1, 2]);
                self.emit(st, Insn::Lddw { dst: reg, kind: LddwKind::MapIdxValue, imm: map, next_imm: offset });
                ((-offset as i16, world::MAP_LEN as i16 - offset as i16), false)
            }
            98 => {
                // The base of region k, which may or may not exist.
                let address = (1 + self.c.below(20)) << 32;
                let (imm, next_imm) = Insn::lddw_split(address);
                self.emit(st, Insn::Lddw { dst: reg, kind: LddwKind::Imm64, imm, next_imm });
                ((-8, 24), false)
            }
            _ => {
                let value = self.defined(*st);
                self.emit(st, Self::mov(reg, Operand::Reg(value)));
                ((0, 8), false)
            }
        }
    }

    /// Bytes of the virtual context's structure that fields may be read from.
    fn virtual_context_len(&self) -> i16 {
        match self.program_type {
            ProgramType::Xdp => 24,
            _ => 96,
        }
    }

    /// Offset of the virtual context's `data` field.
    fn virtual_data_offset(&self) -> i16 {
        match self.program_type {
            ProgramType::Xdp => 0,
            _ => 76,
        }
    }

    /// An offset for an access of `bytes` in `range`, occasionally out of it.
    fn offset(&mut self, (low, high): (i16, i16), bytes: i16) -> i16 {
        if self.c.chance(6) {
            return self.c.pick(&[low - bytes, low - 1, high, high - bytes + 1, i16::MIN, i16::MAX, 0]);
        }
        let span = (high - low - bytes).max(0) as u64 + 1;
        let off = low + self.c.below(span) as i16;
        if self.c.chance(70) { off - off.rem_euclid(bytes) } else { off }
    }

    fn memory(&mut self, st: &mut State) {
        let direct_stack = self.c.chance(30);
        let (base, range, read_only) = if direct_stack {
            (Reg::R10, (-512, 0), false)
        } else {
            let reg = self.writable(*st);
            let (range, read_only) = self.pointer(st, reg);
            (reg, range, read_only)
        };
        let kind = if read_only && self.c.chance(85) { 0 } else { self.c.below(5) };
        let word = self.c.chance(30);
        match kind {
            0 | 1 => {
                let size = if word { Size::W } else { self.c.pick(&[Size::DW, Size::W, Size::H, Size::B]) };
                let signed = size != Size::DW && self.c.chance(30);
                let off = self.offset(range, size.bytes() as i16);
                let dst = self.writable(*st);
                self.emit(st, Insn::Load { size, signed, dst, src: base, off });
            }
            2 | 3 => {
                let size = self.c.pick(&[Size::DW, Size::W, Size::H, Size::B]);
                let off = self.offset(range, size.bytes() as i16);
                let src = self.operand(*st);
                self.emit(st, Insn::Store { size, dst: base, off, src });
            }
            _ => self.atomic(st, base, range),
        }
    }

    fn atomic(&mut self, st: &mut State, base: Reg, range: (i16, i16)) {
        let size = self.c.pick(&[Size::DW, Size::W]);
        let off = self.offset(range, size.bytes() as i16);
        let op = self.c.pick(&[
            AtomicOp::Add,
            AtomicOp::Or,
            AtomicOp::And,
            AtomicOp::Xor,
            AtomicOp::Xchg,
            AtomicOp::CmpXchg,
        ]);
        let fetch = matches!(op, AtomicOp::Xchg | AtomicOp::CmpXchg) || self.c.chance(50);
        let src = if fetch && op != AtomicOp::CmpXchg {
            // The old value lands in src, so it must be writable (and defined first).
            match self.writable_defined(*st) {
                Some(src) if src != base => src,
                _ => return,
            }
        } else {
            self.defined(*st)
        };
        if op == AtomicOp::CmpXchg && !st.has(Reg::R0) {
            let value = self.imm();
            self.emit(st, Self::mov(Reg::R0, Operand::Imm(value)));
        }
        self.emit(st, Insn::Atomic { size, op, fetch, dst: base, off, src });
    }

    fn condition(&mut self, st: State) -> (Width, Cond, Reg, Operand) {
        (self.width(), self.c.pick(&Cond::ALL), self.defined(st), self.operand(st))
    }

    fn branch(&mut self, st: &mut State, function: usize, depth: usize) {
        let (width, cond, dst, src) = self.condition(*st);
        let (otherwise, end) = (self.b.label(), self.b.label());
        self.emit_to(st, Insn::Jump { width, cond, dst, src, off: 0 }, otherwise);
        let mut then = *st;
        self.statements(&mut then, function, depth + 1);
        if self.c.chance(50) {
            let jump = if self.c.chance(20) { Insn::Ja32 { imm: 0 } } else { Insn::Ja { off: 0 } };
            self.emit_to(&mut then, jump, end);
            self.b.bind(otherwise);
            let mut other = *st;
            self.statements(&mut other, function, depth + 1);
            self.b.bind(end);
            *st = then.meet(other);
        } else {
            self.b.bind(otherwise);
            self.b.bind(end);
            *st = then.meet(*st);
        }
    }

    fn counted_loop(&mut self, st: &mut State, function: usize, depth: usize) {
        let free: Vec<Reg> = COUNTERS.iter().copied().filter(|&r| st.reserved & bit(r) == 0).collect();
        if free.is_empty() {
            return self.alu(st);
        }
        let counter = self.c.pick(&free);
        let iterations = 1 + self.c.below(4) as i32;
        self.emit(st, Self::mov(counter, Operand::Imm(iterations)));
        // Later iterations may start after calls clobbered r1–r5, so the body may not
        // rely on them.
        let mut body = State { init: st.init & !ARGUMENTS, reserved: st.reserved | bit(counter) };
        let top = self.b.label();
        self.b.bind(top);
        self.statements(&mut body, function, depth + 1);
        let width = self.width();
        self.emit(&mut body, Insn::Alu { width, op: BinOp::Sub, dst: counter, src: Operand::Imm(1) });
        let cond = self.c.pick(&[Cond::Ne, Cond::SGt, Cond::Gt]);
        self.emit_to(&mut body, Insn::Jump { width, cond, dst: counter, src: Operand::Imm(0), off: 0 }, top);
        *st = State { init: body.init, reserved: st.reserved };
    }

    /// `r1 = r9` and maybe more arguments, before a call.
    fn arguments(&mut self, st: &mut State) {
        self.emit(st, Self::mov(Reg::R1, Operand::Reg(Reg::R9)));
        for reg in [Reg::R2, Reg::R3, Reg::R4, Reg::R5] {
            if self.c.chance(40) {
                let value = self.operand(*st);
                self.emit(st, Self::mov(reg, value));
            }
        }
    }

    fn local_call(&mut self, st: &mut State, function: usize) {
        let callees = self.entries.len() - function - 1;
        if callees == 0 {
            return self.alu(st);
        }
        let callee = function + 1 + self.c.index(callees);
        self.arguments(st);
        self.emit_to(st, Insn::Call(CallTarget::Local(0)), self.entries[callee]);
    }

    fn helper_call(&mut self, st: &mut State, function: usize) {
        let id = self.c.pick(&[1, 2, 3, 5, 6, 7, 8, 1, 3, 8, 99]);
        self.arguments(st);
        match id {
            // Run a later function as a callback, with the context as its r1.
            8 => {
                let callees = self.entries.len() - function - 1;
                if callees > 0 && !self.c.chance(5) {
                    let callee = self.entries[function + 1 + self.c.index(callees)];
                    let insn = Insn::Lddw { dst: Reg::R1, kind: LddwKind::CodeAddr, imm: 0, next_imm: 0 };
                    self.emit_to(st, insn, callee);
                }
                let count = self.c.below(5) as i32;
                self.emit(st, Self::mov(Reg::R2, Operand::Imm(count)));
                self.emit(st, Self::mov(Reg::R3, Operand::Reg(Reg::R9)));
            }
            // Read or write through r1: point it into the context's data, or anywhere.
            2 | 3 | 7 if self.c.chance(70) => {
                let off = world::CTX_DATA as i32 + 8 * self.c.below(4) as i32;
                self.emit(st, Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R1, src: Operand::Imm(off) });
            }
            5 => {
                let value = self.c.pick(&[1, 0, 7]);
                self.emit(st, Self::mov(Reg::R1, Operand::Imm(value)));
            }
            _ => {}
        }
        self.emit(st, Insn::Call(CallTarget::Helper(id)));
    }

    fn callx(&mut self, st: &mut State, function: usize) {
        let callees = self.entries.len() - function - 1;
        if self.callx_model == CallxModel::Address && callees == 0 && !self.c.chance(10) {
            return self.alu(st);
        }
        self.arguments(st);
        let target = self.survivor(*st);
        match self.callx_model {
            CallxModel::HelperId => {
                let id = self.c.pick(&[1i64, 5, 6, 99, -1, 1 << 31, 1 << 40]);
                let (imm, next_imm) = Insn::lddw_split(id as u64);
                self.emit(st, Insn::Lddw { dst: target, kind: LddwKind::Imm64, imm, next_imm });
            }
            CallxModel::Address => {
                if callees == 0 || self.c.chance(5) {
                    // A value that is no function entry.
                    let value = self.value64();
                    let (imm, next_imm) = Insn::lddw_split(value);
                    self.emit(st, Insn::Lddw { dst: target, kind: LddwKind::Imm64, imm, next_imm });
                } else {
                    let callee = function + 1 + self.c.index(callees);
                    if self.c.chance(50) {
                        let insn = Insn::Lddw { dst: target, kind: LddwKind::CodeAddr, imm: 0, next_imm: 0 };
                        self.emit_to(st, insn, self.entries[callee]);
                    } else {
                        let off = world::CTX_CALL_TABLE + 8 * (callee as i16 - 1);
                        self.emit(st, Insn::Load { size: Size::DW, signed: false, dst: target, src: Reg::R9, off });
                    }
                }
            }
        }
        self.emit(st, Insn::Callx { reg: target });
    }

    fn switch(&mut self, st: &mut State, function: usize, depth: usize) {
        let entries = self.c.pick(&[1usize, 2, 4, 8]);
        let cases: Vec<LabelId> = (0..1 + self.c.index(entries)).map(|_| self.b.label()).collect();
        let targets: Vec<LabelId> = (0..entries).map(|_| self.c.pick(&cases)).collect();
        let table = self.b.table(targets);
        self.tables.push(table);
        let address = self.survivor(*st);
        let others: Vec<Reg> =
            WRITABLE.iter().copied().filter(|&r| r != address && st.reserved & bit(r) == 0).collect();
        let index = self.c.pick(&others);
        let value = self.defined(*st);
        self.emit(st, Self::mov(index, Operand::Reg(value)));
        // Rarely, an index the table does not bound: the load then reads past the table and
        // traps. The index stays below 256 entries (2 KiB) even then, so the load never
        // reaches another region, such as another jump table: a target of another switch
        // would start its arm in a register state this generator did not plan for, and a
        // read of a register left undefined there traps in the interpreter only (the
        // engines' one documented difference, which verified programs cannot reach).
        let mask = if self.c.chance(5) { 0xff } else { entries as i32 - 1 };
        self.emit(st, Insn::Alu { width: Width::W64, op: BinOp::And, dst: index, src: Operand::Imm(mask) });
        self.emit(st, Insn::Alu { width: Width::W64, op: BinOp::Lsh, dst: index, src: Operand::Imm(3) });
        self.b.push_table_load(Insn::Lddw { dst: address, kind: LddwKind::Imm64, imm: 0, next_imm: 0 }, table);
        st.init |= bit(address);
        self.emit(st, Insn::Alu { width: Width::W64, op: BinOp::Add, dst: address, src: Operand::Reg(index) });
        self.emit(st, Insn::Load { size: Size::DW, signed: false, dst: address, src: address, off: 0 });
        if self.c.chance(3) {
            // A code address that is no jump-table entry of this function.
            let insn = Insn::Lddw { dst: address, kind: LddwKind::CodeAddr, imm: 0, next_imm: 0 };
            let target = self.entries[self.c.index(self.entries.len())];
            self.emit_to(st, insn, target);
        }
        self.emit(st, Insn::Gotox { reg: address });
        let end = self.b.label();
        let mut merged: Option<State> = None;
        for case in cases {
            self.b.bind(case);
            let mut arm = *st;
            self.statements(&mut arm, function, depth + 1);
            self.emit_to(&mut arm, Insn::Ja { off: 0 }, end);
            merged = Some(merged.map_or(arm, |m| m.meet(arm)));
        }
        self.b.bind(end);
        *st = merged.unwrap_or(*st);
    }

    fn early_exit(&mut self, st: &mut State) {
        let (width, cond, dst, src) = self.condition(*st);
        let skip = self.b.label();
        self.emit_to(st, Insn::Jump { width, cond, dst, src, off: 0 }, skip);
        let mut exit = *st;
        self.ret(&mut exit);
        self.b.bind(skip);
    }

    fn packet_load(&mut self, st: &mut State) {
        let size = self.c.pick(&[Size::B, Size::H, Size::W]);
        let imm = if self.c.chance(10) { self.imm() } else { self.c.below(world::PACKET_LEN as u64 + 4) as i32 };
        let addr = if self.c.chance(50) { PacketAddr::Abs } else { PacketAddr::Ind(self.defined(*st)) };
        self.emit(st, Insn::LoadPacket { size, addr, imm });
    }

    /// An instruction that traps whenever it runs.
    fn trap(&mut self, st: &mut State, function: usize) {
        match self.c.below(4) {
            0 => self.emit(st, Self::mov(Reg::R10, Operand::Imm(1))),
            1 => self.emit(st, Insn::Call(CallTarget::Kfunc { btf_id: 1, btf_obj: 0 })),
            2 => self.emit(st, Insn::Lddw { dst: Reg::R0, kind: LddwKind::MapFd, imm: 1, next_imm: 0 }),
            _ => {
                // Unbounded recursion: ends in a call-depth trap. Main expects r2 too.
                self.arguments(st);
                self.emit(st, Self::mov(Reg::R2, Operand::Imm(0)));
                self.emit_to(st, Insn::Call(CallTarget::Local(0)), self.entries[function]);
            }
        }
    }
}
