//! Random programs for the kernel oracle: the shapes the kernel's verifier accepts without
//! knowing more than the program itself (no helpers, no callx/gotox), run under the
//! conformance contract ([`crate::conformance::run_in_kernel`]) on a 32-byte block.
//!
//! A program saves the block's address in `r9`, zeroes 64 bytes of stack (a privileged
//! kernel lets programs read uninitialised stack, the interpreter does not), gives
//! `r0`–`r8` random values, then runs a body of ALU operations of both widths (division
//! and shifts by registers included), sign extensions, byte swaps, aligned loads and stores
//! on the block and the stack, atomics on the stack and forward conditional jumps, and
//! exits with `r0`.
//!
//! Every other case is a tc program instead, run on a packet: legacy packet loads
//! (`ld_abs`/`ld_ind`, many of them missing the packet) in the entry function and in a
//! subprogram it calls, with ALU operations and forward jumps between them over the
//! registers the kernel keeps readable across those loads and calls (`r0`, `r7`–`r9`;
//! `r6` holds the context, as legacy loads require). The kernel reports 32 bits of `r0`.

use std::collections::BTreeMap;

use bpfprove_semantics::conformance::{self};
use bpfprove_semantics::interp::{CallxModel, RunConfig};
use bpfprove_semantics::isa::{AtomicOp, BinOp, ByteOrder, Cond, Insn, LddwKind, Operand, Reg, Size, Width};
use bpfprove_semantics::program::{Program, ProgramParts};

use crate::conformance::{CannotRun, CaseResult, run_in_kernel};
use crate::error::KernelError;

/// Bytes of the memory block a random program gets.
pub const BLOCK_BYTES: usize = 32;
/// Bytes of stack the prologue zeroes.
const STACK_BYTES: i16 = 64;

/// SplitMix64: a small, seedable generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A value with boundary cases over-represented.
    fn value(&mut self) -> u64 {
        match self.below(6) {
            0 => self.pick(&[0, 1, u64::MAX, 1 << 63, (1 << 63) - 1, 0x8000_0000, 0xffff_ffff, 0x7fff_ffff]),
            1 => self.below(64),
            2 => (self.below(64) as i64).wrapping_neg() as u64,
            _ => self.next_u64(),
        }
    }
}

fn scalar(rng: &mut Rng) -> Reg {
    Reg::new(rng.below(9) as u8).expect("r0..=r8")
}

fn size(rng: &mut Rng) -> Size {
    rng.pick(&[Size::B, Size::H, Size::W, Size::DW])
}

fn bytes(size: Size) -> i16 {
    match size {
        Size::B => 1,
        Size::H => 2,
        Size::W => 4,
        Size::DW => 8,
    }
}

/// An aligned offset for an access of `size` inside `len` bytes.
fn aligned(rng: &mut Rng, size: Size, len: i16) -> i16 {
    let width = bytes(size);
    rng.below((len / width) as u64) as i16 * width
}

/// One body instruction (without jumps).
fn straight(rng: &mut Rng) -> Insn {
    let width = rng.pick(&[Width::W64, Width::W32]);
    let dst = scalar(rng);
    match rng.below(12) {
        0..=4 => {
            let op = rng.pick(&BinOp::ALL);
            let bits = if width == Width::W64 { 64 } else { 32 };
            let src = match op {
                // Constant shifts must be in range: the kernel refuses others.
                BinOp::Lsh | BinOp::Rsh | BinOp::Arsh if rng.below(2) == 0 => Operand::Imm(rng.below(bits) as i32),
                BinOp::Lsh | BinOp::Rsh | BinOp::Arsh => Operand::Reg(scalar(rng)),
                // The kernel refuses a constant divisor of 0 (a register may hold one).
                BinOp::Div | BinOp::SDiv | BinOp::Mod | BinOp::SMod if rng.below(2) == 0 => {
                    Operand::Imm(match rng.value() as i32 {
                        0 => 1,
                        imm => imm,
                    })
                }
                BinOp::Div | BinOp::SDiv | BinOp::Mod | BinOp::SMod => Operand::Reg(scalar(rng)),
                _ if rng.below(2) == 0 => Operand::Imm(rng.value() as i32),
                _ => Operand::Reg(scalar(rng)),
            };
            Insn::Alu { width, op, dst, src }
        }
        5 => Insn::Neg { width, dst },
        6 => {
            let from = if width == Width::W64 {
                rng.pick(&[Size::B, Size::H, Size::W])
            } else {
                rng.pick(&[Size::B, Size::H])
            };
            Insn::MovSx { width, dst, src: scalar(rng), from }
        }
        7 => {
            let order = rng.pick(&[ByteOrder::ToLe, ByteOrder::ToBe, ByteOrder::Swap]);
            Insn::Endian { order, dst, bits: rng.pick(&[16, 32, 64]) }
        }
        8 => {
            let size = size(rng);
            let (base, off) = if rng.below(2) == 0 {
                (Reg::R9, aligned(rng, size, BLOCK_BYTES as i16))
            } else {
                (Reg::R10, aligned(rng, size, STACK_BYTES) - STACK_BYTES)
            };
            let signed = size != Size::DW && rng.below(4) == 0;
            Insn::Load { size, signed, dst, src: base, off }
        }
        9 => {
            let size = size(rng);
            let (base, off) = if rng.below(2) == 0 {
                (Reg::R9, aligned(rng, size, BLOCK_BYTES as i16))
            } else {
                (Reg::R10, aligned(rng, size, STACK_BYTES) - STACK_BYTES)
            };
            let src = if rng.below(2) == 0 { Operand::Reg(scalar(rng)) } else { Operand::Imm(rng.value() as i32) };
            Insn::Store { size, dst: base, off, src }
        }
        10 => {
            let size = rng.pick(&[Size::W, Size::DW]);
            let op = rng.pick(&[
                AtomicOp::Add,
                AtomicOp::Or,
                AtomicOp::And,
                AtomicOp::Xor,
                AtomicOp::Xchg,
                AtomicOp::CmpXchg,
            ]);
            let fetch = matches!(op, AtomicOp::Xchg | AtomicOp::CmpXchg) || rng.below(2) == 0;
            let off = aligned(rng, size, STACK_BYTES) - STACK_BYTES;
            Insn::Atomic { size, op, fetch, dst: Reg::R10, off, src: scalar(rng) }
        }
        _ => {
            let (imm, next_imm) = Insn::lddw_split(rng.value());
            Insn::Lddw { dst, kind: LddwKind::Imm64, imm, next_imm }
        }
    }
}

/// A random program of about `length` body instructions.
pub fn generate(rng: &mut Rng, length: usize) -> Program {
    let mut insns = vec![Insn::Alu { width: Width::W64, op: BinOp::Mov, dst: Reg::R9, src: Operand::Reg(Reg::R1) }];
    for off in (-STACK_BYTES..0).step_by(8) {
        insns.push(Insn::Store { size: Size::DW, dst: Reg::R10, off, src: Operand::Imm(0) });
    }
    for n in 0..9 {
        let (imm, next_imm) = Insn::lddw_split(rng.value());
        insns.push(Insn::Lddw { dst: Reg::new(n).expect("r0..=r8"), kind: LddwKind::Imm64, imm, next_imm });
    }
    // Bodies are built back to front so that a jump knows where later instructions start:
    // `landings` holds their distances from the next slot (0 is the next instruction, the
    // last one the final exit).
    let mut body: Vec<Insn> = Vec::new();
    let mut landings: Vec<usize> = vec![0];
    for _ in 0..length {
        let insn = if rng.below(6) == 0 {
            let cond = rng.pick(&Cond::ALL);
            let src = if rng.below(2) == 0 { Operand::Imm(rng.value() as i32) } else { Operand::Reg(scalar(rng)) };
            let width = rng.pick(&[Width::W64, Width::W32]);
            let off = i16::try_from(rng.pick(&landings)).unwrap_or(0);
            Insn::Jump { width, cond, dst: scalar(rng), src, off }
        } else {
            straight(rng)
        };
        let slots = insn.slots();
        landings = std::iter::once(0).chain(landings.iter().map(|o| o + slots)).collect();
        body.push(insn);
    }
    body.reverse();
    insns.extend(body);
    insns.push(Insn::Exit);
    Program::new(insns, ProgramParts::default()).expect("generated programs are valid")
}

/// The registers a legacy-load program computes with.
const KEPT: [Reg; 4] = [Reg::R0, Reg::R7, Reg::R8, Reg::R9];

/// One ALU operation, legacy load or forward jump over [`KEPT`], given the distances of the
/// later instruction starts (`landings`).
fn legacy_body_insn(rng: &mut Rng, landings: &[usize]) -> Insn {
    let dst = rng.pick(&KEPT);
    match rng.below(8) {
        0..=2 => {
            let size = rng.pick(&[Size::B, Size::H, Size::W]);
            let imm = if rng.below(4) == 0 { rng.value() as i32 } else { rng.below(120) as i32 };
            let addr = if rng.below(2) == 0 {
                bpfprove_semantics::isa::PacketAddr::Abs
            } else {
                bpfprove_semantics::isa::PacketAddr::Ind(rng.pick(&KEPT[1..]))
            };
            Insn::LoadPacket { size, addr, imm }
        }
        3 => Insn::Alu { width: Width::W64, op: BinOp::And, dst, src: Operand::Imm(rng.below(128) as i32) },
        4 => {
            let cond = rng.pick(&Cond::ALL);
            let src = if rng.below(2) == 0 { Operand::Imm(rng.value() as i32) } else { Operand::Reg(rng.pick(&KEPT)) };
            let off = i16::try_from(rng.pick(landings)).unwrap_or(0);
            Insn::Jump { width: rng.pick(&[Width::W64, Width::W32]), cond, dst, src, off }
        }
        _ => {
            let op = rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Xor, BinOp::Or, BinOp::Mov]);
            let src = if rng.below(2) == 0 { Operand::Imm(rng.value() as i32) } else { Operand::Reg(rng.pick(&KEPT)) };
            Insn::Alu { width: rng.pick(&[Width::W64, Width::W32]), op, dst, src }
        }
    }
}

/// A body of `length` instructions ending in `exit`, built back to front; `call` (when
/// given) is put in front of some of them: `r1 = r6; call sub`.
fn legacy_body(rng: &mut Rng, length: usize, with_calls: bool) -> Vec<Insn> {
    let call_pair = [
        Insn::Alu { width: Width::W64, op: BinOp::Mov, dst: Reg::R1, src: Operand::Reg(Reg::R6) },
        // The offset is fixed up once the entry function's length is known.
        Insn::Call(bpfprove_semantics::isa::CallTarget::Local(0)),
    ];
    let mut body = vec![Insn::Exit];
    let mut landings: Vec<usize> = vec![0];
    let mut calls = 0;
    for index in 0..length {
        // The kernel counts subprograms by their calls: the first instruction calls.
        let call = with_calls && (rng.below(4) == 0 || (calls == 0 && index + 1 == length));
        let insns = if call {
            calls += 1;
            call_pair.to_vec()
        } else {
            vec![legacy_body_insn(rng, &landings)]
        };
        let slots: usize = insns.iter().map(Insn::slots).sum();
        // Jumps land on the first instruction of a group, never between `r1 = r6` and the
        // call.
        landings = std::iter::once(0).chain(landings.iter().map(|o| o + slots)).collect();
        body.extend(insns.into_iter().rev());
    }
    body.reverse();
    body
}

/// The set-up of a legacy-load function: `r6 = r1` and random `r0`, `r7`–`r9`.
fn legacy_prologue(rng: &mut Rng) -> Vec<Insn> {
    let mut insns = vec![Insn::Alu { width: Width::W64, op: BinOp::Mov, dst: Reg::R6, src: Operand::Reg(Reg::R1) }];
    for reg in KEPT {
        let (imm, next_imm) = Insn::lddw_split(rng.value());
        insns.push(Insn::Lddw { dst: reg, kind: LddwKind::Imm64, imm, next_imm });
    }
    insns
}

/// A random tc program with legacy packet loads in its entry function and in one
/// subprogram the entry function calls; the subprogram starts at the returned slot.
pub fn generate_legacy(rng: &mut Rng, length: usize) -> (Program, usize) {
    let mut main = legacy_prologue(rng);
    main.extend(legacy_body(rng, length, true));
    let sub_entry: usize = main.iter().map(|i| i.slots()).sum();
    let mut slot = 0usize;
    for insn in &mut main {
        if let Insn::Call(bpfprove_semantics::isa::CallTarget::Local(offset)) = insn {
            *offset = (sub_entry - slot - 1) as i32;
        }
        slot += insn.slots();
    }
    let mut sub = legacy_prologue(rng);
    sub.extend(legacy_body(rng, length / 2 + 1, false));
    main.extend(sub);
    let parts = ProgramParts { function_entries: vec![sub_entry], ..ProgramParts::default() };
    (Program::new(main, parts).expect("generated programs are valid"), sub_entry)
}

/// Runs a legacy-load program on `packet` as a tc program in the kernel and in the
/// interpreter, and compares the low 32 bits of `r0`.
pub fn compare_legacy(program: &Program, sub_entry: usize, packet: &[u8]) -> CaseResult {
    use crate::btf::FuncInfo;
    use crate::program::{LoadRequest, ProgramType, TestInput, load};
    let kernel = (|| {
        let info = FuncInfo::for_entries(&[0, sub_entry])?;
        let bytecode = program.to_bytes();
        let loaded =
            load(&LoadRequest { program_type: ProgramType::SchedCls, bytecode: &bytecode, func_info: Some(&info) })?;
        loaded.test_run(TestInput { data: Some(packet), ctx: None })
    })();
    let kernel = match kernel {
        Ok(run) => run.retval,
        Err(KernelError::Rejected { last_line, .. }) => return CaseResult::CannotRun(CannotRun::Verifier(last_line)),
        Err(other) => return CaseResult::CannotRun(CannotRun::Kernel(other.to_string())),
    };
    let mut memory = packet.to_vec();
    let config = RunConfig::new(CallxModel::Address, conformance::SUITE_INSTRUCTION_BUDGET);
    match conformance::interpreter(program, &mut memory, &config) {
        Err(trap) => CaseResult::Differed { what: format!("kernel r0 {kernel:#x}; the interpreter trapped: {trap}") },
        Ok(r0) if r0 as u32 != kernel => {
            CaseResult::Differed { what: format!("r0: interpreter {r0:#x}, kernel {kernel:#x}") }
        }
        Ok(r0) => CaseResult::Agreed { r0 },
    }
}

/// Runs `program` on `memory` in the kernel and the interpreter and compares them.
pub fn compare(program: &Program, memory: &[u8]) -> CaseResult {
    let kernel = match run_in_kernel(program, memory) {
        Ok(run) => run,
        Err(KernelError::Rejected { last_line, .. }) => return CaseResult::CannotRun(CannotRun::Verifier(last_line)),
        Err(other) => return CaseResult::CannotRun(CannotRun::Kernel(other.to_string())),
    };
    let mut after = memory.to_vec();
    let config = RunConfig::new(CallxModel::Address, conformance::SUITE_INSTRUCTION_BUDGET);
    match conformance::interpreter(program, &mut after, &config) {
        Err(trap) => {
            CaseResult::Differed { what: format!("kernel r0 {:#x}; the interpreter trapped: {trap}", kernel.r0) }
        }
        Ok(r0) if r0 != kernel.r0 => {
            CaseResult::Differed { what: format!("r0: interpreter {r0:#x}, kernel {:#x}", kernel.r0) }
        }
        Ok(_) if after != kernel.memory => {
            CaseResult::Differed { what: "the memory block afterwards differs".to_owned() }
        }
        Ok(r0) => CaseResult::Agreed { r0 },
    }
}

/// The figures of a random run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RandomReport {
    /// Programs generated.
    pub cases: u64,
    /// Programs the kernel ran and that agreed.
    pub agreed: u64,
    /// Programs that differed: seed index, program text and what differed.
    pub differed: Vec<(u64, String, String)>,
    /// Programs the kernel could not run, by reason group.
    pub cannot_run: BTreeMap<String, u64>,
}

/// Generates and compares `cases` programs from `seed`.
pub fn run_random(cases: u64, seed: u64) -> RandomReport {
    let mut report = RandomReport { cases, ..Default::default() };
    let mut rng = Rng::new(seed);
    for index in 0..cases {
        let length = 1 + rng.below(40) as usize;
        let (program, result) = if index % 2 == 0 {
            let program = generate(&mut rng, length);
            let memory: Vec<u8> = (0..BLOCK_BYTES).map(|_| rng.next_u64() as u8).collect();
            let result = compare(&program, &memory);
            (program, result)
        } else {
            let (program, sub_entry) = generate_legacy(&mut rng, length);
            // An ethertype no kernel parser looks at, so every length is a valid test packet.
            let mut packet: Vec<u8> = (0..14 + rng.below(100)).map(|_| rng.next_u64() as u8).collect();
            packet[12..14].copy_from_slice(&[0x88, 0xb5]);
            let result = compare_legacy(&program, sub_entry, &packet);
            (program, result)
        };
        match result {
            CaseResult::Agreed { .. } => report.agreed += 1,
            CaseResult::Differed { what } => {
                let text = bpfprove_semantics::asm::llvm::print(&program);
                report.differed.push((index, text, what));
            }
            CaseResult::CannotRun(reason) => *report.cannot_run.entry(reason.group()).or_default() += 1,
        }
    }
    report
}
