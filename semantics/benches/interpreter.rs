//! Interpreter speed in nanoseconds per executed instruction: a tight three-instruction
//! ALU loop (the figure rbpf's 13.5–19.8 ns/insn is quoted for) and a stack load/store
//! loop. Criterion's element throughput is the number of instructions one run executes,
//! so its "time per element" is the ns/insn figure.

use std::hint::black_box;

use bpfprove_semantics::interp::{CallxModel, DefaultHelpers, Machine, RunConfig};
use bpfprove_semantics::isa::{BinOp, Cond, Insn, Operand, Reg, Size, Width};
use bpfprove_semantics::program::{Program, ProgramParts};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Loop iterations per run: long enough that setting up a run is noise.
const ITERATIONS: i32 = 10_000;

fn alu(op: BinOp, dst: Reg, src: Operand) -> Insn {
    Insn::Alu { width: Width::W64, op, dst, src }
}

/// `r0 = sum(1..=N)` with a three-instruction body.
fn tight_loop() -> Vec<Insn> {
    vec![
        alu(BinOp::Mov, Reg::R0, Operand::Imm(0)),
        alu(BinOp::Mov, Reg::R1, Operand::Imm(ITERATIONS)),
        alu(BinOp::Add, Reg::R0, Operand::Reg(Reg::R1)),
        alu(BinOp::Add, Reg::R1, Operand::Imm(-1)),
        Insn::Jump { width: Width::W64, cond: Cond::Ne, dst: Reg::R1, src: Operand::Imm(0), off: -3 },
        Insn::Exit,
    ]
}

/// The same sum kept in a stack slot: load, add, store each iteration.
fn memory_loop() -> Vec<Insn> {
    vec![
        alu(BinOp::Mov, Reg::R1, Operand::Imm(ITERATIONS)),
        Insn::Store { size: Size::DW, dst: Reg::R10, off: -8, src: Operand::Imm(0) },
        Insn::Load { size: Size::DW, signed: false, dst: Reg::R2, src: Reg::R10, off: -8 },
        alu(BinOp::Add, Reg::R2, Operand::Reg(Reg::R1)),
        Insn::Store { size: Size::DW, dst: Reg::R10, off: -8, src: Operand::Reg(Reg::R2) },
        alu(BinOp::Add, Reg::R1, Operand::Imm(-1)),
        Insn::Jump { width: Width::W64, cond: Cond::Ne, dst: Reg::R1, src: Operand::Imm(0), off: -5 },
        Insn::Load { size: Size::DW, signed: false, dst: Reg::R0, src: Reg::R10, off: -8 },
        Insn::Exit,
    ]
}

fn bench_program(c: &mut Criterion, name: &str, insns: Vec<Insn>) {
    let program = Program::new(insns, ProgramParts::default()).expect("bench programs are valid");
    let machine = Machine::new(&program, RunConfig::new(CallxModel::Address, u64::MAX));
    let mut memory = machine.new_memory().expect("stack only");
    let expected = u64::from(ITERATIONS as u32) * (u64::from(ITERATIONS as u32) + 1) / 2;
    let outcome = machine.run(&mut memory, &[0; 5], &mut DefaultHelpers).expect("bench programs do not trap");
    assert_eq!(outcome.r0, expected, "{name} computes the wrong sum");
    let mut group = c.benchmark_group("interpreter");
    group.throughput(Throughput::Elements(outcome.instructions));
    group.bench_function(name, |b| {
        b.iter(|| machine.run(black_box(&mut memory), black_box(&[0; 5]), &mut DefaultHelpers))
    });
    group.finish();
}

fn interpreter(c: &mut Criterion) {
    bench_program(c, "tight_alu_loop", tight_loop());
    bench_program(c, "stack_memory_loop", memory_loop());
}

criterion_group!(benches, interpreter);
criterion_main!(benches);
