//! Unit vectors for every instruction family, and the machine rules around them.
//!
//! Expected values are written out by hand (not computed with [`crate::alu`]), so these
//! tests check the semantics as well as the interpreter's plumbing.

use std::collections::BTreeMap;

use super::memory::{AccessKind, FaultReason, region_base};
use super::*;
use crate::isa::{AtomicOp, BinOp, ByteOrder, CallTarget, Cond, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width};
use crate::program::{JumpTable, JumpTableId, ProgramParts, code_address};

const BUDGET: u64 = 10_000;

fn mov(dst: Reg, imm: i32) -> Insn {
    Insn::Alu { width: Width::W64, op: BinOp::Mov, dst, src: Operand::Imm(imm) }
}

fn mov_reg(dst: Reg, src: Reg) -> Insn {
    Insn::Alu { width: Width::W64, op: BinOp::Mov, dst, src: Operand::Reg(src) }
}

fn add(dst: Reg, imm: i32) -> Insn {
    Insn::Alu { width: Width::W64, op: BinOp::Add, dst, src: Operand::Imm(imm) }
}

fn lddw(dst: Reg, value: u64) -> Insn {
    let (imm, next_imm) = Insn::lddw_split(value);
    Insn::Lddw { dst, kind: LddwKind::Imm64, imm, next_imm }
}

fn load(size: Size, dst: Reg, src: Reg, off: i16) -> Insn {
    Insn::Load { size, signed: false, dst, src, off }
}

fn store(size: Size, dst: Reg, off: i16, src: Reg) -> Insn {
    Insn::Store { size, dst, off, src: Operand::Reg(src) }
}

fn jump(cond: Cond, dst: Reg, imm: i32, off: i16) -> Insn {
    Insn::Jump { width: Width::W64, cond, dst, src: Operand::Imm(imm), off }
}

fn call_local(off: i32) -> Insn {
    Insn::Call(CallTarget::Local(off))
}

fn program(insns: Vec<Insn>) -> Program {
    Program::new(insns, ProgramParts::default()).expect("test programs are valid")
}

/// Runs `insns` on `memory` (as `r1`/`r2`) under `model`.
fn run_model(insns: Vec<Insn>, memory: &mut [u8], model: CallxModel) -> Result<Outcome, Trap> {
    run_on_memory(&program(insns), memory, &RunConfig::new(model, BUDGET), &mut DefaultHelpers)
}

fn run(insns: Vec<Insn>) -> Result<Outcome, Trap> {
    run_model(insns, &mut [0; 16], CallxModel::Address)
}

fn r0(insns: Vec<Insn>) -> u64 {
    match run(insns) {
        Ok(outcome) => outcome.r0,
        Err(trap) => panic!("unexpected trap: {trap}"),
    }
}

fn trap_of(result: Result<Outcome, Trap>) -> Trap {
    match result {
        Ok(outcome) => panic!("expected a trap, got r0 = {:#x}", outcome.r0),
        Err(trap) => trap,
    }
}

fn memory_fault(result: Result<Outcome, Trap>) -> (usize, MemoryFault) {
    match trap_of(result) {
        Trap { pc, kind: TrapKind::Memory(fault) } => (pc, fault),
        other => panic!("expected a memory fault, got {other}"),
    }
}

const MIN64: u64 = i64::MIN as u64;
const NEG1: u64 = u64::MAX;

fn neg(value: i64) -> u64 {
    value as u64
}

#[test]
fn alu_vectors_in_register_and_immediate_form() {
    use BinOp::*;
    use Width::*;
    let cases: &[(BinOp, Width, u64, u64, u64)] = &[
        (Add, W64, NEG1, 2, 1),
        (Sub, W64, 1, 2, NEG1),
        (Mul, W64, 1 << 32, 1 << 32, 0),
        (Mul, W64, 3, neg(-2), neg(-6)),
        (Div, W64, 7, 2, 3),
        (Div, W64, 7, 0, 0),
        (Div, W64, NEG1, 2, i64::MAX as u64),
        (SDiv, W64, neg(-7), 2, neg(-3)),
        (SDiv, W64, MIN64, NEG1, MIN64),
        (SDiv, W64, 5, 0, 0),
        (Mod, W64, 7, 3, 1),
        (Mod, W64, 7, 0, 7),
        (SMod, W64, neg(-7), 2, neg(-1)),
        (SMod, W64, 7, neg(-2), 1),
        (SMod, W64, MIN64, NEG1, 0),
        (SMod, W64, neg(-7), 0, neg(-7)),
        (Or, W64, 0xf0, 0x0f, 0xff),
        (And, W64, 0xff00_0000_0000_00ff, 0x0f0f, 0x0f),
        (Xor, W64, 0xff, 0x0f, 0xf0),
        (Lsh, W64, 1, 63, MIN64),
        (Lsh, W64, 1, 64, 1),
        (Rsh, W64, MIN64, 63, 1),
        (Arsh, W64, MIN64, 63, NEG1),
        (Arsh, W64, 0x8000_0000, 4, 0x0800_0000),
        (Mov, W64, 5, NEG1, NEG1),
        (Add, W32, 0xffff_ffff, 1, 0),
        (Add, W32, 0x1_0000_0001, 1, 2),
        (Sub, W32, 0, 1, 0xffff_ffff),
        (Mul, W32, 0x1_0000, 0x1_0000, 0),
        (Mul, W32, 0x8000_0000, NEG1, 0x8000_0000),
        (Div, W32, 0xffff_ffff, 0x1_0000_0002, 0x7fff_ffff),
        (Div, W32, 9, 0x1_0000_0000, 0),
        (SDiv, W32, 0xffff_fff9, 2, 0xffff_fffd),
        (SDiv, W32, 0x8000_0000, 0xffff_ffff, 0x8000_0000),
        (Mod, W32, 0x1_0000_0007, 0, 7),
        (SMod, W32, 0xffff_fff9, 2, 0xffff_ffff),
        (SMod, W32, 0x8000_0000, 0xffff_ffff, 0),
        (Or, W32, 0xffff_0000_0000_0001, 2, 3),
        (And, W32, 0xffff_ffff_ffff_ffff, 0xff, 0xff),
        (Xor, W32, 0x1_0000_0000, 1, 1),
        (Lsh, W32, 1, 31, 0x8000_0000),
        (Lsh, W32, 1, 32, 1),
        (Rsh, W32, 0xffff_ffff_8000_0000, 31, 1),
        (Arsh, W32, 0x8000_0000, 31, 0xffff_ffff),
        (Mov, W32, 5, NEG1, 0xffff_ffff),
        (Mov, W32, 5, 0x1_2345_6789, 0x2345_6789),
    ];
    for &(op, width, a, b, expected) in cases {
        let reg_form = vec![
            lddw(Reg::R0, a),
            lddw(Reg::R1, b),
            Insn::Alu { width, op, dst: Reg::R0, src: Operand::Reg(Reg::R1) },
            Insn::Exit,
        ];
        assert_eq!(r0(reg_form), expected, "{op:?} {width:?} {a:#x}, {b:#x} (register)");
        let imm = match width {
            Width::W32 => Some(b as u32 as i32),
            Width::W64 => i32::try_from(b as i64).ok(),
        };
        if let Some(imm) = imm {
            let imm_form =
                vec![lddw(Reg::R0, a), Insn::Alu { width, op, dst: Reg::R0, src: Operand::Imm(imm) }, Insn::Exit];
            assert_eq!(r0(imm_form), expected, "{op:?} {width:?} {a:#x}, {imm} (immediate)");
        }
    }
}

#[test]
fn neg_movsx_and_byte_order_vectors() {
    let unary = |insn: Insn, input: u64| r0(vec![lddw(Reg::R0, input), mov_reg(Reg::R1, Reg::R0), insn, Insn::Exit]);
    assert_eq!(unary(Insn::Neg { width: Width::W64, dst: Reg::R0 }, 1), NEG1);
    assert_eq!(unary(Insn::Neg { width: Width::W64, dst: Reg::R0 }, MIN64), MIN64);
    assert_eq!(unary(Insn::Neg { width: Width::W32, dst: Reg::R0 }, 0x1_0000_0001), 0xffff_ffff);
    assert_eq!(unary(Insn::Neg { width: Width::W32, dst: Reg::R0 }, 0x8000_0000), 0x8000_0000);
    let movsx = |width, from| Insn::MovSx { width, dst: Reg::R0, src: Reg::R1, from };
    assert_eq!(unary(movsx(Width::W64, Size::B), 0x80), 0xffff_ffff_ffff_ff80);
    assert_eq!(unary(movsx(Width::W64, Size::H), 0x1_8000), 0xffff_ffff_ffff_8000);
    assert_eq!(unary(movsx(Width::W64, Size::W), 0x8000_0000), 0xffff_ffff_8000_0000);
    assert_eq!(unary(movsx(Width::W64, Size::W), 0xffff_ffff_7fff_ffff), 0x7fff_ffff);
    assert_eq!(unary(movsx(Width::W32, Size::B), 0x1_0000_0080), 0xffff_ff80);
    assert_eq!(unary(movsx(Width::W32, Size::H), 0x7fff), 0x7fff);
    let v = 0x0123_4567_89ab_cdef;
    let endian = |order, bits| Insn::Endian { order, dst: Reg::R0, bits };
    assert_eq!(unary(endian(ByteOrder::ToLe, 16), v), 0xcdef);
    assert_eq!(unary(endian(ByteOrder::ToLe, 32), v), 0x89ab_cdef);
    assert_eq!(unary(endian(ByteOrder::ToLe, 64), v), v);
    assert_eq!(unary(endian(ByteOrder::ToBe, 16), v), 0xefcd);
    assert_eq!(unary(endian(ByteOrder::ToBe, 32), v), 0xefcd_ab89);
    assert_eq!(unary(endian(ByteOrder::ToBe, 64), v), 0xefcd_ab89_6745_2301);
    assert_eq!(unary(endian(ByteOrder::Swap, 16), v), 0xefcd);
    assert_eq!(unary(endian(ByteOrder::Swap, 32), v), 0xefcd_ab89);
    assert_eq!(unary(endian(ByteOrder::Swap, 64), v), 0xefcd_ab89_6745_2301);
}

#[test]
fn every_jump_at_both_widths() {
    use Cond::*;
    use Width::*;
    let cases: &[(Cond, Width, u64, u64, bool)] = &[
        (Eq, W64, 5, 5, true),
        (Eq, W64, 5, 6, false),
        (Eq, W64, 0x1_0000_0005, 5, false),
        (Eq, W32, 0x1_0000_0005, 5, true),
        (Ne, W64, 5, 6, true),
        (Ne, W64, 5, 5, false),
        (Ne, W32, 0x1_0000_0005, 5, false),
        (Set, W64, 6, 2, true),
        (Set, W64, 4, 2, false),
        (Set, W32, 0x1_0000_0000, 0x1_0000_0000, false),
        (Gt, W64, NEG1, 0, true),
        (Gt, W64, 0, 0, false),
        (Gt, W32, 0x1_0000_0000, 1, false),
        (Ge, W64, 3, 3, true),
        (Ge, W64, 2, 3, false),
        (Ge, W32, 0x1_0000_0002, 3, false),
        (Lt, W64, 0, NEG1, true),
        (Lt, W64, 3, 3, false),
        (Lt, W32, 1, 0x1_0000_0000, false),
        (Le, W64, 3, 3, true),
        (Le, W64, 4, 3, false),
        (Le, W32, 0x1_0000_0004, 3, false),
        (SGt, W64, 1, NEG1, true),
        (SGt, W64, NEG1, 1, false),
        (SGt, W32, 0x7fff_ffff, 0x8000_0000, true),
        (SGt, W64, 0x7fff_ffff, 0x8000_0000, false),
        (SGe, W64, NEG1, NEG1, true),
        (SGe, W64, neg(-2), NEG1, false),
        (SGe, W32, 0xffff_ffff, 0, false),
        (SLt, W64, NEG1, 0, true),
        (SLt, W64, 0, NEG1, false),
        (SLt, W32, 0xffff_ffff, 0, true),
        (SLt, W64, 0xffff_ffff, 0, false),
        (SLe, W64, NEG1, NEG1, true),
        (SLe, W64, 0, NEG1, false),
        (SLe, W32, 0x8000_0000, 0x7fff_ffff, true),
    ];
    for &(cond, width, a, b, taken) in cases {
        let tail = |src| {
            vec![
                lddw(Reg::R1, a),
                lddw(Reg::R2, b),
                mov(Reg::R0, 0),
                Insn::Jump { width, cond, dst: Reg::R1, src, off: 1 },
                Insn::Exit,
                mov(Reg::R0, 1),
                Insn::Exit,
            ]
        };
        assert_eq!(r0(tail(Operand::Reg(Reg::R2))), u64::from(taken), "{cond:?} {width:?} {a:#x}, {b:#x} (register)");
        let imm = match width {
            Width::W32 => Some(b as u32 as i32),
            Width::W64 => i32::try_from(b as i64).ok(),
        };
        if let Some(imm) = imm {
            assert_eq!(r0(tail(Operand::Imm(imm))), u64::from(taken), "{cond:?} {width:?} {a:#x}, {imm} (immediate)");
        }
    }
}

#[test]
fn unconditional_jumps_of_both_forms() {
    let insns = vec![mov(Reg::R0, 1), Insn::Ja { off: 1 }, Insn::Exit, Insn::Ja32 { imm: -2 }];
    let outcome = run(insns).expect("no trap");
    assert_eq!((outcome.r0, outcome.instructions), (1, 4));
}

#[test]
fn loads_of_each_size_zero_or_sign_extend() {
    let mut memory = [0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
    let cases = [
        (Size::B, false, 0x88),
        (Size::H, false, 0x9988),
        (Size::W, false, 0xbbaa_9988),
        (Size::DW, false, 0xffee_ddcc_bbaa_9988),
        (Size::B, true, 0xffff_ffff_ffff_ff88),
        (Size::H, true, 0xffff_ffff_ffff_9988),
        (Size::W, true, 0xffff_ffff_bbaa_9988),
    ];
    for (size, signed, expected) in cases {
        // Address the bytes from one past the end with a negative offset, to exercise both.
        let insns = vec![add(Reg::R1, 8), Insn::Load { size, signed, dst: Reg::R0, src: Reg::R1, off: -8 }, Insn::Exit];
        let outcome = run_model(insns, &mut memory, CallxModel::Address).expect("no trap");
        assert_eq!(outcome.r0, expected, "{size:?} signed={signed}");
    }
}

#[test]
fn stores_of_each_size_write_the_low_bytes() {
    let value = 0x1122_3344_5566_7788;
    for (size, expected) in [
        (Size::B, [0x88, 0, 0, 0, 0, 0, 0, 0]),
        (Size::H, [0x88, 0x77, 0, 0, 0, 0, 0, 0]),
        (Size::W, [0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0]),
        (Size::DW, [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]),
    ] {
        let mut memory = [0u8; 8];
        let insns = vec![lddw(Reg::R2, value), store(size, Reg::R1, 0, Reg::R2), mov(Reg::R0, 0), Insn::Exit];
        run_model(insns, &mut memory, CallxModel::Address).expect("no trap");
        assert_eq!(memory, expected, "stx {size:?}");
        // The immediate form stores the sign-extended immediate's low bytes.
        let mut memory = [0u8; 8];
        let insns =
            vec![Insn::Store { size, dst: Reg::R1, off: 0, src: Operand::Imm(-2) }, mov(Reg::R0, 0), Insn::Exit];
        run_model(insns, &mut memory, CallxModel::Address).expect("no trap");
        let width = size.bytes() as usize;
        assert!(memory[..width].iter().skip(1).all(|&b| b == 0xff) && memory[0] == 0xfe, "st {size:?}: {memory:?}");
        assert!(memory[width..].iter().all(|&b| b == 0), "st {size:?} wrote past its size: {memory:?}");
    }
}

#[test]
fn stack_is_per_frame_and_addressed_below_r10() {
    let insns = vec![
        Insn::Store { size: Size::DW, dst: Reg::R10, off: -16, src: Operand::Imm(0xab) },
        Insn::Store { size: Size::DW, dst: Reg::R10, off: -8, src: Operand::Imm(0xcd) },
        mov_reg(Reg::R2, Reg::R10),
        add(Reg::R2, 8),
        load(Size::DW, Reg::R0, Reg::R2, -16),
        Insn::Exit,
    ];
    assert_eq!(r0(insns), 0xcd);
}

/// Runs one atomic on 8 bytes of memory holding `initial`; returns (memory, r0, r2).
fn atomic_case(size: Size, op: AtomicOp, fetch: bool, initial: u64, operand: u64, expected_r0: u64) -> (u64, u64, u64) {
    let mut memory = initial.to_le_bytes();
    let insns = vec![
        lddw(Reg::R2, operand),
        lddw(Reg::R0, expected_r0),
        Insn::Atomic { size, op, fetch, dst: Reg::R1, off: 0, src: Reg::R2 },
        Insn::Exit,
    ];
    let outcome = run_model(insns, &mut memory, CallxModel::Address).expect("no trap");
    (u64::from_le_bytes(memory), outcome.r0, outcome.registers[2])
}

#[test]
fn atomics_with_and_without_fetch() {
    use AtomicOp::*;
    let initial = 0x0000_0001_ffff_fff3;
    // (memory, r0, r2) after the operation; r0 starts as 0x77 unless it is cmpxchg's comparand.
    assert_eq!(atomic_case(Size::DW, Add, false, initial, 0x10, 0x77), (0x0000_0002_0000_0003, 0x77, 0x10));
    assert_eq!(atomic_case(Size::DW, Add, true, initial, 0x10, 0x77), (0x0000_0002_0000_0003, 0x77, initial));
    // 32-bit: only the low word changes, and the fetched value is zero-extended.
    assert_eq!(atomic_case(Size::W, Add, true, initial, 0x10, 0x77), (0x0000_0001_0000_0003, 0x77, 0xffff_fff3));
    assert_eq!(atomic_case(Size::W, Or, false, 0x10, 0x1_0000_0001, 0x77), (0x11, 0x77, 0x1_0000_0001));
    assert_eq!(atomic_case(Size::DW, Or, true, 0x10, 0x1, 0x77), (0x11, 0x77, 0x10));
    assert_eq!(atomic_case(Size::DW, And, true, 0xff, 0x0f, 0x77), (0x0f, 0x77, 0xff));
    assert_eq!(atomic_case(Size::W, And, false, 0xff, 0x0f, 0x77), (0x0f, 0x77, 0x0f));
    assert_eq!(atomic_case(Size::DW, Xor, true, 0xff, 0x0f, 0x77), (0xf0, 0x77, 0xff));
    assert_eq!(atomic_case(Size::W, Xor, true, 0x1_0000_00ff, 0x0f, 0x77), (0x1_0000_00f0, 0x77, 0xff));
    assert_eq!(atomic_case(Size::DW, Xchg, true, 5, 9, 0x77), (9, 0x77, 5));
    assert_eq!(atomic_case(Size::W, Xchg, true, 0x1_0000_0005, 0x2_0000_0009, 0x77), (0x1_0000_0009, 0x77, 5));
    // cmpxchg: the old value always lands in r0; memory changes only when it equalled r0.
    assert_eq!(atomic_case(Size::DW, CmpXchg, true, 5, 9, 5), (9, 5, 9));
    assert_eq!(atomic_case(Size::DW, CmpXchg, true, 5, 9, 4), (5, 5, 9));
    // 32-bit cmpxchg compares only r0's low word.
    assert_eq!(atomic_case(Size::W, CmpXchg, true, 5, 9, 0xffff_0000_0000_0005), (9, 5, 9));
}

#[test]
fn lddw_kinds() {
    assert_eq!(r0(vec![lddw(Reg::R0, 0x1122_3344_5566_7788), Insn::Exit]), 0x1122_3344_5566_7788);
    // code_addr(imm) at slot 0 names slot 0 + 1 + imm (slots 0-1 are the lddw itself).
    let code = vec![Insn::Lddw { dst: Reg::R0, kind: LddwKind::CodeAddr, imm: 2, next_imm: 0 }, Insn::Exit, Insn::Exit];
    assert_eq!(r0(code), code_address(3));
    for kind in [LddwKind::MapFd, LddwKind::MapValue, LddwKind::VarAddr, LddwKind::MapIdx, LddwKind::MapIdxValue] {
        let trap =
            trap_of(run(vec![mov(Reg::R0, 0), Insn::Lddw { dst: Reg::R1, kind, imm: 1, next_imm: 0 }, Insn::Exit]));
        assert_eq!(trap, Trap { pc: 1, kind: TrapKind::UnsupportedLddw { kind } });
    }
}

/// A program dispatching on `r1` through a two-entry jump table: `r0 = 10 + r1`.
fn switch_program() -> Program {
    let insns = vec![
        lddw(Reg::R2, 0), // 0-1: table address
        Insn::Alu { width: Width::W64, op: BinOp::Lsh, dst: Reg::R1, src: Operand::Imm(3) }, // 2
        Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R2, src: Operand::Reg(Reg::R1) }, // 3
        load(Size::DW, Reg::R2, Reg::R2, 0), // 4
        Insn::Gotox { reg: Reg::R2 }, // 5
        mov(Reg::R0, 10), // 6
        Insn::Exit,       // 7
        mov(Reg::R0, 11), // 8
        Insn::Exit,       // 9
    ];
    let parts = ProgramParts {
        jump_tables: vec![JumpTable { name: "BPF.JT.0.0".into(), targets: vec![6, 8] }],
        table_loads: BTreeMap::from([(0, JumpTableId(0))]),
        ..ProgramParts::default()
    };
    Program::new(insns, parts).expect("valid")
}

fn run_switch(index: u64) -> Result<Outcome, Trap> {
    let machine = Machine::new(&switch_program(), RunConfig::new(CallxModel::Address, BUDGET));
    let mut memory = machine.new_memory().expect("small memory");
    machine.run(&mut memory, &[index, 0, 0, 0, 0], &mut DefaultHelpers)
}

#[test]
fn gotox_through_a_jump_table() {
    assert_eq!(run_switch(0).expect("in range").r0, 10);
    assert_eq!(run_switch(1).expect("in range").r0, 11);
    // Index 2 reads past the table: a fault on the read-only jump-table region.
    let (pc, fault) = memory_fault(run_switch(2));
    assert_eq!(pc, 4);
    let region = fault.region.expect("the address is in the table's window");
    assert_eq!((region.kind, fault.offset, fault.size), (RegionKind::JumpTable(JumpTableId(0)), 16, 8));
    assert_eq!(fault.reason, FaultReason::OutOfBounds);
}

#[test]
fn gotox_to_anything_but_a_table_entry_of_this_function_traps() {
    let gotox = |value: u64| {
        let insns = vec![lddw(Reg::R2, value), Insn::Gotox { reg: Reg::R2 }, mov(Reg::R0, 1), Insn::Exit, Insn::Exit];
        let parts = ProgramParts {
            // Slot 5 starts a second function; it is a table entry, but not of main's.
            function_entries: vec![5],
            jump_tables: vec![JumpTable { name: "t".into(), targets: vec![3, 5] }],
            ..ProgramParts::default()
        };
        let program = Program::new(insns, parts).expect("valid");
        run_on_memory(&program, &mut [], &RunConfig::new(CallxModel::Address, BUDGET), &mut DefaultHelpers)
    };
    assert_eq!(gotox(code_address(3)).expect("table entry").r0, 1);
    for bad in [code_address(4), code_address(3) + 1, code_address(5), 3, 0] {
        assert_eq!(trap_of(gotox(bad)), Trap { pc: 2, kind: TrapKind::BadGotoxTarget { value: bad } }, "{bad:#x}");
    }
}

#[test]
fn writing_a_jump_table_traps_as_read_only() {
    let insns = vec![
        lddw(Reg::R2, 0),
        store(Size::DW, Reg::R2, 0, Reg::R1),
        Insn::Atomic { size: Size::DW, op: AtomicOp::Add, fetch: false, dst: Reg::R2, off: 0, src: Reg::R1 },
        Insn::Exit,
        Insn::Exit,
    ];
    let parts = ProgramParts {
        jump_tables: vec![JumpTable { name: "t".into(), targets: vec![4] }],
        table_loads: BTreeMap::from([(0, JumpTableId(0))]),
        ..ProgramParts::default()
    };
    let program = Program::new(insns.clone(), parts.clone()).expect("valid");
    let config = RunConfig::new(CallxModel::Address, BUDGET);
    let (pc, fault) = memory_fault(run_on_memory(&program, &mut [], &config, &mut DefaultHelpers));
    assert_eq!((pc, fault.access, fault.reason), (2, AccessKind::Store, FaultReason::ReadOnly));
    // The atomic alone is refused before it reads.
    let mut atomic_first = insns;
    atomic_first.remove(1);
    let program = Program::new(atomic_first, parts_with_target(parts, 3)).expect("valid");
    let (pc, fault) = memory_fault(run_on_memory(&program, &mut [], &config, &mut DefaultHelpers));
    assert_eq!((pc, fault.access, fault.reason), (2, AccessKind::Atomic, FaultReason::ReadOnly));
}

fn parts_with_target(mut parts: ProgramParts, target: usize) -> ProgramParts {
    parts.jump_tables[0].targets = vec![target];
    parts
}

#[test]
fn local_calls_pass_arguments_and_preserve_r6_to_r9() {
    let mut insns = vec![mov(Reg::R1, 1), mov(Reg::R2, 2)];
    insns.extend((6..=9).map(|n| mov(Reg::new(n).expect("register"), n.into())));
    insns.extend([
        Insn::Store { size: Size::DW, dst: Reg::R10, off: -8, src: Operand::Imm(42) },
        mov_reg(Reg::R3, Reg::R10),
        call_local(1), // 8 → 10
        Insn::Exit,    // 9
        // callee at 10: r0 = r1 + r2; clobber r6..r9; write its own stack.
        mov_reg(Reg::R0, Reg::R1),
        Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R0, src: Operand::Reg(Reg::R2) },
        mov(Reg::R6, 0),
        mov(Reg::R7, 0),
        mov(Reg::R8, 0),
        mov(Reg::R9, 0),
        Insn::Store { size: Size::DW, dst: Reg::R10, off: -8, src: Operand::Imm(7) },
        // The caller's frame is reachable through a pointer (r3): read its slot.
        load(Size::DW, Reg::R4, Reg::R3, -8),
        Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R0, src: Operand::Reg(Reg::R4) },
        mov_reg(Reg::R5, Reg::R10),
        Insn::Exit,
    ]);
    let outcome = run(insns).expect("no trap");
    assert_eq!(outcome.r0, 1 + 2 + 42);
    assert_eq!(outcome.registers[6..10], [6, 7, 8, 9]);
    assert_eq!(outcome.registers[10], Memory::frame_pointer(0));
    assert_eq!(outcome.registers[5], Memory::frame_pointer(1), "the callee's r10 is its own frame");
}

#[test]
fn a_returned_frame_is_inaccessible() {
    let insns = vec![
        call_local(2),
        load(Size::DW, Reg::R0, Reg::R0, -8), // 1: dereference the callee's stack pointer
        Insn::Exit,
        mov_reg(Reg::R0, Reg::R10), // 3: callee returns its r10
        Insn::Exit,
    ];
    let (pc, fault) = memory_fault(run(insns));
    assert_eq!(pc, 1);
    assert_eq!(fault.region.map(|r| r.kind), Some(RegionKind::Stack { frame: 1 }));
    assert_eq!((fault.offset, fault.reason), (504, FaultReason::Inaccessible));
}

/// `f(n)`: recurses `n` times; main calls `f(depth)`.
fn recursion(depth: i32) -> Result<Outcome, Trap> {
    run(vec![
        mov(Reg::R1, depth),
        call_local(1), // 1 → 3
        Insn::Exit,
        mov(Reg::R0, 0), // 3: f
        jump(Cond::Eq, Reg::R1, 0, 2),
        add(Reg::R1, -1),
        call_local(-4), // 6 → 3
        Insn::Exit,
    ])
}

#[test]
fn at_most_eight_frames() {
    // main + f(6) .. f(0) = 8 frames.
    assert!(recursion(6).is_ok());
    assert_eq!(trap_of(recursion(7)), Trap { pc: 6, kind: TrapKind::CallDepthExceeded { max_frames: 8 } });
}

fn callx_program(target: Insn) -> Vec<Insn> {
    vec![
        mov(Reg::R1, 7),
        target,
        Insn::Callx { reg: Reg::R2 }, // 3
        Insn::Exit,
        mov(Reg::R0, 42), // 5: a function whose address is taken
        Insn::Exit,
    ]
}

#[test]
fn callx_in_the_address_model() {
    let code_addr = Insn::Lddw { dst: Reg::R2, kind: LddwKind::CodeAddr, imm: 3, next_imm: 0 };
    let outcome = run_model(callx_program(code_addr), &mut [], CallxModel::Address).expect("function entry");
    assert_eq!(outcome.r0, 42);
    for bad in [code_address(6), code_address(5) + 4, 5, 0] {
        let result = run_model(callx_program(lddw(Reg::R2, bad)), &mut [], CallxModel::Address);
        let expected = TrapKind::BadCallxTarget { value: bad, model: CallxModel::Address };
        assert_eq!(trap_of(result), Trap { pc: 3, kind: expected }, "{bad:#x}");
    }
}

#[test]
fn callx_in_the_helper_id_model() {
    let outcome = run_model(callx_program(lddw(Reg::R2, 5)), &mut [], CallxModel::HelperId).expect("helper 5");
    assert_eq!(outcome.r0, 7, "unwind returns r1");
    let trap = trap_of(run_model(callx_program(lddw(Reg::R2, 99)), &mut [], CallxModel::HelperId));
    assert_eq!(trap, Trap { pc: 3, kind: TrapKind::UnknownHelper { id: 99 } });
    let trap = trap_of(run_model(callx_program(lddw(Reg::R2, NEG1)), &mut [], CallxModel::HelperId));
    assert_eq!(trap, Trap { pc: 3, kind: TrapKind::BadCallxTarget { value: NEG1, model: CallxModel::HelperId } });
}

#[test]
fn helper_calls_clobber_r1_to_r5_and_unwind_can_stop_the_program() {
    let outcome = run(vec![mov(Reg::R1, 3), mov(Reg::R6, 6), Insn::Call(CallTarget::Helper(5)), Insn::Exit])
        .expect("unwind returns");
    assert_eq!(outcome.r0, 3);
    assert_eq!(outcome.registers[1..6], [helpers::CLOBBERED; 5]);
    assert_eq!(outcome.registers[6], 6);
    // r1 == 0: the program stops at once with r0 = 0, even inside a call.
    let insns = vec![
        call_local(2),
        mov(Reg::R0, 2),
        Insn::Exit,
        mov(Reg::R1, 0), // 3
        Insn::Call(CallTarget::Helper(5)),
        mov(Reg::R0, 9),
        Insn::Exit,
    ];
    let outcome = run(insns).expect("unwind exits");
    assert_eq!((outcome.r0, outcome.instructions), (0, 3));
    let trap = trap_of(run(vec![Insn::Call(CallTarget::Helper(1)), Insn::Exit]));
    assert_eq!(trap, Trap { pc: 0, kind: TrapKind::UnknownHelper { id: 1 } });
    let kfunc = Insn::Call(CallTarget::Kfunc { btf_id: 3, btf_obj: 0 });
    assert_eq!(trap_of(run(vec![kfunc, Insn::Exit])).kind, TrapKind::UnsupportedKfunc { btf_id: 3, btf_obj: 0 });
}

/// Helper 1 writes `r2` at address `r1`; helper 2 sums `r2` bytes at `r1`.
struct MemoryHelpers;

impl Helpers for MemoryHelpers {
    fn call(&mut self, id: i32, args: [u64; 5], memory: &mut Memory) -> Result<HelperResult, HelperError> {
        match id {
            1 => {
                memory.store(args[0], Size::DW, args[1])?;
                Ok(HelperResult::Return(0))
            }
            2 => {
                let len = usize::try_from(args[1]).map_err(|_| HelperError::InvalidArgument {
                    register: 2,
                    value: args[1],
                    reason: "too long",
                })?;
                Ok(HelperResult::Return(memory.read(args[0], len)?.iter().map(|&b| u64::from(b)).sum()))
            }
            _ => Err(HelperError::Unknown),
        }
    }
}

#[test]
fn helpers_reach_memory_through_checked_accesses() {
    let writer = program(vec![
        mov_reg(Reg::R1, Reg::R10),
        add(Reg::R1, -8),
        mov(Reg::R2, 0x0102),
        Insn::Call(CallTarget::Helper(1)),
        load(Size::DW, Reg::R0, Reg::R10, -8),
        Insn::Exit,
    ]);
    let config = RunConfig::new(CallxModel::Address, BUDGET);
    let outcome = run_on_memory(&writer, &mut [], &config, &mut MemoryHelpers).expect("stack write");
    assert_eq!(outcome.r0, 0x0102);
    let reader = program(vec![mov(Reg::R1, 0), mov(Reg::R2, 4), Insn::Call(CallTarget::Helper(2)), Insn::Exit]);
    let trap = trap_of(run_on_memory(&reader, &mut [], &config, &mut MemoryHelpers));
    let TrapKind::HelperFailed { id: 2, error: HelperError::Memory(fault) } = trap.kind else {
        panic!("expected a helper memory fault, got {trap}");
    };
    assert_eq!((trap.pc, fault.region, fault.reason), (2, None, FaultReason::Unmapped));
}

#[test]
fn out_of_bounds_accesses_name_region_offset_and_size() {
    let (pc, fault) = memory_fault(run(vec![mov(Reg::R0, 0), store(Size::DW, Reg::R10, 0, Reg::R0), Insn::Exit]));
    assert_eq!(pc, 1);
    assert_eq!(fault.region.map(|r| (r.kind, r.len)), Some((RegionKind::Stack { frame: 0 }, 512)));
    assert_eq!((fault.offset, fault.size, fault.access), (512, 8, AccessKind::Store));
    // Just below the stack: a negative offset of the same frame.
    let (_, fault) = memory_fault(run(vec![load(Size::W, Reg::R0, Reg::R10, -516), Insn::Exit]));
    assert_eq!(fault.region.map(|r| r.kind), Some(RegionKind::Stack { frame: 0 }));
    assert_eq!((fault.offset, fault.size, fault.reason), (-4, 4, FaultReason::OutOfBounds));
    // The input memory (16 bytes): an access straddling its end.
    let (_, fault) = memory_fault(run(vec![load(Size::DW, Reg::R0, Reg::R1, 12), Insn::Exit]));
    assert_eq!(fault.region.map(|r| (r.kind, r.len)), Some((RegionKind::Context, 16)));
    assert_eq!((fault.offset, fault.size, fault.access), (12, 8, AccessKind::Load));
    // Null.
    let (_, fault) = memory_fault(run(vec![mov(Reg::R1, 0), load(Size::B, Reg::R0, Reg::R1, 0), Insn::Exit]));
    assert_eq!((fault.region, fault.offset, fault.reason), (None, 0, FaultReason::Unmapped));
    let trap = trap_of(run(vec![mov(Reg::R0, 0), store(Size::DW, Reg::R10, 0, Reg::R0), Insn::Exit]));
    let text = trap.to_string();
    assert!(text.starts_with("pc 1: store of 8 bytes at offset 512 of stack frame 0"), "{text}");
}

#[test]
fn writes_to_r10_trap() {
    let cases = [
        mov(Reg::R10, 0),
        Insn::Neg { width: Width::W64, dst: Reg::R10 },
        load(Size::DW, Reg::R10, Reg::R10, -8),
        lddw(Reg::R10, 1),
        Insn::Atomic { size: Size::DW, op: AtomicOp::Add, fetch: true, dst: Reg::R1, off: 0, src: Reg::R10 },
    ];
    for insn in cases {
        assert_eq!(
            trap_of(run(vec![mov(Reg::R0, 0), insn, Insn::Exit])),
            Trap { pc: 1, kind: TrapKind::WriteToFramePointer }
        );
    }
    // Reading r10, even as an atomic operand without fetch, is fine.
    let add_r10 = Insn::Atomic { size: Size::DW, op: AtomicOp::Add, fetch: false, dst: Reg::R1, off: 0, src: Reg::R10 };
    assert!(run(vec![mov(Reg::R0, 0), add_r10, Insn::Exit]).is_ok());
}

#[test]
fn budget_and_falling_off_the_end_trap() {
    let config = RunConfig::new(CallxModel::Address, 100);
    let spin = program(vec![mov(Reg::R0, 0), Insn::Ja { off: -1 }]);
    let trap = trap_of(run_on_memory(&spin, &mut [], &config, &mut DefaultHelpers));
    assert_eq!(trap, Trap { pc: 1, kind: TrapKind::BudgetExhausted { budget: 100 } });
    let three = program(vec![mov(Reg::R0, 0), add(Reg::R0, 1), Insn::Exit]);
    let exact = RunConfig::new(CallxModel::Address, 3);
    assert_eq!(run_on_memory(&three, &mut [], &exact, &mut DefaultHelpers).map(|o| o.instructions), Ok(3));
    let short = RunConfig::new(CallxModel::Address, 2);
    let trap = trap_of(run_on_memory(&three, &mut [], &short, &mut DefaultHelpers));
    assert_eq!(trap, Trap { pc: 2, kind: TrapKind::BudgetExhausted { budget: 2 } });
    assert_eq!(trap_of(run(vec![mov(Reg::R0, 1)])), Trap { pc: 1, kind: TrapKind::FellOffEnd });
}

#[test]
fn legacy_packet_loads_read_big_endian_and_miss_with_r0_zero() {
    let packet = [0x11, 0x22, 0x33, 0x44, 0x55];
    let ld = |size, addr, imm| Insn::LoadPacket { size, addr, imm };
    let run_packet = |insns: Vec<Insn>| {
        let mut memory = packet;
        run_model(insns, &mut memory, CallxModel::Address).expect("no trap")
    };
    let cases = [
        (ld(Size::B, PacketAddr::Abs, 4), 0x55),
        (ld(Size::H, PacketAddr::Abs, 1), 0x2233),
        (ld(Size::W, PacketAddr::Abs, 1), 0x2233_4455),
        (ld(Size::H, PacketAddr::Ind(Reg::R6), 1), 0x3344),
    ];
    for (insn, expected) in cases {
        let outcome = run_packet(vec![mov(Reg::R6, 1), insn, Insn::Exit]);
        assert_eq!(outcome.r0, expected, "{insn:?}");
        assert_eq!(outcome.registers[1..6], [helpers::CLOBBERED; 5]);
    }
    // The index register and immediate add as (int)(src + imm).
    let wrap = run_packet(vec![lddw(Reg::R6, neg(-3)), ld(Size::H, PacketAddr::Ind(Reg::R6), 4), Insn::Exit]);
    assert_eq!(wrap.r0, 0x2233);
    for miss in
        [ld(Size::W, PacketAddr::Abs, 2), ld(Size::B, PacketAddr::Abs, -1), ld(Size::B, PacketAddr::Ind(Reg::R6), 4)]
    {
        let outcome = run_packet(vec![mov(Reg::R6, 1), mov(Reg::R0, 9), miss, mov(Reg::R0, 7), Insn::Exit]);
        assert_eq!((outcome.r0, outcome.instructions), (0, 3), "{miss:?}");
    }
    // A miss inside a subprogram ends only that subprogram, returning 0 to its caller
    // (Linux; checked against the kernel in bpfprove-kernel's ld_abs_subprogram test).
    let in_subprogram = |load_packet| {
        vec![
            Insn::Call(CallTarget::Local(2)),
            add(Reg::R0, 100),
            Insn::Exit,
            mov(Reg::R6, 1),
            load_packet,
            add(Reg::R0, 42),
            Insn::Exit,
        ]
    };
    assert_eq!(run_packet(in_subprogram(ld(Size::B, PacketAddr::Abs, 1))).r0, 0x22 + 42 + 100);
    for miss in [ld(Size::W, PacketAddr::Abs, 2), ld(Size::B, PacketAddr::Ind(Reg::R6), 4)] {
        let outcome = run_packet(in_subprogram(miss));
        assert_eq!((outcome.r0, outcome.instructions), (100, 5), "{miss:?}");
    }
    // A run without a packet region cannot use them.
    let machine = Machine::new(
        &program(vec![ld(Size::B, PacketAddr::Abs, 0), Insn::Exit]),
        RunConfig::new(CallxModel::Address, 10),
    );
    let mut memory = machine.new_memory().expect("small memory");
    let trap = trap_of(machine.run(&mut memory, &[0; 5], &mut DefaultHelpers));
    assert_eq!(trap, Trap { pc: 0, kind: TrapKind::NoPacket });
}

#[test]
fn run_on_memory_passes_address_and_length_and_returns_the_contents() {
    let mut memory = [1, 2, 3, 4];
    let insns = vec![
        Insn::Store { size: Size::B, dst: Reg::R1, off: 0, src: Operand::Imm(9) },
        mov_reg(Reg::R0, Reg::R2),
        // Trap afterwards: the store must still be visible.
        load(Size::B, Reg::R3, Reg::R1, 4),
        Insn::Exit,
    ];
    let trap = trap_of(run_model(insns, &mut memory, CallxModel::Address));
    assert_eq!(trap.pc, 2);
    assert_eq!(memory, [9, 2, 3, 4]);
    let outcome = run_model(vec![mov_reg(Reg::R0, Reg::R2), Insn::Exit], &mut memory, CallxModel::Address).expect("ok");
    assert_eq!(outcome.r0, 4);
    let outcome = run_model(vec![mov_reg(Reg::R0, Reg::R1), Insn::Exit], &mut memory, CallxModel::Address).expect("ok");
    assert_eq!(outcome.r0, region_base(RegionId(8)), "the input follows the eight stack frames");
}

#[test]
fn a_machine_runs_repeatedly_on_its_memory() {
    let machine = Machine::new(
        &program(vec![
            load(Size::DW, Reg::R0, Reg::R1, 0),
            add(Reg::R0, 1),
            store(Size::DW, Reg::R1, 0, Reg::R0),
            Insn::Exit,
        ]),
        RunConfig::new(CallxModel::Address, BUDGET),
    );
    let mut memory = machine.new_memory().expect("small memory");
    let counter = memory.add_region(RegionKind::Other, vec![0; 8], Access::ReadWrite).expect("small region");
    for _ in 0..3 {
        machine.run(&mut memory, &[region_base(counter), 0, 0, 0, 0], &mut DefaultHelpers).expect("no trap");
    }
    let bytes = memory.region(counter).expect("region exists").bytes();
    assert_eq!(u64::from_le_bytes(bytes.try_into().expect("8 bytes")), 3);
    assert_eq!(memory.locate(region_base(counter) + 3), Some((counter, 3)));
}

mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::super::memory::{FaultReason, region_base};
    use super::super::*;
    use crate::isa::{AtomicOp, Insn, Operand, Reg, Size, arbitrary};
    use crate::program::ProgramParts;

    const BUDGET: u64 = 2_000;

    fn model() -> impl Strategy<Value = CallxModel> {
        prop_oneof![Just(CallxModel::Address), Just(CallxModel::HelperId)]
    }

    /// Runs `program` on a fresh memory with a context (also the packet) holding `context`.
    fn run_fresh(
        program: &Program,
        model: CallxModel,
        context: &[u8],
        args: [u64; 3],
    ) -> (Result<Outcome, Trap>, Memory) {
        let machine = Machine::new(program, RunConfig::new(model, BUDGET));
        let mut memory = machine.new_memory().expect("small memory");
        let ctx = memory.add_region(RegionKind::Context, context.to_vec(), Access::ReadWrite).expect("small region");
        memory.set_packet(ctx);
        let args = [region_base(ctx), context.len() as u64, args[0], args[1], args[2]];
        let result = machine.run(&mut memory, &args, &mut DefaultHelpers);
        (result, memory)
    }

    /// Base registers: the context (`r1`), its length (`r2`, a small integer: null-ish
    /// addresses), `r3` (pointers moved and offset) and the frame pointer.
    fn base() -> impl Strategy<Value = Reg> {
        prop::sample::select(vec![Reg::R1, Reg::R2, Reg::R3, Reg::R10])
    }

    fn size() -> impl Strategy<Value = Size> {
        prop::sample::select(vec![Size::B, Size::H, Size::W, Size::DW])
    }

    /// Offsets near the edges of a 48-byte context and a 512-byte frame.
    fn offset() -> impl Strategy<Value = i16> {
        prop_oneof![-520i16..-500, -16i16..56, Just(i16::MIN), Just(i16::MAX)]
    }

    fn memory_insn() -> impl Strategy<Value = Insn> {
        let load = (size(), any::<bool>(), base(), offset()).prop_map(|(size, signed, src, off)| Insn::Load {
            size,
            signed: signed && size != Size::DW,
            dst: Reg::R3,
            src,
            off,
        });
        let store = (size(), base(), offset(), prop_oneof![Just(Operand::Reg(Reg::R3)), Just(Operand::Imm(-1))])
            .prop_map(|(size, dst, off, src)| Insn::Store { size, dst, off, src });
        let atomic = (
            prop::sample::select(vec![Size::W, Size::DW]),
            prop::sample::select(vec![AtomicOp::Add, AtomicOp::Xchg, AtomicOp::CmpXchg]),
            base(),
            offset(),
        )
            .prop_map(|(size, op, dst, off)| Insn::Atomic { size, op, fetch: true, dst, off, src: Reg::R4 });
        let point = (prop::sample::select(vec![Reg::R1, Reg::R10]), -600i32..600).prop_map(|(from, delta)| {
            // r3 = from + delta, as two instructions would; one `add` on a copy suffices.
            if delta % 2 == 0 { super::mov_reg(Reg::R3, from) } else { super::add(Reg::R3, delta) }
        });
        prop_oneof![3 => load, 3 => store, 1 => atomic, 2 => point, 1 => Just(super::add(Reg::R2, 8))]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Any valid program on any memory ends, within the budget, in an outcome or a trap
        /// (never a panic or a hang), and does so deterministically: the JIT's oracle must
        /// give one answer per input.
        #[test]
        fn random_programs_end_deterministically_within_budget(
            program in arbitrary::program(),
            model in model(),
            context in vec(any::<u8>(), 0..48),
            args in any::<[u64; 3]>(),
        ) {
            let (first, memory) = run_fresh(&program, model, &context, args);
            if let Ok(outcome) = &first {
                prop_assert!(outcome.instructions <= BUDGET);
                prop_assert_eq!(outcome.registers[0], outcome.r0);
            }
            let (second, memory_again) = run_fresh(&program, model, &context, args);
            prop_assert_eq!(first, second);
            prop_assert_eq!(memory, memory_again);
        }

        /// Straight-line memory traffic around the edges of the context and the stack: every
        /// access is either performed in bounds or refused with a fault that names a region
        /// only when the address is in that region's window.
        #[test]
        fn memory_traffic_faults_are_precise(
            insns in vec(memory_insn(), 1..24),
            model in model(),
            context in vec(any::<u8>(), 0..48),
        ) {
            let mut insns = insns;
            insns.push(Insn::Exit);
            let program = Program::new(insns, ProgramParts::default()).expect("straight-line code is valid");
            let (result, memory) = run_fresh(&program, model, &context, [0; 3]);
            if let Err(Trap { kind: TrapKind::Memory(fault), .. }) = result {
                match fault.region {
                    Some(region) => {
                        prop_assert_eq!(memory.locate(fault.address), Some((region.id, fault.offset)));
                        let fits = fault.offset >= 0 && fault.offset as u64 + fault.size <= region.len;
                        prop_assert!(!fits || fault.reason != FaultReason::OutOfBounds, "{}", fault);
                    }
                    None => prop_assert_eq!(memory.locate(fault.address), None),
                }
            }
        }
    }
}

fn uninitialised(result: Result<Outcome, Trap>) -> (usize, Reg) {
    match trap_of(result) {
        Trap { pc, kind: TrapKind::UninitialisedRegister { reg } } => (pc, reg),
        other => panic!("expected an uninitialised-register trap, got {other}"),
    }
}

#[test]
fn reading_a_register_never_written_traps() {
    // bpf_conformance's negative/error.data: `or r0, r10` reads r0 before any write.
    let or_r10 = Insn::Alu { width: Width::W64, op: BinOp::Or, dst: Reg::R0, src: Operand::Reg(Reg::R10) };
    assert_eq!(uninitialised(run(vec![or_r10, Insn::Exit])), (0, Reg::R0));
    // Exit reads r0; r3-r9 are undefined at entry while r1, r2 and r10 are defined.
    assert_eq!(uninitialised(run(vec![Insn::Exit])), (0, Reg::R0));
    assert_eq!(uninitialised(run(vec![mov_reg(Reg::R0, Reg::R3), Insn::Exit])), (0, Reg::R3));
    assert_eq!(r0(vec![mov_reg(Reg::R0, Reg::R2), add(Reg::R0, 1), Insn::Exit]), 17);
    // A 32-bit move defines its destination too.
    let mov32 = Insn::Alu { width: Width::W32, op: BinOp::Mov, dst: Reg::R6, src: Operand::Imm(5) };
    assert_eq!(r0(vec![mov32, mov_reg(Reg::R0, Reg::R6), Insn::Exit]), 5);
}

#[test]
fn calls_leave_argument_registers_undefined() {
    // After a helper call, r1 is undefined even though it held a value before.
    let after_helper = vec![mov(Reg::R1, 1), Insn::Call(CallTarget::Helper(5)), mov_reg(Reg::R0, Reg::R1), Insn::Exit];
    assert_eq!(uninitialised(run(after_helper)), (2, Reg::R1));
    // A callee sees the caller's arguments but not its r6-r9.
    let callee_reads_r6 = vec![mov(Reg::R6, 1), call_local(1), Insn::Exit, mov_reg(Reg::R0, Reg::R6), Insn::Exit];
    assert_eq!(uninitialised(run(callee_reads_r6)), (3, Reg::R6));
    // After the callee returns, the caller's r6 is defined again, r0 holds the result and
    // r2 (an argument register) is undefined.
    let caller_keeps_r6 = vec![
        mov(Reg::R6, 7),
        call_local(3),
        Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R0, src: Operand::Reg(Reg::R6) },
        Insn::Exit,
        Insn::Exit,
        mov_reg(Reg::R0, Reg::R2),
        Insn::Exit,
    ];
    // r2 is the memory's length, 16.
    assert_eq!(r0(caller_keeps_r6), 7 + 16);
    let caller_reads_r2 = vec![call_local(2), mov_reg(Reg::R0, Reg::R2), Insn::Exit, mov(Reg::R0, 0), Insn::Exit];
    assert_eq!(uninitialised(run(caller_reads_r2)), (1, Reg::R2));
}

#[test]
fn a_static_subprogram_returns_r0_defined_or_not() {
    // The callee's exit does not read r0; the caller may ignore it...
    let ignored = vec![call_local(2), mov(Reg::R0, 3), Insn::Exit, Insn::Exit];
    assert_eq!(r0(ignored.clone()), 3);
    // ...but its read of the undefined r0 traps, in the caller.
    let read = vec![call_local(2), add(Reg::R0, 1), Insn::Exit, Insn::Exit];
    assert_eq!(uninitialised(run(read)), (1, Reg::R0));
    // A defined r0 comes back defined.
    assert_eq!(r0(vec![call_local(2), add(Reg::R0, 1), Insn::Exit, mov(Reg::R0, 4), Insn::Exit]), 5);
    // A global subprogram's exit reads it, as the kernel verifies such a function alone.
    let parts = ProgramParts { global_functions: [3].into(), ..ProgramParts::default() };
    let global = Program::new(ignored, parts).expect("valid");
    let config = RunConfig::new(CallxModel::Address, BUDGET);
    assert_eq!(uninitialised(run_on_memory(&global, &mut [0; 16], &config, &mut DefaultHelpers)), (3, Reg::R0));
}

#[test]
fn a_run_past_its_deadline_stops_as_if_its_budget_ran_out() {
    // r0 counts to 100,000: 200,001 instructions, well within the budget.
    let counting = vec![mov(Reg::R0, 0), add(Reg::R0, 1), jump(Cond::Lt, Reg::R0, 100_000, -2), Insn::Exit];
    let config = RunConfig::new(CallxModel::Address, 1 << 40);
    let unlimited = run_on_memory(&program(counting.clone()), &mut [], &config, &mut DefaultHelpers);
    assert_eq!(unlimited.map(|outcome| outcome.r0), Ok(100_000));
    let passed = std::time::Instant::now().checked_sub(std::time::Duration::from_millis(1));
    let late = config.with_deadline(passed);
    let trap = trap_of(run_on_memory(&program(counting), &mut [], &late, &mut DefaultHelpers));
    assert!(matches!(trap.kind, TrapKind::BudgetExhausted { .. }), "{trap:?}");
}

/// Runs LLVM-syntax `text` with an empty input under `mode`, with `helpers`.
fn run_text(text: &str, mode: UninitialisedStack, helpers: &mut dyn Helpers) -> Result<Outcome, Trap> {
    let program = crate::asm::llvm::parse(text).expect("valid program");
    let config = RunConfig::new(CallxModel::Address, BUDGET).with_uninitialised_stack(mode);
    run_on_memory(&program, &mut [0; 16], &config, helpers)
}

fn strict(text: &str) -> Result<Outcome, Trap> {
    run_text(text, UninitialisedStack::Trap, &mut DefaultHelpers)
}

#[test]
fn reading_uninitialised_stack_traps_by_default() {
    let (pc, fault) = memory_fault(strict("r0 = *(u64 *)(r10 - 8)\nexit\n"));
    assert_eq!((pc, fault.access, fault.offset, fault.size), (0, AccessKind::Load, 504, 8));
    assert_eq!(fault.reason, FaultReason::Uninitialised);
    assert_eq!(fault.region.map(|r| r.kind), Some(RegionKind::Stack { frame: 0 }));
    // Written bytes read back; a wider read covering unwritten ones traps.
    let half = "r1 = 7\n*(u32 *)(r10 - 8) = r1\n";
    assert_eq!(strict(&format!("{half}r0 = *(u32 *)(r10 - 8)\nexit\n")).map(|o| o.r0), Ok(7));
    let (pc, fault) = memory_fault(strict(&format!("{half}r0 = *(u64 *)(r10 - 8)\nexit\n")));
    assert_eq!((pc, fault.reason), (2, FaultReason::Uninitialised));
    // An atomic reads before it writes.
    let (pc, fault) = memory_fault(strict("r1 = 1\nlock *(u64 *)(r10 - 8) += r1\nr0 = 0\nexit\n"));
    assert_eq!((pc, fault.access, fault.reason), (1, AccessKind::Atomic, FaultReason::Uninitialised));
}

#[test]
fn each_call_starts_with_an_uninitialised_frame() {
    // The first call writes its stack; the second reads it without writing.
    let text = "r1 = 1\ncall f\nr1 = 0\ncall f\nexit\nf:\nif r1 == 0 goto read\n*(u64 *)(r10 - 8) = r1\nread:\nr0 = *(u64 *)(r10 - 8)\nexit\n";
    let (pc, fault) = memory_fault(strict(text));
    assert_eq!((pc, fault.reason), (7, FaultReason::Uninitialised));
    assert_eq!(fault.region.map(|r| r.kind), Some(RegionKind::Stack { frame: 1 }));
}

#[test]
fn the_permissive_mode_reads_an_arbitrary_value_never_a_silent_zero() {
    let got = run_text("r0 = *(u64 *)(r10 - 8)\nexit\n", UninitialisedStack::Arbitrary, &mut DefaultHelpers);
    assert_eq!(got.map(|o| o.r0), Ok(u64::from_le_bytes([memory::STACK_FILL; 8])));
    assert_ne!(memory::STACK_FILL, 0);
}

#[test]
fn may_goto_falls_through_while_the_calls_budget_lasts_then_jumps() {
    // Counts the loop's rounds: the loop has no other exit.
    let text = "r0 = 0\nloop:\nmay_goto done\nr0 += 1\ngoto loop\ndone:\nexit\n";
    let program = crate::asm::llvm::parse(text).expect("valid program");
    let run = |budget: u64| {
        let config = RunConfig::new(CallxModel::Address, BUDGET).with_may_goto_budget(budget);
        run_on_memory(&program, &mut [], &config, &mut DefaultHelpers).map(|o| o.r0)
    };
    assert_eq!(run(0), Ok(0));
    assert_eq!(run(5), Ok(5));
    // Each run starts afresh.
    assert_eq!(run(5), Ok(5));
    assert_eq!(RunConfig::new(CallxModel::Address, BUDGET).may_goto_budget, 8 * 1024 * 1024);
    // The encoding is BPF_JMP | BPF_JCOND (0xe5) with every field but the offset zero.
    assert_eq!(program.insns()[1].insn, Insn::MayGoto { off: 2 });
    assert_eq!(&program.to_bytes()[8..16], &[0xe5, 0, 2, 0, 0, 0, 0, 0]);
    assert!(Program::from_bytes(&[0xe5, 0x10, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]).is_err());
    assert_eq!(crate::asm::llvm::print_insn(&Insn::MayGoto { off: 2 }), "may_goto +0x2");
}

#[test]
fn each_function_call_has_its_own_may_goto_budget() {
    // The kernel sets a function's counter in its prologue: the callee loops its 3 rounds
    // after the caller has spent the caller's 3, and the caller's stay spent.
    let text = "r6 = 0\nloop:\nmay_goto done\nr6 += 1\ngoto loop\ndone:\ncall counter\nr0 *= 10\n\
                r0 += r6\nexit\ncounter:\nr0 = 0\nagain:\nmay_goto out\nr0 += 1\ngoto again\nout:\nexit\n";
    let program = crate::asm::llvm::parse(text).expect("valid program");
    let config = RunConfig::new(CallxModel::Address, BUDGET).with_may_goto_budget(3);
    let got = run_on_memory(&program, &mut [], &config, &mut DefaultHelpers).map(|o| o.r0);
    assert_eq!(got, Ok(33));
}

#[test]
fn a_may_goto_jumping_to_itself_never_ends_once_the_budget_is_spent() {
    // Falling through leaves the loop; the jump, taken once the budget is spent, does not.
    let text = "r0 = 0\nself:\nmay_goto self\nexit\n";
    let program = crate::asm::llvm::parse(text).expect("valid program");
    let spent = RunConfig::new(CallxModel::Address, BUDGET).with_may_goto_budget(0);
    let trap = run_on_memory(&program, &mut [], &spent, &mut DefaultHelpers).expect_err("loops for ever");
    assert_eq!(trap.kind, TrapKind::BudgetExhausted { budget: BUDGET });
    let left = RunConfig::new(CallxModel::Address, BUDGET).with_may_goto_budget(1);
    assert_eq!(run_on_memory(&program, &mut [], &left, &mut DefaultHelpers).map(|o| o.r0), Ok(0));
}

mod arena {
    use super::*;
    use crate::interp::arena::{ARENA_PAGE_BYTES, Arena};
    use crate::isa::AddrSpace;

    const START: u64 = (1 << 44) | (0xffff_ffff - 2 * ARENA_PAGE_BYTES + 1);

    fn cast(dst: Reg, src: Reg, cast: AddrSpace) -> Insn {
        Insn::AddrSpaceCast { dst, src, cast }
    }

    /// Runs `insns` with a two-page arena whose first page is allocated.
    fn run_with_arena(insns: Vec<Insn>, arena: bool) -> Result<Outcome, Trap> {
        let machine = Machine::new(&program(insns), RunConfig::new(CallxModel::Address, BUDGET));
        let mut memory = machine.new_memory().expect("memory");
        if arena {
            let mut arena = Arena::new(7, 2, START, 0).expect("valid arena");
            assert_eq!(arena.alloc(0, 1, -1, 0), Ok(START));
            memory.install_arena(arena);
        }
        machine.run(&mut memory, &[], &mut DefaultHelpers)
    }

    #[test]
    fn arena_pointers_are_32_bit_and_their_accesses_cannot_fault() {
        let insns = vec![
            lddw(Reg::R1, START),
            cast(Reg::R2, Reg::R1, AddrSpace::ToKernel),
            Insn::Store { size: Size::W, dst: Reg::R2, off: 0, src: Operand::Imm(7) },
            load(Size::W, Reg::R3, Reg::R2, 0),
            // 64-bit arithmetic on an arena pointer is done on 32 bits: the add vanishes.
            lddw(Reg::R4, 1 << 32),
            Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R2, src: Operand::Reg(Reg::R4) },
            load(Size::W, Reg::R5, Reg::R2, 0),
            // The second page is not allocated: the store is dropped, the load reads 0.
            Insn::Store { size: Size::B, dst: Reg::R2, off: 0x1000, src: Operand::Imm(1) },
            load(Size::B, Reg::R6, Reg::R2, 0x1000),
            // So is the guard below the window.
            load(Size::B, Reg::R7, Reg::R2, -0x7000),
            mov_reg(Reg::R0, Reg::R3),
            Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R0, src: Operand::Reg(Reg::R5) },
            Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R0, src: Operand::Reg(Reg::R6) },
            Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R0, src: Operand::Reg(Reg::R7) },
            cast(Reg::R8, Reg::R2, AddrSpace::ToUser),
            Insn::Exit,
        ];
        let outcome = run_with_arena(insns, true).expect("arena accesses do not trap");
        assert_eq!(outcome.r0, 14);
        assert_eq!(outcome.registers[2], START & 0xffff_ffff);
        assert_eq!(outcome.registers[8], START);
    }

    #[test]
    fn a_number_is_no_arena_pointer_and_a_cast_needs_an_arena() {
        // Without the cast, the same low 32 bits are a plain address in no region.
        let plain = vec![lddw(Reg::R1, START & 0xffff_ffff), load(Size::W, Reg::R0, Reg::R1, 0), Insn::Exit];
        assert!(matches!(trap_of(run_with_arena(plain, true)).kind, TrapKind::Memory(_)));
        // A 32-bit copy of an arena pointer is a number too.
        let copied = vec![
            lddw(Reg::R1, START),
            cast(Reg::R2, Reg::R1, AddrSpace::ToKernel),
            Insn::Alu { width: Width::W32, op: BinOp::Mov, dst: Reg::R3, src: Operand::Reg(Reg::R2) },
            load(Size::W, Reg::R0, Reg::R3, 0),
            Insn::Exit,
        ];
        assert!(matches!(trap_of(run_with_arena(copied, true)).kind, TrapKind::Memory(_)));
        let no_arena =
            vec![lddw(Reg::R1, START), cast(Reg::R2, Reg::R1, AddrSpace::ToKernel), mov(Reg::R0, 0), Insn::Exit];
        assert_eq!(trap_of(run_with_arena(no_arena, false)).kind, TrapKind::NoArena);
    }

    #[test]
    fn sign_extending_loads_and_atomics_on_the_arena_trap() {
        let prefix = || vec![lddw(Reg::R1, START), cast(Reg::R2, Reg::R1, AddrSpace::ToKernel), mov(Reg::R3, 1)];
        let mut signed = prefix();
        signed.extend([Insn::Load { size: Size::B, signed: true, dst: Reg::R0, src: Reg::R2, off: 0 }, Insn::Exit]);
        assert_eq!(trap_of(run_with_arena(signed, true)).kind, TrapKind::ArenaSignExtendingLoad);
        let mut atomic = prefix();
        atomic.extend([
            Insn::Atomic { size: Size::DW, op: AtomicOp::Add, fetch: false, dst: Reg::R2, off: 0, src: Reg::R3 },
            mov(Reg::R0, 0),
            Insn::Exit,
        ]);
        assert_eq!(trap_of(run_with_arena(atomic, true)).kind, TrapKind::ArenaAtomic);
    }

    #[test]
    fn arena_pointers_survive_calls_in_callee_saved_registers_only() {
        // r6 keeps its arena pointer across a local call; the callee's r1 gets one too.
        let insns = vec![
            lddw(Reg::R1, START),
            cast(Reg::R6, Reg::R1, AddrSpace::ToKernel),
            mov_reg(Reg::R1, Reg::R6),
            call_local(2),
            load(Size::W, Reg::R0, Reg::R6, 0),
            Insn::Exit,
            Insn::Store { size: Size::W, dst: Reg::R1, off: 0, src: Operand::Imm(5) },
            mov(Reg::R0, 0),
            Insn::Exit,
        ];
        assert_eq!(run_with_arena(insns, true).map(|o| o.r0), Ok(5));
    }
}
